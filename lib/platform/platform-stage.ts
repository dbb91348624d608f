import { CfnOutput, Stage, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/schema';
import { PlatformGuardrails } from '../guardrails/platform-guardrails';
import { DataLakeStack } from './data-lake-stack';
import { FoundationStack } from './foundation-stack';
import { ModelsStack, type ModelsStackProps } from './models-stack';
import { MonitoringStack } from './monitoring-stack';

/** Properties for {@link PlatformStage}. */
export interface PlatformStageProps extends StageProps {
  /** The validated environment config (see `config/`). */
  readonly config: EnvironmentConfig;
  /**
   * Accounts later on the promotion path, which may read this environment's model registry.
   *
   * @default - none
   */
  readonly promotionTargetAccounts?: readonly string[];
  /**
   * Builds the point-in-time training-set job for the training pipelines (in the Models stack).
   *
   * @default - none: models that declare training get no pipeline (a synth warning says so)
   */
  readonly trainingSetJob?: ModelsStackProps['trainingSetJob'];
}

/** One environment of Plinth: every stack it needs, under the environment's guardrails. */
export class PlatformStage extends Stage {
  public readonly config: EnvironmentConfig;
  public readonly foundation: FoundationStack;
  public readonly guardrails: PlatformGuardrails;
  public readonly dataLake: DataLakeStack;
  public readonly models: ModelsStack;
  public readonly monitoring: MonitoringStack;

  constructor(scope: Construct, id: string, props: PlatformStageProps) {
    const { config } = props;
    super(scope, id, { ...props, env: { account: config.account, region: config.region } });
    this.config = config;
    // Synth must work offline: answer CDK's availability-zone lookup from config instead of AWS.
    this.node.setContext(
      `availability-zones:account=${config.account}:region=${config.region}`,
      config.network.availabilityZones,
    );
    this.foundation = new FoundationStack(this, 'Foundation', {
      config,
      description: `Plinth ${config.name}: keys, network and access logs`,
    });
    this.dataLake = new DataLakeStack(this, 'DataLake', {
      config,
      foundation: this.foundation,
      description: `Plinth ${config.name}: data lake, catalog, query and ingestion`,
    });
    // Batch inference in the Models stack reads and writes the curated zone by this export.
    const curatedExport = `${this.dataLake.stackName}-CuratedBucketName`;
    new CfnOutput(this.dataLake, 'CuratedBucketName', {
      value: this.dataLake.dataLake.curated.bucket.bucketName,
      exportName: curatedExport,
      description: 'The curated zone of the lake (batch inference reads datasets and writes predictions/ there)',
    });
    this.models = new ModelsStack(this, 'Models', {
      config,
      foundation: this.foundation,
      promotionTargetAccounts: props.promotionTargetAccounts ?? [],
      reviewQueues: this.dataLake.reviewQueues,
      lake: this.dataLake.dataLake,
      groundTruthBucket: this.dataLake.dataLake.curated.bucket,
      featureLake: {
        databaseName: this.dataLake.dataLake.databaseName,
        curatedBucket: this.dataLake.dataLake.curated.bucket,
        rawBucket: this.dataLake.dataLake.raw.bucket,
        encryptionKey: this.foundation.keys.dataLake,
        datasetNames: config.dataLake.datasets.map((d) => d.name),
      },
      trainingSetJob: props.trainingSetJob,
      lakeCurated: { bucketNameExport: curatedExport, readers: [this.dataLake.dataLake.readerRole] },
      description: `Plinth ${config.name}: feature store, model registry, endpoints and drift jobs`,
    });
    // The import above does not make a dependency by itself.
    this.models.addStackDependency(this.dataLake);
    this.monitoring = new MonitoringStack(this, 'Monitoring', {
      config,
      dataLake: this.dataLake,
      models: this.models,
      description: `Plinth ${config.name}: dashboard`,
    });
    this.guardrails = new PlatformGuardrails(this.foundation, 'Guardrails', {
      appliesTo: this,
      tags: {
        owner: config.tags.owner,
        costCenter: config.tags.costCenter,
        dataClassification: config.tags.dataClassification,
        environment: config.name,
      },
      removalPolicy: config.removalPolicy,
      endpointInstanceLimits: config.endpointInstanceLimits,
    });
  }
}
