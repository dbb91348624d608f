import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { RemovalPolicy } from 'aws-cdk-lib';
import { modelConfigSchema } from '../../config/model-registry';
import { PlatformAlarmTopic } from '../../lib/alerting/platform-alarm-topic';
import { ModelDeployment } from '../../lib/model-registry/model-deployment';
import { ModelRegistry } from '../../lib/model-registry/model-registry';
import { InferenceEndpoint } from '../../lib/inference/inference-endpoint';
import { ModelExecution } from '../../lib/inference/model-execution';
import { PlatformNetwork } from '../../lib/network/platform-network';
import { AccessLogsBucket, SecureBucket } from '../../lib/storage/secure-bucket';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

const MODELS = [
  modelConfigSchema.parse({
    name: 'fraud-detector',
    endpointName: 'fraud-detector-dev',
    rollbackP99LatencyMs: 250,
    endpoint: { variants: [{ name: 'primary', instanceType: 'ml.g5.xlarge', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud:1.0.0' }] },
  }),
];

function deploymentIn(stack: Stack): { deployment: ModelDeployment; endpoint: InferenceEndpoint } {
  const logsKey = new kms.Key(stack, 'LogsKey', { enableKeyRotation: true });
  const modelsKey = new kms.Key(stack, 'ModelsKey', { enableKeyRotation: true });
  const network = new PlatformNetwork(stack, 'Network', { vpcCidr: '10.60.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'], logsKey });
  const registry = new ModelRegistry(stack, 'Registry', {
    models: MODELS,
    artifactsKey: modelsKey,
    serverAccessLogsBucket: new AccessLogsBucket(stack, 'AccessLogs').bucket,
  });
  const alarms = new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: logsKey });
  const capture = new SecureBucket(stack, 'Capture', { encryptionKey: modelsKey, serverAccessLogsBucket: registry.artifacts.bucket });
  const modelExecution = new ModelExecution(stack, 'ModelExecution', {
    vpc: network.vpc,
    modelsKey,
    artifactsBucket: registry.artifacts.bucket,
    captureBucket: capture.bucket,
    captureKey: modelsKey,
  });
  const endpoint = new InferenceEndpoint(stack, 'Endpoint', {
    endpointName: 'fraud-detector-dev',
    variants: [{ name: 'primary', instanceType: 'ml.g5.xlarge', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud:1.0.0' }],
    vpc: network.vpc,
    securityGroups: [modelExecution.securityGroup],
    executionRole: modelExecution.role,
    encryptionKey: modelsKey,
    dataCapture: { bucket: capture.bucket },
    p99LatencyMs: 250,
    alarmAction: alarms.alarmAction,
  });
  const deployment = new ModelDeployment(stack, 'Deployment', {
    registry,
    models: MODELS,
    modelExecution,
    rollbackAlarms: { 'fraud-detector': [endpoint.errorAlarm, endpoint.latencyAlarm] },
    vpc: network.vpc,
    modelsKey,
    logsKey,
    alarmTopic: alarms.topic,
    alarmAction: alarms.alarmAction,
    canaryPercent: 10,
    canaryWait: Duration.minutes(15),
    logRetention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.RETAIN,
    environmentName: 'dev',
  });
  return { deployment, endpoint };
}

describe('ModelDeployment', () => {
  const stack = new Stack(newApp({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S', { env: TEST_ENV });
  const { endpoint } = deploymentIn(stack);
  const template = Template.fromStack(stack);

  test('alone (with its network, registry, keys and alarm topic) it passes every nag pack and the validator', () => {
    const { findings } = synthAloneThroughGate((s) => deploymentIn(s));
    expect(findings).toEqual([]);
  });

  test('an approval in this account for a declared group, and only that, goes to the deployment queue', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.sagemaker'],
        'detail-type': ['SageMaker Model Package State Change'],
        account: [{ Ref: 'AWS::AccountId' }],
        detail: { ModelPackageGroupName: ['fraud-detector'], ModelApprovalStatus: ['Approved'] },
      },
      Targets: [Match.objectLike({ DeadLetterConfig: Match.anyValue() })],
    });
  });

  test('approvals wait in an encrypted queue and retry, so one that arrives mid-update is never lost', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      FifoQueue: true,
      ContentBasedDeduplication: true,
      KmsMasterKeyId: Match.anyValue(),
      RedrivePolicy: { maxReceiveCount: 25, deadLetterTargetArn: Match.anyValue() },
    });
    // One message group: deployments run one at a time, in approval order.
    template.hasResourceProperties('AWS::Events::Rule', { Targets: [Match.objectLike({ SqsParameters: { MessageGroupId: 'model-deployments' } })] });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 1, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    template.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 2, Runtime: 'nodejs24.x' });
  });

  test('the function gets the canary settings, the VPC for models, and the rollback alarms of each endpoint', () => {
    const fn = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { ReservedConcurrentExecutions: 2 } }))[0];
    const env = fn.Properties.Environment.Variables;
    expect(env.CANARY_PERCENT).toBe('10');
    expect(env.CANARY_WAIT_SECONDS).toBe('900');
    expect(Number(env.MAX_EXECUTION_TIMEOUT_SECONDS)).toBeGreaterThan(Number(env.CANARY_WAIT_SECONDS) + Number(env.TERMINATION_WAIT_SECONDS));
    expect(env.SUBNET_IDS).toBeDefined();
    const deployments = JSON.stringify(env.DEPLOYMENTS);
    for (const alarm of [endpoint.errorAlarm, endpoint.latencyAlarm]) {
      expect(deployments).toContain(stack.getLogicalId(alarm.node.defaultChild as never));
    }
  });

  test('the endpoint\'s 5xx and p99-latency alarms (budget in microseconds) are the rollback alarms', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SageMaker',
      MetricName: 'ModelLatency',
      ExtendedStatistic: 'p99',
      Threshold: 250_000,
      Dimensions: Match.arrayWith([{ Name: 'EndpointName', Value: 'fraud-detector-dev' }]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'AWS/SageMaker', MetricName: 'Invocation5XXErrors' });
  });

  test('the function may pass only the model role, only to SageMaker, and touch only its own endpoints', () => {
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'PassModelRole',
        Action: 'iam:PassRole',
        Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({ Sid: 'UpdateOwnEndpoints', Resource: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-detector-dev' }),
    );
  });

  test('only the deployer may write the approved artifact copies models are built from; it reads pins from the artifact bucket', () => {
    // GIVEN the artifact bucket's policy
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Record<string, any>[]); // eslint-disable-line @typescript-eslint/no-explicit-any
    const deny = statements.find((st) => st.Sid === 'OnlyTheDeployerWritesApprovedCopies');
    // THEN everyone but the deploy-model role is denied writing or deleting under approved/
    expect(deny).toMatchObject({ Effect: 'Deny', Principal: { AWS: '*' } });
    expect(deny!.Action).toEqual(expect.arrayContaining(['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion']));
    expect(JSON.stringify(deny!.Resource)).toContain('/approved/*');
    const roleId = Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.includes('DeploymentFunctionRole'));
    expect(deny!.Condition.ArnNotEquals['aws:PrincipalArn']).toEqual({ 'Fn::GetAtt': [roleId, 'Arn'] });
    // AND the function knows the bucket
    const fn = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { ReservedConcurrentExecutions: 2 } }))[0];
    expect(fn.Properties.Environment.Variables.ARTIFACT_BUCKET).toEqual({ Ref: expect.stringContaining('RegistryArtifacts') });
  });

  test('the deployment queue takes EventBridge messages from its own approval rule only, not from any rule in the account', () => {
    // GIVEN the queue policy of the deployment queue
    const queueId = Object.keys(template.findResources('AWS::SQS::Queue', { Properties: { ContentBasedDeduplication: true } }))[0];
    const ruleId = Object.keys(template.findResources('AWS::Events::Rule')).find((id) => id.includes('PackageApproved'));
    const policy = Object.values(template.findResources('AWS::SQS::QueuePolicy')).find((p) => JSON.stringify(p.Properties.Queues) === JSON.stringify([{ Ref: queueId }]));
    const statements = policy!.Properties.PolicyDocument.Statement as Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
    // THEN EventBridge is denied sending unless the source is that rule
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Principal: { Service: 'events.amazonaws.com' },
        Action: 'sqs:SendMessage',
        Condition: { ArnNotEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
      }),
    );
  });
});
