import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { featureStoreConfigSchema } from '../../config/feature-store';
import { accountFeatures } from '../../config/feature-groups/account-features';
import type { FeatureGroupDefinition } from '../../lib/feature-store/feature-group';
import { exportStatement, materializationSelect, SqlInputError, WINDOW_END_TOKEN, WINDOW_START_TOKEN } from '../../lib/features/sql';
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

async function lakeWithTransactions() {
  const db = await duckdb();
  // The curated table as Athena sees it (timestamps are ISO strings; see lib/data-lake GLUE_TYPES).
  await db.run('CREATE TABLE transactions (transaction_id VARCHAR, account_id VARCHAR, amount DOUBLE, currency VARCHAR, merchant_category VARCHAR, occurred_at VARCHAR, card_present BOOLEAN)');
  for (const [i, [account, at, amount, category]] of TRANSACTIONS.entries()) {
    await db.run(`INSERT INTO transactions VALUES ('t${i}', '${account}', ${amount}, 'EUR', '${category}', '${at}', true)`);
  }
  return db;
}

describe('account-spend transformation, run in DuckDB', () => {
  test('yields hand-computed rolling features for the rows inside the window, looking back past its start', async () => {
    // GIVEN the curated transactions
    const db = await lakeWithTransactions();
    try {
      // WHEN the pipeline's windowed SELECT runs over [01-01T12:00, 01-09T00:00)
      const rows = await db.rows(`${materializationSelect(GROUP, { start: '2026-01-01T12:00:00Z', end: '2026-01-09T00:00:00Z' })} ORDER BY account_id, event_time`);
      // THEN (computed by hand: 24 h and 7 d trailing windows, the row itself included)
      expect(rows).toEqual([
        { account_id: 'a1', event_time: '2026-01-01T12:00:00Z', txn_count_24h: '2', amount_sum_24h: 30, amount_max_7d: 20, distinct_categories_7d: '2' },
        { account_id: 'a1', event_time: '2026-01-02T06:00:00Z', txn_count_24h: '2', amount_sum_24h: 25, amount_max_7d: 20, distinct_categories_7d: '2' },
        { account_id: 'a2', event_time: '2026-01-03T00:00:00Z', txn_count_24h: '2', amount_sum_24h: 150, amount_max_7d: 100, distinct_categories_7d: '2' },
      ]);
    } finally {
      db.close();
    }
  });

  test('the window end is exclusive and rows at or after it are not materialized', async () => {
    const db = await lakeWithTransactions();
    try {
      const rows = await db.rows(materializationSelect(GROUP, { start: '2026-01-08T00:00:00Z', end: '2026-01-09T00:00:01Z' }));
      // a1@01-09: 24 h holds itself only; 7 d holds 01-02T06 (5) and itself (1).
      expect(rows).toEqual([{ account_id: 'a1', event_time: '2026-01-09T00:00:00Z', txn_count_24h: '1', amount_sum_24h: 1, amount_max_7d: 5, distinct_categories_7d: '2' }]);
    } finally {
      db.close();
    }
  });

  test('its columns are exactly the declared features, with types that map onto them', async () => {
    const db = await lakeWithTransactions();
    try {
      const described = await db.rows(`DESCRIBE ${materializationSelect(GROUP, { start: '2026-01-01T00:00:00Z', end: '2027-01-01T00:00:00Z' })}`);
      const expected: Record<string, string[]> = { String: ['VARCHAR'], Integral: ['BIGINT'], Fractional: ['DOUBLE'] };
      expect(described.map((c) => c.column_name)).toEqual(GROUP.features.map((f) => f.name));
      for (const feature of GROUP.features) {
        expect(expected[feature.type]).toContain(described.find((c) => c.column_name === feature.name)?.column_type);
      }
    } finally {
      db.close();
    }
  });

  test('the state machine template keeps its window tokens, and only they differ from a rendered window', () => {
    const template = materializationSelect(GROUP, { start: WINDOW_START_TOKEN, end: WINDOW_END_TOKEN });
    const rendered = materializationSelect(GROUP, { start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' });
    expect(template.split(WINDOW_START_TOKEN).join('2026-01-01T00:00:00Z').split(WINDOW_END_TOKEN).join('2026-01-02T00:00:00Z')).toBe(rendered);
  });

  test('a window bound that is not an ISO instant is refused before any SQL is built', () => {
    expect(() => materializationSelect(GROUP, { start: "2026-01-01' OR 1=1 --", end: '2026-01-02T00:00:00Z' })).toThrow(SqlInputError);
    expect(() => materializationSelect(GROUP, { start: '2026-13-45T00:00:00Z', end: '2026-01-02T00:00:00Z' })).toThrow(/ISO-8601/);
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
      expect(lines).toEqual([{ account_id: 'a2', event_time: '2026-01-03T00:00:00Z', txn_count_24h: 2, amount_sum_24h: 150, amount_max_7d: 100, distinct_categories_7d: 2 }]);
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
