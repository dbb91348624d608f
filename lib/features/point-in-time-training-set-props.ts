import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { PlatformServiceProps } from '../compute/platform-service-props';
import type { FeatureGroupDefinition } from '../feature-store/feature-group';

/** Properties for {@link PointInTimeTrainingSet}. */
export interface PointInTimeTrainingSetProps extends PlatformServiceProps {
  /** The feature groups an execution may name (as configured); each needs an offline store. */
  readonly featureGroups: readonly FeatureGroupDefinition[];
  /** The feature store's offline store bucket (`FeatureStore.offlineStore.bucket`). */
  readonly offlineStoreBucket: s3.IBucket;
  /** The Glue database of the offline store. @default 'sagemaker_featurestore' */
  readonly offlineDatabaseName?: string;
  /** The Glue database label tables are read from (the lake's). */
  readonly labelsDatabaseName: string;
  /** The bucket the label tables live in (the lake's curated zone). */
  readonly labelsBucket: s3.IBucket;
  /** The lake key: it encrypts the offline store, the labels, and the training sets written here. */
  readonly encryptionKey: kms.IKey;
  /** Receives the output bucket's access logs. */
  readonly serverAccessLogsBucket: s3.IBucket;
  /** Athena cancels a query that would scan more than this. */
  readonly bytesScannedCutoffPerQuery: number;
  /** @default - the isolated subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
}
