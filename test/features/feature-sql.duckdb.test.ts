import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { featureStoreConfigSchema } from '../../config/feature-store';
import { accountFeatures } from '../../config/feature-groups/account-features';
import type { FeatureGroupDefinition } from '../../lib/feature-store/feature-group';
import { exportStatement, materializationSelect, pointInTimeSelect, SKIP_COLUMN, SqlInputError, WINDOW_END_TOKEN, WINDOW_START_TOKEN } from '../../lib/features/sql';
import { duckdb } from '../support/duckdb';

const GROUP = featureStoreConfigSchema.parse({ featureGroups: [accountFeatures] }).featureGroups[0] as FeatureGroupDefinition;

const TRANSACTIONS: Array<[string, string, number, string]> = [
  ['a1', '2026-01-01T00:00:00Z', 10, 'A'],
  ['a1', '2026-01-01T12:00:00Z', 20, 'B'],
  ['a1', '2026-01-02T06:00:00Z', 5, 'A'],
  ['a1', '2026-01-09T00:00:00Z', 1, 'C'],
  ['a2', '2026-01-03T00:00:00Z', 100, 'X'],
  ['a2', '2026-01-03T00:00:00Z', 50, 'Y'],
];
const FEATURE_COLUMNS = GROUP.features.map((f) => f.name);

type Db = Awaited<ReturnType<typeof duckdb>>;

/**
 * The curated table as Athena sees it: timestamps are ISO strings (lib/data-lake GLUE_TYPES), the
 * ingest_date partition (the UTC day the raw object arrived) and the Hive connector's hidden
 * "$file_modified_time" (when the row's curated object was written), which DuckDB holds as columns.
 */
async function curatedTable(): Promise<Db> {
  const db = await duckdb();
  await db.run(
    'CREATE TABLE transactions (transaction_id VARCHAR, account_id VARCHAR, amount DOUBLE, currency VARCHAR, merchant_category VARCHAR, occurred_at VARCHAR, card_present BOOLEAN, ' +
      'ingest_date VARCHAR, "$file_modified_time" TIMESTAMPTZ)',
  );
  return db;
}
let txnIds = 0;
/** One curated row; by default it arrives one minute after it happened, in that day's ingest partition. */
async function arrive(db: Db, account: string, at: string, amount: number, category: string, arrived?: string, ingestDate?: string): Promise<void> {
  const written = arrived ?? new Date(Date.parse(at) + 60_000).toISOString();
  await db.run(
    `INSERT INTO transactions VALUES ('t${txnIds++}', '${account}', ${amount}, 'EUR', '${category}', '${at}', true, '${ingestDate ?? written.slice(0, 10)}', from_iso8601_timestamp('${written}'))`,
  );
}
async function lakeWithTransactions(): Promise<Db> {
  const db = await curatedTable();
  for (const [account, at, amount, category] of TRANSACTIONS) await arrive(db, account, at, amount, category);
  return db;
}
/** The rows a run stages for the window [start, end) of arrival time, in a stable order. */
async function run(db: Db, start: string, end: string, group: FeatureGroupDefinition = GROUP, options: { maxLatenessMinutes?: number } = {}) {
  return db.rows(`${materializationSelect(group, { start, end }, options)} ORDER BY ALL`);
}

describe('account-spend transformation, run in DuckDB', () => {
  test('yields hand-computed rolling features for the rows that arrived inside the window, looking back past its start', async () => {
    // GIVEN the curated transactions, each arriving a minute after it happened
    const db = await lakeWithTransactions();
    try {
      // WHEN the pipeline's SELECT runs for arrivals in [01-01T12:00, 01-09T00:00)
      const rows = await run(db, '2026-01-01T12:00:00Z', '2026-01-09T00:00:00Z');
      // THEN (computed by hand: 24 h and 7 d trailing windows, the row itself included)
      expect(rows).toEqual([
        { account_id: 'a1', event_time: '2026-01-01T12:00:00Z', txn_count_24h: '2', amount_sum_24h: 30, amount_max_7d: 20, distinct_categories_7d: '2', __plinth_skip: null },
        { account_id: 'a1', event_time: '2026-01-02T06:00:00Z', txn_count_24h: '2', amount_sum_24h: 25, amount_max_7d: 20, distinct_categories_7d: '2', __plinth_skip: null },
        { account_id: 'a2', event_time: '2026-01-03T00:00:00Z', txn_count_24h: '2', amount_sum_24h: 150, amount_max_7d: 100, distinct_categories_7d: '2', __plinth_skip: null },
      ]);
    } finally {
      db.close();
    }
  });

  test('the window end is exclusive and rows that arrived at or after it are not materialized', async () => {
    const db = await lakeWithTransactions();
    try {
      // a1@01-09T00:00 arrived at 00:01: in [01-08, 00:01:01), not in [01-08, 00:01).
      expect(await run(db, '2026-01-08T00:00:00Z', '2026-01-09T00:01:00Z')).toEqual([]);
      // a1@01-09: 24 h holds itself only; 7 d holds 01-02T06 (5) and itself (1).
      expect(await run(db, '2026-01-08T00:00:00Z', '2026-01-09T00:01:01Z')).toEqual([
        { account_id: 'a1', event_time: '2026-01-09T00:00:00Z', txn_count_24h: '1', amount_sum_24h: 1, amount_max_7d: 5, distinct_categories_7d: '2', __plinth_skip: null },
      ]);
    } finally {
      db.close();
    }
  });

  test('its columns are exactly the declared features, with types that map onto them, and the skip marker', async () => {
    const db = await lakeWithTransactions();
    try {
      const described = await db.rows(`DESCRIBE ${materializationSelect(GROUP, { start: '2026-01-01T00:00:00Z', end: '2027-01-01T00:00:00Z' })}`);
      const expected: Record<string, string[]> = { String: ['VARCHAR'], Integral: ['BIGINT'], Fractional: ['DOUBLE'] };
      expect(described.map((c) => c.column_name)).toEqual([...FEATURE_COLUMNS, SKIP_COLUMN]);
      for (const feature of GROUP.features) {
        expect(expected[feature.type]).toContain(described.find((c) => c.column_name === feature.name)?.column_type);
      }
      expect(described.find((c) => c.column_name === SKIP_COLUMN)?.column_type).toBe('VARCHAR');
    } finally {
      db.close();
    }
  });

  test('the state machine template keeps its window tokens, and only they differ from a rendered window', () => {
    const template = materializationSelect(GROUP, { start: WINDOW_START_TOKEN, end: WINDOW_END_TOKEN });
    const rendered = materializationSelect(GROUP, { start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' });
    expect(template.split(WINDOW_START_TOKEN).join('2026-01-01T00:00:00Z').split(WINDOW_END_TOKEN).join('2026-01-02T00:00:00Z')).toBe(rendered);
  });

  test('a window bound that is not an ISO instant, or a lateness that is not whole minutes, is refused before any SQL is built', () => {
    expect(() => materializationSelect(GROUP, { start: "2026-01-01' OR 1=1 --", end: '2026-01-02T00:00:00Z' })).toThrow(SqlInputError);
    expect(() => materializationSelect(GROUP, { start: '2026-13-45T00:00:00Z', end: '2026-01-02T00:00:00Z' })).toThrow(/ISO-8601/);
    expect(() => materializationSelect(GROUP, { start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' }, { maxLatenessMinutes: -1 })).toThrow(/maxLatenessMinutes/);
    expect(() => materializationSelect({ ...GROUP, source: { ...GROUP.source!, lookbackDays: 2.5 } }, { start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' })).toThrow(/lookbackDays/);
  });
});

describe('late data: rows are taken by when they arrived in the lake, with their own event time', () => {
  test('a row that lands after its event-time window has passed is featurized by the next run, with its full history', async () => {
    // GIVEN a1's transaction of two days ago (history), and hourly runs with a two-hour window
    const db = await curatedTable();
    try {
      await arrive(db, 'a1', '2026-01-03T09:00:00Z', 70, 'A');
      await arrive(db, 'a1', '2026-01-05T10:30:00Z', 20, 'B');
      // WHEN the 12:00 run runs, a1's 08:30 transaction has not reached the lake yet (a late upload)
      expect(await run(db, '2026-01-05T10:00:00Z', '2026-01-05T12:00:00Z')).toEqual([
        { account_id: 'a1', event_time: '2026-01-05T10:30:00Z', txn_count_24h: '1', amount_sum_24h: 20, amount_max_7d: 70, distinct_categories_7d: '2', __plinth_skip: null },
      ]);
      // AND it lands at 12:20, its event time (08:30) long before both windows
      await arrive(db, 'a1', '2026-01-05T08:30:00Z', 5, 'C', '2026-01-05T12:20:00Z');
      // THEN the 13:00 run featurizes it at its own event time, counting the history before it
      // (and only it: a1's 10:30 record, which arrived before this window, keeps the values it was
      // served with; a backfill over its arrival recomputes it, counting the 08:30 row)
      expect(await run(db, '2026-01-05T11:00:00Z', '2026-01-05T13:00:00Z')).toEqual([
        { account_id: 'a1', event_time: '2026-01-05T08:30:00Z', txn_count_24h: '1', amount_sum_24h: 5, amount_max_7d: 70, distinct_categories_7d: '2', __plinth_skip: null },
      ]);
      expect(await run(db, '2026-01-05T10:00:00Z', '2026-01-05T13:00:00Z')).toContainEqual(
        { account_id: 'a1', event_time: '2026-01-05T10:30:00Z', txn_count_24h: '2', amount_sum_24h: 25, amount_max_7d: 70, distinct_categories_7d: '3', __plinth_skip: null },
      );
    } finally {
      db.close();
    }
  });

  test('a replayed or re-delivered object, curated days later into its original ingest partition, is featurized when it is written', async () => {
    const db = await curatedTable();
    try {
      // GIVEN a row whose raw object arrived on 01-03 but was curated on 01-05 (a DLQ redrive)
      await arrive(db, 'a3', '2026-01-03T07:00:00Z', 9, 'A', '2026-01-05T09:10:00Z', '2026-01-03');
      // THEN the run whose window holds 01-05T09:10 featurizes it; the runs of 01-03 never saw it
      expect(await run(db, '2026-01-03T06:00:00Z', '2026-01-03T23:00:00Z')).toEqual([]);
      expect(await run(db, '2026-01-05T08:00:00Z', '2026-01-05T10:00:00Z')).toEqual([
        { account_id: 'a3', event_time: '2026-01-03T07:00:00Z', txn_count_24h: '1', amount_sum_24h: 9, amount_max_7d: 9, distinct_categories_7d: '1', __plinth_skip: null },
      ]);
    } finally {
      db.close();
    }
  });

  test('consecutive overlapping runs take a row twice with the same values when nothing else arrived (idempotent)', async () => {
    const db = await lakeWithTransactions();
    try {
      const first = await run(db, '2026-01-02T04:00:00Z', '2026-01-02T08:00:00Z');
      const second = await run(db, '2026-01-02T06:00:00Z', '2026-01-02T10:00:00Z');
      expect(first).toHaveLength(1);
      expect(second).toEqual(first);
    } finally {
      db.close();
    }
  });

  test('a row older than the lateness allowance is staged too-late, not dropped; a backfill from before its event time featurizes it', async () => {
    const db = await curatedTable();
    try {
      // GIVEN a row of 01-01 that lands on 01-10 (nine days late; the allowance is three days)
      await arrive(db, 'a4', '2025-12-31T12:00:00Z', 40, 'A');
      await arrive(db, 'a4', '2026-01-01T10:00:00Z', 8, 'B', '2026-01-10T10:00:00Z');
      // THEN the regular run stages it marked too-late (feature-ingest dead-letters it, counted and alarmed)
      const [late] = await run(db, '2026-01-10T09:00:00Z', '2026-01-10T11:00:00Z');
      expect(late).toMatchObject({ account_id: 'a4', event_time: '2026-01-01T10:00:00Z', __plinth_skip: 'too-late' });
      // AND a backfill whose window starts before its event time reads the history it needs and featurizes it
      expect(await run(db, '2025-12-31T00:00:00Z', '2026-01-10T11:00:00Z')).toEqual([
        { account_id: 'a4', event_time: '2025-12-31T12:00:00Z', txn_count_24h: '1', amount_sum_24h: 40, amount_max_7d: 40, distinct_categories_7d: '1', __plinth_skip: null },
        { account_id: 'a4', event_time: '2026-01-01T10:00:00Z', txn_count_24h: '2', amount_sum_24h: 48, amount_max_7d: 40, distinct_categories_7d: '2', __plinth_skip: null },
      ]);
    } finally {
      db.close();
    }
  });

  test('each run reads only the ingest partitions its rows and their look-back can be in, by literal day bounds', async () => {
    // Window [01-20T10:00, 12:00): minus 3 days of lateness, 7 of look-back and 1 of skew, the
    // oldest partition read is 01-09; the newest is the window end's day, 01-20.
    const window = { start: '2026-01-20T10:00:00Z', end: '2026-01-20T12:00:00Z' };
    const sql = materializationSelect(GROUP, window);
    // THEN every partition predicate compares ingest_date with an expression of constants only
    // (Athena folds it and its partition projection prunes by it; no column feeds the bound)
    const bounds = [...sql.matchAll(/ingest_date ([<>]=) (CAST\(CAST\(\(from_iso8601_timestamp\('[^']+'\)[^)]*\) AT TIME ZONE 'UTC' AS DATE\) AS VARCHAR\))/g)];
    // (three reads of the dataset: the history, the arrivals' keys, the arrivals without a key)
    expect(bounds.map((b) => b[1])).toEqual(['>=', '<=', '>=', '<=', '>=', '<=']);
    expect(sql.match(/ingest_date/g)).toHaveLength(6);
    const db = await curatedTable();
    try {
      const [days] = await db.rows(`SELECT ${bounds[0]![2]} AS lower, ${bounds[1]![2]} AS upper`);
      expect(days).toEqual({ lower: '2026-01-09', upper: '2026-01-20' });
      // AND behaviourally: objects curated in the window into partitions 01-09 (read) and 01-08 (not read),
      // as a redrive of messages that old would write them
      await arrive(db, 'a6', '2026-01-18T00:00:00Z', 6, 'A', '2026-01-20T10:30:00Z', '2026-01-09');
      await arrive(db, 'a7', '2026-01-18T00:00:00Z', 7, 'A', '2026-01-20T10:30:00Z', '2026-01-08');
      expect((await run(db, window.start, window.end)).map((r) => r.account_id)).toEqual(['a6']);
    } finally {
      db.close();
    }
  });

  test('the day bounds are UTC days whatever offset a backfill window is written with', async () => {
    const db = await curatedTable();
    try {
      // 01-05T00:30+02:00 is 01-04T22:30Z: an object curated then is in the 01-04 partition
      await arrive(db, 'a8', '2026-01-04T22:00:00Z', 8, 'A', '2026-01-04T22:20:00Z');
      expect((await run(db, '2026-01-05T00:00:00+02:00', '2026-01-05T00:30:00+02:00')).map((r) => r.account_id)).toEqual(['a8']);
    } finally {
      db.close();
    }
  });
});

describe('duplicate feature rows: one record per record id and event time, by a stated tie-break', () => {
  // A group whose SQL yields a row per transaction, so two transactions of an account at the same
  // instant give two rows with the same record id and event time and different values.
  const PER_TXN: FeatureGroupDefinition = {
    ...GROUP,
    name: 'last-amount',
    features: [
      { name: 'account_id', type: 'String' },
      { name: 'event_time', type: 'String' },
      { name: 'amount', type: 'Fractional' },
      { name: 'merchant_category', type: 'String' },
    ],
    source: { dataset: 'transactions', lookbackDays: 0, sql: 'SELECT account_id, occurred_at AS event_time, amount, merchant_category FROM transactions' },
  };
  const SAME_INSTANT: Array<[string, string, number, string]> = [
    ['a2', '2026-01-03T00:00:00Z', 100, 'X'],
    ['a2', '2026-01-03T00:00:00+00:00', 50, 'Y'], // the same instant written differently
    ['a2', '2026-01-03T00:00:00Z', 50, 'Z'],
  ];

  test('keeps the row whose features sort first (declared order, ascending, nulls last) and marks the rest, whatever order the lake holds them in', async () => {
    const results: unknown[] = [];
    for (const order of [[0, 1, 2], [2, 1, 0], [1, 2, 0]]) {
      const db = await curatedTable();
      try {
        for (const i of order) await arrive(db, ...SAME_INSTANT[i]!);
        results.push(await run(db, '2026-01-03T00:00:00Z', '2026-01-04T00:00:00Z', PER_TXN));
      } finally {
        db.close();
      }
    }
    // amount 50 sorts before 100; of the two 50s, merchant_category Y before Z.
    expect(results[0]).toEqual([
      { account_id: 'a2', event_time: '2026-01-03T00:00:00+00:00', amount: 50, merchant_category: 'Y', __plinth_skip: null },
      { account_id: 'a2', event_time: '2026-01-03T00:00:00Z', amount: 50, merchant_category: 'Z', __plinth_skip: 'duplicate' },
      { account_id: 'a2', event_time: '2026-01-03T00:00:00Z', amount: 100, merchant_category: 'X', __plinth_skip: 'duplicate' },
    ]);
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  test('the online store (last PutRecord of an event time) and the offline store (point-in-time join, latest write) hold the same values, in any write order', async () => {
    const db = await curatedTable();
    try {
      for (const t of SAME_INSTANT) await arrive(db, ...t);
      // GIVEN what feature-ingest writes: the staged rows not marked (a duplicate is counted, not written)
      const staged = await run(db, '2026-01-03T00:00:00Z', '2026-01-04T00:00:00Z', PER_TXN);
      const written = staged.filter((r) => r[SKIP_COLUMN] === null);
      await db.run('CREATE SCHEMA sagemaker_featurestore');
      await db.run('CREATE TABLE sagemaker_featurestore.last_amount (account_id VARCHAR, event_time VARCHAR, amount DOUBLE, merchant_category VARCHAR, write_time TIMESTAMP, api_invocation_time TIMESTAMP, is_deleted BOOLEAN)');
      await db.run('CREATE SCHEMA lake');
      await db.run("CREATE TABLE lake.labels (account_id VARCHAR, occurred_at VARCHAR, label VARCHAR); INSERT INTO lake.labels VALUES ('a2', '2026-01-03T00:00:01Z', 'fraud')");
      const spec = { labels: { database: 'lake', table: 'labels', entityKeyColumn: 'account_id', eventTimeColumn: 'occurred_at', labelColumn: 'label' }, groups: [PER_TXN], windowStart: '2026-01-01T00:00:00Z', windowEnd: '2026-02-01T00:00:00Z' };
      for (const order of [written, [...written].reverse()]) {
        await db.run('DELETE FROM sagemaker_featurestore.last_amount');
        const online = new Map<string, Record<string, unknown>>();
        for (const [i, r] of order.entries()) {
          online.set(String(r.account_id), r); // the same event time: the last write is kept
          await db.run(`INSERT INTO sagemaker_featurestore.last_amount VALUES ('${r.account_id}', '${r.event_time}', ${r.amount}, '${r.merchant_category}', TIMESTAMP '2026-01-03 01:00:0${i}', TIMESTAMP '2026-01-03 01:00:0${i}', false)`);
        }
        const [offline] = await db.rows(`SELECT amount, merchant_category FROM (${pointInTimeSelect(spec)})`);
        expect(offline).toEqual({ amount: online.get('a2')!.amount, merchant_category: online.get('a2')!.merchant_category });
        expect(offline).toEqual({ amount: 50, merchant_category: 'Y' });
      }
    } finally {
      db.close();
    }
  });
});

describe('shim EXPORT, both sides', () => {
  test('DuckDB side: COPY writes the JSON lines feature-ingest reads', async () => {
    const db = await lakeWithTransactions();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-export-'));
    try {
      const file = path.join(dir, 'part.json');
      await db.run(exportStatement('duckdb', materializationSelect(GROUP, { start: '2026-01-03T00:00:00Z', end: '2026-01-04T00:00:00Z' }), file, 'json'));
      const lines = fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(lines).toEqual([{ account_id: 'a2', event_time: '2026-01-03T00:00:00Z', txn_count_24h: 2, amount_sum_24h: 150, amount_max_7d: 100, distinct_categories_7d: 2, __plinth_skip: null }]);
    } finally {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('Athena side: UNLOAD with gzip JSON or snappy Parquet, the target quoted as a literal', () => {
    expect(exportStatement('athena', 'SELECT 1', "s3://b/p/it's/", 'json')).toBe("UNLOAD (SELECT 1) TO 's3://b/p/it''s/' WITH (format = 'JSON', compression = 'GZIP')");
    expect(exportStatement('athena', 'SELECT 1', 's3://b/p/', 'parquet')).toBe("UNLOAD (SELECT 1) TO 's3://b/p/' WITH (format = 'PARQUET', compression = 'SNAPPY')");
  });
});

describe('shim ISO_TIMESTAMP, both sides', () => {
  test('DuckDB side: the macro parses the ISO forms Athena\'s from_iso8601_timestamp accepts, offsets included', async () => {
    const db = await duckdb();
    try {
      const [row] = await db.rows(
        "SELECT from_iso8601_timestamp('2026-01-01T10:00:00Z') = from_iso8601_timestamp('2026-01-01T12:00:00+02:00') AS same_instant, " +
          "from_iso8601_timestamp('2026-01-01T10:00:00.250Z') > from_iso8601_timestamp('2026-01-01T10:00:00Z') AS millis, " +
          "from_iso8601_timestamp('2026-01-02T00:00:00Z') - INTERVAL '1' DAY = from_iso8601_timestamp('2026-01-01T00:00:00Z') AS interval_math",
      );
      expect(row).toEqual({ same_instant: true, millis: true, interval_math: true });
    } finally {
      db.close();
    }
  });

  test('Athena side: the SQL calls from_iso8601_timestamp itself (a Trino built-in), never the macro body', () => {
    const sql = materializationSelect(GROUP, { start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' });
    expect(sql).toContain("from_iso8601_timestamp('2026-01-01T00:00:00Z')");
    expect(sql).not.toMatch(/TIMESTAMPTZ/);
  });
});
