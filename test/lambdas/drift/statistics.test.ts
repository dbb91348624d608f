/**
 * Drift statistics (lambdas/drift-stats/statistics.ts, baseline.ts) against
 * an INDEPENDENT reference implementation written below: direct formula loops,
 * interval tests instead of binary search, an O(n·m) KS. Results must match
 * to 1e-9.
 */

import {
  binCategorical,
  binNumeric,
  DriftInputError,
  evaluateDrift,
  evaluateFeature,
  ksExact,
  ksFromBins,
  MAX_UNSEEN_REPORTED,
  psiCategorical,
  psiFromCounts,
  sortedSample,
  Thresholds,
} from '../../../lambdas/drift-stats/statistics';
import type { Baseline, EvaluatedFeature, FeatureCounts, InsufficientFeature } from '../../../lambdas/drift-stats/statistics';
import { buildBaseline, parseBaseline, parseWindow, quantileEdges } from '../../../lambdas/drift-stats/baseline';
import { bench } from '../../../lambdas/drift-stats/bench';

// ---------------------------------------------------------------------------
// Reference implementation (independent of the code under test)

const EPS = 1e-4;

type Raw = number | string | boolean | null | undefined;

/** mulberry32 PRNG + Box–Muller normal, deterministic per seed. */
function prng(seed: number): { uniform: () => number; normal: () => number } {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const normal = (): number => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
  return { uniform, normal };
}

function isMissingNumber(v: Raw): boolean {
  if (v === null || v === undefined || typeof v === 'boolean') return true;
  if (typeof v === 'string') return v.trim() === '' || Number.isNaN(Number(v));
  return Number.isNaN(v);
}

function numbersOf(values: Raw[]): number[] {
  return values.filter((v) => !isMissingNumber(v)).map((v) => Number(v));
}

/** Bin by testing every bin's [lower, upper) interval; null ends are ∓Infinity. */
function refBin(values: Raw[], edges: (number | null)[]): { counts: number[]; missing: number; total: number } {
  const counts = new Array<number>(edges.length - 1).fill(0);
  let missing = 0;
  for (const v of values) {
    if (isMissingNumber(v)) {
      missing++;
      continue;
    }
    const x = Number(v);
    for (let i = 0; i < counts.length; i++) {
      const lower = i === 0 ? -Infinity : (edges[i] as number);
      const last = i === counts.length - 1;
      if (lower <= x && (last || x < (edges[i + 1] as number))) {
        counts[i]!++;
        break;
      }
    }
  }
  return { counts, missing, total: values.length };
}

function proportion(count: number, n: number): number {
  const p = n > 0 ? count / n : 0;
  return p === 0 ? EPS : p;
}

/** PSI = Σ (p − q)·ln(p/q), p current, q baseline, zero proportions -> EPS. */
function refPsi(base: number[], cur: number[]): number {
  const nb = base.reduce((s, x) => s + x, 0);
  const nc = cur.reduce((s, x) => s + x, 0);
  let psi = 0;
  for (let i = 0; i < base.length; i++) {
    const q = proportion(base[i]!, nb);
    const p = proportion(cur[i]!, nc);
    psi += (p - q) * Math.log(p / q);
  }
  return psi;
}

function refPsiCategorical(base: Record<string, number>, cur: Record<string, number>): number {
  const keys = new Set([...Object.keys(base), ...Object.keys(cur)]);
  const b: number[] = [];
  const c: number[] = [];
  for (const k of keys) {
    b.push(Object.prototype.hasOwnProperty.call(base, k) ? base[k]! : 0);
    c.push(Object.prototype.hasOwnProperty.call(cur, k) ? cur[k]! : 0);
  }
  return refPsi(b, c);
}

/** Exact two-sample KS, O(n·m): ECDFs compared at every sample point. */
function refKs(a: number[], b: number[]): number {
  let d = 0;
  for (const x of [...a, ...b]) {
    let fa = 0;
    for (const y of a) if (y <= x) fa++;
    let fb = 0;
    for (const y of b) if (y <= x) fb++;
    d = Math.max(d, Math.abs(fa / a.length - fb / b.length));
  }
  return d;
}

/** KS at the interior edges from RAW values: max |#{a < e}/n − #{b < e}/m|. */
function refKsAtEdges(a: number[], b: number[], edges: (number | null)[]): number {
  let d = 0;
  for (let i = 1; i < edges.length - 1; i++) {
    const e = edges[i] as number;
    const fa = a.filter((x) => x < e).length / a.length;
    const fb = b.filter((x) => x < e).length / b.length;
    d = Math.max(d, Math.abs(fa - fb));
  }
  return d;
}

function expectClose(actual: number | null | undefined, expected: number, tol = 1e-9): void {
  expect(typeof actual).toBe('number');
  if (Math.abs((actual as number) - expected) > tol) {
    throw new Error(`expected ${expected}, got ${actual} (|diff| ${Math.abs((actual as number) - expected)} > ${tol})`);
  }
}

// ---------------------------------------------------------------------------

/** Thresholds that never trigger (to isolate one criterion). */
const NEVER: Thresholds = { psi: 1e9, ks: 1e9, missingRate: 1e9, unseenShare: 1e9 };
/** Thresholds that trigger on any difference at all. */
const ZERO: Thresholds = { psi: 0, ks: 0, missingRate: 0, unseenShare: 0 };
const DEFAULT_T: Thresholds = { psi: 0.2, ks: 0.1, missingRate: 0.05, unseenShare: 0.01 };

const EDGES: (number | null)[] = [null, -1, 0, 0.5, 2, null];

function numericBaseline(counts: number[], missing = 0, edges = EDGES): FeatureCounts {
  return { type: 'numeric', edges, counts, missing, total: counts.reduce((s, x) => s + x, 0) + missing };
}

function asEvaluated(r: unknown): EvaluatedFeature {
  expect((r as EvaluatedFeature).status).not.toBe('insufficient-data');
  return r as EvaluatedFeature;
}

function roundedNormals(seed: number, n: number, shift: number, missingShare = 0): Raw[] {
  const r = prng(seed);
  const out: Raw[] = [];
  for (let i = 0; i < n; i++) out.push(r.uniform() < missingShare ? null : Math.round((r.normal() + shift) * 10) / 10);
  return out;
}

describe('binNumeric', () => {
  it('counts left-closed bins, with values exactly on edges, infinities and every kind of missing', () => {
    // GIVEN edges [-inf, -1, 0, 0.5, 2, +inf] and values on every edge, beyond both ends, and missing ones
    const values: Raw[] = [-1, 0, 0.5, 2, -Infinity, Infinity, -1.0000001, 1.9999, '1.5', ' 0.25 ', null, undefined, NaN, '', 'abc', true];
    // WHEN binned
    const got = binNumeric(values, EDGES);
    // THEN it equals the interval-test reference, and an edge value belongs to the bin it opens
    expect(got).toEqual(refBin(values, EDGES));
    expect(got).toEqual({ counts: [2, 1, 2, 3, 2], missing: 6, total: 16 });
  });

  it('gives the same counts for a Float64Array (NaN = missing) as for the plain array', () => {
    // GIVEN the same numbers as a plain array with nulls and as a Float64Array with NaN
    const plain = roundedNormals(7, 500, 0, 0.1);
    const typed = Float64Array.from(plain, (v) => (v === null ? NaN : Number(v)));
    // WHEN both are binned
    // THEN both match the reference
    expect(binNumeric(typed, EDGES)).toEqual(refBin(plain, EDGES));
    expect(binNumeric(plain, EDGES)).toEqual(refBin(plain, EDGES));
  });

  it('rejects edges that are not ascending or whose ends are not open', () => {
    // GIVEN malformed edges
    // WHEN binning
    // THEN a DriftInputError says why
    expect(() => binNumeric([1], [null, 1, 1, null])).toThrow(DriftInputError);
    expect(() => binNumeric([1], [0, 1, null])).toThrow(/edges\[0\]/);
    expect(() => binNumeric([1], [null, 1, 5])).toThrow(/last edge/);
  });
});

describe('binCategorical', () => {
  it('counts categories, stringifies numbers/booleans and counts null/undefined/NaN as missing', () => {
    // GIVEN mixed raw values
    const values: Raw[] = ['a', 'b', 'a', 1, '1', true, null, undefined, NaN, ''];
    // WHEN binned
    const got = binCategorical(values);
    // THEN
    expect(got).toEqual({ counts: { a: 2, b: 1, '1': 2, true: 1, '': 1 }, missing: 3, total: 10 });
  });
});

describe('PSI', () => {
  it('handles empty bins on either side with epsilon 1e-4 and matches the formula', () => {
    // GIVEN baseline and window counts with empty bins on both sides (and one bin empty on both)
    const base = [10, 0, 5, 0, 3];
    const cur = [0, 0, 7, 3, 3];
    // WHEN PSI is computed
    const got = psiFromCounts(base, cur);
    // THEN it is finite and equals Σ(p−q)ln(p/q) with zero proportions replaced by 1e-4
    expect(Number.isFinite(got)).toBe(true);
    expectClose(got, refPsi(base, cur));
    const p = [EPS, EPS, 7 / 13, 3 / 13, 3 / 13];
    const q = [10 / 18, EPS, 5 / 18, EPS, 3 / 18];
    expectClose(got, p.reduce((s, pi, i) => s + (pi - q[i]!) * Math.log(pi / q[i]!), 0));
  });

  it('is exactly 0 for identical distributions, also at a different scale and with empty bins', () => {
    // GIVEN counts and the same counts ×3
    const base = [4, 0, 9, 7, 0];
    // WHEN compared with themselves / their multiple
    // THEN PSI and binned KS are 0
    expect(psiFromCounts(base, base)).toBe(0);
    expect(psiFromCounts(base, base.map((c) => c * 3))).toBe(0);
    expect(ksFromBins(base, base.map((c) => c * 3))).toBe(0);
    expect(psiCategorical({ a: 3, b: 1 }, { b: 2, a: 6 })).toBe(0);
  });

  it('runs categorical PSI over the union of categories (unseen -> baseline epsilon)', () => {
    // GIVEN categories only in the baseline (c) and only in the window (d, e)
    const base = { a: 50, b: 30, c: 20 };
    const cur = { a: 40, b: 30, d: 25, e: 5 };
    // WHEN
    const got = psiCategorical(base, cur);
    // THEN
    expectClose(got, refPsiCategorical(base, cur));
    expect(got).toBeGreaterThan(1);
  });
});

describe('KS', () => {
  it('exact KS consumes ties together (within and across samples)', () => {
    // GIVEN samples with ties
    // WHEN ksExact runs
    // THEN it matches the O(n·m) reference, incl. the cases a one-step merge gets wrong
    expect(ksExact([1, 2], [1, 2])).toBe(0);
    expect(ksExact([1, 1, 2, 2], [1, 2, 2, 2])).toBeCloseTo(0.25, 12);
    expect(ksExact([0, 0, 0, 1], [0, 1, 1, 1])).toBeCloseTo(0.5, 12);
    expect(ksExact([5, 5, 5], [5])).toBe(0);
    for (const [a, b] of [
      [[1, 1, 2, 2], [1, 2, 2, 2]],
      [[0, 0, 0, 1], [0, 1, 1, 1]],
      [[3, 3, 3, 3, 4], [1, 3, 3, 9]],
    ] as const) {
      expectClose(ksExact(a, b), refKs([...a], [...b]));
    }
  });

  it('exact KS of a single value and of empty samples', () => {
    // GIVEN one value per side, or an empty side
    // WHEN / THEN
    expect(ksExact([3], [3])).toBe(0);
    expect(ksExact([3], [4])).toBe(1);
    expect(ksExact([], [1])).toBeNaN();
    expect(ksFromBins([0, 0], [1, 0])).toBeNaN();
  });

  it('matches the references on random tied samples, and binned KS is a lower bound of the exact D', () => {
    for (let seed = 1; seed <= 25; seed++) {
      // GIVEN two samples rounded to 0.1 (many ties), one shifted, with missing values and random edges
      const a = roundedNormals(seed, 300, 0, 0.05);
      const b = roundedNormals(seed + 1000, 200, (seed % 5) * 0.1, 0.05);
      const r = prng(seed + 5000);
      const inner = [...new Set(Array.from({ length: 1 + (seed % 12) }, () => Math.round(r.normal() * 20) / 10))].sort((x, y) => x - y);
      const edges: (number | null)[] = [null, ...inner, null];
      // WHEN binned, and the statistics computed from counts and from sorted raw samples
      const ba = binNumeric(a, edges);
      const bb = binNumeric(b, edges);
      const exact = ksExact(sortedSample(a), sortedSample(b));
      const binned = ksFromBins(ba.counts, bb.counts);
      // THEN everything matches the independent reference to 1e-9
      expect(ba).toEqual(refBin(a, edges));
      expect(bb).toEqual(refBin(b, edges));
      expectClose(psiFromCounts(ba.counts, bb.counts), refPsi(refBin(a, edges).counts, refBin(b, edges).counts));
      expectClose(exact, refKs(numbersOf(a), numbersOf(b)));
      expectClose(binned, refKsAtEdges(numbersOf(a), numbersOf(b), edges));
      expect(binned).toBeLessThanOrEqual(exact + 1e-12);
    }
  });

  it('exact KS of identical samples (and of a sample against its duplicate) is 0', () => {
    // GIVEN a tied sample and the same values twice over
    const a = sortedSample(roundedNormals(3, 400, 0));
    const doubled = sortedSample([...a, ...a]);
    // WHEN / THEN
    expect(ksExact(a, a)).toBe(0);
    expect(ksExact(a, doubled)).toBe(0);
  });
});

describe('evaluateFeature / evaluateDrift', () => {
  const base = numericBaseline([100, 200, 300, 200, 200], 20);

  it('reports every statistic like the reference (numeric counts window)', () => {
    // GIVEN a shifted window with a different missing rate
    const cur: FeatureCounts = numericBaseline([10, 50, 200, 300, 440], 100);
    // WHEN
    const r = asEvaluated(evaluateFeature(base, cur, DEFAULT_T, 100));
    // THEN
    expectClose(r.psi, refPsi([100, 200, 300, 200, 200], [10, 50, 200, 300, 440]));
    expectClose(r.ks!, Math.max(...[1, 2, 3, 4].map((k) => {
      const fb = [100, 200, 300, 200, 200].slice(0, k).reduce((s, x) => s + x, 0) / 1000;
      const fc = [10, 50, 200, 300, 440].slice(0, k).reduce((s, x) => s + x, 0) / 1000;
      return Math.abs(fb - fc);
    })));
    expectClose(r.missingRateDelta, 100 / 1100 - 20 / 1020);
    expect(r).toMatchObject({ status: 'drift', type: 'numeric', n: 1000, unseen: [], unseenShare: 0 });
    expect(r.reasons).toEqual(['psi', 'ks', 'missingRate']);
  });

  it.each([
    ['psi', { ...NEVER, psi: 0 }],
    ['ks', { ...NEVER, ks: 0 }],
    ['missingRate', { ...NEVER, missingRate: 0 }],
  ] as const)('flags drift on %s alone when only that threshold is exceeded', (reason, t) => {
    // GIVEN a window that differs from the baseline, and thresholds that only %s can cross
    const cur = numericBaseline([90, 210, 300, 200, 200], 40);
    // WHEN evaluated
    const r = asEvaluated(evaluateFeature(base, cur, t, 100));
    // THEN it drifts for that reason only
    expect(r.status).toBe('drift');
    expect(r.reasons).toEqual([reason]);
  });

  it('uses strict "greater than": a statistic equal to its threshold is not drift', () => {
    // GIVEN thresholds equal to the statistics of the window
    const cur = numericBaseline([90, 210, 300, 200, 200], 40);
    const stats = asEvaluated(evaluateFeature(base, cur, NEVER, 100));
    const t: Thresholds = { psi: stats.psi!, ks: stats.ks!, missingRate: Math.abs(stats.missingRateDelta), unseenShare: 0 };
    // WHEN evaluated with them
    const r = asEvaluated(evaluateFeature(base, cur, t, 100));
    // THEN ok
    expect(r.status).toBe('ok');
    expect(r.reasons).toEqual([]);
  });

  it('lists unseen categories with counts and flags their share', () => {
    // GIVEN a categorical baseline and a window with two unseen categories and missing values
    const b: FeatureCounts = { type: 'categorical', counts: { a: 50, b: 30, c: 20 }, missing: 0, total: 100 };
    const cur: FeatureCounts = { type: 'categorical', counts: { a: 40, b: 30, d: 25, e: 5 }, missing: 10, total: 110 };
    // WHEN evaluated with only the unseen-share threshold active
    const r = asEvaluated(evaluateFeature(b, cur, { ...NEVER, unseenShare: 0.29 }, 100));
    // THEN
    expect(r.unseen).toEqual([
      { category: 'd', count: 25 },
      { category: 'e', count: 5 },
    ]);
    expect(r.unseenCategories).toBe(2);
    expectClose(r.unseenShare, 30 / 100);
    expectClose(r.psi, refPsiCategorical({ a: 50, b: 30, c: 20 }, { a: 40, b: 30, d: 25, e: 5 }));
    expectClose(r.missingRateDelta, 10 / 110);
    expect(r.ks).toBeUndefined();
    expect(r.status).toBe('drift');
    expect(r.reasons).toEqual(['unseenShare']);
  });

  it('caps the unseen list at MAX_UNSEEN_REPORTED, largest first, but counts them all', () => {
    // GIVEN 25 unseen categories with distinct counts
    const counts: Record<string, number> = { a: 100 };
    for (let i = 1; i <= 25; i++) counts[`u${i}`] = i;
    const b: FeatureCounts = { type: 'categorical', counts: { a: 100 }, missing: 0, total: 100 };
    // WHEN
    const r = asEvaluated(evaluateFeature(b, { type: 'categorical', counts, missing: 0, total: 425 }, DEFAULT_T, 1));
    // THEN
    expect(r.unseen).toHaveLength(MAX_UNSEEN_REPORTED);
    expect(r.unseen[0]).toEqual({ category: 'u25', count: 25 });
    expect(r.unseenCategories).toBe(25);
    expectClose(r.unseenShare, 325 / 425);
  });

  it('treats prototype-like category names as data', () => {
    // GIVEN a baseline with "constructor" and a JSON window with "__proto__"
    const b: FeatureCounts = { type: 'categorical', counts: { constructor: 10, a: 90 }, missing: 0, total: 100 };
    const w = parseWindow(JSON.parse('{"features":{"f":{"type":"categorical","counts":{"__proto__":5,"a":95},"missing":0,"total":100}}}'));
    // WHEN
    const r = asEvaluated(evaluateDrift({ version: 1, createdAt: 'x', features: { f: b } }, w, NEVER, { minSamples: 1 }).features.f);
    // THEN "__proto__" is an unseen category and "constructor" a vanished one
    expect(r.unseen).toEqual([{ category: '__proto__', count: 5 }]);
    expectClose(r.psi, refPsiCategorical({ constructor: 10, a: 90 }, JSON.parse('{"__proto__":5,"a":95}') as Record<string, number>));
  });

  it('below minSamples rows a feature is insufficient-data and NEVER drifts, even with zero thresholds', () => {
    // GIVEN a window that is totally different but has 99 rows, none missing (minSamples 100)
    const cur = numericBaseline([0, 0, 0, 0, 99], 0);
    const cat: FeatureCounts = { type: 'categorical', counts: { zzz: 99 }, missing: 0, total: 99 };
    const catBase: FeatureCounts = { type: 'categorical', counts: { a: 10 }, missing: 0, total: 10 };
    // WHEN evaluated with thresholds that flag any difference
    const r = evaluateFeature(base, cur, ZERO, 100) as InsufficientFeature;
    const rc = evaluateFeature(catBase, cat, ZERO, 100) as InsufficientFeature;
    // THEN
    expect(r).toEqual({ status: 'insufficient-data', type: 'numeric', n: 99, minSamples: 100, reason: 'below-min-samples', missingRateDelta: 0 - 20 / 1020 });
    expect(rc.status).toBe('insufficient-data');
    // AND at exactly minSamples the same window is evaluated (and drifts)
    expect(evaluateFeature(base, numericBaseline([0, 0, 0, 0, 100], 5), ZERO, 100).status).toBe('drift');
  });

  it('a window whose values are all missing DRIFTS on its missing rate (an upstream break never reads ok)', () => {
    // GIVEN a baseline with 2% missing, a healthy second feature, and a raw window of 150 rows
    // in which f is always missing (null, NaN or absent)
    const g = numericBaseline([100, 200, 300, 200, 200], 0);
    const baseline: Baseline = { version: 1, createdAt: 'x', features: { f: base, g } };
    const sample = {
      f: [...Array<null>(50).fill(null), ...Array<number>(50).fill(NaN), ...Array<undefined>(50).fill(undefined)],
      g: Array<number>(150).fill(1),
    };
    // WHEN evaluated with the default thresholds (g is far from its baseline only in shape, so
    // NEVER for psi/ks keeps it ok and isolates f)
    const ev = evaluateDrift(baseline, { sample }, { ...NEVER, missingRate: DEFAULT_T.missingRate }, { minSamples: 100 });
    // THEN f drifts on the missing rate, with no distribution statistics claimed
    expect(ev.features.f).toEqual({
      status: 'drift',
      type: 'numeric',
      n: 0,
      psi: null,
      missingRateDelta: 1 - 20 / 1020,
      unseen: [],
      unseenCategories: 0,
      unseenShare: null,
      reasons: ['missingRate'],
      distributionNotCompared: 'below-min-samples',
    });
    expect(ev.drifting).toEqual(['f']);
    expect(ev.insufficient).toEqual([]);
    expect(ev.features.g!.status).toBe('ok');
  });

  it('a categorical feature that went all-missing drifts too; a window too small in rows stays insufficient', () => {
    // GIVEN a categorical baseline with no missing values
    const catBase: FeatureCounts = { type: 'categorical', counts: { a: 600, b: 400 }, missing: 0, total: 1000 };
    // WHEN the window holds 120 rows, all missing
    const broken = evaluateFeature(catBase, { type: 'categorical', counts: {}, missing: 120, total: 120 }, DEFAULT_T, 100);
    // THEN drift on the missing rate
    expect(broken).toMatchObject({ status: 'drift', reasons: ['missingRate'], missingRateDelta: 1, psi: null, unseenShare: null });
    // AND with only 99 rows (all missing) there is too little evidence of any kind
    const tiny = evaluateFeature(catBase, { type: 'categorical', counts: {}, missing: 99, total: 99 }, DEFAULT_T, 100);
    expect(tiny).toEqual({ status: 'insufficient-data', type: 'categorical', n: 0, minSamples: 100, reason: 'below-min-samples', missingRateDelta: 1 });
    // AND a missing-rate change within the threshold keeps it insufficient (no drift claimed)
    const sparse = evaluateFeature(
      { type: 'categorical', counts: { a: 50 }, missing: 950, total: 1000 },
      { type: 'categorical', counts: { a: 40 }, missing: 960, total: 1000 },
      DEFAULT_T,
      100,
    );
    expect(sparse).toMatchObject({ status: 'insufficient-data', reason: 'below-min-samples', n: 40 });
    expect((sparse as InsufficientFeature).missingRateDelta).toBeCloseTo(0.01, 12);
  });

  it('a feature whose baseline was all missing drifts when the window carries values again', () => {
    // GIVEN a numeric baseline with every value missing
    const empty = numericBaseline([0, 0, 0, 0, 0], 500);
    // WHEN 200 values arrive, none missing
    const r = evaluateFeature(empty, numericBaseline([0, 100, 100, 0, 0], 0), DEFAULT_T, 100);
    // THEN the missing rate moved by -1: drift, with the distribution not compared
    expect(r).toMatchObject({ status: 'drift', missingRateDelta: -1, psi: null, distributionNotCompared: 'empty-baseline' });
  });

  it('a single-value window is evaluated like the reference when minSamples allows it', () => {
    // GIVEN a raw window with one value
    const baseline: Baseline = { version: 1, createdAt: 'x', features: { f: base } };
    // WHEN evaluated with minSamples 1 and with the default (100)
    const one = asEvaluated(evaluateDrift(baseline, { sample: { f: [0.7] } }, DEFAULT_T, { minSamples: 1 }).features.f);
    const dflt = evaluateDrift(baseline, { sample: { f: [0.7] } }, DEFAULT_T).features.f!;
    // THEN
    expectClose(one.psi, refPsi([100, 200, 300, 200, 200], refBin([0.7], EDGES).counts));
    expectClose(one.ks!, 0.6);
    expect(one.n).toBe(1);
    expect(dflt.status).toBe('insufficient-data');
  });

  it('identical distributions give PSI 0 and KS 0 (status ok even with zero thresholds)', () => {
    // GIVEN a window with exactly the baseline proportions (×2) and missing rate
    const cur = numericBaseline([200, 400, 600, 400, 400], 40);
    // WHEN
    const r = asEvaluated(evaluateFeature(base, cur, ZERO, 100));
    // THEN
    expect(r.psi).toBe(0);
    expect(r.ks).toBe(0);
    expect(r.missingRateDelta).toBe(0);
    expect(r.status).toBe('ok');
  });

  it('reports absent window features as insufficient and unknown window features separately', () => {
    // GIVEN a baseline with f and g, a window with f and extra
    const baseline: Baseline = { version: 1, createdAt: 'x', features: { g: base, f: base } };
    const w = { features: { f: numericBaseline([100, 200, 300, 200, 200], 20), extra: numericBaseline([1, 1, 1, 1, 1]) } };
    // WHEN
    const ev = evaluateDrift(baseline, w, DEFAULT_T);
    // THEN
    expect(ev.features.g).toMatchObject({ status: 'insufficient-data', reason: 'absent-from-window', n: 0 });
    expect(ev.features.f!.status).toBe('ok');
    expect(ev.unknownFeatures).toEqual(['extra']);
    expect(ev.insufficient).toEqual(['g']);
  });

  it('a baseline feature absent from a raw sample is missing in every sampled row: it drifts on its missing rate', () => {
    // GIVEN a baseline with f (2% missing) and g, and a sample of 500 rows whose producer stopped sending g
    const values = Array.from({ length: 1000 }, (_, i) => (i % 50 === 0 ? null : i % 7));
    const baseline = buildBaseline({ f: values, g: values }, { features: { f: { type: 'numeric' }, g: { type: 'categorical' } }, createdAt: 'x' });
    const sample = { f: values.slice(0, 500) };
    // WHEN
    const ev = evaluateDrift(baseline, { sample }, DEFAULT_T);
    // THEN g is judged like an all-null column: missing rate 100% vs 2% (hand-computed delta 0.98)
    expect(ev.features.g).toMatchObject({ status: 'drift', reasons: ['missingRate'], n: 0, psi: null, distributionNotCompared: 'below-min-samples' });
    expect((ev.features.g as { missingRateDelta: number }).missingRateDelta).toBeCloseTo(1 - 20 / 1000, 12);
    expect(ev.drifting).toEqual(['g']);
    // AND exactly as if the column had been sent with 500 nulls
    expect(ev.features.g).toEqual(evaluateDrift(baseline, { sample: { ...sample, g: new Array(500).fill(null) } }, DEFAULT_T).features.g);
    // AND a sample too small to judge stays insufficient, never ok
    const small = evaluateDrift(baseline, { sample: { f: values.slice(0, 50) } }, DEFAULT_T);
    expect(small.features.g).toMatchObject({ status: 'insufficient-data', reason: 'below-min-samples', n: 0 });
  });

  it('rejects mismatched bins, types and thresholds', () => {
    // GIVEN inconsistent inputs
    const baseline: Baseline = { version: 1, createdAt: 'x', features: { f: base } };
    // WHEN / THEN
    expect(() => evaluateFeature(base, numericBaseline([1, 2, 3, 4, 5], 0, [null, -1, 0, 0.6, 2, null]), DEFAULT_T)).toThrow(/different edges/);
    expect(() => evaluateFeature(base, { type: 'numeric', counts: [1, 2], missing: 0, total: 3 }, DEFAULT_T)).toThrow(/bins/);
    expect(() => evaluateFeature(base, { type: 'categorical', counts: {}, missing: 0, total: 0 }, DEFAULT_T)).toThrow(DriftInputError);
    expect(() => evaluateDrift(baseline, { features: {} }, { ...DEFAULT_T, psi: -1 })).toThrow(/thresholds.psi/);
  });
});

describe('buildBaseline / parseBaseline', () => {
  it('numeric edges are deciles (equal-mass bins) and missing is counted', () => {
    // GIVEN 0..999 shuffled plus 50 missing values
    const r = prng(11);
    const values: Raw[] = Array.from({ length: 1000 }, (_, i) => i);
    for (let i = values.length - 1; i > 0; i--) {
      const j = Math.floor(r.uniform() * (i + 1));
      [values[i], values[j]] = [values[j], values[i]];
    }
    values.push(...Array<null>(50).fill(null));
    // WHEN
    const b = buildBaseline({ x: values }, { features: { x: { type: 'numeric' } }, createdAt: '2031-01-01T00:00:00.000Z' });
    // THEN
    // (deciles, plus the minimum and the next double above the maximum: open outer bins, empty in the baseline)
    expect(b.features.x).toEqual({
      type: 'numeric',
      binning: 'quantiles',
      edges: [null, 0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 999.0000000000001, null],
      counts: [0, ...Array<number>(10).fill(100), 0],
      missing: 50,
      total: 1050,
    });
  });

  it('deduplicates tied quantiles and counts with the same binning as the windows', () => {
    // GIVEN 500 zeros and 1..500
    const values = [...Array<number>(500).fill(0), ...Array.from({ length: 500 }, (_, i) => i + 1)];
    // WHEN
    const b = buildBaseline({ x: values }, { features: { x: { type: 'numeric' } } });
    const f = b.features.x as Extract<FeatureCounts, { type: 'numeric' }>;
    // THEN edges are strictly ascending and the counts are the reference binning over them
    // (the atom at 0 covers five deciles: it gets a bin of its own, [0, 1))
    expect(f.edges).toEqual([null, 0, 1, 101, 201, 301, 401, 500.00000000000006, null]);
    expect(f.counts).toEqual(refBin(values, f.edges).counts);
    expect(f.counts).toEqual([0, 500, 100, 100, 100, 100, 100, 0]);
    expect(quantileEdges([], 10)).toEqual([null, null]);
  });

  it('the training sample evaluated against its own baseline gives PSI 0 and KS 0 (same code path)', () => {
    // GIVEN a baseline built from a sample
    const num = roundedNormals(5, 3000, 0, 0.02);
    const cat = Array.from({ length: 3000 }, (_, i) => (i % 7 === 0 ? null : ['a', 'b', 'c'][i % 3]!));
    const b = buildBaseline({ num, cat }, { features: { num: { type: 'numeric' }, cat: { type: 'categorical' } } });
    // WHEN the same sample is the window
    const ev = evaluateDrift(b, { sample: { num, cat } }, ZERO);
    // THEN
    for (const name of ['num', 'cat']) {
      const r = asEvaluated(ev.features[name]);
      expect(r.psi).toBe(0);
      expect(r.missingRateDelta).toBe(0);
      expect(r.status).toBe('ok');
    }
    expect(asEvaluated(ev.features.num).ks).toBe(0);
  });

  it('round-trips through JSON with null open ends', () => {
    // GIVEN a built baseline
    const b = buildBaseline({ x: roundedNormals(9, 1000, 0), c: ['a', 'b', null] }, { features: { x: { type: 'numeric', bins: 4 }, c: { type: 'categorical' } } });
    // WHEN serialised and parsed back
    const text = JSON.stringify(b);
    const parsed = parseBaseline(JSON.parse(text));
    // THEN
    expect(text).toMatch(/"edges":\[null,[^\]]*,null\]/);
    expect(parsed).toEqual(b);
  });

  it('refuses categorical features with more categories than maxCategories', () => {
    // GIVEN an id-like column
    const ids = Array.from({ length: 50 }, (_, i) => `id-${i}`);
    // WHEN / THEN
    expect(() => buildBaseline({ id: ids }, { features: { id: { type: 'categorical', maxCategories: 10 } } })).toThrow(/maxCategories/);
  });

  it.each([
    ['a wrong version', { version: 2, createdAt: 'x', features: {} }, /version/],
    ['no features (every window would read ok)', { version: 1, createdAt: 'x', features: {} }, /no features/],
    ['descending edges', { version: 1, createdAt: 'x', features: { f: { type: 'numeric', edges: [null, 2, 1, null], counts: [1, 1, 1], missing: 0, total: 3 } } }, /ascending/],
    ['a closed first edge', { version: 1, createdAt: 'x', features: { f: { type: 'numeric', edges: [0, 1, null], counts: [1, 1], missing: 0, total: 2 } } }, /edges\[0\]/],
    ['counts not matching the edges', { version: 1, createdAt: 'x', features: { f: { type: 'numeric', edges: [null, 1, null], counts: [1], missing: 0, total: 1 } } }, /counts/],
    ['a wrong total', { version: 1, createdAt: 'x', features: { f: { type: 'categorical', counts: { a: 2 }, missing: 1, total: 4 } } }, /total/],
    ['a negative count', { version: 1, createdAt: 'x', features: { f: { type: 'categorical', counts: { a: -2 }, missing: 0, total: -2 } } }, />= 0/],
    ['a source that is not an object', { version: 1, createdAt: 'x', features: { f: { type: 'categorical', counts: { a: 1 }, missing: 0, total: 1 } }, source: 's3://x' }, /source/],
    ['a source with a fractional count', { version: 1, createdAt: 'x', features: { f: { type: 'categorical', counts: { a: 1 }, missing: 0, total: 1 } }, source: { modelPackageArn: 'a', trainingSample: 's3://b/k', sampledRecords: 1.5, totalRecords: 2 } }, /sampledRecords/],
  ])('parseBaseline rejects %s', (_what, json, message) => {
    // GIVEN a malformed baseline document
    // WHEN parsed
    // THEN a DriftInputError explains it
    expect(() => parseBaseline(json)).toThrow(DriftInputError);
    expect(() => parseBaseline(json)).toThrow(message);
  });
});

describe('parseBaseline and the optional source (written by drift-baseline)', () => {
  it('returns the source when present and stays compatible with version-1 baselines without it', () => {
    // GIVEN the same baseline with and without a source
    const plain = { version: 1, createdAt: '2026-01-01T00:00:00Z', features: { f: { type: 'categorical', counts: { a: 2 }, missing: 0, total: 2 } } };
    const source = { modelPackageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud/3', trainingSample: 's3://t/k.csv', sampledRecords: 2, totalRecords: 9 };
    // WHEN parsed
    // THEN the source is returned as is, and a baseline without one has no source key
    expect(parseBaseline({ ...plain, source }).source).toEqual(source);
    expect(parseBaseline(plain)).not.toHaveProperty('source');
    expect(parseBaseline({ ...plain, source }).features).toEqual(parseBaseline(plain).features);
  });
});

describe('drift detection end to end on generated data (fixed-seed PRNG)', () => {
  const N_TRAIN = 20_000;
  const N_WINDOW = 5_000;

  function dataset(seed: number, n: number, opts: { shift?: number; catProbs?: number[]; missing?: number }): { amount: Raw[]; country: Raw[] } {
    const r = prng(seed);
    const probs = opts.catProbs ?? [0.5, 0.3, 0.2, 0];
    const cats = ['de', 'fr', 'it', 'xx'];
    const amount: Raw[] = [];
    const country: Raw[] = [];
    for (let i = 0; i < n; i++) {
      amount.push(r.uniform() < (opts.missing ?? 0.01) ? null : Math.exp(r.normal() * 0.5 + 3 + (opts.shift ?? 0)));
      let u = r.uniform();
      let k = 0;
      while (k < probs.length - 1 && u >= probs[k]!) u -= probs[k++]!;
      country.push(r.uniform() < 0.01 ? null : cats[k]!);
    }
    return { amount, country };
  }

  const spec = { features: { amount: { type: 'numeric' as const }, country: { type: 'categorical' as const } } };
  const baseline = buildBaseline(dataset(1, N_TRAIN, {}), spec);

  it('a same-distribution window (another seed) does not drift', () => {
    // GIVEN a window drawn from the training distribution with a different seed
    const w = dataset(2, N_WINDOW, {});
    // WHEN
    const ev = evaluateDrift(baseline, { sample: w }, DEFAULT_T);
    // THEN
    expect(ev.drifting).toEqual([]);
    expect(ev.features.amount!.status).toBe('ok');
    expect(ev.features.country!.status).toBe('ok');
    expect(asEvaluated(ev.features.amount).psi).toBeLessThan(0.02);
  });

  it('a shifted window drifts, on PSI/KS for the numeric and PSI/unseen share for the categorical feature', () => {
    // GIVEN amounts ×e^0.3 and a new country taking 10 % of the traffic
    const w = dataset(3, N_WINDOW, { shift: 0.3, catProbs: [0.3, 0.3, 0.3, 0.1] });
    // WHEN
    const ev = evaluateDrift(baseline, { sample: w }, DEFAULT_T);
    // THEN
    expect(ev.drifting).toEqual(['amount', 'country']);
    expect(asEvaluated(ev.features.amount).reasons).toEqual(['psi', 'ks']);
    expect(asEvaluated(ev.features.country).reasons).toEqual(['psi', 'unseenShare']);
    expect(asEvaluated(ev.features.country).unseen).toEqual([{ category: 'xx', count: expect.any(Number) }]);
  });

  it('a window whose values go missing drifts on the missing rate only', () => {
    // GIVEN the training distribution but 20 % missing amounts
    const w = dataset(4, N_WINDOW, { missing: 0.2 });
    // WHEN
    const ev = evaluateDrift(baseline, { sample: w }, DEFAULT_T);
    // THEN
    expect(ev.drifting).toEqual(['amount']);
    expect(asEvaluated(ev.features.amount).reasons).toEqual(['missingRate']);
  });
});

describe('bench()', () => {
  it('runs the sample and bin paths and reports consistent figures (no timing assertion)', () => {
    // GIVEN a tiny workload with one shifted feature (f00)
    // WHEN
    const r = bench({ rows: 4000, features: 3, baselineRows: 2000, repeats: 1 });
    // THEN
    expect(r).toMatchObject({ rows: 4000, features: 3, values: 12000, columns: 'typed', driftingFeatures: 1 });
    expect(r.valuesPerSecond).toBeGreaterThan(0);
    expect(r.binPathMs).toBeGreaterThanOrEqual(0);
  });
});
