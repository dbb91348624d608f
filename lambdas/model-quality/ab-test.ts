/**
 * The A/B verdict: champion vs challenger, valid however often someone looks.
 *
 * The test is a mixture sequential probability ratio test (mSPRT; Robbins 1970, as used for
 * always-valid A/B inference by Johari, Pekelis and Walsh, "Always valid inference", 2017).
 * Each labelled prediction contributes a per-prediction loss (lower is better): the absolute
 * error (MAE), the squared error (RMSE), the Brier score (AUC and calibration: a proper score
 * that rewards both ranking and calibration), a miss among positives (recall) or a false alarm
 * among predicted positives (precision). The estimate of the difference is
 *
 *     θ̂ = mean loss(challenger) − mean loss(champion),   v = s²_ch/n_ch + s²_cp/n_cp,
 *
 * and with a normal mixing distribution N(0, τ²) over the true difference the mixture
 * likelihood ratio against θ = θ₀ is
 *
 *     Λ(θ₀) = sqrt(v / (v + τ²)) · exp( τ² (θ̂ − θ₀)² / (2 v (v + τ²)) ).
 *
 * Λ(0) is a nonnegative martingale under "no difference", so by Ville's inequality the chance
 * that it EVER reaches 1/α — at any of arbitrarily many looks — is at most α. Inverting it
 * gives the always-valid interval {θ₀ : Λ(θ₀) < 1/α}:
 *
 *     θ̂ ± sqrt( v (v + τ²) / τ² · (2 ln(1/α) + ln((v + τ²) / v)) ).
 *
 * The guarantee is asymptotic (θ̂ approximately normal, v estimated), like every test on
 * means; the A/A simulation in the tests checks it holds with hundreds of looks.
 * τ is the configured `minimumEffect` (the smallest difference worth acting on).
 *
 * Verdict (challenger vs champion):
 *   - keep-collecting   either arm has fewer than minSamples labels, or the interval contains
 *                       0, or a guardrail could not be measured; with the samples still needed;
 *   - challenger-better the whole interval is below 0 (less loss) AND every guardrail passes;
 *   - champion-better   the whole interval is above 0, or the challenger breaks a guardrail.
 * Nothing here shifts traffic: a person promotes.
 */

import { DEFAULT_ALPHA, normalQuantile, QualityInputError } from './statistics';

export type Verdict = 'challenger-better' | 'champion-better' | 'keep-collecting';

/** n, Σloss, Σloss² of one arm. */
export interface LossSums {
  readonly n: number;
  readonly sum: number;
  readonly sumSq: number;
}

export interface SequentialResult {
  /** mean loss(challenger) − mean loss(champion): negative = challenger better. */
  readonly difference: number;
  readonly interval: { low: number; high: number; method: 'always-valid'; level: number };
  /** ln Λ(0). */
  readonly logLikelihoodRatio: number;
  readonly rejectsNoDifference: boolean;
  readonly variance: number;
}

function armMoments(arm: LossSums, name: string): { mean: number; variance: number } {
  if (!Number.isSafeInteger(arm.n) || arm.n < 2) throw new QualityInputError(`${name} needs at least 2 samples (got ${arm.n})`);
  if (!Number.isFinite(arm.sum) || !Number.isFinite(arm.sumSq) || arm.sumSq < 0) throw new QualityInputError(`${name} sums must be finite`);
  const mean = arm.sum / arm.n;
  return { mean, variance: Math.max(0, (arm.sumSq - arm.n * mean * mean) / (arm.n - 1)) };
}

/** Half-width of the always-valid interval for estimate variance v. */
export function alwaysValidHalfWidth(v: number, tau2: number, alpha: number): number {
  if (v === 0) return 0;
  return Math.sqrt(((v * (v + tau2)) / tau2) * (2 * Math.log(1 / alpha) + Math.log((v + tau2) / v)));
}

export function mixtureSprt(challenger: LossSums, champion: LossSums, minimumEffect: number, alpha = DEFAULT_ALPHA): SequentialResult {
  if (!(minimumEffect > 0) || !Number.isFinite(minimumEffect)) throw new QualityInputError(`minimumEffect must be > 0 (got ${minimumEffect})`);
  if (!(alpha > 0 && alpha < 1)) throw new QualityInputError(`alpha must be in (0, 1) (got ${alpha})`);
  const ch = armMoments(challenger, 'challenger');
  const cp = armMoments(champion, 'champion');
  const tau2 = minimumEffect * minimumEffect;
  // A zero-variance arm (every loss equal) still has sampling uncertainty; floor v at the
  // variance of a single Bernoulli(1/n) observation so the interval is never a point.
  const floor = 1 / (challenger.n * challenger.n) + 1 / (champion.n * champion.n);
  const v = Math.max(ch.variance / challenger.n + cp.variance / champion.n, floor);
  const difference = ch.mean - cp.mean;
  const logLambda = 0.5 * Math.log(v / (v + tau2)) + (tau2 * difference * difference) / (2 * v * (v + tau2));
  const half = alwaysValidHalfWidth(v, tau2, alpha);
  return {
    difference,
    interval: { low: difference - half, high: difference + half, method: 'always-valid', level: 1 - alpha },
    logLikelihoodRatio: logLambda,
    rejectsNoDifference: logLambda >= Math.log(1 / alpha),
    variance: v,
  };
}

/** Additional labelled samples (both arms, same split) until the interval would exclude 0 at the same means and variances. */
export function samplesStillNeeded(challenger: LossSums, champion: LossSums, minimumEffect: number, alpha = DEFAULT_ALPHA): number {
  const r = mixtureSprt(challenger, champion, minimumEffect, alpha);
  const tau2 = minimumEffect * minimumEffect;
  // Aim at the observed difference, or at the minimum effect when the observed one is smaller.
  const target = Math.max(Math.abs(r.difference), minimumEffect);
  if (alwaysValidHalfWidth(r.variance, tau2, alpha) < target) return 0;
  let lo = 1;
  let hi = 2;
  while (alwaysValidHalfWidth(r.variance / hi, tau2, alpha) >= target) {
    hi *= 2;
    if (hi > 1e9) return Number.POSITIVE_INFINITY;
  }
  while (hi - lo > 1e-6 * hi) {
    const mid = (lo + hi) / 2;
    if (alwaysValidHalfWidth(r.variance / mid, tau2, alpha) >= target) lo = mid;
    else hi = mid;
  }
  return Math.ceil((hi - 1) * (challenger.n + champion.n));
}

export interface Guardrail {
  readonly name: 'p99LatencyMs' | 'errorRate' | 'costPer1000';
  readonly champion: number | undefined;
  readonly challenger: number | undefined;
  /** Largest allowed challenger value. */
  readonly limit: number | undefined;
  readonly status: 'pass' | 'fail' | 'unknown';
}

export interface GuardrailTolerances {
  /** Challenger p99 may be at most this fraction above the champion's (0.1 = +10 %). */
  readonly p99LatencyIncrease: number;
  /** Challenger error rate may be at most this much above the champion's (absolute, 0.005 = +0.5 points). */
  readonly errorRateIncrease: number;
  /** Challenger cost per 1,000 may be at most this fraction above the champion's. */
  readonly costPer1000Increase: number;
}

export interface ArmGuardrailValues {
  readonly p99LatencyMs: number | undefined;
  readonly errorRate: number | undefined;
  readonly costPer1000: number | undefined;
}

export function guardrails(challenger: ArmGuardrailValues, champion: ArmGuardrailValues, tol: GuardrailTolerances): Guardrail[] {
  const one = (name: Guardrail['name'], limitOf: (c: number) => number): Guardrail => {
    const cp = champion[name];
    const ch = challenger[name];
    if (cp === undefined || ch === undefined) return { name, champion: cp, challenger: ch, limit: undefined, status: 'unknown' };
    const limit = limitOf(cp);
    return { name, champion: cp, challenger: ch, limit, status: ch <= limit ? 'pass' : 'fail' };
  };
  return [
    one('p99LatencyMs', (c) => c * (1 + tol.p99LatencyIncrease)),
    one('errorRate', (c) => c + tol.errorRateIncrease),
    one('costPer1000', (c) => c * (1 + tol.costPer1000Increase)),
  ];
}

export interface AbDecision {
  readonly verdict: Verdict;
  readonly reasons: string[];
  readonly samplesStillNeeded: number | undefined;
  readonly test: SequentialResult | undefined;
  readonly guardrails: Guardrail[];
}

export interface AbInput {
  readonly challenger: LossSums;
  readonly champion: LossSums;
  readonly minimumEffect: number;
  readonly minSamples: number;
  readonly alpha?: number;
  readonly guardrails: { challenger: ArmGuardrailValues; champion: ArmGuardrailValues; tolerances: GuardrailTolerances };
  /** What the loss is (e.g. "Brier score"), for the reasons. */
  readonly lossName: string;
}

export function decide(input: AbInput): AbDecision {
  const alpha = input.alpha ?? DEFAULT_ALPHA;
  const rails = guardrails(input.guardrails.challenger, input.guardrails.champion, input.guardrails.tolerances);
  const short = [
    ['challenger', input.challenger.n],
    ['champion', input.champion.n],
  ].filter(([, n]) => (n as number) < Math.max(2, input.minSamples)) as Array<[string, number]>;
  if (short.length > 0) {
    const missing = short.reduce((s, [, n]) => s + Math.max(2, input.minSamples) - n, 0);
    return {
      verdict: 'keep-collecting',
      reasons: short.map(([arm, n]) => `${arm} has ${n} labelled samples; at least ${input.minSamples} are needed before any verdict`),
      samplesStillNeeded: missing,
      test: undefined,
      guardrails: rails,
    };
  }
  const test = mixtureSprt(input.challenger, input.champion, input.minimumEffect, alpha);
  const fmt = (x: number): string => x.toPrecision(3);
  const ci = `[${fmt(test.interval.low)}, ${fmt(test.interval.high)}]`;
  const failed = rails.filter((g) => g.status === 'fail');
  const unknown = rails.filter((g) => g.status === 'unknown');
  const guardrailReasons = failed.map((g) => `challenger breaks the ${g.name} guardrail: ${fmt(g.challenger!)} > limit ${fmt(g.limit!)}`);
  if (test.interval.low > 0) {
    return {
      verdict: 'champion-better',
      reasons: [`challenger's ${input.lossName} is higher by ${fmt(test.difference)} (always-valid ${100 * (1 - alpha)}% interval ${ci} excludes 0)`, ...guardrailReasons],
      samplesStillNeeded: 0,
      test,
      guardrails: rails,
    };
  }
  if (failed.length > 0) {
    return { verdict: 'champion-better', reasons: guardrailReasons, samplesStillNeeded: 0, test, guardrails: rails };
  }
  if (test.interval.high < 0) {
    if (unknown.length > 0) {
      return {
        verdict: 'keep-collecting',
        reasons: [
          `challenger's ${input.lossName} is lower by ${fmt(-test.difference)} (interval ${ci}), but guardrails could not be measured: ${unknown.map((g) => g.name).join(', ')}`,
        ],
        samplesStillNeeded: 0,
        test,
        guardrails: rails,
      };
    }
    return {
      verdict: 'challenger-better',
      reasons: [`challenger's ${input.lossName} is lower by ${fmt(-test.difference)} (always-valid ${100 * (1 - alpha)}% interval ${ci} excludes 0); every guardrail passes`],
      samplesStillNeeded: 0,
      test,
      guardrails: rails,
    };
  }
  const needed = samplesStillNeeded(input.challenger, input.champion, input.minimumEffect, alpha);
  return {
    verdict: 'keep-collecting',
    reasons: [`the difference in ${input.lossName} is ${fmt(test.difference)} and its always-valid interval ${ci} still contains 0`],
    samplesStillNeeded: needed,
    test,
    guardrails: rails,
  };
}

/** Two-sided fixed-sample z interval, for contrast in tests and docs only: NOT valid under repeated looks. */
export function naiveZRejects(challenger: LossSums, champion: LossSums, alpha = DEFAULT_ALPHA): boolean {
  const ch = armMoments(challenger, 'challenger');
  const cp = armMoments(champion, 'champion');
  const v = ch.variance / challenger.n + cp.variance / champion.n;
  if (v === 0) return false;
  return Math.abs(ch.mean - cp.mean) / Math.sqrt(v) > normalQuantile(1 - alpha / 2);
}
