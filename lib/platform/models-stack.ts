import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/schema';
import { FeatureStore } from '../feature-store/feature-store';
import { ModelDeployment } from '../model-registry/model-deployment';
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

/** The environment's feature store, model registry and approval-driven deployment workflow. */
export class ModelsStack extends Stack {
  public readonly featureStore: FeatureStore;
  public readonly registry: ModelRegistry;
  public readonly deployment: ModelDeployment;

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
    this.deployment = new ModelDeployment(this, 'Deployment', {
      registry: this.registry,
      models: config.modelRegistry.models,
      vpc: foundation.network.vpc,
      modelsKey: foundation.keys.models,
      logsKey: foundation.keys.logs,
      alarmTopic: foundation.alarms.topic,
      alarmAction: foundation.alarms.alarmAction,
      canaryPercent: config.modelRegistry.canary.percent,
      canaryWait: Duration.minutes(config.modelRegistry.canary.waitMinutes),
      allowedImageRegistries: config.modelRegistry.allowedImageRegistries.length > 0 ? config.modelRegistry.allowedImageRegistries : undefined,
      logRetention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy,
      environmentName: config.name,
    });
  }
}
