/**
 * Baselines: built from the training dataset by buildBaseline() — the same
 * binNumeric/binCategorical code path that counts raw window samples — and
 * validated when read back (parseBaseline / parseWindow; no schema library,
 * nothing compiled at module load).
 *
 * Baseline JSON, version 1:
 *   { "version": 1, "createdAt": "<ISO-8601>",
 *     "features": {
 *       "<name>": { "type": "numeric", "edges": [null, e1, ..., e(k-1), null],
 *                   "counts": [c0, ..., c(k-1)], "missing": m, "total": t },
 *       "<name>": { "type": "categorical", "counts": { "<category>": c, ... },
 *                   "missing": m, "total": t } },
 *     "unbaselined": { "<name>": { "type": "numeric" | "categorical",
 *                                  "reason": "absent-from-training-sample" } },   // optional
 *     "source": { "modelPackageArn": "...", "trainingSample": "s3://...",
 *                 "sampledRecords": s, "totalRecords": r,
 *                 "malformedRecords"?: m } }   // optional
 * `source` (written by lambdas/drift-baseline) is informational: validated
 * and returned by parseBaseline, never used by the statistics.
 * `unbaselined` names configured features the training sample did not have
 * at all: they have no distribution, the drift query leaves them out, and
 * drift-stats lists them in every result (never "ok" for them).
 * `total` = Σcounts + missing. Numeric edges (see numericEdges and
 * docs/drift.md "Conventions"):
 *  - value binning, when the baseline has at most `valueBinLimit` distinct
 *    finite values (booleans, counts, ratings, constants): every value v gets
 *    the bin [v, nextUp(v)) that holds v alone; the gaps below the smallest,
 *    between two values and above the largest are "other" bins, empty in the
 *    baseline, so a window value the baseline never had always counts;
 *  - quantile binning otherwise: the baseline's minimum, the quantiles
 *    (edge i = the ⌊i·n/k⌋-th smallest finite value, 0-based) and, after a
 *    quantile that repeats (an atom holding ≥ 1/k of the mass), the next
 *    larger value, de-duplicated, plus nextUp(maximum): every interior bin
 *    holds at least its left edge, so none is empty by construction;
 *  - in both, the outer bins (-∞, min) and [nextUp(max), +∞) are open-ended
 *    and empty in the baseline: mass outside the baseline's range always
 *    counts, and a constant baseline detects any change of value.
 * `binning` ('values' | 'quantiles') is informational; baselines written
 * before it existed lack it and keep their (older) edges until rebuilt.
 */

import { isJsonObject } from '../shared/json';
import {
  Baseline,
  BaselineSource,
  binCategorical,
  UnbaselinedFeature,
  binNumeric,
  CategoricalCounts,
  DriftInputError,
  DriftWindow,
  FeatureCounts,
  interiorEdges,
  NumericCounts,
  RawValue,
  setOwn,
  sortedSample,
  WindowFeatureCounts,
} from './statistics';

export const BASELINE_VERSION = 1;
export const DEFAULT_BINS = 10;
export const MAX_BINS = 1000;
export const DEFAULT_MAX_CATEGORIES = 10_000;
/** A numeric feature with at most this many distinct baseline values is binned by value. */
export const DEFAULT_VALUE_BIN_LIMIT = 20;
/** Upper bound of valueBinLimit (value binning makes up to 2·limit + 1 bins). */
export const MAX_VALUE_BIN_LIMIT = 500;

export type FeatureSpec =
  | {
      type: 'numeric';
      /** Quantile bins (default DEFAULT_BINS). */
      bins?: number;
      /** Bin by value when the baseline has at most this many distinct values; 0 = never (default DEFAULT_VALUE_BIN_LIMIT). */
      valueBinLimit?: number;
    }
  | { type: 'categorical'; maxCategories?: number };

export interface BaselineSpec {
  features: Record<string, FeatureSpec>;
  /** Stamped into the baseline; default: now. */
  createdAt?: string | Date;
}

const bits = new Float64Array(1);
const word = new BigInt64Array(bits.buffer);

/** The smallest double greater than x (x finite); Infinity above Number.MAX_VALUE. */
export function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  bits[0] = x;
  word[0] += x > 0 ? 1n : -1n;
  return bits[0];
}

/** -0 would not survive JSON. */
const plain = (x: number): number => (x === 0 ? 0 : x);

/** Finite values of an ascending sample (NaN-free, as sortedSample gives it). */
function finiteOf(sorted: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const x = sorted[i]!;
    if (Number.isFinite(x)) out.push(plain(x));
  }
  return out;
}

/** Index of the first element > x in an ascending array. */
function upperBound(a: readonly number[], x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Strictly ascending finite edges between null ends. */
function withOpenEnds(interior: number[]): (number | null)[] {
  const sorted = interior.filter((e) => Number.isFinite(e)).sort((a, b) => a - b);
  const edges: (number | null)[] = [null];
  let last = -Infinity;
  for (const e of sorted) {
    if (e > last) {
      edges.push(plain(e));
      last = e;
    }
  }
  edges.push(null);
  return edges;
}

/**
 * Value edges of an ascending sample: [v, nextUp(v)) for every distinct
 * finite value, the gaps between them being the "other" bins.
 */
export function valueEdges(sorted: ArrayLike<number>): (number | null)[] {
  const interior: number[] = [];
  for (const v of new Set(finiteOf(sorted))) interior.push(v, nextUp(v));
  return withOpenEnds(interior);
}

/**
 * Quantile edges of an ascending sample without NaN (non-finite values are
 * ignored): the minimum, the ⌊i·n/k⌋-th value for i = 1..k−1 (0-based), the
 * next larger value after a repeated quantile, and nextUp(maximum),
 * de-duplicated, with null (= ∓Infinity) at both ends.
 */
export function quantileEdges(sorted: ArrayLike<number>, bins: number = DEFAULT_BINS): (number | null)[] {
  const values = finiteOf(sorted);
  const n = values.length;
  if (n === 0) return [null, null];
  const interior: number[] = [values[0]!, nextUp(values[n - 1]!)];
  let previous: number | undefined;
  for (let i = 1; i < bins; i++) {
    const q = values[Math.floor((i * n) / bins)]!;
    interior.push(q);
    if (q === previous || q === values[0]) {
      // an atom: give it a bin of its own by starting the next bin at the next larger value
      const next = upperBound(values, q);
      if (next < n) interior.push(values[next]!);
    }
    previous = q;
  }
  return withOpenEnds(interior);
}

/** Number of distinct finite values of an ascending sample, counting at most limit + 1. */
function distinctUpTo(sorted: ArrayLike<number>, limit: number): number {
  let distinct = 0;
  let last = NaN;
  for (let i = 0; i < sorted.length && distinct <= limit; i++) {
    const x = sorted[i]!;
    if (Number.isFinite(x) && x !== last) {
      distinct++;
      last = x;
    }
  }
  return distinct;
}

/** Edges of a numeric feature: by value up to valueBinLimit distinct values, else by quantile. */
export function numericEdges(
  sorted: ArrayLike<number>,
  bins: number = DEFAULT_BINS,
  valueBinLimit: number = DEFAULT_VALUE_BIN_LIMIT,
): { binning: 'values' | 'quantiles'; edges: (number | null)[] } {
  const distinct = distinctUpTo(sorted, valueBinLimit);
  if (distinct > 0 && distinct <= valueBinLimit) return { binning: 'values', edges: valueEdges(sorted) };
  return { binning: 'quantiles', edges: quantileEdges(sorted, bins) };
}

/**
 * Build a version-1 baseline from a training sample (one column per feature,
 * plain arrays or typed arrays with NaN for missing).
 */
export function buildBaseline(sample: Record<string, ArrayLike<RawValue>>, spec: BaselineSpec): Baseline {
  const features: Record<string, FeatureCounts> = {};
  for (const name of Object.keys(spec.features).sort()) {
    const fs = spec.features[name]!;
    if (!Object.prototype.hasOwnProperty.call(sample, name)) throw new DriftInputError(`training sample has no column "${name}"`);
    const values = sample[name]!;
    if (fs.type === 'numeric') {
      const bins = fs.bins ?? DEFAULT_BINS;
      if (!Number.isInteger(bins) || bins < 1 || bins > MAX_BINS) throw new DriftInputError(`${name}: bins must be an integer in 1..${MAX_BINS}`);
      const limit = fs.valueBinLimit ?? DEFAULT_VALUE_BIN_LIMIT;
      if (!Number.isInteger(limit) || limit < 0 || limit > MAX_VALUE_BIN_LIMIT) {
        throw new DriftInputError(`${name}: valueBinLimit must be an integer in 0..${MAX_VALUE_BIN_LIMIT}`);
      }
      const { binning, edges } = numericEdges(sortedSample(values), bins, limit);
      const b = binNumeric(values, edges);
      setOwn<FeatureCounts>(features, name, { type: 'numeric', binning, edges, counts: b.counts, missing: b.missing, total: b.total });
    } else if (fs.type === 'categorical') {
      const max = fs.maxCategories ?? DEFAULT_MAX_CATEGORIES;
      const b = binCategorical(values);
      const distinct = Object.keys(b.counts).length;
      if (distinct > max) {
        throw new DriftInputError(`${name}: ${distinct} distinct categories > maxCategories ${max} (bin it as numeric or drop it)`);
      }
      setOwn<FeatureCounts>(features, name, { type: 'categorical', counts: { ...b.counts }, missing: b.missing, total: b.total });
    } else {
      throw new DriftInputError(`${name}: unknown feature type ${(fs as { type: unknown }).type as string}`);
    }
  }
  const createdAt = spec.createdAt === undefined ? new Date() : spec.createdAt;
  return { version: 1, createdAt: typeof createdAt === 'string' ? createdAt : createdAt.toISOString(), features };
}

// ---------------------------------------------------------------------------
// Validation of JSON read back from S3 / the event

function count(v: unknown, where: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new DriftInputError(`${where} must be a finite number >= 0`);
  return v;
}

function checkTotal(where: string, nonMissing: number, missing: number, total: number): void {
  if (Math.abs(nonMissing + missing - total) > 1e-9 * Math.max(1, total)) {
    throw new DriftInputError(`${where}: total ${total} != sum(counts) ${nonMissing} + missing ${missing}`);
  }
}

/**
 * Validate one feature's counts. `edgesOptional` (window side): numeric
 * `edges` may be omitted, meaning "the baseline's edges".
 */
export function parseFeatureCounts(json: unknown, where: string, edgesOptional: true): WindowFeatureCounts;
export function parseFeatureCounts(json: unknown, where: string, edgesOptional?: false): FeatureCounts;
export function parseFeatureCounts(json: unknown, where: string, edgesOptional = false): WindowFeatureCounts {
  if (!isJsonObject(json)) throw new DriftInputError(`${where} must be an object`);
  const missing = count(json.missing, `${where}.missing`);
  const total = count(json.total, `${where}.total`);
  if (json.type === 'numeric') {
    if (!Array.isArray(json.counts)) throw new DriftInputError(`${where}.counts must be an array`);
    const counts = json.counts.map((c, i) => count(c, `${where}.counts[${i}]`));
    let nonMissing = 0;
    for (const c of counts) nonMissing += c;
    checkTotal(where, nonMissing, missing, total);
    if (json.edges === undefined && edgesOptional) return { type: 'numeric', counts, missing, total };
    if (!Array.isArray(json.edges)) throw new DriftInputError(`${where}.edges must be an array`);
    const edges = json.edges as (number | null)[];
    try {
      interiorEdges(edges);
    } catch (err) {
      throw new DriftInputError(`${where}.${(err as Error).message}`);
    }
    if (counts.length !== edges.length - 1) throw new DriftInputError(`${where}: ${edges.length} edges need ${edges.length - 1} counts, got ${counts.length}`);
    const out: NumericCounts = { type: 'numeric', edges: edges.map((e) => (typeof e === 'number' && Number.isFinite(e) ? (e === 0 ? 0 : e) : null)), counts, missing, total };
    if (json.binning !== undefined) {
      if (json.binning !== 'values' && json.binning !== 'quantiles') throw new DriftInputError(`${where}.binning must be "values" or "quantiles"`);
      out.binning = json.binning;
    }
    return out;
  }
  if (json.type === 'categorical') {
    if (!isJsonObject(json.counts)) throw new DriftInputError(`${where}.counts must be an object of category -> count`);
    const counts: Record<string, number> = {};
    let nonMissing = 0;
    for (const [k, v] of Object.entries(json.counts)) {
      const c = count(v, `${where}.counts[${JSON.stringify(k)}]`);
      setOwn(counts, k, c);
      nonMissing += c;
    }
    checkTotal(where, nonMissing, missing, total);
    const out: CategoricalCounts = { type: 'categorical', counts, missing, total };
    return out;
  }
  throw new DriftInputError(`${where}.type must be "numeric" or "categorical"`);
}

/** Parses a baseline document's text (as read from S3); `where` names it in the error. */
export function parseBaselineText(text: string, where: string): Baseline {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DriftInputError(`baseline ${where} is not JSON: ${(err as Error).message}`);
  }
  return parseBaseline(json);
}

/** Validate a baseline document (version 1). */
export function parseBaseline(json: unknown): Baseline {
  if (!isJsonObject(json)) throw new DriftInputError('baseline must be a JSON object');
  if (json.version !== BASELINE_VERSION) throw new DriftInputError(`unsupported baseline version ${String(json.version)} (expected ${BASELINE_VERSION})`);
  if (typeof json.createdAt !== 'string') throw new DriftInputError('baseline.createdAt must be a string');
  if (!isJsonObject(json.features)) throw new DriftInputError('baseline.features must be an object');
  // With nothing to compare, every window would read 'ok'.
  if (Object.keys(json.features).length === 0) throw new DriftInputError('the baseline has no features: rebuild it from a training sample with the drift features');
  const features: Record<string, FeatureCounts> = {};
  for (const [name, f] of Object.entries(json.features)) {
    setOwn(features, name, parseFeatureCounts(f, `baseline.features.${name}`));
  }
  const baseline: Baseline = { version: 1, createdAt: json.createdAt, features };
  if (json.unbaselined !== undefined) baseline.unbaselined = parseUnbaselined(json.unbaselined, features);
  if (json.source !== undefined) baseline.source = parseSource(json.source);
  return baseline;
}

function parseUnbaselined(json: unknown, features: Record<string, FeatureCounts>): Record<string, UnbaselinedFeature> {
  if (!isJsonObject(json)) throw new DriftInputError('baseline.unbaselined must be an object of feature name -> { type, reason }');
  const out: Record<string, UnbaselinedFeature> = {};
  for (const [name, entry] of Object.entries(json)) {
    const where = `baseline.unbaselined.${name}`;
    if (Object.prototype.hasOwnProperty.call(features, name)) throw new DriftInputError(`${where}: the feature has a baseline too`);
    if (!isJsonObject(entry) || (entry.type !== 'numeric' && entry.type !== 'categorical') || entry.reason !== 'absent-from-training-sample') {
      throw new DriftInputError(`${where} must be { type: "numeric" | "categorical", reason: "absent-from-training-sample" }`);
    }
    setOwn(out, name, { type: entry.type, reason: entry.reason });
  }
  return out;
}

function parseSource(json: unknown): BaselineSource {
  if (!isJsonObject(json)) throw new DriftInputError('baseline.source must be an object');
  const { modelPackageArn, trainingSample, sampledRecords, totalRecords, malformedRecords } = json;
  if (typeof modelPackageArn !== 'string' || typeof trainingSample !== 'string') {
    throw new DriftInputError('baseline.source.modelPackageArn and trainingSample must be strings');
  }
  if (!Number.isSafeInteger(sampledRecords) || !Number.isSafeInteger(totalRecords) || (sampledRecords as number) < 0 || (totalRecords as number) < 0) {
    throw new DriftInputError('baseline.source.sampledRecords and totalRecords must be integers >= 0');
  }
  if (malformedRecords !== undefined && (!Number.isSafeInteger(malformedRecords) || (malformedRecords as number) < 0)) {
    throw new DriftInputError('baseline.source.malformedRecords must be an integer >= 0');
  }
  return {
    modelPackageArn,
    trainingSample,
    sampledRecords: sampledRecords as number,
    totalRecords: totalRecords as number,
    ...(malformedRecords !== undefined ? { malformedRecords: malformedRecords as number } : {}),
  };
}

/** Validate a window: `{ features: {name: counts} }` or `{ sample: {name: values[]} }`. */
export function parseWindow(json: unknown): DriftWindow {
  if (!isJsonObject(json)) throw new DriftInputError('window must be an object');
  if (json.features !== undefined && json.sample !== undefined) throw new DriftInputError('window has both features and sample');
  if (isJsonObject(json.features)) {
    const features: Record<string, WindowFeatureCounts> = {};
    for (const [name, f] of Object.entries(json.features)) {
      setOwn(features, name, parseFeatureCounts(f, `window.features.${name}`, true));
    }
    return { features };
  }
  if (isJsonObject(json.sample)) {
    const sample: Record<string, RawValue[]> = {};
    for (const [name, values] of Object.entries(json.sample)) {
      if (!Array.isArray(values)) throw new DriftInputError(`window.sample.${name} must be an array`);
      setOwn(sample, name, values as RawValue[]);
    }
    return { sample };
  }
  throw new DriftInputError('window must have features (counts) or sample (raw values)');
}
