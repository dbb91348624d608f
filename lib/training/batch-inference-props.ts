import type { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as events from 'aws-cdk-lib/aws-events';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { PlatformServiceProps } from '../compute/platform-service-props';
import type { ILakeDatabase } from '../data-lake/data-lake-props';
import type { IModelRegistry } from '../model-registry/model-registry-props';

/** The lake dataset a model scores in batch: JSON lines under `<prefix><partitionKey>=yyyy-MM-dd/`. */
export interface BatchInferenceSource {
  readonly bucket: s3.IBucket;
  /** The dataset's key prefix, ending in `/` (a curated dataset's is `<dataset>/`). */
  readonly prefix: string;
  /** The day partition key. @default 'ingest_date' */
  readonly partitionKey?: string;
  /** Decrypts the dataset. */
  readonly key: kms.IKey;
}

/** Properties for {@link BatchInference}. */
export interface BatchInferenceProps extends PlatformServiceProps {
  /** The model, i.e. its package group; the run scores with the group's latest Approved package. */
  readonly modelName: string;
  /** The registry that holds the model's package group (a `ModelRegistry`). */
  readonly registry: IModelRegistry;
  /** Where the registered model artifacts live (the registry's artifact bucket, `models/<model>/`). */
  readonly artifactsBucket: s3.IBucket;
  /** Decrypts the model artifacts. */
  readonly modelsKey: kms.IKey;
  readonly source: BatchInferenceSource;
  /** The lake bucket predictions are written to, under `predictions/<model>/`. */
  readonly outputBucket: s3.IBucket;
  /** Encrypts predictions, the transform output and volumes, and the tracking table. */
  readonly outputKey: kms.IKey;
  /** The lake's Glue database (a `DataLake`); the predictions table is registered there, under Lake Formation. */
  readonly database: ILakeDatabase;
  /** Roles granted SELECT and DESCRIBE on the predictions table. @default - none */
  readonly readers?: readonly iam.IRole[];
  /** When the job runs (a day partition is scored once its day has ended). */
  readonly schedule: events.Schedule;
  /** Only partitions this far back are considered. @default Duration.days(7) */
  readonly lookback?: Duration;
  /**
   * How far before the lookback window each run sweeps for late objects: objects that arrived
   * (S3 LastModified) after their day partition had left the window, e.g. a dead-letter redrive.
   * Such a partition is claimed and scored whole like any other; late objects a run cannot claim
   * are counted in `LateObjectsUnscored`, which alarms (`batch-inference-late-input`). Objects
   * landing in a day older than lookback + horizon are not seen. Whole days, 1-400.
   * @default Duration.days(30)
   */
  readonly lateArrivalHorizon?: Duration;
  /** At most this many partitions per run (1-40). @default 4 */
  readonly maxPartitionsPerRun?: number;
  /** Checked against Plinth's instance table (`lib/inference/instance-types.ts`). */
  readonly instanceType: string;
  /** @default 1 */
  readonly instanceCount?: number;
  /** The model's input and output content type. @default 'application/jsonlines' */
  readonly contentType?: string;
  /** Largest mini-batch sent to the container, in MB (1-100). @default 6 */
  readonly maxPayloadMb?: number;
  /** A partition's transform job is stopped after this. @default Duration.hours(1) */
  readonly partitionTimeout?: Duration;
  /** @default - a new group with HTTPS out only */
  readonly securityGroup?: ec2.ISecurityGroup;
}
