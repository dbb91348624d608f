import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { ModelConfig } from '../../config/model-registry';

/** Properties for {@link ModelRegistry}. */
export interface ModelRegistryProps {
  /** One model package group per model. */
  readonly models: readonly ModelConfig[];
  /** Encrypts model artifacts. */
  readonly artifactsKey: kms.IKey;
  /** Receives the artifact bucket's access logs. */
  readonly serverAccessLogsBucket: s3.IBucket;
  /**
   * Accounts that may read every group (the later environments on the promotion path).
   *
   * @default - none
   */
  readonly readerAccounts?: readonly string[];
  /**
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}
