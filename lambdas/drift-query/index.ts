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
 *   CAPTURE_SETTLE_MINUTES  integer 0..1440: how long SageMaker may take to
 *                     upload a request's capture file; the window ends at the
 *                     last full hour at least this long before `time`
 *   BASELINE_BUCKET, BASELINE_KEY   the current baseline (written by
 *                     lambdas/drift-baseline: drift-baselines/<endpoint>/current.json)
 *   COVERAGE_KEY      in BASELINE_BUCKET: the coverage record, the end of the
 *                     last window the job evaluated (drift-stats writes it
 *                     after each evaluation)
 *   MODEL_PACKAGE_GROUP, MODEL_VARIANT   optional, both or neither: the package
 *                     group whose approved versions deploy-model rolls onto the
 *                     variant MODEL_VARIANT. When set, the baseline is the one of
 *                     the package that variant SERVES now, not current.json.
 *   PLINTH_ENV        optional, logged
 * Steps:
 *  1. window = [end − WINDOW_HOURS h, end), end = floor-to-hour(time −
 *     CAPTURE_SETTLE_MINUTES), UTC. Runs WINDOW_HOURS apart get windows that
 *     tile (each end moves by exactly the runs' distance), and no window holds
 *     an hour whose capture may still be uploading.
 *     Then the coverage record (s3:GetObject COVERAGE_KEY; none yet is the
 *     first run): when the last window evaluated ended before this start (a
 *     run that failed for good, a schedule that fired late across the settle
 *     minute, a settle time lowered, a job stopped for a while), the window
 *     starts there instead, so those hours are counted now rather than never;
 *     by at most MAX_CATCH_UP_HOURS in all (or WINDOW_HOURS when longer).
 *     Hours older than that are never evaluated: they are reported as
 *     coverage.hoursSkipped, which drift-stats publishes as CaptureHoursSkipped
 *     (alarm DriftWindowGap). A record that does not parse fails the run
 *     (DriftInputError): the gap it would hide is not guessed.
 *  2. The baseline's key: BASELINE_KEY; or, with MODEL_PACKAGE_GROUP, the
 *     versioned baseline of the package the variant serves now:
 *     DescribeEndpoint → its endpoint config (the one in service; during an
 *     update, the old one until the update completes) → the variant's model →
 *     its `plinth:model-package` tag (deploy-model sets it) → version N →
 *     `<dirname of BASELINE_KEY>/<MODEL_PACKAGE_GROUP>-vN.json` (drift-baseline
 *     writes it on approval). current.json is the NEWEST version approved:
 *     a canary SageMaker rolled back, or a rollback by hand, leaves it on a
 *     model that no longer serves, and drift judged against that model's
 *     training data reads "ok" for traffic that drifted from the live one's.
 *     s3:GetObject the baseline (max 10 MB), parseBaseline (drift-stats).
 *  3. Render ONE SELECT (sql.ts; its header states the exact semantics and
 *     the documented gaps) returning `feature, kind, bucket, n`.
 * Output: { endpointName, windowStart, windowEnd, queryString,
 *           baseline: { s3: { bucket, key, versionId | etag } }, baselineVersion,
 *           coverage: { scheduledStart, coveredUntil (null: no record),
 *                       hoursAdded, hoursSkipped, record: { bucket, key } } }
 *   versionId (versioned bucket) or else etag pins the object the SQL was
 *   rendered from: an approval may replace current.json while Athena runs,
 *   and counts binned over the old edges must be compared with the old
 *   baseline (drift-stats reads that version, or refuses another ETag).
 *   windowStart/windowEnd as 2026-11-21T09:00:00Z; the state machine runs
 *   queryString in the drift workgroup and hands windowStart/windowEnd,
 *   baseline and { athena: { queryExecutionId } } to drift-stats.
 * Errors:
 *   BaselineMissing  (Error.name) the baseline object does not exist: approve
 *                    a model package that carries training-sample metadata;
 *                    with MODEL_PACKAGE_GROUP also: the variant serves no model
 *                    deployed from a registered package, or the served version
 *                    has no baseline (its approval built none).
 *                    The state machine catches it by name (not retryable).
 *   DriftInputError  malformed input, environment or baseline (not retryable).
 *   AWS errors propagate (retryable).
 * IAM: s3:GetObject on BASELINE_BUCKET/BASELINE_KEY (with MODEL_PACKAGE_GROUP:
 *   on every object of its folder), kms:Decrypt on its key; with
 *   MODEL_PACKAGE_GROUP, sagemaker:DescribeEndpoint, DescribeEndpointConfig,
 *   DescribeModel and ListTags;
 *   and s3:ListBucket on BASELINE_BUCKET (prefix drift-baselines/): without
 *   it S3 answers a missing object with AccessDenied, not NoSuchKey, and
 *   BaselineMissing cannot be told apart from a permissions error;
 *   s3:GetObject on BASELINE_BUCKET/COVERAGE_KEY, and s3:ListBucket for that
 *   key (a missing record is the first run, not an error).
 *   (Athena and Glue permissions belong to the state machine, which runs the
 *   query.)
 * ──────────────────────────────────────────────────────────────────────────
 */

import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeEndpointCommand, DescribeEndpointConfigCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { parseModelPackageArn } from '../deploy-model/event';
import { parseBaselineText } from '../drift-stats/baseline';
import { Baseline, DriftInputError } from '../drift-stats/statistics';
import { createLogger } from '../shared/runtime';
import { MODEL_PACKAGE_TAG, packageOfModel } from '../shared/served-models';
import { isoSeconds, renderBinCountSql, VARIANT_NAME } from './sql';

export { DriftInputError } from '../drift-stats/statistics';

/** In-SDK attempts (standard retry mode, backoff with jitter). */
export const SDK_MAX_ATTEMPTS = 3;
/** The function's SDK client, created once per execution environment. */
export const clients = { s3: new S3Client({ maxAttempts: SDK_MAX_ATTEMPTS }), sagemaker: new SageMakerClient({ maxAttempts: SDK_MAX_ATTEMPTS }) };
const logger = createLogger('plinth-drift-query');

export const MAX_BASELINE_BYTES = 10 * 1024 * 1024;
export const MAX_WINDOW_HOURS = 744;
/**
 * How far back a window may reach to cover hours no run evaluated: a week (or WINDOW_HOURS when
 * longer). Beyond it the query would scan more capture than the workgroup's cutoff is sized for.
 */
export const MAX_CATCH_UP_HOURS = 168;
/** Largest coverage record read (it is a few hundred bytes). */
const MAX_COVERAGE_BYTES = 64 * 1024;
/** Largest CAPTURE_SETTLE_MINUTES (one day; lib/drift/drift-props.ts checks the same bound at synth). */
export const MAX_CAPTURE_SETTLE_MINUTES = 1440;
const MINUTE_MS = 60_000;
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
  /** The window ends at the last full hour at least this many minutes before the run. */
  captureSettleMinutes: number;
  baselineBucket: string;
  baselineKey: string;
  /** In baselineBucket: the end of the last window evaluated (drift-stats writes it). */
  coverageKey: string;
  /** The package group whose versions the variant serves; the baseline is the served version's. */
  servedModel?: { modelPackageGroupName: string; variantName: string };
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
  coverage: WindowCoverage;
}

/** How this window joins the ones evaluated before it. */
export interface WindowCoverage {
  /** Where the window would start from the schedule alone: windowEnd − WINDOW_HOURS. */
  scheduledStart: string;
  /** The end of the last window evaluated, from the coverage record; null when there is none (the first run). */
  coveredUntil: string | null;
  /** Hours the window reaches back before scheduledStart to count capture no run evaluated. */
  hoursAdded: number;
  /** Hours between coveredUntil and windowStart that no run evaluated and none will: older than the catch-up limit. */
  hoursSkipped: number;
  /** Where drift-stats records windowEnd once the window is evaluated. */
  record: { bucket: string; key: string };
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
  const settleText = required(env, 'CAPTURE_SETTLE_MINUTES');
  const captureSettleMinutes = /^\d+$/.test(settleText) ? Number(settleText) : NaN;
  if (!(captureSettleMinutes >= 0 && captureSettleMinutes <= MAX_CAPTURE_SETTLE_MINUTES)) {
    throw new DriftInputError(`CAPTURE_SETTLE_MINUTES must be an integer in 0..${MAX_CAPTURE_SETTLE_MINUTES} (got ${JSON.stringify(settleText)})`);
  }
  const environment = env.PLINTH_ENV?.trim();
  const group = env.MODEL_PACKAGE_GROUP?.trim();
  const variant = env.MODEL_VARIANT?.trim();
  if (Boolean(group) !== Boolean(variant)) throw new DriftInputError('MODEL_PACKAGE_GROUP and MODEL_VARIANT go together: set both or neither');
  if (group && !SAGEMAKER_NAME.test(group)) throw new DriftInputError(`MODEL_PACKAGE_GROUP ${JSON.stringify(group)} is not a SageMaker name`);
  if (variant && !VARIANT_NAME.test(variant)) throw new DriftInputError(`MODEL_VARIANT ${JSON.stringify(variant)} is not a variant name`);
  const baselineKey = required(env, 'BASELINE_KEY');
  if (group && !baselineKey.includes('/')) throw new DriftInputError(`BASELINE_KEY ${JSON.stringify(baselineKey)} must be in a folder: the served version's baseline is read next to it`);
  return {
    endpointName,
    captureDatabase: required(env, 'CAPTURE_DATABASE'),
    captureTable: required(env, 'CAPTURE_TABLE'),
    captureVariants,
    windowHours,
    captureSettleMinutes,
    baselineBucket: required(env, 'BASELINE_BUCKET'),
    baselineKey,
    coverageKey: required(env, 'COVERAGE_KEY'),
    ...(group && variant ? { servedModel: { modelPackageGroupName: group, variantName: variant } } : {}),
    ...(environment ? { environment } : {}),
  };
}

/**
 * [end − hours, end) in UTC, end = floor-to-hour(time − settleMinutes): the last full hour that
 * ended at least `settleMinutes` before the run, so capture SageMaker is still uploading is not
 * counted. The end is a whole hour and moves exactly as the run time does (modulo the floor), so
 * runs `hours` apart give windows that tile the capture without gap or overlap.
 */
export function captureWindow(time: unknown, hours: number, settleMinutes: number): { start: Date; end: Date } {
  if (typeof time !== 'string' || !ISO_TIME.test(time)) throw new DriftInputError(`time must be an ISO-8601 timestamp with a zone (got ${JSON.stringify(time)})`);
  const ms = Date.parse(time);
  if (!Number.isFinite(ms)) throw new DriftInputError(`time ${JSON.stringify(time)} is not a valid date`);
  if (!Number.isInteger(settleMinutes) || settleMinutes < 0 || settleMinutes > MAX_CAPTURE_SETTLE_MINUTES) {
    throw new DriftInputError(`the capture settle time must be whole minutes in 0..${MAX_CAPTURE_SETTLE_MINUTES} (got ${settleMinutes})`);
  }
  const endMs = Math.floor((ms - settleMinutes * MINUTE_MS) / HOUR_MS) * HOUR_MS;
  return { start: new Date(endMs - hours * HOUR_MS), end: new Date(endMs) };
}

/**
 * `window` moved back to start where the last window evaluated ended (`coveredUntil`), when that
 * is before its start: the hours between were evaluated by no run. It reaches back at most
 * max(MAX_CATCH_UP_HOURS, its own length) from its end; the hours older than that are skipped.
 * A window that starts at or before `coveredUntil` (the runs tile, or overlap) is unchanged.
 */
export function coverWindow(
  window: { start: Date; end: Date },
  coveredUntil: Date | undefined,
): { start: Date; end: Date; hoursAdded: number; hoursSkipped: number } {
  if (coveredUntil === undefined || coveredUntil.getTime() >= window.start.getTime()) return { ...window, hoursAdded: 0, hoursSkipped: 0 };
  const lengthHours = (window.end.getTime() - window.start.getTime()) / HOUR_MS;
  const earliest = window.end.getTime() - Math.max(MAX_CATCH_UP_HOURS, lengthHours) * HOUR_MS;
  const start = Math.max(coveredUntil.getTime(), earliest);
  return {
    start: new Date(start),
    end: window.end,
    hoursAdded: (window.start.getTime() - start) / HOUR_MS,
    hoursSkipped: (start - coveredUntil.getTime()) / HOUR_MS,
  };
}

/**
 * The end of the last window evaluated, from the coverage record drift-stats writes; undefined when
 * there is none (the first run, or the record was deleted). A record that is not what drift-stats
 * writes (JSON { endpointName, coveredUntil } with this endpoint and a whole UTC hour) is a
 * DriftInputError: the gap it would tell is not guessed.
 */
export async function readCoveredUntil(bucket: string, key: string, endpointName: string): Promise<Date | undefined> {
  let text: string;
  try {
    const res = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    if ((res.ContentLength ?? 0) > MAX_COVERAGE_BYTES) throw new DriftInputError(`coverage record s3://${bucket}/${key} is ${res.ContentLength} bytes (max ${MAX_COVERAGE_BYTES})`);
    text = (await res.Body?.transformToString('utf-8')) ?? '';
  } catch (err) {
    if ((err as { name?: unknown }).name === 'NoSuchKey') return undefined;
    throw err;
  }
  const where = `coverage record s3://${bucket}/${key}`;
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch {
    throw new DriftInputError(`${where} is not JSON; delete it to start coverage afresh (that run cannot tell a gap before it)`);
  }
  const r = record as { endpointName?: unknown; coveredUntil?: unknown };
  if (typeof record !== 'object' || record === null || r.endpointName !== endpointName) {
    throw new DriftInputError(`${where} is not endpoint ${endpointName}'s (endpointName ${JSON.stringify(r?.endpointName)})`);
  }
  const ms = typeof r.coveredUntil === 'string' && ISO_TIME.test(r.coveredUntil) ? Date.parse(r.coveredUntil) : NaN;
  if (!Number.isFinite(ms) || ms % HOUR_MS !== 0) {
    throw new DriftInputError(`${where}: coveredUntil must be a whole UTC hour (got ${JSON.stringify(r.coveredUntil)})`);
  }
  return new Date(ms);
}

/**
 * Where the baseline of the package the variant serves now is, and that package: deploy-model's tag
 * on the model in the endpoint's config in service. Anything that names no served package of the
 * group is BaselineMissing (no baseline applies) or DriftInputError, never a fallback to current.json.
 */
export async function servedBaseline(config: DriftQueryConfig): Promise<{ key: string; modelPackageArn: string; missing: string }> {
  const served = config.servedModel!;
  const where = `variant ${served.variantName} of endpoint ${config.endpointName}`;
  const endpoint = await clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: config.endpointName }));
  if (!endpoint.EndpointConfigName) throw new BaselineMissingError(`endpoint ${config.endpointName} has no endpoint config in service: no model serves, no baseline applies`);
  const endpointConfig = await clients.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: endpoint.EndpointConfigName }));
  const modelName = endpointConfig.ProductionVariants?.find((v) => v.VariantName === served.variantName)?.ModelName;
  if (!modelName) throw new BaselineMissingError(`${where} runs no model of its own in endpoint config ${endpoint.EndpointConfigName}: no baseline applies`);
  const modelPackageArn = await packageOfModel(clients.sagemaker, modelName);
  if (!modelPackageArn) {
    throw new BaselineMissingError(
      `model ${modelName}, which ${where} serves, was not deployed from a registered package (no ${MODEL_PACKAGE_TAG} tag): ` +
        `no baseline applies until an approved version of ${served.modelPackageGroupName} is deployed`,
    );
  }
  const parts = parseModelPackageArn(modelPackageArn);
  if (!parts || parts.groupLowerCase !== served.modelPackageGroupName.toLowerCase()) {
    throw new DriftInputError(`${where} serves ${modelPackageArn}, which is not a version of package group ${served.modelPackageGroupName}`);
  }
  const folder = config.baselineKey.slice(0, config.baselineKey.lastIndexOf('/') + 1);
  const key = `${folder}${served.modelPackageGroupName}-v${parts.version}.json`;
  return {
    key,
    modelPackageArn,
    missing:
      `no drift baseline for ${modelPackageArn}, which ${where} serves, at s3://${config.baselineBucket}/${key}: ` +
      'its approval built none (see the BaselineJobFailed alarm and the drift-baseline log); give the package a training sample ' +
      '("plinth:training-sample", or register it from the model\'s pipeline) and approve it again',
  };
}

/** The baseline and the object it was read from: its version id (versioned bucket), else its ETag. */
async function readBaseline(bucket: string, key: string, missing?: string): Promise<{ baseline: Baseline; pin: { versionId: string } | { etag: string } | Record<string, never> }> {
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
      if (missing !== undefined) throw new BaselineMissingError(missing);
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
  const scheduled = captureWindow(event.time, config.windowHours, config.captureSettleMinutes);
  let coveredUntil: Date | undefined;
  try {
    coveredUntil = await readCoveredUntil(config.baselineBucket, config.coverageKey, config.endpointName);
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    logger.error('could not read the coverage record', { endpointName: config.endpointName, errorName: e.name, errorMessage: e.message });
    throw err;
  }
  const window = coverWindow(scheduled, coveredUntil);
  const coverage: WindowCoverage = {
    scheduledStart: isoSeconds(scheduled.start),
    coveredUntil: coveredUntil === undefined ? null : isoSeconds(coveredUntil),
    hoursAdded: window.hoursAdded,
    hoursSkipped: window.hoursSkipped,
    record: { bucket: config.baselineBucket, key: config.coverageKey },
  };
  if (window.hoursSkipped > 0) {
    logger.error('capture hours no drift run evaluated, and none will: older than the catch-up limit', {
      endpointName: config.endpointName,
      coveredUntil: coverage.coveredUntil,
      windowStart: isoSeconds(window.start),
      hoursSkipped: window.hoursSkipped,
    });
  } else if (window.hoursAdded > 0) {
    logger.warn('window reaches back to capture no run evaluated', { endpointName: config.endpointName, coveredUntil: coverage.coveredUntil, hoursAdded: window.hoursAdded });
  }
  const logFields = {
    endpointName: config.endpointName,
    windowStart: isoSeconds(window.start),
    windowEnd: isoSeconds(window.end),
    ...(config.environment ? { environment: config.environment } : {}),
  };
  let baseline: Baseline;
  let pin: Awaited<ReturnType<typeof readBaseline>>['pin'];
  let baselineKey = config.baselineKey;
  let servedPackage: string | undefined;
  try {
    let missing: string | undefined;
    if (config.servedModel) ({ key: baselineKey, modelPackageArn: servedPackage, missing } = await servedBaseline(config));
    ({ baseline, pin } = await readBaseline(config.baselineBucket, baselineKey, missing));
    if (servedPackage !== undefined && baseline.source !== undefined && baseline.source.modelPackageArn.toLowerCase() !== servedPackage.toLowerCase()) {
      throw new DriftInputError(`baseline s3://${config.baselineBucket}/${baselineKey} was built for ${baseline.source.modelPackageArn}, not for the served ${servedPackage}`);
    }
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
  logger.info('drift query rendered', {
    ...logFields,
    features: Object.keys(baseline.features).length,
    queryBytes: Buffer.byteLength(queryString),
    baselineKey,
    ...(servedPackage !== undefined ? { servedModelPackageArn: servedPackage } : {}),
  });
  return {
    endpointName: config.endpointName,
    windowStart: logFields.windowStart,
    windowEnd: logFields.windowEnd,
    queryString,
    baseline: { s3: { bucket: config.baselineBucket, key: baselineKey, ...pin } },
    baselineVersion: baseline.version,
    coverage,
  };
}
