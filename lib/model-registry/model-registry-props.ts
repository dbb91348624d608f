import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/** One model's package group in the registry: all the registry needs of a model. */
export interface ModelGroupDefinition {
  /** The model package group's name (SageMaker: letters, digits and hyphens, up to 63). */
  readonly name: string;
  /**
   * Shown on the package group.
   *
   * @default - none
   */
  readonly description?: string;
}

/** Properties for {@link ModelRegistry}. */
export interface ModelRegistryProps {
  /** One model package group per model. */
  readonly models: readonly ModelGroupDefinition[];
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
