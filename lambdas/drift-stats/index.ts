/**
 * drift-stats — Plinth's own data-drift check (PSI / KS / missing rate /
 * unseen categories) for one endpoint and one capture window.
 *
 * ── CONTRACT ──────────────────────────────────────────────────────────────
 * Invoked by: a Step Functions task (or EventBridge target) AFTER the Athena
 * queries over the data-capture window ran. Synchronous; the return value is
 * the evaluation.
 *
 * Input event (JSON):
 *   {
 *     "endpointName": "fraud-prod",
 *     "windowStart": "2031-03-01T00:00:00Z", "windowEnd": "2031-03-01T01:00:00Z",
 *     "baseline": <inline baseline JSON, version 1>
 *               | { "s3": { "bucket": "...", "key": "...", "versionId"?: "...", "etag"?: "..." } },
 *     "window":   { "features": { "<name>": <counts like the baseline> } }
 *               | { "sample":   { "<name>": [number | string | null, ...] } }
 *               | { "athena":   { "queryExecutionId": "<id>" } },
 *     "thresholds": { "psi": 0.2, "ks": 0.1, "missingRate": 0.05, "unseenShare": 0.01 },
 *     "minSamples": 100,           // optional, default 100 non-missing values per feature
 *     "traffic": { "variants": ["primary"], "samplingPercent": 20 },  // optional, see below
 *     "coverage": { "hoursAdded": 0, "hoursSkipped": 0,             // optional: drift-query's
 *                   "record": { "bucket": "...", "key": "..." } }   // (the drift job passes it)
 *   }
 *   Baseline JSON: see baseline.ts (built by buildBaseline() from the training
 *   data: numeric edges are baseline deciles, [null, e1..e9, null]).
 *   Window counts (Athena SQL) MUST use the baseline's edges with LEFT-CLOSED
 *   bins (bin i: edges[i] <= x < edges[i+1]; null ends = ∓Infinity), count
 *   NULL/NaN as `missing`, and `total` = Σcounts + missing. Numeric `edges`
 *   may be omitted in the window (= the baseline's); if present they must be
 *   identical. Categorical keys are the category strings (numbers formatted
 *   like JavaScript String(x)). A raw `sample` is binned here by the same code
 *   that built the baseline; keep it bounded (Lambda payload limits: 256 KB
 *   async / 6 MB sync). A baseline feature without a column in the sample is
 *   missing in every sampled row (it drifts on its missing rate).
 *   Athena window: the finished query rendered by lambdas/drift-query (rows
 *   `feature, kind ∈ {bin, category, missing}, bucket, n`). Every row is read
 *   with GetQueryResults (MaxResults 1000, NextToken; the first row of the
 *   first page is the header and must name feature/kind/bucket/n; at most
 *   MAX_RESULT_ROWS = 200 000 rows) and turned into counts over the
 *   BASELINE's bins (athena-window.ts). A baseline feature without rows gets
 *   zero counts (insufficient data). A bin outside the baseline's bins, an
 *   unknown kind, a kind that does not match the baseline feature's type or a
 *   non-integer n is a DriftInputError; features the baseline does not know
 *   are listed in unknownFeatures.
 *   Baseline in S3: read with s3:GetObject (max 10 MB) — the role needs
 *   s3:GetObject (s3:GetObjectVersion with versionId) on that key (and
 *   kms:Decrypt if SSE-KMS). versionId / etag pin the object drift-query
 *   rendered the SQL from: the Athena counts are bin INDEXES over its edges,
 *   so a baseline replaced meanwhile with as many bins would otherwise be
 *   compared silently. A changed ETag is a DriftInputError.
 *
 * IAM: events:PutEvents on the bus; s3:GetObject on the baseline key; with
 * `traffic`, cloudwatch:GetMetricData (no resource scoping); for the
 * Athena window athena:GetQueryResults on the drift workgroup, s3:GetObject
 * on the workgroup's results prefix (GetQueryResults reads the result file
 * with the caller's credentials), kms:Decrypt on the keys of both buckets.
 *
 * Output: { endpointName, windowStart, windowEnd, baselineVersion,
 *   baselineCreatedAt, status: 'drift'|'ok'|'insufficient-data' (overall),
 *   features: { <name>: { status: 'ok'|'drift', type, n, psi, ks?,
 *   missingRateDelta, unseen: [{category,count}], unseenCategories,
 *   unseenShare, reasons, distributionNotCompared? } (psi and unseenShare
 *   null when the feature drifts on its missing rate alone)
 *   | { status: 'insufficient-data', type, n,
 *   minSamples, reason, missingRateDelta } }, drifting: [...],
 *   insufficient: [...], unknownFeatures: [...], unbaselined: [...],
 *   eventPublished, capture?: { invocations, expectedRows, blind } }.
 *   `unbaselined`: configured features the baseline has no distribution for
 *   (baseline.unbaselined, e.g. a field only the request carries): never
 *   compared, so never "ok"; listed in every result and log line.
 *   Overall status: 'drift' if any feature drifts, else 'insufficient-data'
 *   if every feature is, else 'ok'.
 *
 * Side effects:
 *  - EMF on stdout, namespace `Plinth/Drift`, dimensions [Endpoint, Feature],
 *    one document per baseline feature: PSI, KS (numeric), MissingRateDelta,
 *    UnseenShare, InsufficientData = 0 for evaluated features; for
 *    insufficient-data features only InsufficientData = 1 (plus
 *    MissingRateDelta when defined, so an all-missing feature stays visible).
 *  - ONE more EMF document per evaluation, namespace `Plinth/Drift`,
 *    dimensions [Endpoint]: FeaturesDrifting (count of drifting features),
 *    FeaturesInsufficient (count of insufficient-data features),
 *    FeaturesUnbaselined (count of baseline.unbaselined: features not
 *    watched at all), DriftEvaluations = 1. Alarm on FeaturesDrifting >= 1 per endpoint.
 *    With `traffic`, also DriftBlind: 1 when every feature was
 *    insufficient although the variants served at least 2 × minSamples
 *    requests that capture should have recorded (Invocations × samplingPercent
 *    / 100, read with cloudwatch:GetMetricData only in that case; the result
 *    and log then carry `capture`), else 0. Too little data otherwise reads
 *    like a quiet window (FeaturesDrifting = 0) when capture is what broke.
 *    With `coverage`, also CaptureHoursSkipped: capture hours before this
 *    window that no run evaluated and none will (drift-query's hoursSkipped;
 *    alarm DriftWindowGap), 0 when the runs tile.
 *  - When ≥ 1 feature drifts: ONE EventBridge PutEvents entry on
 *    EVENT_BUS_NAME (default `default`): source `plinth.drift`, detail-type
 *    `Model Drift Detected`, detail = DriftEventDetail below (drifting
 *    features only). Role: events:PutEvents on that bus. No event otherwise
 *    (insufficient data never produces one).
 *
 * Errors: DriftInputError (name `DriftInputError`) for malformed input — not
 * retryable, exclude it from the Step Functions Retry; AWS errors propagate
 * (retryable). Env: EVENT_BUS_NAME (optional), PLINTH_ENV (optional, logged).
 * ──────────────────────────────────────────────────────────────────────────
 */

import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createLogger, createMetrics, describeError, PlinthMetricUnit, publishMetrics } from '../shared/runtime';
import { readBinCountRows, windowFromBinCounts } from './athena-window';
import { parseBaseline, parseBaselineText, parseWindow } from './baseline';
import { captureEvidence, CaptureEvidence, countInvocations, parseTrafficCheck } from './traffic';
import {
  Baseline,
  DEFAULT_MIN_SAMPLES,
  DriftInputError,
  DriftReason,
  DriftWindow,
  EvaluatedFeature,
  evaluateDrift,
  FeatureResult,
  UnseenCategory,
  validateThresholds,
} from './statistics';

export { DriftInputError } from './statistics';

export const DRIFT_SOURCE = 'plinth.drift';
export const DRIFT_DETAIL_TYPE = 'Model Drift Detected';
export const METRIC_NAMESPACE = 'Plinth/Drift';
/** In-SDK attempts (standard retry mode, backoff with jitter). */
export const SDK_MAX_ATTEMPTS = 3;
/** The function's SDK clients, created once per execution environment. */
export const clients = {
  s3: new S3Client({ maxAttempts: SDK_MAX_ATTEMPTS }),
  eventBridge: new EventBridgeClient({ maxAttempts: SDK_MAX_ATTEMPTS }),
  athena: new AthenaClient({ maxAttempts: SDK_MAX_ATTEMPTS }),
  cloudWatch: new CloudWatchClient({ maxAttempts: SDK_MAX_ATTEMPTS }),
};
const logger = createLogger('plinth-drift-stats');
const emf = createMetrics(METRIC_NAMESPACE);
export const MAX_BASELINE_BYTES = 10 * 1024 * 1024;
/** Unseen categories listed per feature in the event. */
export const MAX_UNSEEN_IN_EVENT = 10;
/** Keep the event detail well below EventBridge's 256 KB entry limit. */
export const MAX_DETAIL_CHARS = 200_000;

export interface S3Ref {
  bucket: string;
  key: string;
  /** The version drift-query read (versioned bucket): read exactly that one. */
  versionId?: string;
  /** Else the ETag drift-query read: another object is refused (DriftInputError). */
  etag?: string;
}

export interface DriftStatsEvent {
  endpointName: string;
  windowStart: string;
  windowEnd: string;
  baseline: unknown;
  window: unknown;
  thresholds: unknown;
  minSamples?: number;
  /** The endpoint's production variants and capture sampling: checks a window with too little data against its traffic (traffic.ts). */
  traffic?: unknown;
  /** drift-query's coverage: hours skipped before this window, and where to record its end once evaluated. */
  coverage?: unknown;
}

/** What drift-stats uses of drift-query's `coverage`. */
export interface CoverageInput {
  hoursAdded: number;
  hoursSkipped: number;
  record: { bucket: string; key: string };
}

export interface DriftEventFeature {
  name: string;
  type: 'numeric' | 'categorical';
  reasons: DriftReason[];
  n: number;
  /** null when the feature drifts on its missing rate alone (too few values to compare distributions). */
  psi: number | null;
  ks?: number;
  missingRateDelta: number;
  unseenShare: number | null;
  unseenCategories: number;
  /** Largest unseen categories (may be dropped for size: see unseenDropped). */
  unseen: UnseenCategory[];
}

/** detail of the `Model Drift Detected` event (source plinth.drift). */
export interface DriftEventDetail {
  endpointName: string;
  window: { start: string; end: string };
  baselineVersion: number;
  baselineCreatedAt: string;
  /** Drifting features, largest PSI first. */
  features: DriftEventFeature[];
  /** Set when unseen lists were dropped to fit the size limit. */
  unseenDropped?: boolean;
  /** Drifting features left out to fit the size limit. */
  featuresOmitted?: number;
  environment?: string;
}

export interface DriftStatsResult {
  endpointName: string;
  windowStart: string;
  windowEnd: string;
  baselineVersion: number;
  baselineCreatedAt: string;
  status: 'ok' | 'drift' | 'insufficient-data';
  features: Record<string, FeatureResult>;
  drifting: string[];
  insufficient: string[];
  unknownFeatures: string[];
  /** Configured features the baseline has no distribution for (baseline.unbaselined): not compared. */
  unbaselined: string[];
  eventPublished: boolean;
  /** With `traffic`, when every feature was insufficient: the endpoint's requests against the capture the job saw. */
  capture?: CaptureEvidence;
}

function nonEmptyString(v: unknown, what: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw new DriftInputError(`${what} must be a non-empty string`);
  return v;
}

function optionalString(v: unknown, what: string): string | undefined {
  return v === undefined ? undefined : nonEmptyString(v, what);
}

function isS3Ref(v: unknown): v is { s3: S3Ref } {
  return typeof v === 'object' && v !== null && 's3' in v;
}

async function loadBaseline(ref: unknown): Promise<Baseline> {
  if (!isS3Ref(ref)) return parseBaseline(ref);
  const s3 = (ref.s3 ?? {}) as Partial<S3Ref>;
  const bucket = nonEmptyString(s3.bucket, 'baseline.s3.bucket');
  const key = nonEmptyString(s3.key, 'baseline.s3.key');
  // The version drift-query rendered the SQL from (an approval may have replaced the key since).
  const versionId = optionalString(s3.versionId, 'baseline.s3.versionId');
  const etag = optionalString(s3.etag, 'baseline.s3.etag');
  let res;
  try {
    res = await clients.s3.send(
      new GetObjectCommand({ Bucket: bucket, Key: key, ...(versionId !== undefined ? { VersionId: versionId } : {}), ...(etag !== undefined ? { IfMatch: etag } : {}) }),
    );
  } catch (err) {
    if (etag !== undefined && (err as { name?: unknown }).name === 'PreconditionFailed') {
      throw new DriftInputError(`baseline s3://${bucket}/${key} was replaced after the query was rendered (ETag ${etag}); the next run uses the new one`);
    }
    throw err;
  }
  if ((res.ContentLength ?? 0) > MAX_BASELINE_BYTES) {
    throw new DriftInputError(`baseline s3://${bucket}/${key} is ${res.ContentLength} bytes (max ${MAX_BASELINE_BYTES})`);
  }
  const text = (await res.Body?.transformToString('utf-8')) ?? '';
  return parseBaselineText(text, `s3://${bucket}/${key}`);
}

function hoursCount(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new DriftInputError(`${what} must be a whole number of hours >= 0 (got ${JSON.stringify(v)})`);
  return v;
}

export function parseCoverage(v: unknown): CoverageInput | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null) throw new DriftInputError('coverage must be an object { hoursAdded, hoursSkipped, record: { bucket, key } }');
  const c = v as { hoursAdded?: unknown; hoursSkipped?: unknown; record?: { bucket?: unknown; key?: unknown } };
  return {
    hoursAdded: hoursCount(c.hoursAdded, 'coverage.hoursAdded'),
    hoursSkipped: hoursCount(c.hoursSkipped, 'coverage.hoursSkipped'),
    record: { bucket: nonEmptyString(c.record?.bucket, 'coverage.record.bucket'), key: nonEmptyString(c.record?.key, 'coverage.record.key') },
  };
}

/** `{ athena: { queryExecutionId } }`: the id of the finished drift query, else undefined. */
function athenaQueryId(window: unknown): string | undefined {
  if (typeof window !== 'object' || window === null || !('athena' in window)) return undefined;
  const athena = (window as { athena: unknown }).athena;
  const id = typeof athena === 'object' && athena !== null ? (athena as { queryExecutionId?: unknown }).queryExecutionId : undefined;
  if (typeof id !== 'string' || !/^[A-Za-z0-9-]{1,128}$/.test(id)) {
    throw new DriftInputError('window.athena.queryExecutionId must be an Athena query execution id');
  }
  return id;
}

function emitFeatureMetrics(endpointName: string, feature: string, r: FeatureResult, props: Record<string, unknown>): void {
  const metrics: Record<string, number> = {};
  if (r.status === 'insufficient-data') {
    metrics.InsufficientData = 1;
    if (r.missingRateDelta !== null) metrics.MissingRateDelta = r.missingRateDelta;
  } else {
    if (r.psi !== null) metrics.PSI = r.psi;
    if (r.ks !== undefined && Number.isFinite(r.ks)) metrics.KS = r.ks;
    metrics.MissingRateDelta = r.missingRateDelta;
    if (r.unseenShare !== null) metrics.UnseenShare = r.unseenShare;
    metrics.InsufficientData = 0;
  }
  const units: Record<string, PlinthMetricUnit> = {};
  for (const name of Object.keys(metrics)) units[name] = name === 'InsufficientData' ? 'Count' : 'None';
  publishMetrics(emf, {
    dimensions: { Endpoint: endpointName, Feature: feature },
    values: metrics,
    units,
    properties: { ...props, status: r.status },
  });
}

/**
 * The per-endpoint summary the drift alarm watches (FeaturesDrifting >= 1), and with a traffic
 * check DriftBlind (1 when every feature lacked data while the endpoint served enough requests).
 */
function emitEvaluationMetrics(
  endpointName: string,
  counts: { drifting: number; insufficient: number; unbaselined: number },
  blind: boolean | undefined,
  hoursSkipped: number | undefined,
  props: Record<string, unknown>,
): void {
  publishMetrics(emf, {
    dimensions: { Endpoint: endpointName },
    values: {
      FeaturesDrifting: counts.drifting,
      FeaturesInsufficient: counts.insufficient,
      FeaturesUnbaselined: counts.unbaselined,
      DriftEvaluations: 1,
      ...(blind === undefined ? {} : { DriftBlind: blind ? 1 : 0 }),
      ...(hoursSkipped === undefined ? {} : { CaptureHoursSkipped: hoursSkipped }),
    },
    properties: props,
  });
}

/** The event detail for the drifting features, trimmed to fit MAX_DETAIL_CHARS. */
export function buildDriftDetail(
  base: Omit<DriftEventDetail, 'features' | 'unseenDropped' | 'featuresOmitted'>,
  drifting: Array<[string, EvaluatedFeature]>,
): DriftEventDetail {
  const features: DriftEventFeature[] = drifting
    .map(([name, r]) => {
      const f: DriftEventFeature = {
        name,
        type: r.type,
        reasons: r.reasons,
        n: r.n,
        psi: r.psi,
        missingRateDelta: r.missingRateDelta,
        unseenShare: r.unseenShare,
        unseenCategories: r.unseenCategories,
        unseen: r.unseen.slice(0, MAX_UNSEEN_IN_EVENT),
      };
      if (r.ks !== undefined) f.ks = r.ks;
      return f;
    })
    // A feature that went (almost) all-missing has no PSI; it is the most broken, so it sorts first.
    .sort((a, b) => (b.psi ?? Infinity) - (a.psi ?? Infinity) || (a.name < b.name ? -1 : 1));
  let detail: DriftEventDetail = { ...base, features };
  if (JSON.stringify(detail).length > MAX_DETAIL_CHARS) {
    detail = { ...base, features: features.map((f) => ({ ...f, unseen: [] })), unseenDropped: true };
  }
  while (JSON.stringify(detail).length > MAX_DETAIL_CHARS && detail.features.length > 1) {
    const kept = detail.features.slice(0, Math.max(1, Math.floor(detail.features.length / 2)));
    detail = { ...detail, features: kept, featuresOmitted: features.length - kept.length };
  }
  return detail;
}

export async function handler(event: DriftStatsEvent): Promise<DriftStatsResult> {
  if (typeof event !== 'object' || event === null) throw new DriftInputError('event must be an object');
  const endpointName = nonEmptyString(event.endpointName, 'endpointName');
  const windowStart = nonEmptyString(event.windowStart, 'windowStart');
  const windowEnd = nonEmptyString(event.windowEnd, 'windowEnd');
  const thresholds = validateThresholds(event.thresholds);
  const minSamples = event.minSamples ?? DEFAULT_MIN_SAMPLES;
  if (typeof minSamples !== 'number' || !Number.isFinite(minSamples) || minSamples < 0) {
    throw new DriftInputError('minSamples must be a finite number >= 0');
  }
  const traffic = parseTrafficCheck(event.traffic);
  const coverage = parseCoverage(event.coverage);
  if (coverage !== undefined && !(Number.isFinite(Date.parse(windowEnd)) && Date.parse(windowEnd) % 3_600_000 === 0)) {
    throw new DriftInputError(`with coverage, windowEnd must be a whole UTC hour (got ${JSON.stringify(windowEnd)})`);
  }
  if (traffic !== undefined && !(Date.parse(windowEnd) > Date.parse(windowStart))) {
    throw new DriftInputError('with traffic, windowStart and windowEnd must be ISO-8601 times, windowStart first');
  }
  const queryExecutionId = athenaQueryId(event.window);
  const parsedWindow = queryExecutionId === undefined ? parseWindow(event.window) : undefined;
  const environment = process.env.PLINTH_ENV;
  const busName = process.env.EVENT_BUS_NAME || 'default';

  let baseline: Baseline;
  try {
    baseline = await loadBaseline(event.baseline);
  } catch (err) {
    logger.error('could not load the drift baseline', { endpointName, ...describeError(err) });
    throw err;
  }
  let window: DriftWindow;
  let unknownFromQuery: string[] = [];
  if (queryExecutionId !== undefined) {
    const athenaWindow = windowFromBinCounts(baseline, await readBinCountRows(clients.athena, queryExecutionId));
    window = { features: athenaWindow.features };
    unknownFromQuery = athenaWindow.unknownFeatures;
  } else {
    window = parsedWindow!;
  }
  const evaluation = evaluateDrift(baseline, window, thresholds, { minSamples });
  const unbaselined = Object.keys(baseline.unbaselined ?? {}).sort();
  // A window column of an unbaselined feature is known (the baseline names it), just not compared.
  const unknownFeatures = [...new Set([...evaluation.unknownFeatures, ...unknownFromQuery])].filter((f) => !unbaselined.includes(f)).sort();

  const names = Object.keys(evaluation.features);
  const status: DriftStatsResult['status'] =
    evaluation.drifting.length > 0 ? 'drift' : names.length > 0 && evaluation.insufficient.length === names.length ? 'insufficient-data' : 'ok';
  // Too little data everywhere reads FeaturesDrifting = 0, like a quiet window: ask the endpoint
  // whether it really was quiet (a CloudWatch error fails the run, so the job retries and DriftJobFailed sees it).
  let capture: CaptureEvidence | undefined;
  if (traffic !== undefined && status === 'insufficient-data') {
    const invocations = await countInvocations(clients.cloudWatch, endpointName, traffic.variants, new Date(windowStart), new Date(windowEnd));
    capture = captureEvidence(invocations, traffic, minSamples);
  }

  const props = { windowStart, windowEnd, ...(environment ? { environment } : {}), ...(queryExecutionId ? { queryExecutionId } : {}) };
  for (const [name, r] of Object.entries(evaluation.features)) emitFeatureMetrics(endpointName, name, r, props);
  emitEvaluationMetrics(
    endpointName,
    { drifting: evaluation.drifting.length, insufficient: evaluation.insufficient.length, unbaselined: unbaselined.length },
    traffic === undefined ? undefined : capture?.blind === true,
    coverage?.hoursSkipped,
    props,
  );

  let eventPublished = false;
  if (evaluation.drifting.length > 0) {
    const detail = buildDriftDetail(
      {
        endpointName,
        window: { start: windowStart, end: windowEnd },
        baselineVersion: baseline.version,
        baselineCreatedAt: baseline.createdAt,
        ...(environment ? { environment } : {}),
      },
      evaluation.drifting.map((n) => [n, evaluation.features[n] as EvaluatedFeature]),
    );
    const res = await clients.eventBridge.send(
      new PutEventsCommand({
        Entries: [{ EventBusName: busName, Source: DRIFT_SOURCE, DetailType: DRIFT_DETAIL_TYPE, Detail: JSON.stringify(detail), Resources: [] }],
      }),
    );
    if ((res.FailedEntryCount ?? 0) > 0) {
      const e = res.Entries?.find((x) => x.ErrorCode);
      throw new Error(`PutEvents rejected the drift event: ${e?.ErrorCode ?? '?'} ${e?.ErrorMessage ?? ''}`);
    }
    eventPublished = true;
  }

  logger[status === 'drift' || capture?.blind === true ? 'warn' : 'info']('drift evaluation finished', {
    endpointName,
    windowStart,
    windowEnd,
    status,
    drifting: evaluation.drifting,
    insufficient: evaluation.insufficient,
    unknownFeatures,
    unbaselined,
    eventPublished,
    busName,
    ...(capture ? { capture } : {}),
    ...(coverage ? { hoursAdded: coverage.hoursAdded, hoursSkipped: coverage.hoursSkipped } : {}),
  });
  // Last: only a window evaluated (metrics and event out) moves the coverage on.
  if (coverage !== undefined) {
    const record = { endpointName, coveredUntil: new Date(Date.parse(windowEnd)).toISOString().replace(/\.\d{3}Z$/, 'Z'), writtenAt: new Date().toISOString() };
    await clients.s3.send(
      new PutObjectCommand({ Bucket: coverage.record.bucket, Key: coverage.record.key, Body: JSON.stringify(record), ContentType: 'application/json' }),
    );
  }
  return {
    endpointName,
    windowStart,
    windowEnd,
    baselineVersion: baseline.version,
    baselineCreatedAt: baseline.createdAt,
    status,
    features: evaluation.features,
    drifting: evaluation.drifting,
    insufficient: evaluation.insufficient,
    unknownFeatures,
    unbaselined,
    eventPublished,
    ...(capture ? { capture } : {}),
  };
}
