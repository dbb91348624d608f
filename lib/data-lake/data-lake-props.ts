import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { DatasetDefinition } from './dataset';
import type { AlarmDestination } from '../monitoring/failure-modes';

/** When objects move to colder storage, and when old versions go. */
export interface DataLakeLifecycle {
  /** Days after creation before objects move to S3 Standard-IA (30 at the earliest). */
  readonly infrequentAccessAfterDays: number;
  /** Days after creation before objects move to Glacier Flexible Retrieval. */
  readonly glacierAfterDays: number;
  /** Days a version stays after it stops being current. */
  readonly noncurrentVersionExpirationDays: number;
}

/** How the ingestion pipeline retries and scales. */
export interface DataLakeIngestion {
  /** Deliveries of one message before it moves to the DLQ. */
  readonly maxReceiveCount: number;
  /** The ingest function's reserved concurrency (also its ceiling). */
  readonly reservedConcurrency: number;
  /** Messages per Lambda invocation (1 to 10). */
  readonly batchSize: number;
}

/** Properties for {@link DataLake}. */
export interface DataLakeProps {
  /** Encrypts every zone, the queues, the query results and the catalog. */
  readonly encryptionKey: kms.IKey;
  /** Encrypts the ingest function's log group. */
  readonly logsKey: kms.IKey;
  /** Receives S3 server access logs for every lake bucket. */
  readonly serverAccessLogsBucket: s3.IBucket;
  /** The VPC the ingest function runs in (isolated subnets with endpoints, see `PlatformNetwork`). */
  readonly vpc: ec2.IVpc;
  /**
   * Subnets of `vpc` for the ingest function.
   *
   * @default - the isolated subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The datasets to ingest, each with its schema (see `config/datasets/` for examples). Checked at
   * synth with the ingest function's own rules: a bad one fails naming the dataset and field.
   */
  readonly datasets: readonly DatasetDefinition[];
  /**
   * @default - IA after 90 days, Glacier after 365, old versions expire after 365
   */
  readonly lifecycle?: DataLakeLifecycle;
  /**
   * The most one Athena query in the workgroup may scan, in bytes; larger queries are cancelled.
   *
   * @default 10 GB
   */
  readonly athenaBytesScannedCutoffPerQuery?: number;
  /**
   * @default - 5 receives before the DLQ, reserved concurrency 10, batches of 5
   */
  readonly ingestion?: DataLakeIngestion;
  /**
   * Retention of the ingest function's logs.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * RETAIN keeps every zone and its data; DESTROY is an explicit opt-in (dev only).
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /** Where the lake's alarms notify, for example `PlatformAlarmTopic.alarmAction`. An alarm nobody hears is no alarm. */
  readonly alarmAction: AlarmDestination;
  /**
   * The environment name the ingest function reports in its events.
   *
   * @default - the stack name
   */
  readonly environmentName?: string;
  /**
   * Where alarm descriptions point for runbooks: a URL or path prefix ending in `/`.
   *
   * @default 'docs/runbooks/'
   */
  readonly runbookBaseUrl?: string;
  /**
   * The share of a dataset's records (in percent, over 15 minutes) that may go to quarantine before
   * the quarantine-rate alarm fires. Lines swallowed by one oversized record (a stray quote) count
   * as quarantined, so a record that hides thousands of rows cannot keep the rate low.
   *
   * @default 5
   */
  readonly quarantineRateAlarmPercent?: number;
}

/**
 * A Glue database of the lake that other constructs register tables in: {@link DataLake}
 * implements it. Pass the lake, not its database name.
 */
export interface ILakeDatabase {
  /** The Glue database's name. */
  readonly databaseName: string;
}
