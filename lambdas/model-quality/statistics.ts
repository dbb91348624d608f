/**
 * Model-quality statistics, pure functions (no I/O, no AWS SDK, no dependencies).
 *
 * The quality job's SQL (sql.ts) reduces the join of capture and ground truth to
 * small aggregates per variant; everything here works on those aggregates:
 *
 *  - classification: cells (scoreBin, predicted, actual, n, scoreSum). scoreBin
 *    is floor(score × bins) clamped to [0, bins−1]; predicted = score >= the
 *    configured threshold (decided in SQL on the exact score, so precision and
 *    recall are exact even when the threshold falls inside a bin); actual = the
 *    label is the positive label.
 *  - regression: n, Σ|e|, Σe², Σe⁴ with e = prediction − label.
 *
 * Conventions:
 *  - AUC from binned scores is the Mann–Whitney statistic with every pair inside
 *    one bin counted as a tie (½): AUC = Σ_b pos_b·(neg_<b + ½·neg_b) / (P·N).
 *    With one score per bin it equals the exact AUC with ties counted ½
 *    (scipy.stats.mannwhitneyu U / (P·N)). One class only → undefined.
 *  - Precision = TP/(TP+FP), recall = TP/(TP+FN); an empty denominator →
 *    undefined (never 0, which would read as "bad").
 *  - Calibration error (expected calibration error, ECE) over
 *    CALIBRATION_BINS equal-width score bins: Σ_c (n_c/N)·|mean score_c −
 *    positive rate_c|.
 *  - Proportions get Wilson score intervals (closed form). AUC and ECE have no
 *    closed form that holds for binned data, so they get a percentile
 *    bootstrap over the cells (Poisson bootstrap, seeded: the same input gives
 *    the same interval). MAE and RMSE get normal-approximation intervals from
 *    their moment sums (RMSE by the delta method on the MSE).
 *  - Percentiles are numpy's default (linear interpolation between closest
 *    ranks).
 */

import { mulberry32 } from '../shared/random';

/** Classification scores are binned this finely in SQL (floor(score × 1000)). */
export const SCORE_BINS = 1000;
/** Equal-width bins of the expected calibration error. */
export const CALIBRATION_BINS = 10;
export const DEFAULT_ALPHA = 0.05;
export const BOOTSTRAP_REPLICATES = 500;
export const BOOTSTRAP_SEED = 20261204;

export class QualityInputError extends Error {
  override readonly name = 'QualityInputError';
}

export interface Interval {
  readonly low: number;
  readonly high: number;
  readonly method: 'wilson' | 'bootstrap' | 'normal' | 'always-valid';
  /** 1 − alpha. */
  readonly level: number;
}

/** A proportion with its interval; value/interval undefined when the denominator is 0. */
export interface Proportion {
  readonly value: number | undefined;
  readonly numerator: number;
  readonly denominator: number;
  readonly interval: Interval | undefined;
}

export interface ClassCell {
  bin: number;
  predicted: boolean;
  actual: boolean;
  n: number;
  scoreSum: number;
}

export interface Confusion {
  readonly tp: number;
  readonly fp: number;
  readonly tn: number;
  readonly fn: number;
}

export interface RegressionSums {
  readonly n: number;
  readonly absSum: number;
  readonly sqSum: number;
  readonly quadSum: number;
}

// ------------------------------------------------------------------ normal distribution

const LOG_SQRT_2PI = 0.91893853320467274178;

/** Upper tail Q(x) = 1 − Φ(x) for x >= 3 by the Laplace continued fraction (relative accuracy in the tail). */
function upperTail(x: number): number {
  let t = x;
  for (let k = 400; k >= 1; k--) t = x + k / t;
  return Math.exp(-0.5 * x * x - LOG_SQRT_2PI) / t;
}

/**
 * Standard normal CDF: Marsaglia's (2004) Taylor series for |x| < 3 (absolute error ~1e-15), the
 * continued fraction of the tail beyond, so small tail probabilities keep their relative accuracy.
 */
export function normalCdf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x <= -3) return upperTail(-x);
  if (x >= 3) return 1 - upperTail(x);
  let s = x;
  let t = 0;
  let b = x;
  const q = x * x;
  let i = 1;
  while (s !== t) {
    t = s;
    i += 2;
    b *= q / i;
    s = t + b;
  }
  return 0.5 + s * Math.exp(-0.5 * q - LOG_SQRT_2PI);
}

/** Standard normal quantile: Acklam's rational approximation refined by Newton steps on normalCdf. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new QualityInputError(`normal quantile needs 0 < p < 1 (got ${p})`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lowP = 0.02425;
  let x: number;
  if (p < lowP) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  } else if (p <= 1 - lowP) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  for (let k = 0; k < 3; k++) {
    const density = Math.exp(-0.5 * x * x - LOG_SQRT_2PI);
    x -= (normalCdf(x) - p) / density;
  }
  return x;
}

function checkAlpha(alpha: number): void {
  if (!(alpha > 0 && alpha < 1)) throw new QualityInputError(`alpha must be in (0, 1) (got ${alpha})`);
}

function checkCount(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new QualityInputError(`${name} must be a non-negative integer (got ${v})`);
}

// ------------------------------------------------------------------ proportions

/** Wilson score interval for k successes in n trials; undefined for n = 0. */
export function wilson(k: number, n: number, alpha = DEFAULT_ALPHA): Interval | undefined {
  checkCount('successes', k);
  checkCount('trials', n);
  checkAlpha(alpha);
  if (k > n) throw new QualityInputError(`successes (${k}) cannot exceed trials (${n})`);
  if (n === 0) return undefined;
  const z = normalQuantile(1 - alpha / 2);
  const p = k / n;
  const z2 = z * z;
  const denom = 1 + z2 / n;
  const centre = (p + z2 / (2 * n)) / denom;
  const half = (z / denom) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { low: Math.max(0, centre - half), high: Math.min(1, centre + half), method: 'wilson', level: 1 - alpha };
}

export function proportion(k: number, n: number, alpha = DEFAULT_ALPHA): Proportion {
  const interval = wilson(k, n, alpha);
  return { value: n === 0 ? undefined : k / n, numerator: k, denominator: n, interval };
}

// ------------------------------------------------------------------ classification

function checkCells(cells: readonly ClassCell[], bins: number): void {
  for (const c of cells) {
    if (!Number.isInteger(c.bin) || c.bin < 0 || c.bin >= bins) throw new QualityInputError(`score bin ${c.bin} is outside 0..${bins - 1}`);
    checkCount('cell n', c.n);
    if (!Number.isFinite(c.scoreSum) || c.scoreSum < 0 || c.scoreSum > c.n * (1 + 1e-9)) {
      throw new QualityInputError(`cell scoreSum ${c.scoreSum} is not within 0..n for n = ${c.n} (scores must be in [0, 1])`);
    }
  }
}

export function confusion(cells: readonly ClassCell[]): Confusion {
  let tp = 0;
  let fp = 0;
  let tn = 0;
  let fn = 0;
  for (const c of cells) {
    if (c.predicted && c.actual) tp += c.n;
    else if (c.predicted) fp += c.n;
    else if (c.actual) fn += c.n;
    else tn += c.n;
  }
  return { tp, fp, tn, fn };
}

/** Mann–Whitney AUC from binned scores (ties inside a bin count ½); undefined with one class only. */
export function aucFromBins(cells: readonly ClassCell[], bins = SCORE_BINS): number | undefined {
  checkCells(cells, bins);
  return aucUnchecked(cells, bins);
}

function aucUnchecked(cells: readonly ClassCell[], bins: number): number | undefined {
  const pos = new Array<number>(bins).fill(0);
  const neg = new Array<number>(bins).fill(0);
  for (const c of cells) (c.actual ? pos : neg)[c.bin]! += c.n;
  return aucFromCounts(pos, neg);
}

function aucFromCounts(pos: readonly number[], neg: readonly number[]): number | undefined {
  let P = 0;
  let N = 0;
  for (let b = 0; b < pos.length; b++) {
    P += pos[b]!;
    N += neg[b]!;
  }
  if (P === 0 || N === 0) return undefined;
  let below = 0;
  let wins = 0;
  for (let b = 0; b < pos.length; b++) {
    wins += pos[b]! * (below + 0.5 * neg[b]!);
    below += neg[b]!;
  }
  return wins / (P * N);
}

/** Expected calibration error over CALIBRATION_BINS equal-width bins; undefined with no samples. */
export function calibrationError(cells: readonly ClassCell[], bins = SCORE_BINS, calibrationBins = CALIBRATION_BINS): number | undefined {
  checkCells(cells, bins);
  if (bins % calibrationBins !== 0) throw new QualityInputError(`score bins (${bins}) must be a multiple of calibration bins (${calibrationBins})`);
  return eceUnchecked(cells, bins, calibrationBins);
}

function eceUnchecked(cells: readonly ClassCell[], bins: number, calibrationBins: number): number | undefined {
  const n = new Array<number>(calibrationBins).fill(0);
  const pos = new Array<number>(calibrationBins).fill(0);
  const score = new Array<number>(calibrationBins).fill(0);
  for (const c of cells) {
    const k = Math.floor((c.bin * calibrationBins) / bins);
    n[k]! += c.n;
    score[k]! += c.scoreSum;
    if (c.actual) pos[k]! += c.n;
  }
  return eceFrom(n, pos, score);
}

function eceFrom(n: readonly number[], pos: readonly number[], score: readonly number[]): number | undefined {
  const total = n.reduce((a, b) => a + b, 0);
  if (total === 0) return undefined;
  let ece = 0;
  for (let k = 0; k < n.length; k++) {
    if (n[k]! === 0) continue;
    ece += (n[k]! / total) * Math.abs(score[k]! / n[k]! - pos[k]! / n[k]!);
  }
  return ece;
}

// ------------------------------------------------------------------ bootstrap

/** mulberry32 (lambdas/shared/random.ts): a small seeded PRNG, uniform in [0, 1). */
export const seededRandom = mulberry32;

/** Poisson(λ) draw: Knuth's product method below 50, a rounded normal above (bootstrap weights only). */
export function poisson(lambda: number, random: () => number): number {
  if (lambda <= 0) return 0;
  if (lambda < 50) {
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = random();
    while (p > limit) {
      k += 1;
      p *= random();
    }
    return k;
  }
  const u1 = Math.max(random(), Number.MIN_VALUE);
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * random());
  return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * z));
}

/** numpy's default percentile (linear interpolation); q in [0, 100]. Input need not be sorted. */
export function percentile(values: readonly number[], q: number): number | undefined {
  if (!(q >= 0 && q <= 100)) throw new QualityInputError(`percentile q must be in [0, 100] (got ${q})`);
  if (values.length === 0) return undefined;
  if (values.some((v) => !Number.isFinite(v))) throw new QualityInputError('percentile needs finite values');
  const sorted = [...values].sort((x, y) => x - y);
  const h = ((sorted.length - 1) * q) / 100;
  const lo = Math.floor(h);
  const hi = Math.ceil(h);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Percentile bootstrap of a statistic of the cells: each replicate reweights every cell by a
 * Poisson(n) draw (the Poisson bootstrap: the multinomial resample of the rows, cell by cell).
 * Replicates where the statistic is undefined are skipped; fewer than half defined → undefined.
 */
export function bootstrapCells(
  cells: readonly ClassCell[],
  statistic: (cells: readonly ClassCell[]) => number | undefined,
  alpha = DEFAULT_ALPHA,
  replicates = BOOTSTRAP_REPLICATES,
  seed = BOOTSTRAP_SEED,
): Interval | undefined {
  checkAlpha(alpha);
  if (statistic(cells) === undefined) return undefined;
  const random = seededRandom(seed);
  const values: number[] = [];
  const resampled = cells.map((c) => ({ ...c }));
  for (let r = 0; r < replicates; r++) {
    for (let i = 0; i < cells.length; i++) {
      const c = cells[i]!;
      const out = resampled[i]!;
      out.n = poisson(c.n, random);
      out.scoreSum = c.n === 0 ? 0 : (c.scoreSum / c.n) * out.n;
    }
    const v = statistic(resampled);
    if (v !== undefined) values.push(v);
  }
  if (values.length < replicates / 2) return undefined;
  return {
    low: percentile(values, (100 * alpha) / 2)!,
    high: percentile(values, 100 * (1 - alpha / 2))!,
    method: 'bootstrap',
    level: 1 - alpha,
  };
}

// ------------------------------------------------------------------ summaries

export interface ClassificationQuality {
  readonly samples: number;
  readonly positives: number;
  readonly negatives: number;
  readonly confusion: Confusion;
  readonly auc: { value: number | undefined; interval: Interval | undefined };
  readonly precision: Proportion;
  readonly recall: Proportion;
  readonly calibrationError: { value: number | undefined; interval: Interval | undefined };
  /** Why some metric is undefined, in words (e.g. "one class only"). */
  readonly notes: string[];
}

export function classificationQuality(cells: readonly ClassCell[], alpha = DEFAULT_ALPHA, bins = SCORE_BINS): ClassificationQuality {
  checkCells(cells, bins);
  const m = confusion(cells);
  const positives = m.tp + m.fn;
  const negatives = m.fp + m.tn;
  const notes: string[] = [];
  if (positives + negatives === 0) notes.push('no labelled predictions in the window');
  else if (positives === 0 || negatives === 0) notes.push(`one class only (${positives === 0 ? 'no positives' : 'no negatives'}): AUC is undefined`);
  if (m.tp + m.fp === 0 && positives + negatives > 0) notes.push('nothing was predicted positive: precision is undefined');
  const auc = aucFromBins(cells, bins);
  const ece = calibrationError(cells, bins);
  return {
    samples: positives + negatives,
    positives,
    negatives,
    confusion: m,
    auc: { value: auc, interval: bootstrapCells(cells, (c) => aucUnchecked(c, bins), alpha) },
    precision: proportion(m.tp, m.tp + m.fp, alpha),
    recall: proportion(m.tp, m.tp + m.fn, alpha),
    calibrationError: { value: ece, interval: bootstrapCells(cells, (c) => eceUnchecked(c, bins, CALIBRATION_BINS), alpha) },
    notes,
  };
}

export interface RegressionQuality {
  readonly samples: number;
  readonly mae: { value: number | undefined; interval: Interval | undefined };
  readonly rmse: { value: number | undefined; interval: Interval | undefined };
  readonly notes: string[];
}

export function regressionQuality(sums: RegressionSums, alpha = DEFAULT_ALPHA): RegressionQuality {
  checkCount('regression n', sums.n);
  checkAlpha(alpha);
  for (const [k, v] of [['absSum', sums.absSum], ['sqSum', sums.sqSum], ['quadSum', sums.quadSum]] as const) {
    if (!Number.isFinite(v) || v < 0) throw new QualityInputError(`${k} must be a finite non-negative number (got ${v})`);
  }
  const { n } = sums;
  if (n === 0) return { samples: 0, mae: { value: undefined, interval: undefined }, rmse: { value: undefined, interval: undefined }, notes: ['no labelled predictions in the window'] };
  const mae = sums.absSum / n;
  const mse = sums.sqSum / n;
  const rmse = Math.sqrt(mse);
  if (n < 2) return { samples: n, mae: { value: mae, interval: undefined }, rmse: { value: rmse, interval: undefined }, notes: ['one sample: no interval'] };
  const z = normalQuantile(1 - alpha / 2);
  // Sample variances (n − 1) of |e| and of e².
  const varAbs = Math.max(0, (sums.sqSum - n * mae * mae) / (n - 1));
  const varSq = Math.max(0, (sums.quadSum - n * mse * mse) / (n - 1));
  const maeHalf = z * Math.sqrt(varAbs / n);
  const mseHalf = z * Math.sqrt(varSq / n);
  return {
    samples: n,
    mae: { value: mae, interval: { low: Math.max(0, mae - maeHalf), high: mae + maeHalf, method: 'normal', level: 1 - alpha } },
    rmse: {
      value: rmse,
      interval: { low: Math.sqrt(Math.max(0, mse - mseHalf)), high: Math.sqrt(mse + mseHalf), method: 'normal', level: 1 - alpha },
    },
    notes: [],
  };
}

// ------------------------------------------------------------------ outcome and cost

/** Outcome value per 1,000 predictions; undefined with no predictions. */
export function per1000(total: number, predictions: number): number | undefined {
  checkCount('predictions', predictions);
  if (!Number.isFinite(total)) throw new QualityInputError(`total must be finite (got ${total})`);
  return predictions === 0 ? undefined : (total / predictions) * 1000;
}

export interface PriceUsed {
  readonly instanceType: string;
  readonly pricePerHour: number;
  readonly currency: string;
  readonly asOf: string;
  readonly source: string;
}

export interface CostPer1000 {
  /** undefined for a variant with no invocations (nothing to divide by). */
  readonly value: number | undefined;
  readonly instanceHours: number;
  readonly invocations: number;
  readonly cost: number;
  readonly price: PriceUsed;
}

/** Cost per 1,000 predictions = instance-hours × price per hour / invocations × 1,000. */
export function costPer1000(instanceHours: number, invocations: number, price: PriceUsed): CostPer1000 {
  if (!Number.isFinite(instanceHours) || instanceHours < 0) throw new QualityInputError(`instanceHours must be >= 0 (got ${instanceHours})`);
  checkCount('invocations', invocations);
  if (!Number.isFinite(price.pricePerHour) || price.pricePerHour < 0) throw new QualityInputError(`price per hour must be >= 0 (got ${price.pricePerHour})`);
  const cost = instanceHours * price.pricePerHour;
  return { value: invocations === 0 ? undefined : (cost / invocations) * 1000, instanceHours, invocations, cost, price };
}
