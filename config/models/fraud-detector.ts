import type { z } from 'zod';
import type { modelConfigSchema } from '../model-registry';

type ModelInput = z.input<typeof modelConfigSchema>;
type EnvironmentSizing = {
  account: string;
  region: string;
  instanceType: string;
  minCapacity: number;
  maxCapacity: number;
  /** Dev scales down at night. */
  offHours?: boolean;
  /** Serve a challenger variant beside the champion (A/B test, 20 % of traffic). */
  challenger?: { image: string };
};

/**
 * The card-fraud model: one endpoint per environment, A/B-ready, scaling on high-resolution
 * concurrency. The image is the model's serving container in that environment's ECR.
 */
export function fraudDetector(env: string, sizing: EnvironmentSizing): ModelInput {
  return {
    name: 'fraud-detector',
    description: 'Card fraud score for authorisation requests',
    endpointName: `fraud-detector-${env}`,
    variantName: 'primary',
    rollbackP99LatencyMs: 250,
    endpoint: {
      variants: [
        {
          name: 'primary',
          instanceType: sizing.instanceType,
          image: `${sizing.account}.dkr.ecr.${sizing.region}.amazonaws.com/fraud-detector-serving:1.0.0`,
          scaling: {
            minCapacity: sizing.minCapacity,
            maxCapacity: sizing.maxCapacity,
            metric: 'concurrency',
            target: 4,
            steps: [
              { lower: 12, change: 2 },
              { lower: 24, change: 4 },
            ],
            schedule: sizing.offHours
              ? { scaleDownCron: '0 19 ? * MON-FRI *', scaleUpCron: '0 7 ? * MON-FRI *', offHoursCapacity: 1, timeZone: 'UTC' }
              : undefined,
          },
        },
        ...(sizing.challenger
          ? [
              {
                name: 'challenger',
                instanceType: sizing.instanceType,
                image: sizing.challenger.image,
                // primary has weight 1 by default: 4:1 gives the challenger 20 % of traffic.
                initialWeight: 0.25,
                scaling: { minCapacity: sizing.minCapacity, maxCapacity: sizing.maxCapacity, metric: 'concurrency' as const, target: 4 },
              },
            ]
          : []),
      ],
      dataCaptureSamplingPercent: env === 'prod' ? 20 : 100,
    },
    gateway: {
      timeoutMs: 800,
      // When the model cannot answer, hold the transaction for review rather than approve it blind.
      fallback: { type: 'default', prediction: { label: 'review', score: 0.5 }, confidence: 0 },
      confidenceThreshold: 0.8,
      highStakesLabels: ['fraud'],
      inputFeatures: [
        { name: 'account_id', type: 'string', required: true },
        { name: 'amount', type: 'number', required: true, min: 0, max: 1_000_000 },
        { name: 'currency', type: 'string', required: true, enum: ['EUR', 'GBP', 'USD'] },
        { name: 'merchant_category', type: 'string' },
        { name: 'card_present', type: 'boolean', required: true },
        { name: 'txn_count_24h', type: 'number', min: 0, max: 10_000 },
        { name: 'amount_sum_24h', type: 'number', min: 0, max: 10_000_000 },
      ],
      breaker: { failureThreshold: 5, windowSeconds: 60, openSeconds: 30 },
      // The account's spend features, from the same definition the training sets use (#13).
      onlineFeatures: { featureGroup: 'account-spend', entityKeyField: 'account_id', timeoutMs: 50, onMissing: 'fallback', onUnavailable: 'fallback' },
    },
    review: { slaMinutes: env === 'prod' ? 60 : 240, allowedLabels: ['fraud', 'legitimate'] },
    // Watch the gateway's input features over the last day of capture; drift retrains at most once a day,
    // through the platform's own training pipeline (training, below).
    drift: {
      schedule: env === 'prod' ? 'rate(1 hour)' : 'rate(6 hours)',
      windowHours: 24,
      debounceMinutes: 24 * 60,
      // The features the model is trained on: its training set's account-spend columns, which the gateway
      // sends the model from the online store (account_id is an entity key, not a distribution to watch).
      // The request's own fields (amount, currency, merchant_category, card_present) are not in the
      // training set, so no baseline can hold them: config refuses them here (docs/drift.md).
      features: [
        { name: 'txn_count_24h', type: 'numeric' },
        { name: 'amount_sum_24h', type: 'numeric' },
        { name: 'amount_max_7d', type: 'numeric' },
        { name: 'distinct_categories_7d', type: 'numeric' },
      ],
    },
    // Quality from ground truth (<model>_ground_truth dataset + reviewer labels): chargebacks take days,
    // so the window ends three days before each daily run. AUC is what the model was approved on.
    quality: {
      schedule: 'rate(1 day)',
      windowHours: 24,
      labelDelayHours: 72,
      problemType: 'binary_classification',
      primaryMetric: 'auc',
      scorePath: '$.score',
      positiveLabel: 'fraud',
      threshold: 0.5,
      minSamples: env === 'prod' ? 500 : 100,
      tolerance: 0.03,
      floor: 0.85,
      coverageFloor: 0.05,
      outcome: { name: 'fraud loss avoided', unit: 'USD' },
      ...(sizing.challenger ? { abTest: { champion: 'primary', alpha: 0.05, minimumEffect: 0.005 } } : {}),
    },
    // Retraining: 90 days of labelled transactions joined point-in-time with account features; the last
    // week is the holdout, the week before it validation. The new model must reach AUC 0.80 and stay
    // within 0.01 of the champion's AUC on the same holdout.
    training: {
      trainingSet: {
        labels: { table: 'transactions_labels', entityKeyColumn: 'account_id', eventTimeColumn: 'occurred_at', labelColumn: 'is_fraud' },
        featureGroups: ['account-spend'],
        windowDays: 90,
        validationDays: 7,
        holdoutDays: 7,
      },
      image: `${sizing.account}.dkr.ecr.${sizing.region}.amazonaws.com/fraud-detector-training:1.0.0`,
      hyperparameters: { objective: 'binary:logistic', max_depth: '6', eta: '0.2', num_round: '200' },
      instanceType: 'ml.m5.xlarge',
      maxRuntimeMinutes: 120,
      spot: env === 'prod' ? undefined : { maxWaitMinutes: 240 },
      evaluation: { problemType: 'binary_classification', primaryMetric: 'auc', threshold: 0.5, floor: 0.8, tolerance: 0.01 },
    },
    // Batch scoring: every night at 01:30 UTC the Approved model scores yesterday's transactions partition
    // (and any missed day of the last week, at most four per run) into predictions/fraud-detector/ in the lake.
    batchInference: {
      dataset: 'transactions',
      schedule: 'cron(30 1 * * ? *)',
      lookbackDays: 7,
      maxPartitionsPerRun: 4,
      instanceType: 'ml.m5.xlarge',
    },
  };
}
