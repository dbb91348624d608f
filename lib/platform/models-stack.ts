import { Annotations, Duration, Fn, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { driftFeatures, type VariantConfig } from '../../config/model-registry';
import { groundTruthDatasetName } from '../../config/datasets/ground-truth';
import { SAGEMAKER_REALTIME_PRICES } from '../../config/pricing/sagemaker-instances';
import { ModelQualityMonitor } from '../quality/model-quality-monitor';
import type { QualityPrice } from '../quality/model-quality-monitor';
import type { EnvironmentConfig } from '../../config/schema';
import { DriftRetraining } from '../drift/drift-retraining';
import { ModelDriftMonitor } from '../drift/model-drift-monitor';
import { FeatureStore } from '../feature-store/feature-store';
import { FeaturePipeline } from '../features/feature-pipeline';
import type { FeatureLakeSource } from '../features/feature-pipeline-props';
import { PointInTimeTrainingSet } from '../features/point-in-time-training-set';
import { acknowledgeFinding, wildcardResourceFinding } from '../compliance/acknowledge';
import { PlinthError } from '../errors';
import type { ILakeDatabase } from '../data-lake/data-lake-props';
import { EndpointCapacityWatch } from '../inference/endpoint-capacity-watch';
import { endpointHealthAlarm } from '../inference/endpoint-health';
import { InferenceEndpoint } from '../inference/inference-endpoint';
import { InferenceGateway, type GatewayOnlineFeatures } from '../inference/inference-gateway';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { InferenceVariant } from '../inference/inference-endpoint-props';
import { ModelExecution } from '../inference/model-execution';
import { ModelDeployment } from '../model-registry/model-deployment';
import { ModelRegistry } from '../model-registry/model-registry';
import type { HumanReviewQueue } from '../review/human-review-queue';
import { SecureBucket } from '../storage/secure-bucket';
import { BatchInference } from '../training/batch-inference';
import { TrainingPipeline } from '../training/training-pipeline';
import type { ITrainingSetJob } from '../training/training-pipeline-props';
import type { FoundationStack } from './foundation-stack';
import { PLATFORM_WAIVER } from '../compliance/platform-waiver';

/** Properties for {@link ModelsStack}. */
export interface ModelsStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly foundation: FoundationStack;
  /** Accounts later on the promotion path, which may read this registry. */
  readonly promotionTargetAccounts: readonly string[];
  /** Model name → its human review loop (from the DataLake stack). */
  readonly reviewQueues: Readonly<Record<string, HumanReviewQueue>>;
  /** The data lake, in whose Glue database each drift job registers its endpoint's capture table. */
  readonly lake: ILakeDatabase;
  /** The lake zone that holds each model's ground-truth dataset and its reviewers' labels (quality jobs). */
  readonly groundTruthBucket?: s3.IBucket;
  /** The lake as feature pipelines and training sets read it. @default - no feature pipelines or training sets */
  readonly featureLake?: FeatureLakeSource;
  /**
   * Builds the point-in-time training-set job the training pipelines use, in this stack.
   *
   * @default - none: models that declare `training` get no pipeline (a synth warning says so)
   */
  readonly trainingSetJob?: (scope: Construct) => ITrainingSetJob;
  /**
   * The lake's curated zone: batch inference reads its datasets and writes `predictions/<model>/` there,
   * and `readers` get SELECT on each predictions table. The bucket comes in by the name of a CloudFormation
   * export of its name (`Fn::ImportValue`), so the IAM findings on its object prefixes can be acknowledged
   * one by one at synth.
   *
   * @default - none: models that declare batchInference get no job (a synth warning says so)
   */
  readonly lakeCurated?: { readonly bucketNameExport: string; readonly readers: readonly iam.IRole[] };
}

function toVariant(variant: VariantConfig): InferenceVariant {
  const { scaling } = variant;
  return {
    ...variant,
    scaling: scaling && {
      ...scaling,
      scaleInCooldown: Duration.seconds(scaling.scaleInCooldownSeconds),
      scaleOutCooldown: Duration.seconds(scaling.scaleOutCooldownSeconds),
    },
  };
}

/** A model's online features as gateway props: the group's one definition, looked up by name (#13). */
function gatewayOnlineFeatures(
  config: EnvironmentConfig,
  modelName: string,
  online: NonNullable<EnvironmentConfig['modelRegistry']['models'][number]['gateway']>['onlineFeatures'],
  onlineStoreKey: kms.IKey,
): GatewayOnlineFeatures | undefined {
  if (!online) return undefined;
  const group = config.featureStore.featureGroups.find((g) => g.name === online.featureGroup);
  if (!group) throw new PlinthError(`ModelsStack: model "${modelName}" gateway.onlineFeatures.featureGroup "${online.featureGroup}" is not a configured feature group`);
  return {
    group,
    onlineStoreKey,
    entityKeyField: online.entityKeyField,
    features: online.features,
    timeout: Duration.millis(online.timeoutMs),
    onMissing: online.onMissing,
    onUnavailable: online.onUnavailable,
    defaults: online.defaults,
    requestWins: online.requestWins,
  };
}

/** The environment's feature store, model registry, endpoints and approval-driven deployment workflow. */
export class ModelsStack extends Stack {
  public readonly featureStore: FeatureStore;
  public readonly registry: ModelRegistry;
  /** Where every endpoint captures its requests and responses: a lake bucket (lake key). */
  public readonly capture: SecureBucket;
  public readonly modelExecution: ModelExecution;
  public readonly endpoints: Record<string, InferenceEndpoint> = {};
  public readonly deployment: ModelDeployment;
  public readonly gateways: Record<string, InferenceGateway> = {};
  /** Model name → the composite alarm that pages when its serving path is unhealthy. */
  public readonly healthAlarms: Record<string, cloudwatch.CompositeAlarm> = {};
  /** Model name → its drift job (models that declare drift). */
  public readonly driftMonitors: Record<string, ModelDriftMonitor> = {};
  /** Instance count against the cap for every autoscaled variant, with its at-cap alarm. */
  public readonly capacityWatch?: EndpointCapacityWatch;
  /** Model name → its quality job (models that declare quality). */
  public readonly qualityMonitors: Record<string, ModelQualityMonitor> = {};
  /** Baselines on approval and retraining on drift, when any model declares drift. */
  public readonly driftRetraining?: DriftRetraining;
  /** Feature group name → the pipeline that materializes it from the lake (groups with a source). */
  public readonly featurePipelines: Record<string, FeaturePipeline> = {};
  /** Point-in-time training sets over the feature groups (contract A), when the lake is passed. */
  public readonly trainingSets?: PointInTimeTrainingSet;
  /** Model name → its retraining pipeline (models that declare training). */
  public readonly trainingPipelines: Record<string, TrainingPipeline> = {};
  /** Model name → its batch inference job (models that declare batchInference). */
  public readonly batchInference: Record<string, BatchInference> = {};

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
    // --- feature pipelines and training sets (#13) ---
    if (props.featureLake) {
      const lakeCommon = {
        vpc: foundation.network.vpc,
        logsKey: foundation.keys.logs,
        logRetention: config.logRetentionDays as logs.RetentionDays,
        removalPolicy,
        alarmAction: foundation.alarms,
        environmentName: config.name,
      };
      for (const group of config.featureStore.featureGroups) {
        if (!group.source) continue;
        const dataset = config.dataLake.datasets.find((d) => d.name === group.source!.dataset);
        const pipeline = new FeaturePipeline(this, `Features-${group.name}`, {
          group,
          lake: props.featureLake,
          onlineStoreKey: foundation.keys.models,
          serverAccessLogsBucket: foundation.accessLogs.bucket,
          bytesScannedCutoffPerQuery: config.dataLake.athenaBytesScannedCutoffPerQuery,
          ingestionPeriod: dataset ? Duration.minutes(dataset.freshnessMinutes) : undefined,
          ...lakeCommon,
        });
        // Records go into the group, so the group must exist first.
        pipeline.node.addDependency(this.featureStore.featureGroups[group.name]);
        this.featurePipelines[group.name] = pipeline;
      }
      const offlineGroups = config.featureStore.featureGroups.filter((g) => g.offlineStore);
      if (offlineGroups.length > 0) {
        this.trainingSets = new PointInTimeTrainingSet(this, 'TrainingSets', {
          featureGroups: offlineGroups,
          offlineStoreBucket: this.featureStore.offlineStore.bucket,
          labelsDatabaseName: props.featureLake.databaseName,
          labelsBucket: props.featureLake.curatedBucket,
          encryptionKey: foundation.keys.dataLake,
          serverAccessLogsBucket: foundation.accessLogs.bucket,
          bytesScannedCutoffPerQuery: config.dataLake.athenaBytesScannedCutoffPerQuery,
          ...lakeCommon,
        });
      }
    }
    this.registry = new ModelRegistry(this, 'Registry', {
      models: config.modelRegistry.models,
      artifactsKey: foundation.keys.models,
      serverAccessLogsBucket: foundation.accessLogs.bucket,
      readerAccounts: props.promotionTargetAccounts,
      removalPolicy,
    });
    this.capture = new SecureBucket(this, 'Capture', {
      encryptionKey: foundation.keys.dataLake,
      serverAccessLogsBucket: foundation.accessLogs.bucket,
      removalPolicy,
    });
    this.modelExecution = new ModelExecution(this, 'ModelExecution', {
      vpc: foundation.network.vpc,
      modelsKey: foundation.keys.models,
      artifactsBucket: this.registry.artifacts.bucket,
      captureBucket: this.capture.bucket,
      captureKey: foundation.keys.dataLake,
    });
    for (const model of config.modelRegistry.models) {
      this.endpoints[model.name] = new InferenceEndpoint(this, `Endpoint-${model.name}`, {
        endpointName: model.endpointName,
        variants: model.endpoint.variants.map(toVariant),
        shadowVariants: model.endpoint.shadowVariants.map(toVariant),
        vpc: foundation.network.vpc,
        securityGroups: [this.modelExecution.securityGroup],
        executionRole: this.modelExecution.role,
        encryptionKey: foundation.keys.models,
        dataCapture: { bucket: this.capture.bucket, samplingPercent: model.endpoint.dataCaptureSamplingPercent },
        p99LatencyMs: model.rollbackP99LatencyMs,
        alarmAction: foundation.alarms,
      });
    }
    for (const model of config.modelRegistry.models) {
      const gateway = model.gateway;
      if (!gateway) continue;
      const reviewQueue = props.reviewQueues[model.name];
      if (!reviewQueue) throw new PlinthError(`ModelsStack: model "${model.name}" has a gateway but no review queue; declare review in its config`);
      this.gateways[model.name] = new InferenceGateway(this, `Gateway-${model.name}`, {
        modelName: model.name,
        endpoint: this.endpoints[model.name],
        fallback: gateway.fallback,
        timeout: Duration.millis(gateway.timeoutMs),
        maxPayloadBytes: gateway.maxPayloadBytes,
        confidenceThreshold: gateway.confidenceThreshold,
        highStakesLabels: gateway.highStakesLabels,
        inputFeatures: gateway.inputFeatures,
        breakerFailureThreshold: gateway.breaker.failureThreshold,
        breakerWindow: Duration.seconds(gateway.breaker.windowSeconds),
        breakerOpenFor: Duration.seconds(gateway.breaker.openSeconds),
        reviewQueue: reviewQueue.queue,
        reviewQueueKey: foundation.keys.dataLake,
        encryptionKey: foundation.keys.models,
        logsKey: foundation.keys.logs,
        vpc: foundation.network.vpc,
        alarmAction: foundation.alarms,
        logRetention: config.logRetentionDays as logs.RetentionDays,
        removalPolicy,
        environmentName: config.name,
        onlineFeatures: gatewayOnlineFeatures(config, model.name, gateway.onlineFeatures, foundation.keys.models),
      });
    }
    for (const [name, endpoint] of Object.entries(this.endpoints)) {
      this.healthAlarms[name] = endpointHealthAlarm(this, `Health-${name}`, {
        endpoint,
        gateway: this.gateways[name],
        alarmAction: foundation.alarms,
      });
    }
    const common = {
      vpc: foundation.network.vpc,
      logsKey: foundation.keys.logs,
      logRetention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy,
      alarmAction: foundation.alarms,
      environmentName: config.name,
    };
    const watched = Object.entries(this.endpoints)
      .map(([modelName, endpoint]) => ({ modelName, endpointName: endpoint.endpointName, variantMaxCapacity: endpoint.variantMaxCapacity }))
      .filter((e) => Object.keys(e.variantMaxCapacity).length > 0);
    if (watched.length > 0) {
      this.capacityWatch = new EndpointCapacityWatch(this, 'CapacityWatch', {
        endpoints: watched,
        atMaxFor: Duration.minutes(config.cost.atMaxCapacityAlarmMinutes),
        ...common,
      });
    }
    // Training pipelines (lib/training/): one per model that declares training.
    const trainedModels = config.modelRegistry.models.filter((m) => m.training);
    // The point-in-time training-set job (contract A) of this stack, unless the caller brings its own.
    const trainingSetJob = trainedModels.length > 0 ? (props.trainingSetJob?.(this) ?? this.trainingSets) : undefined;
    for (const model of trainedModels) {
      const training = model.training!;
      if (!trainingSetJob) {
        Annotations.of(this).addWarningV2(
          `plinth:training-${model.name}`,
          `model "${model.name}" declares training but this environment has no point-in-time training-set job; no training pipeline was built, and its drift events are logged as RetrainingNotConfigured instead of retraining`,
        );
        continue;
      }
      const variant = model.endpoint.variants.find((v) => v.name === model.variantName)!;
      this.trainingPipelines[model.name] = new TrainingPipeline(this, `Training-${model.name}`, {
        modelName: model.name,
        registry: this.registry,
        // The champion is the package this endpoint serves (contract B), not the latest Approved one.
        endpoint: this.endpoints[model.name],
        trainingSetJob,
        trainingSet: {
          name: training.trainingSet.name ?? model.name,
          labels: { ...training.trainingSet.labels, database: training.trainingSet.labels.database ?? props.lake.databaseName },
          featureGroups: training.trainingSet.featureGroups,
          window: Duration.days(training.trainingSet.windowDays),
          validation: Duration.days(training.trainingSet.validationDays),
          holdout: Duration.days(training.trainingSet.holdoutDays),
          // labels (chargebacks) arrive this long after their event: the window ends before the unlabelled part
          labelDelay: Duration.hours(training.trainingSet.labelDelayHours ?? model.quality?.labelDelayHours ?? 0),
        },
        training: {
          image: training.image,
          hyperparameters: training.hyperparameters,
          instanceType: training.instanceType,
          instanceCount: training.instanceCount,
          volumeSizeGb: training.volumeSizeGb,
          maxRuntime: Duration.minutes(training.maxRuntimeMinutes),
          spot: training.spot && { maxWait: Duration.minutes(training.spot.maxWaitMinutes) },
        },
        evaluation: training.evaluation,
        servingImage: variant.image,
        artifactsBucket: this.registry.artifacts.bucket,
        modelsKey: foundation.keys.models,
        lakeBucket: this.capture.bucket,
        lakeKey: foundation.keys.dataLake,
        ...common,
      });
      // Data scientists may start retraining and follow it; approval stays with the approver role.
      const startPolicy = new iam.ManagedPolicy(this, `DataScientistStartsTraining-${model.name}`, {
        roles: [this.registry.dataScientistRole],
        statements: [this.trainingPipelines[model.name].startStatement()],
      });
      acknowledgeFinding(startPolicy, {
        rule: wildcardResourceFinding(this, this.trainingPipelines[model.name].executionsArn),
        reason: 'SageMaker names pipeline executions at start; describe and list only, limited to this pipeline.',
        ...PLATFORM_WAIVER,
      });
    }

    // Batch inference (lib/training/batch-inference.ts): one job per model that declares it.
    let curated: s3.IBucket | undefined;
    for (const model of config.modelRegistry.models.filter((m) => m.batchInference)) {
      const batch = model.batchInference!;
      if (!props.lakeCurated) {
        Annotations.of(this).addWarningV2(`plinth:batch-inference-${model.name}`, `model "${model.name}" declares batchInference but this stack has no lake curated zone (lakeCurated); no batch inference job was built`);
        continue;
      }
      curated ??= s3.Bucket.fromBucketName(this, 'LakeCurated', Fn.importValue(props.lakeCurated.bucketNameExport));
      this.batchInference[model.name] = new BatchInference(this, `Batch-${model.name}`, {
        modelName: model.name,
        registry: this.registry,
        artifactsBucket: this.registry.artifacts.bucket,
        modelsKey: foundation.keys.models,
        source: { bucket: curated, prefix: `${batch.dataset}/`, key: foundation.keys.dataLake },
        outputBucket: curated,
        outputKey: foundation.keys.dataLake,
        database: props.lake,
        readers: props.lakeCurated.readers,
        schedule: events.Schedule.expression(batch.schedule),
        lookback: Duration.days(batch.lookbackDays),
        lateArrivalHorizon: Duration.days(batch.lateArrivalHorizonDays),
        maxPartitionsPerRun: batch.maxPartitionsPerRun,
        instanceType: batch.instanceType,
        instanceCount: batch.instanceCount,
        contentType: batch.contentType,
        maxPayloadMb: batch.maxPayloadMb,
        partitionTimeout: Duration.minutes(batch.partitionTimeoutMinutes),
        ...common,
      });
    }

    const driftingModels = config.modelRegistry.models.filter((m) => m.drift);
    for (const model of driftingModels) {
      this.driftMonitors[model.name] = new ModelDriftMonitor(this, `Drift-${model.name}`, {
        endpoint: this.endpoints[model.name],
        features: driftFeatures(model),
        drift: model.drift!,
        captureBucket: this.capture.bucket,
        captureKey: foundation.keys.dataLake,
        database: props.lake,
        bytesScannedCutoffPerQuery: config.dataLake.athenaBytesScannedCutoffPerQuery,
        // Drift is judged against the training data of the version the variant serves (deploy-model
        // rolls each approved version of the model's group onto variantName), not of the newest one approved (current.json).
        servedModel: { modelPackageGroupName: model.name, variantName: model.variantName },
        ...common,
      });
    }
    for (const model of config.modelRegistry.models.filter((m) => m.quality)) {
      const quality = model.quality!;
      if (!props.groundTruthBucket) throw new PlinthError(`ModelsStack: model "${model.name}" declares quality but no groundTruthBucket was given`);
      const prices: Record<string, QualityPrice> = {};
      for (const v of model.endpoint.variants) {
        const perHour = SAGEMAKER_REALTIME_PRICES.pricePerHour[v.instanceType];
        if (perHour === undefined) continue;
        prices[v.name] = {
          instanceType: v.instanceType,
          pricePerHour: perHour,
          currency: SAGEMAKER_REALTIME_PRICES.currency,
          asOf: SAGEMAKER_REALTIME_PRICES.asOf,
          source: `${SAGEMAKER_REALTIME_PRICES.source} (${SAGEMAKER_REALTIME_PRICES.region})`,
        };
      }
      this.qualityMonitors[model.name] = new ModelQualityMonitor(this, `Quality-${model.name}`, {
        modelName: model.name,
        endpoint: this.endpoints[model.name],
        registry: this.registry,
        quality: {
          ...quality,
          ...(quality.abTest
            ? {
                abTest: {
                  champion: quality.abTest.champion,
                  alpha: quality.abTest.alpha,
                  minimumEffect: quality.abTest.minimumEffect,
                  ...quality.abTest.guardrails,
                },
              }
            : {}),
        },
        captureBucket: this.capture.bucket,
        captureKey: foundation.keys.dataLake,
        database: props.lake,
        groundTruthTableName: groundTruthDatasetName(model.name),
        groundTruthBucket: props.groundTruthBucket,
        groundTruthKey: foundation.keys.dataLake,
        ...(props.reviewQueues[model.name] ? { reviewLabelsPrefix: 'ground-truth/' } : {}),
        evaluationBucket: this.registry.artifacts.bucket,
        evaluationKey: foundation.keys.models,
        bytesScannedCutoffPerQuery: config.dataLake.athenaBytesScannedCutoffPerQuery,
        prices,
        ...common,
      });
    }
    if (driftingModels.length > 0) {
      this.driftRetraining = new DriftRetraining(this, 'DriftRetraining', {
        models: driftingModels.map((m) => ({
          modelPackageGroupName: m.name,
          endpointName: m.endpointName,
          features: driftFeatures(m),
          drift: m.drift!,
          trainingPipeline: this.trainingPipelines[m.name],
        })),
        registry: this.registry,
        baselineBucket: this.capture.bucket,
        baselineKey: foundation.keys.dataLake,
        trainingSampleBucket: this.registry.artifacts.bucket,
        trainingSampleKey: foundation.keys.models,
        encryptionKey: foundation.keys.models,
        ...common,
      });
    }
    this.deployment = new ModelDeployment(this, 'Deployment', {
      registry: this.registry,
      models: config.modelRegistry.models,
      modelExecution: this.modelExecution,
      rollbackAlarms: Object.fromEntries(
        Object.entries(this.endpoints).map(([name, endpoint]) => [name, [endpoint.errorAlarm, endpoint.latencyAlarm]]),
      ),
      endpoints: this.endpoints,
      vpc: foundation.network.vpc,
      modelsKey: foundation.keys.models,
      logsKey: foundation.keys.logs,
      alarmTopic: foundation.alarms.topic,
      alarmAction: foundation.alarms,
      canaryPercent: config.modelRegistry.canary.percent,
      canaryWait: Duration.minutes(config.modelRegistry.canary.waitMinutes),
      allowedImageRegistries: config.modelRegistry.allowedImageRegistries.length > 0 ? config.modelRegistry.allowedImageRegistries : undefined,
      logRetention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy,
      environmentName: config.name,
    });
  }
}
