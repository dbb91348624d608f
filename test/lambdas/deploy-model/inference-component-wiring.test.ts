import type { VpcFunction } from '../../../lib/compute/vpc-function';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { modelConfigSchema } from '../../../config/model-registry';
import { parseDeployments } from '../../../lambdas/deploy-model/config';
import { PlatformAlarmTopic } from '../../../lib/alerting/platform-alarm-topic';
import { PlatformPermissionsBoundary } from '../../../lib/guardrails/permissions-boundary';
import { InferenceEndpoint } from '../../../lib/inference/inference-endpoint';
import { ModelExecution } from '../../../lib/inference/model-execution';
import { ModelDeployment } from '../../../lib/model-registry/model-deployment';
import { ModelRegistry } from '../../../lib/model-registry/model-registry';
import { PlatformNetwork } from '../../../lib/network/platform-network';
import { AccessLogsBucket, SecureBucket } from '../../../lib/storage/secure-bucket';
import { newApp, TEST_ENV } from '../../support/gate';
import { isAllowed, type Statement } from '../../support/iam-simulator';

/**
 * The CDK side of an inference-component rollout: the deploy function is told which component
 * serves the variant, may update that component and nothing else, and every call of that rollout
 * passes the permissions boundary.
 */
const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud:1.0.0';
const MODEL = modelConfigSchema.parse({
  name: 'fraud-detector',
  endpointName: 'fraud-detector-dev',
  endpoint: {
    variants: [
      { name: 'primary', instanceType: 'ml.g5.xlarge', image: IMAGE, scaling: { minCapacity: 0, maxCapacity: 2, target: 4 }, inferenceComponent: { acceleratorsPerCopy: 1, memoryPerCopyMiB: 8192 } },
    ],
  },
});
const ARN = (resource: string) => `arn:aws:sagemaker:us-east-1:123456789012:${resource}`;

/** Resolves the template tokens these statements use into concrete test values. */
function concrete(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(concrete);
  if (typeof value !== 'object' || value === null) return value;
  const v = value as Record<string, unknown>;
  const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': 'us-east-1', 'AWS::AccountId': '123456789012', 'AWS::URLSuffix': 'amazonaws.com' };
  if (typeof v.Ref === 'string') return pseudo[v.Ref] ?? `ref-${v.Ref}`;
  if (Array.isArray(v['Fn::GetAtt'])) return `getatt-${(v['Fn::GetAtt'] as string[]).join('.')}`;
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => String(concrete(p))).join(separator);
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, concrete(x)]));
}

describe('deploy-model wiring for a variant served by an inference component', () => {
  const stack = new Stack(newApp({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S', { env: TEST_ENV });
  const logsKey = new kms.Key(stack, 'LogsKey', { enableKeyRotation: true });
  const modelsKey = new kms.Key(stack, 'ModelsKey', { enableKeyRotation: true });
  const network = new PlatformNetwork(stack, 'Network', { vpcCidr: '10.61.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'], logsKey });
  const registry = new ModelRegistry(stack, 'Registry', { models: [MODEL], artifactsKey: modelsKey, serverAccessLogsBucket: new AccessLogsBucket(stack, 'AccessLogs').bucket });
  const alarms = new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: logsKey });
  const capture = new SecureBucket(stack, 'Capture', { encryptionKey: modelsKey, serverAccessLogsBucket: registry.artifacts.bucket });
  const modelExecution = new ModelExecution(stack, 'ModelExecution', { vpc: network.vpc, modelsKey, artifactsBucket: registry.artifacts.bucket, captureBucket: capture.bucket, captureKey: modelsKey });
  const endpoint = new InferenceEndpoint(stack, 'Endpoint', {
    endpointName: MODEL.endpointName,
    variants: MODEL.endpoint.variants,
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
    models: [MODEL],
    modelExecution,
    rollbackAlarms: { 'fraud-detector': [endpoint.errorAlarm, endpoint.latencyAlarm] },
    endpoints: { 'fraud-detector': endpoint },
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
  const boundary = new PlatformPermissionsBoundary(stack, 'Boundary');
  const template = Template.fromStack(stack);
  const statementsOf = (policy: iam.ManagedPolicy) => (concrete(stack.resolve(policy.document.toJSON())) as { Statement: Statement[] }).Statement;
  const functionStatements = statementsOf((deployment.node.findChild('Function') as VpcFunction).policy);
  const boundaryStatements = statementsOf(boundary.policy);
  /** Allowed by the function's policy and within the boundary. */
  const allowed = (action: string, resource: string, context: Record<string, string> = {}) =>
    isAllowed(functionStatements, { action, resource, context }) && isAllowed(boundaryStatements, { action, resource, context });

  test('the function is told which inference component serves the variant, and its loader accepts that contract', () => {
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: 'Plinth deploy-model: canary rollout of approved model versions' } }));
    const deployments = parseDeployments(String(concrete(fn!.Properties.Environment.Variables.DEPLOYMENTS)));
    expect(deployments).toEqual([
      expect.objectContaining({ modelPackageGroupName: 'fraud-detector', endpointName: 'fraud-detector-dev', variantName: 'primary', inferenceComponentName: 'fraud-detector-dev-primary' }),
    ]);
  });

  test('it may describe and update that inference component only', () => {
    expect(allowed('sagemaker:DescribeInferenceComponent', ARN('inference-component/fraud-detector-dev-primary'))).toBe(true);
    expect(allowed('sagemaker:UpdateInferenceComponent', ARN('inference-component/fraud-detector-dev-primary'))).toBe(true);
    expect(allowed('sagemaker:UpdateInferenceComponent', ARN('inference-component/churn-dev-primary'))).toBe(false);
    expect(allowed('sagemaker:DeleteInferenceComponent', ARN('inference-component/fraud-detector-dev-primary'))).toBe(false);
  });

  test('every call of the rollout passes the permissions boundary; a model without isolation or VPC still does not', () => {
    const model = ARN('model/fraud-detector-dev-primary-v3');
    const secure = { 'sagemaker:NetworkIsolation': 'true', 'sagemaker:VpcSubnets': 'subnet-0a', 'sagemaker:VpcSecurityGroupIds': 'sg-0a' };
    expect(allowed('sagemaker:CreateModel', model, secure)).toBe(true);
    expect(allowed('sagemaker:DescribeModel', model)).toBe(true);
    expect(allowed('sagemaker:AddTags', model)).toBe(true); // the rollback guard's tag
    expect(allowed('sagemaker:ListTags', model)).toBe(true);
    expect(allowed('sagemaker:DescribeEndpoint', ARN('endpoint/fraud-detector-dev'))).toBe(true);
    expect(allowed('sagemaker:CreateModel', model, { ...secure, 'sagemaker:NetworkIsolation': 'false' })).toBe(false);
    const { 'sagemaker:VpcSubnets': _subnets, ...outsideVpc } = secure;
    expect(allowed('sagemaker:CreateModel', model, outsideVpc)).toBe(false);
  });

  test('a model served by a plain variant gets no inference-component permission', () => {
    const plain = new Stack(newApp({ context: { 'aws:cdk:bundling-stacks': [] } }), 'P', { env: TEST_ENV });
    const key = new kms.Key(plain, 'Key', { enableKeyRotation: true });
    const net = new PlatformNetwork(plain, 'Network', { vpcCidr: '10.62.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'], logsKey: key });
    const reg = new ModelRegistry(plain, 'Registry', { models: [MODEL], artifactsKey: key, serverAccessLogsBucket: new AccessLogsBucket(plain, 'AccessLogs').bucket });
    const topic = new PlatformAlarmTopic(plain, 'Alarms', { encryptionKey: key });
    const exec = new ModelExecution(plain, 'ModelExecution', { vpc: net.vpc, modelsKey: key, artifactsBucket: reg.artifacts.bucket, captureBucket: reg.artifacts.bucket, captureKey: key });
    const alarm = cloudwatch.Alarm.fromAlarmArn(plain, 'Errors', 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:fraud-errors');
    new ModelDeployment(plain, 'Deployment', {
      registry: reg, models: [MODEL], modelExecution: exec, rollbackAlarms: { 'fraud-detector': [alarm] }, vpc: net.vpc, modelsKey: key, logsKey: key,
      alarmTopic: topic.topic, alarmAction: topic.alarmAction, canaryPercent: 10, canaryWait: Duration.minutes(15),
      logRetention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN, environmentName: 'dev',
    });
    expect(JSON.stringify(Template.fromStack(plain).toJSON())).not.toMatch(/InferenceComponent|inferenceComponentName/);
  });

  test('the endpoint describes itself to the constructs wired to it: variants, caps and the component serving each', () => {
    expect(endpoint.productionVariantNames).toEqual(['primary']);
    expect(endpoint.variantMaxCapacity).toEqual({ primary: 2 });
    expect(endpoint.inferenceComponentNameOf('primary')).toBe('fraud-detector-dev-primary');
    const imported = InferenceEndpoint.fromEndpointAttributes(stack, 'Imported', {
      endpointName: 'churn-dev',
      productionVariantNames: ['primary', 'b'],
      inferenceComponentVariants: ['b'],
    });
    expect(imported.inferenceComponentNameOf('primary')).toBeUndefined();
    expect(imported.inferenceComponentNameOf('b')).toBe('churn-dev-b');
    expect(imported.variantMaxCapacity).toEqual({});
    expect(() => InferenceEndpoint.fromEndpointAttributes(stack, 'NoVariants', { endpointName: 'x', productionVariantNames: [] })).toThrow(/productionVariantNames is empty/);
  });

  test('an endpoint that is not the one the model rolls onto fails synth, naming both', () => {
    const other = new Stack(newApp({ context: { 'aws:cdk:bundling-stacks': [] } }), 'O', { env: TEST_ENV });
    const key = new kms.Key(other, 'Key', { enableKeyRotation: true });
    const net = new PlatformNetwork(other, 'Network', { vpcCidr: '10.63.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'], logsKey: key });
    const reg = new ModelRegistry(other, 'Registry', { models: [MODEL], artifactsKey: key, serverAccessLogsBucket: new AccessLogsBucket(other, 'AccessLogs').bucket });
    const topic = new PlatformAlarmTopic(other, 'Alarms', { encryptionKey: key });
    const exec = new ModelExecution(other, 'ModelExecution', { vpc: net.vpc, modelsKey: key, artifactsBucket: reg.artifacts.bucket, captureBucket: reg.artifacts.bucket, captureKey: key });
    const wrong = InferenceEndpoint.fromEndpointAttributes(other, 'Wrong', { endpointName: 'churn-dev', productionVariantNames: ['primary'] });
    expect(
      () =>
        new ModelDeployment(other, 'Deployment', {
          registry: reg, models: [MODEL], modelExecution: exec, rollbackAlarms: { 'fraud-detector': [cloudwatch.Alarm.fromAlarmArn(other, 'Errors', 'arn:aws:cloudwatch:us-east-1:123456789012:alarm:fraud-errors')] }, endpoints: { 'fraud-detector': wrong }, vpc: net.vpc, modelsKey: key, logsKey: key,
          alarmTopic: topic.topic, alarmAction: topic.alarmAction, canaryPercent: 10, canaryWait: Duration.minutes(15),
          logRetention: logs.RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.RETAIN, environmentName: 'dev',
        }),
    ).toThrow(/endpoints\["fraud-detector"\] is endpoint "churn-dev" but models\[\]\.endpointName of "fraud-detector" is "fraud-detector-dev"/);
  });
});
