/**
 * CloudWatch Embedded Metric Format (EMF): one JSON line per processed object.
 * Namespace `Plinth/Ingest`, single dimension `Dataset`.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */

import { createMetrics, publishMetrics } from '../shared/runtime';

export const METRIC_NAMESPACE = 'Plinth/Ingest';
const emf = createMetrics(METRIC_NAMESPACE);

export type MetricName =
  | 'RecordsIn'
  | 'RecordsCurated'
  | 'RecordsQuarantined'
  | 'ObjectsReceived'
  | 'ObjectsUnreadable'
  | 'AdditiveDriftFields'
  | 'BreakingDriftRecords'
  | 'DuplicateEventsSkipped'
  | 'ProcessingLatencyMs'
  | 'ObjectsGone'
  /** Physical lines covered by quarantined records that span more than one line (they may hide records). */
  | 'QuarantinedSpannedLines'
  /** Records whose id the duplicate check could not store (its bound reached): their later duplicates are not caught. */
  | 'DuplicateIdsUntracked';

export type ObjectMetrics = Record<MetricName, number>;

export function emptyMetrics(): ObjectMetrics {
  return {
    RecordsIn: 0,
    RecordsCurated: 0,
    RecordsQuarantined: 0,
    ObjectsReceived: 1,
    ObjectsUnreadable: 0,
    AdditiveDriftFields: 0,
    BreakingDriftRecords: 0,
    DuplicateEventsSkipped: 0,
    ProcessingLatencyMs: 0,
    ObjectsGone: 0,
    QuarantinedSpannedLines: 0,
    DuplicateIdsUntracked: 0,
  };
}

/**
 * Emit one EMF document. `dataset` is the Dataset dimension value: callers pass
 * `_unknown` for datasets without a schema, so arbitrary key prefixes cannot
 * explode metric cardinality. `properties` are searchable log fields, not
 * dimensions.
 */
export function emitObjectMetrics(
  dataset: string,
  metrics: ObjectMetrics,
  properties: Record<string, unknown> = {},
  now: number = Date.now(),
): void {
  publishMetrics(emf, {
    dimensions: { Dataset: dataset },
    values: metrics,
    units: { ProcessingLatencyMs: 'Milliseconds' },
    properties,
    timestamp: now,
  });
}
