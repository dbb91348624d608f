/**
 * The A/B verdict across runs. The mSPRT is always valid for ONE growing stream of data looked at
 * any number of times; each quality run evaluates a new window. Judging every window on its own
 * data makes every run a new test, so a false verdict becomes likely over enough runs. These
 * tests hold the verdict to the running totals (accumulate), and show with a fixed-seed A/A
 * simulation through evaluate() that the totals keep the false-verdict rate under alpha where
 * window-by-window verdicts do not.
 */
import { accumulate, evaluate } from '../../../lambdas/model-quality/evaluate';
import type { CumulativeAb, EvaluationSettings, Evidence, ResultRow } from '../../../lambdas/model-quality/evaluate';
import { seededRandom } from '../../../lambdas/model-quality/statistics';

const DAY = 86_400_000;
const T0 = Date.parse('2030-01-10T00:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

/** Run `k` (0-based) of a daily job: window [T0 + k days, T0 + k + 1 days), run a day after. */
function settings(k: number, over: Partial<EvaluationSettings> = {}): EvaluationSettings {
  return {
    endpointName: 'fraud-detector-dev',
    modelName: 'fraud-detector',
    variants: ['primary', 'challenger'],
    problemType: 'regression',
    primaryMetric: 'mae',
    threshold: 0.5,
    minSamples: 100,
    tolerance: 0.05,
    baseline: { value: 0.5, source: 'configured-floor' },
    coverageFloor: 0,
    labelDelayHours: 24,
    abTest: { champion: 'primary', alpha: 0.05, minimumEffect: 0.02, guardrails: { p99LatencyIncrease: 0.1, errorRateIncrease: 0.005, costPer1000Increase: 0.2 } },
    window: { start: iso(T0 + k * DAY), end: iso(T0 + (k + 1) * DAY) },
    labelsUntil: iso(T0 + (k + 2) * DAY),
    runAt: iso(T0 + (k + 2) * DAY),
    variantModels: { primary: 'fd-primary-v1', challenger: 'fd-challenger-v2' },
    ...over,
  };
}

/** Result rows of one window: per variant n labelled predictions whose absolute errors are 0 or 1 (errors = how many are 1). */
function rows(window: Record<string, { n: number; errors: number }>): ResultRow[] {
  const nul = { bin: null, predicted: null, actual: null, last_label_at: null };
  return [
    ...Object.entries(window).flatMap(([variant, { n, errors }]) => [
      { kind: 'traffic', variant, n: String(n), sum1: String(n), sum2: '0', sum3: null, ...nul },
      { kind: 'reg', variant, n: String(n), sum1: String(errors), sum2: String(errors), sum3: String(errors), ...nul },
    ]),
    { kind: 'labels', variant: null, n: '1', sum1: null, sum2: null, sum3: null, bin: null, predicted: null, actual: null, last_label_at: iso(T0) },
  ];
}

/** Guardrail figures that pass, so the verdict depends on the test alone. */
const OPERATIONAL = {
  primary: { p99LatencyMs: 100, invocations: 1_000_000, errors: 0, instanceHours: 24, price: { instanceType: 'ml.m5.large', pricePerHour: 0.1, currency: 'USD', asOf: '2026-11-22', source: 'test' } },
  challenger: { p99LatencyMs: 100, invocations: 1_000_000, errors: 0, instanceHours: 24, price: { instanceType: 'ml.m5.large', pricePerHour: 0.1, currency: 'USD', asOf: '2026-11-22', source: 'test' } },
};

describe('the A/B verdict is judged on every window of the experiment so far', () => {
  it('the second run adds its window to the first run\'s totals (hand-computed sums)', () => {
    // GIVEN day 1: 300 labels per arm, 60 and 75 errors; day 2: 200 per arm, 40 and 30 errors
    const first = evaluate(rows({ primary: { n: 300, errors: 60 }, challenger: { n: 300, errors: 75 } }), settings(0), OPERATIONAL);
    expect(first.abTest!.accumulation).toBe('started');
    // WHEN day 2 runs with day 1's totals
    const second = evaluate(rows({ primary: { n: 200, errors: 40 }, challenger: { n: 200, errors: 30 } }), settings(1), OPERATIONAL, first.abTest!.cumulative);
    // THEN the test is on 500 labels per arm: 100 and 105 errors (losses are 0/1, so Σloss² = Σloss)
    expect(second.abTest!.accumulation).toBe('added');
    expect(second.abTest!.cumulative).toEqual({
      champion: 'primary',
      challenger: 'challenger',
      championModel: 'fd-primary-v1',
      challengerModel: 'fd-challenger-v2',
      loss: 'absolute error',
      alpha: 0.05,
      minimumEffect: 0.02,
      since: '2030-01-10T00:00:00.000Z',
      through: '2030-01-12T00:00:00.000Z',
      windows: 2,
      challengerSums: { n: 500, sum: 105, sumSq: 105 },
      championSums: { n: 500, sum: 100, sumSq: 100 },
    });
    expect(second.abTest!.test!.difference).toBeCloseTo(105 / 500 - 100 / 500, 12);
    // AND this window's own sums are kept beside the totals
    expect(second.abTest!.window).toEqual({ challenger: { n: 200, sum: 30, sumSq: 30 }, champion: { n: 200, sum: 40, sumSq: 40 } });
    expect(second.abTest!.reasons.at(-1)).toBe('judged on the labelled predictions of 2 window(s) since 2030-01-10T00:00:00.000Z');
  });

  it('a retried run (its window already counted) or an overlapping window is not added twice', () => {
    const previous: CumulativeAb = accumulate(undefined, identity(), { start: iso(T0), end: iso(T0 + DAY) }, { challenger: { n: 10, sum: 1, sumSq: 1 }, champion: { n: 10, sum: 2, sumSq: 2 } }).cumulative;
    // the same window again (a Step Functions retry after latest.json was written)
    expect(accumulate(previous, identity(), { start: iso(T0), end: iso(T0 + DAY) }, { challenger: { n: 10, sum: 1, sumSq: 1 }, champion: { n: 10, sum: 2, sumSq: 2 } })).toEqual({ cumulative: previous, accumulation: 'kept' });
    // a 24-hour window run hourly: it overlaps what is counted
    expect(accumulate(previous, identity(), { start: iso(T0 + 3_600_000), end: iso(T0 + DAY + 3_600_000) }, { challenger: { n: 9, sum: 1, sumSq: 1 }, champion: { n: 9, sum: 1, sumSq: 1 } }).accumulation).toBe('kept');
    // a window after a missed run (a gap) is added: skipping data does not bias the test
    const gap = accumulate(previous, identity(), { start: iso(T0 + 2 * DAY), end: iso(T0 + 3 * DAY) }, { challenger: { n: 5, sum: 1, sumSq: 1 }, champion: { n: 5, sum: 0, sumSq: 0 } });
    expect(gap.accumulation).toBe('added');
    expect(gap.cumulative).toMatchObject({ windows: 2, through: iso(T0 + 3 * DAY), challengerSums: { n: 15, sum: 2, sumSq: 2 }, championSums: { n: 15, sum: 2, sumSq: 2 } });
  });

  it('a new challenger model, another champion, loss, alpha or minimum effect starts a new experiment, and says why', () => {
    const previous = accumulate(undefined, identity(), { start: iso(T0), end: iso(T0 + DAY) }, { challenger: { n: 10, sum: 1, sumSq: 1 }, champion: { n: 10, sum: 2, sumSq: 2 } }).cumulative;
    const next = { start: iso(T0 + DAY), end: iso(T0 + 2 * DAY) };
    const sums = { challenger: { n: 7, sum: 1, sumSq: 1 }, champion: { n: 7, sum: 1, sumSq: 1 } };
    const redeployed = accumulate(previous, { ...identity(), challengerModel: 'fd-challenger-v3' }, next, sums);
    expect(redeployed).toMatchObject({ accumulation: 'started', restartedBecause: 'challengerModel "fd-challenger-v2" -> "fd-challenger-v3"', cumulative: { since: next.start, windows: 1, challengerSums: sums.challenger } });
    for (const change of [{ champion: 'challenger', challenger: 'primary' }, { loss: 'squared error' }, { alpha: 0.01 }, { minimumEffect: 0.05 }]) {
      expect(accumulate(previous, { ...identity(), ...change }, next, sums).accumulation).toBe('started');
    }
  });
});

function identity(): Omit<CumulativeAb, 'since' | 'through' | 'windows' | 'challengerSums' | 'championSums'> {
  return { champion: 'primary', challenger: 'challenger', championModel: 'fd-primary-v1', challengerModel: 'fd-challenger-v2', loss: 'absolute error', alpha: 0.05, minimumEffect: 0.02 };
}

describe('always valid across runs (A/A simulation through evaluate, seed fixed)', () => {
  /** Binomial(n, p) by the normal approximation (n p (1 − p) = 800 here), from the seeded generator. */
  function binomial(random: () => number, n: number, p: number): number {
    const z = Math.sqrt(-2 * Math.log(Math.max(random(), Number.MIN_VALUE))) * Math.cos(2 * Math.PI * random());
    return Math.min(n, Math.max(0, Math.round(n * p + Math.sqrt(n * p * (1 - p)) * z)));
  }

  /** Experiments of `runs` daily windows with no difference; how many ever got a verdict other than keep-collecting. */
  function falseVerdicts(experiments: number, runs: number, carry: boolean): number {
    const random = seededRandom(20261205);
    let wrong = 0;
    for (let x = 0; x < experiments; x++) {
      let previous: CumulativeAb | undefined;
      for (let k = 0; k < runs; k++) {
        const n = 5000;
        const evidence: Evidence = evaluate(
          rows({ primary: { n, errors: binomial(random, n, 0.2) }, challenger: { n, errors: binomial(random, n, 0.2) } }),
          settings(k),
          OPERATIONAL,
          carry ? previous : undefined,
        );
        previous = evidence.abTest!.cumulative;
        if (evidence.abTest!.verdict !== 'keep-collecting') {
          wrong += 1;
          break;
        }
      }
    }
    return wrong;
  }

  it('300 A/A experiments of 60 daily windows (5,000 labels per arm each): at most alpha = 5% ever get a verdict; window-by-window verdicts do not stay under it', () => {
    // WHEN each run adds its window to the totals (what the job does)
    const cumulative = falseVerdicts(300, 60, true);
    // THEN the false-verdict rate stays under alpha
    expect(cumulative / 300).toBeLessThanOrEqual(0.05);
    // AND judging each window alone (what the job did before) exceeds it: each run is a new test
    const perWindow = falseVerdicts(300, 60, false);
    expect(perWindow / 300).toBeGreaterThan(0.05);
  });
});
