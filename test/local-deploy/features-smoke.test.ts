/**
 * The pure parts of the smoke check's feature block (scripts/local/features-smoke.ts): reading an
 * UNLOAD back into its parts, and running it in DuckDB over lake tables, against hand-computed rows.
 */
import { featureStoreConfigSchema } from '../../config/feature-store';
import { accountFeatures } from '../../config/feature-groups/account-features';
import type { FeatureGroupDefinition } from '../../lib/feature-store/feature-group';
import { exportStatement, materializationSelect } from '../../lib/features/sql';
import { fillUnload, pipelineWiringOf, unloadInDuckDB, unloadParts, type LakeTable } from '../../scripts/local/features-smoke';

const GROUP = featureStoreConfigSchema.parse({ featureGroups: [accountFeatures] }).featureGroups[0] as FeatureGroupDefinition;
const FIELDS: LakeTable['fields'] = [
  { name: 'transaction_id', type: 'string' },
  { name: 'account_id', type: 'string' },
  { name: 'amount', type: 'number' },
  { name: 'currency', type: 'string' },
  { name: 'merchant_category', type: 'string' },
  { name: 'occurred_at', type: 'timestamp' },
  { name: 'card_present', type: 'boolean' },
];
// Each curated a minute after it happened, in that day's ingest partition (what the smoke reads from the key and LastModified).
const row = (id: string, account: string, amount: number, category: string, at: string) => ({
  transaction_id: id,
  account_id: account,
  amount,
  currency: 'EUR',
  merchant_category: category,
  occurred_at: at,
  card_present: true,
  _source_key: 'x',
  _line: 1,
  ingest_date: at.slice(0, 10),
  $file_modified_time: new Date(Date.parse(at) + 60_000).toISOString(),
});

describe('unloadParts', () => {
  test('reads back exactly what exportStatement renders for Athena, quotes included', () => {
    const select = "SELECT 'it''s' AS a, (1) AS b FROM (SELECT 1) t WHERE x IN ('(', ')')";
    const target = "s3://bucket/staging/g/o'brien/";
    expect(unloadParts(exportStatement('athena', select, target, 'json'))).toEqual({ select, target, options: "format = 'JSON', compression = 'GZIP'" });
  });

  test.each([
    ['a COPY (the DuckDB side)', "COPY (SELECT 1) TO 'x' (FORMAT JSON)"],
    ['an UNLOAD without WITH', "UNLOAD (SELECT 1) TO 's3://b/p/'"],
    ['text after the statement', "UNLOAD (SELECT 1) TO 's3://b/p/' WITH (format = 'JSON'); DROP TABLE t"],
  ])('refuses %s', (_what, statement) => {
    expect(() => unloadParts(statement)).toThrow(/not an UNLOAD statement/);
  });
});

describe('pipelineWiringOf', () => {
  test.each([
    ['no Unload state', { States: { Ingest: { ItemReader: { Arguments: { Bucket: 'b', Prefix: '{% "p/" %}' } } } } }, /no Unload state/],
    ['no Ingest map', { States: { Unload: { Arguments: { QueryString: '{% "x" %}' } } } }, /no Ingest map/],
    ['a query without a string literal', { States: { Unload: { Arguments: { QueryString: '{% $x %}' } }, Ingest: { ItemReader: { Arguments: { Bucket: 'b', Prefix: '{% "p/" %}' } } } } }, /no string literal/],
  ])('fails on a definition with %s', (_what, definition, message) => {
    expect(() => pipelineWiringOf(JSON.stringify(definition))).toThrow(message);
  });
});

describe('unloadInDuckDB', () => {
  test("runs the pipeline's statement over the lake tables and returns the rows Athena would stage (hand-computed)", async () => {
    // GIVEN three transactions of a1 in one day (10 A, 20 B, 5 A) and one of a2, and the group's UNLOAD for that day
    const tables: LakeTable[] = [
      {
        name: 'transactions',
        fields: FIELDS,
        rows: [row('t1', 'a1', 10, 'A', '2026-03-01T08:00:00Z'), row('t2', 'a1', 20, 'B', '2026-03-01T09:00:00Z'), row('t3', 'a1', 5, 'A', '2026-03-01T10:00:00Z'), row('t4', 'a2', 7, 'C', '2026-02-20T10:00:00Z')],
      },
    ];
    const template = exportStatement('athena', materializationSelect(GROUP, { start: '{{window_start}}', end: '{{window_end}}' }), 's3://staging/staging/account-spend/{{run_id}}/', 'json');
    // WHEN it runs for what arrived in [03-01, 03-02)
    const lines = await unloadInDuckDB(fillUnload(template, { start: '2026-03-01T00:00:00Z', end: '2026-03-02T00:00:00Z' }, 'r1'), tables);
    // THEN one row per a1 transaction (a2's arrived before the window), with trailing 24 h / 7 d values, none marked
    const rows = lines.trim().split('\n').map((l) => JSON.parse(l)).sort((a, b) => a.event_time.localeCompare(b.event_time));
    expect(rows).toEqual([
      { account_id: 'a1', event_time: '2026-03-01T08:00:00Z', txn_count_24h: 1, amount_sum_24h: 10, amount_max_7d: 10, distinct_categories_7d: 1, __plinth_skip: null },
      { account_id: 'a1', event_time: '2026-03-01T09:00:00Z', txn_count_24h: 2, amount_sum_24h: 30, amount_max_7d: 20, distinct_categories_7d: 2, __plinth_skip: null },
      { account_id: 'a1', event_time: '2026-03-01T10:00:00Z', txn_count_24h: 3, amount_sum_24h: 35, amount_max_7d: 20, distinct_categories_7d: 2, __plinth_skip: null },
    ]);
  });

  test('an empty lake table stages nothing', async () => {
    const template = exportStatement('athena', materializationSelect(GROUP, { start: '{{window_start}}', end: '{{window_end}}' }), 's3://s/p/{{run_id}}/', 'json');
    const lines = await unloadInDuckDB(fillUnload(template, { start: '2026-03-01T00:00:00Z', end: '2026-03-02T00:00:00Z' }, 'r1'), [{ name: 'transactions', fields: FIELDS, rows: [] }]);
    expect(lines.trim()).toBe('');
  });
});
