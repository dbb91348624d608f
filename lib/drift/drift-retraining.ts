import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { DEFAULT_DRIFT_DEBOUNCE_MINUTES, type DriftFeatureDefinition as DriftFeature, type DriftSettings as DriftConfig } from './drift-props';
import type { PlatformServiceProps } from '../compute/platform-service-props';
import { VpcFunction } from '../compute/vpc-function';
import * as perms from '../data-lake/perms';
import { PlinthError } from '../errors';
import { failureModeAlarm } from '../monitoring/failure-modes';
import type { TrainingPipeline } from '../training/training-pipeline';
import { DRIFT_BASELINE_PREFIX, DRIFT_METRIC_NAMESPACE } from './model-drift-monitor';
import { denyApprovalChanges } from '../model-registry/model-registry';
import type { IModelRegistry } from '../model-registry/model-registry-props';
import { SecureQueue } from '../storage/secure-queue';
import { SecureTable } from '../storage/secure-table';


/** One model whose drift starts retraining. */
export interface RetrainedModel {
  /** The model package group (the model's name in the registry). */
  readonly modelPackageGroupName: string;
  readonly endpointName: string;
  readonly features: readonly DriftFeature[];
  readonly drift: DriftConfig;
  /**
   * The platform's own retraining pipeline, started by ARN with the drift window as parameters.
   *
   * @default - the named external pipeline `drift.retrainingPipelineName`
   */
  readonly trainingPipeline?: TrainingPipeline;
}

/** Properties for {@link DriftRetraining}. */
export interface DriftRetrainingProps extends PlatformServiceProps {
  readonly models: readonly RetrainedModel[];
  /** The registry holding each model's package group; the baseline job reads and annotates its versions. */
  readonly registry: IModelRegistry;
  /** Where baselines are written (the capture bucket: `drift-baselines/<endpoint>/`). */
  readonly baselineBucket: s3.IBucket;
  readonly baselineKey: kms.IKey;
  /** Where training samples are read from (the registry's artifact bucket) and its key. */
  readonly trainingSampleBucket: s3.IBucket;
  readonly trainingSampleKey: kms.IKey;
  /** Encrypts the debounce table and the dead-letter queue. */
  readonly encryptionKey: kms.IKey;
}

/**
 * The two ends of the drift loop around the per-endpoint drift jobs:
 * - **baseline job** (`drift-baseline`): when a model package is approved, its training sample is
 *   binned by the same code that bins the capture window; the baseline is versioned next to the
 *   package and becomes the endpoint's current one. A package the model's own pipeline registered
 *   (confirmed with SageMaker, not taken from its metadata) uses the sample the pipeline's
 *   evaluation step wrote; a hand-registered one uses its `plinth:training-sample`, which must be
 *   in `trainingSampleBucket`;
 * - **retraining** (`retrain-trigger`): a `Model Drift Detected` event starts the model's SageMaker
 *   Pipeline with the evidence as parameters, at most once per debounce period (a DynamoDB
 *   conditional write is the lock), so a storm of events starts one retraining. The pipeline
 *   registers its model as PendingManualApproval, which closes the loop at the approval gate.
 */
export class DriftRetraining extends Construct {
  public readonly debounceTable: SecureTable;
  public readonly deadLetterQueue: SecureQueue;
  public readonly retrainFunction: lambda.IFunction;
  public readonly baselineFunction: lambda.IFunction;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: DriftRetrainingProps) {
    super(scope, id);
    if (props.models.length === 0) throw new PlinthError(`DriftRetraining ${this.node.path}: no model declares drift; leave the construct out`);
    if (props.models.length > 10) throw new PlinthError(`DriftRetraining ${this.node.path}: at most 10 models with drift per environment (one alarm watches them all)`);
    const stack = Stack.of(this);

    this.debounceTable = new SecureTable(this, 'DebounceLocks', {
      partitionKey: { name: 'endpointName', type: dynamodb.AttributeType.STRING },
      encryptionKey: props.encryptionKey,
      timeToLiveAttribute: 'expiresAt',
      withoutBackupPlanBecause: 'The table holds one debounce lock per endpoint that expires after the debounce period; a backup could only restore a stale lock.',
      removalPolicy: props.removalPolicy,
    });

    this.deadLetterQueue = new SecureQueue(this, 'DeadLetterQueue', { encryptionKey: props.encryptionKey, isDeadLetterQueue: true, removalPolicy: props.removalPolicy });

    const common = {
      vpc: props.vpc,
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      deadLetterQueue: this.deadLetterQueue,
    };
    const externalArn = (name: string) => stack.formatArn({ service: 'sagemaker', resource: 'pipeline', resourceName: name.toLowerCase() });
    // A model without a pipeline (its training pipeline could not be built) is left out of PIPELINES:
    // retrain-trigger then logs and counts RetrainingNotConfigured for its drift events.
    const pipelineOf = (m: RetrainedModel) => {
      if (m.trainingPipeline) return { arn: m.trainingPipeline.pipelineArn, env: { pipelineArn: m.trainingPipeline.pipelineArn } };
      const name = m.drift.retrainingPipelineName;
      return name ? { arn: externalArn(name), env: { pipelineName: name } } : undefined;
    };
    const retrained = props.models.flatMap((m) => {
      const pipeline = pipelineOf(m);
      return pipeline ? [{ model: m, pipeline }] : [];
    });
    const defaultDebounce = Math.min(...props.models.map((m) => m.drift.debounceMinutes ?? DEFAULT_DRIFT_DEBOUNCE_MINUTES));
    this.retrainFunction = new VpcFunction(this, 'RetrainFunction', {
      handlerFolder: 'retrain-trigger',
      description: 'Plinth retrain-trigger: starts one retraining per endpoint per debounce period on drift',
      statements: [
        new iam.PolicyStatement({ sid: 'DebounceLock', actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'], resources: [this.debounceTable.tableArn] }),
        new iam.PolicyStatement({ sid: 'UseTableKey', actions: perms.KMS_ENCRYPT_DECRYPT, resources: [props.encryptionKey.keyArn] }),
        ...(retrained.length > 0
          ? [new iam.PolicyStatement({ sid: 'StartRetraining', actions: ['sagemaker:StartPipelineExecution'], resources: retrained.map((r) => r.pipeline.arn) })]
          : []),
      ],
      environment: {
        DEBOUNCE_TABLE: this.debounceTable.tableName,
        DEBOUNCE_MINUTES: String(defaultDebounce),
        PIPELINES: JSON.stringify(
          Object.fromEntries(
            retrained.map(({ model: m, pipeline }) => [m.endpointName, { ...pipeline.env, debounceMinutes: m.drift.debounceMinutes ?? DEFAULT_DRIFT_DEBOUNCE_MINUTES }]),
          ),
        ),
        PLINTH_ENV: props.environmentName,
      },
      timeout: Duration.seconds(30),
      reservedConcurrency: 5,
      ...common,
      keepLogicalIdsOf: { function: 'RetrainFunction', logGroup: 'RetrainLogs', role: 'RetrainRole', policy: 'RetrainPolicy', securityGroup: 'RetrainSecurityGroup' },
    }).function;

    const baselineObjects = props.baselineBucket.arnForObjects(`${DRIFT_BASELINE_PREFIX}*`);
    const trainingSamples = props.trainingSampleBucket.arnForObjects('*');
    const ownPipelines = props.models.flatMap((m) => (m.trainingPipeline ? [m.trainingPipeline] : []));
    this.baselineFunction = new VpcFunction(this, 'BaselineFunction', {
      handlerFolder: 'drift-baseline',
      description: 'Plinth drift-baseline: bins the training sample of an approved model into its drift baseline',
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadAndAnnotatePackages',
          actions: ['sagemaker:DescribeModelPackage', 'sagemaker:UpdateModelPackage'],
          resources: props.models.map((m) => props.registry.packagesArn(m.modelPackageGroupName)),
        }),
        // It annotates packages; only the approver changes their approval.
        denyApprovalChanges(),
        // Confirms that a package claiming to come from the model's pipeline was registered by that execution.
        ...(ownPipelines.length > 0
          ? [new iam.PolicyStatement({ sid: 'VerifyPipelineLineage', actions: ['sagemaker:ListPipelineExecutionSteps'], resources: ownPipelines.map((p) => p.executionsArn) })]
          : []),
        new iam.PolicyStatement({ sid: 'ReadTrainingSamples', actions: perms.S3_READ_OBJECT, resources: [trainingSamples] }),
        // Without ListBucket, S3 answers a missing sample with AccessDenied instead of NoSuchKey.
        new iam.PolicyStatement({ sid: 'TellMissingSamples', actions: ['s3:ListBucket'], resources: [props.trainingSampleBucket.bucketArn] }),
        // The sample is read as it was when the package was registered (the version current then).
        new iam.PolicyStatement({ sid: 'ListSampleVersions', actions: ['s3:ListBucketVersions'], resources: [props.trainingSampleBucket.bucketArn] }),
        new iam.PolicyStatement({ sid: 'DecryptTrainingSamples', actions: perms.KMS_DECRYPT, resources: [props.trainingSampleKey.keyArn] }),
        // current.json is written conditionally (If-Match / If-None-Match), which needs no action beyond s3:PutObject.
        new iam.PolicyStatement({ sid: 'WriteBaselines', actions: perms.S3_WRITE_OBJECT, resources: [baselineObjects] }),
        // Whether this version's baseline was already written decides a skip (never the package's metadata);
        // reading current.json (its ETag and the package it names) orders the write of a newer one.
        new iam.PolicyStatement({ sid: 'CheckOwnBaselines', actions: perms.S3_READ_OBJECT, resources: [baselineObjects] }),
        // Without ListBucket, S3 answers the HEAD of a baseline not yet written with 403 instead of 404.
        new iam.PolicyStatement({ sid: 'TellMissingBaselines', actions: ['s3:ListBucket'], resources: [props.baselineBucket.bucketArn] }),
        new iam.PolicyStatement({ sid: 'EncryptBaselines', actions: perms.KMS_ENCRYPT_DECRYPT, resources: [props.baselineKey.keyArn] }),
      ],
      wildcardResources: [
        ...props.models.map((m) => [props.registry.packagesArn(m.modelPackageGroupName), 'Package versions are numbered by SageMaker; limited to this model\'s group (describe, and add the baseline\'s location to its metadata).'] as const),
        ...ownPipelines.map((p) => [p.executionsArn, 'Executions are named by SageMaker; limited to this model\'s own pipeline (list the steps, to confirm which execution registered a package).'] as const),
        [trainingSamples, 'The training sample is written by the pipeline\'s evaluation step (or named by a hand-registered package) next to the model artifacts; read-only.'],
        [baselineObjects, 'Baselines are versioned by endpoint and package version; write-only, limited to the baseline prefix.'],
      ],
      environment: {
        MODELS: JSON.stringify(
          Object.fromEntries(
            props.models.map((m) => [
              m.modelPackageGroupName,
              { endpointName: m.endpointName, features: m.features, ...(m.trainingPipeline ? { pipelineName: m.trainingPipeline.pipelineName } : {}) },
            ]),
          ),
        ),
        BASELINE_BUCKET: props.baselineBucket.bucketName,
        TRAINING_SAMPLE_BUCKET: props.trainingSampleBucket.bucketName,
        BASELINE_PREFIX: DRIFT_BASELINE_PREFIX,
        PLINTH_ENV: props.environmentName,
      },
      timeout: Duration.minutes(5),
      memorySize: 1024,
      reservedConcurrency: 2,
      ...common,
      keepLogicalIdsOf: { function: 'BaselineFunction', logGroup: 'BaselineLogs', role: 'BaselineRole', policy: 'BaselinePolicy', securityGroup: 'BaselineSecurityGroup' },
    }).function;

    const targetOptions = { deadLetterQueue: this.deadLetterQueue, retryAttempts: 8, maxEventAge: Duration.hours(24) };
    new events.Rule(this, 'OnDrift', {
      description: 'Model Drift Detected or Model Quality Decayed starts the model\'s retraining (debounced)',
      eventPattern: {
        // Two causes, one debounce: drift (lambdas/drift-stats) and quality decay (lambdas/model-quality).
        source: ['plinth.drift', 'plinth.quality'],
        detailType: ['Model Drift Detected', 'Model Quality Decayed'],
        account: [Aws.ACCOUNT_ID],
        detail: { endpointName: props.models.map((m) => m.endpointName) },
      },
      targets: [new targets.LambdaFunction(this.retrainFunction, targetOptions)],
    });
    new events.Rule(this, 'OnApproval', {
      description: 'An approved model package gets its drift baseline from its training sample',
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['SageMaker Model Package State Change'],
        account: [Aws.ACCOUNT_ID],
        detail: { ModelPackageGroupName: props.models.map((m) => m.modelPackageGroupName), ModelApprovalStatus: ['Approved'] },
      },
      targets: [new targets.LambdaFunction(this.baselineFunction, targetOptions)],
    });

    const alarmCommon = { alarmAction: props.alarmAction, runbookBaseUrl: props.runbookBaseUrl };
    this.alarms.push(
      failureModeAlarm(this, 'DriftEventsUndelivered', 'drift-loop-broken', {
        ...alarmCommon,
        description: 'A drift event could not start retraining, or an approval could not build its baseline, after every retry (see the dead-letter queue).',
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      failureModeAlarm(this, 'BaselineJobFailed', 'drift-loop-broken', {
        ...alarmCommon,
        description: 'An approved model package got no drift baseline (no sample the platform can vouch for, or an unreadable sample); its endpoint keeps the previous baseline.',
        // One metric per endpoint (an alarm cannot use SEARCH); at most 10 models per environment.
        metric: new cloudwatch.MathExpression({
          expression: props.models.map((_, i) => `FILL(failed${i}, 0)`).join(' + '),
          usingMetrics: Object.fromEntries(
            props.models.map((m, i) => [
              `failed${i}`,
              new cloudwatch.Metric({ namespace: DRIFT_METRIC_NAMESPACE, metricName: 'BaselineFailed', dimensionsMap: { Endpoint: m.endpointName }, statistic: cloudwatch.Stats.SUM }),
            ]),
          ),
          period: Duration.minutes(5),
          label: 'Baselines that failed',
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }
}
