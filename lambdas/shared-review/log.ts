/**
 * Structured JSON logs (one object per line on stdout) and CloudWatch
 * Embedded Metric Format lines for the review Lambdas.
 *
 * Written with process.stdout.write (not console.log) so the Lambda runtime
 * does not prefix the line: CloudWatch parses the EMF documents and Logs
 * Insights parses the log objects directly.
 *
 * EMF: namespace `Plinth/Review`, one dimension `Model`.
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */

import { now } from './clock';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LineWriter = (line: string) => void;

const defaultWriter: LineWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

let writer: LineWriter = defaultWriter;

/** Test hook: redirect log and EMF lines. Pass undefined to restore stdout. */
export function setOutput(w: LineWriter | undefined): void {
  writer = w ?? defaultWriter;
}

function safeStringify(obj: Record<string, unknown>): string {
  try {
    return JSON.stringify(obj);
  } catch {
    return JSON.stringify({ level: obj.level, msg: obj.msg, note: 'log fields were not serialisable' });
  }
}

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(service: string): Logger {
  const log = (level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void => {
    writer(safeStringify({ level, msg, service, timestamp: new Date().toISOString(), ...fields }));
  };
  return {
    debug: (msg, fields) => log('debug', msg, fields),
    info: (msg, fields) => log('info', msg, fields),
    warn: (msg, fields) => log('warn', msg, fields),
    error: (msg, fields) => log('error', msg, fields),
  };
}

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

const UNITS: Record<ReviewMetricName, 'Count' | 'Seconds'> = {
  CasesEnqueued: 'Count',
  CasesClaimed: 'Count',
  CasesLabelled: 'Count',
  CasesExpired: 'Count',
  PendingCases: 'Count',
  OldestPendingAgeSeconds: 'Seconds',
};

/**
 * Emit one EMF document with the given metrics for one `Model` dimension value.
 * `properties` become searchable log fields, not dimensions.
 */
export function emitMetrics(
  model: string,
  metrics: Partial<Record<ReviewMetricName, number>>,
  properties: Record<string, unknown> = {},
): void {
  const names = (Object.keys(metrics) as ReviewMetricName[]).filter((n) => metrics[n] !== undefined);
  if (names.length === 0) return;
  const doc: Record<string, unknown> = {
    ...properties,
    _aws: {
      Timestamp: now().getTime(),
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [['Model']],
          Metrics: names.map((Name) => ({ Name, Unit: UNITS[Name] })),
        },
      ],
    },
    Model: model,
  };
  for (const n of names) doc[n] = metrics[n];
  writer(JSON.stringify(doc));
}

export function describeError(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const meta = (err as { $metadata?: { httpStatusCode?: number; requestId?: string } }).$metadata;
    return {
      errorName: err.name,
      errorMessage: err.message,
      ...(meta?.httpStatusCode !== undefined ? { httpStatusCode: meta.httpStatusCode } : {}),
      ...(meta?.requestId ? { requestId: meta.requestId } : {}),
    };
  }
  return { errorName: typeof err, errorMessage: String(err) };
}
