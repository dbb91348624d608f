import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { driftFeatures, modelConfigSchema, type ModelConfig } from '../../config/model-registry';
import { PlatformAlarmTopic } from '../../lib/alerting/platform-alarm-topic';
import { PlatformKeys } from '../../lib/keys/platform-keys';
import { DriftRetraining } from '../../lib/drift/drift-retraining';
import { isAllowed, type Statement } from '../support/iam-simulator';
import { ModelDriftMonitor } from '../../lib/drift/model-drift-monitor';
import { InferenceEndpoint } from '../../lib/inference/inference-endpoint';
import { ModelRegistry } from '../../lib/model-registry/model-registry';
import { PlatformNetwork } from '../../lib/network/platform-network';
import { AccessLogsBucket, SecureBucket } from '../../lib/storage/secure-bucket';
import { newApp, synthAloneThroughGate } from '../support/gate';

const MODEL: ModelConfig = modelConfigSchema.parse({
  name: 'fraud-detector',
  endpointName: 'fraud-detector-dev',
  endpoint: { variants: [{ name: 'primary', instanceType: 'ml.g5.xlarge', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud:1.0.0' }] },
  drift: {
    schedule: 'rate(6 hours)',
    windowHours: 24,
    retrainingPipelineName: 'fraud-detector-retraining',
    debounceMinutes: 720,
    features: [
      { name: 'amount', type: 'numeric' },
      { name: 'currency', type: 'categorical' },
    ],
  },
});

function driftLoopIn(stack: Stack): { monitor: ModelDriftMonitor; retraining: DriftRetraining } {
  const keys = new PlatformKeys(stack, 'Keys');
  const { logs: logsKey, dataLake: lakeKey, models: modelsKey } = keys;
  const network = new PlatformNetwork(stack, 'Network', { vpcCidr: '10.61.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'], logsKey });
  const accessLogs = new AccessLogsBucket(stack, 'AccessLogs').bucket;
  const capture = new SecureBucket(stack, 'Capture', { encryptionKey: lakeKey, serverAccessLogsBucket: accessLogs });
  const registry = new ModelRegistry(stack, 'Registry', { models: [MODEL], artifactsKey: modelsKey, serverAccessLogsBucket: accessLogs });
  const alarms = new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: logsKey });
  const common = {
    vpc: network.vpc,
    logsKey,
    logRetention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.DESTROY,
    alarmAction: alarms,
    environmentName: 'test',
  };
  const monitor = new ModelDriftMonitor(stack, 'Drift', {
    endpoint: InferenceEndpoint.fromEndpointAttributes(stack, 'Endpoint', { endpointName: MODEL.endpointName, productionVariantNames: ['primary'], dataCaptureSamplingPercent: 20 }),
    features: driftFeatures(MODEL),
    drift: MODEL.drift!,
    captureBucket: capture.bucket,
    captureKey: lakeKey,
    database: { databaseName: 'plinth_lake' },
    bytesScannedCutoffPerQuery: 1_000_000_000,
    servedModel: { modelPackageGroupName: MODEL.name, variantName: 'primary' },
    ...common,
  });
  const retraining = new DriftRetraining(stack, 'Retraining', {
    models: [{ modelPackageGroupName: MODEL.name, endpointName: MODEL.endpointName, features: driftFeatures(MODEL), drift: MODEL.drift! }],
    registry,
    baselineBucket: capture.bucket,
    baselineKey: lakeKey,
    trainingSampleBucket: registry.artifacts.bucket,
    trainingSampleKey: modelsKey,
    encryptionKey: modelsKey,
    ...common,
  });
  return { monitor, retraining };
}

/**
 * ModelDriftMonitors alone in `stack` (keys, network, capture bucket, alarm topic), each on endpoint
 * m-dev (one variant, primary) capturing `samplingPercent` of its requests: a factory, so one stack
 * can hold several.
 */
function standaloneMonitors(
  stack: Stack,
  samplingPercent: number,
): (id: string, servedModel?: { modelPackageGroupName: string; variantName: string }, drift?: Partial<NonNullable<typeof MODEL.drift>>) => ModelDriftMonitor {
  const keys = new PlatformKeys(stack, 'Keys');
  const network = new PlatformNetwork(stack, 'Network', { vpcCidr: '10.62.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'], logsKey: keys.logs });
  const capture = new SecureBucket(stack, 'Capture', { encryptionKey: keys.dataLake, serverAccessLogsBucket: new AccessLogsBucket(stack, 'AccessLogs').bucket });
  const endpoint = InferenceEndpoint.fromEndpointAttributes(stack, 'Endpoint', { endpointName: 'm-dev', productionVariantNames: ['primary'], dataCaptureSamplingPercent: samplingPercent });
  const alarms = new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: keys.logs });
  return (id, servedModel, drift = {}) =>
    new ModelDriftMonitor(stack, id, {
      endpoint,
      features: driftFeatures(MODEL),
      drift: { ...MODEL.drift!, ...drift },
      captureBucket: capture.bucket,
      captureKey: keys.dataLake,
      database: { databaseName: 'plinth_lake' },
      bytesScannedCutoffPerQuery: 1_000_000_000,
      ...(servedModel ? { servedModel } : {}),
      vpc: network.vpc,
      logsKey: keys.logs,
      logRetention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
      alarmAction: alarms,
      environmentName: 'test',
    });
}

describe('drift loop constructs', () => {
  let template: Template;
  let findings: unknown[];
  beforeAll(() => {
    const result = synthAloneThroughGate((stack) => driftLoopIn(stack));
    template = Template.fromStack(result.stack);
    findings = result.findings;
  });

  /** The statements of a role, by Sid, as text (resources are CloudFormation expressions). */
  function statementsOf(rolePart: string): Record<string, string> {
    const roleId = Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.includes(rolePart))!;
    return Object.fromEntries(
      [...Object.values(template.findResources('AWS::IAM::ManagedPolicy')), ...Object.values(template.findResources('AWS::IAM::Policy'))]
        .filter((p) => JSON.stringify(p.Properties.Roles ?? []).includes(roleId))
        .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Sid: string }>)
        .map((st) => [st.Sid, JSON.stringify(st)]),
    );
  }

  it('pass every nag pack and the CloudFormation validator alone in a stack', () => {
    expect(findings).toEqual([]);
  });

  it('the baseline job annotates packages but can never change their approval (only the approver can)', () => {
    // GIVEN every statement attached to the baseline function's role
    const roleId = Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.includes('BaselineRole'))!;
    const statements = [...Object.values(template.findResources('AWS::IAM::ManagedPolicy')), ...Object.values(template.findResources('AWS::IAM::Policy'))]
      .filter((p) => JSON.stringify(p.Properties.Roles ?? []).includes(roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
    const resource = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud-detector/3';
    // WHEN it annotates a package, THEN allowed; WHEN it sets any approval status, THEN denied
    expect(isAllowed(statements, { action: 'sagemaker:UpdateModelPackage', resource })).toBe(true);
    for (const status of ['Approved', 'Rejected', 'PendingManualApproval']) {
      expect(isAllowed(statements, { action: 'sagemaker:UpdateModelPackage', resource, context: { 'sagemaker:ModelApprovalStatus': status } })).toBe(false);
    }
  });

  it('the baseline job can tell a baseline not yet written (404, not 403: it HEADs its own object before every build)', () => {
    const roleId = Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.includes('BaselineRole'))!;
    const statements = [...Object.values(template.findResources('AWS::IAM::ManagedPolicy')), ...Object.values(template.findResources('AWS::IAM::Policy'))]
      .filter((p) => JSON.stringify(p.Properties.Roles ?? []).includes(roleId))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Sid?: string; Action: unknown; Resource: unknown }>);
    const captureId = Object.keys(template.findResources('AWS::S3::Bucket')).find((id) => id.startsWith('Capture'))!;
    const list = statements.find((st) => st.Sid === 'TellMissingBaselines');
    expect(list).toMatchObject({ Action: 's3:ListBucket', Resource: { 'Fn::GetAtt': [captureId, 'Arn'] } });
  });

  it('the drift job reads the baseline of the version the variant serves: it may find the served model and read any baseline of its endpoint', () => {
    const query = statementsOf('DriftQueryRole');
    expect(query.FindServedModel).toMatch(/"Action":"sagemaker:DescribeEndpoint".*endpoint\/fraud-detector-dev/);
    expect(query.ReadServedConfig).toMatch(/"Action":"sagemaker:DescribeEndpointConfig".*endpoint-config\/\*/);
    expect(query.FindServedPackage).toMatch(/"Action":\["sagemaker:DescribeModel","sagemaker:ListTags"\].*:model\/\*/);
    // current.json and every <group>-v<version>.json of this endpoint, for both functions
    for (const statements of [query, statementsOf('DriftStatisticsRole')]) expect(statements.ReadBaseline).toContain('/drift-baselines/fraud-detector-dev/*');
    expect(query.TellMissingBaseline).toContain('"StringLike":{"s3:prefix":"drift-baselines/fraud-detector-dev/*"}');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ BASELINE_KEY: 'drift-baselines/fraud-detector-dev/current.json', MODEL_PACKAGE_GROUP: 'fraud-detector', MODEL_VARIANT: 'primary' }) },
    });
  });

  it('register the capture as a partition-projected table of the endpoint\'s production variants', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: 'plinth_lake',
      TableInput: Match.objectLike({
        Name: 'capture_fraud_detector_dev',
        PartitionKeys: [Match.objectLike({ Name: 'variant' }), Match.objectLike({ Name: 'capture_hour' })],
        Parameters: Match.objectLike({
          'projection.variant.values': 'primary',
          'projection.capture_hour.format': 'yyyy/MM/dd/HH',
          'projection.capture_hour.interval.unit': 'HOURS',
        }),
      }),
    });
  });

  it('grants the job role read on the capture table through Lake Formation', () => {
    template.hasResourceProperties('AWS::LakeFormation::PrincipalPermissions', {
      Permissions: ['SELECT', 'DESCRIBE'],
      Resource: { Table: Match.objectLike({ DatabaseName: 'plinth_lake', Name: 'capture_fraud_detector_dev' }) },
    });
  });

  it('runs query → Athena (sync) → statistics on the configured schedule, logged and traced', () => {
    const machines = template.findResources('AWS::StepFunctions::StateMachine');
    expect(Object.keys(machines)).toHaveLength(1);
    const machine = Object.values(machines)[0] as { Properties: Record<string, unknown> };
    const definition = JSON.stringify(machine.Properties.DefinitionString);
    expect(definition).toContain('athena:startQueryExecution.sync');
    expect(definition.indexOf('BuildQuery')).toBeLessThan(definition.indexOf('CountBins'));
    expect(definition.indexOf('CountBins')).toBeLessThan(definition.indexOf('Evaluate'));
    // Malformed input and a missing baseline are not retried; everything else is.
    expect(definition).toMatch(/DriftInputError.*BaselineMissing/);
    expect(machine.Properties).toMatchObject({ TracingConfiguration: { Enabled: true }, LoggingConfiguration: { Level: 'ALL' } });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(6 hours)' });
  });

  it('uses an encrypted workgroup with a scan limit for the drift query', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 1_000_000_000,
        ResultConfiguration: Match.objectLike({ EncryptionConfiguration: Match.objectLike({ EncryptionOption: 'SSE_KMS' }) }),
      }),
    });
  });

  it('passes thresholds and the minimum sample size from config to the statistics step', () => {
    const definition = JSON.stringify(Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0]);
    expect(definition).toContain('\\"psi\\":0.2');
    expect(definition).toContain('\\"minSamples\\":100');
  });

  it('starts retraining from Model Drift Detected for the configured endpoints, with a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ source: ['plinth.drift', 'plinth.quality'], 'detail-type': ['Model Drift Detected', 'Model Quality Decayed'], detail: { endpointName: ['fraud-detector-dev'] } }),
      Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue(), RetryPolicy: Match.objectLike({ MaximumRetryAttempts: 8 }) })],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('retrain-trigger'),
      Environment: {
        Variables: Match.objectLike({
          PIPELINES: JSON.stringify({ 'fraud-detector-dev': { pipelineName: 'fraud-detector-retraining', debounceMinutes: 720 } }),
          DEBOUNCE_MINUTES: '720',
        }),
      },
    });
  });

  it('builds a baseline when a package of a drift-watched group is approved', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        source: ['aws.sagemaker'],
        detail: { ModelPackageGroupName: ['fraud-detector'], ModelApprovalStatus: ['Approved'] },
      }),
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('drift-baseline'),
      Environment: {
        Variables: Match.objectLike({
          BASELINE_PREFIX: 'drift-baselines/',
          MODELS: Match.stringLikeRegexp('"endpointName":"fraud-detector-dev"'),
          // samples are read only from the registry's artifact bucket (#20 finding 9)
          TRAINING_SAMPLE_BUCKET: { Ref: Match.stringLikeRegexp('^RegistryArtifacts') },
        }),
      },
    });
  });

  it('keeps the debounce lock in an encrypted table with TTL', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'endpointName', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
    });
  });

  it('alarms on drift, on failed drift jobs, on undelivered drift events and on failed baselines', () => {
    const descriptions = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (a) => (a as { Properties: { AlarmDescription: string } }).Properties.AlarmDescription,
    );
    expect(descriptions.some((d) => d.includes('drifted') && d.includes('docs/runbooks/drift-detected.md'))).toBe(true);
    expect(descriptions.some((d) => d.includes('drift job') && d.includes('docs/runbooks/drift-loop-broken.md'))).toBe(true);
    expect(descriptions.some((d) => d.includes('dead-letter'))).toBe(true);
    expect(descriptions.some((d) => d.includes('no drift baseline'))).toBe(true);
  });

  it('alarms when the drift job stops evaluating: no DriftEvaluations in twice the schedule is broken, not "no drift"', () => {
    // GIVEN the job runs every 6 hours and drift-stats publishes DriftEvaluations = 1 per run (dimension Endpoint)
    // THEN an alarm watches that heartbeat over 12 hours, and missing data breaches
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Plinth/Drift',
      MetricName: 'DriftEvaluations',
      Dimensions: [{ Name: 'Endpoint', Value: MODEL.endpointName }],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 12,
      DatapointsToAlarm: 12,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmDescription: Match.stringLikeRegexp('Runbook: docs/runbooks/drift-loop-broken.md'),
    });
  });

  it('alarms when the job is blind: every feature lacked data while the endpoint served enough requests (DriftBlind), not "no drift"', () => {
    // GIVEN the statistics step is told the endpoint's production variants and capture sampling (20%)
    const definition = JSON.stringify(Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0]);
    expect(definition).toContain('\\"traffic\\":{\\"variants\\":[\\"primary\\"],\\"samplingPercent\\":20}');
    // AND may read the endpoint's Invocations
    const statistics = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).find((p) =>
      JSON.stringify(p).includes('PublishDriftEvents'),
    ) as { Properties: { PolicyDocument: { Statement: Statement[] } } };
    expect(statistics.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Sid: 'CountEndpointRequests', Action: 'cloudwatch:GetMetricData', Resource: '*', Effect: 'Allow' }),
    );
    // THEN an alarm fires on the first blind run; a run that did not happen is DriftJobSilent's
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Test-DriftBlind-fraud-detector-dev',
      Namespace: 'Plinth/Drift',
      MetricName: 'DriftBlind',
      Dimensions: [{ Name: 'Endpoint', Value: MODEL.endpointName }],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmDescription: Match.stringLikeRegexp('Runbook: docs/runbooks/drift-blind.md'),
    });
  });

  it('keeps a coverage record: the query reads it (a missing one is NoSuchKey), only the statistics step writes it, after evaluating; skipped hours alarm', () => {
    const key = 'drift-coverage/fraud-detector-dev.json';
    const query = statementsOf('DriftQueryRole');
    const statistics = statementsOf('DriftStatisticsRole');
    // GIVEN the query function's grants: read exactly the record, and list exactly its key
    expect(query.ReadCoverage).toMatch(new RegExp(`"Action":\\["s3:GetObject","s3:GetObjectVersion"\\].*"/${key}"`));
    expect(query.TellMissingCoverage).toContain(`"StringEquals":{"s3:prefix":"${key}"}`);
    expect(Object.values(query).join('\n')).not.toContain('s3:PutObject');
    // AND the statistics function's: write exactly the record, encrypted with the capture bucket's key
    expect(statistics.RecordCoverage).toMatch(new RegExp(`"Action":\\["s3:AbortMultipartUpload","s3:PutObject"\\].*"/${key}"`));
    expect(statistics.EncryptCoverage).toContain('kms:GenerateDataKey');
    expect(Object.entries(statistics).filter(([, st]) => st.includes('s3:PutObject')).map(([sid]) => sid)).toEqual(['RecordCoverage']);
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ COVERAGE_KEY: key }) } });
    // AND the job hands the query's coverage to the statistics step
    const definition = JSON.stringify(Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0]);
    expect(definition).toContain('\\"coverage.$\\":\\"$.query.coverage\\"');
    // THEN hours no run evaluated, and none will, alarm on the first run that counts them
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'Test-DriftWindowGap-fraud-detector-dev',
      Namespace: 'Plinth/Drift',
      MetricName: 'CaptureHoursSkipped',
      Dimensions: [{ Name: 'Endpoint', Value: MODEL.endpointName }],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
      AlarmDescription: Match.stringLikeRegexp('Runbook: docs/runbooks/drift-loop-broken.md'),
    });
  });

  it('refuses to watch an endpoint whose data capture records nothing (capture off, or sampling 0%), naming the field', () => {
    const monitor = standaloneMonitors(new Stack(newApp(), 'Blind'), 0);
    expect(() => monitor('Drift')).toThrow(/endpoint m-dev records no requests \(dataCaptureSamplingPercent 0: data capture off/);
  });

  it('ends each window the capture settle time before the run: 15 minutes unless configured, and refuses a bad one, naming the field', () => {
    const stack = new Stack(newApp(), 'Settle');
    const monitor = standaloneMonitors(stack, 100);
    const { captureSettleMinutes: _omitted, ...withoutSettle } = MODEL.drift!;
    expect(monitor('Default', undefined, withoutSettle).captureSettleMinutes).toBe(15);
    expect(monitor('Custom', undefined, { captureSettleMinutes: 40 }).captureSettleMinutes).toBe(40);
    const variables = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'))
      .map((f) => f.Properties.Environment?.Variables ?? {})
      .filter((v) => v.WINDOW_HOURS !== undefined);
    expect(variables.map((v) => v.CAPTURE_SETTLE_MINUTES).sort()).toEqual(['15', '40']);
    for (const bad of [-1, 2.5, 1441]) {
      expect(() => monitor(`Bad${String(bad).replace(/\W/g, '')}`, undefined, { captureSettleMinutes: bad })).toThrow(
        new RegExp(`drift.captureSettleMinutes must be a whole number of minutes, 0 to 1440 \\(got ${String(bad).replace('.', '\\.')}\\)`),
      );
    }
  });

  it('refuses a served model on a variant the endpoint does not have, or a group that is not a SageMaker name, naming the field', () => {
    const monitor = standaloneMonitors(new Stack(newApp(), 'Served'), 100);
    expect(() => monitor('A', { modelPackageGroupName: 'm', variantName: 'challenger' })).toThrow(/servedModel.variantName "challenger" is not a production variant of m-dev \(primary\)/);
    expect(() => monitor('B', { modelPackageGroupName: 'm_1', variantName: 'primary' })).toThrow(/servedModel.modelPackageGroupName "m_1" is not a SageMaker name/);
  });
});

describe('drift config', () => {
  const base = {
    name: 'm',
    endpointName: 'm-dev',
    endpoint: { variants: [{ name: 'primary', instanceType: 'ml.g5.xlarge', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1' }] },
  };
  const drift = { schedule: 'rate(1 hour)', windowHours: 24, retrainingPipelineName: 'm-retraining' };

  it('derives the watched features from the gateway\'s input features', () => {
    const model = modelConfigSchema.parse({
      ...base,
      drift,
      gateway: {
        fallback: { type: 'default', prediction: {}, confidence: 0 },
        confidenceThreshold: 0.5,
        inputFeatures: [
          { name: 'amount', type: 'number' },
          { name: 'card_present', type: 'boolean' },
          { name: 'currency', type: 'string' },
        ],
      },
      review: { slaMinutes: 60, allowedLabels: ['a'] },
    });
    expect(driftFeatures(model)).toEqual([
      { name: 'amount', type: 'numeric' },
      { name: 'card_present', type: 'categorical' },
      { name: 'currency', type: 'categorical' },
    ]);
  });

  it('rejects drift without features to watch, SQL-unsafe names and bad schedules, naming the field', () => {
    expect(() => modelConfigSchema.parse({ ...base, drift })).toThrow(/drift needs features/);
    expect(() => modelConfigSchema.parse({ ...base, drift: { ...drift, features: [{ name: 'amount; DROP', type: 'numeric' }] } })).toThrow(/SQL-safe/);
    expect(() => modelConfigSchema.parse({ ...base, drift: { ...drift, features: [{ name: 'a', type: 'numeric' }], schedule: 'every hour' } })).toThrow(/schedule expression/);
    expect(() => modelConfigSchema.parse({ ...base, drift: { ...drift, features: [{ name: 'a', type: 'numeric' }], captureSettleMinutes: 1441 } })).toThrow(/captureSettleMinutes can be at most 1440/);
    expect(() => modelConfigSchema.parse({ ...base, drift: { ...drift, features: [{ name: 'a', type: 'numeric' }], captureSettleMinutes: -1 } })).toThrow();
    expect(modelConfigSchema.parse({ ...base, drift: { ...drift, features: [{ name: 'a', type: 'numeric' }] } }).drift?.captureSettleMinutes).toBe(15);
  });
});
