import { DECLARED_ENVIRONMENTS, parseEnvironmentConfig, toDatasetSchema } from '../../config';
import { parseDatasetSchema } from '../../lambdas/ingest/dataset-schema';

const base = DECLARED_ENVIRONMENTS.dev;

function withDataLake(change: (lake: Record<string, any>) => void): unknown {
  const copy = JSON.parse(JSON.stringify(base));
  change(copy.dataLake);
  return copy;
}

describe('data lake config', () => {
  test('every declared dataset produces a schema the ingest function accepts', () => {
    for (const dataset of parseEnvironmentConfig(base).dataLake.datasets) {
      expect(parseDatasetSchema(JSON.parse(JSON.stringify(toDatasetSchema(dataset))))).toEqual(toDatasetSchema(dataset));
      expect(toDatasetSchema(dataset)).not.toHaveProperty('freshnessMinutes');
    }
  });

  test.each<[string, (lake: Record<string, any>) => void, RegExp]>([
    ['Glacier before infrequent access', (l) => (l.lifecycle.glacierAfterDays = 10), /dataLake\.lifecycle\.glacierAfterDays: dataLake\.lifecycle\.glacierAfterDays must be later than infrequentAccessAfterDays/],
    ['infrequent access before 30 days', (l) => (l.lifecycle.infrequentAccessAfterDays = 7), /infrequent access after 30 days at the earliest/],
    ['a scan limit below Athena\'s minimum', (l) => (l.athenaBytesScannedCutoffPerQuery = 1000), /athenaBytesScannedCutoffPerQuery must be at least 10 MB/],
    ['a batch size above 10', (l) => (l.ingestion.batchSize = 50), /batchSize must be 1 to 10/],
    ['a duplicate dataset', (l) => l.datasets.push(l.datasets[0]), /dataset "transactions" is declared twice/],
    ['an uppercase dataset name', (l) => (l.datasets[0].name = 'Transactions'), /dataset name must be lowercase/],
    ['a record id that is not a field', (l) => (l.datasets[0].recordIdField = 'nope'), /recordIdField must name a declared field/],
    ['a freshness window beyond 7 days', (l) => (l.datasets[0].freshnessMinutes = 20000), /freshnessMinutes can be at most 10080/],
    ['an unknown field type', (l) => (l.datasets[0].fields[0].type = 'decimal'), /dataLake\.datasets\.0\.fields\.0\.type/],
  ])('rejects %s', (_what, change, message) => {
    expect(() => parseEnvironmentConfig(withDataLake(change), 'config/dev.ts')).toThrow(message);
  });
});
