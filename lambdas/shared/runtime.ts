/**
 * The one runtime module of Plinth's Lambdas: Powertools Logger and Metrics configured the Plinth
 * way, environment parsing at the edge, one error describer, and bounded concurrency.
 *
 * Two choices keep what operators already rely on:
 * - Logs keep Plinth's field names (`level` in lower case, `msg`, `service`, `timestamp`, then the
 *   caller's fields), through a Powertools log formatter. Logs Insights queries and metric filters
 *   written against them keep working. Powertools adds `function_request_id` (after
 *   `logger.addContext(ctx)`) and `xray_trace_id` (when tracing is on) as correlation ids.
 * - Metrics keep their dimension sets exactly. Powertools Metrics adds a `service` default dimension
 *   to every metric; `createMetrics` clears it, because a metric whose dimension set gains a
 *   dimension is a different metric to CloudWatch, and every alarm on the old one would read
 *   INSUFFICIENT_DATA forever. test/lambdas/shared/runtime.test.ts proves the EMF is unchanged.
 */

import { Logger, LogFormatter, LogItem } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { z } from 'zod';
import { httpStatusOf, isTransientAwsError, messageOf, nameOf, SdkLikeError } from './aws-errors';

export type { Logger } from '@aws-lambda-powertools/logger';
export type { Metrics } from '@aws-lambda-powertools/metrics';
export { MetricUnit } from '@aws-lambda-powertools/metrics';

type FormatArgs = Parameters<LogFormatter['formatAttributes']>;

/** Plinth's log line: `{ level, msg, service, timestamp, ...fields }`, as before Powertools. */
class PlinthLogFormatter extends LogFormatter {
  override formatAttributes(attributes: FormatArgs[0], additional: FormatArgs[1]): LogItem {
    return new LogItem({
      attributes: {
        level: String(attributes.logLevel).toLowerCase(),
        msg: attributes.message,
        service: attributes.serviceName,
        timestamp: this.formatTimestamp(attributes.timestamp),
        // Correlation ids Powertools knows; dropped from the line when undefined.
        function_request_id: attributes.lambdaContext?.awsRequestId,
        xray_trace_id: attributes.xRayTraceId,
      },
    }).addAttributes(additional);
  }
}

const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT'] as const;
type PlinthLogLevel = (typeof LOG_LEVELS)[number];

/**
 * The function's logger. Level from env LOG_LEVEL (any case; default INFO; an unknown value falls
 * back to INFO rather than failing the function). Add correlation ids with
 * `logger.appendKeys({ objectKey })` (persist until removed) or `logger.addContext(context)`.
 */
export function createLogger(serviceName: string): Logger {
  const wanted = (process.env.LOG_LEVEL ?? 'INFO').toUpperCase();
  const logLevel: PlinthLogLevel = (LOG_LEVELS as readonly string[]).includes(wanted) ? (wanted as PlinthLogLevel) : 'INFO';
  return new Logger({ serviceName, logLevel, logFormatter: new PlinthLogFormatter() });
}

/**
 * The function's metrics, in `namespace`, with NO default dimension: Powertools' `service`
 * dimension is cleared so each metric keeps the dimension set its alarms use. Emit a document with
 * {@link publishMetrics} (one synchronous call, so concurrent work cannot interleave dimensions).
 */
export function createMetrics(namespace: string): Metrics {
  const metrics = new Metrics({ namespace });
  metrics.clearDefaultDimensions();
  return metrics;
}

/** Units Plinth's metrics use. */
export type PlinthMetricUnit = (typeof MetricUnit)[keyof typeof MetricUnit];

/** One EMF document: one dimension set, its metrics, and searchable (non-dimension) fields. */
export interface MetricDocument {
  /** Dimension name → value; all of them form the single dimension set, in this order. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** Metric name → value. */
  readonly values: Readonly<Record<string, number>>;
  /** Units by metric name. @default 'Count' for every metric */
  readonly units?: Readonly<Partial<Record<string, PlinthMetricUnit>>>;
  /** Searchable log fields that are not dimensions (EMF metadata). */
  readonly properties?: Readonly<Record<string, unknown>>;
  /** Milliseconds since the epoch. @default Date.now() */
  readonly timestamp?: number;
}

/**
 * Writes one EMF document through `metrics` now: adds the dimensions, values and metadata and
 * publishes them in one synchronous call, so two objects processed concurrently can never mix their
 * dimensions in the shared module-scope instance.
 */
export function publishMetrics(metrics: Metrics, doc: MetricDocument): void {
  for (const [name, value] of Object.entries(doc.dimensions)) metrics.addDimension(name, value);
  for (const [key, value] of Object.entries(doc.properties ?? {})) {
    // Powertools types metadata as string; EMF carries any JSON value and Plinth logs numbers too.
    if (value !== undefined) metrics.addMetadata(key, value as string);
  }
  for (const [name, value] of Object.entries(doc.values)) metrics.addMetric(name, doc.units?.[name] ?? MetricUnit.Count, value);
  if (doc.timestamp !== undefined) metrics.setTimestamp(doc.timestamp);
  metrics.publishStoredMetrics();
}

/**
 * Parses the environment with a zod schema at the edge. Throws an Error whose message names every
 * variable that is missing or wrong, e.g. `invalid environment: TABLE_NAME: ...; MAX_ROWS: ...`.
 */
export function parseEnv<S extends z.ZodTypeAny>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((issue) => {
    const variable = issue.path.length > 0 ? issue.path.map(String).join('.') : '(environment)';
    return `${variable}: ${issue.message}`;
  });
  throw new Error(`invalid environment: ${problems.join('; ')}`);
}

/** What the logs say about an error (a type, not an interface, so it spreads into log attributes). */
export type ErrorDescription = {
  errorName: string;
  errorMessage: string;
  /** A retry may succeed (throttling, 5xx, timeout, dropped connection; lambdas/shared/aws-errors.ts). */
  transient: boolean;
  /** HTTP status of an AWS SDK v3 service error. */
  httpStatus?: number;
  /**
   * The same status under the name most handlers' logs (and their tests and queries) used before
   * the shared describer; kept so no log field disappears.
   */
  httpStatusCode?: number;
  /** Node/SDK error code (`ECONNRESET`, ...), when the error carries one. */
  errorCode?: string;
  /** The described `cause`, when the error wraps another. */
  cause?: ErrorDescription;
};

/** Longest error message written to a log line. */
export const MAX_ERROR_MESSAGE = 500;

/** The one error describer: name, message (bounded), whether a retry may succeed, HTTP status. */
export function describeError(err: unknown, depth = 0): ErrorDescription {
  const out: ErrorDescription = {
    errorName: err instanceof Error ? err.name : nameOf(err) || typeof err,
    errorMessage: messageOf(err).slice(0, MAX_ERROR_MESSAGE),
    transient: isTransientAwsError(err),
  };
  const status = httpStatusOf(err);
  if (status !== undefined) {
    out.httpStatus = status;
    out.httpStatusCode = status;
  }
  const code = typeof err === 'object' && err !== null ? (err as SdkLikeError).code : undefined;
  if (typeof code === 'string') out.errorCode = code;
  const cause = err instanceof Error ? err.cause : undefined;
  if (cause !== undefined && depth < 3) out.cause = describeError(cause, depth + 1);
  return out;
}

/**
 * Runs `fn` over `items` with at most `limit` calls in flight, in order of start. Rejects with the
 * first error once every started call has settled (callers that must not stop catch inside `fn`).
 */
export async function forEachLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`forEachLimit: limit must be an integer >= 1, got ${limit}`);
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const index = next++;
      try {
        await fn(items[index] as T, index);
      } catch (err) {
        if (!failed) {
          failed = true;
          firstError = err;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw firstError;
}

/** {@link forEachLimit} that keeps each result at its item's index. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  await forEachLimit(items, limit, async (item, index) => {
    results[index] = await fn(item, index);
  });
  return results;
}
