import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { FeatureGroupDefinition } from './feature-group';

/** Properties for {@link FeatureStore}. */
export interface FeatureStoreProps {
  /** The feature groups, as typed definitions (see `config/feature-groups/` for examples). Checked at synth. */
  readonly featureGroups: readonly FeatureGroupDefinition[];
  /** Encrypts the online store. */
  readonly onlineStoreKey: kms.IKey;
  /** Encrypts the offline store's files: the data-lake key, as the offline store is part of the lake. */
  readonly offlineStoreKey: kms.IKey;
  /** Receives the offline-store bucket's access logs. */
  readonly serverAccessLogsBucket: s3.IBucket;
  /**
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * `InMemory` is faster and costs more, and has no TTL.
   *
   * @default 'Standard'
   */
  readonly onlineStorageType?: 'Standard' | 'InMemory';
}
