/**
 * Golden telemetry: what a handler writes to stdout (structured log lines and CloudWatch EMF
 * documents), reduced to what dashboards, alarms and Logs Insights queries depend on:
 *   - EMF: namespace, dimension sets, metric names and units, dimension and metric values,
 *     and the searchable properties;
 *   - logs: level, message, service and every field the handler adds.
 * The golden files under golden/ were captured from main (331fd62) BEFORE the handlers moved to Powertools
 * (`UPDATE_GOLDEN=1 npx jest test/lambdas/telemetry`), so a test that compares against them proves
 * the move changed none of it. Output is captured at process.stdout.write and process.stderr.write
 * (Powertools writes warn and error lines to stderr; both reach CloudWatch Logs); only JSON lines
 * count (Node's own warnings are not the handler's telemetry).
 */
import * as fs from 'fs';
import * as path from 'path';
import { captureOutputAsync, jsonLines } from '../../support/lambda-output';

/** Keys every log line carries whatever wrote it (envelope): not part of the handler's fields. */
const ENVELOPE = new Set(['level', 'msg', 'message', 'service', 'timestamp', 'sampling_rate', 'xray_trace_id', 'cold_start', 'function_arn', 'function_memory_size', 'function_name', 'function_request_id']);

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

export type GoldenRecord =
  | { emf: { namespace: string; dimensionSets: string[][]; metrics: Array<[string, string]>; values: Record<string, unknown>; properties: Record<string, unknown> } }
  | { log: { level: string; msg: string; service: unknown; fields: Record<string, unknown> } };

function stable(value: unknown): unknown {
  if (typeof value === 'string') return value.replace(UUID, '<uuid>');
  if (Array.isArray(value)) return value.map(stable);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .map((k) => [k, stable((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** One written line as a golden record. */
export function normaliseLine(line: string): GoldenRecord {
  const doc = JSON.parse(line) as Record<string, unknown>;
  const aws = doc._aws as { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string; Unit: string }> }> } | undefined;
  if (aws) {
    const [directive] = aws.CloudWatchMetrics;
    const metricNames = directive.Metrics.map((m) => m.Name);
    const dimensionNames = new Set(directive.Dimensions.flat());
    const values: Record<string, unknown> = {};
    const properties: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(doc)) {
      if (k === '_aws') continue;
      if (metricNames.includes(k) || dimensionNames.has(k)) values[k] = v;
      else properties[k] = v;
    }
    return {
      emf: {
        namespace: directive.Namespace,
        dimensionSets: directive.Dimensions,
        metrics: directive.Metrics.map((m) => [m.Name, m.Unit] as [string, string]),
        values: stable(values) as Record<string, unknown>,
        properties: stable(properties) as Record<string, unknown>,
      },
    };
  }
  const fields: Record<string, unknown> = {};
  // `message` is the envelope only of a line without Plinth's `msg`; otherwise it is a field.
  for (const [k, v] of Object.entries(doc)) if (!ENVELOPE.has(k) || (k === 'message' && doc.msg !== undefined)) fields[k] = v;
  return {
    log: {
      level: String(doc.level).toLowerCase(),
      msg: String(doc.msg ?? doc.message),
      service: doc.service,
      fields: stable(fields) as Record<string, unknown>,
    },
  };
}

/** Runs `fn` (errors swallowed: the scenario is about what was written) and returns its JSON lines as golden records. */
export async function goldenRun(fn: () => Promise<unknown>): Promise<GoldenRecord[]> {
  const { lines } = await captureOutputAsync(() => fn().catch(() => undefined));
  return jsonLines(lines).map((doc) => normaliseLine(JSON.stringify(doc)));
}

const GOLDEN_DIR = path.join(__dirname, 'golden');

/**
 * The one documented change to log fields: errors are described by lambdas/shared/runtime.ts
 * `describeError` (one describer for every handler, contract G) instead of each handler's own.
 * In a line that describes an error (it has `errorName` and `errorMessage`):
 *   - the HTTP status is under both names the old describers used, `httpStatus` (the gateway)
 *     and `httpStatusCode` (the others), whichever the line had before;
 *   - `transient` is added (whether a retry may succeed);
 *   - `dropped` fields of the old describer are gone (the review Lambdas' `requestId`, which was
 *     the AWS request id of the failed SDK call, not a correlation id).
 * Everything else in the line must be identical.
 */
export interface DescriberChange {
  readonly dropped?: readonly string[];
  /**
   * Handler fields renamed because Powertools Logger reserves the key (`message`, `level`,
   * `service`, `timestamp`, `sampling_rate`: it drops them from a line's extra fields).
   */
  readonly renamed?: Readonly<Record<string, string>>;
}

function migrateBefore(record: GoldenRecord, change: DescriberChange): GoldenRecord {
  if (!('log' in record)) return record;
  const renamed: Record<string, unknown> = { ...record.log.fields };
  for (const [from, to] of Object.entries(change.renamed ?? {})) {
    if (from in renamed) {
      renamed[to] = renamed[from];
      delete renamed[from];
    }
  }
  record = { log: { ...record.log, fields: stable(renamed) as Record<string, unknown> } };
  if (!('errorName' in record.log.fields && 'errorMessage' in record.log.fields)) return record;
  const fields: Record<string, unknown> = { ...record.log.fields };
  const status = fields.httpStatusCode ?? fields.httpStatus;
  if (status !== undefined) {
    fields.httpStatus = status;
    fields.httpStatusCode = status;
  }
  for (const k of change.dropped ?? []) delete fields[k];
  fields.transient = expect.any(Boolean);
  return { log: { ...record.log, fields } };
}

/**
 * Compares the scenario's records with golden/<name>.json. With UPDATE_GOLDEN=1 it (re)writes the
 * file instead: done once, on main, before the Powertools change.
 */
export function expectGolden(name: string, scenarios: Record<string, GoldenRecord[]>, change: DescriberChange = {}): void {
  const file = path.join(GOLDEN_DIR, `${name}.json`);
  if (process.env.UPDATE_GOLDEN === '1') {
    fs.mkdirSync(GOLDEN_DIR, { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(scenarios, null, 2)}\n`);
    return;
  }
  const golden = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, GoldenRecord[]>;
  const expected = Object.fromEntries(Object.entries(golden).map(([k, records]) => [k, records.map((r) => migrateBefore(r, change))]));
  expect(scenarios).toEqual(expected);
}
