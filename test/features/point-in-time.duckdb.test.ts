import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { featureStoreConfigSchema } from '../../config/feature-store';
import { accountFeatures } from '../../config/feature-groups/account-features';
import type { FeatureGroupDefinition } from '../../lib/feature-store/feature-group';
import { exportStatement, materializationSelect, pointInTimeSelect, splitSelect, SqlInputError, statsSelect, trainingSetColumns, type PointInTimeSpec } from '../../lib/features/sql';
import { duckdb } from '../support/duckdb';

const GROUP = featureStoreConfigSchema.parse({ featureGroups: [accountFeatures] }).featureGroups[0] as FeatureGroupDefinition; // TTL 72 h
const LABELS = { database: 'lake', table: 'fraud_labels', entityKeyColumn: 'account_id', eventTimeColumn: 'occurred_at', labelColumn: 'label' };
const SPEC: PointInTimeSpec = { labels: LABELS, groups: [GROUP], windowStart: '2026-02-01T00:00:00Z', windowEnd: '2026-03-01T00:00:00Z' };

type Db = Awaited<ReturnType<typeof duckdb>>;
async function store(db: Db): Promise<void> {
  await db.run('CREATE SCHEMA sagemaker_featurestore');
  await db.run(
    'CREATE TABLE sagemaker_featurestore.account_spend (account_id VARCHAR, event_time VARCHAR, txn_count_24h BIGINT, amount_sum_24h DOUBLE, amount_max_7d DOUBLE, distinct_categories_7d BIGINT, ' +
      'write_time TIMESTAMP, api_invocation_time TIMESTAMP, is_deleted BOOLEAN)',
  );
  await db.run('CREATE SCHEMA lake');
  await db.run('CREATE TABLE lake.fraud_labels (account_id VARCHAR, occurred_at VARCHAR, label VARCHAR)');
}
/** `marker` goes into amount_sum_24h so the test can tell which record was joined. */
async function record(db: Db, id: string, eventTime: string, marker: number, opts: { written?: string; deleted?: boolean } = {}): Promise<void> {
  const written = opts.written ?? eventTime.replace('T', ' ').replace('Z', '');
  await db.run(`INSERT INTO sagemaker_featurestore.account_spend VALUES ('${id}', '${eventTime}', 1, ${marker}, 1, 1, TIMESTAMP '${written}', TIMESTAMP '${written}', ${opts.deleted ? 'true' : 'false'})`);
}
async function label(db: Db, id: string, at: string, value = 'legitimate'): Promise<void> {
  await db.run(`INSERT INTO lake.fraud_labels VALUES ('${id}', '${at}', '${value}')`);
}

describe('point-in-time join, run in DuckDB on fixtures built to catch leakage', () => {
  let db: Db;
  beforeEach(async () => {
    db = await duckdb();
    await store(db);
  });
  afterEach(() => db.close());

  test('each label row gets the latest record strictly before its time, never one at or after it', async () => {
    await record(db, 'a1', '2026-02-01T09:00:00Z', 1);
    await record(db, 'a1', '2026-02-01T10:00:00Z', 2); // exactly at label time: the labelled event's own record, leakage if seen
    await record(db, 'a1', '2026-02-01T10:00:01Z', 99); // one second after: leakage if seen
    await record(db, 'a5', '2026-02-02T00:00:00Z', 98); // only a future record
    await record(db, 'a6', '2026-02-01T10:00:00Z', 97); // only a record at the label's own time
    await label(db, 'a1', '2026-02-01T10:00:00Z', 'fraud');
    await label(db, 'a1', '2026-02-01T09:30:00Z');
    await label(db, 'a5', '2026-02-01T10:00:00Z');
    await label(db, 'a6', '2026-02-01T10:00:00Z');
    const rows = await db.rows(`SELECT account_id, occurred_at, label, amount_sum_24h, __missing_0 FROM (${pointInTimeSelect(SPEC)}) ORDER BY account_id, occurred_at`);
    expect(rows).toEqual([
      { account_id: 'a1', occurred_at: '2026-02-01T09:30:00Z', label: 'legitimate', amount_sum_24h: 1, __missing_0: 0 },
      { account_id: 'a1', occurred_at: '2026-02-01T10:00:00Z', label: 'fraud', amount_sum_24h: 1, __missing_0: 0 },
      { account_id: 'a5', occurred_at: '2026-02-01T10:00:00Z', label: 'legitimate', amount_sum_24h: null, __missing_0: 1 },
      { account_id: 'a6', occurred_at: '2026-02-01T10:00:00Z', label: 'legitimate', amount_sum_24h: null, __missing_0: 1 },
    ]);
  });

  test('the shipped account-spend features of a labelled transaction are the ones the gateway served when scoring it', async () => {
    // GIVEN the curated transactions, materialized by the group's own SQL into the offline store
    // (account-spend's record at a transaction's time counts that transaction itself)
    // (with the ingest partition and the curated object's write time the pipeline selects arrivals by)
    await db.run('CREATE TABLE lake.transactions (account_id VARCHAR, occurred_at VARCHAR, amount DOUBLE, merchant_category VARCHAR, ingest_date VARCHAR, "$file_modified_time" TIMESTAMPTZ)');
    const txns: Array<[string, string, number, string]> = [
      ['a1', '2026-02-01T08:00:00Z', 10, 'A'],
      ['a1', '2026-02-01T09:00:00Z', 20, 'B'],
      ['a1', '2026-02-01T10:00:00Z', 900, 'C'], // the one labelled fraud
      ['a2', '2026-02-01T10:00:00Z', 5, 'A'], // an account's first transaction
    ];
    for (const [id, at, amount, category] of txns) {
      await db.run(`INSERT INTO lake.transactions VALUES ('${id}', '${at}', ${amount}, '${category}', '${at.slice(0, 10)}', from_iso8601_timestamp('${at}') + INTERVAL '1' MINUTE)`);
    }
    await db.run('SET schema = \'lake\'');
    await db.run(
      `INSERT INTO sagemaker_featurestore.account_spend SELECT ${GROUP.features.map((f) => f.name).join(', ')}, CAST(NOW() AS TIMESTAMP), CAST(NOW() AS TIMESTAMP), false FROM (` +
        `${materializationSelect(GROUP, { start: '2026-01-01T00:00:00Z', end: '2026-03-01T00:00:00Z' })}) WHERE __plinth_skip IS NULL`,
    );
    await db.run('SET schema = \'main\'');
    // AND each transaction labelled at its own time (the moment it was scored)
    for (const [id, at, amount] of txns) await label(db, id, at, amount === 900 ? 'fraud' : 'legitimate');
    // WHEN the training set is built
    const rows = await db.rows(`SELECT account_id, occurred_at, txn_count_24h, amount_sum_24h, amount_max_7d, __missing_0 FROM (${pointInTimeSelect(SPEC)}) ORDER BY account_id, occurred_at`);
    // THEN each row has what the online store held when that transaction was scored: the record of the
    // account's previous transaction. The scored transaction is not in the lake yet at that moment, so
    // its own amount (900) must not be in its training features, nor counted in txn_count_24h.
    expect(rows).toEqual([
      { account_id: 'a1', occurred_at: '2026-02-01T08:00:00Z', txn_count_24h: null, amount_sum_24h: null, amount_max_7d: null, __missing_0: 1 },
      { account_id: 'a1', occurred_at: '2026-02-01T09:00:00Z', txn_count_24h: '1', amount_sum_24h: 10, amount_max_7d: 10, __missing_0: 0 },
      { account_id: 'a1', occurred_at: '2026-02-01T10:00:00Z', txn_count_24h: '2', amount_sum_24h: 30, amount_max_7d: 20, __missing_0: 0 },
      { account_id: 'a2', occurred_at: '2026-02-01T10:00:00Z', txn_count_24h: null, amount_sum_24h: null, amount_max_7d: null, __missing_0: 1 },
    ]);
  });

  test('a record re-written at the same event time counts once, the latest write winning (idempotent reruns)', async () => {
    await record(db, 'a1', '2026-02-01T08:00:00Z', 2, { written: '2026-02-01 08:05:00' });
    await record(db, 'a1', '2026-02-01T08:00:00Z', 3, { written: '2026-02-01 09:00:00' });
    await label(db, 'a1', '2026-02-01T10:00:00Z');
    const rows = await db.rows(`SELECT amount_sum_24h FROM (${pointInTimeSelect(SPEC)})`);
    expect(rows).toEqual([{ amount_sum_24h: 3 }]);
  });

  test('a deletion as the latest record means no features, not the record before it', async () => {
    await record(db, 'a2', '2026-02-01T08:00:00Z', 7);
    await record(db, 'a2', '2026-02-01T09:30:00Z', 0, { deleted: true });
    await label(db, 'a2', '2026-02-01T10:00:00Z');
    await label(db, 'a2', '2026-02-01T09:00:00Z');
    const rows = await db.rows(`SELECT occurred_at, amount_sum_24h, __missing_0 FROM (${pointInTimeSelect(SPEC)}) ORDER BY occurred_at`);
    expect(rows).toEqual([
      { occurred_at: '2026-02-01T09:00:00Z', amount_sum_24h: 7, __missing_0: 0 },
      { occurred_at: '2026-02-01T10:00:00Z', amount_sum_24h: null, __missing_0: 1 },
    ]);
  });

  test('with a TTL, a record older than label time - TTL does not count; exactly TTL old still does', async () => {
    await record(db, 'a3', '2026-02-01T10:00:00Z', 5);
    await label(db, 'a3', '2026-02-04T10:00:00Z'); // exactly 72 h later
    await label(db, 'a3', '2026-02-04T10:00:01Z'); // one second past the TTL
    const rows = await db.rows(`SELECT occurred_at, amount_sum_24h FROM (${pointInTimeSelect(SPEC)}) ORDER BY occurred_at`);
    expect(rows).toEqual([
      { occurred_at: '2026-02-04T10:00:00Z', amount_sum_24h: 5 },
      { occurred_at: '2026-02-04T10:00:01Z', amount_sum_24h: null },
    ]);
    // Without a TTL the old record is used.
    const noTtl = { ...SPEC, groups: [{ ...GROUP, onlineTtlHours: undefined }] };
    expect(await db.rows(`SELECT amount_sum_24h FROM (${pointInTimeSelect(noTtl)}) WHERE occurred_at = '2026-02-04T10:00:01Z'`)).toEqual([{ amount_sum_24h: 5 }]);
  });

  test('label rows outside [windowStart, windowEnd) or with a null key, time or label are left out', async () => {
    await label(db, 'a1', '2026-01-31T23:59:59Z');
    await label(db, 'a1', '2026-03-01T00:00:00Z');
    await label(db, 'a1', '2026-02-15T00:00:00Z');
    await db.run("INSERT INTO lake.fraud_labels VALUES (NULL, '2026-02-15T00:00:00Z', 'fraud'), ('a9', '2026-02-15T00:00:00Z', NULL)");
    expect(await db.rows(`SELECT occurred_at FROM (${pointInTimeSelect(SPEC)})`)).toEqual([{ occurred_at: '2026-02-15T00:00:00Z' }]);
  });

  test('the statistics count the label rows left out, by reason, and nothing else as left out', async () => {
    await record(db, 'a1', '2026-02-14T00:00:00Z', 1);
    await label(db, 'a1', '2026-02-15T00:00:00Z', 'fraud');
    await db.run(
      'INSERT INTO lake.fraud_labels VALUES ' +
        "(NULL, '2026-02-15T00:00:00Z', 'fraud'), (NULL, '2026-02-16T00:00:00Z', NULL), " + // no key (the second has no label either)
        "('a9', '2026-02-15T00:00:00Z', NULL), " + // no label
        "('a9', NULL, 'fraud'), (NULL, NULL, NULL), " + // no time: in no window
        "(NULL, '2026-03-01T00:00:00Z', 'fraud'), ('a9', '2026-01-01T00:00:00Z', NULL)", // outside the window: not counted
    );
    const stats = await db.rows(`${statsSelect(SPEC)} ORDER BY split, label`);
    expect(stats).toEqual([
      { split: '__excluded', label: 'nullEntityKey', row_count: '2', missing_0: '0' },
      { split: '__excluded', label: 'nullEventTime', row_count: '2', missing_0: '0' },
      { split: '__excluded', label: 'nullLabel', row_count: '1', missing_0: '0' },
      { split: 'data', label: 'fraud', row_count: '1', missing_0: '0' },
    ]);
    // the rows left out are exactly the label rows with a null that the join did not take
    const joined = await db.rows(`SELECT COUNT(*) AS n FROM (${pointInTimeSelect(SPEC)})`);
    expect(joined).toEqual([{ n: '1' }]);
  });

  test('duplicate label rows stay two rows (no collapse, no fan-out from several records)', async () => {
    await record(db, 'a1', '2026-02-01T08:00:00Z', 1);
    await record(db, 'a1', '2026-02-01T09:00:00Z', 2);
    await label(db, 'a1', '2026-02-01T10:00:00Z');
    await label(db, 'a1', '2026-02-01T10:00:00Z');
    expect(await db.rows(`SELECT amount_sum_24h FROM (${pointInTimeSelect(SPEC)})`)).toEqual([{ amount_sum_24h: 2 }, { amount_sum_24h: 2 }]);
  });

  test('the time split, the split files (COPY, the DuckDB side of EXPORT) and the manifest counts', async () => {
    await record(db, 'a1', '2026-02-01T00:00:00Z', 1);
    await label(db, 'a1', '2026-02-02T00:00:00Z', 'fraud');
    await label(db, 'a1', '2026-02-10T00:00:00Z');
    await label(db, 'a2', '2026-02-20T00:00:00Z');
    await label(db, 'a2', '2026-02-25T00:00:00Z', 'fraud');
    const spec = { ...SPEC, split: { validationFrom: '2026-02-10T00:00:00Z', holdoutFrom: '2026-02-20T00:00:00Z' } };
    const splits = await db.rows(`SELECT occurred_at, split FROM (${pointInTimeSelect(spec)}) ORDER BY occurred_at`);
    expect(splits.map((r) => r.split)).toEqual(['train', 'validation', 'holdout', 'holdout']);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-pit-'));
    try {
      await db.run(exportStatement('duckdb', splitSelect(spec, 'holdout'), path.join(dir, 'holdout.parquet'), 'parquet'));
      const holdout = await db.rows(`SELECT * FROM read_parquet('${path.join(dir, 'holdout.parquet')}') ORDER BY occurred_at`);
      expect(Object.keys(holdout[0])).toEqual(trainingSetColumns(spec));
      expect(holdout.map((r) => [r.account_id, r.label])).toEqual([['a2', 'legitimate'], ['a2', 'fraud']]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const stats = await db.rows(`${statsSelect(spec)} ORDER BY split, label`);
    expect(stats).toEqual([
      { split: 'holdout', label: 'fraud', row_count: '1', missing_0: '1' },
      { split: 'holdout', label: 'legitimate', row_count: '1', missing_0: '1' },
      { split: 'train', label: 'fraud', row_count: '1', missing_0: '0' },
      { split: 'validation', label: 'legitimate', row_count: '1', missing_0: '1' },
    ]);
  });

  test('inputs that are not identifiers or instants are refused before SQL is built', () => {
    expect(() => pointInTimeSelect({ ...SPEC, labels: { ...LABELS, table: 'labels; DROP TABLE x' } })).toThrow(SqlInputError);
    expect(() => pointInTimeSelect({ ...SPEC, windowStart: 'yesterday' })).toThrow(/windowStart/);
    expect(() => pointInTimeSelect({ ...SPEC, groups: [] })).toThrow(/at least one feature group/);
    expect(() => pointInTimeSelect({ ...SPEC, labels: { ...LABELS, labelColumn: 'amount_sum_24h' } })).toThrow(/appears twice/);
    expect(() => pointInTimeSelect({ ...SPEC, split: { validationFrom: '2026-02-20T00:00:00Z', holdoutFrom: '2026-02-10T00:00:00Z' } })).toThrow(/holdoutFrom/);
  });

  test('property: for random records and labels, every joined value equals an independent brute-force point-in-time lookup', async () => {
    const base = Date.parse('2026-02-01T00:00:00Z');
    const hour = 3_600_000;
    const iso = (h: number) => new Date(base + h * hour).toISOString().replace('.000Z', 'Z');
    const arb = fc.record({
      records: fc.array(fc.record({ id: fc.constantFrom('a', 'b', 'c'), h: fc.integer({ min: 0, max: 200 }), deleted: fc.boolean() }), { maxLength: 25 }),
      labels: fc.array(fc.record({ id: fc.constantFrom('a', 'b', 'c', 'd'), h: fc.integer({ min: 0, max: 240 }) }), { minLength: 1, maxLength: 15 }),
    });
    await fc.assert(
      fc.asyncProperty(arb, async ({ records, labels: drawn }) => {
        // Labels at some records' own event times too: the tie a leaky join gets wrong.
        const labels = [...drawn, ...records.slice(0, 5).map((r) => ({ id: r.id, h: r.h }))];
        await db.run('DELETE FROM sagemaker_featurestore.account_spend');
        await db.run('DELETE FROM lake.fraud_labels');
        // Unique markers; the write order breaks ties at the same event time.
        for (const [i, r] of records.entries()) {
          await record(db, r.id, iso(r.h), i + 1, { written: new Date(base + 1000 * hour + i * 1000).toISOString().replace('T', ' ').replace('Z', ''), deleted: r.deleted });
        }
        for (const l of labels) await label(db, l.id, iso(l.h));
        const got = await db.rows(`SELECT account_id, occurred_at, amount_sum_24h FROM (${pointInTimeSelect(SPEC)}) ORDER BY occurred_at, account_id`);
        const expected = labels
          .map((l) => {
            // Latest strictly before the label (ties: last written), within 72 h, unless it is a deletion.
            const candidates = records.map((r, i) => ({ ...r, i })).filter((r) => r.id === l.id && r.h < l.h);
            candidates.sort((x, y) => y.h - x.h || y.i - x.i);
            const latest = candidates[0];
            const value = latest && !latest.deleted && l.h - latest.h <= 72 ? latest.i + 1 : null;
            return { account_id: l.id, occurred_at: iso(l.h), amount_sum_24h: value };
          })
          .sort((x, y) => x.occurred_at.localeCompare(y.occurred_at) || x.account_id.localeCompare(y.account_id));
        expect(got).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });
});
