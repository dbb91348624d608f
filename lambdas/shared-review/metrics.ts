/**
 * The review Lambdas' CloudWatch metrics (EMF through Powertools Metrics, lambdas/shared/runtime.ts):
 * namespace `Plinth/Review`, one dimension `Model`. The alarms and the review dashboard read these
 * names with exactly that dimension set.
 */

import type { Metrics } from '../shared/runtime';
import { MetricUnit, publishMetrics } from '../shared/runtime';

export const METRIC_NAMESPACE = 'Plinth/Review';

/** Model dimension value used for the all-models aggregate emitted by review-expiry. */
export const ALL_MODELS = '_all';

export type ReviewMetricName =
  | 'CasesEnqueued'
  | 'CasesClaimed'
  | 'CasesLabelled'
  | 'CasesExpired'
  | 'PendingCases'
  | 'OldestPendingAgeSeconds';

const UNITS: Partial<Record<ReviewMetricName, typeof MetricUnit.Seconds>> = {
  OldestPendingAgeSeconds: MetricUnit.Seconds,
};

/**
 * Emit one EMF document with the given metrics for one `Model` dimension value.
 * `properties` become searchable log fields, not dimensions.
 */
export function emitReviewMetrics(
  metrics: Metrics,
  model: string,
  values: Partial<Record<ReviewMetricName, number>>,
  properties: Record<string, unknown> = {},
): void {
  const defined = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Record<string, number>;
  if (Object.keys(defined).length === 0) return;
  publishMetrics(metrics, { dimensions: { Model: model }, values: defined, units: UNITS, properties });
}
