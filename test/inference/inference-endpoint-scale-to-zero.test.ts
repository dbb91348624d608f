import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { PlatformAlarmTopic } from '../../lib/alerting/platform-alarm-topic';
import { InferenceEndpoint } from '../../lib/inference/inference-endpoint';
import { PlatformKeys } from '../../lib/keys/platform-keys';
import type { InferenceEndpointProps, InferenceVariant } from '../../lib/inference/inference-endpoint-props';
import { ModelExecution } from '../../lib/inference/model-execution';
import { CONTROL_ALARM_METADATA_KEY, FAILURE_MODE_METADATA_KEY } from '../../lib/monitoring/failure-modes';
import { PlatformNetwork } from '../../lib/network/platform-network';
import { AccessLogsBucket, SecureBucket } from '../../lib/storage/secure-bucket';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud:1.0.0';
/** A dev variant that scales to zero: one GPU per copy on a one-GPU instance, at most 2 copies. */
const SERVED: InferenceVariant = {
  name: 'primary',
  instanceType: 'ml.g5.xlarge',
  image: IMAGE,
  scaling: { minCapacity: 0, maxCapacity: 2, target: 4 },
  inferenceComponent: { acceleratorsPerCopy: 1, memoryPerCopyMiB: 8192 },
};

function endpointIn(stack: Stack, overrides: Partial<InferenceEndpointProps> = {}): InferenceEndpoint {
  // The platform's own keys: their policies carry the controls the gate checks (CT.KMS.PR.3).
  const { logs: logsKey, models: modelsKey } = new PlatformKeys(stack, 'Keys');
  const network = new PlatformNetwork(stack, 'Network', { vpcCidr: '10.71.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'], logsKey });
  const logs = new AccessLogsBucket(stack, 'AccessLogs');
  const artifacts = new SecureBucket(stack, 'Artifacts', { encryptionKey: modelsKey, serverAccessLogsBucket: logs.bucket });
  const capture = new SecureBucket(stack, 'Capture', { encryptionKey: modelsKey, serverAccessLogsBucket: logs.bucket });
  const execution = new ModelExecution(stack, 'Execution', { vpc: network.vpc, modelsKey, artifactsBucket: artifacts.bucket, captureBucket: capture.bucket, captureKey: modelsKey });
  return new InferenceEndpoint(stack, 'Endpoint', {
    endpointName: 'fraud-dev',
    variants: [SERVED],
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

describe('InferenceEndpoint: scale-to-zero through an inference component', () => {
  test('alone (with its network, execution role, keys and capture bucket) it passes every nag pack and the validator', () => {
    const { findings } = synthAloneThroughGate((stack) => endpointIn(stack));
    expect(findings).toEqual([]);
  });

  test('the endpoint config is in the inference-component form: role, VPC and isolation on the config, managed instances from 0 to the cap, no model on the variant', () => {
    const stack = newStack();
    endpointIn(stack);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ExecutionRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ExecutionRole'), 'Arn'] },
      EnableNetworkIsolation: true,
      VpcConfig: { Subnets: Match.anyValue(), SecurityGroupIds: Match.anyValue() },
      ProductionVariants: [
        {
          VariantName: 'primary',
          InstanceType: 'ml.g5.xlarge',
          InitialInstanceCount: 1,
          ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 0, MaxInstanceCount: 2 },
          RoutingConfig: { RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' },
        },
      ],
      KmsKeyId: Match.absent(), // g5 has NVMe storage: hardware-encrypted, SageMaker refuses a key
      DataCaptureConfig: Match.absent(),
    });
    // The model keeps network isolation and the VPC (the permissions boundary requires both on CreateModel).
    template.hasResourceProperties('AWS::SageMaker::Model', { EnableNetworkIsolation: true, VpcConfig: Match.anyValue() });
  });

  test('a non-NVMe instance type still gets the KMS volume key on the inference-component config', () => {
    const stack = newStack();
    endpointIn(stack, { variants: [{ ...SERVED, instanceType: 'ml.m5.xlarge', gpu: false, inferenceComponent: { acceleratorsPerCopy: 0, memoryPerCopyMiB: 2048, cpuCoresPerCopy: 2 } }] });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::EndpointConfig', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^KeysModelsKey'), 'Arn'] } });
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::InferenceComponent', {
      Specification: { ComputeResourceRequirements: { MinMemoryRequiredInMb: 2048, NumberOfCpuCoresRequired: 2, NumberOfAcceleratorDevicesRequired: Match.absent() } },
    });
  });

  test('an inference component runs the model with its compute requirements and initial copy count', () => {
    const stack = newStack();
    const endpoint = endpointIn(stack);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SageMaker::InferenceComponent', {
      EndpointName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Endpoint'), 'EndpointName'] },
      InferenceComponentName: 'fraud-dev-primary',
      VariantName: 'primary',
      Specification: {
        ModelName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EndpointProductionModelprimary'), 'ModelName'] },
        ComputeResourceRequirements: { NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 8192 },
      },
      RuntimeConfig: { CopyCount: 1 },
    });
    template.resourceCountIs('AWS::SageMaker::Model', 1);
    expect(endpoint.inferenceComponentNameOf('primary')).toBe('fraud-dev-primary');
    // Data capture does not record an inference component: a drift monitor is told so
    expect(endpoint.dataCaptureSamplingPercent).toBe(0);
  });

  test('copies scale from 0 to the cap, tracking high-resolution concurrency per copy', () => {
    const stack = newStack();
    endpointIn(stack);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'sagemaker',
      ResourceId: 'inference-component/fraud-dev-primary',
      ScalableDimension: 'sagemaker:inference-component:DesiredCopyCount',
      MinCapacity: 0,
      MaxCapacity: 2,
    });
    template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution' },
        TargetValue: 4,
      }),
    });
    // The scalable target is registered only once the component exists.
    const [targetId] = Object.keys(template.findResources('AWS::ApplicationAutoScaling::ScalableTarget'));
    const [componentId] = Object.keys(template.findResources('AWS::SageMaker::InferenceComponent'));
    expect(template.toJSON().Resources[targetId!].DependsOn).toContain(componentId);
  });

  test('wakes from zero: an alarm on NoCapacityInvocationFailures drives a step policy that adds one copy, and pages no one', () => {
    const stack = newStack();
    const endpoint = endpointIn(stack);
    const template = Template.fromStack(stack);
    const policies = template.findResources('AWS::ApplicationAutoScaling::ScalingPolicy', { Properties: { PolicyType: 'StepScaling' } });
    const [policyId, policy] = Object.entries(policies).find(([id]) => id.includes('WakeFromZero'))!;
    expect(policy.Properties.StepScalingPolicyConfiguration).toEqual({
      AdjustmentType: 'ChangeInCapacity',
      MetricAggregationType: 'Maximum',
      Cooldown: 120,
      StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }],
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SageMaker',
      MetricName: 'NoCapacityInvocationFailures',
      Dimensions: [{ Name: 'InferenceComponentName', Value: 'fraud-dev-primary' }],
      Statistic: 'Sum',
      Period: 60,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      AlarmActions: [{ Ref: policyId }],
    });
    const alarm = endpoint.wakeFromZeroAlarms.primary!;
    expect(alarm.node.metadata.find((m) => m.type === CONTROL_ALARM_METADATA_KEY)?.data).toMatch(/scale out from zero/);
    expect(alarm.node.metadata.some((m) => m.type === FAILURE_MODE_METADATA_KEY)).toBe(false);
  });

  test('no wake-up alarm when the component keeps at least one copy', () => {
    const stack = newStack();
    const endpoint = endpointIn(stack, { variants: [{ ...SERVED, scaling: { minCapacity: 1, maxCapacity: 2, target: 4 } }] });
    expect(endpoint.wakeFromZeroAlarms).toEqual({});
    Template.fromStack(stack).resourcePropertiesCountIs('AWS::CloudWatch::Alarm', { MetricName: 'NoCapacityInvocationFailures' }, 0);
  });

  test('data capture is off for an inference-component endpoint, with a visible warning', () => {
    const stack = newStack();
    endpointIn(stack);
    Annotations.fromStack(stack).hasWarning('/S/Endpoint', Match.stringLikeRegexp('Data capture is off: variant "primary" is served by an inference component'));
  });

  test('metrics and the rollback alarms follow the inference component, and per-copy concurrency is high resolution', () => {
    const stack = newStack();
    const endpoint = endpointIn(stack);
    const perComponent = { InferenceComponentName: 'fraud-dev-primary' };
    expect(endpoint.metricInvocation5xxErrors().dimensions).toEqual(perComponent);
    expect(endpoint.metricModelLatency().dimensions).toEqual(perComponent);
    expect(endpoint.metricGpuUtilization().namespace).toBe('/aws/sagemaker/InferenceComponents');
    const perCopy = endpoint.metricConcurrentRequestsPerCopy();
    expect([perCopy.metricName, perCopy.period.toSeconds(), perCopy.dimensions]).toEqual(['ConcurrentRequestsPerCopy', 10, perComponent]);
    expect(endpoint.metricConcurrentRequestsPerModel().metricName).toBe('ConcurrentRequestsPerCopy'); // what the dashboard draws
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Invocation5XXErrors', Dimensions: [{ Name: 'InferenceComponentName', Value: 'fraud-dev-primary' }] });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'ModelLatency', Dimensions: [{ Name: 'InferenceComponentName', Value: 'fraud-dev-primary' }] });
  });

  const other: InferenceVariant = { name: 'challenger', instanceType: 'ml.g5.xlarge', image: IMAGE };
  test.each<[string, Partial<InferenceEndpointProps>, RegExp]>([
    ['scale-to-zero on a shadow variant', { shadowVariants: [{ ...SERVED, name: 'candidate', scaling: undefined }] }, /variant "candidate": a shadow variant cannot be served by an inference component; remove its inferenceComponent/],
    ['an inference component next to shadow variants', { shadowVariants: [other] }, /variant "primary": an endpoint served by an inference component cannot run shadow variants; remove shadowVariants or inferenceComponent/],
    ['an inference component in an A/B split', { variants: [SERVED, other] }, /variant "primary": an inference component serves an endpoint's only production variant, not an A\/B split of 2 variants/],
    ['more GPUs per copy than the instance has', { variants: [{ ...SERVED, inferenceComponent: { acceleratorsPerCopy: 2, memoryPerCopyMiB: 8192 } }] }, /inferenceComponent\.acceleratorsPerCopy \(2\) exceeds the 1 GPU\(s\) of ml\.g5\.xlarge/],
    ['no GPU per copy on a GPU variant', { variants: [{ ...SERVED, inferenceComponent: { acceleratorsPerCopy: 0, memoryPerCopyMiB: 8192 } }] }, /acceleratorsPerCopy is 0 on a GPU variant/],
    ['too little memory per copy', { variants: [{ ...SERVED, inferenceComponent: { acceleratorsPerCopy: 1, memoryPerCopyMiB: 64 } }] }, /inferenceComponent\.memoryPerCopyMiB must be a whole number of MiB, at least 128, got 64/],
    ['GPU-utilization scaling of copies', { variants: [{ ...SERVED, scaling: { minCapacity: 0, maxCapacity: 2, metric: 'gpu-utilization', target: 70 } }] }, /scaling\.metric "gpu-utilization" is not available for an inference component/],
    ['a component name over 63 characters', { endpointName: 'e'.repeat(60) }, /would be named "e{60}-primary", over 63 characters/],
  ])('rejects %s at synth with a clear message', (_what, overrides, message) => {
    expect(() => endpointIn(newStack(), overrides)).toThrow(message);
  });
});
