/**
 * Quality statistics against an independent computation: numpy/scipy (python3) on the raw
 * samples the aggregates were built from, to 1e-9, plus the edge cases of the issue.
 */
import {
  aucFromBins,
  bootstrapCells,
  calibrationError,
  classificationQuality,
  ClassCell,
  confusion,
  costPer1000,
  normalQuantile,
  per1000,
  percentile,
  proportion,
  QualityInputError,
  regressionQuality,
  SCORE_BINS,
  seededRandom,
  wilson,
} from '../../../lambdas/model-quality/statistics';
import { python } from './python';

const TOL = 1e-9;

interface Sample {
  score: number;
  actual: boolean;
}

/** Cells as the SQL builds them: bin = floor(score × 1000), predicted = score >= threshold. */
function cellsOf(samples: readonly Sample[], threshold: number): ClassCell[] {
  const map = new Map<string, { bin: number; predicted: boolean; actual: boolean; n: number; scoreSum: number }>();
  for (const s of samples) {
    const bin = Math.min(SCORE_BINS - 1, Math.floor(s.score * SCORE_BINS));
    const predicted = s.score >= threshold;
    const key = `${bin}|${predicted}|${s.actual}`;
    const c = map.get(key) ?? { bin, predicted, actual: s.actual, n: 0, scoreSum: 0 };
    c.n += 1;
    c.scoreSum += s.score;
    map.set(key, c);
  }
  return [...map.values()];
}

/** Scores that sit on one value per bin (the bin's midpoint), so binned AUC = exact AUC. */
function samplesFrom(seed: number, n: number, positiveRate: number, separation: number): Sample[] {
  const random = seededRandom(seed);
  const out: Sample[] = [];
  for (let i = 0; i < n; i++) {
    const actual = random() < positiveRate;
    const raw = Math.min(0.999, Math.max(0, random() * (1 - separation) + (actual ? separation : 0)));
    out.push({ score: (Math.floor(raw * SCORE_BINS) + 0.5) / SCORE_BINS, actual });
  }
  return out;
}

const PY_CLASSIFICATION = `
import json, sys
import numpy as np
from scipy import stats
d = json.load(sys.stdin)
s = np.array([x['score'] for x in d['samples']], dtype=float)
y = np.array([x['actual'] for x in d['samples']], dtype=bool)
t = d['threshold']
pred = s >= t
tp = int(np.sum(pred & y)); fp = int(np.sum(pred & ~y)); fn = int(np.sum(~pred & y)); tn = int(np.sum(~pred & ~y))
auc = None
if y.any() and (~y).any():
    u = stats.mannwhitneyu(s[y], s[~y], alternative='two-sided').statistic
    auc = float(u) / (y.sum() * (~y).sum())
k = np.minimum(np.floor(s * 10).astype(int), 9)
ece = 0.0
for b in range(10):
    m = k == b
    if m.sum() > 0:
        ece += m.sum() / len(s) * abs(s[m].mean() - y[m].mean())
z = stats.norm.ppf(1 - d['alpha'] / 2)
def wilson(k, n):
    if n == 0: return None
    p = k / n
    c = (p + z*z/(2*n)) / (1 + z*z/n)
    h = z / (1 + z*z/n) * np.sqrt(p*(1-p)/n + z*z/(4*n*n))
    return [max(0.0, c - h), min(1.0, c + h)]
print(json.dumps({'tp': tp, 'fp': fp, 'fn': fn, 'tn': tn, 'auc': auc, 'ece': float(ece),
  'precision': tp / (tp + fp) if tp + fp else None, 'recall': tp / (tp + fn) if tp + fn else None,
  'precisionCi': wilson(tp, tp + fp), 'recallCi': wilson(tp, tp + fn)}))
`;

interface PyClassification {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  auc: number | null;
  ece: number;
  precision: number | null;
  recall: number | null;
  precisionCi: [number, number] | null;
  recallCi: [number, number] | null;
}

function expectClose(actual: number | undefined, expected: number | null | undefined): void {
  if (expected === null || expected === undefined) {
    expect(actual).toBeUndefined();
    return;
  }
  expect(actual).toBeDefined();
  expect(Math.abs((actual as number) - expected)).toBeLessThanOrEqual(TOL);
}

describe('classification metrics against scipy/numpy', () => {
  it.each([
    ['a balanced, well separated sample', 11, 2000, 0.5, 0.4, 0.5],
    ['a rare positive class (fraud-like)', 12, 5000, 0.03, 0.5, 0.8],
    ['overlapping classes', 13, 800, 0.3, 0.05, 0.3],
    ['a tiny sample (n = 7)', 14, 7, 0.5, 0.3, 0.5],
  ])('%s', (_name, seed, n, rate, separation, threshold) => {
    // GIVEN raw scored and labelled predictions, and the cells the SQL would build from them
    const samples = samplesFrom(seed, n, rate, separation);
    const cells = cellsOf(samples, threshold);
    // WHEN the metrics are computed from the cells
    const q = classificationQuality(cells, 0.05);
    // THEN they match scipy/numpy on the raw samples to 1e-9
    const ref = python<PyClassification>(PY_CLASSIFICATION, { samples, threshold, alpha: 0.05 });
    expect(q.confusion).toEqual({ tp: ref.tp, fp: ref.fp, fn: ref.fn, tn: ref.tn });
    expectClose(q.auc.value, ref.auc);
    expectClose(q.calibrationError.value, ref.ece);
    expectClose(q.precision.value, ref.precision);
    expectClose(q.recall.value, ref.recall);
    expectClose(q.precision.interval?.low, ref.precisionCi?.[0]);
    expectClose(q.precision.interval?.high, ref.precisionCi?.[1]);
    expectClose(q.recall.interval?.low, ref.recallCi?.[0]);
    expectClose(q.recall.interval?.high, ref.recallCi?.[1]);
  });

  it('ties in scores count one half, as in Mann-Whitney', () => {
    // GIVEN every positive and negative sharing the same few scores
    const samples: Sample[] = [];
    for (const [score, pos, neg] of [[0.2005, 3, 5], [0.5005, 4, 4], [0.9005, 6, 1]] as const) {
      for (let i = 0; i < pos; i++) samples.push({ score, actual: true });
      for (let i = 0; i < neg; i++) samples.push({ score, actual: false });
    }
    // WHEN the AUC is computed from the cells
    const auc = aucFromBins(cellsOf(samples, 0.5));
    // THEN it equals scipy's U/(P·N) and the hand computation: (3·2.5 + 4·(5+2) + 6·(9+0.5)) / (13·10)
    const ref = python<PyClassification>(PY_CLASSIFICATION, { samples, threshold: 0.5, alpha: 0.05 });
    expectClose(auc, ref.auc);
    expectClose(auc, (3 * 2.5 + 4 * (5 + 2) + 6 * (9 + 0.5)) / 130);
  });

  it('a hand-computed fixture: AUC, confusion, precision, recall, ECE', () => {
    // GIVEN 4 predictions: scores .9 (pos), .8 (neg), .3 (pos), .1 (neg); threshold .5
    const cells: ClassCell[] = [
      { bin: 900, predicted: true, actual: true, n: 1, scoreSum: 0.9 },
      { bin: 800, predicted: true, actual: false, n: 1, scoreSum: 0.8 },
      { bin: 300, predicted: false, actual: true, n: 1, scoreSum: 0.3 },
      { bin: 100, predicted: false, actual: false, n: 1, scoreSum: 0.1 },
    ];
    // WHEN measured
    const q = classificationQuality(cells);
    // THEN pairs (pos,neg): (.9,.8) win, (.9,.1) win, (.3,.8) loss, (.3,.1) win → AUC 3/4
    expectClose(q.auc.value, 0.75);
    expect(q.confusion).toEqual({ tp: 1, fp: 1, tn: 1, fn: 1 });
    expectClose(q.precision.value, 0.5);
    expectClose(q.recall.value, 0.5);
    // AND ECE = ¼(|.9−1| + |.8−0| + |.3−1| + |.1−0|) = 0.425
    expectClose(q.calibrationError.value, 0.425);
  });

  it('one class only: AUC is undefined and says why; recall still defined', () => {
    // GIVEN only positives
    const cells = cellsOf(samplesFrom(21, 50, 1, 0.5), 0.5);
    // WHEN measured
    const q = classificationQuality(cells);
    // THEN AUC and its interval are undefined, with a note
    expect(q.negatives).toBe(0);
    expect(q.auc.value).toBeUndefined();
    expect(q.auc.interval).toBeUndefined();
    expect(q.notes.join(' ')).toContain('one class only');
    expect(q.recall.value).toBeDefined();
  });

  it('no labels: every metric is undefined, nothing is 0', () => {
    // GIVEN no cells at all
    const q = classificationQuality([]);
    // THEN samples 0, all metrics undefined, a note says so
    expect(q.samples).toBe(0);
    expect([q.auc.value, q.precision.value, q.recall.value, q.calibrationError.value]).toEqual([undefined, undefined, undefined, undefined]);
    expect(q.notes).toContain('no labelled predictions in the window');
  });

  it('the AUC bootstrap interval is seeded, contains the estimate and narrows with more data', () => {
    // GIVEN a small and a large sample from the same process
    const small = cellsOf(samplesFrom(31, 200, 0.3, 0.3), 0.5);
    const large = cellsOf(samplesFrom(31, 5000, 0.3, 0.3), 0.5);
    const stat = (c: readonly ClassCell[]): number | undefined => aucFromBins(c);
    // WHEN bootstrapped twice
    const a = bootstrapCells(small, stat)!;
    const b = bootstrapCells(small, stat)!;
    const big = bootstrapCells(large, stat)!;
    // THEN the same input gives the same interval, around the estimate, and more data is narrower
    expect(a).toEqual(b);
    expect(a.low).toBeLessThanOrEqual(aucFromBins(small)!);
    expect(a.high).toBeGreaterThanOrEqual(aucFromBins(small)!);
    expect(big.high - big.low).toBeLessThan(a.high - a.low);
  });

  it('the ECE bins agree with numpy when scores sit exactly on a calibration edge', () => {
    // GIVEN scores 0.1, 0.2 ... 0.9 exactly (edges of the 10 calibration bins)
    const samples: Sample[] = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => ({ score: i / 10, actual: i % 2 === 0 }));
    // WHEN the ECE is computed from the cells
    const ece = calibrationError(cellsOf(samples, 0.5));
    // THEN numpy's floor(score × 10) binning gives the same value
    const ref = python<PyClassification>(PY_CLASSIFICATION, { samples, threshold: 0.5, alpha: 0.05 });
    expectClose(ece, ref.ece);
  });
});

describe('Wilson intervals and the normal quantile against scipy', () => {
  const PY = `
import json, sys
from scipy import stats
import numpy as np
d = json.load(sys.stdin)
out = {'q': [float(stats.norm.ppf(p)) for p in d['ps']], 'w': []}
for k, n, a in d['cases']:
    z = stats.norm.ppf(1 - a / 2); p = k / n
    c = (p + z*z/(2*n)) / (1 + z*z/n); h = z / (1 + z*z/n) * np.sqrt(p*(1-p)/n + z*z/(4*n*n))
    out['w'].append([max(0.0, c - h), min(1.0, c + h)])
print(json.dumps(out))
`;
  it('matches to 1e-9, including 0 and n successes and tiny n', () => {
    // GIVEN quantile probabilities and (k, n, alpha) cases
    const ps = [1e-8, 0.001, 0.025, 0.2, 0.5, 0.8, 0.975, 0.995, 1 - 1e-8];
    const cases: Array<[number, number, number]> = [[0, 10, 0.05], [10, 10, 0.05], [1, 1, 0.05], [3, 7, 0.1], [512, 10_000, 0.01], [0, 1, 0.05]];
    const ref = python<{ q: number[]; w: Array<[number, number]> }>(PY, { ps, cases });
    // WHEN computed here
    // THEN equal to scipy to 1e-9
    ps.forEach((p, i) => expectClose(normalQuantile(p), ref.q[i]));
    cases.forEach(([k, n, a], i) => {
      const w = wilson(k, n, a)!;
      expectClose(w.low, ref.w[i]![0]);
      expectClose(w.high, ref.w[i]![1]);
    });
  });

  it('n = 0 has no interval and no value', () => {
    expect(proportion(0, 0)).toEqual({ value: undefined, numerator: 0, denominator: 0, interval: undefined });
  });
});

describe('regression, percentiles, outcome and cost against numpy', () => {
  const PY = `
import json, sys
import numpy as np
from scipy import stats
d = json.load(sys.stdin)
e = np.array(d['pred']) - np.array(d['label'])
n = len(e); z = stats.norm.ppf(0.975)
a = np.abs(e); s = e**2
mae = a.mean(); mse = s.mean()
mh = z * a.std(ddof=1) / np.sqrt(n); sh = z * s.std(ddof=1) / np.sqrt(n)
lat = np.array(d['lat'])
print(json.dumps({'mae': mae, 'rmse': float(np.sqrt(mse)), 'maeCi': [max(0.0, mae - mh), mae + mh],
  'rmseCi': [float(np.sqrt(max(0.0, mse - sh))), float(np.sqrt(mse + sh))],
  'p50': float(np.percentile(lat, 50)), 'p99': float(np.percentile(lat, 99)), 'p0': float(np.percentile(lat, 0))}))
`;
  it('MAE, RMSE with intervals, and p50/p99 latency match to 1e-9', () => {
    // GIVEN predictions, labels and latencies
    const random = seededRandom(41);
    const label = Array.from({ length: 300 }, () => random() * 100);
    const pred = label.map((l) => l + (random() - 0.4) * 12);
    const lat = Array.from({ length: 301 }, () => 5 + random() * random() * 400);
    const e = pred.map((p, i) => p - label[i]!);
    // WHEN the moment sums (as the SQL returns them) are turned into metrics
    const q = regressionQuality({
      n: e.length,
      absSum: e.reduce((s, x) => s + Math.abs(x), 0),
      sqSum: e.reduce((s, x) => s + x * x, 0),
      quadSum: e.reduce((s, x) => s + x ** 4, 0),
    });
    const ref = python<{ mae: number; rmse: number; maeCi: number[]; rmseCi: number[]; p50: number; p99: number; p0: number }>(PY, { pred, label, lat });
    // THEN numpy agrees
    expectClose(q.mae.value, ref.mae);
    expectClose(q.rmse.value, ref.rmse);
    expectClose(q.mae.interval?.low, ref.maeCi[0]);
    expectClose(q.mae.interval?.high, ref.maeCi[1]);
    expectClose(q.rmse.interval?.low, ref.rmseCi[0]);
    expectClose(q.rmse.interval?.high, ref.rmseCi[1]);
    expectClose(percentile(lat, 50), ref.p50);
    expectClose(percentile(lat, 99), ref.p99);
    expectClose(percentile(lat, 0), ref.p0);
  });

  it('regression with no labels or one label: undefined values / no interval', () => {
    expect(regressionQuality({ n: 0, absSum: 0, sqSum: 0, quadSum: 0 }).mae.value).toBeUndefined();
    const one = regressionQuality({ n: 1, absSum: 2, sqSum: 4, quadSum: 16 });
    expect(one.mae).toEqual({ value: 2, interval: undefined });
    expect(one.rmse.value).toBe(2);
  });

  it('outcome per 1,000 and cost per 1,000 name the price used; zero traffic is undefined, not 0', () => {
    // GIVEN 24 instance-hours at $1.408/h and 120,000 invocations
    const price = { instanceType: 'ml.g5.xlarge', pricePerHour: 1.408, currency: 'USD', asOf: '2026-11-22', source: 'config/pricing' };
    const c = costPer1000(24, 120_000, price);
    // THEN 24 × 1.408 / 120000 × 1000 = 0.2816, and the price is named
    expectClose(c.value, 0.2816);
    expect(c.price).toEqual(price);
    expectClose(per1000(-350.5, 2000), -175.25);
    // AND a variant with zero traffic costs money but has no per-1,000 figure
    expect(costPer1000(24, 0, price)).toMatchObject({ value: undefined, cost: 24 * 1.408 });
    expect(per1000(10, 0)).toBeUndefined();
  });
});

describe('bad input is refused with QualityInputError', () => {
  const cell = (over: Partial<ClassCell>): ClassCell => ({ bin: 1, predicted: false, actual: false, n: 1, scoreSum: 0.001, ...over });
  it.each<[string, () => unknown]>([
    ['a bin above the range', () => aucFromBins([cell({ bin: SCORE_BINS })])],
    ['a negative bin', () => aucFromBins([cell({ bin: -1 })])],
    ['a fractional count', () => classificationQuality([cell({ n: 1.5 })])],
    ['a negative count', () => confusion([cell({ n: -1 })]) && aucFromBins([cell({ n: -1 })])],
    ['a score sum above n (score > 1)', () => calibrationError([cell({ scoreSum: 2 })])],
    ['a NaN score sum', () => calibrationError([cell({ scoreSum: NaN })])],
    ['k > n in Wilson', () => wilson(5, 4)],
    ['alpha = 0', () => wilson(1, 2, 0)],
    ['alpha = 1', () => wilson(1, 2, 1)],
    ['a quantile of 1', () => normalQuantile(1)],
    ['a percentile of 101', () => percentile([1, 2], 101)],
    ['an infinite latency', () => percentile([1, Infinity], 50)],
    ['a negative regression sum', () => regressionQuality({ n: 2, absSum: -1, sqSum: 1, quadSum: 1 })],
    ['negative instance-hours', () => costPer1000(-1, 10, { instanceType: 'x', pricePerHour: 1, currency: 'USD', asOf: 'a', source: 's' })],
    ['fractional invocations', () => per1000(1, 2.5)],
  ])('%s', (_name, run) => {
    expect(run).toThrow(QualityInputError);
  });
});
