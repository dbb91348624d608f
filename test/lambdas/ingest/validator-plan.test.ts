/**
 * The per-record plan the router runs (validateJsonFields, coerceCsvRow)
 * against the per-record functions it replaced on the hot path
 * (test/support/ingest-validator-reference.ts): the same violations, in the same
 * order, and the same typed CSV values, on random schemas and records and on
 * hand-written fixtures.
 */
import fc from 'fast-check';
import { FieldSchema, parseDatasetSchema } from '../../../lambdas/ingest/dataset-schema';
import {
  CompiledSchema,
  Violation,
  coerceCsvRow,
  compileSchema,
  isNumberText,
  validateJsonFields,
} from '../../../lambdas/ingest/validator';
import { referenceCoerceCsvValue, referenceValidateJsonRecord } from '../../support/ingest-validator-reference';

const NAMES = ['id', 'n', 'x', 'flag', 'at', 'cur', 'toString', 'hasOwnProperty', '1', 'é'];

const fieldSchema = (name: string): fc.Arbitrary<FieldSchema> =>
  fc
    .record({
      type: fc.constantFrom('string', 'integer', 'number', 'boolean', 'timestamp'),
      required: fc.option(fc.boolean(), { nil: undefined }),
      nullable: fc.option(fc.boolean(), { nil: undefined }),
      bound: fc.option(fc.tuple(fc.integer({ min: -5, max: 5 }), fc.integer({ min: 0, max: 10 })), { nil: undefined }),
      maxLength: fc.option(fc.nat(6), { nil: undefined }),
      withEnum: fc.boolean(),
    })
    .map(({ type, required, nullable, bound, maxLength, withEnum }) => {
      const f: FieldSchema = { name, type };
      if (required !== undefined) f.required = required;
      if (nullable !== undefined) f.nullable = nullable;
      if (bound && (type === 'integer' || type === 'number')) {
        f.min = bound[0];
        f.max = bound[0] + bound[1];
      }
      if (maxLength !== undefined && (type === 'string' || type === 'timestamp')) f.maxLength = maxLength;
      if (withEnum) {
        f.enum =
          type === 'string' ? ['EUR', 'a', ''] : type === 'timestamp' ? ['2026-01-01'] : type === 'boolean' ? [true] : [1, 2, 3];
      }
      return f;
    });

const schemaArb: fc.Arbitrary<CompiledSchema> = fc
  .uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: NAMES.length })
  .chain((names) => fc.tuple(...names.map(fieldSchema)))
  .map((fields) => compileSchema(parseDatasetSchema({ name: 'ds', version: 1, format: 'jsonl', fields })));

/** JSON values of every kind a field can meet, the edge cases of each check included. */
const jsonValue = fc.oneof(
  fc.constantFrom(null, true, false, 0, -0, 1, 2, 2.5, -7, 1e21, Infinity, 2 ** 53, 'EUR', 'a', '', 'abcdefgh', '😀😀😀😀'),
  fc.constantFrom('2026-02-29', '2024-02-29', '2026-11-20T08:05:00Z', '2026-11-20 08:05', '2026-11-20T24:00:00Z', '2026-13-01'),
  fc.string({ maxLength: 8 }),
  fc.double(),
  fc.integer(),
  fc.constant({ nested: 1 }),
  fc.constant([1, 'a']),
);

/** A record for `cs`: some schema fields (in schema order or shuffled), some other keys. */
function recordArb(cs: CompiledSchema): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .tuple(
      fc.array(fc.tuple(fc.constantFrom(...cs.fields.map((f) => f.name), 'extra', '_line'), jsonValue), { maxLength: 12 }),
      fc.boolean(),
    )
    .map(([entries, schemaOrder]) => {
      const sorted = schemaOrder ? [...entries].sort((a, b) => cs.fields.findIndex((f) => f.name === a[0]) - cs.fields.findIndex((f) => f.name === b[0])) : entries;
      // as JSON.parse builds it: own data properties, last value wins
      return JSON.parse(JSON.stringify(Object.fromEntries(sorted))) as Record<string, unknown>;
    });
}

function planJson(cs: CompiledSchema, rec: Record<string, unknown>): Violation[] {
  const out: Violation[] = [];
  validateJsonFields(cs, rec, Object.keys(rec), Object.values(rec), out);
  return out;
}

function oldJson(cs: CompiledSchema, rec: Record<string, unknown>): Violation[] {
  const out: Violation[] = [];
  referenceValidateJsonRecord(cs, rec, out);
  return out;
}

/** CSV text as writers write it, and text that only looks like a value. */
const csvText = fc.oneof(
  fc.constantFrom('', '0', '-0', '+7', '7.5', '.5', '5.', '1e3', '1E+3', '1e', 'e1', '1e400', '0x10', ' 7', '1,5', 'NaN', 'Infinity'),
  fc.constantFrom('true', 'TRUE', 'False', 'yes', 'tRuE ', 'EUR', 'a', '2026-11-20T08:05:00Z', '2026-02-30', '😀😀😀'),
  fc.string({ unit: fc.constantFrom('0', '1', '9', '.', 'e', 'E', '+', '-', ' ', 'x'), maxLength: 8 }),
  fc.string({ maxLength: 8 }),
  fc.integer().map(String),
  fc.double().map(String),
);

describe('the per-record plan', () => {
  it('finds the JSON violations the reference finds, in the same order, on random schemas and records', () => {
    fc.assert(
      fc.property(
        schemaArb.chain((cs) => fc.tuple(fc.constant(cs), recordArb(cs))),
        ([cs, rec]) => {
          expect(planJson(cs, rec)).toEqual(oldJson(cs, rec));
        },
      ),
      { seed: 1719, numRuns: 3000 },
    );
  });

  it('coerces CSV rows as the reference does, value by value, with the same violations', () => {
    fc.assert(
      fc.property(
        schemaArb.chain((cs) => fc.tuple(fc.constant(cs), fc.array(fc.tuple(fc.constantFrom(...cs.fields.map((f) => f.name), 'extra'), csvText), { maxLength: 10 }))),
        ([cs, cells]) => {
          const columns = cells.map(([name]) => cs.byName.get(name));
          const raw = cells.map(([, text]) => text);
          const values: unknown[] = new Array<unknown>(raw.length);
          const violations: Violation[] = [];
          coerceCsvRow(columns, raw, values, violations);
          const expectedViolations: Violation[] = [];
          const expectedValues = raw.map((text, i) => (columns[i] === undefined ? text : referenceCoerceCsvValue(columns[i]!, text, expectedViolations)));
          expect(values).toEqual(expectedValues);
          expect(violations).toEqual(expectedViolations);
        },
      ),
      { seed: 1720, numRuns: 3000 },
    );
  });

  it('reads number text as the regular expression it replaced does', () => {
    // the expression the reference tests with (NUMBER_TEXT)
    const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
    fc.assert(
      fc.property(fc.oneof(csvText, fc.string({ unit: fc.constantFrom('0', '7', '.', 'e', 'E', '+', '-'), maxLength: 7 })), (text) => {
        expect(isNumberText(text)).toBe(NUMBER_TEXT.test(text));
      }),
      { seed: 1721, numRuns: 5000 },
    );
  });

  it('gives the outcomes of the old path on hand-written fixtures', () => {
    // GIVEN the benchmark's transactions schema and records that break each rule once
    const cs = compileSchema(
      parseDatasetSchema({
        name: 'transactions',
        version: 1,
        format: 'jsonl',
        fields: [
          { name: 'transaction_id', type: 'string', required: true, nullable: false, maxLength: 8 },
          { name: 'amount', type: 'number', required: true, nullable: false, min: 0, max: 100 },
          { name: 'currency', type: 'string', required: true, enum: ['EUR', 'GBP'] },
          { name: 'count', type: 'integer', min: 1 },
          { name: 'occurred_at', type: 'timestamp', required: true, nullable: false },
          { name: 'card_present', type: 'boolean' },
        ],
      }),
    );
    const fixtures: Array<[string, Violation[]]> = [
      ['{"transaction_id":"t-1","amount":1.5,"currency":"EUR","count":2,"occurred_at":"2026-11-20T08:05:00Z","card_present":true}', []],
      [
        '{"amount":-1,"transaction_id":"t-123456789","currency":"USD","occurred_at":"2026-02-29","card_present":"yes","count":1.5}',
        [
          { field: 'transaction_id', rule: 'max-length', value: 't-123456789' },
          { field: 'amount', rule: 'below-min', value: -1 },
          { field: 'currency', rule: 'not-in-enum', value: 'USD' },
          { field: 'count', rule: 'type-mismatch', value: 1.5 },
          { field: 'occurred_at', rule: 'type-mismatch', value: '2026-02-29' },
          { field: 'card_present', rule: 'type-mismatch', value: 'yes' },
        ],
      ],
      ['{"transaction_id":null,"amount":1e400,"card_present":null}', [
        { field: 'transaction_id', rule: 'not-nullable', value: null },
        { field: 'amount', rule: 'type-mismatch', value: Infinity },
        { field: 'currency', rule: 'missing-required' },
        { field: 'occurred_at', rule: 'missing-required' },
      ]],
    ];
    for (const [text, expected] of fixtures) {
      const rec = JSON.parse(text) as Record<string, unknown>;
      // THEN the plan and the old path agree, and both say what the fixture says
      expect(planJson(cs, rec)).toEqual(expected);
      expect(oldJson(cs, rec)).toEqual(expected);
    }
  });
});
