import { AthenaClient, GetQueryResultsCommand } from '@aws-sdk/client-athena';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { featureStoreConfigSchema } from '../../../config/feature-store';
import { accountFeatures } from '../../../config/feature-groups/account-features';
import { definitionHash } from '../../../lib/features/feature-group-definition';
import type { FeatureGroupDefinition } from '../../../lib/feature-store/feature-group';
import { buildManifest, handler, plan, TrainingSetInputError } from '../../../lambdas/training-set/index';
import { captureOutputAsync } from '../../support/lambda-output';
import { expectMatchesGolden } from '../../support/runtime-golden';

const GROUP = featureStoreConfigSchema.parse({ featureGroups: [accountFeatures] }).featureGroups[0] as FeatureGroupDefinition;
const ENV = { groups: [GROUP], bucket: 'out', prefix: 'training-sets/', offlineDatabase: 'sagemaker_featurestore' };
const INPUT = {
  name: 'fraud-detector',
  runId: 'run-7',
  labels: { database: 'lake', table: 'fraud_labels', entityKeyColumn: 'account_id', eventTimeColumn: 'occurred_at', labelColumn: 'label' },
  featureGroups: ['account-spend'],
  windowStart: '2026-02-01T00:00:00Z',
  windowEnd: '2026-03-01T00:00:00Z',
};

describe('training-set plan (contract A input)', () => {
  test('renders one Parquet UNLOAD per split under training-sets/<name>/<runId>/', () => {
    const p = plan({ ...INPUT, split: { validationFrom: '2026-02-10T00:00:00Z', holdoutFrom: '2026-02-20T00:00:00Z' } }, ENV, new Date('2026-03-02T00:00:00Z'));
    expect(p.statements.map((s) => s.split)).toEqual(['train', 'validation', 'holdout']);
    expect(p.statements[0].sql).toMatch(/^UNLOAD \(SELECT .*\) TO 's3:\/\/out\/training-sets\/fraud-detector\/run-7\/train\/' WITH \(format = 'PARQUET', compression = 'SNAPPY'\)$/s);
    expect(p.trainingSetUri).toBe('s3://out/training-sets/fraud-detector/run-7/');
    expect(p.manifestKey).toBe('training-sets/fraud-detector/run-7/manifest.json');
    expect(p.featureGroups).toEqual([{ name: 'account-spend', definitionHash: definitionHash(GROUP) }]);
  });

  test('without a split it writes data/', () => {
    expect(plan(INPUT, ENV).statements.map((s) => s.sql.match(/run-7\/(\w+)\//)?.[1])).toEqual(['data']);
  });

  test.each<[string, Record<string, unknown>, RegExp]>([
    ['an unknown feature group', { featureGroups: ['payments'] }, /"payments" is not a configured feature group/],
    ['no feature groups', { featureGroups: [] }, /at least one feature group/],
    ['an uppercase name', { name: 'Fraud' }, /name must be/],
    ['a runId with a slash', { runId: 'a/b' }, /runId/],
    ['an unparseable window', { windowStart: 'last week' }, /windowStart/],
    ['a window that ends before it starts', { windowStart: '2026-03-01T00:00:00Z', windowEnd: '2026-02-01T00:00:00Z' }, /before windowEnd/],
    ['a label column that is not an identifier', { labels: { ...INPUT.labels, labelColumn: 'label"; --' } }, /labels.labelColumn/],
    ['an extra field', { extra: true }, /Unrecognized|extra/],
  ])('refuses %s', (_n, change, message) => {
    expect(() => plan({ ...INPUT, ...change }, ENV)).toThrow(TrainingSetInputError);
    expect(() => plan({ ...INPUT, ...change }, ENV)).toThrow(message);
  });
});

describe('training-set manifest (schema version 1)', () => {
  test('sums rows, labels and missing features from the statistics rows', () => {
    const p = plan({ ...INPUT, split: { validationFrom: '2026-02-10T00:00:00Z', holdoutFrom: '2026-02-20T00:00:00Z' } }, ENV, new Date('2026-03-02T00:00:00Z'));
    const m = buildManifest(p, [
      { split: 'train', label: 'fraud', row_count: '3', missing_0: '1' },
      { split: 'train', label: 'legitimate', row_count: '10', missing_0: '0' },
      { split: 'holdout', label: 'fraud', row_count: '2', missing_0: '2' },
    ]);
    expect(m).toEqual({
      schemaVersion: 1,
      name: 'fraud-detector',
      runId: 'run-7',
      createdAt: '2026-03-02T00:00:00.000Z',
      sql: p.sql,
      featureGroups: p.featureGroups,
      window: { start: INPUT.windowStart, end: INPUT.windowEnd },
      split: { validationFrom: '2026-02-10T00:00:00Z', holdoutFrom: '2026-02-20T00:00:00Z' },
      rowCounts: { total: 15, train: 13, validation: 0, holdout: 2 },
      labelDistribution: { fraud: 5, legitimate: 10 },
      missingFeatures: { 'account-spend': 3 },
      excludedLabelRows: { nullEntityKey: 0, nullLabel: 0, nullEventTime: 0 },
    });
  });

  test('counts the label rows the join left out by reason, and in no other count', () => {
    const p = plan(INPUT, ENV, new Date('2026-03-02T00:00:00Z'));
    const m = buildManifest(p, [
      { split: 'data', label: 'fraud', row_count: '4', missing_0: '1' },
      { split: '__excluded', label: 'nullEntityKey', row_count: '2', missing_0: '0' },
      { split: '__excluded', label: 'nullEventTime', row_count: '7', missing_0: '0' },
    ]);
    expect(m).toMatchObject({
      rowCounts: { total: 4 },
      labelDistribution: { fraud: 4 },
      missingFeatures: { 'account-spend': 1 },
      excludedLabelRows: { nullEntityKey: 2, nullLabel: 0, nullEventTime: 7 },
    });
    // a reason the manifest does not know is an error, not a silently lost count
    expect(() => buildManifest(p, [{ split: '__excluded', label: 'somethingElse', row_count: '1', missing_0: '0' }])).toThrow(/unknown reason/);
  });

  test('the manifest step reads every results page, writes manifest.json and returns the contract output', async () => {
    const athena = mockClient(AthenaClient);
    const s3 = mockClient(S3Client);
    const saved = process.env;
    process.env = { ...saved, FEATURE_GROUPS: JSON.stringify([GROUP]), OUTPUT_BUCKET: 'out' };
    try {
      const row = (...v: string[]) => ({ Data: v.map((VarCharValue) => ({ VarCharValue })) });
      athena
        .on(GetQueryResultsCommand, { QueryExecutionId: 'q1', NextToken: undefined })
        .resolves({ ResultSet: { Rows: [row('split', 'label', 'row_count', 'missing_0'), row('data', 'fraud', '4', '1')] }, NextToken: 't2' })
        .on(GetQueryResultsCommand, { QueryExecutionId: 'q1', NextToken: 't2' })
        .resolves({ ResultSet: { Rows: [row('data', 'legitimate', '6', '0')] } });
      s3.on(PutObjectCommand).resolves({});
      const p = plan(INPUT, ENV);
      const { result: out, lines } = await captureOutputAsync(() => handler({ action: 'manifest', plan: p, statsQueryExecutionId: 'q1' }));
      expectMatchesGolden('plinth-training-set', lines);
      expect(lines).toHaveLength(1);
      expect(out).toEqual({ manifestUri: 's3://out/training-sets/fraud-detector/run-7/manifest.json', trainingSetUri: 's3://out/training-sets/fraud-detector/run-7/', rowCount: 10 });
      const written = JSON.parse(String(s3.commandCalls(PutObjectCommand)[0].args[0].input.Body));
      expect(written).toMatchObject({ schemaVersion: 1, rowCounts: { total: 10 }, labelDistribution: { fraud: 4, legitimate: 6 }, missingFeatures: { 'account-spend': 1 } });
    } finally {
      process.env = saved;
      athena.restore();
      s3.restore();
    }
  });

  test('an event that is neither step is refused', async () => {
    await expect(handler({ action: 'train' })).rejects.toThrow(TrainingSetInputError);
  });
});
