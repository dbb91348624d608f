/**
 * The A/B test: the always-valid property (A/A simulations with many looks keep the
 * false-positive rate under alpha, where a naive z-test does not), power on a real
 * difference, the interval formula against python, verdicts and guardrails.
 */
import { decide, LossSums, mixtureSprt, naiveZRejects, samplesStillNeeded } from '../../../lambdas/model-quality/ab-test';
import type { ArmGuardrailValues } from '../../../lambdas/model-quality/ab-test';
import { QualityInputError, seededRandom } from '../../../lambdas/model-quality/statistics';
import { python } from './python';

const TOL = 1e-9;

class Arm {
  n = 0;
  sum = 0;
  sumSq = 0;
  add(loss: number): void {
    this.n += 1;
    this.sum += loss;
    this.sumSq += loss * loss;
  }
  get sums(): LossSums {
    return { n: this.n, sum: this.sum, sumSq: this.sumSq };
  }
}

/** Runs `simulations` experiments, looking every `every` samples per arm; returns how many ever rejected. */
function simulate(seed: number, simulations: number, perArm: number, every: number, pA: number, pB: number): { msprt: number; naive: number } {
  const random = seededRandom(seed);
  let msprt = 0;
  let naive = 0;
  for (let s = 0; s < simulations; s++) {
    const a = new Arm();
    const b = new Arm();
    let m = false;
    let z = false;
    for (let i = 1; i <= perArm; i++) {
      a.add(random() < pA ? 1 : 0);
      b.add(random() < pB ? 1 : 0);
      if (i % every === 0) {
        if (!m && mixtureSprt(a.sums, b.sums, 0.02, 0.05).rejectsNoDifference) m = true;
        if (!z && naiveZRejects(a.sums, b.sums, 0.05)) z = true;
      }
    }
    if (m) msprt += 1;
    if (z) naive += 1;
  }
  return { msprt, naive };
}

const GOOD_RAILS: ArmGuardrailValues = { p99LatencyMs: 100, errorRate: 0.001, costPer1000: 0.3 };
const TOLERANCES = { p99LatencyIncrease: 0.1, errorRateIncrease: 0.005, costPer1000Increase: 0.2 };

describe('always valid under repeated looks', () => {
  it('A/A: 400 experiments looked at 100 times each reject "no difference" in at most alpha = 5% (seed fixed)', () => {
    // GIVEN two identical variants (Bernoulli losses, p = 0.2), looked at every 50 labels up to 5,000 per arm
    // WHEN the mSPRT and a naive z-test are evaluated at every look
    const { msprt, naive } = simulate(20261204, 400, 5000, 50, 0.2, 0.2);
    // THEN the sequential test's false-positive rate stays under alpha
    expect(msprt / 400).toBeLessThanOrEqual(0.05);
    // AND the naive p-value recomputed at every look does not (which is why it is not used)
    expect(naive / 400).toBeGreaterThan(0.1);
  });

  it('A/B: a real difference (0.20 vs 0.15 loss) is found in almost every experiment', () => {
    // GIVEN a challenger with less loss
    const { msprt } = simulate(7, 100, 5000, 50, 0.15, 0.2);
    // THEN the test rejects in at least 90 % of experiments
    expect(msprt / 100).toBeGreaterThanOrEqual(0.9);
  });
});

describe('the interval and likelihood ratio against an independent computation', () => {
  it('match python to 1e-9', () => {
    // GIVEN two arms' loss sums
    const ch: LossSums = { n: 800, sum: 120, sumSq: 120 };
    const cp: LossSums = { n: 1200, sum: 250, sumSq: 250 };
    // WHEN the test is computed
    const r = mixtureSprt(ch, cp, 0.03, 0.05);
    const ref = python<{ d: number; lo: number; hi: number; llr: number }>(
      `
import json, sys, math
d = json.load(sys.stdin)
def mv(a):
    m = a['sum'] / a['n']; return m, (a['sumSq'] - a['n'] * m * m) / (a['n'] - 1)
m1, v1 = mv(d['ch']); m2, v2 = mv(d['cp'])
v = v1 / d['ch']['n'] + v2 / d['cp']['n']; t2 = 0.03 ** 2; a = 0.05; diff = m1 - m2
h = math.sqrt(v * (v + t2) / t2 * (2 * math.log(1 / a) + math.log((v + t2) / v)))
llr = 0.5 * math.log(v / (v + t2)) + t2 * diff * diff / (2 * v * (v + t2))
print(json.dumps({'d': diff, 'lo': diff - h, 'hi': diff + h, 'llr': llr}))
`,
      { ch, cp },
    );
    // THEN identical to 1e-9
    expect(Math.abs(r.difference - ref.d)).toBeLessThan(TOL);
    expect(Math.abs(r.interval.low - ref.lo)).toBeLessThan(TOL);
    expect(Math.abs(r.interval.high - ref.hi)).toBeLessThan(TOL);
    expect(Math.abs(r.logLikelihoodRatio - ref.llr)).toBeLessThan(TOL);
  });

  it('the interval is wider than a fixed-sample one (the price of looking any time)', () => {
    const r = mixtureSprt({ n: 1000, sum: 200, sumSq: 200 }, { n: 1000, sum: 200, sumSq: 200 }, 0.02);
    const fixedHalf = 1.959963984540054 * Math.sqrt(r.variance);
    expect(r.interval.high - r.difference).toBeGreaterThan(fixedHalf);
  });
});

describe('verdicts', () => {
  const arm = (n: number, rate: number): LossSums => ({ n, sum: Math.round(n * rate), sumSq: Math.round(n * rate) });
  const base = { minimumEffect: 0.02, minSamples: 100, lossName: 'miss rate', guardrails: { challenger: GOOD_RAILS, champion: GOOD_RAILS, tolerances: TOLERANCES } };

  it('challenger-better when the interval is below 0 and every guardrail passes', () => {
    const d = decide({ ...base, challenger: arm(20_000, 0.15), champion: arm(20_000, 0.2) });
    expect(d.verdict).toBe('challenger-better');
    expect(d.test!.interval.high).toBeLessThan(0);
    expect(d.guardrails.map((g) => g.status)).toEqual(['pass', 'pass', 'pass']);
    expect(d.reasons[0]).toContain('lower');
  });

  it('champion-better when the challenger is worse', () => {
    const d = decide({ ...base, challenger: arm(20_000, 0.25), champion: arm(20_000, 0.2) });
    expect(d.verdict).toBe('champion-better');
  });

  it('champion-better when a better challenger breaks the p99 latency guardrail', () => {
    const d = decide({
      ...base,
      challenger: arm(20_000, 0.15),
      champion: arm(20_000, 0.2),
      guardrails: { ...base.guardrails, challenger: { ...GOOD_RAILS, p99LatencyMs: 111 } },
    });
    expect(d.verdict).toBe('champion-better');
    expect(d.reasons.join(' ')).toContain('p99LatencyMs');
  });

  it('keep-collecting when a better challenger has an unmeasured guardrail', () => {
    const d = decide({
      ...base,
      challenger: arm(20_000, 0.15),
      champion: arm(20_000, 0.2),
      guardrails: { ...base.guardrails, challenger: { ...GOOD_RAILS, costPer1000: undefined } },
    });
    expect(d.verdict).toBe('keep-collecting');
    expect(d.reasons.join(' ')).toContain('costPer1000');
  });

  it('keep-collecting with the samples still needed when the interval contains 0', () => {
    const d = decide({ ...base, challenger: arm(500, 0.18), champion: arm(500, 0.2) });
    expect(d.verdict).toBe('keep-collecting');
    expect(d.samplesStillNeeded).toBeGreaterThan(0);
    // AND collecting that many more (same means) would make the interval exclude 0
    const k = 1 + d.samplesStillNeeded! / 1000;
    const later = mixtureSprt(arm(Math.round(500 * k), 0.18), arm(Math.round(500 * k), 0.2), 0.02);
    expect(later.interval.high).toBeLessThan(0.0005);
  });

  it('keep-collecting below the minimum sample size, for a zero-traffic variant too', () => {
    const d = decide({ ...base, challenger: { n: 0, sum: 0, sumSq: 0 }, champion: arm(5000, 0.2) });
    expect(d).toMatchObject({ verdict: 'keep-collecting', samplesStillNeeded: 100, test: undefined });
    expect(d.reasons[0]).toContain('challenger has 0 labelled samples');
  });

  it('samplesStillNeeded is 0 once the interval already excludes 0', () => {
    expect(samplesStillNeeded(arm(20_000, 0.15), arm(20_000, 0.2), 0.02)).toBe(0);
  });

  it.each<[string, () => unknown]>([
    ['minimumEffect 0', () => mixtureSprt(arm(10, 0.1), arm(10, 0.1), 0)],
    ['alpha 1', () => mixtureSprt(arm(10, 0.1), arm(10, 0.1), 0.1, 1)],
    ['one sample', () => mixtureSprt({ n: 1, sum: 1, sumSq: 1 }, arm(10, 0.1), 0.1)],
    ['NaN sums', () => mixtureSprt({ n: 10, sum: NaN, sumSq: 1 }, arm(10, 0.1), 0.1)],
  ])('refuses %s', (_n, run) => {
    expect(run).toThrow(QualityInputError);
  });
});
