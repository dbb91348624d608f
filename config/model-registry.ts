import { z } from 'zod';

/** SageMaker's model-package-group and endpoint name rule. */
export const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
/** Feature names the drift job may put into SQL. */
export const DRIFT_FEATURE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

const ECR_IMAGE = /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[a-z0-9._\/-]+(:[\w.-]+|@sha256:[a-f0-9]{64})$/;

const scalingSchema = z
  .object({
    minCapacity: z.number().int().nonnegative(),
    maxCapacity: z.number().int().positive(),
    metric: z.enum(['concurrency', 'invocations', 'gpu-utilization']).default('concurrency'),
    target: z.number(),
    scaleInCooldownSeconds: z.number().int().nonnegative().default(600),
    scaleOutCooldownSeconds: z.number().int().nonnegative().default(120),
    steps: z
      .array(z.object({ lower: z.number().optional(), upper: z.number().optional(), change: z.number().int() }).strict())
      .default([]),
    schedule: z
      .object({
        scaleDownCron: z.string().min(1),
        scaleUpCron: z.string().min(1),
        offHoursCapacity: z.number().int(),
        timeZone: z.string().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

const variantSchema = z
  .object({
    name: z.string().regex(SAGEMAKER_NAME, 'variant name must be 1-63 letters, digits and hyphens'),
    instanceType: z.string(),
    gpu: z.boolean().default(true),
    image: z.string().regex(ECR_IMAGE, 'image must be an ECR image URI with a tag or digest, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud:1.4.2'),
    modelDataUrl: z.string().regex(/^s3:\/\/.+/, 'modelDataUrl must be an s3:// URL').optional(),
    initialWeight: z.number().nonnegative().default(1),
    scaling: scalingSchema.optional(),
    /** Serve the variant through a SageMaker inference component; required for scale-to-zero (scaling.minCapacity 0). */
    inferenceComponent: z
      .object({
        acceleratorsPerCopy: z.number().int().nonnegative(),
        memoryPerCopyMiB: z.number().int().min(128, 'inferenceComponent.memoryPerCopyMiB must be at least 128'),
        cpuCoresPerCopy: z.number().positive().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

/** The real-time endpoint a model serves on: A/B production variants and shadow variants. */
export const endpointConfigSchema = z
  .object({
    variants: z.array(variantSchema).min(1, 'declare at least one production variant'),
    shadowVariants: z.array(variantSchema).default([]),
    dataCaptureSamplingPercent: z.number().min(0).max(100, 'dataCaptureSamplingPercent must be 0-100').default(100),
  })
  .strict()
  .superRefine((endpoint, ctx) => {
    // Scale-to-zero needs an inference component, which serves an endpoint's only production variant.
    endpoint.variants.forEach((variant, i) => {
      if (variant.scaling?.minCapacity === 0 && !variant.inferenceComponent) {
        ctx.addIssue({
          code: 'custom',
          path: ['variants', i, 'scaling', 'minCapacity'],
          message: `variant "${variant.name}": scale-to-zero (minCapacity 0) needs an inference component; add inferenceComponent: { acceleratorsPerCopy, memoryPerCopyMiB } or set minCapacity to 1`,
        });
      }
      if (variant.inferenceComponent && endpoint.variants.length > 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['variants', i, 'inferenceComponent'],
          message: `variant "${variant.name}": an inference component serves an endpoint's only production variant, not an A/B split; remove inferenceComponent or the other variants`,
        });
      }
      if (variant.inferenceComponent && endpoint.shadowVariants.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['variants', i, 'inferenceComponent'],
          message: `variant "${variant.name}": an endpoint served by an inference component cannot run shadow variants; remove shadowVariants or inferenceComponent`,
        });
      }
    });
    endpoint.shadowVariants.forEach((variant, i) => {
      if (variant.inferenceComponent || variant.scaling?.minCapacity === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['shadowVariants', i, variant.inferenceComponent ? 'inferenceComponent' : 'scaling'],
          message: `shadow variant "${variant.name}" cannot scale to zero or be served by an inference component; remove inferenceComponent and scaling from it`,
        });
      }
    });
  });

const gatewaySchema = z
  .object({
    timeoutMs: z.number().int().min(100).max(60_000, 'gateway.timeoutMs can be at most 60000').default(2000),
    maxPayloadBytes: z.number().int().min(1024).max(6_000_000, 'gateway.maxPayloadBytes can be at most 6 MB (SageMaker\'s limit)').default(65_536),
    fallback: z.discriminatedUnion('type', [
      z.object({ type: z.literal('endpoint'), endpointName: z.string().regex(SAGEMAKER_NAME) }).strict(),
      z.object({ type: z.literal('default'), prediction: z.record(z.string(), z.unknown()), confidence: z.number().min(0).max(1) }).strict(),
    ]),
    confidenceThreshold: z.number().min(0).max(1, 'gateway.confidenceThreshold must be 0-1'),
    highStakesLabels: z.array(z.string().min(1)).default([]),
    inputFeatures: z
      .array(
        z
          .object({
            name: z.string().min(1),
            type: z.enum(['number', 'string', 'boolean']),
            required: z.boolean().optional(),
            min: z.number().optional(),
            max: z.number().optional(),
            enum: z.array(z.union([z.string(), z.number(), z.boolean()])).optional(),
          })
          .strict(),
      )
      .min(1, 'declare the model\'s input features: the gateway rejects anything else'),
    /** Online features (#13): the gateway looks the entity up in a feature group and merges the record into the model input. */
    onlineFeatures: z
      .object({
        /** A feature group of featureStore.featureGroups, with an online store. */
        featureGroup: z.string(),
        /** The request field (a declared input feature) that holds the group's record identifier. */
        entityKeyField: z.string(),
        /** The group's features the model needs. @default every feature of the group but its key and event time */
        features: z.array(z.string()).min(1).optional(),
        /** The lookup's own budget, inside timeoutMs. */
        timeoutMs: z.number().int().min(1).max(1000, 'gateway.onlineFeatures.timeoutMs can be at most 1000').default(50),
        /** A new entity (no record): fallback model, per-feature defaults, or 400. */
        onMissing: z.enum(['fallback', 'defaults', 'reject']).default('fallback'),
        /** The lookup timed out, was throttled or failed: fallback model or per-feature defaults. */
        onUnavailable: z.enum(['fallback', 'defaults']).default('fallback'),
        defaults: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
        /** A feature sent in the request is kept over the record's value. */
        requestWins: z.boolean().default(false),
      })
      .strict()
      .optional(),
    breaker: z
      .object({
        failureThreshold: z.number().int().min(1).max(100).default(5),
        windowSeconds: z.number().int().min(1).default(60),
        openSeconds: z.number().int().min(1).default(30),
      })
      .strict()
      .default({ failureThreshold: 5, windowSeconds: 60, openSeconds: 30 }),
  })
  .strict();

const reviewSchema = z
  .object({
    slaMinutes: z.number().int().min(5, 'review.slaMinutes must be at least 5 (the expiry job runs every 5 minutes)').max(7 * 24 * 60),
    allowedLabels: z.array(z.string().min(1)).min(1, 'declare the labels reviewers may give'),
  })
  .strict();

/** A feature the drift job compares with its training baseline. */
const driftFeatureSchema = z
  .object({
    name: z.string().regex(DRIFT_FEATURE_NAME, 'drift feature names are SQL-safe identifiers: letters, digits and _ , starting with a letter or _'),
    type: z.enum(['numeric', 'categorical']),
    /**
     * Numeric features only: bin by value (one bin per distinct baseline value, plus "other" bins) when the
     * training sample has at most this many distinct values; 0 = always bin by quantile. Default 20.
     */
    valueBinLimit: z.number().int().min(0).max(500).optional(),
  })
  .strict()
  .refine((f) => f.type === 'numeric' || f.valueBinLimit === undefined, {
    message: 'valueBinLimit applies to numeric drift features only: remove it from categorical features',
  });

/**
 * Data drift detection and the retraining it starts. The drift job runs on `schedule` over the last `windowHours` of the
 * endpoint's data capture; a feature past any threshold emits `Model Drift Detected`, which starts `retrainingPipelineName`
 * at most once per `debounceMinutes`.
 */
const driftSchema = z
  .object({
    /** EventBridge schedule expression, e.g. `rate(1 hour)` or `cron(0 * * * ? *)`. */
    schedule: z.string().regex(/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/, 'drift.schedule is an EventBridge schedule expression: rate(1 hour) or cron(0 * * * ? *)'),
    windowHours: z.number().int().min(1).max(24 * 7, 'drift.windowHours can be at most 168 (one week of capture)'),
    /** Minutes SageMaker may take to upload capture: each window ends at the last full hour at least this long before the run. */
    captureSettleMinutes: z.number().int().min(0).max(24 * 60, 'drift.captureSettleMinutes can be at most 1440 (one day)').default(15),
    thresholds: z
      .object({
        psi: z.number().positive().default(0.2),
        ks: z.number().positive().max(1).default(0.1),
        missingRate: z.number().positive().max(1).default(0.05),
        unseenShare: z.number().positive().max(1).default(0.01),
      })
      .strict()
      .default({ psi: 0.2, ks: 0.1, missingRate: 0.05, unseenShare: 0.01 }),
    /** Non-missing values a feature needs in the window before it is judged; below it reports insufficient data. */
    minSamples: z.number().int().min(1).default(100),
    /** Features to watch; default: the gateway's input features (number → numeric, string and boolean → categorical). */
    features: z.array(driftFeatureSchema).min(1).optional(),
    /**
     * A named external SageMaker Pipeline (in this account and region) that retrains the model. Leave it out when the
     * model declares `training`: drift then starts the platform's own TrainingPipeline.
     */
    retrainingPipelineName: z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$/, 'retrainingPipelineName is a SageMaker pipeline name: letters, digits and hyphens').optional(),
    /** At most one retraining start per endpoint in this period, however many drift events arrive. */
    debounceMinutes: z.number().int().min(5).max(7 * 24 * 60).default(24 * 60),
  })
  .strict();

/** JSON path (dot form, SQL-safe) of a field in the endpoint's captured output, e.g. `$.score`. */
export const OUTPUT_JSON_PATH = /^\$(\.[A-Za-z_][A-Za-z0-9_]{0,63}){1,4}$/;

/**
 * Model quality from ground truth (lambdas/model-quality): on `schedule` the job joins the predictions of the
 * window [run − labelDelayHours − windowHours, run − labelDelayHours) to the labels observed until the run, per
 * variant, and alarms on decay below the baseline (the deployed package's evaluation.json, else `floor`).
 */
const qualitySchema = z
  .object({
    schedule: z.string().regex(/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/, 'quality.schedule is an EventBridge schedule expression: rate(1 day) or cron(0 6 * * ? *)'),
    windowHours: z.number().int().min(1).max(24 * 30, 'quality.windowHours can be at most 720 (30 days of predictions)'),
    /** Labels arrive this long after the prediction, typically; the window ends this long before the run, and no label for longer is stale. */
    labelDelayHours: z.number().int().min(0).max(24 * 90),
    problemType: z.enum(['binary_classification', 'regression']),
    primaryMetric: z.enum(['auc', 'precision', 'recall', 'calibrationError', 'mae', 'rmse']),
    /** Where the score (probability of positiveLabel) or the regression prediction is in the captured output. */
    scorePath: z.string().regex(OUTPUT_JSON_PATH, 'quality.scorePath is a JSON path such as $.score (letters, digits and _ only)'),
    /** Classification: the label value that counts as positive. */
    positiveLabel: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'quality.positiveLabel must be 1-64 letters, digits or _.-').optional(),
    /** Classification: score >= threshold is predicted positive. */
    threshold: z.number().min(0).max(1).default(0.5),
    /** Labelled predictions a variant needs before its quality is judged (alarm and verdict). */
    minSamples: z.number().int().min(10).default(200),
    /** Decay = the metric is worse than the baseline by more than this (absolute, in the metric's units). */
    tolerance: z.number().positive(),
    /** The baseline when the deployed package has no evaluation.json. */
    floor: z.number(),
    /** Labelled / predicted below this is stale ground truth. */
    coverageFloor: z.number().min(0).max(1).default(0.05),
    /** The business outcome in ground truth's outcome_value, reported per 1,000 predictions. */
    outcome: z.object({ name: z.string().min(1).max(64), unit: z.string().min(1).max(16) }).strict().optional(),
    /** A/B verdict between the champion and the other weighted variants. */
    abTest: z
      .object({
        champion: z.string().regex(SAGEMAKER_NAME),
        alpha: z.number().min(0.001).max(0.2).default(0.05),
        /** The smallest difference in per-prediction loss worth acting on (the mixture scale τ). */
        minimumEffect: z.number().positive(),
        guardrails: z
          .object({
            p99LatencyIncrease: z.number().min(0).default(0.1),
            errorRateIncrease: z.number().min(0).default(0.005),
            costPer1000Increase: z.number().min(0).default(0.2),
          })
          .strict()
          .default({ p99LatencyIncrease: 0.1, errorRateIncrease: 0.005, costPer1000Increase: 0.2 }),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((q, ctx) => {
    const classification = ['auc', 'precision', 'recall', 'calibrationError'].includes(q.primaryMetric);
    if ((q.problemType === 'binary_classification') !== classification) {
      ctx.addIssue({ code: 'custom', path: ['primaryMetric'], message: `quality.primaryMetric ${q.primaryMetric} does not fit problemType ${q.problemType}` });
    }
    if (q.problemType === 'binary_classification' && !q.positiveLabel) {
      ctx.addIssue({ code: 'custom', path: ['positiveLabel'], message: 'quality.positiveLabel is required for binary_classification (e.g. "fraud")' });
    }
  });

/**
 * The platform's own retraining pipeline for the model (lib/training/): a point-in-time training set split by time,
 * training, evaluation against the champion, a gate and registration for approval.
 */
const trainingSchema = z
  .object({
    trainingSet: z
      .object({
        /** The training set's name; default: the model's name. */
        name: z.string().regex(/^[a-z0-9-]+$/, 'training.trainingSet.name is lower-case letters, digits and hyphens').optional(),
        labels: z
          .object({
            /** Default: the data lake's database. */
            database: z.string().min(1).optional(),
            table: z.string().min(1),
            entityKeyColumn: z.string().min(1),
            eventTimeColumn: z.string().min(1),
            labelColumn: z.string().min(1),
          })
          .strict(),
        featureGroups: z.array(z.string().min(1)).min(1, 'training.trainingSet.featureGroups: name at least one feature group'),
        windowDays: z.number().int().min(1),
        validationDays: z.number().int().min(1),
        holdoutDays: z.number().int().min(1),
        /** Labels arrive this long after their event; the window ends this long before the run. Default: quality.labelDelayHours, else 0. */
        labelDelayHours: z.number().int().min(0).max(24 * 90).optional(),
      })
      .strict(),
    image: z.string().regex(ECR_IMAGE, 'training.image must be an ECR image URI with a tag or digest'),
    hyperparameters: z.record(z.string(), z.string()).default({}),
    instanceType: z.string(),
    instanceCount: z.number().int().min(1).max(20).default(1),
    volumeSizeGb: z.number().int().min(1).max(16384).default(50),
    maxRuntimeMinutes: z.number().int().min(1).max(28 * 24 * 60),
    /** Managed Spot with checkpoints to the lake; maxWaitMinutes must be at least maxRuntimeMinutes. */
    spot: z.object({ maxWaitMinutes: z.number().int().min(1) }).strict().optional(),
    evaluation: z
      .object({
        problemType: z.enum(['binary_classification', 'regression']),
        primaryMetric: z.enum(['auc', 'precision', 'recall', 'mae', 'rmse']),
        threshold: z.number().gt(0).lt(1).optional(),
        floor: z.number(),
        tolerance: z.number().nonnegative(),
        image: z.string().regex(ECR_IMAGE, 'training.evaluation.image must be an ECR image URI with a tag or digest').optional(),
        entrypoint: z.array(z.string().min(1)).optional(),
        instanceType: z.string().optional(),
      })
      .strict(),
  })
  .strict();

/**
 * Batch scoring over the lake (lib/training/batch-inference.ts): on `schedule`, the model's latest Approved package
 * scores the day partitions of a curated dataset that have ended and were never scored, within `lookbackDays`.
 */
const batchInferenceSchema = z
  .object({
    /** The curated dataset to score (a name in dataLake.datasets); its day partitions are `ingest_date=yyyy-MM-dd`. */
    dataset: z.string().regex(/^[a-z][a-z0-9_]*$/, 'batchInference.dataset is a curated dataset name'),
    /** EventBridge schedule expression; a day is scored by the first run after it ends (UTC). */
    schedule: z.string().regex(/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/, 'batchInference.schedule is an EventBridge schedule expression: rate(1 day) or cron(30 1 * * ? *)'),
    lookbackDays: z.number().int().min(1).max(400).default(7),
    /** Days before the lookback window swept for objects that arrived late (a redrive); see docs/training.md. */
    lateArrivalHorizonDays: z.number().int().min(1).max(400).default(30),
    maxPartitionsPerRun: z.number().int().min(1).max(40).default(4),
    instanceType: z.string(),
    instanceCount: z.number().int().min(1).max(20).default(1),
    contentType: z.string().min(1).default('application/jsonlines'),
    maxPayloadMb: z.number().int().min(1).max(100).default(6),
    partitionTimeoutMinutes: z.number().int().min(5).max(48 * 60).default(60),
  })
  .strict();

/** One model: its package group in the registry and the endpoint variant that follows its approved version. */
export const modelConfigSchema = z
  .object({
    name: z.string().regex(SAGEMAKER_NAME, 'model name must be 1-63 letters, digits and hyphens (SageMaker naming)'),
    description: z.string().max(1000).optional(),
    endpointName: z.string().regex(SAGEMAKER_NAME, 'endpointName must be 1-63 letters, digits and hyphens (SageMaker naming)'),
    variantName: z.string().regex(SAGEMAKER_NAME, 'variantName must be 1-63 letters, digits and hyphens').default('primary'),
    /** CloudWatch alarms whose ALARM state rolls a canary back, besides the endpoint's own. */
    rollbackAlarmNames: z.array(z.string().min(1)).max(8, 'at most 8 extra rollback alarms (SageMaker takes 10, Plinth adds 2)').default([]),
    /** p99 model latency (ms) above which a canary rolls back. */
    rollbackP99LatencyMs: z.number().positive('rollbackP99LatencyMs must be positive').default(1000),
    endpoint: endpointConfigSchema,
    /** The inference gateway in front of the endpoint (fallback, breaker, confidence routing). */
    gateway: gatewaySchema.optional(),
    /** Human review of the gateway's low-confidence and high-stakes answers. */
    review: reviewSchema.optional(),
    /** Data drift detection over the endpoint's data capture, and the retraining it starts. */
    drift: driftSchema.optional(),
    /** Quality from ground truth per variant, decay alarms and the A/B verdict. */
    quality: qualitySchema.optional(),
    /** The platform's own retraining pipeline (drift starts it when declared). */
    training: trainingSchema.optional(),
    /** Batch scoring of a lake dataset with the Approved model. */
    batchInference: batchInferenceSchema.optional(),
  })
  .strict()
  .superRefine((model, ctx) => {
    if (model.quality?.abTest && !model.endpoint.variants.some((v) => v.name === model.quality?.abTest?.champion)) {
      ctx.addIssue({ code: 'custom', path: ['quality', 'abTest', 'champion'], message: `quality.abTest.champion "${model.quality.abTest.champion}" is not one of the endpoint's production variants` });
    }
    if (model.quality?.abTest && model.endpoint.variants.some((v) => v.name === model.quality?.abTest?.champion)) {
      // The verdict compares the champion with ONE challenger: with none there is no verdict at all, with two or more
      // the others were never compared.
      const { champion } = model.quality.abTest;
      const challengers = model.endpoint.variants.map((v) => v.name).filter((n) => n !== champion);
      if (challengers.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          path: ['quality', 'abTest'],
          message:
            `quality.abTest compares the champion with exactly one other production variant; the endpoint has ` +
            (challengers.length === 0 ? `none besides "${champion}": add the challenger variant or remove abTest` : `${challengers.length} (${challengers.join(', ')}): keep one challenger at a time`),
        });
      }
    }
    if (model.quality?.positiveLabel !== undefined && model.review && !model.review.allowedLabels.includes(model.quality.positiveLabel)) {
      // Every label that is not positiveLabel counts as a negative, reviewers' labels included.
      ctx.addIssue({
        code: 'custom',
        path: ['quality', 'positiveLabel'],
        message: `quality.positiveLabel "${model.quality.positiveLabel}" is not one of review.allowedLabels (${model.review.allowedLabels.join(', ')}): every reviewer label would count as a negative`,
      });
    }
    if (model.quality && model.endpoint.variants.some((v) => v.inferenceComponent)) {
      ctx.addIssue({ code: 'custom', path: ['quality'], message: 'quality reads the endpoint\'s data capture, which an inference-component endpoint does not record; remove quality or inferenceComponent' });
    }
    if (model.drift && (model.drift.retrainingPipelineName === undefined) === (model.training === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: ['drift', 'retrainingPipelineName'],
        message: model.training
          ? 'drift starts the platform\'s own training pipeline when training is declared; remove drift.retrainingPipelineName (or remove training to keep the external pipeline)'
          : 'drift needs a retraining pipeline: declare training (the platform\'s own pipeline) or set drift.retrainingPipelineName (a named external pipeline)',
      });
    }
    if (model.training?.spot && model.training.spot.maxWaitMinutes < model.training.maxRuntimeMinutes) {
      ctx.addIssue({ code: 'custom', path: ['training', 'spot', 'maxWaitMinutes'], message: 'training.spot.maxWaitMinutes must be at least training.maxRuntimeMinutes' });
    }
    if (model.drift && !model.drift.features && !model.gateway) {
      ctx.addIssue({ code: 'custom', path: ['drift', 'features'], message: 'drift needs features: declare drift.features, or a gateway whose inputFeatures it can watch' });
    }
    for (const [i, feature] of (model.drift && !model.drift.features ? model.gateway?.inputFeatures ?? [] : []).entries()) {
      if (!DRIFT_FEATURE_NAME.test(feature.name)) {
        ctx.addIssue({ code: 'custom', path: ['gateway', 'inputFeatures', i, 'name'], message: `input feature "${feature.name}" cannot be watched for drift (not a SQL-safe identifier); rename it or declare drift.features` });
      }
    }
    if (model.endpoint.variants.some((v) => v.inferenceComponent)) {
      // An inference-component endpoint records no data capture and needs InferenceComponentName on every call.
      if (model.drift) {
        ctx.addIssue({ code: 'custom', path: ['drift'], message: 'drift reads the endpoint\'s data capture, which an inference-component endpoint does not record; remove drift or inferenceComponent' });
      }
      if (model.gateway) {
        ctx.addIssue({ code: 'custom', path: ['gateway'], message: 'the inference gateway does not call inference components yet (InvokeEndpoint needs InferenceComponentName); remove gateway or inferenceComponent' });
      }
    }
    if (model.gateway && !model.review) {
      ctx.addIssue({ code: 'custom', path: ['review'], message: 'a model with a gateway needs review: { slaMinutes, allowedLabels } for the answers it routes to people' });
    }
    if (!model.endpoint.variants.some((v) => v.name === model.variantName)) {
      ctx.addIssue({
        code: 'custom',
        path: ['variantName'],
        message: `variantName "${model.variantName}" is not one of the endpoint's production variants (${model.endpoint.variants.map((v) => v.name).join(', ')})`,
      });
    }
  });

export const modelRegistryConfigSchema = z
  .object({
    models: z.array(modelConfigSchema).superRefine((models, ctx) => {
      const seen = new Set<string>();
      models.forEach((m, i) => {
        if (seen.has(m.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `model "${m.name}" is declared twice` });
        seen.add(m.name);
      });
    }),
    canary: z
      .object({
        percent: z.number().int().min(1, 'canary.percent must be 1-50').max(50, 'canary.percent must be 1-50'),
        waitMinutes: z.number().int().min(1).max(60, 'canary.waitMinutes can be at most 60 (SageMaker\'s canary wait limit is one hour)'),
      })
      .strict(),
    /** ECR registry hosts that inference images may come from; default: this account's ECR in this region. */
    allowedImageRegistries: z.array(z.string().regex(/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/, 'allowedImageRegistries entries look like 123456789012.dkr.ecr.us-east-1.amazonaws.com')).default([]),
  })
  .strict();

export type ModelConfig = z.output<typeof modelConfigSchema>;
export type DriftConfig = z.output<typeof driftSchema>;
export type QualityConfig = z.output<typeof qualitySchema>;
export type DriftFeature = z.output<typeof driftFeatureSchema>;
export type TrainingConfig = z.output<typeof trainingSchema>;
export type BatchInferenceConfig = z.output<typeof batchInferenceSchema>;

/** The features a model's drift job watches: declared, or derived from the gateway's input features. */
export function driftFeatures(model: ModelConfig): DriftFeature[] {
  if (!model.drift) return [];
  if (model.drift.features) return model.drift.features;
  return (model.gateway?.inputFeatures ?? []).map((f) => ({ name: f.name, type: f.type === 'number' ? 'numeric' : 'categorical' }));
}
export type EndpointConfig = z.output<typeof endpointConfigSchema>;
export type VariantConfig = z.output<typeof variantSchema>;
export type ModelRegistryConfig = z.output<typeof modelRegistryConfigSchema>;
