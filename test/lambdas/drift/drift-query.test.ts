/**
 * drift-query: the SQL renderer (pure), the SQL's semantics, and the handler.
 *  - Semantics: the rendered statement is RUN in DuckDB (support/duckdb-capture.ts)
 *    with the DuckDB shims of sql.ts, and the counts are compared with
 *    drift-stats' own counting (countSample / binNumeric / binCategorical)
 *    over the same requests. Each shim is tested on both sides: the Athena
 *    text it renders, and the DuckDB expression run.
 *  - Handler: real S3 client against a private moto_server (moto S3).
 */

import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeEndpointCommand, DescribeEndpointConfigCommand, DescribeModelCommand, ListTagsCommand } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { describeWithMoto, motoClientConfig } from '../../support/moto';
import { windowFromBinCounts } from '../../../lambdas/drift-stats/athena-window';
import { buildBaseline } from '../../../lambdas/drift-stats/baseline';
import { countSample, DriftInputError } from '../../../lambdas/drift-stats/statistics';
import type { Baseline, NumericCounts, RawValue, WindowFeatureCounts } from '../../../lambdas/drift-stats/statistics';
import { captureWindow, clients as handlerClients, handler, loadConfig } from '../../../lambdas/drift-query/index';
import { startCapture } from '../../support/lambda-output';
import { expectMatchesGolden } from '../../support/runtime-golden';
import { routeTo, unrouteAll } from '../../support/sdk-clients';
import { ATHENA, binCase, captureHour, doubleLiteral, DUCKDB, renderBinCountSql, sqlString } from '../../../lambdas/drift-query/sql';
import type { BinCountQuery } from '../../../lambdas/drift-query/sql';
import { captureRecord, runDriftSql, scalar } from './support/duckdb-capture';
import type { CaptureRecord } from './support/duckdb-capture';

const START = new Date('2026-11-21T08:00:00Z');
const END = new Date('2026-11-21T10:00:00Z');

/**
 * amount: quantile edges [null, 5, 10, 20, 30, nextUp(40), null] (value binning off);
 * ratio: three distinct values, binned by value; currency: categorical.
 */
const BASELINE: Baseline = buildBaseline(
  {
    amount: [5, 10, 10, 15, 20, 20, 25, 30, 35, 40, null],
    ratio: [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2, 0.3],
    currency: ['EUR', 'USD', 'USD', "it's", 'true', '1', '1.5', '', 'say "hi"', 'GBP'],
  },
  {
    features: { amount: { type: 'numeric', bins: 4, valueBinLimit: 0 }, ratio: { type: 'numeric', bins: 5 }, currency: { type: 'categorical' } },
    createdAt: '2026-11-01T00:00:00.000Z',
  },
);

function query(overrides: Partial<BinCountQuery> = {}): BinCountQuery {
  return { database: 'plinth_capture', table: 'fraud_prod_capture', variants: ['AllTraffic', 'Canary'], windowStart: START, windowEnd: END, baseline: BASELINE, ...overrides };
}

/** Counts the way drift-stats counts a raw sample: JSON.parse(body)[feature] for every request. */
function jsCounts(baseline: Baseline, bodies: readonly string[]): Record<string, WindowFeatureCounts> {
  const out: Record<string, WindowFeatureCounts> = {};
  for (const [name, base] of Object.entries(baseline.features)) {
    const values = bodies.map((b) => {
      const obj = JSON.parse(b) as Record<string, unknown>;
      return (Object.prototype.hasOwnProperty.call(obj, name) ? obj[name] : undefined) as RawValue;
    });
    // the window side carries no edges (they are the baseline's), like windowFromBinCounts
    const { edges: _edges, ...counts } = countSample(base, values) as NumericCounts;
    out[name] = base.type === 'numeric' ? (counts as WindowFeatureCounts) : countSample(base, values);
  }
  return out;
}

/** The window drift-stats would build from the SQL's rows (the statement run in DuckDB). */
async function sqlCounts(baseline: Baseline, records: readonly CaptureRecord[]): Promise<Record<string, unknown>> {
  const rows = await runDriftSql(renderBinCountSql(query({ baseline }), DUCKDB), records);
  return windowFromBinCounts(baseline, rows).features;
}

describe('renderBinCountSql (pure)', () => {
  it('renders one SELECT with quoted identifiers, the production variants, the partition range and the exact window', () => {
    // GIVEN the baseline, two production variants and a 2-hour window
    // WHEN rendered
    const sql = renderBinCountSql(query());
    // THEN the table is quoted, variants are literals, capture_hour spans start hour .. end hour, times compare as timestamps
    expect(sql).toContain('FROM "plinth_capture"."fraud_prod_capture"');
    expect(sql).toContain("WHERE variant IN ('AllTraffic', 'Canary')");
    expect(sql).toContain("AND capture_hour BETWEEN '2026/11/21/08' AND '2026/11/21/10'");
    expect(sql).toContain(">= from_iso8601_timestamp('2026-11-21T08:00:00Z')");
    expect(sql).toContain("< from_iso8601_timestamp('2026-11-21T10:00:00Z')");
    expect(sql).toContain(`TRY_CAST(json_extract_scalar(body, '$["amount"]') AS double) AS "v0"`);
    expect(sql).toContain(`json_extract_scalar(body, '$["currency"]') AS "v1"`);
    expect(sql.trimEnd().endsWith('GROUP BY feature, kind, bucket')).toBe(true);
    expect(sql.match(/SELECT/g)).toHaveLength(4); // 3 CTE/sub-selects + the final one, a single statement
    expect(sql).not.toContain(';');
    // AND the DuckDB rendering differs only in the named shims
    const duck = renderBinCountSql(query(), DUCKDB);
    expect(duck).not.toMatch(/json_extract_scalar|is_nan|from_utf8|from_iso8601_timestamp/);
    expect(duck.split('\n').length).toBe(sql.split('\n').length);
  });

  it('bins with the baseline edges, left-closed, as DOUBLE literals of String(x)', () => {
    // GIVEN edges [null, 5, 10, 20, 30, nextUp(40), null]: open outer bins around the baseline's range
    const amount = BASELINE.features.amount as NumericCounts;
    expect(amount.edges).toEqual([null, 5, 10, 20, 30, 40.00000000000001, null]);
    const amountEdges: (number | null)[] = [null, 10, 20, 30, null];
    // WHEN the CASE chain is rendered
    // THEN the first WHEN that holds gives the bin; ELSE is the last bin
    expect(binCase('"v0"', amountEdges)).toBe(
      `CASE WHEN "v0" IS NULL OR is_nan("v0") THEN NULL WHEN "v0" < DOUBLE '10' THEN '0' WHEN "v0" < DOUBLE '20' THEN '1' WHEN "v0" < DOUBLE '30' THEN '2' ELSE '3' END`,
    );
    expect(binCase('"v"', [null, null])).toBe(`CASE WHEN "v" IS NULL OR is_nan("v") THEN NULL ELSE '0' END`);
    expect(doubleLiteral(1e21)).toBe("DOUBLE '1e+21'");
    expect(doubleLiteral(-0)).toBe("DOUBLE '0'");
    expect(doubleLiteral(0.1 + 0.2)).toBe("DOUBLE '0.30000000000000004'");
    expect(() => doubleLiteral(Infinity)).toThrow(DriftInputError);
  });

  it('DOUBLE literals of String(x) parse back to the identical double (DuckDB), down to the next double above an edge', async () => {
    // GIVEN the edges value binning writes: v and nextUp(v), including the smallest subnormal
    const xs = [0.1 + 0.2, 40.00000000000001, 5e-324, 1.0000000000000002, -1e-300, 1e21, 123456789012345680000];
    // WHEN each literal is evaluated / THEN it is the same double
    for (const x of xs) expect(await scalar(doubleLiteral(x))).toBe(x);
  });

  it.each([
    ['jsonScalar', ATHENA.jsonScalar('body', 'amount'), `json_extract_scalar(body, '$["amount"]')`],
    ['isNan', ATHENA.isNan('"v0"'), 'is_nan("v0")'],
    ['utf8', ATHENA.utf8('b'), 'from_utf8(b)'],
    ['timestamp', ATHENA.timestamp("'2026-11-21T08:00:00Z'"), "from_iso8601_timestamp('2026-11-21T08:00:00Z')"],
    ['unnest', ATHENA.unnest('ARRAY[]').join, 'CROSS JOIN UNNEST(ARRAY[]) AS o (feature, kind, bucket)'],
  ])('the Athena side of the %s shim is the Trino function', (_shim, rendered, expected) => {
    expect(rendered).toBe(expected);
  });

  it('the DuckDB side of each shim behaves as its Trino function does', async () => {
    // jsonScalar: scalars as text, NULL for absent, null, object, array and a body that is not JSON; first of duplicated keys
    const js = (doc: string): Promise<unknown> => scalar(DUCKDB.jsonScalar(sqlString(doc), 'a'));
    expect(await js('{"a":"x\\"y"}')).toBe('x"y');
    expect(await js('{"a":1.0}')).toBe('1.0');
    expect(await js('{"a":true}')).toBe('true');
    for (const doc of ['{"a":null}', '{"a":{"b":1}}', '{"a":[1]}', '{}', 'not json', '']) expect(await js(doc)).toBeNull();
    expect(await js('{"a":"x","a":"y"}')).toBe('x');
    // isNan, utf8, timestamp
    expect(await scalar(DUCKDB.isNan("CAST('NaN' AS DOUBLE)"))).toBe(true);
    expect(await scalar(DUCKDB.isNan('1.5'))).toBe(false);
    expect(await scalar(DUCKDB.utf8("from_base64('w7xuw68=')"))).toBe('ünï');
    expect(await scalar(`${DUCKDB.timestamp("'2026-11-21T08:00:00Z'")} < ${DUCKDB.timestamp("'2026-11-21T08:00:00.5Z'")}`)).toBe(true);
    expect(await scalar(`TRY(${DUCKDB.timestamp("'not-a-time'")})`)).toBeNull();
  });

  it('escapes single quotes in string literals and formats partition hours', () => {
    expect(sqlString("it's")).toBe("'it''s'");
    expect(sqlString("''")).toBe("''''''");
    expect(captureHour(new Date('2026-01-02T03:59:59Z'))).toBe('2026/01/02/03');
  });

  it.each([
    ['a feature name with a quote', { baseline: { ...BASELINE, features: { "a'b": BASELINE.features.amount! } } }, /feature name/],
    ['a feature name with a bracket', { baseline: { ...BASELINE, features: { 'a"]': BASELINE.features.amount! } } }, /feature name/],
    ['a feature name starting with a digit', { baseline: { ...BASELINE, features: { '1a': BASELINE.features.amount! } } }, /feature name/],
    ['a database with a double quote', { database: 'db"; DROP' }, /capture database/],
    ['a table with a space', { table: 'a b' }, /capture table/],
    ['a variant with a quote', { variants: ["x'"] }, /variant/],
    ['no variant', { variants: [] }, /variant/],
    ['a window not on whole hours', { windowStart: new Date('2026-11-21T08:30:00Z') }, /whole UTC hours/],
    ['an empty baseline', { baseline: { version: 1, createdAt: 'x', features: {} } as Baseline }, /no features/],
  ] as const)('rejects %s with DriftInputError', (_what, overrides, message) => {
    // GIVEN an input that cannot be emitted safely
    // WHEN / THEN
    expect(() => renderBinCountSql(query(overrides as Partial<BinCountQuery>))).toThrow(DriftInputError);
    expect(() => renderBinCountSql(query(overrides as Partial<BinCountQuery>))).toThrow(message);
  });

  it('refuses a query over Athena’s 256 KB limit', () => {
    // GIVEN 1000 features with 100 bins each
    const features: Baseline['features'] = {};
    const edges = [null, ...Array.from({ length: 99 }, (_, i) => i + 0.5), null];
    for (let i = 0; i < 1000; i++) features[`f${i}`] = { type: 'numeric', edges, counts: edges.slice(1).map(() => 1), missing: 0, total: 100 };
    // WHEN / THEN
    expect(() => renderBinCountSql(query({ baseline: { version: 1, createdAt: 'x', features } }))).toThrow(/262144/);
  });
});

describe('the SQL counts exactly what drift-stats counts (the rendered SQL run in DuckDB)', () => {
  it('numeric edge cases: on an edge, below the first, above the last, NaN/null/absent, numeric strings, booleans, huge values', async () => {
    // GIVEN requests whose amount/ratio hit every edge case
    const values: unknown[] = [10, 20, 30, 9.999999999999998, 10.000000000000002, -1e308, 1e308, 0, -0, 35, 5, null, 'abc', '', '  ', '12', ' 25 ', '1e1', true, false, [1], { a: 1 }, 0.1, 0.2, 0.30000000000000004, 40, 40.00000000000001];
    const bodies = values.map((v) => JSON.stringify({ amount: v, ratio: v }));
    bodies.push(JSON.stringify({ other: 1 }), JSON.stringify({ amount: NaN, ratio: NaN }), '{}');
    const records = bodies.map((b) => captureRecord(null, { rawBody: b }));
    // WHEN the rendered SQL runs over them, and drift-stats counts the parsed requests
    const sql = await sqlCounts(BASELINE, records);
    const js = jsCounts(BASELINE, bodies);
    // THEN every bin, the missing count and the total agree
    expect(sql).toEqual(js);
    // (worked by hand over [null, 5, 10, 20, 30, 40.00000000000001, null]: bin 0 = -1e308, 0, -0, 0.1, 0.2, 0.30000000000000004;
    //  bin 1 = 9.999999999999998, 5; bin 2 = 10, 10.000000000000002, '12', '1e1'; bin 3 = 20, ' 25 ';
    //  bin 4 = 30, 35, 40; bin 5 (above the baseline's maximum) = 1e308, 40.00000000000001)
    expect((sql.amount as NumericCounts).counts).toEqual([6, 2, 4, 2, 3, 2]);
    expect((sql.amount as NumericCounts).missing).toBe(11);
    expect((sql.amount as NumericCounts).total).toBe(30);
  });

  it('value bins and a constant baseline: the SQL isolates each baseline value and counts "other" values apart', async () => {
    // GIVEN ratio binned by value (0.1, 0.2, 0.3) and a constant feature k = 7
    const baseline = buildBaseline({ ratio: [0.1, 0.1, 0.2, 0.3, 0.3], k: [7, 7, 7] }, { features: { ratio: { type: 'numeric', bins: 5 }, k: { type: 'numeric' } } });
    expect((baseline.features.k as NumericCounts).edges).toEqual([null, 7, 7.000000000000001, null]);
    expect((baseline.features.k as NumericCounts).counts).toEqual([0, 3, 0]);
    const bodies = [0.1, 0.15, 0.15, 0.35, 7, 7.000000000000001, -7, 1e9].map((x) => JSON.stringify({ ratio: x, k: x }));
    // WHEN
    const sql = await sqlCounts(baseline, bodies.map((b) => captureRecord(null, { rawBody: b })));
    // THEN they agree, the value bins hold only their value and the "other" bins the rest
    expect(sql).toEqual(jsCounts(baseline, bodies));
    // ratio bins: <0.1 | {0.1} | (0.1,0.2) | {0.2} | (0.2,0.3) | {0.3} | >0.3
    expect((sql.ratio as NumericCounts).counts).toEqual([1, 1, 2, 0, 0, 0, 4]);
    // k bins: <7 | {7} | >7
    expect((sql.k as NumericCounts).counts).toEqual([5, 1, 2]);
  });

  it('categorical edge cases: booleans and numbers as categories, quotes, unicode, empty string, missing', async () => {
    // GIVEN categories as JSON.stringify writes them
    // (1e21 is left out: DuckDB prints it '1e21' where Trino returns the token '1e+21', see sql.ts)
    const values: unknown[] = ['EUR', 'USD', true, false, 1, 1.5, -0, 1e-7, 123456789012345680000, "it's", 'say "hi"', 'ünï\u2028cödé', '', '\\', null, [1], { a: 1 }, 'true', '1'];
    const bodies = values.map((v) => JSON.stringify({ currency: v }));
    bodies.push('{}', JSON.stringify({ currency: NaN }));
    // WHEN
    const sql = await sqlCounts(BASELINE, bodies.map((b) => captureRecord(null, { rawBody: b })));
    const js = jsCounts(BASELINE, bodies);
    // THEN the category maps are identical (String(x) for numbers and booleans)
    expect(sql.currency).toEqual(js.currency);
    expect((sql.currency as { counts: Record<string, number> }).counts).toMatchObject({ true: 2, '1': 2, '0': 1, '1e-7': 1, "it's": 1, 'say "hi"': 1, '': 1 });
    expect((sql.currency as { missing: number }).missing).toBe(5);
  });

  it('base64-encoded capture gives the same counts; an invalid base64 body makes every feature missing', async () => {
    // GIVEN the same requests, once as JSON and once base64-encoded, plus one corrupt base64 body
    const bodies = [{ amount: 12, currency: 'EUR' }, { amount: 31, currency: 'ünï' }].map((o) => JSON.stringify(o));
    const plain = bodies.map((b) => captureRecord(null, { rawBody: b }));
    const encoded = bodies.map((b) => captureRecord(null, { rawBody: b, base64: true }));
    const corrupt: CaptureRecord = { ...captureRecord(null, { rawBody: '{}' }), capturedata: { endpointinput: { data: '!!notbase64', encoding: 'BASE64' } } };
    // WHEN
    const fromPlain = await sqlCounts(BASELINE, plain);
    const fromEncoded = await sqlCounts(BASELINE, encoded);
    const withCorrupt = await sqlCounts(BASELINE, [...encoded, corrupt]);
    // THEN
    expect(fromEncoded).toEqual(fromPlain);
    expect(fromPlain).toEqual(jsCounts(BASELINE, bodies));
    for (const name of ['amount', 'currency', 'ratio']) {
      const f = withCorrupt[name] as { missing: number; total: number };
      const g = fromEncoded[name] as { missing: number; total: number };
      expect([f.missing, f.total]).toEqual([g.missing + 1, g.total + 1]);
    }
  });

  it('keeps only production variants, the partition range and inference times in [start, end) (fractional seconds too)', async () => {
    // GIVEN records around the window bounds and one from a shadow variant
    const at = (time: string, extra: { variant?: string; hour?: string } = {}): CaptureRecord => captureRecord({ currency: time }, { time, ...extra });
    const records = [
      at('2026-11-21T07:59:59.999Z', { hour: '2026/11/21/08' }), // before (even if filed under the first hour)
      at('2026-11-21T08:00:00Z'), // first instant: in
      at('2026-11-21T08:00:00.500Z'), // in (a string compare with '08:00:00Z' would drop it)
      at('2026-11-21T09:59:59.999Z', { hour: '2026/11/21/10' }), // in, filed under the next hour's partition
      at('2026-11-21T10:00:00Z', { hour: '2026/11/21/10' }), // end is exclusive
      at('2026-11-21T10:00:00.5Z', { hour: '2026/11/21/10' }), // after (a string compare would keep it)
      at('2026-11-21T09:00:00Z', { variant: 'Shadow' }), // shadow variant: excluded
      at('not-a-time', { hour: '2026/11/21/09' }), // unparseable time: excluded
    ];
    // WHEN
    const counts = (await sqlCounts(BASELINE, records)).currency as { counts: Record<string, number>; total: number };
    // THEN
    expect(Object.keys(counts.counts).sort()).toEqual(['2026-11-21T08:00:00.500Z', '2026-11-21T08:00:00Z', '2026-11-21T09:59:59.999Z']);
    expect(counts.total).toBe(3);
    // and lexicographic comparison would indeed have been wrong around fractional seconds
    expect('2026-11-21T08:00:00.500Z' < '2026-11-21T08:00:00Z').toBe(true);
  });

  it('documented gaps (bodies NOT written by JSON.stringify) are real and limited to those', async () => {
    // GIVEN a number written "1.0" and a duplicated key
    const bodies = ['{"currency": 1.0, "amount": 12}', '{"currency": "x", "currency": "y", "amount": 1}'];
    // WHEN
    const sql = await sqlCounts(BASELINE, bodies.map((b) => captureRecord(null, { rawBody: b })));
    const js = jsCounts(BASELINE, bodies);
    // THEN the SQL sees the raw number text where String(x) normalises it, and the first of duplicated keys
    expect((sql.currency as { counts: Record<string, number> }).counts).toEqual({ '1.0': 1, x: 1 });
    expect((js.currency as { counts: Record<string, number> }).counts).toEqual({ '1': 1, y: 1 });
    // AND numeric features agree
    expect(sql.amount).toEqual(js.amount);
  });
});

describe('captureWindow / loadConfig', () => {
  it('floors the time to the hour and goes back WINDOW_HOURS (no settle time)', () => {
    expect(captureWindow('2026-11-21T10:15:42.123Z', 2, 0)).toEqual({ start: new Date('2026-11-21T08:00:00Z'), end: new Date('2026-11-21T10:00:00Z') });
    expect(captureWindow('2026-11-21T10:00:00Z', 1, 0)).toEqual({ start: new Date('2026-11-21T09:00:00Z'), end: new Date('2026-11-21T10:00:00Z') });
    expect(captureWindow('2026-11-21T11:30:00+01:00', 1, 0).end).toEqual(new Date('2026-11-21T10:00:00Z'));
    expect(() => captureWindow('2026-11-21', 1, 0)).toThrow(DriftInputError);
    expect(() => captureWindow(1234, 1, 0)).toThrow(DriftInputError);
  });

  it('ends the window at the last full hour at least the settle time before the run: an hour still uploading is not counted', () => {
    // A run at 10:05 with 15 minutes to settle: 09:00-10:00 may still be uploading, so the window ends at 09:00
    expect(captureWindow('2026-11-21T10:05:00Z', 2, 15)).toEqual({ start: new Date('2026-11-21T07:00:00Z'), end: new Date('2026-11-21T09:00:00Z') });
    // At 10:15 exactly, the hour before has had its 15 minutes
    expect(captureWindow('2026-11-21T10:15:00Z', 2, 15)).toEqual({ start: new Date('2026-11-21T08:00:00Z'), end: new Date('2026-11-21T10:00:00Z') });
    expect(captureWindow('2026-11-21T10:14:59.999Z', 1, 15).end).toEqual(new Date('2026-11-21T09:00:00Z'));
    // Across midnight, and with a settle longer than an hour
    expect(captureWindow('2026-11-22T00:10:00Z', 24, 15)).toEqual({ start: new Date('2026-11-20T23:00:00Z'), end: new Date('2026-11-21T23:00:00Z') });
    expect(captureWindow('2026-11-21T10:05:00Z', 1, 90).end).toEqual(new Date('2026-11-21T08:00:00Z'));
  });

  it('every window ends on a whole hour, at least the settle time and less than an hour more before the run', () => {
    const HOUR = 3_600_000;
    for (const settle of [0, 1, 15, 59, 60, 61, 240, 1440]) {
      for (let minute = 0; minute < 24 * 60; minute += 7) {
        const run = Date.UTC(2026, 10, 21, 0, minute, 13, 250);
        const { start, end } = captureWindow(new Date(run).toISOString(), 3, settle);
        expect(end.getTime() % HOUR).toBe(0);
        expect(end.getTime()).toBeLessThanOrEqual(run - settle * 60_000);
        expect(end.getTime()).toBeGreaterThan(run - settle * 60_000 - HOUR);
        expect(end.getTime() - start.getTime()).toBe(3 * HOUR);
      }
    }
  });

  it.each([
    ['rate(1 hour), 1 h windows, run at :00', 1, 0, 15],
    ['rate(1 hour), 1 h windows, run at :20', 1, 20, 15],
    ['rate(1 hour), run minute before the settle', 1, 7, 15],
    ['rate(6 hours), 6 h windows, run at :45', 6, 45, 30],
    ['rate(1 day), 24 h windows, run at 00:10', 24, 10, 15],
    ['settle longer than the window', 1, 5, 125],
  ])('consecutive runs tile the capture without gap or overlap: %s', (_what, hours, minute, settle) => {
    // Runs `hours` apart, each a few seconds late (EventBridge and Step Functions start times jitter)
    const windows = Array.from({ length: 50 }, (_, k) =>
      captureWindow(new Date(Date.UTC(2026, 10, 21, 0, minute, (k * 7) % 50) + k * hours * 3_600_000).toISOString(), hours, settle),
    );
    for (let k = 1; k < windows.length; k++) expect(windows[k]!.start).toEqual(windows[k - 1]!.end);
  });

  it('refuses a settle time that is not whole minutes in 0..1440', () => {
    for (const bad of [-1, 1.5, 1441, Number.NaN]) expect(() => captureWindow('2026-11-21T10:05:00Z', 1, bad)).toThrow(DriftInputError);
  });

  const env = {
    ENDPOINT_NAME: 'fraud-prod',
    CAPTURE_DATABASE: 'plinth_capture',
    CAPTURE_TABLE: 'fraud_prod_capture',
    CAPTURE_VARIANTS: 'AllTraffic, Canary',
    WINDOW_HOURS: '2',
    CAPTURE_SETTLE_MINUTES: '15',
    BASELINE_BUCKET: 'b',
    BASELINE_KEY: 'drift-baselines/fraud-prod/current.json',
    COVERAGE_KEY: 'drift-coverage/fraud-prod.json',
  };

  it('reads the environment contract', () => {
    expect(loadConfig(env)).toEqual({
      endpointName: 'fraud-prod',
      captureDatabase: 'plinth_capture',
      captureTable: 'fraud_prod_capture',
      captureVariants: ['AllTraffic', 'Canary'],
      windowHours: 2,
      captureSettleMinutes: 15,
      baselineBucket: 'b',
      baselineKey: 'drift-baselines/fraud-prod/current.json',
      coverageKey: 'drift-coverage/fraud-prod.json',
    });
  });

  it.each([
    ['WINDOW_HOURS 0', { WINDOW_HOURS: '0' }],
    ['WINDOW_HOURS 1.5', { WINDOW_HOURS: '1.5' }],
    ['no CAPTURE_SETTLE_MINUTES (no quiet default)', { CAPTURE_SETTLE_MINUTES: '' }],
    ['CAPTURE_SETTLE_MINUTES -5', { CAPTURE_SETTLE_MINUTES: '-5' }],
    ['CAPTURE_SETTLE_MINUTES 7.5', { CAPTURE_SETTLE_MINUTES: '7.5' }],
    ['CAPTURE_SETTLE_MINUTES 1441', { CAPTURE_SETTLE_MINUTES: '1441' }],
    ['no CAPTURE_TABLE', { CAPTURE_TABLE: '' }],
    ['no COVERAGE_KEY (no quiet default: without it gaps go unseen)', { COVERAGE_KEY: '' }],
    ['a bad variant', { CAPTURE_VARIANTS: "a,b'" }],
    ['a bad endpoint', { ENDPOINT_NAME: 'fraud_prod' }],
  ])('rejects %s', (_what, overrides) => {
    expect(() => loadConfig({ ...env, ...overrides })).toThrow(DriftInputError);
  });
});

describeWithMoto('drift-query handler (moto S3)', (moto) => {
  const BUCKET = 'plinth-drift-baselines';
  const KEY = 'drift-baselines/fraud-prod/current.json';
  let s3: S3Client;
  let lines: string[] = [];
  const ENV = {
    ENDPOINT_NAME: 'fraud-prod',
    CAPTURE_DATABASE: 'plinth_capture',
    CAPTURE_TABLE: 'fraud_prod_capture',
    CAPTURE_VARIANTS: 'AllTraffic',
    WINDOW_HOURS: '2',
    CAPTURE_SETTLE_MINUTES: '15',
    BASELINE_BUCKET: BUCKET,
    BASELINE_KEY: KEY,
    COVERAGE_KEY: 'drift-coverage/fraud-prod.json',
    PLINTH_ENV: 'dev',
  };

  beforeAll(async () => {
    s3 = new S3Client(motoClientConfig(moto.endpoint));
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });
  let capture: ReturnType<typeof startCapture>;
  beforeEach(() => {
    capture = startCapture();
    lines = capture.lines;
    routeTo(handlerClients.s3, s3);
    Object.assign(process.env, ENV);
  });
  afterEach(() => {
    capture.stop();
    expectMatchesGolden('plinth-drift-query', lines);
    unrouteAll();
    jest.restoreAllMocks();
    for (const k of Object.keys(ENV)) delete process.env[k];
  });

  it('reads the current baseline and returns the window, the query and the baseline reference', async () => {
    // GIVEN the baseline in S3
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: JSON.stringify(BASELINE) }));
    // WHEN the state machine invokes the function with its start time (10:00 has had its 15 minutes to settle)
    const res = await handler({ time: '2026-11-21T10:17:12.345Z' });
    // THEN
    expect(res).toEqual({
      endpointName: 'fraud-prod',
      windowStart: '2026-11-21T08:00:00Z',
      windowEnd: '2026-11-21T10:00:00Z',
      queryString: renderBinCountSql({ ...query(), variants: ['AllTraffic'] }),
      // unversioned bucket: the ETag pins the object the SQL was rendered from
      baseline: { s3: { bucket: BUCKET, key: KEY, etag: expect.any(String) } },
      baselineVersion: 1,
      // no coverage record yet: the first run, the schedule's window
      coverage: {
        scheduledStart: '2026-11-21T08:00:00Z',
        coveredUntil: null,
        hoursAdded: 0,
        hoursSkipped: 0,
        record: { bucket: BUCKET, key: 'drift-coverage/fraud-prod.json' },
      },
    });
    const log = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'drift query rendered');
    expect(log).toMatchObject({ service: 'plinth-drift-query', endpointName: 'fraud-prod', environment: 'dev', features: 3 });
  });

  it('throws BaselineMissing (by name) when no baseline was written yet, telling the operator what to do', async () => {
    // GIVEN no object at the key
    process.env.BASELINE_KEY = 'drift-baselines/other/current.json';
    // WHEN / THEN
    const err = await handler({ time: '2026-11-21T10:00:00Z' }).then(
      () => new Error('expected BaselineMissing'),
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('BaselineMissing');
    expect(err.message).toMatch(/approve a model package.*plinth:training-sample/);
    expect(lines.some((l) => l.includes('"errorName":"BaselineMissing"'))).toBe(true);
  });

  it('rejects a baseline that is not JSON, a bad time and a bad environment with DriftInputError', async () => {
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'broken.json', Body: '{"version":1,' }));
    process.env.BASELINE_KEY = 'broken.json';
    await expect(handler({ time: '2026-11-21T10:00:00Z' })).rejects.toThrow(/not JSON/);
    process.env.BASELINE_KEY = KEY;
    await expect(handler({ time: 'yesterday' })).rejects.toThrow(DriftInputError);
    process.env.WINDOW_HOURS = '-1';
    await expect(handler({ time: '2026-11-21T10:00:00Z' })).rejects.toThrow(DriftInputError);
  });

  it('propagates other S3 errors (retryable), e.g. a missing bucket', async () => {
    process.env.BASELINE_BUCKET = 'no-such-bucket-here';
    await expect(handler({ time: '2026-11-21T10:00:00Z' })).rejects.toMatchObject({ name: 'NoSuchBucket' });
  });

  describe('with MODEL_PACKAGE_GROUP: the baseline of the version the variant serves, not current.json', () => {
    const sm = mockClient(handlerClients.sagemaker);
    const ACCOUNT_ARN = 'arn:aws:sagemaker:us-east-1:123456789012';
    const packageArn = (v: number) => `${ACCOUNT_ARN}:model-package/fraud/${v}`;
    /** v3's baseline: other edges than v2's, so the SQL tells which one it was rendered from. */
    const V3 = buildBaseline({ amount: [100, 200, 300, 400, 500], ratio: [0.5, 0.6], currency: ['JPY'] }, { features: { amount: { type: 'numeric', bins: 2, valueBinLimit: 0 }, ratio: { type: 'numeric' }, currency: { type: 'categorical' } }, createdAt: '2026-11-20T00:00:00.000Z' });
    const withSource = (b: Baseline, v: number) => ({ ...b, source: { modelPackageArn: packageArn(v), trainingSample: 's3://t/k.csv', sampledRecords: 10, totalRecords: 10 } });
    /** The endpoint's config in service runs `modelName` on AllTraffic; the model carries `tags`. */
    function serving(modelName: string | undefined, tags: Array<{ Key: string; Value: string }>): void {
      sm.reset();
      sm.on(DescribeEndpointCommand).resolves({ EndpointName: 'fraud-prod', EndpointConfigName: 'fraud-prod-v2-1a2b3c4d', EndpointStatus: 'InService' });
      sm.on(DescribeEndpointConfigCommand).resolves({ ProductionVariants: modelName ? [{ VariantName: 'AllTraffic', ModelName: modelName }] : [{ VariantName: 'Other', ModelName: 'x' }] });
      sm.on(DescribeModelCommand).resolves({ ModelArn: `${ACCOUNT_ARN}:model/${(modelName ?? '').toLowerCase()}` });
      sm.on(ListTagsCommand).resolves({ Tags: tags });
    }
    beforeEach(async () => {
      process.env.MODEL_PACKAGE_GROUP = 'fraud';
      process.env.MODEL_VARIANT = 'AllTraffic';
      // current.json is v3's (approved last: its canary then rolled back); v2 serves
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: JSON.stringify(withSource(V3, 3)) }));
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'drift-baselines/fraud-prod/fraud-v3.json', Body: JSON.stringify(withSource(V3, 3)) }));
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'drift-baselines/fraud-prod/fraud-v2.json', Body: JSON.stringify(withSource(BASELINE, 2)) }));
    });
    afterEach(() => {
      delete process.env.MODEL_PACKAGE_GROUP;
      delete process.env.MODEL_VARIANT;
    });
    afterAll(() => sm.restore());

    it('after a rolled-back canary, compares with the served version\'s baseline (v2), not the one approved last (v3)', async () => {
      serving('fraud-prod-AllTraffic-v2', [{ Key: 'team', Value: 'fraud' }, { Key: 'plinth:model-package', Value: packageArn(2) }]);
      const res = await handler({ time: '2026-11-21T10:17:12.345Z' });
      expect(res.baseline.s3).toEqual({ bucket: BUCKET, key: 'drift-baselines/fraud-prod/fraud-v2.json', etag: expect.any(String) });
      expect(res.queryString).toBe(renderBinCountSql({ ...query(), variants: ['AllTraffic'] }));
      // the package is found from the model in the endpoint's config in service
      expect(sm.commandCalls(DescribeEndpointConfigCommand)[0]!.args[0].input).toEqual({ EndpointConfigName: 'fraud-prod-v2-1a2b3c4d' });
      expect(sm.commandCalls(ListTagsCommand)[0]!.args[0].input).toMatchObject({ ResourceArn: `${ACCOUNT_ARN}:model/fraud-prod-alltraffic-v2` });
      const log = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'drift query rendered');
      expect(log).toMatchObject({ baselineKey: 'drift-baselines/fraud-prod/fraud-v2.json', servedModelPackageArn: packageArn(2) });
    });

    it('once the new version serves, its baseline is used', async () => {
      serving('fraud-prod-AllTraffic-v3', [{ Key: 'plinth:model-package', Value: packageArn(3) }]);
      const res = await handler({ time: '2026-11-21T10:17:12.345Z' });
      expect(res.baseline.s3.key).toBe('drift-baselines/fraud-prod/fraud-v3.json');
      expect(res.queryString).toBe(renderBinCountSql({ ...query(), baseline: V3, variants: ['AllTraffic'] }));
    });

    it.each<[string, () => void, RegExp, string]>([
      ['a model deploy-model did not create (no package tag)', () => serving('bootstrap-model', [{ Key: 'team', Value: 'fraud' }]), /was not deployed from a registered package/, 'BaselineMissing'],
      ['a variant without a model of its own', () => serving(undefined, []), /runs no model of its own/, 'BaselineMissing'],
      ['a served version whose approval built no baseline', () => serving('fraud-prod-AllTraffic-v7', [{ Key: 'plinth:model-package', Value: packageArn(7) }]), /no drift baseline for .*model-package\/fraud\/7.*its approval built none/, 'BaselineMissing'],
      ['a package of another group', () => serving('fraud-prod-AllTraffic-v2', [{ Key: 'plinth:model-package', Value: `${ACCOUNT_ARN}:model-package/churn/2` }]), /not a version of package group fraud/, 'DriftInputError'],
    ])('%s: fails by name, never falls back to current.json', async (_what, arrange, message, name) => {
      arrange();
      const err = await handler({ time: '2026-11-21T10:00:00Z' }).then(
        () => new Error('expected a failure'),
        (e: unknown) => e as Error,
      );
      expect({ name: err.name, message: err.message }).toEqual({ name, message: expect.stringMatching(message) });
    });

    it('refuses a versioned baseline that names another package than the one served', async () => {
      serving('fraud-prod-AllTraffic-v2', [{ Key: 'plinth:model-package', Value: packageArn(2) }]);
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'drift-baselines/fraud-prod/fraud-v2.json', Body: JSON.stringify(withSource(BASELINE, 5)) }));
      await expect(handler({ time: '2026-11-21T10:00:00Z' })).rejects.toThrow(/built for .*fraud\/5, not for the served .*fraud\/2/);
    });

    it('MODEL_PACKAGE_GROUP and MODEL_VARIANT go together', () => {
      expect(() => loadConfig({ ...ENV, MODEL_PACKAGE_GROUP: 'fraud' })).toThrow(/set both or neither/);
      expect(loadConfig({ ...ENV, MODEL_PACKAGE_GROUP: 'fraud', MODEL_VARIANT: 'AllTraffic' }).servedModel).toEqual({ modelPackageGroupName: 'fraud', variantName: 'AllTraffic' });
    });
  });
});
