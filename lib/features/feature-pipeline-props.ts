import type { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { PlatformServiceProps } from '../compute/platform-service-props';
import type { FeatureGroupDefinition } from '../feature-store/feature-group';

/** The part of the data lake a feature pipeline or a training-set job reads. */
export interface FeatureLakeSource {
  /** The lake's Glue database (curated tables, one per dataset). */
  readonly databaseName: string;
  /** The curated zone. */
  readonly curatedBucket: s3.IBucket;
  /** The lake key: it encrypts the curated zone, and the job's staging and query results. */
  readonly encryptionKey: kms.IKey;
  /** The lake's datasets; a group's `source.dataset` must be one of them. */
  readonly datasetNames: readonly string[];
  /**
   * The raw zone, whose EventBridge "Object Created" events start an `afterIngestion` refresh.
   *
   * @default - none; a group with `refresh: { afterIngestion: true }` then fails at synth
   */
  readonly rawBucket?: s3.IBucket;
}

/** Properties for {@link FeaturePipeline}. */
export interface FeaturePipelineProps extends PlatformServiceProps {
  /** The group to materialize; it needs `source` and `refresh` (checked at synth). */
  readonly group: FeatureGroupDefinition;
  readonly lake: FeatureLakeSource;
  /** The key of the online store (PutRecord writes through it). */
  readonly onlineStoreKey: kms.IKey;
  /** Receives the staging bucket's access logs. */
  readonly serverAccessLogsBucket: s3.IBucket;
  /** Athena cancels a materialization query that would scan more than this. */
  readonly bytesScannedCutoffPerQuery: number;
  /**
   * How far back each run looks for rows by ARRIVAL time (when their curated object was written).
   * Consecutive windows overlap by lookback minus the refresh period, so an object dated just
   * before a window's end that became visible only after that run's query (a multipart upload is
   * dated when it began) is taken by the next. A row taken twice is written twice with the same record id and event time: the same
   * values, unless rows of its history arrived in between; both stores then keep the later run's.
   *
   * @default - twice the refresh period
   */
  readonly lookback?: Duration;
  /**
   * How long before a run's window a row may have happened and still be featurized when it arrives.
   * Each run reads the dataset's ingest partitions from this far (plus `source.lookbackDays` and a
   * day) before the window, so a larger allowance scans more. A row older than that is staged
   * `too-late` and dead-lettered (RecordsRejected, FeatureDeadLetters alarm); a backfill whose
   * windowStart is before its event time featurizes it.
   *
   * @default Duration.days(3)
   */
  readonly maxLateness?: Duration;
  /**
   * For `afterIngestion`: how long after a raw object arrives the run starts, so the ingest
   * function has curated it.
   *
   * @default Duration.minutes(5)
   */
  readonly afterIngestionDelay?: Duration;
  /**
   * The refresh period when `refresh` is `afterIngestion` (the source dataset's freshness).
   *
   * @default - required for afterIngestion; a rate schedule gives its own period
   */
  readonly ingestionPeriod?: Duration;
  /** Staged objects ingested at once (Distributed Map concurrency). @default 10 */
  readonly maxConcurrentObjects?: number;
  /** PutRecord calls in flight per object. @default 10 */
  readonly putConcurrency?: number;
  /** @default - the isolated subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
}
