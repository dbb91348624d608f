import { Annotations, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../compliance/acknowledge';
import { PlinthError } from '../errors';
import { failureModeAlarm, markControlAlarm } from '../monitoring/failure-modes';
import type { InferenceEndpointProps, InferenceVariant, VariantScaling } from './inference-endpoint-props';
import { describeInstanceType, type InstanceTypeInfo } from './instance-types';

const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/** A synth-time problem with an endpoint's definition. */
export class InferenceEndpointError extends PlinthError {}

/**
 * A real-time SageMaker endpoint on GPU instances, built on the L1 resources: network-isolated
 * models in the VPC, A/B and shadow variants, KMS-encrypted data capture into the lake,
 * per-variant autoscaling (high-resolution concurrency by default) with a hard max, and the 5xx
 * and p99-latency alarms a canary rolls back on.
 */
export class InferenceEndpoint extends Construct {
  public readonly endpoint: sagemaker.CfnEndpoint;
  public readonly endpointConfig: sagemaker.CfnEndpointConfig;
  public readonly endpointName: string;
  /** Variant name → its scalable target (variants with scaling only). */
  public readonly scalableTargets: Record<string, appscaling.ScalableTarget> = {};
  /** Fires on 5xx errors of any production variant; a running canary rolls back on it. */
  public readonly errorAlarm: cloudwatch.Alarm;
  /** Fires when p99 model latency exceeds the budget; a running canary rolls back on it. */
  public readonly latencyAlarm: cloudwatch.Alarm;

  private readonly props: InferenceEndpointProps;

  constructor(scope: Construct, id: string, props: InferenceEndpointProps) {
    super(scope, id);
    this.props = props;
    this.endpointName = props.endpointName;
    const types = this.validate(props);
    const subnets = props.vpc.selectSubnets(props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnetIds;
    const securityGroupIds = props.securityGroups.map((sg) => sg.securityGroupId);

    const modelFor = (variant: InferenceVariant, kind: string) => {
      const model = new sagemaker.CfnModel(this, `${kind}Model-${variant.name}`, {
        executionRoleArn: props.executionRole.roleArn,
        enableNetworkIsolation: true,
        vpcConfig: { subnets, securityGroupIds },
        primaryContainer: { image: variant.image, modelDataUrl: variant.modelDataUrl, environment: variant.environment },
      });
      return model;
    };
    const variantConfig = (variant: InferenceVariant, model: sagemaker.CfnModel) => ({
      variantName: variant.name,
      modelName: model.attrModelName,
      instanceType: variant.instanceType,
      initialInstanceCount: this.initialCount(variant),
      initialVariantWeight: variant.initialWeight ?? 1,
    });
    const production = props.variants.map((v) => variantConfig(v, modelFor(v, 'Production')));
    const shadow = (props.shadowVariants ?? []).map((v) => variantConfig(v, modelFor(v, 'Shadow')));

    // SageMaker refuses a KMS volume key when any variant has local NVMe storage (hardware-encrypted).
    const anyNvme = [...types.values()].some((t) => t.nvme);
    const capture = props.dataCapture;
    const captureEnabled = capture.enabled ?? true;
    if (!captureEnabled) {
      Annotations.of(this).addWarningV2('plinth:data-capture-off', 'Data capture is off: drift detection and audits have no inference record for this endpoint.');
    }
    const captureDestination = capture.bucket.s3UrlForObject(capture.prefix ?? 'capture/');
    this.endpointConfig = new sagemaker.CfnEndpointConfig(this, 'Config', {
      productionVariants: production,
      shadowProductionVariants: shadow.length > 0 ? shadow : undefined,
      kmsKeyId: anyNvme ? undefined : props.encryptionKey.keyArn,
      dataCaptureConfig: {
        enableCapture: captureEnabled,
        initialSamplingPercentage: capture.samplingPercent ?? 100,
        destinationS3Uri: captureDestination,
        kmsKeyId: props.encryptionKey.keyArn,
        captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
        captureContentTypeHeader: { jsonContentTypes: ['application/json'] },
      },
    });
    if (anyNvme) {
      for (const pack of ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321']) {
        acknowledgeFinding(this.endpointConfig, {
          rule: `${pack}-SageMakerEndpointConfigurationKMSKeyConfigured`,
          reason:
            'The variants run on instance types with local NVMe storage, where SageMaker rejects a KMS volume key; ' +
            'those volumes are hardware-encrypted (XTS-AES-256). Data capture is still KMS-encrypted.',
          owner: 'ml-platform',
          expires: '2027-06-30',
        });
      }
    }
    this.endpoint = new sagemaker.CfnEndpoint(this, 'Resource', {
      endpointName: props.endpointName,
      endpointConfigName: this.endpointConfig.attrEndpointConfigName,
    });

    for (const variant of props.variants) {
      if (variant.scaling) this.addScaling(variant, variant.scaling);
    }

    const common = { alarmAction: props.alarmAction, runbookBaseUrl: props.runbookBaseUrl };
    // Warnings on their own: the endpoint's health composite (with the gateway) is what pages.
    this.errorAlarm = failureModeAlarm(this, 'Errors5xx', ['endpoint-errors', 'model-rollback'], {
      ...common,
      severity: 'warning',
      description: `${props.endpointName} returns 5xx errors; a running canary rolls back.`,
      metric: this.metricInvocation5xxErrors({ period: Duration.minutes(1) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.latencyAlarm = failureModeAlarm(this, 'LatencyP99', ['endpoint-errors', 'model-rollback'], {
      ...common,
      severity: 'warning',
      description: `${props.endpointName} p99 model latency is over ${props.p99LatencyMs} ms; a running canary rolls back.`,
      // SageMaker reports ModelLatency in microseconds.
      metric: this.metricModelLatency({ statistic: cloudwatch.Stats.p(99), period: Duration.minutes(1) }),
      threshold: props.p99LatencyMs * 1000,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** The endpoint's ARN. */
  public get endpointArn(): string {
    return Stack.of(this).formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: this.endpointName.toLowerCase() });
  }

  /** Lets `grantee` invoke the endpoint. */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['sagemaker:InvokeEndpoint'], resourceArns: [this.endpointArn] });
  }

  /** A metric of one variant of the endpoint (AWS/SageMaker; the first production variant unless one is named). */
  public metric(metricName: string, props: cloudwatch.MetricOptions & { variantName?: string } = {}): cloudwatch.Metric {
    return this.metricIn('AWS/SageMaker', metricName, props);
  }

  public metricInvocations(props?: cloudwatch.MetricOptions & { variantName?: string }): cloudwatch.Metric {
    return this.metric('Invocations', props);
  }
  public metricInvocation4xxErrors(props?: cloudwatch.MetricOptions & { variantName?: string }): cloudwatch.Metric {
    return this.metric('Invocation4XXErrors', props);
  }
  public metricInvocation5xxErrors(props?: cloudwatch.MetricOptions & { variantName?: string }): cloudwatch.Metric {
    return this.metric('Invocation5XXErrors', props);
  }
  /** Microseconds. */
  public metricModelLatency(props?: cloudwatch.MetricOptions & { variantName?: string }): cloudwatch.Metric {
    return this.metric('ModelLatency', { statistic: cloudwatch.Stats.AVERAGE, ...props });
  }
  /** Microseconds. */
  public metricOverheadLatency(props?: cloudwatch.MetricOptions & { variantName?: string }): cloudwatch.Metric {
    return this.metric('OverheadLatency', { statistic: cloudwatch.Stats.AVERAGE, ...props });
  }
  /** Concurrent requests per model copy, high resolution (10 s). */
  public metricConcurrentRequestsPerModel(props?: cloudwatch.MetricOptions & { variantName?: string }): cloudwatch.Metric {
    return this.metric('ConcurrentRequestsPerModel', { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.seconds(10), ...props });
  }
  /** Percent, summed over the instance's GPUs (100 per GPU). */
  public metricGpuUtilization(props?: cloudwatch.MetricOptions & { variantName?: string }): cloudwatch.Metric {
    return this.instanceMetric('GPUUtilization', props);
  }
  /** Percent, summed over the instance's GPUs (100 per GPU). */
  public metricGpuMemoryUtilization(props?: cloudwatch.MetricOptions & { variantName?: string }): cloudwatch.Metric {
    return this.instanceMetric('GPUMemoryUtilization', props);
  }

  private instanceMetric(metricName: string, props: cloudwatch.MetricOptions & { variantName?: string } = {}): cloudwatch.Metric {
    return this.metricIn('/aws/sagemaker/Endpoints', metricName, { statistic: cloudwatch.Stats.AVERAGE, ...props });
  }

  private metricIn(namespace: string, metricName: string, props: cloudwatch.MetricOptions & { variantName?: string }): cloudwatch.Metric {
    const { variantName, ...options } = props;
    return new cloudwatch.Metric({
      namespace,
      metricName,
      dimensionsMap: { EndpointName: this.endpointName, VariantName: variantName ?? this.props.variants[0].name },
      statistic: cloudwatch.Stats.SUM,
      ...options,
    });
  }

  private initialCount(variant: InferenceVariant): number {
    return variant.initialInstanceCount ?? Math.max(1, variant.scaling?.minCapacity ?? 1);
  }

  private addScaling(variant: InferenceVariant, scaling: VariantScaling): void {
    const target = new appscaling.ScalableTarget(this, `Scaling-${variant.name}`, {
      serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
      resourceId: `endpoint/${this.endpointName}/variant/${variant.name}`,
      scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      minCapacity: scaling.minCapacity,
      maxCapacity: scaling.maxCapacity,
    });
    target.node.addDependency(this.endpoint);
    this.scalableTargets[variant.name] = target;
    const cooldowns = {
      scaleInCooldown: scaling.scaleInCooldown ?? Duration.minutes(10),
      scaleOutCooldown: scaling.scaleOutCooldown ?? Duration.minutes(2),
    };
    const metric = scaling.metric ?? 'concurrency';
    if (metric === 'concurrency') {
      target.scaleToTrackMetric('TrackConcurrency', {
        predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_CONCURRENT_REQUESTS_PER_MODEL_HIGH_RESOLUTION,
        targetValue: scaling.target,
        ...cooldowns,
      });
    } else if (metric === 'invocations') {
      target.scaleToTrackMetric('TrackInvocations', {
        predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
        targetValue: scaling.target,
        ...cooldowns,
      });
    } else {
      target.scaleToTrackMetric('TrackGpuUtilization', {
        customMetric: this.metricGpuUtilization({ variantName: variant.name, period: Duration.minutes(1) }),
        targetValue: scaling.target,
        ...cooldowns,
      });
    }
    if (scaling.steps && scaling.steps.length > 0) {
      const stepMetric =
        metric === 'gpu-utilization'
          ? this.metricGpuUtilization({ variantName: variant.name, period: Duration.minutes(1) })
          : metric === 'invocations'
            ? this.metricInvocations({ variantName: variant.name, period: Duration.minutes(1) })
            : this.metricConcurrentRequestsPerModel({ variantName: variant.name, period: Duration.minutes(1) });
      const steps = target.scaleOnMetric('StepScaling', {
        metric: stepMetric,
        scalingSteps: scaling.steps.map((s) => ({ lower: s.lower, upper: s.upper, change: s.change })),
        adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        cooldown: cooldowns.scaleOutCooldown,
      });
      for (const alarm of steps.node.findAll().filter((c) => c instanceof cloudwatch.Alarm)) {
        markControlAlarm(alarm, 'step scaling: its action is the scaling policy, not a page');
      }
    }
    if (scaling.schedule) {
      const timeZone = scaling.schedule.timeZone ? TimeZone.of(scaling.schedule.timeZone) : undefined;
      const cron = (expression: string) => appscaling.Schedule.expression(`cron(${expression})`);
      target.scaleOnSchedule('ScaleDownOffHours', {
        schedule: cron(scaling.schedule.scaleDownCron),
        minCapacity: Math.min(scaling.minCapacity, scaling.schedule.offHoursCapacity),
        maxCapacity: scaling.schedule.offHoursCapacity,
        timeZone,
      });
      target.scaleOnSchedule('ScaleUpWorkingHours', {
        schedule: cron(scaling.schedule.scaleUpCron),
        minCapacity: scaling.minCapacity,
        maxCapacity: scaling.maxCapacity,
        timeZone,
      });
    }
  }

  private validate(props: InferenceEndpointProps): Map<string, InstanceTypeInfo> {
    const where = `InferenceEndpoint ${props.endpointName}`;
    const problems: string[] = [];
    const types = new Map<string, InstanceTypeInfo>();
    if (!SAGEMAKER_NAME.test(props.endpointName)) problems.push(`endpointName "${props.endpointName}" must be 1-63 letters, digits and hyphens`);
    if (props.variants.length === 0) problems.push('declare at least one production variant');
    const names = new Set<string>();
    for (const variant of [...props.variants, ...(props.shadowVariants ?? [])]) {
      const at = `variant "${variant.name}"`;
      if (!SAGEMAKER_NAME.test(variant.name)) problems.push(`${at}: name must be 1-63 letters, digits and hyphens`);
      if (names.has(variant.name)) problems.push(`${at}: declared twice`);
      names.add(variant.name);
      const info = describeInstanceType(variant.instanceType);
      if (typeof info === 'string') {
        problems.push(`${at}: ${info}`);
      } else {
        types.set(variant.name, info);
        if ((variant.gpu ?? true) && info.gpus === 0) {
          problems.push(`${at}: ${variant.instanceType} has no GPU but the variant declares gpu: true; pick a GPU type (g5, g6, g6e, p4d, p5, ...) or set gpu: false`);
        }
      }
      if (variant.initialWeight !== undefined && variant.initialWeight < 0) problems.push(`${at}: initialWeight cannot be negative`);
      const s = variant.scaling;
      if (s) {
        if (s.minCapacity > s.maxCapacity) problems.push(`${at}: scaling.minCapacity (${s.minCapacity}) cannot be greater than maxCapacity (${s.maxCapacity})`);
        if (s.target <= 0) problems.push(`${at}: scaling.target must be greater than 0, got ${s.target}`);
        if (s.metric === 'gpu-utilization' && typeof info !== 'string' && info.gpus === 0) {
          problems.push(`${at}: scaling on gpu-utilization needs a GPU instance type, not ${variant.instanceType}`);
        }
        if (s.steps && s.steps.length === 1) problems.push(`${at}: scaling.steps needs at least 2 steps (Application Auto Scaling's minimum), or none`);
        if (s.minCapacity === 0) {
          problems.push(
            `${at}: scale-to-zero (minCapacity 0) needs inference components, which a plain production variant cannot do; set minCapacity to 1 or more`,
          );
        }
        const initial = variant.initialInstanceCount ?? Math.max(1, s.minCapacity);
        if (initial < s.minCapacity || initial > s.maxCapacity) {
          problems.push(`${at}: initialInstanceCount (${initial}) must be between minCapacity and maxCapacity`);
        }
        if (s.schedule && (s.schedule.offHoursCapacity < 1 || s.schedule.offHoursCapacity > s.maxCapacity)) {
          problems.push(`${at}: schedule.offHoursCapacity must be between 1 and maxCapacity (${s.maxCapacity})`);
        }
      }
    }
    if (props.shadowVariants?.some((v) => v.scaling)) problems.push('shadow variants follow their production variant; remove their scaling');
    const sampling = props.dataCapture.samplingPercent ?? 100;
    if (sampling < 0 || sampling > 100) problems.push(`dataCapture.samplingPercent must be 0-100, got ${sampling}`);
    if (problems.length > 0) throw new InferenceEndpointError(`${where}: invalid definition:\n  - ${problems.join('\n  - ')}`);
    return types;
  }
}
