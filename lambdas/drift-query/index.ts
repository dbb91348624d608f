/**
 * drift-query — renders the Athena query that counts one capture window over
 * the endpoint's current drift baseline (the first step of the drift job).
 *
 * ── CONTRACT ──────────────────────────────────────────────────────────────
 * Invoked by: Step Functions (LambdaInvoke, payload = the state input).
 * Input:  { "time": "<ISO-8601 with zone>" }   (the execution start time)
 * Env:
 *   ENDPOINT_NAME     the endpoint (SageMaker name)
 *   CAPTURE_DATABASE  Glue database of the capture table
 *   CAPTURE_TABLE     Glue table over SageMaker data capture (OpenX JSON
 *                     SerDe): struct columns capturedata / eventmetadata /
 *                     eventversion; partitions `variant` (string, enum
 *                     projection) and `capture_hour` (string, date
 *                     projection, format yyyy/MM/dd/HH, matching SageMaker's
 *                     <prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/ layout)
 *   CAPTURE_VARIANTS  comma list of PRODUCTION variant names (shadow variants
 *                     are left out)
 *   WINDOW_HOURS      integer 1..744
 *   BASELINE_BUCKET, BASELINE_KEY   the current baseline (written by
 *                     lambdas/drift-baseline: drift-baselines/<endpoint>/current.json)
 *   PLINTH_ENV        optional, logged
 * Steps:
 *  1. window = [floor-to-hour(time) − WINDOW_HOURS h, floor-to-hour(time)), UTC.
 *  2. s3:GetObject the baseline (max 10 MB), parseBaseline (drift-stats).
 *  3. Render ONE SELECT (sql.ts; its header states the exact semantics and
 *     the documented gaps) returning `feature, kind, bucket, n`.
 * Output: { endpointName, windowStart, windowEnd, queryString,
 *           baseline: { s3: { bucket, key, versionId | etag } }, baselineVersion }
 *   versionId (versioned bucket) or else etag pins the object the SQL was
 *   rendered from: an approval may replace current.json while Athena runs,
 *   and counts binned over the old edges must be compared with the old
 *   baseline (drift-stats reads that version, or refuses another ETag).
 *   windowStart/windowEnd as 2026-11-21T09:00:00Z; the state machine runs
 *   queryString in the drift workgroup and hands windowStart/windowEnd,
 *   baseline and { athena: { queryExecutionId } } to drift-stats.
 * Errors:
 *   BaselineMissing  (Error.name) the baseline object does not exist: approve
 *                    a model package that carries training-sample metadata.
 *                    The state machine catches it by name (not retryable).
 *   DriftInputError  malformed input, environment or baseline (not retryable).
 *   AWS errors propagate (retryable).
 * IAM: s3:GetObject on BASELINE_BUCKET/BASELINE_KEY, kms:Decrypt on its key,
 *   and s3:ListBucket on BASELINE_BUCKET (prefix drift-baselines/): without
 *   it S3 answers a missing object with AccessDenied, not NoSuchKey, and
 *   BaselineMissing cannot be told apart from a permissions error.
 *   (Athena and Glue permissions belong to the state machine, which runs the
 *   query.)
 * ──────────────────────────────────────────────────────────────────────────
 */

import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { parseBaselineText } from '../drift-stats/baseline';
import { Baseline, DriftInputError } from '../drift-stats/statistics';
import { createLogger } from '../shared/runtime';
import { isoSeconds, renderBinCountSql, VARIANT_NAME } from './sql';

export { DriftInputError } from '../drift-stats/statistics';

/** In-SDK attempts (standard retry mode, backoff with jitter). */
export const SDK_MAX_ATTEMPTS = 3;
/** The function's SDK client, created once per execution environment. */
export const clients = { s3: new S3Client({ maxAttempts: SDK_MAX_ATTEMPTS }) };
const logger = createLogger('plinth-drift-query');

export const MAX_BASELINE_BYTES = 10 * 1024 * 1024;
export const MAX_WINDOW_HOURS = 744;
const HOUR_MS = 3_600_000;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/** The baseline object does not exist: no model with training-sample metadata was approved yet. */
export class BaselineMissingError extends Error {
  override readonly name = 'BaselineMissing';
}

export interface DriftQueryEvent {
  time: string;
}

export interface DriftQueryConfig {
  endpointName: string;
  captureDatabase: string;
  captureTable: string;
  captureVariants: string[];
  windowHours: number;
  baselineBucket: string;
  baselineKey: string;
  environment?: string;
}

export interface DriftQueryResult {
  endpointName: string;
  windowStart: string;
  windowEnd: string;
  queryString: string;
  /** The object the query was rendered from: drift-stats reads this version (or fails on another ETag). */
  baseline: { s3: { bucket: string; key: string; versionId?: string; etag?: string } };
  baselineVersion: number;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name]?.trim();
  if (!v) throw new DriftInputError(`environment variable ${name} is required`);
  return v;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): DriftQueryConfig {
  const endpointName = required(env, 'ENDPOINT_NAME');
  if (!SAGEMAKER_NAME.test(endpointName)) throw new DriftInputError(`ENDPOINT_NAME ${JSON.stringify(endpointName)} is not a SageMaker name`);
  const captureVariants = required(env, 'CAPTURE_VARIANTS')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
  if (captureVariants.length === 0 || captureVariants.some((v) => !VARIANT_NAME.test(v))) {
    throw new DriftInputError(`CAPTURE_VARIANTS must be a comma list of variant names (got ${JSON.stringify(env.CAPTURE_VARIANTS)})`);
  }
  const hoursText = required(env, 'WINDOW_HOURS');
  const windowHours = /^\d+$/.test(hoursText) ? Number(hoursText) : NaN;
  if (!(windowHours >= 1 && windowHours <= MAX_WINDOW_HOURS)) {
    throw new DriftInputError(`WINDOW_HOURS must be an integer in 1..${MAX_WINDOW_HOURS} (got ${JSON.stringify(hoursText)})`);
  }
  const environment = env.PLINTH_ENV?.trim();
  return {
    endpointName,
    captureDatabase: required(env, 'CAPTURE_DATABASE'),
    captureTable: required(env, 'CAPTURE_TABLE'),
    captureVariants,
    windowHours,
    baselineBucket: required(env, 'BASELINE_BUCKET'),
    baselineKey: required(env, 'BASELINE_KEY'),
    ...(environment ? { environment } : {}),
  };
}

/** [floor-to-hour(time) − hours, floor-to-hour(time)) in UTC. */
export function captureWindow(time: unknown, hours: number): { start: Date; end: Date } {
  if (typeof time !== 'string' || !ISO_TIME.test(time)) throw new DriftInputError(`time must be an ISO-8601 timestamp with a zone (got ${JSON.stringify(time)})`);
  const ms = Date.parse(time);
  if (!Number.isFinite(ms)) throw new DriftInputError(`time ${JSON.stringify(time)} is not a valid date`);
  const endMs = Math.floor(ms / HOUR_MS) * HOUR_MS;
  return { start: new Date(endMs - hours * HOUR_MS), end: new Date(endMs) };
}

/** The baseline and the object it was read from: its version id (versioned bucket), else its ETag. */
async function readBaseline(bucket: string, key: string): Promise<{ baseline: Baseline; pin: { versionId: string } | { etag: string } | Record<string, never> }> {
  let text: string;
  let pin: { versionId: string } | { etag: string } | Record<string, never> = {};
  try {
    const res = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if (res.VersionId) pin = { versionId: res.VersionId };
    else if (res.ETag) pin = { etag: res.ETag };
    if ((res.ContentLength ?? 0) > MAX_BASELINE_BYTES) {
      throw new DriftInputError(`baseline s3://${bucket}/${key} is ${res.ContentLength} bytes (max ${MAX_BASELINE_BYTES})`);
    }
    text = (await res.Body?.transformToString('utf-8')) ?? '';
  } catch (err) {
    if ((err as { name?: unknown }).name === 'NoSuchKey') {
      throw new BaselineMissingError(
        `no drift baseline at s3://${bucket}/${key}: approve a model package whose CustomerMetadataProperties ` +
          `"plinth:training-sample" names its training sample (s3://bucket/key, JSON Lines or CSV); ` +
          'the drift-baseline function then writes this object',
      );
    }
    throw err;
  }
  return { baseline: parseBaselineText(text, `s3://${bucket}/${key}`), pin };
}

export async function handler(event: DriftQueryEvent): Promise<DriftQueryResult> {
  const config = loadConfig();
  if (typeof event !== 'object' || event === null) throw new DriftInputError('event must be an object { time }');
  const window = captureWindow(event.time, config.windowHours);
  const logFields = {
    endpointName: config.endpointName,
    windowStart: isoSeconds(window.start),
    windowEnd: isoSeconds(window.end),
    ...(config.environment ? { environment: config.environment } : {}),
  };
  let baseline: Baseline;
  let pin: Awaited<ReturnType<typeof readBaseline>>['pin'];
  try {
    ({ baseline, pin } = await readBaseline(config.baselineBucket, config.baselineKey));
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    logger.error('could not read the drift baseline', { ...logFields, errorName: e.name, errorMessage: e.message });
    throw err;
  }
  const queryString = renderBinCountSql({
    database: config.captureDatabase,
    table: config.captureTable,
    variants: config.captureVariants,
    windowStart: window.start,
    windowEnd: window.end,
    baseline,
  });
  logger.info('drift query rendered', { ...logFields, features: Object.keys(baseline.features).length, queryBytes: Buffer.byteLength(queryString) });
  return {
    endpointName: config.endpointName,
    windowStart: logFields.windowStart,
    windowEnd: logFields.windowEnd,
    queryString,
    baseline: { s3: { bucket: config.baselineBucket, key: config.baselineKey, ...pin } },
    baselineVersion: baseline.version,
  };
}
