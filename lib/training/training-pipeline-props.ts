import type { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { PlatformServiceProps } from '../compute/platform-service-props';
import type { IInferenceEndpoint } from '../inference/inference-endpoint-props';
import type { IModelRegistry } from '../model-registry/model-registry-props';

/**
 * The point-in-time training-set job a pipeline builds its data with (the features capability's
 * `PointInTimeTrainingSet` satisfies it). Its execution input and output are the documented
 * contract: input `{ name, runId, labels, featureGroups, windowStart, windowEnd, split? }`,
 * output `{ manifestUri, trainingSetUri, rowCount }`.
 */
export interface ITrainingSetJob {
  readonly stateMachine: sfn.IStateMachine;
  /** Where training sets are written. */
  readonly outputBucket: s3.IBucket;
  /** The prefix training sets are written under, e.g. `training-sets/`. */
  readonly outputPrefix: string;
  grantStartExecution(grantee: iam.IGrantable): iam.Grant;
}

/** Where the labels of a training set come from (a lake table). */
export interface TrainingSetLabels {
  readonly database: string;
  readonly table: string;
  readonly entityKeyColumn: string;
  readonly eventTimeColumn: string;
  readonly labelColumn: string;
}

/** The training set of each run, split by time: holdout is the latest slice, validation the one before. */
export interface TrainingSetSpec {
  /** The training set's name ([a-z0-9-]+). */
  readonly name: string;
  readonly labels: TrainingSetLabels;
  /** Feature group names, as configured. */
  readonly featureGroups: readonly string[];
  /** The window ends at the run's `WindowEnd` parameter and reaches back this long. */
  readonly window: Duration;
  /** The last part of the window, held out for evaluation. */
  readonly holdout: Duration;
  /** The part before the holdout, for validation during training. */
  readonly validation: Duration;
  /**
   * How long labels take to arrive after their event (chargebacks: days). The window ends this
   * long before the run's `WindowEnd`, so the holdout holds only events whose labels have had
   * time to arrive: without it, the latest events' positives are not labelled yet, read as
   * negatives, and the evaluation and the gate judge the models on wrong labels. `ModelsStack`
   * sets the model's `quality.labelDelayHours` unless the training set names its own.
   * @default Duration.seconds(0) - labels are complete when their event is
   */
  readonly labelDelay?: Duration;
}

/** Managed Spot training. */
export interface SpotTraining {
  /** How long to wait for Spot capacity plus run time; must be at least `maxRuntime`. */
  readonly maxWait: Duration;
}

/** The training job. */
export interface TrainingJobSpec {
  /** The training image (ECR URI with a tag or digest). */
  readonly image: string;
  /** @default - none */
  readonly hyperparameters?: Readonly<Record<string, string>>;
  /** Checked against Plinth's instance table (`lib/inference/instance-types.ts`). */
  readonly instanceType: string;
  /** @default 1 */
  readonly instanceCount?: number;
  /** @default 50 */
  readonly volumeSizeGb?: number;
  readonly maxRuntime: Duration;
  /** Managed Spot with checkpoints to the lake. @default - on-demand */
  readonly spot?: SpotTraining;
}

/** What the evaluation scores and how the gate decides. */
export interface EvaluationSpec {
  readonly problemType: 'binary_classification' | 'regression';
  /** The metric the gate reads: auc, precision or recall (classification, higher is better); mae or rmse (regression, lower is better). */
  readonly primaryMetric: 'auc' | 'precision' | 'recall' | 'mae' | 'rmse';
  /** Decision threshold for precision and recall. @default 0.5 */
  readonly threshold?: number;
  /** The new model's primary metric must be at least (at most, for errors) this. */
  readonly floor: number;
  /** How much worse than the champion the new model may be. */
  readonly tolerance: number;
  /**
   * Your own evaluation image; it must write `evaluation.json` and `gate.json` as documented in
   * docs/training.md. @default - the AWS scikit-learn image running Plinth's reference script
   */
  readonly image?: string;
  /** The entrypoint of your own image. @default - the image's own */
  readonly entrypoint?: readonly string[];
  /** @default 'ml.m5.xlarge' */
  readonly instanceType?: string;
}

/** Properties for {@link TrainingPipeline}. */
export interface TrainingPipelineProps extends PlatformServiceProps {
  /** The model: its package group in `registry` has this name. */
  readonly modelName: string;
  /** The registry that holds the model's package group (a `ModelRegistry`); the pipeline registers there and finds the champion there. */
  readonly registry: IModelRegistry;
  /**
   * The endpoint that serves the model (an `InferenceEndpoint`, or
   * `InferenceEndpoint.fromEndpointAttributes`). The champion a retrained model must beat is the
   * package this endpoint SERVES when the run starts (contract B: the endpoint's current config,
   * each variant's model and its `plinth:model-package` tag), not the group's latest Approved
   * package, which may be approved and not deployed (canary rolled back, promotion pending, a failed
   * deployment). During an A/B test the champion is the package of the production variant with the
   * largest current weight (the incumbent); between variants of equal weight, the most recently
   * approved of their packages. The lookup is granted through
   * `endpoint.grantReadServedModels`.
   *
   * When the served package cannot be learnt (no endpoint given, the endpoint does not exist yet or
   * serves nothing, its models carry no `plinth:model-package` tag) the champion is the latest
   * Approved package, and the run records that: `plinth:champion-source` = `latest-approved` (or
   * `none`) and `plinth:champion-reason` on the registered package, the same on the evaluation job
   * (`PLINTH_CHAMPION_SOURCE`/`PLINTH_CHAMPION_REASON`), in the gate's rejection message, a WARN log
   * and the `Plinth/Training` `ChampionFallback` metric.
   *
   * @default - no endpoint: the champion is the latest Approved package, recorded as `latest-approved`
   */
  readonly endpoint?: IInferenceEndpoint;
  readonly trainingSetJob: ITrainingSetJob;
  readonly trainingSet: TrainingSetSpec;
  readonly training: TrainingJobSpec;
  readonly evaluation: EvaluationSpec;
  /** The serving image registered with the model (the endpoint's image). */
  readonly servingImage: string;
  /** Where model artifacts, evaluation reports and training samples go (the registry's artifact bucket). */
  readonly artifactsBucket: s3.IBucket;
  /** Encrypts artifacts, training volumes and outputs. */
  readonly modelsKey: kms.IKey;
  /** The lake bucket that holds Spot checkpoints and the no-champion marker. */
  readonly lakeBucket: s3.IBucket;
  readonly lakeKey: kms.IKey;
  /** Decrypts the training sets. @default - lakeKey */
  readonly trainingSetKey?: kms.IKey;
  /** @default - a new group with HTTPS out only */
  readonly securityGroup?: ec2.ISecurityGroup;
  /** An execution left running this long is reported stuck. @default - 2 × (max runtime or Spot max wait) + 6 hours */
  readonly stuckAfter?: Duration;
}
