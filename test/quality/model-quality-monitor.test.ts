import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { PlatformAlarmTopic } from '../../lib/alerting/platform-alarm-topic';
import { PlatformKeys } from '../../lib/keys/platform-keys';
import { InferenceEndpoint } from '../../lib/inference/inference-endpoint';
import { ModelRegistry } from '../../lib/model-registry/model-registry';
import { ModelQualityMonitor } from '../../lib/quality/model-quality-monitor';
import type { ModelQualityMonitorProps } from '../../lib/quality/model-quality-monitor';
import { PlatformNetwork } from '../../lib/network/platform-network';
import { AccessLogsBucket, SecureBucket } from '../../lib/storage/secure-bucket';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';
import { isAllowed, type Statement } from '../support/iam-simulator';

const freshStack = (): Stack => new Stack(newApp(), 'Fresh', { env: TEST_ENV });

function monitorIn(stack: Stack, over: Partial<ModelQualityMonitorProps> = {}): ModelQualityMonitor {
  const keys = new PlatformKeys(stack, 'Keys');
  const network = new PlatformNetwork(stack, 'Network', { vpcCidr: '10.62.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'], logsKey: keys.logs });
  const accessLogs = new AccessLogsBucket(stack, 'AccessLogs').bucket;
  const capture = new SecureBucket(stack, 'Capture', { encryptionKey: keys.dataLake, serverAccessLogsBucket: accessLogs });
  const curated = new SecureBucket(stack, 'Curated', { encryptionKey: keys.dataLake, serverAccessLogsBucket: accessLogs });
  const artifacts = new SecureBucket(stack, 'Artifacts', { encryptionKey: keys.models, serverAccessLogsBucket: accessLogs });
  const alarms = new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: keys.logs });
  return new ModelQualityMonitor(stack, 'Quality', {
    modelName: 'fraud-detector',
    endpoint: InferenceEndpoint.fromEndpointAttributes(stack, 'Endpoint', { endpointName: 'fraud-detector-dev', productionVariantNames: ['primary', 'challenger'] }),
    registry: new ModelRegistry(stack, 'Registry', { models: [{ name: 'fraud-detector', description: 'Scores card transactions' }], artifactsKey: keys.models, serverAccessLogsBucket: accessLogs }),
    quality: {
      schedule: 'rate(1 day)',
      windowHours: 24,
      labelDelayHours: 72,
      problemType: 'binary_classification',
      primaryMetric: 'auc',
      scorePath: '$.score',
      positiveLabel: 'fraud',
      tolerance: 0.03,
      floor: 0.85,
      abTest: { champion: 'primary', minimumEffect: 0.01 },
    },
    captureBucket: capture.bucket,
    captureKey: keys.dataLake,
    database: { databaseName: 'plinth_lake' },
    groundTruthTableName: 'fraud_detector_ground_truth',
    groundTruthBucket: curated.bucket,
    groundTruthKey: keys.dataLake,
    reviewLabelsPrefix: 'ground-truth/',
    evaluationBucket: artifacts.bucket,
    evaluationKey: keys.models,
    bytesScannedCutoffPerQuery: 1_000_000_000,
    prices: { primary: { instanceType: 'ml.g5.xlarge', pricePerHour: 1.408, currency: 'USD', asOf: '2026-11-22', source: 'config/pricing' } },
    vpc: network.vpc,
    logsKey: keys.logs,
    logRetention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.DESTROY,
    alarmAction: alarms,
    environmentName: 'test',
    ...over,
  });
}

describe('ModelQualityMonitor', () => {
  let template: Template;
  let findings: unknown[];
  beforeAll(() => {
    const result = synthAloneThroughGate((stack) => monitorIn(stack));
    template = Template.fromStack(result.stack);
    findings = result.findings;
  });

  it('passes every nag pack and the CloudFormation validator alone in a stack', () => {
    expect(findings).toEqual([]);
  });

  it('reads the capture with inference ids and the reviewers\' labels through Lake Formation', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'quality_capture_fraud_detector_dev',
        StorageDescriptor: Match.objectLike({
          Columns: Match.arrayWith([Match.objectLike({ Name: 'eventmetadata', Type: 'struct<eventid:string,inferenceid:string,inferencetime:string>' })]),
        }),
      }),
    });
    template.hasResourceProperties('AWS::Glue::Table', { TableInput: Match.objectLike({ Name: 'review_labels_fraud_detector' }) });
    for (const name of ['quality_capture_fraud_detector_dev', 'fraud_detector_ground_truth', 'review_labels_fraud_detector']) {
      template.hasResourceProperties('AWS::LakeFormation::PrincipalPermissions', {
        Permissions: ['SELECT', 'DESCRIBE'],
        Resource: { Table: Match.objectLike({ Name: name }) },
      });
    }
  });

  it('runs render → Athena (sync, encrypted workgroup with a scan limit) → evaluate on the schedule', () => {
    const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0] as { Properties: Record<string, unknown> };
    const definition = JSON.stringify(machine.Properties.DefinitionString);
    expect(definition).toContain('athena:startQueryExecution.sync');
    expect(definition.indexOf('RenderQuery')).toBeLessThan(definition.indexOf('JoinGroundTruth'));
    expect(definition.indexOf('JoinGroundTruth')).toBeLessThan(definition.indexOf('Evaluate'));
    expect(definition).toContain('QualityInputError');
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 day)' });
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 1_000_000_000,
        ResultConfiguration: Match.objectLike({ EncryptionConfiguration: Match.objectLike({ EncryptionOption: 'SSE_KMS' }) }),
      }),
    });
  });

  it('alarms on decay, on stale ground truth (missing reports breach) and on job failures, each with its failure mode', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Array<{ Properties: Record<string, unknown>; Metadata?: Record<string, unknown> }>;
    const stale = alarms.find((a) => JSON.stringify(a.Properties).includes('GroundTruthStale'))!;
    expect(stale.Properties.TreatMissingData).toBe('breaching');
    const decay = alarms.find((a) => JSON.stringify(a.Properties).includes('"QualityDecayed"'))!;
    expect(JSON.stringify(decay)).toContain('model-quality-decay');
    expect(JSON.stringify(stale)).toContain('ground-truth-stale');
  });

  it('can find the package each variant serves (contract B), read-only, and no longer lists the group\'s packages', () => {
    // GIVEN every statement attached to the quality function's role
    const roleId = Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.includes('QualityRole'))!;
    const statements = [...Object.values(template.findResources('AWS::IAM::ManagedPolicy')), ...Object.values(template.findResources('AWS::IAM::Policy'))]
      .filter((p) => JSON.stringify(p.Properties.Roles ?? []).includes(roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
    const arn = (resource: string) => `arn:aws:sagemaker:us-east-1:123456789012:${resource}`;
    // THEN the endpoint's current config, its models and their tags, and the model's packages can be read
    expect(isAllowed(statements, { action: 'sagemaker:DescribeEndpoint', resource: arn('endpoint/fraud-detector-dev') })).toBe(true);
    expect(isAllowed(statements, { action: 'sagemaker:DescribeEndpoint', resource: arn('endpoint/other-endpoint') })).toBe(false);
    expect(isAllowed(statements, { action: 'sagemaker:DescribeEndpointConfig', resource: arn('endpoint-config/fraud-detector-dev-v3-1a2b3c4d') })).toBe(true);
    for (const action of ['sagemaker:DescribeModel', 'sagemaker:ListTags']) {
      expect(isAllowed(statements, { action, resource: arn('model/fraud-detector-dev-primary-v3') })).toBe(true);
    }
    expect(isAllowed(statements, { action: 'sagemaker:DescribeModelPackage', resource: arn('model-package/fraud-detector/3') })).toBe(true);
    // AND it reads the previous run's evidence (the A/B totals), only that file
    const bucketArn = (Object.values(template.findResources('AWS::IAM::ManagedPolicy')).map((p) => JSON.stringify(p)).find((p) => p.includes('ReadPreviousEvidence')) ?? '');
    expect(bucketArn).toContain('/quality-evidence/fraud-detector-dev/latest.json');
    // AND nothing it does not need: no listing of the group's packages, no tag writes
    expect(isAllowed(statements, { action: 'sagemaker:ListModelPackages', resource: '*' })).toBe(false);
    expect(isAllowed(statements, { action: 'sagemaker:AddTags', resource: arn('model/fraud-detector-dev-primary-v3') })).toBe(false);
  });

  it('hands the job its settings: metric, floor, A/B test with default guardrails, prices', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function')).find((f) =>
      JSON.stringify(f).includes('model-quality'),
    ) as { Properties: { Environment: { Variables: { JOB: unknown } } } };
    const job = JSON.stringify(fn.Properties.Environment.Variables.JOB);
    expect(job).toContain('\\"primaryMetric\\":\\"auc\\"');
    expect(job).toContain('\\"floor\\":0.85');
    expect(job).toContain('\\"costPer1000Increase\\":0.2');
    expect(job).toContain('\\"pricePerHour\\":1.408');
    // the endpoint's capture sampling (not known for this imported endpoint: 100), to tell missing capture from a quiet window
    expect(job).toContain('\\"captureSamplingPercent\\":100');
  });

  it('tells the job the endpoint\'s capture sampling, and refuses an endpoint that captures nothing, naming the field', () => {
    const job = (percent: number) => {
      const stack = freshStack();
      monitorIn(stack, { endpoint: InferenceEndpoint.fromEndpointAttributes(stack, 'Imported', { endpointName: 'fraud-detector-dev', productionVariantNames: ['primary', 'challenger'], dataCaptureSamplingPercent: percent }) });
      const fn = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function')).find((f) => JSON.stringify(f).includes('model-quality')) as { Properties: { Environment: { Variables: { JOB: unknown } } } };
      // JOB is a join of text and tokens (bucket, database names): read it as text
      return JSON.stringify(fn.Properties.Environment.Variables.JOB);
    };
    expect(job(20)).toContain('\\"captureSamplingPercent\\":20');
    expect(() => job(0)).toThrow(/endpoint fraud-detector-dev records no requests \(dataCaptureSamplingPercent 0: data capture off/);
  });

  it('offers dashboard widgets for quality per variant, label coverage and cost per 1,000', () => {
    const widgets = monitorIn(freshStack()).widgets(['primary', 'challenger']).map((w) => JSON.stringify(w.toJson()));
    expect(widgets.join(' ')).toContain('quality per variant');
    expect(widgets.join(' ')).toContain('label coverage');
    expect(widgets.join(' ')).toContain('cost per 1,000');
  });

  it.each<[string, Partial<ModelQualityMonitorProps>, RegExp]>([
    ['no variants', { productionVariantNames: [] }, /productionVariantNames is empty/],
    ['an unsafe score path', { quality: { schedule: 'rate(1 day)', windowHours: 24, labelDelayHours: 0, problemType: 'regression', primaryMetric: 'mae', scorePath: "$.x'--", tolerance: 1, floor: 1 } }, /scorePath/],
    ['an A/B test with no challenger', { productionVariantNames: ['primary'] }, /quality\.abTest compares the champion with exactly one other variant; productionVariantNames has none besides "primary"/],
    ['an A/B test with two challengers', { productionVariantNames: ['primary', 'blue', 'green'] }, /exactly one other variant; productionVariantNames has 2 \(blue, green\)/],
    ['a champion that is not a variant', { quality: { schedule: 'rate(1 day)', windowHours: 24, labelDelayHours: 0, problemType: 'regression', primaryMetric: 'mae', scorePath: '$.y', tolerance: 1, floor: 1, abTest: { champion: 'blue', minimumEffect: 1 } } }, /champion "blue"/],
    ['a window shorter than the time between runs (predictions never judged)', { quality: { schedule: 'rate(1 day)', windowHours: 6, labelDelayHours: 0, problemType: 'regression', primaryMetric: 'mae', scorePath: '$.y', tolerance: 1, floor: 1 } }, /quality\.windowHours \(6\) is shorter than the time between runs of quality\.schedule \(rate\(1 day\)\).*at least 24/],
  ])('refuses %s at synth, naming the field', (_n, over, message) => {
    expect(() => monitorIn(freshStack(), over)).toThrow(message);
  });

  it('accepts windows that tile or overlap the runs, and a cron schedule (its period is not known at synth)', () => {
    const quality = { labelDelayHours: 0, problemType: 'regression' as const, primaryMetric: 'mae' as const, scorePath: '$.y', tolerance: 1, floor: 1 };
    for (const [schedule, windowHours] of [['rate(1 day)', 24], ['rate(6 hours)', 24], ['rate(30 minutes)', 1], ['cron(0 6 * * ? *)', 1]] as const) {
      expect(() => monitorIn(freshStack(), { productionVariantNames: ['primary'], quality: { ...quality, schedule, windowHours } })).not.toThrow();
    }
  });
});
