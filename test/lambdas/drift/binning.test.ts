/**
 * Binning that sees every shift (issue #18, defect 1): value bins for
 * low-cardinality numeric features, de-duplicated quantile edges with an own
 * bin for atoms, open outer bins around the baseline's range, constant
 * baselines. The Athena SQL is RUN in DuckDB over the same baseline, so the
 * SQL and the statistics are tested on the same edges.
 *
 * Property tests (fast-check) use a fixed seed and a bounded number of runs;
 * cases that once failed are kept as fixed regression cases below.
 */

import fc from 'fast-check';
import { windowFromBinCounts } from '../../../lambdas/drift-stats/athena-window';
import { buildBaseline, nextUp, numericEdges, quantileEdges, valueEdges } from '../../../lambdas/drift-stats/baseline';
import type { FeatureSpec } from '../../../lambdas/drift-stats/baseline';
import { binNumeric, evaluateDrift, ksExact, sortedSample } from '../../../lambdas/drift-stats/statistics';
import type { Baseline, EvaluatedFeature, FeatureResult, NumericCounts } from '../../../lambdas/drift-stats/statistics';
import { DUCKDB, renderBinCountSql } from '../../../lambdas/drift-query/sql';
import { captureRecord, runDriftSql } from './support/duckdb-capture';

const THRESHOLDS = { psi: 0.2, ks: 0.1, missingRate: 0.05, unseenShare: 0.01 };
const SEED = 20261204;

function baselineOf(values: number[], spec: FeatureSpec = { type: 'numeric' }): Baseline {
  return buildBaseline({ x: values }, { features: { x: spec }, createdAt: '2026-12-01T00:00:00.000Z' });
}

function evaluate(b: Baseline, window: number[]): FeatureResult {
  return evaluateDrift(b, { sample: { x: window } }, THRESHOLDS, { minSamples: 1 }).features.x!;
}

function evaluated(r: FeatureResult | undefined): EvaluatedFeature {
  if (r?.status !== 'ok' && r?.status !== 'drift') throw new Error(`expected an evaluated feature, got ${JSON.stringify(r)}`);
  return r;
}

const repeat = (v: number, n: number): number[] => Array<number>(n).fill(v);
/** 95% zeros and 5% ones: a boolean feature such as card_present. */
const BOOLEAN_95_5 = [...repeat(0, 950), ...repeat(1, 50)];

describe('regression: drift is blind to upward shifts in low-cardinality features (issue #18, defect 1)', () => {
  it.each([
    ['all 1s', repeat(1, 500)],
    ['all 7s', repeat(7, 500)],
    ['all -1s (a downward shift, flagged before too)', repeat(-1, 500)],
    ['all 0.5 (a value between the baseline values)', repeat(0.5, 500)],
  ])('a 95%%/5%% boolean baseline against a window of %s drifts on PSI and KS', (_what, window) => {
    // GIVEN the boolean baseline (value binning: <0 | {0} | (0,1) | {1} | >1)
    const b = baselineOf(BOOLEAN_95_5);
    expect((b.features.x as NumericCounts).edges).toEqual([null, 0, 5e-324, 1, 1.0000000000000002, null]);
    expect((b.features.x as NumericCounts).counts).toEqual([0, 950, 0, 50, 0]);
    // WHEN / THEN
    const r = evaluated(evaluate(b, window));
    expect(r.status).toBe('drift');
    expect(r.reasons).toEqual(expect.arrayContaining(['psi', 'ks']));
  });

  it('the same window as the boolean baseline stays ok (PSI 0, KS 0)', () => {
    const r = evaluated(evaluate(baselineOf(BOOLEAN_95_5), BOOLEAN_95_5));
    expect([r.status, r.psi, r.ks]).toEqual(['ok', 0, 0]);
  });

  it.each([
    ['a constant 1e9', repeat(1e9, 200)],
    ['a constant -1e9', repeat(-1e9, 200)],
    ['the next double above 5', repeat(nextUp(5), 200)],
  ])('a constant baseline of 5 against %s drifts, also with value binning off', (_what, window) => {
    for (const spec of [{ type: 'numeric' }, { type: 'numeric', valueBinLimit: 0 }] as FeatureSpec[]) {
      // GIVEN a constant baseline
      const b = baselineOf(repeat(5, 1000), spec);
      expect((b.features.x as NumericCounts).edges).toEqual([null, 5, 5.000000000000001, null]);
      // WHEN / THEN KS is 1 (all the mass moved) and PSI is 2·(1−ε)·ln(1/ε)
      const r = evaluated(evaluate(b, window));
      expect(r.status).toBe('drift');
      expect(r.ks).toBe(1);
      expect(r.psi).toBeCloseTo(2 * (1 - 1e-4) * Math.log(1e4), 10);
    }
  });

  it('quantile binning (value binning off) isolates an atom at the minimum, so the boolean shift is still seen', () => {
    // GIVEN the boolean baseline binned by quantile: every decile is 0
    const b = baselineOf(BOOLEAN_95_5, { type: 'numeric', valueBinLimit: 0 });
    // THEN the atom at 0 has its own bin [0, 1), and 1 sits in [1, nextUp(1))
    expect((b.features.x as NumericCounts).edges).toEqual([null, 0, 1, 1.0000000000000002, null]);
    expect(evaluated(evaluate(b, repeat(1, 500))).status).toBe('drift');
    expect(evaluated(evaluate(b, repeat(7, 500))).status).toBe('drift');
  });

  it('a mixed feature (95% zeros, 5% continuous) sees mass move from the atom into the continuous part', () => {
    // GIVEN 950 zeros and 50 distinct positive values (too many for value binning)
    const base = [...repeat(0, 950), ...Array.from({ length: 50 }, (_, i) => 1 + i * 0.37)];
    const b = baselineOf(base);
    expect((b.features.x as NumericCounts).binning).toBe('quantiles');
    // WHEN every window value is 5 (inside the baseline's range)
    // THEN it drifts: the atom's bin empties
    expect(evaluated(evaluate(b, repeat(5, 500))).status).toBe('drift');
  });
});

describe('edges', () => {
  it('nextUp gives the next double, across zero and signs', () => {
    expect(nextUp(0)).toBe(5e-324);
    expect(nextUp(1)).toBe(1 + Number.EPSILON);
    expect(nextUp(-1)).toBe(-1 + Number.EPSILON / 2);
    expect(nextUp(-5e-324)).toBe(-0);
    expect(nextUp(Number.MAX_VALUE)).toBe(Infinity);
  });

  it('value edges isolate each value; non-finite values are left to the open outer bins', () => {
    expect(valueEdges(sortedSample([3, 1, 1, 2, Infinity, -Infinity, NaN]))).toEqual([null, 1, 1.0000000000000002, 2, 2.0000000000000004, 3, 3.0000000000000004, null]);
    expect(valueEdges(new Float64Array(0))).toEqual([null, null]);
    // nextUp of the largest finite double is not finite: its bin runs to +∞
    expect(valueEdges([Number.MAX_VALUE])).toEqual([null, Number.MAX_VALUE, null]);
  });

  it('chooses value binning up to the limit and quantiles beyond it', () => {
    const five = sortedSample([1, 2, 3, 4, 5]);
    expect(numericEdges(five, 10, 5).binning).toBe('values');
    expect(numericEdges(five, 10, 4).binning).toBe('quantiles');
    expect(numericEdges(five, 10, 0).binning).toBe('quantiles');
    expect(numericEdges(new Float64Array(0), 10, 20)).toEqual({ binning: 'quantiles', edges: [null, null] });
    expect(() => baselineOf([1], { type: 'numeric', valueBinLimit: -1 })).toThrow(/valueBinLimit/);
    expect(() => baselineOf([1], { type: 'numeric', valueBinLimit: 501 })).toThrow(/valueBinLimit/);
  });

  it('quantile edges: no interior bin is empty in the baseline (every one holds at least its left edge)', () => {
    const values = sortedSample([...repeat(3, 40), ...Array.from({ length: 60 }, (_, i) => i * i)]);
    const edges = quantileEdges(values, 10);
    const counts = binNumeric(values, edges).counts;
    expect(counts[0]).toBe(0);
    expect(counts[counts.length - 1]).toBe(0);
    expect(counts.slice(1, -1).every((c) => c > 0)).toBe(true);
  });
});

describe('the Athena SQL follows the same edges (run in DuckDB)', () => {
  const START = new Date('2026-11-21T08:00:00Z');

  async function viaSql(b: Baseline, window: number[]): Promise<FeatureResult> {
    const sql = renderBinCountSql({ database: 'plinth_capture', table: 'fraud_prod_capture', variants: ['AllTraffic'], windowStart: START, windowEnd: new Date('2026-11-21T10:00:00Z'), baseline: b }, DUCKDB);
    const rows = await runDriftSql(sql, window.map((x) => captureRecord({ x })));
    return evaluateDrift(b, windowFromBinCounts(b, rows), THRESHOLDS, { minSamples: 1 }).features.x!;
  }

  it.each([
    ['the boolean baseline, window all 1s', BOOLEAN_95_5, {}, repeat(1, 300)],
    ['the boolean baseline, window all 7s', BOOLEAN_95_5, {}, repeat(7, 300)],
    ['the boolean baseline by quantile, window all 1s', BOOLEAN_95_5, { valueBinLimit: 0 }, repeat(1, 300)],
    ['a constant baseline, window 1e9', repeat(5, 100), {}, repeat(1e9, 300)],
    ['a constant 0 baseline, window of the smallest subnormal', repeat(0, 100), {}, repeat(5e-324, 300)],
  ])('%s: the SQL counts give the sample evaluation, and it drifts', async (_what, base, spec, window) => {
    const b = baselineOf(base, { type: 'numeric', ...spec });
    const fromSql = await viaSql(b, window);
    expect(fromSql).toEqual(evaluate(b, window));
    expect(fromSql.status).toBe('drift');
  });
});

// ---------------------------------------------------------------------------
// Properties

/** Baselines and windows: discrete, constant, heavy-tailed and tiny. */
const finite = fc.double({ min: -1e300, max: 1e300, noNaN: true, noDefaultInfinity: true });
const column = fc.oneof(
  fc.array(fc.integer({ min: -3, max: 6 }), { minLength: 1, maxLength: 300 }), // discrete
  fc.tuple(finite, fc.integer({ min: 1, max: 200 })).map(([v, n]) => repeat(v, n)), // constant
  fc.array(fc.tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.integer({ min: 0, max: 12 })).map(([u, e]) => u * 10 ** e), { minLength: 1, maxLength: 300 }), // heavy-tailed
  fc.array(finite, { minLength: 1, maxLength: 4 }), // tiny
);
const specs = fc.record({ bins: fc.integer({ min: 1, max: 20 }), valueBinLimit: fc.integer({ min: 0, max: 30 }) });

describe('drift properties (fast-check, fixed seed, bounded runs)', () => {
  it('no NaN or Infinity, PSI >= 0, binned KS <= exact KS', () => {
    fc.assert(
      fc.property(column, column, specs, (base, window, spec) => {
        const b = baselineOf(base, { type: 'numeric', ...spec });
        const r = evaluated(evaluate(b, window));
        expect(Number.isFinite(r.psi)).toBe(true);
        expect(Number.isFinite(r.ks!)).toBe(true);
        expect(r.psi).toBeGreaterThanOrEqual(0);
        expect(r.ks!).toBeLessThanOrEqual(ksExact(sortedSample(base), sortedSample(window)) + 1e-12);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('a window that moves all its mass outside the baseline support is always flagged', () => {
    fc.assert(
      fc.property(column, specs, fc.boolean(), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 200 }), (base, spec, above, offsets) => {
        const b = baselineOf(base, { type: 'numeric', ...spec });
        const lo = Math.min(...base);
        const hi = Math.max(...base);
        const window = offsets.map((u) => (above ? hi + Math.max(1, Math.abs(hi)) * (1 + u) : lo - Math.max(1, Math.abs(lo)) * (1 + u)));
        const r = evaluated(evaluate(b, window));
        expect(r.status).toBe('drift');
        expect(r.ks).toBe(1);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('with value bins the binned KS is the exact KS (docs/drift.md)', () => {
    const discrete = fc.array(fc.integer({ min: -3, max: 6 }), { minLength: 1, maxLength: 300 });
    fc.assert(
      fc.property(discrete, fc.array(fc.double({ min: -5, max: 8, noNaN: true }), { minLength: 1, maxLength: 300 }), (base, window) => {
        const b = baselineOf(base, { type: 'numeric', valueBinLimit: 20 });
        expect((b.features.x as NumericCounts).binning).toBe('values');
        const r = evaluated(evaluate(b, window));
        expect(r.ks!).toBeCloseTo(ksExact(sortedSample(base), sortedSample(window)), 12);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('a window drawn from the baseline values themselves gives finite statistics and PSI 0 when identical', () => {
    fc.assert(
      fc.property(column, specs, (base, spec) => {
        const r = evaluated(evaluate(baselineOf(base, { type: 'numeric', ...spec }), base));
        expect([r.psi, r.ks]).toEqual([0, 0]);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });
});
