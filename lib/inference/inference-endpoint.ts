import { Annotations, Duration, Stack, TimeZone } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { grantWithManagedPolicy } from '../iam/managed-grant';
import { acknowledgeFinding } from '../compliance/acknowledge';
import { PlinthError } from '../errors';
import { failureModeAlarm, failureModeAlarmName, markControlAlarm } from '../monitoring/failure-modes';
import type { IInferenceEndpoint, InferenceComponentSpec, InferenceEndpointAttributes, InferenceEndpointProps, InferenceVariant, VariantScaling } from './inference-endpoint-props';
import { describeInstanceType, type InstanceTypeInfo } from './instance-types';
import { PLATFORM_WAIVER } from '../compliance/platform-waiver';

const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/** IAM actions that learn which package an endpoint serves (contract B). */
export const READ_SERVED_MODELS = {
  endpoint: ['sagemaker:DescribeEndpoint'],
  endpointConfig: ['sagemaker:DescribeEndpointConfig'],
  model: ['sagemaker:DescribeModel', 'sagemaker:ListTags'],
} as const;

/**
 * The two resources {@link IInferenceEndpoint.grantReadServedModels} cannot scope to one endpoint,
 * with the reason to acknowledge each wildcard by (deploy-model names configs and models at run time).
 */
export function servedModelsWildcards(scope: Construct): ReadonlyArray<readonly [resource: string, reason: string]> {
  const stack = Stack.of(scope);
  return [
    [stack.formatArn({ service: 'sagemaker', resource: 'endpoint-config', resourceName: '*' }), 'deploy-model names each endpoint config at run time; describe-only, to find the model each variant serves.'],
    [stack.formatArn({ service: 'sagemaker', resource: 'model', resourceName: '*' }), 'deploy-model names each model at run time; describe and list tags only, to find the package a served model was built from.'],
  ];
}

function grantReadServed(endpoint: Construct & { readonly endpointArn: string }, grantee: iam.IGrantable): iam.Grant {
  const [[configs], [models]] = servedModelsWildcards(endpoint) as [[string, string], [string, string]];
  const name = 'ReadServedModels';
  return grantWithManagedPolicy(endpoint, { grantee, actions: READ_SERVED_MODELS.endpoint, resourceArns: [endpoint.endpointArn], name })
    .combine(grantWithManagedPolicy(endpoint, { grantee, actions: READ_SERVED_MODELS.endpointConfig, resourceArns: [configs], name }))
    .combine(grantWithManagedPolicy(endpoint, { grantee, actions: READ_SERVED_MODELS.model, resourceArns: [models], name }));
}

/** A synth-time problem with an endpoint's definition. */
export class InferenceEndpointError extends PlinthError {}

/** The name of the inference component that serves `variantName` of `endpointName`. */
export function inferenceComponentNameFor(endpointName: string, variantName: string): string {
  return `${endpointName}-${variantName}`;
}

/**
 * A real-time SageMaker endpoint on GPU instances, built on the L1 resources: network-isolated
 * models in the VPC, A/B and shadow variants, KMS-encrypted data capture into the lake,
 * per-variant autoscaling (high-resolution concurrency by default) with a hard max, and the 5xx
 * and p99-latency alarms a canary rolls back on.
 *
 * A single variant may instead be served by an inference component (`inferenceComponent`), which
 * lets it scale to zero copies and instances and wake on the first refused request; such an
 * endpoint records no data capture (see docs/inference.md).
 */
export class InferenceEndpoint extends Construct implements IInferenceEndpoint {
  public readonly endpoint: sagemaker.CfnEndpoint;
  public readonly endpointConfig: sagemaker.CfnEndpointConfig;
  public readonly endpointName: string;
  /** Variant name → its scalable target (variants with scaling only). */
  public readonly scalableTargets: Record<string, appscaling.ScalableTarget> = {};
  /** Variant name → the inference component serving it (variants with `inferenceComponent` only). */
  public readonly inferenceComponents: Record<string, sagemaker.CfnInferenceComponent> = {};
  /** Variant name → the alarm that scales its inference component out from zero copies. */
  public readonly wakeFromZeroAlarms: Record<string, cloudwatch.Alarm> = {};
  /** Fires on 5xx errors of any production variant; a running canary rolls back on it. */
  public readonly errorAlarm: cloudwatch.Alarm;
  /** Fires when p99 model latency exceeds the budget; a running canary rolls back on it. */
  public readonly latencyAlarm: cloudwatch.Alarm;

  private readonly props: InferenceEndpointProps;

  /**
   * An endpoint defined elsewhere (another app, or by hand), to wire a gateway, drift job or
   * deployment to. Grants onto it work as on an endpoint built here.
   */
  public static fromEndpointAttributes(scope: Construct, id: string, attrs: InferenceEndpointAttributes): IInferenceEndpoint {
    if (attrs.productionVariantNames.length === 0) {
      throw new PlinthError(`InferenceEndpoint.fromEndpointAttributes ${scope.node.path}/${id}: productionVariantNames is empty; name at least one production variant of "${attrs.endpointName}"`);
    }
    const sampling = attrs.dataCaptureSamplingPercent;
    if (sampling !== undefined && !(sampling >= 0 && sampling <= 100)) {
      throw new PlinthError(`InferenceEndpoint.fromEndpointAttributes ${scope.node.path}/${id}: dataCaptureSamplingPercent must be 0-100, got ${sampling}`);
    }
    class Imported extends Construct implements IInferenceEndpoint {
      public readonly endpointName = attrs.endpointName;
      public readonly productionVariantNames = [...attrs.productionVariantNames];
      public readonly variantMaxCapacity = { ...attrs.variantMaxCapacity };
      public readonly dataCaptureSamplingPercent = attrs.dataCaptureSamplingPercent;
      public get endpointArn(): string {
        return Stack.of(this).formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: this.endpointName.toLowerCase() });
      }
      public inferenceComponentNameOf(variantName: string): string | undefined {
        return attrs.inferenceComponentVariants?.includes(variantName) ? inferenceComponentNameFor(this.endpointName, variantName) : undefined;
      }
      public grantInvoke(grantee: iam.IGrantable): iam.Grant {
        return grantWithManagedPolicy(this, { grantee, actions: ['sagemaker:InvokeEndpoint'], resourceArns: [this.endpointArn], name: 'Invoke' });
      }
      public grantReadServedModels(grantee: iam.IGrantable): iam.Grant {
        return grantReadServed(this, grantee);
      }
    }
    return new Imported(scope, id);
  }

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

    // SageMaker refuses a KMS volume key when any variant has local NVMe storage (hardware-encrypted).
    const anyNvme = [...types.values()].some((t) => t.nvme);
    const volumeKey = anyNvme ? undefined : props.encryptionKey.keyArn;
    // Validation guarantees a served variant is the endpoint's only variant.
    const served = props.variants.find((v) => v.inferenceComponent);
    if (served) {
      this.endpointConfig = new sagemaker.CfnEndpointConfig(this, 'Config', {
        // Inference-component form: the role, network and isolation live on the config, and the
        // variant names no model: its inference component does.
        executionRoleArn: props.executionRole.roleArn,
        enableNetworkIsolation: true,
        vpcConfig: { subnets, securityGroupIds },
        productionVariants: [
          {
            variantName: served.name,
            instanceType: served.instanceType,
            initialInstanceCount: this.initialCount(served),
            managedInstanceScaling: {
              status: 'ENABLED',
              minInstanceCount: served.scaling?.minCapacity ?? this.initialCount(served),
              maxInstanceCount: served.scaling?.maxCapacity ?? this.initialCount(served),
            },
            routingConfig: { routingStrategy: 'LEAST_OUTSTANDING_REQUESTS' },
          },
        ],
        kmsKeyId: volumeKey,
      });
      Annotations.of(this).addWarningV2(
        'plinth:data-capture-unsupported',
        `Data capture is off: variant "${served.name}" is served by an inference component, which SageMaker data capture does not record. ` +
          'Drift detection and audits have no inference record for this endpoint; serve it from a plain variant to capture.',
      );
    } else {
      const production = props.variants.map((v) => variantConfig(v, modelFor(v, 'Production')));
      const shadow = (props.shadowVariants ?? []).map((v) => variantConfig(v, modelFor(v, 'Shadow')));
      const capture = props.dataCapture;
      const captureEnabled = capture.enabled ?? true;
      if (!captureEnabled) {
        Annotations.of(this).addWarningV2('plinth:data-capture-off', 'Data capture is off: drift detection and audits have no inference record for this endpoint.');
      }
      this.endpointConfig = new sagemaker.CfnEndpointConfig(this, 'Config', {
        productionVariants: production,
        shadowProductionVariants: shadow.length > 0 ? shadow : undefined,
        kmsKeyId: volumeKey,
        dataCaptureConfig: {
          enableCapture: captureEnabled,
          initialSamplingPercentage: capture.samplingPercent ?? 100,
          destinationS3Uri: capture.bucket.s3UrlForObject(capture.prefix ?? 'capture/'),
          kmsKeyId: props.encryptionKey.keyArn,
          captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
          captureContentTypeHeader: { jsonContentTypes: ['application/json'] },
        },
      });
    }
    if (anyNvme) {
      const volumeKeyRules = ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321'].map((pack) => `${pack}-SageMakerEndpointConfigurationKMSKeyConfigured`);
      for (const rule of [...volumeKeyRules, 'Plinth-SageMakerEndpointConfigKMS']) {
        acknowledgeFinding(this.endpointConfig, {
          rule,
          reason:
            'The variants run on instance types with local NVMe storage, where SageMaker rejects a KMS volume key; ' +
            'those volumes are hardware-encrypted (XTS-AES-256). Data capture, where on, is still KMS-encrypted.',
          ...PLATFORM_WAIVER,
        });
      }
    }
    this.endpoint = new sagemaker.CfnEndpoint(this, 'Resource', {
      endpointName: props.endpointName,
      endpointConfigName: this.endpointConfig.attrEndpointConfigName,
    });
    if (served?.inferenceComponent) {
      this.inferenceComponents[served.name] = this.addInferenceComponent(served, served.inferenceComponent, modelFor(served, 'Production'));
    }

    for (const variant of props.variants) {
      if (variant.scaling) this.addScaling(variant, variant.scaling);
    }

    const common = { alarmAction: props.alarmAction, runbookBaseUrl: props.runbookBaseUrl, subject: props.endpointName };
    // Every production variant: a canary deploys to the model's configured variant, which need not
    // be the first, and an alarm on another variant would never roll it back. A variant without
    // datapoints in a minute (no traffic) counts as 0, so it can neither hide the others' values nor
    // make the whole expression missing; with none at all the alarm sees 0, which is what its
    // NOT_BREACHING treatment of missing data gave.
    const acrossVariants = (expression: string, metricOf: (variantName: string) => cloudwatch.IMetric, label: string): cloudwatch.IMetric => {
      if (props.variants.length === 1) return metricOf(props.variants[0].name);
      const usingMetrics = Object.fromEntries(props.variants.map((v, i) => [`v${i}`, metricOf(v.name)]));
      const filled = Object.keys(usingMetrics).map((id) => `FILL(${id}, 0)`).join(', ');
      return new cloudwatch.MathExpression({ expression: expression.replace('$', filled), usingMetrics, period: Duration.minutes(1), label });
    };
    // Warnings on their own: the endpoint's health composite (with the gateway) is what pages.
    this.errorAlarm = failureModeAlarm(this, 'Errors5xx', ['endpoint-errors', 'model-rollback'], {
      ...common,
      severity: 'warning',
      description: `${props.endpointName} returns 5xx errors; a running canary rolls back.`,
      metric: acrossVariants('SUM([$])', (variantName) => this.metricInvocation5xxErrors({ variantName, period: Duration.minutes(1) }), '5xx errors, all variants'),
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
      metric: acrossVariants('MAX([$])', (variantName) => this.metricModelLatency({ variantName, statistic: cloudwatch.Stats.p(99), period: Duration.minutes(1) }), 'p99 model latency, worst variant'),
      threshold: props.p99LatencyMs * 1000,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** The percentage of requests data capture records: 0 when capture is off or an inference component serves the endpoint. */
  public get dataCaptureSamplingPercent(): number {
    const capture = this.props.dataCapture;
    if ((capture.enabled ?? true) === false || this.props.variants.some((v) => v.inferenceComponent)) return 0;
    return capture.samplingPercent ?? 100;
  }

  /** The production variants, in declaration order. */
  public get productionVariantNames(): string[] {
    return this.props.variants.map((v) => v.name);
  }

  /** Variant name → its hard max capacity, for the variants that autoscale. */
  public get variantMaxCapacity(): Record<string, number> {
    return Object.fromEntries(this.props.variants.flatMap((v) => (v.scaling ? [[v.name, v.scaling.maxCapacity]] : [])));
  }

  /** The endpoint's ARN. */
  public get endpointArn(): string {
    return Stack.of(this).formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: this.endpointName.toLowerCase() });
  }

  /** Lets `grantee` invoke the endpoint. */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return grantWithManagedPolicy(this, { grantee, actions: ['sagemaker:InvokeEndpoint'], resourceArns: [this.endpointArn], name: 'Invoke' });
  }

  /** Lets `grantee` learn which model package each variant serves (see {@link IInferenceEndpoint.grantReadServedModels}). */
  public grantReadServedModels(grantee: iam.IGrantable): iam.Grant {
    return grantReadServed(this, grantee);
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
  /**
   * Concurrent requests per model, high resolution (10 s). A variant served by an inference
   * component reports the same load per copy: this returns {@link metricConcurrentRequestsPerCopy} then.
   */
  public metricConcurrentRequestsPerModel(props?: cloudwatch.MetricOptions & { variantName?: string }): cloudwatch.Metric {
    if (this.inferenceComponentNameOf(props?.variantName ?? this.props.variants[0].name)) return this.metricConcurrentRequestsPerCopy(props);
    return this.metric('ConcurrentRequestsPerModel', { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.seconds(10), ...props });
  }
  /**
   * Concurrent requests per model copy of an inference component, high resolution (10 s): what
   * its target tracking follows.
   */
  public metricConcurrentRequestsPerCopy(props?: cloudwatch.MetricOptions & { variantName?: string }): cloudwatch.Metric {
    return this.metric('ConcurrentRequestsPerCopy', { statistic: cloudwatch.Stats.MAXIMUM, period: Duration.seconds(10), ...props });
  }
  /**
   * Requests an inference component refused because it had no copy to serve them (it is at, or
   * waking from, zero). The alarm on it is what scales the component out from zero.
   */
  public metricNoCapacityInvocationFailures(props?: cloudwatch.MetricOptions & { variantName?: string }): cloudwatch.Metric {
    return this.metric('NoCapacityInvocationFailures', props);
  }
  /** Percent, summed over the instance's GPUs (100 per GPU). */
  public metricGpuUtilization(props?: cloudwatch.MetricOptions & { variantName?: string }): cloudwatch.Metric {
    return this.instanceMetric('GPUUtilization', props);
  }
  /** Percent, summed over the instance's GPUs (100 per GPU). */
  public metricGpuMemoryUtilization(props?: cloudwatch.MetricOptions & { variantName?: string }): cloudwatch.Metric {
    return this.instanceMetric('GPUMemoryUtilization', props);
  }

  /** The inference component serving `variantName`, or undefined for a plain variant. */
  public inferenceComponentNameOf(variantName: string): string | undefined {
    const variant = this.props.variants.find((v) => v.name === variantName);
    return variant?.inferenceComponent ? inferenceComponentNameFor(this.endpointName, variant.name) : undefined;
  }

  private instanceMetric(metricName: string, props: cloudwatch.MetricOptions & { variantName?: string } = {}): cloudwatch.Metric {
    const served = this.inferenceComponentNameOf(props.variantName ?? this.props.variants[0].name);
    const namespace = served ? '/aws/sagemaker/InferenceComponents' : '/aws/sagemaker/Endpoints';
    return this.metricIn(namespace, metricName, { statistic: cloudwatch.Stats.AVERAGE, ...props });
  }

  /** Inference-component variants report per component (InferenceComponentName), plain ones per endpoint variant. */
  private metricIn(namespace: string, metricName: string, props: cloudwatch.MetricOptions & { variantName?: string }): cloudwatch.Metric {
    const { variantName = this.props.variants[0].name, ...options } = props;
    const component = this.inferenceComponentNameOf(variantName);
    return new cloudwatch.Metric({
      namespace,
      metricName,
      dimensionsMap: component ? { InferenceComponentName: component } : { EndpointName: this.endpointName, VariantName: variantName },
      statistic: cloudwatch.Stats.SUM,
      ...options,
    });
  }

  private addInferenceComponent(variant: InferenceVariant, spec: InferenceComponentSpec, model: sagemaker.CfnModel): sagemaker.CfnInferenceComponent {
    const component = new sagemaker.CfnInferenceComponent(this, `Component-${variant.name}`, {
      endpointName: this.endpoint.attrEndpointName,
      inferenceComponentName: inferenceComponentNameFor(this.endpointName, variant.name),
      variantName: variant.name,
      specification: {
        modelName: model.attrModelName,
        computeResourceRequirements: {
          numberOfAcceleratorDevicesRequired: spec.acceleratorsPerCopy > 0 ? spec.acceleratorsPerCopy : undefined,
          minMemoryRequiredInMb: spec.memoryPerCopyMiB,
          numberOfCpuCoresRequired: spec.cpuCoresPerCopy,
        },
      },
      runtimeConfig: { copyCount: this.initialCount(variant) },
    });
    return component;
  }

  private initialCount(variant: InferenceVariant): number {
    return variant.initialInstanceCount ?? Math.max(1, variant.scaling?.minCapacity ?? 1);
  }

  private addScaling(variant: InferenceVariant, scaling: VariantScaling): void {
    const component = this.inferenceComponents[variant.name];
    const target = new appscaling.ScalableTarget(this, `Scaling-${variant.name}`, {
      serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
      // An inference component scales its model copies; SageMaker adds and removes instances for them.
      resourceId: component ? `inference-component/${inferenceComponentNameFor(this.endpointName, variant.name)}` : `endpoint/${this.endpointName}/variant/${variant.name}`,
      scalableDimension: component ? 'sagemaker:inference-component:DesiredCopyCount' : 'sagemaker:variant:DesiredInstanceCount',
      minCapacity: scaling.minCapacity,
      maxCapacity: scaling.maxCapacity,
    });
    target.node.addDependency(component ?? this.endpoint);
    this.scalableTargets[variant.name] = target;
    const cooldowns = {
      scaleInCooldown: scaling.scaleInCooldown ?? Duration.minutes(10),
      scaleOutCooldown: scaling.scaleOutCooldown ?? Duration.minutes(2),
    };
    const metric = scaling.metric ?? 'concurrency';
    if (metric === 'concurrency') {
      target.scaleToTrackMetric('TrackConcurrency', {
        predefinedMetric: component
          ? appscaling.PredefinedMetric.SAGEMAKER_INFERENCE_COMPONENT_CONCURRENT_REQUESTS_PER_COPY_HIGH_RESOLUTION
          : appscaling.PredefinedMetric.SAGEMAKER_VARIANT_CONCURRENT_REQUESTS_PER_MODEL_HIGH_RESOLUTION,
        targetValue: scaling.target,
        ...cooldowns,
      });
    } else if (metric === 'invocations') {
      target.scaleToTrackMetric('TrackInvocations', {
        predefinedMetric: component
          ? appscaling.PredefinedMetric.SAGEMAKER_INFERENCE_COMPONENT_INVOCATIONS_PER_COPY
          : appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
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
            : component
              ? this.metricConcurrentRequestsPerCopy({ variantName: variant.name, period: Duration.minutes(1) })
              : this.metricConcurrentRequestsPerModel({ variantName: variant.name, period: Duration.minutes(1) });
      const steps = target.scaleOnMetric('StepScaling', {
        metric: stepMetric,
        scalingSteps: scaling.steps.map((s) => ({ lower: s.lower, upper: s.upper, change: s.change })),
        adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        cooldown: cooldowns.scaleOutCooldown,
      });
      for (const alarm of steps.node.findAll().filter((c): c is cloudwatch.Alarm => c instanceof cloudwatch.Alarm)) {
        markControlAlarm(alarm, 'step scaling: its action is the scaling policy, not a page');
        // Named like every other alarm (`<env>-StepScalingUpper-<endpoint>-<variant>`), so a console list reads.
        (alarm.node.defaultChild as cloudwatch.CfnAlarm).alarmName = failureModeAlarmName(this, `StepScaling${alarm.node.id.replace(/Alarm$/, '')}`, `${this.endpointName}-${variant.name}`);
      }
    }
    if (component && scaling.minCapacity === 0) this.wakeFromZero(variant, target, cooldowns.scaleOutCooldown);
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

  /**
   * Target tracking cannot leave zero copies (there is no per-copy load to track), so a request
   * that finds no copy is what wakes the component: SageMaker counts it in
   * NoCapacityInvocationFailures, and this alarm adds one copy through a step-scaling policy.
   */
  private wakeFromZero(variant: InferenceVariant, target: appscaling.ScalableTarget, cooldown: Duration): void {
    const addCopy = new appscaling.StepScalingAction(this, `WakeFromZero-${variant.name}`, {
      scalingTarget: target,
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      metricAggregationType: appscaling.MetricAggregationType.MAXIMUM,
      cooldown,
    });
    addCopy.addAdjustment({ lowerBound: 0, adjustment: 1 });
    const alarm = new cloudwatch.Alarm(this, `WakeFromZeroAlarm-${variant.name}`, {
      alarmName: failureModeAlarmName(this, 'WakeFromZero', `${this.endpointName}-${variant.name}`),
      alarmDescription: `${this.endpointName} variant ${variant.name} refused a request with no copy running; adds one copy (scale out from zero).`,
      metric: this.metricNoCapacityInvocationFailures({ variantName: variant.name, period: Duration.minutes(1) }),
      // One refused request is enough: at zero copies every request fails until a copy starts.
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      datapointsToAlarm: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new cloudwatchActions.ApplicationScalingAction(addCopy));
    markControlAlarm(alarm, 'scale out from zero: its action adds an inference-component copy, it pages no one');
    this.wakeFromZeroAlarms[variant.name] = alarm;
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
        if (s.minCapacity === 0 && !variant.inferenceComponent) {
          problems.push(
            `${at}: scale-to-zero (scaling.minCapacity 0) needs an inference component, which a plain production variant is not; ` +
              'add inferenceComponent: { acceleratorsPerCopy, memoryPerCopyMiB } to the variant, or set scaling.minCapacity to 1 or more',
          );
        }
        if (s.metric === 'gpu-utilization' && variant.inferenceComponent) {
          problems.push(`${at}: scaling.metric "gpu-utilization" is not available for an inference component; use "concurrency" or "invocations" (per copy)`);
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
    problems.push(...this.inferenceComponentProblems(props, types));
    const sampling = props.dataCapture.samplingPercent ?? 100;
    if (sampling < 0 || sampling > 100) problems.push(`dataCapture.samplingPercent must be 0-100, got ${sampling}`);
    if (problems.length > 0) throw new InferenceEndpointError(`${where}: invalid definition:\n  - ${problems.join('\n  - ')}`);
    return types;
  }

  /** Inference components serve one production variant, with copies that fit the instance. */
  private inferenceComponentProblems(props: InferenceEndpointProps, types: Map<string, InstanceTypeInfo>): string[] {
    const problems: string[] = [];
    for (const shadow of props.shadowVariants ?? []) {
      if (shadow.inferenceComponent) {
        problems.push(`variant "${shadow.name}": a shadow variant cannot be served by an inference component; remove its inferenceComponent`);
      }
    }
    for (const variant of props.variants) {
      const spec = variant.inferenceComponent;
      if (!spec) continue;
      const at = `variant "${variant.name}"`;
      if (props.variants.length > 1) {
        problems.push(
          `${at}: an inference component serves an endpoint's only production variant, not an A/B split of ${props.variants.length} variants; ` +
            'remove inferenceComponent (and scale-to-zero) or the other variants',
        );
      }
      if ((props.shadowVariants ?? []).length > 0) {
        problems.push(`${at}: an endpoint served by an inference component cannot run shadow variants; remove shadowVariants or inferenceComponent`);
      }
      const name = inferenceComponentNameFor(props.endpointName, variant.name);
      if (!SAGEMAKER_NAME.test(name)) {
        problems.push(`${at}: its inference component would be named "${name}", over 63 characters; shorten endpointName or the variant name`);
      }
      const gpus = types.get(variant.name)?.gpus;
      if (!Number.isInteger(spec.acceleratorsPerCopy) || spec.acceleratorsPerCopy < 0) {
        problems.push(`${at}: inferenceComponent.acceleratorsPerCopy must be a whole number, got ${spec.acceleratorsPerCopy}`);
      } else if (gpus !== undefined && spec.acceleratorsPerCopy > gpus) {
        problems.push(`${at}: inferenceComponent.acceleratorsPerCopy (${spec.acceleratorsPerCopy}) exceeds the ${gpus} GPU(s) of ${variant.instanceType}`);
      } else if ((variant.gpu ?? true) && spec.acceleratorsPerCopy === 0) {
        problems.push(`${at}: inferenceComponent.acceleratorsPerCopy is 0 on a GPU variant; give each copy at least 1 GPU, or set gpu: false`);
      }
      if (!Number.isInteger(spec.memoryPerCopyMiB) || spec.memoryPerCopyMiB < 128) {
        problems.push(`${at}: inferenceComponent.memoryPerCopyMiB must be a whole number of MiB, at least 128, got ${spec.memoryPerCopyMiB}`);
      }
      if (spec.cpuCoresPerCopy !== undefined && !(spec.cpuCoresPerCopy > 0)) {
        problems.push(`${at}: inferenceComponent.cpuCoresPerCopy must be greater than 0, got ${spec.cpuCoresPerCopy}`);
      }
    }
    return problems;
  }
}
