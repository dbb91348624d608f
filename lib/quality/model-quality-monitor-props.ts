import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { PlatformServiceProps } from '../compute/platform-service-props';
import type { ILakeDatabase } from '../data-lake/data-lake-props';
import type { IInferenceEndpoint } from '../inference/inference-endpoint-props';
import type { IModelRegistry } from '../model-registry/model-registry-props';

/** The price a variant's cost per 1,000 predictions is computed with (a row of the dated price table). */
export interface QualityPrice {
  readonly instanceType: string;
  readonly pricePerHour: number;
  readonly currency: string;
  /** When the figure was taken, as the price table says. */
  readonly asOf: string;
  readonly source: string;
}

/** The A/B test between the champion and the other weighted variant. */
export interface QualityAbTest {
  /** The production variant that serves today. */
  readonly champion: string;
  /** @default 0.05 */
  readonly alpha?: number;
  /** The smallest difference in per-prediction loss worth acting on (the mixture scale). */
  readonly minimumEffect: number;
  /** Challenger p99 may be this fraction above the champion's. @default 0.1 */
  readonly p99LatencyIncrease?: number;
  /** Challenger error rate may be this much above the champion's (absolute). @default 0.005 */
  readonly errorRateIncrease?: number;
  /** Challenger cost per 1,000 may be this fraction above the champion's. @default 0.2 */
  readonly costPer1000Increase?: number;
}

/** What the quality job measures and when it alarms. */
export interface QualitySettings {
  /** EventBridge schedule expression, e.g. `rate(1 day)`. */
  readonly schedule: string;
  readonly windowHours: number;
  /** The window ends this long before the run; no label for longer is stale. */
  readonly labelDelayHours: number;
  readonly problemType: 'binary_classification' | 'regression';
  readonly primaryMetric: 'auc' | 'precision' | 'recall' | 'calibrationError' | 'mae' | 'rmse';
  /** JSON path of the score / prediction in the captured output, e.g. `$.score`. */
  readonly scorePath: string;
  /** Classification: the positive label. */
  readonly positiveLabel?: string;
  /** @default 0.5 */
  readonly threshold?: number;
  /** @default 200 */
  readonly minSamples?: number;
  readonly tolerance: number;
  /** Baseline when the deployed package registers no evaluation.json. */
  readonly floor: number;
  /** @default 0.05 */
  readonly coverageFloor?: number;
  readonly outcome?: { readonly name: string; readonly unit: string };
  readonly abTest?: QualityAbTest;
}

/** Properties for {@link ModelQualityMonitor}. */
export interface ModelQualityMonitorProps extends PlatformServiceProps {
  readonly modelName: string;
  /** The endpoint whose captured predictions are scored (an `InferenceEndpoint`, or `InferenceEndpoint.fromEndpointAttributes`). */
  readonly endpoint: IInferenceEndpoint;
  /** The registry holding `modelPackageGroupName`: the evaluation of the package each variant serves is its baseline (contract B). */
  readonly registry: IModelRegistry;
  /**
   * The model package group in `registry`.
   *
   * @default - `modelName`
   */
  readonly modelPackageGroupName?: string;
  /**
   * The variants compared, in order.
   *
   * @default - the endpoint's production variants
   */
  readonly productionVariantNames?: readonly string[];
  readonly quality: QualitySettings;
  /** The endpoint's data capture bucket; query results and evidence files are written there too. */
  readonly captureBucket: s3.IBucket;
  /** @default 'capture/' */
  readonly capturePrefix?: string;
  readonly captureKey: kms.IKey;
  /** The lake's Glue database (Lake Formation): a `DataLake`, or `{ databaseName }` of one outside the app. */
  readonly database: ILakeDatabase;
  /** The model's ground-truth dataset table in that database (created by the DataLake). */
  readonly groundTruthTableName: string;
  /** The lake zone that holds the ground-truth dataset and the reviewers' labels. */
  readonly groundTruthBucket: s3.IBucket;
  readonly groundTruthKey: kms.IKey;
  /** Where the review loop writes this model's labels (`<prefix><model>/`); omit when the model has no review queue. */
  readonly reviewLabelsPrefix?: string;
  /** Where the registered evaluation.json files live (read for the baseline). */
  readonly evaluationBucket: s3.IBucket;
  readonly evaluationKey: kms.IKey;
  readonly bytesScannedCutoffPerQuery: number;
  /** Variant → the price of its instance type. @default no cost figures */
  readonly prices?: Readonly<Record<string, QualityPrice>>;
}
