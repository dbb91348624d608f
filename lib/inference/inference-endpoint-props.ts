import type { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { AlarmDestination } from '../monitoring/failure-modes';

/** The metric a variant's target-tracking policy follows. */
export type ScalingMetric = 'concurrency' | 'invocations' | 'gpu-utilization';

/** One step of a step-scaling policy: when the metric is in [lower, upper), change capacity by `change`. */
export interface ScalingStep {
  /** @default - unbounded below */
  readonly lower?: number;
  /** @default - unbounded above */
  readonly upper?: number;
  /** Instances to add (positive) or remove (negative). */
  readonly change: number;
}

/** Scale a variant down outside working hours (dev), and back up. */
export interface ScalingSchedule {
  /** Cron (EventBridge syntax, six fields) for scaling down, e.g. `0 19 ? * MON-FRI *`. */
  readonly scaleDownCron: string;
  /** Cron for scaling back up, e.g. `0 7 ? * MON-FRI *`. */
  readonly scaleUpCron: string;
  /** Max instances outside working hours (also the min then). */
  readonly offHoursCapacity: number;
  /** IANA time zone of the crons. @default 'UTC' */
  readonly timeZone?: string;
}

/** Autoscaling of one variant. `maxCapacity` is a hard cost cap. */
export interface VariantScaling {
  readonly minCapacity: number;
  readonly maxCapacity: number;
  /**
   * @default 'concurrency' (high-resolution ConcurrentRequestsPerModel), the right default for GPU
   */
  readonly metric?: ScalingMetric;
  /** Target value: concurrent requests per model, invocations per instance per minute, or GPU utilisation in percent. */
  readonly target: number;
  /** @default Duration.minutes(10) */
  readonly scaleInCooldown?: Duration;
  /** @default Duration.minutes(2) */
  readonly scaleOutCooldown?: Duration;
  /**
   * Step scaling on the same metric, in addition to target tracking.
   *
   * @default - none
   */
  readonly steps?: readonly ScalingStep[];
  /** @default - no schedule */
  readonly schedule?: ScalingSchedule;
}

/**
 * Serve a variant through a SageMaker inference component: the endpoint manages instances
 * (`ManagedInstanceScaling`) and the model runs as copies that scale on their own, down to zero.
 * Only a single production variant without shadow variants can be served this way.
 */
export interface InferenceComponentSpec {
  /** GPUs (accelerators) each model copy needs; at most the instance type's GPU count. */
  readonly acceleratorsPerCopy: number;
  /** Memory each model copy needs, in MiB (SageMaker's `MinMemoryRequiredInMb`). */
  readonly memoryPerCopyMiB: number;
  /** @default - SageMaker decides */
  readonly cpuCoresPerCopy?: number;
}

/** A production or shadow variant: a model on a fleet. */
export interface InferenceVariant {
  readonly name: string;
  /** `ml.<family>.<size>`, checked against Plinth's table (`lib/inference/instance-types.ts`). */
  readonly instanceType: string;
  /**
   * The variant must have a GPU: a GPU-less type fails synth.
   *
   * @default true
   */
  readonly gpu?: boolean;
  /** Inference image (ECR URI) of the model this variant starts with; deployments replace it. */
  readonly image: string;
  /** @default - none (the image holds the model) */
  readonly modelDataUrl?: string;
  /** @default - none */
  readonly environment?: Record<string, string>;
  /** Share of traffic (A/B), relative to the other production variants. @default 1 */
  readonly initialWeight?: number;
  /** Initial instances. @default scaling.minCapacity, at least 1 */
  readonly initialInstanceCount?: number;
  /**
   * Autoscaling. With an inference component it scales model copies (`minCapacity` 0 allowed),
   * and `maxCapacity` caps both copies and instances.
   *
   * @default - fixed at initialInstanceCount
   */
  readonly scaling?: VariantScaling;
  /**
   * Serve this variant through an inference component; required for scale-to-zero.
   *
   * @default - a plain production variant with its model on the variant
   */
  readonly inferenceComponent?: InferenceComponentSpec;
}

/** Properties for {@link InferenceEndpoint}. */
export interface InferenceEndpointProps {
  /** The endpoint's name: the deploy-model function and the gateway find it by name. */
  readonly endpointName: string;
  /** Production variants (A/B by weight). */
  readonly variants: readonly InferenceVariant[];
  /**
   * Shadow variants: receive a copy of production traffic; their answers are logged, not returned.
   *
   * @default - none
   */
  readonly shadowVariants?: readonly InferenceVariant[];
  readonly vpc: ec2.IVpc;
  /** @default - the isolated subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups: ec2.ISecurityGroup[];
  /** The role models run as (network-isolated). */
  readonly executionRole: iam.IRole;
  /** Encrypts endpoint volumes (where the instance type allows) and data capture. */
  readonly encryptionKey: kms.IKey;
  /** Data capture into the lake. */
  readonly dataCapture: {
    readonly bucket: s3.IBucket;
    /** @default 'capture/' */
    readonly prefix?: string;
    /** @default 100 */
    readonly samplingPercent?: number;
    /** Turning capture off is an explicit, visible opt-out. @default true */
    readonly enabled?: boolean;
  };
  /** p99 model latency budget, in milliseconds. */
  readonly p99LatencyMs: number;
  readonly alarmAction: AlarmDestination;
  /** @default 'docs/runbooks/' */
  readonly runbookBaseUrl?: string;
}

/**
 * What other constructs need of an inference endpoint: {@link InferenceEndpoint} implements it.
 * Pass the endpoint itself, not its name, so a renamed endpoint cannot leave a stale reference.
 */
export interface IInferenceEndpoint {
  readonly endpointName: string;
  readonly endpointArn: string;
  /** The production variants, in declaration order (shadow variants are not what users are served). */
  readonly productionVariantNames: readonly string[];
  /** Variant name → the hard max instance (or copy) count, for the variants that autoscale. */
  readonly variantMaxCapacity: Readonly<Record<string, number>>;
  /**
   * The percentage of requests data capture records: 0 when capture is off or cannot record (an
   * inference component). A drift monitor scales the endpoint's request count by it to tell a
   * quiet window from a capture that broke.
   *
   * @default - not known: a drift monitor assumes 100
   */
  readonly dataCaptureSamplingPercent?: number;
  /** The inference component serving `variantName`, or undefined for a plain variant. */
  inferenceComponentNameOf(variantName: string): string | undefined;
  /** Lets `grantee` invoke the endpoint. */
  grantInvoke(grantee: iam.IGrantable): iam.Grant;
  /**
   * Lets `grantee` learn which model package the endpoint serves (contract B,
   * lambdas/shared/served-models.ts): DescribeEndpoint on this endpoint, DescribeEndpointConfig on
   * endpoint configs and DescribeModel/ListTags on models. deploy-model names configs and models at
   * run time, so those two are `endpoint-config/*` and `model/*` of the account and region
   * (describe-only); the grantee acknowledges them where its policy is (see
   * {@link servedModelsWildcards}).
   */
  grantReadServedModels(grantee: iam.IGrantable): iam.Grant;
}

/** An endpoint defined outside this app: see `InferenceEndpoint.fromEndpointAttributes`. */
export interface InferenceEndpointAttributes {
  readonly endpointName: string;
  /** Its production variants (at least one). */
  readonly productionVariantNames: readonly string[];
  /**
   * Variant name → its hard max capacity, for the variants that autoscale.
   *
   * @default - no variant autoscales
   */
  readonly variantMaxCapacity?: Readonly<Record<string, number>>;
  /**
   * The variants served by an inference component named `<endpointName>-<variant>`.
   *
   * @default - none
   */
  readonly inferenceComponentVariants?: readonly string[];
  /**
   * The percentage of requests the endpoint's data capture records (0 when capture is off).
   *
   * @default - not known: a drift monitor assumes 100
   */
  readonly dataCaptureSamplingPercent?: number;
}
