import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { modelConfigSchema } from '../../config/model-registry';
import { PlatformAlarmTopic } from '../../lib/alerting/platform-alarm-topic';
import { PlatformKeys } from '../../lib/keys/platform-keys';
import { ModelRegistry } from '../../lib/model-registry/model-registry';
import { failureModesOf } from '../../lib/monitoring/failure-modes';
import { PlatformNetwork } from '../../lib/network/platform-network';
import { AccessLogsBucket, SecureBucket } from '../../lib/storage/secure-bucket';
import { BatchInference, PREDICTION_COLUMNS } from '../../lib/training/batch-inference';
import type { BatchInferenceProps } from '../../lib/training/batch-inference-props';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

const MODEL = modelConfigSchema.parse({
  name: 'fraud-detector',
  endpointName: 'fraud-detector-dev',
  endpoint: { variants: [{ name: 'primary', instanceType: 'ml.g5.xlarge', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud:1.0.0' }] },
});

function batchInferenceIn(stack: Stack, overrides: Partial<BatchInferenceProps> = {}): BatchInference {
  const keys = new PlatformKeys(stack, 'Keys');
  const network = new PlatformNetwork(stack, 'Network', { vpcCidr: '10.63.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'], logsKey: keys.logs });
  const accessLogs = new AccessLogsBucket(stack, 'AccessLogs').bucket;
  const lake = new SecureBucket(stack, 'Lake', { encryptionKey: keys.dataLake, serverAccessLogsBucket: accessLogs });
  const registry = new ModelRegistry(stack, 'Registry', { models: [MODEL], artifactsKey: keys.models, serverAccessLogsBucket: accessLogs });
  const alarms = new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: keys.logs });
  const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
  return new BatchInference(stack, 'Batch', {
    modelName: MODEL.name,
    registry,
    artifactsBucket: registry.artifacts.bucket,
    modelsKey: keys.models,
    source: { bucket: lake.bucket, prefix: 'transactions/', key: keys.dataLake },
    outputBucket: lake.bucket,
    outputKey: keys.dataLake,
    database: { databaseName: 'plinth_lake' },
    readers: [reader],
    schedule: events.Schedule.cron({ minute: '30', hour: '1' }),
    instanceType: 'ml.m5.xlarge',
    vpc: network.vpc,
    logsKey: keys.logs,
    logRetention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.DESTROY,
    alarmAction: alarms,
    environmentName: 'test',
    ...overrides,
  });
}

/** The state machine definition with tokens replaced by "TOKEN". */
function definition(template: Template): { States: Record<string, any>; TimeoutSeconds: number } {
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  expect(machines).toHaveLength(1);
  const body = machines[0].Properties.DefinitionString;
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text);
}

describe('BatchInference', () => {
  let template: Template;
  let findings: unknown[];
  let construct: BatchInference;
  beforeAll(() => {
    const result = synthAloneThroughGate((stack) => {
      construct = batchInferenceIn(stack);
    });
    template = Template.fromStack(result.stack);
    findings = result.findings;
  });

  it('passes every nag pack and the CloudFormation validator alone in a stack', () => {
    expect(findings).toEqual([]);
  });

  it('plans, then creates a network-isolated model in the VPC from the Approved package the plan resolved (no package name in the template)', () => {
    const def = definition(template);
    const plan = def.States.Plan;
    expect(plan.Parameters).toEqual({ action: 'plan', 'runId.$': '$$.Execution.Name', 'time.$': '$$.Execution.StartTime' });
    expect(plan.Next).toBe('AnythingToScore');
    expect(def.States.AnythingToScore.Choices[0]).toMatchObject({ Variable: '$.plan.status', StringEquals: 'ready', Next: 'CreateModel' });
    const create = def.States.CreateModel.Parameters;
    expect(create.PrimaryContainer).toEqual({ 'ModelPackageName.$': '$.plan.modelPackageArn' });
    expect(create.EnableNetworkIsolation).toBe(true);
    expect(create.VpcConfig.Subnets.length).toBe(2);
    expect(JSON.stringify(def)).not.toMatch(/model-package\/fraud-detector\/\d/);
    // A model that cannot be created gives the run's claims back at once and fails the run
    expect(def.States.CreateModel.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'ReleaseClaims' }]);
    const release = def.States.ReleaseClaims;
    expect(release.ItemsPath).toBe('$.plan.partitions');
    expect(release.ItemProcessor.States.ReleaseClaim.Parameters).toMatchObject({ action: 'release', 'partition.$': '$.partition' });
    expect(release.Next).toBe('ModelNotCreated');
    expect(def.States.ModelNotCreated).toMatchObject({ Type: 'Fail', Error: 'BatchInferenceFailed' });
  });

  it('transforms one partition at a time with KMS on volume and output, then publishes; failures release the partition and fail the run', () => {
    const def = definition(template);
    const map = def.States.ScorePartitions;
    expect(map.MaxConcurrency).toBe(1);
    expect(map.ItemsPath).toBe('$.plan.partitions');
    const states = map.ItemProcessor.States;
    const t = states.Transform;
    expect(t.Resource).toBe('arn:TOKEN:states:::sagemaker:createTransformJob.sync');
    expect(t.Parameters.TransformResources).toEqual({ InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeKmsKeyId: 'TOKEN' });
    expect(t.Parameters.TransformOutput).toMatchObject({ AssembleWith: 'Line', KmsKeyId: 'TOKEN', 'S3OutputPath.$': '$.partition.stagingUri' });
    expect(t.Parameters.TransformInput).toMatchObject({ SplitType: 'Line', ContentType: 'application/jsonlines' });
    expect(t.Next).toBe('Publish');
    expect(t.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Release' }]);
    expect(states.Publish.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Release' }]);
    expect(states.Publish.Retry).toContainEqual({ ErrorEquals: ['BatchInferenceInputError', 'ConservationError', 'ClaimLostError'], MaxAttempts: 0 });
    expect(states.Release.Parameters).toMatchObject({ action: 'release' });
    expect(states.Release.Next).toBe('PartitionFailed');
    expect(def.States.CountFailures.Parameters['anyFailed.$']).toBe("States.ArrayContains($.results, 'failed')");
    expect(def.States.AllScored.Choices[0]).toMatchObject({ Variable: '$.anyFailed', BooleanEquals: true, Next: 'PartitionsFailed' });
    expect(def.States.PartitionsFailed.Type).toBe('Fail');
    // 4 partitions × 1 h + 30 min; the function's stale-claim timeout is the same
    expect(def.TimeoutSeconds).toBe(4 * 3600 + 1800);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ CLAIM_TIMEOUT_MINUTES: '270', LOOKBACK_DAYS: '7', MAX_PARTITIONS: '4', OUTPUT_PREFIX: 'predictions/fraud-detector/', SOURCE_PREFIX: 'transactions/' }) },
    });
  });

  it('tracks partitions in an encrypted table with point-in-time recovery', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'partition', KeyType: 'HASH' }],
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('registers the predictions table under predictions/<model>/ with lineage columns, and grants readers through Lake Formation', () => {
    template.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: 'plinth_lake',
      TableInput: Match.objectLike({
        Name: 'predictions_fraud_detector',
        PartitionKeys: [Match.objectLike({ Name: 'input_partition' })],
        StorageDescriptor: Match.objectLike({ Columns: PREDICTION_COLUMNS.map((c) => Match.objectLike({ Name: c.name, Type: c.type })) }),
      }),
    });
    expect(PREDICTION_COLUMNS.map((c) => c.name)).toEqual(expect.arrayContaining(['model_package_version', 'run_id', 'input_key']));
    template.hasResourceProperties('AWS::LakeFormation::PrincipalPermissions', {
      Permissions: ['SELECT', 'DESCRIBE'],
      Resource: { Table: Match.objectLike({ DatabaseName: 'plinth_lake', Name: 'predictions_fraud_detector' }) },
    });
  });

  it('the job role passes only the model role, to SageMaker; the model role cannot write predictions', () => {
    const policies = template.findResources('AWS::IAM::ManagedPolicy');
    const statements = Object.entries(policies).flatMap(([id, p]) => p.Properties.PolicyDocument.Statement.map((s: any) => ({ id, ...s })));
    const passes = statements.filter((s) => [s.Action].flat().includes('iam:PassRole'));
    expect(passes).toHaveLength(1);
    expect(passes[0].Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } });
    const modelWrites = statements.filter((s) => s.id.startsWith('BatchModelPolicy') && [s.Action].flat().includes('s3:PutObject'));
    expect(modelWrites.map((s) => s.Sid)).toEqual(['WriteStaging']);
    expect(JSON.stringify(modelWrites[0].Resource)).toContain('batch-inference-staging/fraud-detector/*');
  });

  it('alarms on failed, timed-out and aborted runs through the failure-mode catalogue', () => {
    expect(failureModesOf(construct.failedAlarm)).toEqual(['batch-inference-failed']);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmDescription: Match.stringLikeRegexp('Runbook: docs/runbooks/batch-inference-failed.md') });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(30 1 * * ? *)' });
  });

  it('sweeps 30 days before the window for late objects and alarms on the late objects a run did not claim', () => {
    template.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ LOOKBACK_DAYS: '7', LATE_HORIZON_DAYS: '30' }) } });
    expect(failureModesOf(construct.lateInputAlarm)).toEqual(['batch-inference-late-input']);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Plinth/BatchInference',
      MetricName: 'LateObjectsUnscored',
      Dimensions: [{ Name: 'Model', Value: 'fraud-detector' }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmDescription: Match.stringLikeRegexp('Runbook: docs/runbooks/batch-inference-late-input.md'),
      // between runs there is no datapoint: the alarm stays as the last run left it, not OK after an hour
      TreatMissingData: 'ignore',
    });
    // The run reads a tracking item to tell a late partition already scored from one left unscored
    const policies = { ...template.findResources('AWS::IAM::Policy'), ...template.findResources('AWS::IAM::ManagedPolicy') };
    const track = Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement).find((st: any) => st.Sid === 'TrackPartitions');
    expect([track.Action].flat()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem']);
  });
});

describe('BatchInference.grantStartRun', () => {
  it('lets a role start and follow runs of this job, and nothing else of it', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    const batch = batchInferenceIn(stack);
    const operator = new iam.Role(stack, 'Operator', { assumedBy: new iam.AccountRootPrincipal() });
    batch.grantStartRun(operator);
    const template = Template.fromStack(stack);
    const machineId = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'))[0];
    const operatorId = Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.startsWith('Operator'))!;
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: operatorId }]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as any[]);
    const start = statements.find((st) => [st.Action].flat().includes('states:StartExecution'));
    expect(start.Resource).toEqual({ Ref: machineId });
    expect(statements.flatMap((st) => [st.Action].flat()).every((a: string) => a.startsWith('states:'))).toBe(true);
  });
});

describe('BatchInference props', () => {
  const build = (overrides: Partial<BatchInferenceProps>) => () => batchInferenceIn(new Stack(newApp(), 'S', { env: TEST_ENV }), overrides);
  it.each<[Partial<BatchInferenceProps>, RegExp]>([
    [{ instanceType: 'm5.xlarge' }, /instanceType "m5.xlarge" is not a SageMaker instance type/],
    [{ instanceCount: 0 }, /instanceCount must be an integer 1-20/],
    [{ maxPartitionsPerRun: 41 }, /maxPartitionsPerRun must be an integer 1-40/],
    [{ maxPayloadMb: 101 }, /maxPayloadMb must be an integer 1-100/],
    [{ lookback: Duration.hours(2) }, /lookback must be 1-400 days/],
    [{ lateArrivalHorizon: Duration.hours(36) }, /lateArrivalHorizon must be whole days, 1-400 \(got 1.5\)/],
    [{ lateArrivalHorizon: Duration.days(401) }, /lateArrivalHorizon must be whole days, 1-400/],
    [{ partitionTimeout: Duration.minutes(1) }, /partitionTimeout must be 5 minutes to 48 hours/],
    [{ modelName: 'Fraud_Detector' }, /modelName "Fraud_Detector" must be lower-case/],
  ])('refuses %j', (overrides, message) => {
    expect(build(overrides)).toThrow(message);
  });
  it('refuses a source prefix without a trailing slash', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    expect(() =>
      batchInferenceIn(stack, { source: { bucket: { bucketArn: 'x' } as never, prefix: 'transactions', key: { keyArn: 'k' } as never } }),
    ).toThrow(/source.prefix "transactions" must be a key prefix ending in "\/"/);
  });
});
