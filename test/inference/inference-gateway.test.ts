import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { PlatformAlarmTopic } from '../../lib/alerting/platform-alarm-topic';
import { InferenceEndpoint } from '../../lib/inference/inference-endpoint';
import { InferenceGateway } from '../../lib/inference/inference-gateway';
import { failureModesOf } from '../../lib/monitoring/failure-modes';
import { PlatformNetwork } from '../../lib/network/platform-network';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';
import { isAllowed, type Statement } from '../support/iam-simulator';

function gatewayIn(stack: Stack): InferenceGateway {
  const logsKey = new kms.Key(stack, 'LogsKey', { enableKeyRotation: true });
  const key = new kms.Key(stack, 'ModelsKey', { enableKeyRotation: true });
  const network = new PlatformNetwork(stack, 'Network', { vpcCidr: '10.90.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'], logsKey });
  const reviewDlq = new sqs.Queue(stack, 'ReviewDlq', { encryptionMasterKey: key, enforceSSL: true });
  const reviewQueue = new sqs.Queue(stack, 'ReviewQueue', { encryptionMasterKey: key, enforceSSL: true, deadLetterQueue: { queue: reviewDlq, maxReceiveCount: 3 } });
  return new InferenceGateway(stack, 'Gateway', {
    modelName: 'fraud-detector',
    endpoint: InferenceEndpoint.fromEndpointAttributes(stack, 'Endpoint', { endpointName: 'fraud-dev', productionVariantNames: ['primary'] }),
    fallback: { type: 'endpoint', endpointName: 'fraud-small-dev' },
    timeout: Duration.millis(800),
    confidenceThreshold: 0.8,
    highStakesLabels: ['fraud'],
    inputFeatures: [{ name: 'amount', type: 'number', required: true, min: 0 }],
    breakerFailureThreshold: 5,
    breakerWindow: Duration.minutes(1),
    breakerOpenFor: Duration.seconds(30),
    reviewQueue,
    reviewQueueKey: key,
    encryptionKey: key,
    logsKey,
    vpc: network.vpc,
    alarmAction: new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: logsKey }).alarmAction,
    logRetention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.RETAIN,
    environmentName: 'dev',
  });
}

describe('InferenceGateway', () => {
  const stack = new Stack(newApp({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S', { env: TEST_ENV });
  const gateway = gatewayIn(stack);
  const template = Template.fromStack(stack);

  test('alone (with its network, keys, review queue and alarm topic) it passes every nag pack and the validator', () => {
    const { findings } = synthAloneThroughGate((s) => gatewayIn(s));
    expect(findings).toEqual([]);
  });

  test('is reached through a function URL with IAM auth only', () => {
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
  });

  test('keeps its circuit breaker in a KMS-encrypted DynamoDB table shared by every instance', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], SSESpecification: Match.objectLike({ SSEType: 'KMS' }) });
    const fn = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: Match.stringLikeRegexp('gateway') } }))[0];
    const env = fn.Properties.Environment.Variables;
    expect(env).toMatchObject({ ENDPOINT_NAME: 'fraud-dev', INVOKE_TIMEOUT_MS: '800', BREAKER_FAILURE_THRESHOLD: '5', BREAKER_WINDOW_SECONDS: '60', BREAKER_OPEN_SECONDS: '30', CONFIDENCE_THRESHOLD: '0.8', HIGH_STAKES_LABELS: 'fraud' });
    expect(JSON.parse(env.FALLBACK)).toEqual({ type: 'endpoint', endpointName: 'fraud-small-dev' });
    expect(JSON.parse(env.INPUT_SCHEMA).features[0]).toEqual({ name: 'amount', type: 'number', required: true, min: 0 });
    // Long enough for the primary and the fallback to both time out, plus retries.
    expect(fn.Properties.Timeout).toBeGreaterThanOrEqual(12);
  });

  test('may invoke the primary (through its grant) and the fallback endpoint, and no other', () => {
    const role = stack.resolve((gateway.function.role!.node.defaultChild as iam.CfnRole).logicalId);
    const statements: Statement[] = Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
      .filter((p) => (p.Properties.Roles ?? []).some((r: { Ref?: string }) => r.Ref === role))
      .flatMap((p) => stack.resolve(p.Properties.PolicyDocument.Statement));
    const invokes = (endpoint: string) => isAllowed(statements, { action: 'sagemaker:InvokeEndpoint', resource: `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${endpoint}` });
    expect(invokes('fraud-dev')).toBe(true);
    expect(invokes('fraud-small-dev')).toBe(true);
    expect(invokes('churn-dev')).toBe(false);
  });

  test('alarms when it keeps answering degraded, when its breaker opens, and on surges of low-confidence or out-of-distribution requests', () => {
    for (const metricName of ['Degraded', 'BreakerOpen']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'Plinth/Inference', MetricName: metricName, Dimensions: [{ Name: 'Endpoint', Value: 'fraud-dev' }] });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Threshold: 20, Metrics: Match.arrayWith([Match.objectLike({ Expression: '100 * part / MAX([total, 1])' })]) });
    expect(gateway.alarms.map((a) => failureModesOf(a))).toEqual([['endpoint-degraded'], ['endpoint-degraded'], ['low-confidence'], ['out-of-distribution-input']]);
  });
});
