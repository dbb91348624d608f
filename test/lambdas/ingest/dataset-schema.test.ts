import { DatasetSchemaError, parseDatasetSchema } from '../../../lambdas/ingest/dataset-schema';

const valid = {
  name: 'transactions',
  version: 3,
  format: 'jsonl',
  recordIdField: 'txn_id',
  duplicatePolicy: 'reject',
  fields: [
    { name: 'txn_id', type: 'string', required: true, nullable: false, maxLength: 64 },
    { name: 'amount', type: 'number', required: true, nullable: false, min: 0, max: 1e6 },
    { name: 'kind', type: 'string', enum: ['a', 'b'] },
    { name: 'at', type: 'timestamp' },
    { name: 'n', type: 'integer', enum: [1, 2] },
    { name: 'ok', type: 'boolean' },
  ],
};

function withChange(mutate: (s: any) => void): unknown {
  const copy = JSON.parse(JSON.stringify(valid));
  mutate(copy);
  return copy;
}

describe('parseDatasetSchema', () => {
  it('accepts the documented example and returns an equivalent schema', () => {
    // GIVEN the schema shape from the contract
    // WHEN parsed
    const s = parseDatasetSchema(JSON.parse(JSON.stringify(valid)));
    // THEN all properties survive
    expect(s).toEqual(valid);
  });

  it.each([
    ['not an object', () => [] as unknown, '(root) must be a JSON object'],
    ['missing name', () => withChange((s) => delete s.name), 'name must be a non-empty string'],
    ['fractional version', () => withChange((s) => (s.version = 1.5)), 'version must be a positive integer'],
    ['zero version', () => withChange((s) => (s.version = 0)), 'version must be a positive integer'],
    ['bad format', () => withChange((s) => (s.format = 'parquet')), 'format must be one of jsonl, csv'],
    ['empty fields', () => withChange((s) => (s.fields = [])), 'fields must be a non-empty array'],
    ['unknown type', () => withChange((s) => (s.fields[0].type = 'date')), 'fields[0].type must be one of'],
    ['duplicate field', () => withChange((s) => s.fields.push({ name: 'txn_id', type: 'string' })), 'declared twice'],
    ['forbidden name', () => withChange((s) => (s.fields[2].name = '__proto__')), 'forbidden field name'],
    ['reserved name', () => withChange((s) => (s.fields[2].name = '_line')), 'reserved for ingest metadata'],
    ['min on string', () => withChange((s) => (s.fields[0].min = 1)), 'min/max are only valid'],
    ['min > max', () => withChange((s) => (s.fields[1].min = 10, s.fields[1].max = 1)), 'min must be <= max'],
    ['maxLength on number', () => withChange((s) => (s.fields[1].maxLength = 3)), 'maxLength is only valid'],
    ['negative maxLength', () => withChange((s) => (s.fields[0].maxLength = -1)), 'must be a non-negative integer'],
    ['enum of wrong type', () => withChange((s) => (s.fields[4].enum = [1, 'two'])), 'fields[4].enum[1] must be a value of type integer'],
    ['non-boolean required', () => withChange((s) => (s.fields[0].required = 'yes')), 'fields[0].required must be a boolean'],
    ['unknown id field', () => withChange((s) => (s.recordIdField = 'nope')), 'recordIdField must name a declared field'],
    ['bad policy', () => withChange((s) => (s.duplicatePolicy = 'drop')), 'duplicatePolicy must be one of'],
    ['policy without id', () => withChange((s) => delete s.recordIdField), 'duplicatePolicy requires recordIdField'],
    ['unknown top-level key', () => withChange((s) => (s.owner = 'me')), '(root).owner is not a known property'],
    ['unknown field key', () => withChange((s) => (s.fields[0].pattern = '.*')), 'fields[0].pattern is not a known property'],
    ['__proto__ top-level key', () => JSON.parse('{"__proto__":{"x":1},"name":"a"}'), '(root).__proto__ is not a known property'],
  ])('rejects %s with a clear message', (_label, make, message) => {
    // GIVEN an invalid schema document
    // WHEN parsed
    // THEN a DatasetSchemaError names the offending path
    expect(() => parseDatasetSchema(make())).toThrow(DatasetSchemaError);
    expect(() => parseDatasetSchema(make())).toThrow(message);
  });
});
