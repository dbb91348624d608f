// The hand-written EMF writer Plinth's Lambdas used before Powertools (lambdas/shared/runtime.ts).
// Kept only as the reference test/lambdas/shared/runtime.test.ts compares Powertools' output with.
/**
 * CloudWatch Embedded Metric Format: one JSON document per log line that CloudWatch turns into
 * metrics. Shared by Plinth's Lambdas so the envelope is written one way.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */

/** One EMF document. */
export interface EmfDocument {
  readonly namespace: string;
  /** Dimension name → value; all of them form the single dimension set. */
  readonly dimensions: Record<string, string>;
  /** Metric name → value, in the order they are declared. */
  readonly metrics: Record<string, number>;
  /** Units by metric name. @default 'Count' for every metric */
  readonly units?: Record<string, string>;
  /** Searchable log fields that are not dimensions. */
  readonly properties?: Record<string, unknown>;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
}

/** Renders one EMF document as the JSON line to write. */
export function renderEmf(doc: EmfDocument): string {
  const names = Object.keys(doc.metrics);
  const body: Record<string, unknown> = {
    ...doc.properties,
    _aws: {
      Timestamp: doc.timestamp,
      CloudWatchMetrics: [
        {
          Namespace: doc.namespace,
          Dimensions: [Object.keys(doc.dimensions)],
          Metrics: names.map((Name) => ({ Name, Unit: doc.units?.[Name] ?? 'Count' })),
        },
      ],
    },
    ...doc.dimensions,
  };
  for (const name of names) body[name] = doc.metrics[name];
  return JSON.stringify(body);
}
