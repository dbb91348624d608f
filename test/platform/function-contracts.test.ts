import { envSchema as trainingSetCallbackEnv } from '../../lambdas/training-set-callback';
import { envSchema as pinArtifactEnv } from '../../lambdas/pin-artifact';
import { championEnv } from '../../lambdas/find-champion';
import { parseConfig as parseFeatureIngestConfig } from '../../lambdas/feature-ingest/config';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadEnvironments, promotionTargetAccounts } from '../../config';
import { loadConfig as loadDeployConfig } from '../../lambdas/deploy-model/config';
import { loadConfig as loadBaselineConfig } from '../../lambdas/drift-baseline/config';
import { loadConfig as loadDriftQueryConfig } from '../../lambdas/drift-query';
import { envSchema as batchInferenceEnv } from '../../lambdas/batch-inference';
import { parseEndpoints } from '../../lambdas/endpoint-capacity';
import { loadConfig as loadRetrainConfig } from '../../lambdas/retrain-trigger';
import { loadConfig as loadGatewayConfig } from '../../lambdas/infer/config';
import { loadConfig as loadIngestConfig } from '../../lambdas/ingest/config';
import { allowedLabels, claimLeaseMinutes, groundTruthLocation, slaMinutes, tableName } from '../../lambdas/shared-review/config';
import { buildPlatformApp } from '../../lib/platform/platform-app';
import { newApp } from '../support/gate';
import { loadJob as loadQualityJob } from '../../lambdas/model-quality/index';

/**
 * The CDK side and each handler agree on the environment contract: every function's variables,
 * as synthesized, are accepted by that handler's own config loader. CloudFormation references
 * are replaced by realistic values of the resource they point at.
 */
const app = newApp({ context: { 'aws:cdk:bundling-stacks': [] } });
const stages = buildPlatformApp(app, loadEnvironments(), (name) => promotionTargetAccounts(name));
app.synth();

type Resources = Record<string, { Type: string; Properties?: any }>;
const FAKE_BY_TYPE: Record<string, (id: string) => string> = {
  'AWS::S3::Bucket': (id) => `plinth-${id.toLowerCase().slice(0, 40)}`,
  'AWS::DynamoDB::Table': (id) => `plinth-${id}`,
  'AWS::SQS::Queue': (id) => `https://sqs.us-east-1.amazonaws.com/111111111111/${id}`,
  'AWS::SNS::Topic': (id) => `arn:aws:sns:us-east-1:111111111111:${id}`,
  'AWS::EC2::Subnet': () => 'subnet-0123456789abcdef0',
  'AWS::CloudWatch::Alarm': (id) => `alarm-${id}`,
  'AWS::SageMaker::Pipeline': (id) => `pipeline-${id.toLowerCase()}`,
};
const FAKE_BY_ATTRIBUTE: Record<string, (id: string) => string> = {
  'AWS::IAM::Role.Arn': (id) => `arn:aws:iam::111111111111:role/${id}`,
  'AWS::EC2::SecurityGroup.GroupId': () => 'sg-0123456789abcdef0',
  'AWS::KMS::Key.Arn': () => 'arn:aws:kms:us-east-1:111111111111:key/1234abcd-12ab-34cd-56ef-1234567890ab',
};
const PSEUDO: Record<string, string> = { 'AWS::AccountId': '111111111111', 'AWS::Region': 'us-east-1', 'AWS::URLSuffix': 'amazonaws.com', 'AWS::Partition': 'aws' };

function resolverFor(stacks: Stack[]) {
  const templates = new Map(stacks.map((s) => [s.stackName, Template.fromStack(s).toJSON().Resources as Resources]));
  const fake = (resources: Resources, logicalId: string, attribute?: string): string => {
    const type = resources[logicalId]?.Type;
    const make = attribute ? FAKE_BY_ATTRIBUTE[`${type}.${attribute}`] : FAKE_BY_TYPE[type];
    if (!make) throw new Error(`no fake value for ${type ?? 'unknown'} ${logicalId}${attribute ? `.${attribute}` : ''}`);
    return make(logicalId);
  };
  const resolve = (value: unknown, resources: Resources): string => {
    if (typeof value === 'string') return value;
    const v = value as Record<string, any>;
    if (v.Ref) return PSEUDO[v.Ref] ?? fake(resources, v.Ref);
    if (v['Fn::GetAtt']) return fake(resources, v['Fn::GetAtt'][0], v['Fn::GetAtt'][1]);
    if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map((part) => resolve(part, resources)).join(v['Fn::Join'][0]);
    if (v['Fn::ImportValue']) return `plinth-imported-${String(v['Fn::ImportValue']).toLowerCase().replace(/[^a-z0-9-]/g, '-').slice(0, 40)}`;
    if (v['Fn::GetStackOutput']) {
      // Output names read PublishOutputRef<LogicalId><hash> or PublishOutputFnGetAtt<LogicalId><Attribute><hash>.
      const { StackName, OutputName } = v['Fn::GetStackOutput'];
      const other = templates.get(StackName);
      if (!other) throw new Error(`unknown stack ${StackName}`);
      const body = (OutputName as string).replace(/^PublishOutput(Ref|FnGetAtt)/, '');
      const logicalId = Object.keys(other).find((id) => body.startsWith(id));
      if (!logicalId) throw new Error(`cannot find the resource of output ${OutputName}`);
      const attribute = OutputName.includes('FnGetAtt') ? body.slice(logicalId.length).replace(/[0-9A-F]{8}$/, '') : undefined;
      return fake(other, logicalId, attribute);
    }
    throw new Error(`cannot resolve ${JSON.stringify(value).slice(0, 120)}`);
  };
  return { templates, resolve };
}

describe.each(['dev', 'staging', 'prod'])('%s: every function accepts the environment CDK gives it', (env) => {
  const stage = stages.find((s) => s.stageName === env)!;
  const { templates, resolve } = resolverFor([stage.foundation, stage.dataLake, stage.models]);
  const functions = [...templates.values()].flatMap((resources) =>
    Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties?.Environment)
      .map(([logicalId, r]) => ({
        path: logicalId,
        env: Object.fromEntries(Object.entries(r.Properties.Environment.Variables).map(([k, v]) => [k, resolve(v, resources)])) as Record<string, string>,
      })),
  );
  // Matched on logical IDs, which the pinned-ID tests keep stable.
  const loaders: Array<[RegExp, (e: Record<string, string>) => unknown]> = [
    [/^DataLakeIngestionFunction/, (e) => loadIngestConfig(e)],
    [/^DeploymentFunction/, (e) => loadDeployConfig(e)],
    [/^Gateway[a-z]+Function/, (e) => loadGatewayConfig(e)],
    [/^Review[a-z]+(Intake|Api|Expiry)[0-9A-F]{8}$/, (e) => [tableName(e), slaMinutes(e), claimLeaseMinutes(e), allowedLabels(e), groundTruthLocation(e)]],
    [/^CapacityWatchFunction/, (e) => parseEndpoints(e.ENDPOINTS)],
    [/^Drift[a-z]+QueryFunction/, (e) => loadDriftQueryConfig(e)],
    // drift-stats takes everything from its event; the bus must be named.
    [/^Drift[a-z]+StatisticsFunction/, (e) => { if (!e.EVENT_BUS_NAME) throw new Error('EVENT_BUS_NAME missing'); }],
    [/^DriftRetrainingRetrainFunction/, (e) => loadRetrainConfig(e)],
    [/^DriftRetrainingBaselineFunction/, (e) => loadBaselineConfig(e)],
    [/^Batch[a-z]+Function/, (e) => batchInferenceEnv.parse(e)],
    [/^Quality[a-z]+QualityFunction/, (e) => loadQualityJob(e)],
    [/^Features[a-z]+IngestFunction/, (e) => parseFeatureIngestConfig(e)],
    [/^Training[a-z]+CallbackFunction/, (e) => trainingSetCallbackEnv.parse(e)],
    [/^Training[a-z]+PinFunction/, (e) => pinArtifactEnv.parse(e)],
    [/^Training[a-z]+ChampionFunction/, (e) => championEnv(e)],
    [/^TrainingSetsFunction/, (e) => { if (!e.OUTPUT_BUCKET || JSON.parse(e.FEATURE_GROUPS).length === 0) throw new Error('OUTPUT_BUCKET or FEATURE_GROUPS missing'); }],
  ];

  test('each function has a known handler', () => {
    const unknown = functions.filter((f) => !loaders.some(([pattern]) => pattern.test(f.path)));
    expect(unknown.map((f) => f.path)).toEqual([]);
    expect(functions.length).toBe(18);
  });

  test.each(loaders.map(([pattern]) => pattern.source))('handler %s parses its variables without error', (source) => {
    const [pattern, load] = loaders.find(([p]) => p.source === source)!;
    const matching = functions.filter((f) => pattern.test(f.path));
    expect(matching.length).toBeGreaterThan(0);
    for (const fn of matching) expect(() => load(fn.env)).not.toThrow();
  });
});
