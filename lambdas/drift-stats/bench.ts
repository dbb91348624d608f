/**
 * Throughput probe for the statistics core (not imported by the handler, so
 * not in the Lambda bundle). Run e.g.:
 *   npx esbuild lambdas/drift-stats/bench.ts --bundle --platform=node --outfile=/tmp/bench.js \
 *     && node -e "console.log(JSON.stringify(require('/tmp/bench.js').bench(), null, 2))"
 *
 * Sample path: evaluateDrift() over a raw window sample (rows × features,
 * every value binned against the baseline edges, then PSI + binned KS).
 * Bin path: evaluateDrift() over per-feature counts (what Athena returns).
 * Data generation is not timed.
 */

import { mulberry32 } from '../shared/random';
import { buildBaseline, BaselineSpec } from './baseline';
import { Baseline, DriftWindow, evaluateDrift, FeatureCounts, RawValue, Thresholds } from './statistics';

export interface BenchOptions {
  rows?: number;
  features?: number;
  /** Rows of the (training) baseline sample per feature. */
  baselineRows?: number;
  /** 'typed': Float64Array columns (NaN = missing); 'array': plain number[] with nulls (JSON-like). */
  columns?: 'typed' | 'array';
  repeats?: number;
  seed?: number;
}

export interface BenchResult {
  rows: number;
  features: number;
  columns: 'typed' | 'array';
  values: number;
  /** Best of `repeats` runs. */
  samplePathMs: number;
  valuesPerSecond: number;
  /** Bin path: `features` features of counts -> statistics, best of 50 runs. */
  binPathMs: number;
  /** Bin path, first (cold) run. */
  binPathFirstMs: number;
  driftingFeatures: number;
}

export { mulberry32 };

/** Standard normal by Box–Muller. */
export function normal(rand: () => number): number {
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function column(rows: number, rand: () => number, shift: number, kind: 'typed' | 'array'): Float64Array | RawValue[] {
  if (kind === 'typed') {
    const a = new Float64Array(rows);
    for (let i = 0; i < rows; i++) a[i] = rand() < 0.01 ? NaN : normal(rand) + shift;
    return a;
  }
  const a: RawValue[] = new Array<RawValue>(rows);
  for (let i = 0; i < rows; i++) a[i] = rand() < 0.01 ? null : normal(rand) + shift;
  return a;
}

export function bench(options: BenchOptions = {}): BenchResult {
  const rows = options.rows ?? 1_000_000;
  const nf = options.features ?? 50;
  const baselineRows = options.baselineRows ?? 100_000;
  const kind = options.columns ?? 'typed';
  const repeats = options.repeats ?? 3;
  const rand = mulberry32(options.seed ?? 42);

  const names = Array.from({ length: nf }, (_, i) => `f${String(i).padStart(2, '0')}`);
  const training: Record<string, Float64Array | RawValue[]> = {};
  const spec: BaselineSpec = { features: {}, createdAt: '2031-01-01T00:00:00.000Z' };
  for (const n of names) {
    training[n] = column(baselineRows, rand, 0, 'typed');
    spec.features[n] = { type: 'numeric' };
  }
  const baseline: Baseline = buildBaseline(training, spec);
  const sample: Record<string, Float64Array | RawValue[]> = {};
  // every fifth feature is shifted by 0.5 sd
  names.forEach((n, i) => {
    sample[n] = column(rows, rand, i % 5 === 0 ? 0.5 : 0, kind);
  });
  const thresholds: Thresholds = { psi: 0.2, ks: 0.1, missingRate: 0.05, unseenShare: 0.01 };

  let best = Infinity;
  let drifting = 0;
  for (let r = 0; r < repeats; r++) {
    const t0 = process.hrtime.bigint();
    const ev = evaluateDrift(baseline, { sample } as DriftWindow, thresholds);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    drifting = ev.drifting.length;
    if (ms < best) best = ms;
  }

  // Bin path: the same statistics from counts.
  const counts: Record<string, FeatureCounts> = {};
  for (const n of names) {
    const b = baseline.features[n]!;
    if (b.type !== 'numeric') continue;
    const c = b.counts.map((x, i) => x * 10 + i);
    counts[n] = { ...b, counts: c, total: c.reduce((s, x) => s + x, 0) + b.missing * 10 };
  }
  let binBest = Infinity;
  let binFirst = NaN;
  for (let r = 0; r < 50; r++) {
    const t0 = process.hrtime.bigint();
    evaluateDrift(baseline, { features: counts }, thresholds);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r === 0) binFirst = ms;
    if (ms < binBest) binBest = ms;
  }
  const values = rows * nf;
  return {
    rows,
    features: nf,
    columns: kind,
    values,
    samplePathMs: best,
    valuesPerSecond: Math.round(values / (best / 1000)),
    binPathMs: binBest,
    binPathFirstMs: binFirst,
    driftingFeatures: drifting,
  };
}
