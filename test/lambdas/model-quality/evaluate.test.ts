/**
 * evaluate() on hand-built result rows: when a variant's quality is judged (decay, the
 * PrimaryMetric figure), and when the evidence must say "not enough" instead of a number.
 */
import { evaluate } from '../../../lambdas/model-quality/evaluate';
import { QualityInputError } from '../../../lambdas/model-quality/statistics';
import type { EvaluationSettings, ResultRow } from '../../../lambdas/model-quality/evaluate';

const row = (p: Partial<ResultRow>): ResultRow => ({
  kind: 'class',
  variant: 'primary',
  bin: null,
  predicted: null,
  actual: null,
  n: '0',
  sum1: null,
  sum2: null,
  sum3: null,
  last_label_at: null,
  ...p,
});

/** A 'class' cell of n predictions that all scored `score`, with Brier moments. */
function cell(variant: string, score: number, actual: 0 | 1, n: number, threshold = 0.5): ResultRow {
  const e = score - actual;
  return row({
    variant,
    bin: String(Math.min(999, Math.floor(score * 1000))),
    predicted: score >= threshold ? '1' : '0',
    actual: String(actual),
    n: String(n),
    sum1: String(n * score),
    sum2: String(n * e * e),
    sum3: String(n * e ** 4),
  });
}

const SETTINGS: EvaluationSettings = {
  endpointName: 'fraud-detector-dev',
  modelName: 'fraud-detector',
  variants: ['primary'],
  problemType: 'binary_classification',
  primaryMetric: 'precision',
  threshold: 0.5,
  minSamples: 200,
  tolerance: 0.05,
  baseline: { value: 0.8, source: 'configured-floor' },
  coverageFloor: 0.05,
  labelDelayHours: 24,
  window: { start: '2030-01-10T00:00:00.000Z', end: '2030-01-11T00:00:00.000Z' },
  labelsUntil: '2030-01-12T00:00:00.000Z',
  runAt: '2030-01-12T00:00:00.000Z',
};

describe('judging a variant on its primary metric', () => {
  // 500 labelled predictions, well above minSamples = 200: 488 true negatives and 10 misses at
  // score 0.1, and only 2 predicted positive (score 0.9), both wrong. Precision = 0/2 and
  // recall = 0/10: numbers from 2 and 10 samples, not from 500.
  const rows: ResultRow[] = [
    row({ kind: 'traffic', n: '500', sum1: '500', sum2: '0', sum3: '3600' }),
    cell('primary', 0.1, 0, 488),
    cell('primary', 0.1, 1, 10),
    cell('primary', 0.9, 0, 2),
    row({ kind: 'labels', variant: null, n: '500', last_label_at: '2030-01-11T12:00:00.000Z' }),
  ];

  it('precision from 2 predicted positives is not judged, however many labels there are', () => {
    const evidence = evaluate(rows, SETTINGS);
    const v = evidence.variants[0]!;
    expect(v.classification!.samples).toBe(500);
    expect(v.primary.value).toBe(0);
    expect(v.judged).toBe(false);
    expect(v.decayed).toBe(false);
    expect(evidence.decay).toEqual([]);
    expect(v.notes.join(' ')).toContain('2 predicted positives');
  });

  it('recall from 10 positives is not judged either', () => {
    const evidence = evaluate(rows, { ...SETTINGS, primaryMetric: 'recall' });
    const v = evidence.variants[0]!;
    expect(v.primary.value).toBe(0);
    expect(v.judged).toBe(false);
    expect(evidence.decay).toEqual([]);
    expect(v.notes.join(' ')).toContain('10 labelled positives');
  });

  it('precision is judged once its own denominator reaches minSamples', () => {
    // 200 predicted positives, 120 right: precision 0.6 < 0.8 − 0.05 → decayed.
    const enough: ResultRow[] = [
      row({ kind: 'traffic', n: '700', sum1: '700', sum2: '0', sum3: '3600' }),
      cell('primary', 0.1, 0, 500),
      cell('primary', 0.9, 1, 120),
      cell('primary', 0.9, 0, 80),
      row({ kind: 'labels', variant: null, n: '700', last_label_at: '2030-01-11T12:00:00.000Z' }),
    ];
    const evidence = evaluate(enough, SETTINGS);
    expect(evidence.variants[0]!.judged).toBe(true);
    expect(evidence.decay).toEqual([{ variant: 'primary', metric: 'precision', value: 0.6, baseline: 0.8, tolerance: 0.05 }]);
  });

  it('AUC and calibration are still judged on every labelled prediction', () => {
    const evidence = evaluate(rows, { ...SETTINGS, primaryMetric: 'auc', baseline: { value: 0.9, source: 'configured-floor' } });
    const v = evidence.variants[0]!;
    // positives: 10 at 0.1; negatives: 488 at 0.1, 2 at 0.9 → wins 10 × (0 + ½ · 488) = 2440 of 10 × 490
    expect(v.primary.value).toBeCloseTo(2440 / 4900, 12);
    expect(v.judged).toBe(true);
    expect(evidence.decay.map((d) => d.variant)).toEqual(['primary']);
  });
});

describe('the A/B verdict needs exactly one challenger', () => {
  const abTest = { champion: 'primary', alpha: 0.05, minimumEffect: 0.01, guardrails: { p99LatencyIncrease: 0.1, errorRateIncrease: 0.005, costPer1000Increase: 0.2 } };
  const labels = row({ kind: 'labels', variant: null, n: '0', last_label_at: null });

  it('fails, rather than leaving the verdict out, when the champion is the only variant', () => {
    expect(() => evaluate([labels], { ...SETTINGS, primaryMetric: 'auc', abTest })).toThrow(QualityInputError);
    expect(() => evaluate([labels], { ...SETTINGS, primaryMetric: 'auc', abTest })).toThrow(/exactly one challenger; variants has none besides "primary"/);
  });

  it('fails, rather than comparing the first and ignoring the rest, with two challengers', () => {
    expect(() => evaluate([labels], { ...SETTINGS, primaryMetric: 'auc', variants: ['primary', 'blue', 'green'], abTest })).toThrow(/exactly one challenger; variants has 2 \(blue, green\)/);
  });

  it('fails when the champion is not a variant', () => {
    expect(() => evaluate([labels], { ...SETTINGS, primaryMetric: 'auc', variants: ['blue', 'green'], abTest })).toThrow(/champion "primary" is not one of the variants/);
  });
});

describe('capture that holds far fewer predictions than the endpoint served is not a quiet window', () => {
  // The window's labels are fresh and plentiful where there is capture; what is missing is capture.
  const labels = row({ kind: 'labels', variant: null, n: '40', last_label_at: '2030-01-11T12:00:00.000Z' });
  const traffic = (n: number) => row({ kind: 'traffic', n: String(n), sum1: String(n), sum2: '0', sum3: '3600' });

  it('40 captured predictions for 1,000 requests at 20% sampling (200 expected) make the evidence stale, saying why', () => {
    // GIVEN 1,000 invocations (CloudWatch) and 40 predictions in capture, every one labelled
    const evidence = evaluate([traffic(40), labels], { ...SETTINGS, captureSamplingPercent: 20 }, { primary: { invocations: 1000, errors: 0 } });
    // THEN coverage alone looks perfect (40 of 40), but the evidence is stale: capture is missing
    expect(evidence.staleness.coverage.value).toBe(1);
    expect(evidence.staleness.stale).toBe(true);
    expect(evidence.staleness.reasons).toEqual([
      'variant primary: capture holds 40 predictions for 1000 requests at 20% sampling (about 200 expected): data capture is missing, so this window\'s quality is not the endpoint\'s',
    ]);
  });

  it('a capture short of what was expected by less than half is not flagged (sampling noise, retries counted once)', () => {
    const evidence = evaluate([traffic(101), labels], { ...SETTINGS, captureSamplingPercent: 20 }, { primary: { invocations: 1000, errors: 0 } });
    expect(evidence.staleness).toMatchObject({ stale: false, reasons: [] });
  });

  it('too few requests to expect minSamples in capture, or no request count, is not flagged', () => {
    // 800 requests at 20% = 160 expected, below minSamples (200)
    expect(evaluate([traffic(0), labels], { ...SETTINGS, captureSamplingPercent: 20 }, { primary: { invocations: 800, errors: 0 } }).staleness.reasons).toEqual([]);
    // no Invocations datapoints at all (no request count): nothing to compare with
    expect(evaluate([traffic(0), labels], { ...SETTINGS, captureSamplingPercent: 20 }, {}).staleness.reasons).toEqual([]);
  });
});
