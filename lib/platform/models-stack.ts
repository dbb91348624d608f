import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/schema';
import { FeatureStore } from '../feature-store/feature-store';
import { ModelRegistry } from '../model-registry/model-registry';
import type { DataLakeStack } from './data-lake-stack';
import type { FoundationStack } from './foundation-stack';

/** Properties for {@link ModelsStack}. */
export interface ModelsStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly foundation: FoundationStack;
  readonly dataLake: DataLakeStack;
  /** Accounts later on the promotion path, which may read this registry. */
  readonly promotionTargetAccounts: readonly string[];
}

/** The environment's feature store and model registry. */
export class ModelsStack extends Stack {
  public readonly featureStore: FeatureStore;
  public readonly registry: ModelRegistry;

  constructor(scope: Construct, id: string, props: ModelsStackProps) {
    super(scope, id, props);
    const { config, foundation } = props;
    const removalPolicy = config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    this.featureStore = new FeatureStore(this, 'FeatureStore', {
      featureGroups: config.featureStore.featureGroups,
      onlineStorageType: config.featureStore.onlineStorageType,
      onlineStoreKey: foundation.keys.models,
      offlineStoreKey: foundation.keys.dataLake,
      serverAccessLogsBucket: foundation.accessLogs.bucket,
      removalPolicy,
    });
    this.registry = new ModelRegistry(this, 'Registry', {
      models: config.modelRegistry.models,
      artifactsKey: foundation.keys.models,
      serverAccessLogsBucket: foundation.accessLogs.bucket,
      readerAccounts: props.promotionTargetAccounts,
      removalPolicy,
    });
  }
}
