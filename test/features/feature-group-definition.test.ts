import { environmentConfigSchema } from '../../config/schema';
import { dev } from '../../config/dev';
import { featureStoreConfigSchema } from '../../config/feature-store';
import { accountFeatures } from '../../config/feature-groups/account-features';
import { definitionHash, featureSourceProblems, ratePeriodMinutes } from '../../lib/features/feature-group-definition';
import type { FeatureGroupDefinition } from '../../lib/feature-store/feature-group';

const GROUP = featureStoreConfigSchema.parse({ featureGroups: [accountFeatures] }).featureGroups[0] as FeatureGroupDefinition;
const variant = (change: Partial<FeatureGroupDefinition>): FeatureGroupDefinition => ({ ...GROUP, ...change });

describe('feature group definition checks', () => {
  test('the dev definition is valid, with a source and SQL', () => {
    const cfg = environmentConfigSchema.parse(dev);
    const group = cfg.featureStore.featureGroups.find((g) => g.source);
    expect(group?.source?.dataset).toBe('transactions');
    expect(featureSourceProblems(group!, cfg.dataLake.datasets.map((d) => d.name))).toEqual([]);
  });

  test('a source dataset the lake does not have fails the config, naming the field', () => {
    const bad = { ...dev, featureStore: { featureGroups: [{ ...accountFeatures, source: { ...accountFeatures.source!, dataset: 'payments' } }] } };
    const result = environmentConfigSchema.safeParse(bad);
    expect(result.success).toBe(false);
    const issue = result.error!.issues.find((i) => i.message.includes('source.dataset "payments" is not a dataset of the lake'));
    expect(issue?.path).toEqual(['featureStore', 'featureGroups', 0, 'source', 'dataset']);
  });

  test('a declared feature the SQL does not yield is named', () => {
    const problems = featureSourceProblems(variant({ features: [...GROUP.features, { name: 'chargeback_rate', type: 'Fractional' }] }));
    expect(problems).toEqual([expect.stringMatching(/source\.sql does not yield declared feature "chargeback_rate"/)]);
  });

  test('a feature without a valid type is named', () => {
    const problems = featureSourceProblems(variant({ features: GROUP.features.map((f) => (f.name === 'txn_count_24h' ? { ...f, type: 'Long' as unknown as typeof f.type } : f)) }));
    expect(problems.some((p) => /features\.txn_count_24h\.type "Long"/.test(p))).toBe(true);
  });

  test('an undeclared entity key or event time is named', () => {
    expect(featureSourceProblems(variant({ recordIdentifier: 'customer_id' }))).toContainEqual(expect.stringMatching(/recordIdentifier "customer_id" \(the entity key\) is not declared/));
    expect(featureSourceProblems(variant({ eventTime: 'ts' }))).toContainEqual(expect.stringMatching(/eventTime "ts" is not declared/));
  });

  test('source without refresh, refresh without source, cron schedules and too-frequent rates are refused', () => {
    expect(featureSourceProblems(variant({ refresh: undefined }))).toContainEqual(expect.stringMatching(/source needs refresh/));
    expect(featureSourceProblems(variant({ source: undefined }))).toContainEqual(expect.stringMatching(/refresh needs a source/));
    expect(featureSourceProblems(variant({ refresh: { schedule: 'cron(0 * * * ? *)' } }))).toContainEqual(expect.stringMatching(/must be a rate/));
    expect(featureSourceProblems(variant({ refresh: { schedule: 'rate(5 minutes)' } }))).toContainEqual(expect.stringMatching(/at least 15 minutes/));
  });

  test('SQL with two statements, or that is not a SELECT, or that does not read its dataset, is refused', () => {
    const sql = (s: string) => variant({ source: { dataset: 'transactions', sql: s, lookbackDays: 7 } });
    expect(featureSourceProblems(sql(`${GROUP.source!.sql}; DROP TABLE transactions`))).toContainEqual(expect.stringMatching(/without ";"/));
    expect(featureSourceProblems(sql(`DELETE FROM transactions -- ${GROUP.features.map((f) => f.name).join(' ')}`))).toContainEqual(expect.stringMatching(/start with SELECT or WITH/));
    expect(featureSourceProblems(variant({ source: { dataset: 'merchants', sql: GROUP.source!.sql, lookbackDays: 7 } }))).toContainEqual(expect.stringMatching(/does not read source.dataset "merchants"/));
  });

  test('a dataset named with its database, or a lookback that is not a whole number of days, is refused', () => {
    // The pipeline narrows the dataset to the partitions a run needs by a CTE of the same name; a
    // qualified name would read around it (the whole table, every row an arrival).
    const qualified = GROUP.source!.sql.replace('FROM transactions', 'FROM lake_db.transactions');
    expect(qualified).not.toBe(GROUP.source!.sql);
    expect(featureSourceProblems(variant({ source: { ...GROUP.source!, sql: qualified } }))).toContainEqual(expect.stringMatching(/names source.dataset "transactions" with a database/));
    expect(featureSourceProblems(variant({ source: { ...GROUP.source!, sql: GROUP.source!.sql.replace('FROM transactions', 'FROM "lake_db"."transactions"') } }))).toContainEqual(
      expect.stringMatching(/with a database/),
    );
    expect(featureSourceProblems(GROUP)).toEqual([]);
    for (const lookbackDays of [-1, 1.5, 367, Number.NaN]) {
      expect(featureSourceProblems(variant({ source: { ...GROUP.source!, lookbackDays } }))).toContainEqual(expect.stringMatching(/source.lookbackDays must be a whole number/));
    }
  });

  test('a source without lookbackDays fails the config, saying what to set (a silent 0 would cut the history of rolling features)', () => {
    const { lookbackDays: _dropped, ...source } = accountFeatures.source!;
    const result = featureStoreConfigSchema.safeParse({ featureGroups: [{ ...accountFeatures, source }] });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.message)).toContainEqual(expect.stringMatching(/set source.lookbackDays/));
  });

  test('the config schema runs the same checks (one rule, two callers)', () => {
    const result = featureStoreConfigSchema.safeParse({ featureGroups: [{ ...accountFeatures, refresh: undefined }] });
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.message)).toContainEqual(expect.stringMatching(/source needs refresh/));
  });

  test('rate periods and the definition hash', () => {
    expect(ratePeriodMinutes('rate(1 hour)')).toBe(60);
    expect(ratePeriodMinutes('rate(2 days)')).toBe(2880);
    expect(ratePeriodMinutes('cron(0 * * * ? *)')).toBeUndefined();
    expect(definitionHash(GROUP)).toMatch(/^[0-9a-f]{64}$/);
    expect(definitionHash(variant({ source: { ...GROUP.source!, sql: `${GROUP.source!.sql} ` } }))).toBe(definitionHash(GROUP));
    expect(definitionHash(variant({ onlineTtlHours: 48 }))).not.toBe(definitionHash(GROUP));
  });
});
