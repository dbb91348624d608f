import { Duration, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { PlatformAlarmTopic } from '../../lib/alerting/platform-alarm-topic';
import { InferenceEndpoint } from '../../lib/inference/inference-endpoint';
import { PlatformKeys } from '../../lib/keys/platform-keys';
import type { InferenceEndpointProps, InferenceVariant } from '../../lib/inference/inference-endpoint-props';
import { describeInstanceType } from '../../lib/inference/instance-types';
import { ModelExecution } from '../../lib/inference/model-execution';
import { PlatformNetwork } from '../../lib/network/platform-network';
import { AccessLogsBucket, SecureBucket } from '../../lib/storage/secure-bucket';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud:1.0.0';
const PRIMARY: InferenceVariant = {
  name: 'primary',
  instanceType: 'ml.g5.xlarge',
  image: IMAGE,
  scaling: { minCapacity: 1, maxCapacity: 4, target: 4 },
};

function endpointIn(stack: Stack, overrides: Partial<InferenceEndpointProps> = {}): InferenceEndpoint {
  // The platform's own keys: their policies carry the controls the gate checks (CT.KMS.PR.3).
  const { logs: logsKey, models: modelsKey } = new PlatformKeys(stack, 'Keys');
  const network = new PlatformNetwork(stack, 'Network', { vpcCidr: '10.70.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'], logsKey });
  const logs = new AccessLogsBucket(stack, 'AccessLogs');
  const artifacts = new SecureBucket(stack, 'Artifacts', { encryptionKey: modelsKey, serverAccessLogsBucket: logs.bucket });
  const capture = new SecureBucket(stack, 'Capture', { encryptionKey: modelsKey, serverAccessLogsBucket: logs.bucket });
  const execution = new ModelExecution(stack, 'Execution', {
    vpc: network.vpc,
    modelsKey,
    artifactsBucket: artifacts.bucket,
    captureBucket: capture.bucket,
    captureKey: modelsKey,
  });
  return new InferenceEndpoint(stack, 'Endpoint', {
    endpointName: 'fraud-dev',
    variants: [PRIMARY],
    vpc: network.vpc,
    securityGroups: [execution.securityGroup],
    executionRole: execution.role,
    encryptionKey: modelsKey,
    dataCapture: { bucket: capture.bucket, samplingPercent: 25 },
    p99LatencyMs: 300,
    alarmAction: new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: logsKey }).alarmAction,
    ...overrides,
  });
}

const newStack = () => new Stack(newApp(), 'S', { env: TEST_ENV });

describe('InferenceEndpoint', () => {
  test('alone (with its network, execution role, keys and capture bucket) it passes every nag pack and the validator', () => {
    const { findings } = synthAloneThroughGate((stack) => endpointIn(stack));
    expect(findings).toEqual([]);
  });

  test('runs network-isolated models in the VPC', () => {
    const stack = newStack();
    endpointIn(stack);
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::Model', {
      EnableNetworkIsolation: true,
      VpcConfig: { Subnets: Match.anyValue(), SecurityGroupIds: Match.anyValue() },
      PrimaryContainer: { Image: IMAGE },
    });
  });

  test('captures requests and responses with KMS, at the configured sampling', () => {
    const stack = newStack();
    endpointIn(stack);
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      DataCaptureConfig: Match.objectLike({
        EnableCapture: true,
        InitialSamplingPercentage: 25,
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KeysModelsKey'), 'Arn'] },
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
      }),
    });
  });

  test('puts a KMS volume key on instance types without NVMe, and none on NVMe GPU types (SageMaker rejects it)', () => {
    const cpu = newStack();
    endpointIn(cpu, { variants: [{ ...PRIMARY, instanceType: 'ml.m5.xlarge', gpu: false }] });
    Template.fromStack(cpu).hasResourceProperties('AWS::SageMaker::EndpointConfig', { KmsKeyId: Match.anyValue() });
    const gpu = newStack();
    endpointIn(gpu);
    Template.fromStack(gpu).hasResourceProperties('AWS::SageMaker::EndpointConfig', { KmsKeyId: Match.absent() });
  });

  test('serves A/B production variants by weight and a shadow variant for a candidate', () => {
    const stack = newStack();
    endpointIn(stack, {
      variants: [
        { ...PRIMARY, initialWeight: 9 },
        { name: 'challenger', instanceType: 'ml.g6.xlarge', image: IMAGE, initialWeight: 1 },
      ],
      shadowVariants: [{ name: 'candidate', instanceType: 'ml.g5.xlarge', image: IMAGE }],
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [
        Match.objectLike({ VariantName: 'primary', InitialVariantWeight: 9 }),
        Match.objectLike({ VariantName: 'challenger', InitialVariantWeight: 1, InstanceType: 'ml.g6.xlarge' }),
      ],
      ShadowProductionVariants: [Match.objectLike({ VariantName: 'candidate' })],
    });
    template.resourceCountIs('AWS::SageMaker::Model', 3);
  });

  test('scales on high-resolution concurrency by default, with max as the cap and separate cooldowns', () => {
    const stack = newStack();
    endpointIn(stack, { variants: [{ ...PRIMARY, scaling: { minCapacity: 2, maxCapacity: 6, target: 3, scaleInCooldown: Duration.minutes(15), scaleOutCooldown: Duration.seconds(60) } }] });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'sagemaker',
      ResourceId: 'endpoint/fraud-dev/variant/primary',
      MinCapacity: 2,
      MaxCapacity: 6,
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantConcurrentRequestsPerModelHighResolution' },
        TargetValue: 3,
        ScaleInCooldown: 900,
        ScaleOutCooldown: 60,
      },
    });
  });

  test('can track invocations per instance, or GPU utilisation through a customised metric', () => {
    const invocations = newStack();
    endpointIn(invocations, { variants: [{ ...PRIMARY, scaling: { minCapacity: 1, maxCapacity: 2, metric: 'invocations', target: 100 } }] });
    Template.fromStack(invocations).hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({ PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' } }),
    });
    const gpu = newStack();
    endpointIn(gpu, { variants: [{ ...PRIMARY, scaling: { minCapacity: 1, maxCapacity: 2, metric: 'gpu-utilization', target: 70 } }] });
    Template.fromStack(gpu).hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        CustomizedMetricSpecification: Match.objectLike({ MetricName: 'GPUUtilization', Namespace: '/aws/sagemaker/Endpoints' }),
        TargetValue: 70,
      }),
    });
  });

  test('adds step scaling on the same metric, and a scheduled scale-down outside working hours', () => {
    const stack = newStack();
    endpointIn(stack, {
      variants: [
        {
          ...PRIMARY,
          scaling: {
            minCapacity: 1,
            maxCapacity: 4,
            target: 4,
            steps: [{ lower: 10, change: 1 }, { lower: 20, change: 3 }],
            schedule: { scaleDownCron: '0 19 ? * MON-FRI *', scaleUpCron: '0 7 ? * MON-FRI *', offHoursCapacity: 1 },
          },
        },
      ],
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', { PolicyType: 'StepScaling' });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ScheduledActions: [
        Match.objectLike({ Schedule: 'cron(0 19 ? * MON-FRI *)', ScalableTargetAction: { MinCapacity: 1, MaxCapacity: 1 } }),
        Match.objectLike({ Schedule: 'cron(0 7 ? * MON-FRI *)', ScalableTargetAction: { MinCapacity: 1, MaxCapacity: 4 } }),
      ],
    });
  });

  test.each<[string, Partial<InferenceEndpointProps>, RegExp]>([
    ['a typo in the instance type', { variants: [{ ...PRIMARY, instanceType: 'ml.g5.xlarg' }] }, /size "xlarg" does not exist for g5; sizes: xlarge, 2xlarge/],
    ['an unknown family', { variants: [{ ...PRIMARY, instanceType: 'ml.g9.xlarge' }] }, /family "g9" is not in Plinth's instance table/],
    ['a GPU-less type where GPU is declared', { variants: [{ ...PRIMARY, instanceType: 'ml.m5.xlarge' }] }, /ml\.m5\.xlarge has no GPU but the variant declares gpu: true/],
    ['min > max', { variants: [{ ...PRIMARY, scaling: { minCapacity: 5, maxCapacity: 2, target: 1 } }] }, /scaling\.minCapacity \(5\) cannot be greater than maxCapacity \(2\)/],
    ['a target of 0', { variants: [{ ...PRIMARY, scaling: { minCapacity: 1, maxCapacity: 2, target: 0 } }] }, /scaling\.target must be greater than 0, got 0/],
    ['a negative target', { variants: [{ ...PRIMARY, scaling: { minCapacity: 1, maxCapacity: 2, target: -3 } }] }, /scaling\.target must be greater than 0, got -3/],
    ['scale-to-zero on a production variant', { variants: [{ ...PRIMARY, scaling: { minCapacity: 0, maxCapacity: 2, target: 1 } }] }, /scale-to-zero \(scaling\.minCapacity 0\) needs an inference component, which a plain production variant is not; add inferenceComponent: \{ acceleratorsPerCopy, memoryPerCopyMiB \}/],
    ['GPU scaling on a CPU type', { variants: [{ ...PRIMARY, instanceType: 'ml.c5.xlarge', gpu: false, scaling: { minCapacity: 1, maxCapacity: 2, metric: 'gpu-utilization', target: 50 } }] }, /scaling on gpu-utilization needs a GPU instance type/],
    ['a single scaling step', { variants: [{ ...PRIMARY, scaling: { minCapacity: 1, maxCapacity: 2, target: 1, steps: [{ lower: 5, change: 1 }] } }] }, /scaling\.steps needs at least 2 steps/],
    ['duplicate variant names', { variants: [PRIMARY, PRIMARY] }, /variant "primary": declared twice/],
  ])('rejects %s at synth with a clear message', (_what, overrides, message) => {
    expect(() => endpointIn(newStack(), overrides)).toThrow(message);
  });

  /** A capture bucket of its own, for tests that change the data-capture settings. */
  const captureIn = (stack: Stack) =>
    new SecureBucket(stack, 'OtherCapture', {
      encryptionKey: new kms.Key(stack, 'OtherKey', { enableKeyRotation: true }),
      serverAccessLogsBucket: new AccessLogsBucket(stack, 'OtherLogs').bucket,
    }).bucket;

  test('rejects a data-capture sampling above 100% at synth', () => {
    const stack = newStack();
    expect(() => endpointIn(stack, { dataCapture: { bucket: captureIn(stack), samplingPercent: 150 } })).toThrow(
      /dataCapture\.samplingPercent must be 0-100, got 150/,
    );
  });

  test('turning data capture off is allowed but visible', () => {
    const stack = newStack();
    const endpoint = endpointIn(stack, { dataCapture: { bucket: captureIn(stack), enabled: false } });
    Annotations.fromStack(stack).hasWarning('/S/Endpoint', Match.stringLikeRegexp('Data capture is off'));
    // AND a drift monitor is told that capture records nothing
    expect(endpoint.dataCaptureSamplingPercent).toBe(0);
  });

  test('tells a drift monitor the share of requests data capture records (100 by default)', () => {
    expect(endpointIn(newStack()).dataCaptureSamplingPercent).toBe(25);
    const stack = newStack();
    expect(endpointIn(stack, { dataCapture: { bucket: captureIn(stack) } }).dataCaptureSamplingPercent).toBe(100);
    const imported = (percent?: number) =>
      InferenceEndpoint.fromEndpointAttributes(newStack(), 'Imported', { endpointName: 'x', productionVariantNames: ['a'], ...(percent === undefined ? {} : { dataCaptureSamplingPercent: percent }) });
    expect(imported().dataCaptureSamplingPercent).toBeUndefined();
    expect(imported(35).dataCaptureSamplingPercent).toBe(35);
    expect(() => imported(101)).toThrow(/dataCaptureSamplingPercent must be 0-100, got 101/);
  });

  test('grantInvoke allows InvokeEndpoint on this endpoint only, and metric methods name the right series', () => {
    const stack = newStack();
    const endpoint = endpointIn(stack);
    const role = new iam.Role(stack, 'Caller', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    endpoint.grantInvoke(role);
    // A customer-managed policy on the grantee's role: an inline one would fail three nag packs.
    Template.fromStack(stack).resourceCountIs('AWS::IAM::Policy', 0);
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sagemaker:InvokeEndpoint', Resource: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-dev' }] },
      Roles: [{ Ref: Match.stringLikeRegexp('^Caller') }],
    });
    expect(endpoint.metricGpuUtilization().namespace).toBe('/aws/sagemaker/Endpoints');
    expect(endpoint.metricConcurrentRequestsPerModel().period.toSeconds()).toBe(10);
    for (const metric of [endpoint.metricInvocations(), endpoint.metricInvocation4xxErrors(), endpoint.metricInvocation5xxErrors(), endpoint.metricModelLatency(), endpoint.metricOverheadLatency(), endpoint.metricGpuMemoryUtilization()]) {
      expect(metric.dimensions).toEqual({ EndpointName: 'fraud-dev', VariantName: 'primary' });
    }
  });

  test('alarms on 5xx and on p99 model latency over the budget, in microseconds', () => {
    const stack = newStack();
    endpointIn(stack);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Invocation5XXErrors', AlarmActions: Match.anyValue() });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ModelLatency', ExtendedStatistic: 'p99', Threshold: 300_000 });
  });

  test('with two production variants the 5xx and latency alarms watch both (a canary may deploy to either)', () => {
    // GIVEN an endpoint with a champion and a challenger variant
    const stack = newStack();
    const endpoint = endpointIn(stack, { variants: [PRIMARY, { ...PRIMARY, name: 'challenger', initialWeight: 0.1 }] });
    // WHEN synthesized
    const alarms = Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm');
    const watched = (alarm: { node: { defaultChild?: unknown } }, metricName: string): string[] => {
      const props = Object.values(alarms).find((a) => a.Properties.AlarmName === stack.resolve((alarm.node.defaultChild as { alarmName: string }).alarmName))!.Properties;
      const stats = [...(props.Metrics ?? []).flatMap((m: any) => (m.MetricStat ? [m.MetricStat.Metric] : [])), ...(props.MetricName ? [props] : [])];
      return stats.filter((m: any) => m.MetricName === metricName).map((m: any) => m.Dimensions.find((d: any) => d.Name === 'VariantName').Value).sort();
    };
    // THEN each alarm reads the metric of every production variant
    expect(watched(endpoint.errorAlarm, 'Invocation5XXErrors')).toEqual(['challenger', 'primary']);
    expect(watched(endpoint.latencyAlarm, 'ModelLatency')).toEqual(['challenger', 'primary']);
    // ... and a variant without traffic in a minute counts as 0 instead of leaving a gap
    const expressions = Object.values(alarms).flatMap((a) => (a.Properties.Metrics ?? []).flatMap((m: any) => (m.Expression ? [m.Expression] : [])));
    expect(expressions).toEqual(expect.arrayContaining(['SUM([FILL(v0, 0), FILL(v1, 0)])', 'MAX([FILL(v0, 0), FILL(v1, 0)])']));
  });
});

describe('describeInstanceType', () => {
  test('knows GPU count and NVMe storage', () => {
    expect(describeInstanceType('ml.g5.12xlarge')).toEqual({ family: 'g5', gpus: 4, nvme: true });
    expect(describeInstanceType('ml.m5.large')).toEqual({ family: 'm5', gpus: 0, nvme: false });
    expect(describeInstanceType('g5.xlarge')).toMatch(/write it as ml.<family>.<size>/);
  });
});
