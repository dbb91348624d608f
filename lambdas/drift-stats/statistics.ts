/**
 * Drift statistics, pure functions (no I/O, no AWS SDK, no dependencies).
 *
 * Both sides of every comparison are reduced to the same shape first:
 * per-feature counts over the BASELINE's bins (numeric) or categories
 * (categorical), plus `missing` and `total` (= non-missing + missing). The
 * counts come either from Athena (the heavy path, SQL elsewhere) or from a
 * bounded raw sample binned here by binNumeric / binCategorical, the same
 * functions buildBaseline() uses on the training data.
 *
 * Conventions (they are part of the contract with the Athena SQL):
 *  - Numeric bins are LEFT-CLOSED: bin i holds edges[i] <= x < edges[i+1];
 *    edges[0] is -Infinity and edges[k] is +Infinity (both stored as null in
 *    JSON), so every number lands in exactly one bin. Interior edges are
 *    finite and strictly ascending.
 *  - Missing: null, undefined and NaN. For numeric features a string is parsed
 *    with Number() (blank -> missing); booleans/objects are missing. For
 *    categorical features numbers/booleans are stringified (String(v)), other
 *    non-strings are missing.
 *  - Proportions are over NON-MISSING values; missingness is measured
 *    separately by the missing-rate delta.
 *  - PSI = Σ (p_i − q_i)·ln(p_i / q_i), p = current, q = baseline. A
 *    proportion that is exactly 0 (either side) is replaced by
 *    PSI_EPSILON = 1e-4 (no renormalisation), so empty bins give a finite
 *    PSI. Identical distributions give exactly 0.
 *  - Categorical PSI runs over the union of categories: a category unseen in
 *    the baseline gets baseline proportion epsilon, a baseline category absent
 *    from the window gets current proportion epsilon.
 *  - KS D = max_x |F_base(x) − F_cur(x)|. ksExact() is exact on raw sorted
 *    samples; ksFromBins() is the maximum over the interior bin edges, which is
 *    a LOWER BOUND of the exact D of the underlying samples (the ECDFs are only
 *    compared at the edges; between edges they may differ more).
 *  - Missing-rate delta = cur.missing/cur.total − base.missing/base.total.
 *  - Unseen share = (non-missing window values whose category is absent from
 *    the baseline) / (non-missing window values).
 *  - A baseline feature absent from a raw `sample` window is missing in each
 *    of the sample's rows (its longest column): a producer that stopped
 *    sending it reads as a missing-rate change, as in the Athena window.
 *  - A feature whose window has fewer than `minSamples` non-missing values
 *    (or whose baseline has none) has no distribution to compare: PSI, KS and
 *    the unseen share are not computed. It is still judged on its missing
 *    rate when the window holds at least `minSamples` rows in all: a feature
 *    that turned (almost) all-missing is the commonest upstream break, and
 *    must read 'drift', never 'insufficient-data' or 'ok'. Only a window with
 *    fewer than `minSamples` rows is 'insufficient-data'.
 */

/** Substitute for a zero proportion in PSI (both sides), so empty bins stay finite. */
export const PSI_EPSILON = 1e-4;
/** Default minimum number of non-missing window values per feature. */
export const DEFAULT_MIN_SAMPLES = 100;
/** At most this many unseen categories are listed per feature (largest counts first). */
export const MAX_UNSEEN_REPORTED = 20;
/** Unseen category names are cut to this many characters in results. */
export const MAX_CATEGORY_CHARS = 200;

/** A raw value of a sample column (as it arrives in JSON, or a typed array element). */
export type RawValue = number | string | boolean | null | undefined;

/** k+1 ascending edges; the ends are null (JSON) or ±Infinity. */
export type Edges = ReadonlyArray<number | null>;

export interface NumericCounts {
  type: 'numeric';
  /** How the baseline chose its edges (informational; see baseline.ts). */
  binning?: 'values' | 'quantiles';
  /** k+1 ascending edges, edges[0] and edges[k] are null (= -Infinity / +Infinity). */
  edges: (number | null)[];
  /** k counts: counts[i] = #{ edges[i] <= x < edges[i+1] }. */
  counts: number[];
  missing: number;
  /** Non-missing + missing. */
  total: number;
}

export interface CategoricalCounts {
  type: 'categorical';
  counts: Record<string, number>;
  missing: number;
  total: number;
}

export type FeatureCounts = NumericCounts | CategoricalCounts;

/** Window-side numeric counts: `edges` may be omitted (then they are the baseline's by contract). */
export type WindowNumericCounts = Omit<NumericCounts, 'edges'> & { edges?: (number | null)[] };
export type WindowFeatureCounts = WindowNumericCounts | CategoricalCounts;

/** Where a baseline came from (written by lambdas/drift-baseline; optional, informational). */
export interface BaselineSource {
  modelPackageArn: string;
  /** s3://bucket/key of the training sample. */
  trainingSample: string;
  /** Records the baseline was built from (the reservoir sample). */
  sampledRecords: number;
  /** Valid records read from the training sample. */
  totalRecords: number;
  /**
   * Records of the training sample that could not be read (not JSON, not an object, wrong CSV
   * width...), skipped. Absent in baselines written before it was recorded.
   */
  malformedRecords?: number;
}

/**
 * A configured drift feature the baseline has no distribution for, and why. The drift job does
 * not watch it (no query column, no statistics) and says so in every result (`unbaselined`) and
 * in the FeaturesUnbaselined metric, so "ok" never stands for a feature nobody compared.
 */
export interface UnbaselinedFeature {
  type: 'numeric' | 'categorical';
  /** `absent-from-training-sample`: the sample has no such field at all (e.g. a field only the request carries, not the training table). */
  reason: 'absent-from-training-sample';
}

export interface Baseline {
  version: 1;
  createdAt: string;
  features: Record<string, FeatureCounts>;
  /** Configured features without a baseline (name → type and reason); absent when there are none. */
  unbaselined?: Record<string, UnbaselinedFeature>;
  source?: BaselineSource;
}

/** A window as per-feature counts (Athena) or as a bounded raw sample. */
export type DriftWindow =
  | { features: Record<string, WindowFeatureCounts> }
  | { sample: Record<string, ArrayLike<RawValue>> };

export interface Thresholds {
  /** Drift when PSI > psi (common: 0.2). */
  psi: number;
  /** Drift when KS D > ks (numeric features only). */
  ks: number;
  /** Drift when |missing-rate delta| > missingRate. */
  missingRate: number;
  /** Drift when the share of unseen categories > unseenShare. */
  unseenShare: number;
}

export type DriftReason = 'psi' | 'ks' | 'missingRate' | 'unseenShare';

export interface UnseenCategory {
  category: string;
  count: number;
}

export interface EvaluatedFeature {
  status: 'ok' | 'drift';
  type: 'numeric' | 'categorical';
  /** Non-missing values in the window. */
  n: number;
  /** null when the distribution was not compared (see `distributionNotCompared`). */
  psi: number | null;
  /** Numeric features only (binned KS: a lower bound of the exact D). */
  ks?: number;
  missingRateDelta: number;
  /** Unseen categories, largest counts first, at most MAX_UNSEEN_REPORTED. */
  unseen: UnseenCategory[];
  /** Number of distinct unseen categories (may exceed unseen.length). */
  unseenCategories: number;
  /** null when the distribution was not compared (see `distributionNotCompared`). */
  unseenShare: number | null;
  /** Why the feature drifts (empty when ok). */
  reasons: DriftReason[];
  /**
   * Set when the feature drifts on its missing rate alone because one side has too few
   * non-missing values to compare distributions: fewer than minSamples in the window, or
   * none in the baseline.
   */
  distributionNotCompared?: 'below-min-samples' | 'empty-baseline';
}

export interface InsufficientFeature {
  status: 'insufficient-data';
  type: 'numeric' | 'categorical';
  n: number;
  minSamples: number;
  reason: 'below-min-samples' | 'absent-from-window' | 'empty-baseline';
  /**
   * Within the missing-rate threshold, or the window holds fewer than minSamples rows in all
   * (a larger change with enough rows makes the feature drift instead); null when a side has
   * no rows at all.
   */
  missingRateDelta: number | null;
}

export type FeatureResult = EvaluatedFeature | InsufficientFeature;

export interface DriftEvaluation {
  baselineVersion: 1;
  features: Record<string, FeatureResult>;
  /** Features with status 'drift', sorted by name. */
  drifting: string[];
  /** Features with status 'insufficient-data', sorted by name. */
  insufficient: string[];
  /** Window features that the baseline does not know (ignored). */
  unknownFeatures: string[];
}

/** Bad input (malformed counts, mismatched edges, wrong types...). */
export class DriftInputError extends Error {
  override readonly name = 'DriftInputError';
}

// ---------------------------------------------------------------------------
// Value coercion

/** Numeric value of a raw value, NaN when missing (see conventions above). */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const t = v.trim();
    return t === '' ? NaN : Number(t);
  }
  return NaN;
}

/** Category of a raw value, undefined when missing. */
export function toCategory(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return v === v ? String(v) : undefined;
  if (typeof v === 'boolean') return String(v);
  return undefined;
}

// ---------------------------------------------------------------------------
// Binning

/**
 * The k−1 interior edges of k+1 edges as a Float64Array, validated: the ends
 * must be null or ±Infinity, the interior finite and strictly ascending.
 */
export function interiorEdges(edges: Edges): Float64Array {
  const n = edges.length;
  if (n < 2) throw new DriftInputError(`edges need at least 2 entries (got ${n})`);
  const first = edges[0];
  const last = edges[n - 1];
  if (!(first === null || first === -Infinity)) throw new DriftInputError('edges[0] must be null (-Infinity)');
  if (!(last === null || last === Infinity)) throw new DriftInputError('the last edge must be null (+Infinity)');
  const inner = new Float64Array(n - 2);
  for (let i = 1; i < n - 1; i++) {
    const e = edges[i];
    if (typeof e !== 'number' || !Number.isFinite(e)) throw new DriftInputError(`edges[${i}] must be a finite number`);
    if (i > 1 && !(e > inner[i - 2]!)) throw new DriftInputError(`edges must be strictly ascending (edges[${i}] = ${e})`);
    inner[i - 1] = e;
  }
  return inner;
}

export interface BinnedNumeric {
  counts: number[];
  missing: number;
  total: number;
}

/**
 * Count values into the bins of `edges` (left-closed, see above). Hot path:
 * Float64Array counters and a binary search over the interior edges; a
 * Float64Array/Float32Array input (NaN = missing) skips the per-value coercion.
 */
export function binNumeric(values: ArrayLike<RawValue> | Float64Array | Float32Array, edges: Edges): BinnedNumeric {
  const inner = interiorEdges(edges);
  const m = inner.length;
  const counts = new Float64Array(m + 1);
  const len = values.length;
  let missing = 0;
  if (values instanceof Float64Array || values instanceof Float32Array) {
    for (let i = 0; i < len; i++) {
      const x = values[i]!;
      if (x !== x) {
        missing++;
        continue;
      }
      // number of interior edges <= x == index of the bin holding x
      let lo = 0;
      let hi = m;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (inner[mid]! <= x) lo = mid + 1;
        else hi = mid;
      }
      counts[lo]++;
    }
  } else {
    for (let i = 0; i < len; i++) {
      const v = values[i];
      const x = typeof v === 'number' ? v : toNumber(v);
      if (x !== x) {
        missing++;
        continue;
      }
      let lo = 0;
      let hi = m;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (inner[mid]! <= x) lo = mid + 1;
        else hi = mid;
      }
      counts[lo]++;
    }
  }
  return { counts: Array.from(counts), missing, total: len };
}

export interface BinnedCategorical {
  counts: Record<string, number>;
  missing: number;
  total: number;
}

/** Count values per category (see toCategory for what is missing). */
export function binCategorical(values: ArrayLike<RawValue>): BinnedCategorical {
  const map = new Map<string, number>();
  const len = values.length;
  let missing = 0;
  for (let i = 0; i < len; i++) {
    const c = toCategory(values[i]);
    if (c === undefined) {
      missing++;
      continue;
    }
    map.set(c, (map.get(c) ?? 0) + 1);
  }
  const counts: Record<string, number> = {};
  for (const [k, v] of map) setOwn(counts, k, v);
  return { counts, missing, total: len };
}

// ---------------------------------------------------------------------------
// Statistics

export const hasOwn = (o: object, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k);

/** o[k] = v as an own data property, also for k = "__proto__" (feature and category names are data). */
export function setOwn<T>(o: Record<string, T>, k: string, v: T): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** o[k] if it is an OWN property (JSON-parsed records have Object.prototype: 'constructor' is not a category). */
function countOf(o: Record<string, number>, k: string): number {
  return hasOwn(o, k) ? o[k]! : 0;
}

function sum(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]!;
  return s;
}

function psiTerm(curCount: number, curN: number, baseCount: number, baseN: number, eps: number): number {
  const p = curN > 0 && curCount > 0 ? curCount / curN : eps;
  const q = baseN > 0 && baseCount > 0 ? baseCount / baseN : eps;
  return (p - q) * Math.log(p / q);
}

/** PSI over aligned bin counts (baseline, current). */
export function psiFromCounts(base: ArrayLike<number>, cur: ArrayLike<number>, eps = PSI_EPSILON): number {
  if (base.length !== cur.length) throw new DriftInputError(`bin count mismatch: baseline ${base.length}, window ${cur.length}`);
  const nb = sum(base);
  const nc = sum(cur);
  let s = 0;
  for (let i = 0; i < base.length; i++) s += psiTerm(cur[i]!, nc, base[i]!, nb, eps);
  return s;
}

/** PSI over the union of the categories of both sides. */
export function psiCategorical(base: Record<string, number>, cur: Record<string, number>, eps = PSI_EPSILON): number {
  const nb = sum(Object.values(base));
  const nc = sum(Object.values(cur));
  let s = 0;
  for (const k of Object.keys(base)) s += psiTerm(countOf(cur, k), nc, base[k]!, nb, eps);
  for (const k of Object.keys(cur)) {
    if (!hasOwn(base, k)) s += psiTerm(cur[k]!, nc, 0, nb, eps);
  }
  return s;
}

/**
 * Two-sample KS statistic from counts over the same bins: the maximum of
 * |F_base − F_cur| over the interior edges. A LOWER BOUND of the exact D of
 * the samples that produced the counts. NaN when a side is empty.
 */
export function ksFromBins(base: ArrayLike<number>, cur: ArrayLike<number>): number {
  if (base.length !== cur.length) throw new DriftInputError(`bin count mismatch: baseline ${base.length}, window ${cur.length}`);
  const nb = sum(base);
  const nc = sum(cur);
  if (nb <= 0 || nc <= 0) return NaN;
  let cb = 0;
  let cc = 0;
  let d = 0;
  for (let i = 0; i < base.length - 1; i++) {
    cb += base[i]!;
    cc += cur[i]!;
    const diff = Math.abs(cb / nb - cc / nc);
    if (diff > d) d = diff;
  }
  return d;
}

/**
 * Exact two-sample KS statistic D = sup_x |F_a(x) − F_b(x)| of two samples
 * sorted ascending without NaN (see sortedSample). O(n+m) merge; tied values
 * (within and across samples) are consumed together before comparing, so D is
 * the supremum of the right-continuous ECDFs. NaN when a side is empty.
 */
export function ksExact(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return NaN;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const ai = a[i]!;
    const bj = b[j]!;
    const x = ai <= bj ? ai : bj;
    while (i < n && a[i]! <= x) i++;
    while (j < m && b[j]! <= x) j++;
    const diff = Math.abs(i / n - j / m);
    if (diff > d) d = diff;
  }
  // Past this point one ECDF is 1 and the other only grows towards 1: D cannot increase.
  return d;
}

/** Non-missing numeric values of a raw column, sorted ascending (input for ksExact). */
export function sortedSample(values: ArrayLike<RawValue> | Float64Array | Float32Array): Float64Array {
  const out = new Float64Array(values.length);
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const x = toNumber(values[i]);
    if (x === x) out[k++] = x;
  }
  return out.subarray(0, k).sort();
}

/** missing/total, or null when there are no rows. */
function missingRate(c: { missing: number; total: number }): number | null {
  return c.total > 0 ? c.missing / c.total : null;
}

/** Categories of the window absent from the baseline: the largest first (then by name), and their total count. */
export function unseenCategories(
  base: Record<string, number>,
  cur: Record<string, number>,
): { list: UnseenCategory[]; distinct: number; count: number } {
  const all: UnseenCategory[] = [];
  let count = 0;
  for (const k of Object.keys(cur)) {
    const c = cur[k]!;
    if (c > 0 && !hasOwn(base, k)) {
      all.push({ category: k, count: c });
      count += c;
    }
  }
  all.sort((x, y) => y.count - x.count || (x.category < y.category ? -1 : x.category > y.category ? 1 : 0));
  const list = all.slice(0, MAX_UNSEEN_REPORTED).map((u) => ({
    category: u.category.length > MAX_CATEGORY_CHARS ? `${u.category.slice(0, MAX_CATEGORY_CHARS)}…` : u.category,
    count: u.count,
  }));
  return { list, distinct: all.length, count };
}

function sameEdges(a: Edges, b: Edges): boolean {
  if (a.length !== b.length) return false;
  for (let i = 1; i < a.length - 1; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Compare one feature's window counts with its baseline counts. */
export function evaluateFeature(
  base: FeatureCounts,
  cur: WindowFeatureCounts | undefined,
  thresholds: Thresholds,
  minSamples: number = DEFAULT_MIN_SAMPLES,
): FeatureResult {
  const min = Math.max(1, minSamples);
  if (cur === undefined) {
    return { status: 'insufficient-data', type: base.type, n: 0, minSamples: min, reason: 'absent-from-window', missingRateDelta: null };
  }
  if (cur.type !== base.type) throw new DriftInputError(`window counts are ${cur.type} but the baseline feature is ${base.type}`);
  const baseRate = missingRate(base);
  const curRate = missingRate(cur);
  const missingRateDelta = baseRate === null || curRate === null ? null : curRate - baseRate;
  const baseN = base.type === 'numeric' ? sum(base.counts) : sum(Object.values(base.counts));

  let n: number;
  let psi: number;
  let ks: number | undefined;
  let unseen: ReturnType<typeof unseenCategories> = { list: [], distinct: 0, count: 0 };
  if (base.type === 'numeric') {
    const c = cur as WindowNumericCounts;
    if (c.edges !== undefined && !sameEdges(base.edges, c.edges)) {
      throw new DriftInputError('window bins were computed over different edges than the baseline');
    }
    if (c.counts.length !== base.counts.length) {
      throw new DriftInputError(`window has ${c.counts.length} bins, the baseline ${base.counts.length}`);
    }
    n = sum(c.counts);
    if (n < min || baseN <= 0) return withoutDistribution(base.type, n, min, baseN <= 0, cur.total, missingRateDelta, thresholds);
    psi = psiFromCounts(base.counts, c.counts);
    ks = ksFromBins(base.counts, c.counts);
  } else {
    const c = cur as CategoricalCounts;
    n = sum(Object.values(c.counts));
    if (n < min || baseN <= 0) return withoutDistribution(base.type, n, min, baseN <= 0, cur.total, missingRateDelta, thresholds);
    psi = psiCategorical(base.counts, c.counts);
    unseen = unseenCategories(base.counts, c.counts);
  }
  const delta = missingRateDelta ?? 0;
  const unseenShare = unseen.count / n;
  const reasons: DriftReason[] = [];
  if (psi > thresholds.psi) reasons.push('psi');
  if (ks !== undefined && ks > thresholds.ks) reasons.push('ks');
  if (Math.abs(delta) > thresholds.missingRate) reasons.push('missingRate');
  if (unseenShare > thresholds.unseenShare) reasons.push('unseenShare');
  const result: EvaluatedFeature = {
    status: reasons.length > 0 ? 'drift' : 'ok',
    type: base.type,
    n,
    psi,
    missingRateDelta: delta,
    unseen: unseen.list,
    unseenCategories: unseen.distinct,
    unseenShare,
    reasons,
  };
  if (ks !== undefined) result.ks = ks;
  return result;
}

/**
 * A feature whose distribution cannot be compared (too few non-missing window values, or none
 * in the baseline). It drifts on its missing rate when the window has at least `minSamples`
 * rows in all; otherwise there is too little evidence of any kind.
 */
function withoutDistribution(
  type: 'numeric' | 'categorical',
  n: number,
  minSamples: number,
  emptyBaseline: boolean,
  windowRows: number,
  missingRateDelta: number | null,
  thresholds: Thresholds,
): FeatureResult {
  const reason = emptyBaseline ? 'empty-baseline' : 'below-min-samples';
  if (windowRows >= minSamples && missingRateDelta !== null && Math.abs(missingRateDelta) > thresholds.missingRate) {
    return {
      status: 'drift',
      type,
      n,
      psi: null,
      missingRateDelta,
      unseen: [],
      unseenCategories: 0,
      unseenShare: null,
      reasons: ['missingRate'],
      distributionNotCompared: reason,
    };
  }
  return { status: 'insufficient-data', type, n, minSamples, reason, missingRateDelta };
}

/** Counts of one raw sample column over a baseline feature's bins/categories (same path as buildBaseline). */
export function countSample(base: FeatureCounts, values: ArrayLike<RawValue>): FeatureCounts {
  if (base.type === 'numeric') {
    const b = binNumeric(values, base.edges);
    return { type: 'numeric', edges: base.edges, counts: b.counts, missing: b.missing, total: b.total };
  }
  const b = binCategorical(values);
  return { type: 'categorical', counts: b.counts, missing: b.missing, total: b.total };
}

export function validateThresholds(t: unknown): Thresholds {
  if (typeof t !== 'object' || t === null) throw new DriftInputError('thresholds must be an object {psi, ks, missingRate, unseenShare}');
  const o = t as Record<string, unknown>;
  for (const k of ['psi', 'ks', 'missingRate', 'unseenShare'] as const) {
    const v = o[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new DriftInputError(`thresholds.${k} must be a finite number >= 0`);
  }
  return { psi: o.psi as number, ks: o.ks as number, missingRate: o.missingRate as number, unseenShare: o.unseenShare as number };
}

/**
 * Evaluate every baseline feature against the window. Drift = psi > t.psi OR
 * ks > t.ks OR |missingRateDelta| > t.missingRate OR unseenShare >
 * t.unseenShare; features below `minSamples` non-missing window values are
 * judged on the missing rate alone, and are 'insufficient-data' when the
 * window also has fewer than `minSamples` rows in all.
 */
export function evaluateDrift(
  baseline: Baseline,
  window: DriftWindow,
  thresholds: Thresholds,
  options: { minSamples?: number } = {},
): DriftEvaluation {
  const t = validateThresholds(thresholds);
  const minSamples = options.minSamples ?? DEFAULT_MIN_SAMPLES;
  if (!Number.isFinite(minSamples) || minSamples < 0) throw new DriftInputError('minSamples must be a finite number >= 0');
  const features: Record<string, FeatureResult> = {};
  const drifting: string[] = [];
  const insufficient: string[] = [];
  const isSample = 'sample' in window;
  const source: object = isSample ? window.sample : window.features;
  // A raw sample's rows: a baseline column it lacks is missing in every one of them.
  let sampleRows = 0;
  if (isSample) for (const k of Object.keys(window.sample)) sampleRows = Math.max(sampleRows, window.sample[k]!.length);
  for (const name of Object.keys(baseline.features).sort()) {
    const base = baseline.features[name]!;
    let cur: WindowFeatureCounts | undefined;
    if (hasOwn(source, name)) {
      cur = isSample ? countSample(base, window.sample[name]!) : window.features[name]!;
    } else if (isSample && sampleRows > 0) {
      cur = countSample(base, new Array<RawValue>(sampleRows).fill(null));
    }
    const r = evaluateFeature(base, cur, t, minSamples);
    setOwn(features, name, r);
    if (r.status === 'drift') drifting.push(name);
    else if (r.status === 'insufficient-data') insufficient.push(name);
  }
  const unknownFeatures = Object.keys(source)
    .filter((k) => !hasOwn(baseline.features, k))
    .sort();
  return { baselineVersion: 1, features, drifting, insufficient, unknownFeatures };
}
