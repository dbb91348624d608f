/**
 * drift-stats with the window as Athena query results.
 *  - Athena: MOCKED with aws-sdk-client-mock (GetQueryResults). moto's Athena
 *    runs no SQL, so it cannot return the results of the drift query.
 *  - The rows of the end-to-end test are produced by executing the SQL that
 *    drift-query renders, run in DuckDB (support/duckdb-capture.ts), over capture records.
 *  - EventBridge: mocked with aws-sdk-client-mock. EMF/log lines captured.
 */

import { AthenaClient, GetQueryResultsCommand, InvalidRequestException } from '@aws-sdk/client-athena';
import type { GetQueryResultsCommandInput, GetQueryResultsCommandOutput, Row } from '@aws-sdk/client-athena';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { MAX_RESULT_ROWS, windowFromBinCounts } from '../../../lambdas/drift-stats/athena-window';
import { buildBaseline } from '../../../lambdas/drift-stats/baseline';
import { handler } from '../../../lambdas/drift-stats/index';
import type { DriftStatsEvent } from '../../../lambdas/drift-stats/index';
import { setClients, setOutput } from '../../../lambdas/drift-stats/runtime';
import { DriftInputError } from '../../../lambdas/drift-stats/statistics';
import type { Baseline, NumericCounts } from '../../../lambdas/drift-stats/statistics';
import { DUCKDB, renderBinCountSql } from '../../../lambdas/drift-query/sql';
import { captureRecord, runDriftSql } from './support/duckdb-capture';
import type { ResultRow } from './support/duckdb-capture';

type Json = Record<string, unknown>;

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sample(seed: number, n: number, shift = 0): { age: number[]; income: (number | null)[]; channel: string[] } {
  const r = rng(seed);
  const out = { age: [] as number[], income: [] as (number | null)[], channel: [] as string[] };
  for (let i = 0; i < n; i++) {
    out.age.push(Math.round(20 + 50 * r() + shift * 20));
    out.income.push(r() < 0.02 ? null : Math.round(1000 * (1 + 4 * r())));
    out.channel.push(['web', 'app', 'store', ...(shift ? ['kiosk'] : [])][Math.floor(r() * (shift ? 4 : 3))]!);
  }
  return out;
}

const BASELINE: Baseline = buildBaseline(sample(1, 10_000), {
  features: { age: { type: 'numeric' }, income: { type: 'numeric' }, channel: { type: 'categorical' } },
  createdAt: '2031-01-01T00:00:00.000Z',
});
const THRESHOLDS = { psi: 0.2, ks: 0.1, missingRate: 0.05, unseenShare: 0.01 };
const QUERY_ID = 'a1b2c3d4-0000-4000-8000-000000000001';

const HEADER: ResultRow = { feature: 'feature', kind: 'kind', bucket: 'bucket', n: 'n' };

function athenaRow(r: ResultRow): Row {
  return { Data: [{ VarCharValue: r.feature }, { VarCharValue: r.kind }, r.bucket === null ? {} : { VarCharValue: r.bucket }, { VarCharValue: r.n }] };
}

/** Result pages as Athena returns them: the header is the first row of the first page only. */
function pages(rows: readonly ResultRow[], pageSize = 1000): GetQueryResultsCommandOutput[] {
  const all = [HEADER, ...rows].map(athenaRow);
  const out: GetQueryResultsCommandOutput[] = [];
  for (let i = 0; i < all.length || i === 0; i += pageSize) {
    const last = i + pageSize >= all.length;
    out.push({ $metadata: {}, ResultSet: { Rows: all.slice(i, i + pageSize) }, ...(last ? {} : { NextToken: `token-${i + pageSize}` }) });
  }
  return out;
}

/** Rows of the drift query over these feature objects (the SQL rendered by drift-query, run in DuckDB). */
async function queryRows(requests: readonly Json[]): Promise<ResultRow[]> {
  const sql = renderBinCountSql({
    database: 'plinth_capture',
    table: 'fraud_prod_capture',
    variants: ['AllTraffic'],
    windowStart: new Date('2031-03-01T00:00:00Z'),
    windowEnd: new Date('2031-03-01T01:00:00Z'),
    baseline: BASELINE,
  }, DUCKDB);
  return runDriftSql(
    sql,
    requests.map((f) => captureRecord(f, { time: '2031-03-01T00:30:00Z' })),
  );
}

function requestsOf(s: ReturnType<typeof sample>): Json[] {
  return s.age.map((age, i) => ({ age, income: s.income[i], channel: s.channel[i] }));
}

function event(window: unknown): DriftStatsEvent {
  return {
    endpointName: 'fraud-prod',
    windowStart: '2031-03-01T00:00:00Z',
    windowEnd: '2031-03-01T01:00:00Z',
    baseline: JSON.parse(JSON.stringify(BASELINE)) as unknown,
    window,
    thresholds: THRESHOLDS,
    minSamples: 100,
  };
}

describe("drift-stats Athena window (Athena mocked with aws-sdk-client-mock: moto's Athena cannot run the query)", () => {
  let lines: string[];
  const athena = new AthenaClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const events = new EventBridgeClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const athenaMock = mockClient(athena);
  const ebMock = mockClient(events);

  /** Serve these pages in order of NextToken. */
  function serve(result: GetQueryResultsCommandOutput[]): void {
    athenaMock.on(GetQueryResultsCommand).callsFake((input: GetQueryResultsCommandInput) => {
      const i = input.NextToken === undefined ? 0 : result.findIndex((_, k) => k > 0 && result[k - 1]!.NextToken === input.NextToken);
      if (i < 0) throw new Error(`unexpected NextToken ${input.NextToken}`);
      return result[i];
    });
  }

  function emf(): Json[] {
    return lines.map((l) => JSON.parse(l) as Json).filter((o) => o._aws !== undefined);
  }

  beforeEach(() => {
    lines = [];
    athenaMock.reset();
    ebMock.reset();
    ebMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    setOutput((l) => lines.push(l));
    setClients({ athena, eventBridge: events });
  });
  afterEach(() => {
    setOutput(undefined);
    setClients({});
  });
  afterAll(() => {
    athenaMock.restore();
    ebMock.restore();
  });

  it('gives exactly the evaluation of the raw-sample path for the same requests (drifting window)', async () => {
    // GIVEN a shifted population, as raw values and as the drift query's rows over the same requests
    const shifted = sample(2, 3000, 1);
    const rows = await queryRows(requestsOf(shifted));
    serve(pages(rows));
    // WHEN evaluated from Athena and from the sample
    const fromAthena = await handler(event({ athena: { queryExecutionId: QUERY_ID } }));
    const fromSample = await handler(event({ sample: shifted }));
    // THEN identical statistics, statuses and event
    expect(fromAthena).toEqual(fromSample);
    expect(fromAthena.drifting).toEqual(['age', 'channel']);
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(2);
    expect(emf().filter((d) => d.Feature === undefined)[0]).toMatchObject({ Endpoint: 'fraud-prod', FeaturesDrifting: 2, FeaturesInsufficient: 0, DriftEvaluations: 1, queryExecutionId: QUERY_ID });
  });

  it('gives exactly the evaluation of the raw-sample path for a window like the baseline (no drift)', async () => {
    const same = sample(3, 5000);
    serve(pages(await queryRows(requestsOf(same))));
    const fromAthena = await handler(event({ athena: { queryExecutionId: QUERY_ID } }));
    expect(fromAthena).toEqual(await handler(event({ sample: same })));
    expect(fromAthena.status).toBe('ok');
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('pages through every result page with MaxResults 1000 and NextToken, reading the header only on the first', async () => {
    // GIVEN 2500 data rows (plus the header) on 3 pages: the age bins inside the baseline's range
    // (all but the two open outer bins) repeated, 2 values each (repeats add up)
    const base = BASELINE.features.age as NumericCounts;
    const inner = base.counts.length - 2;
    const rows: ResultRow[] = [];
    for (let i = 0; i < 2500; i++) rows.push({ feature: 'age', kind: 'bin', bucket: String(1 + (i % inner)), n: '2' });
    serve(pages(rows));
    // WHEN
    const res = await handler(event({ athena: { queryExecutionId: QUERY_ID } }));
    // THEN three calls, chained by NextToken, each asking for 1000 rows
    const calls = athenaMock.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { QueryExecutionId: QUERY_ID, MaxResults: 1000 },
      { QueryExecutionId: QUERY_ID, MaxResults: 1000, NextToken: 'token-1000' },
      { QueryExecutionId: QUERY_ID, MaxResults: 1000, NextToken: 'token-2000' },
    ]);
    // AND every row counted (5000 age values, evenly over the bins: no drift on age; the others have no rows)
    expect(res.features.age).toMatchObject({ status: 'ok', n: 5000 });
    expect(res.insufficient).toEqual(['channel', 'income']);
  });

  it('a baseline feature without rows is all zero (insufficient data), and unknown features are listed', async () => {
    // GIVEN rows for age only, plus a feature the baseline does not know
    const rows: ResultRow[] = [
      ...(BASELINE.features.age as NumericCounts).counts.map((c, i) => ({ feature: 'age', kind: 'bin', bucket: String(i), n: String(c) })),
      { feature: 'zipcode', kind: 'category', bucket: '12345', n: '9' },
      { feature: 'zipcode', kind: 'missing', bucket: null, n: '1' },
    ];
    serve(pages(rows));
    // WHEN
    const res = await handler(event({ athena: { queryExecutionId: QUERY_ID } }));
    // THEN
    expect(res.features.income).toEqual({ status: 'insufficient-data', type: 'numeric', n: 0, minSamples: 100, reason: 'below-min-samples', missingRateDelta: null });
    expect(res.features.channel).toMatchObject({ status: 'insufficient-data', n: 0 });
    expect(res.features.age).toMatchObject({ status: 'ok', psi: 0 });
    expect(res.unknownFeatures).toEqual(['zipcode']);
    expect(res.status).toBe('ok');
  });

  it('an all-missing window (a broken capture or upstream) drifts on the missing rate for every feature and publishes one event', async () => {
    // GIVEN 5000 requests where every feature is missing
    serve(pages([
      { feature: 'age', kind: 'missing', bucket: null, n: '5000' },
      { feature: 'income', kind: 'missing', bucket: null, n: '5000' },
      { feature: 'channel', kind: 'missing', bucket: null, n: '5000' },
    ]));
    // WHEN evaluated with the default thresholds
    const res = await handler({ ...event({ athena: { queryExecutionId: QUERY_ID } }), thresholds: { psi: 0.2, ks: 0.1, missingRate: 0.05, unseenShare: 0.01 } });
    // THEN every feature drifts on its missing rate; no distribution statistic is claimed
    expect(res.status).toBe('drift');
    expect(res.drifting).toEqual(['age', 'channel', 'income']);
    expect(res.insufficient).toEqual([]);
    for (const name of ['age', 'channel', 'income']) {
      const base = BASELINE.features[name]!;
      expect(res.features[name]).toMatchObject({ status: 'drift', reasons: ['missingRate'], n: 0, psi: null, unseenShare: null, missingRateDelta: 1 - base.missing / base.total });
    }
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(1);
    expect(emf().find((d) => d.Feature === undefined)).toMatchObject({ FeaturesDrifting: 3, FeaturesInsufficient: 0, DriftEvaluations: 1 });
    // the feature metrics carry the missing rate and no PSI
    const age = emf().find((d) => d.Feature === 'age')!;
    expect(age).toMatchObject({ InsufficientData: 0, MissingRateDelta: 1 - BASELINE.features.age!.missing / BASELINE.features.age!.total });
    expect(age).not.toHaveProperty('PSI');
    expect(age).not.toHaveProperty('UnseenShare');
  });

  it.each([
    [
      'a bin outside the baseline bins',
      { feature: 'age', kind: 'bin', bucket: String((BASELINE.features.age as NumericCounts).counts.length), n: '1' },
      new RegExp(`outside 0..${(BASELINE.features.age as NumericCounts).counts.length - 1}`),
    ],
    ['a negative bin', { feature: 'age', kind: 'bin', bucket: '-1', n: '1' }, /outside/],
    ['a bin without index', { feature: 'age', kind: 'bin', bucket: null, n: '1' }, /outside/],
    ['an unknown kind', { feature: 'age', kind: 'histogram', bucket: '1', n: '1' }, /unknown kind/],
    ['a fractional n', { feature: 'age', kind: 'bin', bucket: '1', n: '1.5' }, /non-negative integer/],
    ['a negative n', { feature: 'age', kind: 'bin', bucket: '1', n: '-3' }, /non-negative integer/],
    ['a non-numeric n', { feature: 'age', kind: 'bin', bucket: '1', n: 'many' }, /non-negative integer/],
    ['a category for a numeric feature', { feature: 'age', kind: 'category', bucket: 'x', n: '1' }, /numeric in the baseline/],
    ['a bin for a categorical feature', { feature: 'channel', kind: 'bin', bucket: '0', n: '1' }, /categorical in the baseline/],
  ] as const)('rejects %s with DriftInputError and publishes nothing', async (_what, row, message) => {
    serve(pages([row as ResultRow]));
    const p = handler(event({ athena: { queryExecutionId: QUERY_ID } }));
    await expect(p).rejects.toThrow(DriftInputError);
    await expect(handler(event({ athena: { queryExecutionId: QUERY_ID } }))).rejects.toThrow(message);
    expect(ebMock.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('rejects results whose first row is not the feature/kind/bucket/n header', async () => {
    // GIVEN results without the header (first row is data) and with other column names
    athenaMock.on(GetQueryResultsCommand).resolves({ ResultSet: { Rows: [athenaRow({ feature: 'age', kind: 'bin', bucket: '0', n: '5' })] } });
    await expect(handler(event({ athena: { queryExecutionId: QUERY_ID } }))).rejects.toThrow(/header/);
    athenaMock.on(GetQueryResultsCommand).resolves({ ResultSet: { Rows: [athenaRow({ feature: 'feature', kind: 'kind', bucket: 'bucket', n: 'count' })] } });
    await expect(handler(event({ athena: { queryExecutionId: QUERY_ID } }))).rejects.toThrow(DriftInputError);
    athenaMock.on(GetQueryResultsCommand).resolves({ ResultSet: { Rows: [] } });
    await expect(handler(event({ athena: { queryExecutionId: QUERY_ID } }))).rejects.toThrow(/header/);
  });

  it('rejects a bad query execution id before calling Athena, and lets Athena errors propagate (retryable)', async () => {
    await expect(handler(event({ athena: { queryExecutionId: 'x/../y' } }))).rejects.toThrow(DriftInputError);
    await expect(handler(event({ athena: {} }))).rejects.toThrow(/queryExecutionId/);
    expect(athenaMock.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
    athenaMock.on(GetQueryResultsCommand).rejects(new InvalidRequestException({ message: 'Query has not yet finished', $metadata: {} }));
    await expect(handler(event({ athena: { queryExecutionId: QUERY_ID } }))).rejects.toMatchObject({ name: 'InvalidRequestException' });
  });

  it('refuses more than MAX_RESULT_ROWS rows instead of reading for minutes', async () => {
    // GIVEN a query that keeps returning pages
    athenaMock.on(GetQueryResultsCommand).callsFake((input: GetQueryResultsCommandInput) => ({
      ResultSet: { Rows: [...(input.NextToken ? [] : [athenaRow(HEADER)]), ...Array.from({ length: 1000 }, (_, i) => athenaRow({ feature: 'channel', kind: 'category', bucket: `${input.NextToken}-${i}`, n: '1' }))] },
      NextToken: `t${Math.random()}`,
    }));
    // WHEN / THEN
    await expect(handler(event({ athena: { queryExecutionId: QUERY_ID } }))).rejects.toThrow(/more than 200000 rows/);
    expect(MAX_RESULT_ROWS).toBe(200_000);
    expect(athenaMock.commandCalls(GetQueryResultsCommand).length).toBe(201);
  });
});

describe('windowFromBinCounts (pure)', () => {
  it('adds repeated rows up and keeps total = Σcounts + missing', () => {
    const w = windowFromBinCounts(BASELINE, [
      { feature: 'channel', kind: 'category', bucket: 'web', n: '3' },
      { feature: 'channel', kind: 'category', bucket: 'web', n: '4' },
      { feature: 'channel', kind: 'category', bucket: '__proto__', n: '1' },
      { feature: 'channel', kind: 'missing', bucket: null, n: '2' },
    ]);
    expect(w.features.channel).toEqual({ type: 'categorical', counts: { web: 7, ['__proto__']: 1 }, missing: 2, total: 10 });
    expect(Object.prototype.hasOwnProperty.call((w.features.channel as { counts: object }).counts, '__proto__')).toBe(true);
    expect(w.features.age).toEqual({ type: 'numeric', counts: Array((BASELINE.features.age as NumericCounts).counts.length).fill(0), missing: 0, total: 0 });
  });
});
