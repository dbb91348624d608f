import { parseDatasetSchema } from '../../../lambdas/ingest/dataset-schema';
import {
  ABSENT,
  CompiledSchema,
  Violation,
  coerceCsvValue,
  compileSchema,
  isIsoTimestamp,
  validateJsonRecord,
} from '../../../lambdas/ingest/validator';
import { parseJsonRecord } from '../../../lambdas/ingest/json-record';

const schema: CompiledSchema = compileSchema(
  parseDatasetSchema({
    name: 'tx',
    version: 1,
    format: 'jsonl',
    fields: [
      { name: 'id', type: 'string', required: true, maxLength: 5 },
      { name: 'n', type: 'integer', min: 1, max: 10 },
      { name: 'x', type: 'number', required: true, nullable: true },
      { name: 'flag', type: 'boolean', nullable: false },
      { name: 'at', type: 'timestamp' },
      { name: 'cur', type: 'string', enum: ['EUR', 'USD'] },
    ],
  }),
);
const field = (name: string) => schema.byName.get(name)!;

function check(rec: Record<string, unknown>): Violation[] {
  const out: Violation[] = [];
  validateJsonRecord(schema, rec, out);
  return out;
}

describe('validateJsonRecord', () => {
  it('accepts a fully valid record', () => {
    // GIVEN a record satisfying every constraint
    // WHEN it is validated
    // THEN no violations
    expect(check({ id: 'a1', n: 3, x: 1.5, flag: true, at: '2024-02-29T12:00:00Z', cur: 'EUR' })).toEqual([]);
  });

  it('reports missing required fields but not missing optional ones', () => {
    // GIVEN a record lacking required "id" and "x" and optional others
    // WHEN it is validated
    // THEN exactly the required ones are reported
    expect(check({})).toEqual([
      { field: 'id', rule: 'missing-required' },
      { field: 'x', rule: 'missing-required' },
    ]);
  });

  it('distinguishes integer from number and rejects non-finite and unsafe values', () => {
    // GIVEN a fractional integer, an unsafe integer, a string number
    // WHEN it is validated
    // THEN each is a type mismatch
    expect(check({ id: 'a', x: 1, n: 1.5 })).toEqual([{ field: 'n', rule: 'type-mismatch', value: 1.5 }]);
    expect(check({ id: 'a', x: 1, n: 2 ** 60 })).toEqual([{ field: 'n', rule: 'type-mismatch', value: 2 ** 60 }]);
    expect(check({ id: 'a', x: '1' })).toEqual([{ field: 'x', rule: 'type-mismatch', value: '1' }]);
    expect(check({ id: 'a', x: Infinity })).toEqual([{ field: 'x', rule: 'type-mismatch', value: Infinity }]);
    // AND 1e400 in JSON parses to Infinity and is rejected too
    const parsed = parseJsonRecord('{"id":"a","x":1e400}');
    expect(parsed.kind).toBe('ok');
    if (parsed.kind === 'ok') expect(check(parsed.value)).toEqual([{ field: 'x', rule: 'type-mismatch', value: Infinity }]);
  });

  it('applies nullable defaults: optional fields are nullable, required ones only if declared', () => {
    // GIVEN nulls in an optional field, a required nullable field, and a non-nullable field
    // WHEN it is validated
    // THEN only the explicitly non-nullable field fails
    expect(check({ id: 'a', x: null, n: null })).toEqual([]);
    expect(check({ id: null, x: 1 })).toEqual([{ field: 'id', rule: 'not-nullable', value: null }]);
    expect(check({ id: 'a', x: 1, flag: null })).toEqual([{ field: 'flag', rule: 'not-nullable', value: null }]);
  });

  it('checks min/max, maxLength (in code points) and enum', () => {
    // GIVEN out-of-range values, a too-long string, an emoji string within the limit, a bad enum
    // WHEN it is validated
    // THEN each constraint is reported with its own rule; the emoji string passes
    expect(check({ id: 'a', x: 1, n: 0 })).toEqual([{ field: 'n', rule: 'below-min', value: 0 }]);
    expect(check({ id: 'a', x: 1, n: 11 })).toEqual([{ field: 'n', rule: 'above-max', value: 11 }]);
    expect(check({ id: 'abcdef', x: 1 })).toEqual([{ field: 'id', rule: 'max-length', value: 'abcdef' }]);
    expect(check({ id: '😀😀😀😀😀', x: 1 })).toEqual([]); // 5 code points, 10 UTF-16 units
    expect(check({ id: 'a', x: 1, cur: 'GBP' })).toEqual([{ field: 'cur', rule: 'not-in-enum', value: 'GBP' }]);
  });

  it('never reads schema fields from the prototype chain', () => {
    // GIVEN a record without own "id" but whose prototype has one
    const rec = Object.create({ id: 'inherited', x: 1 }) as Record<string, unknown>;
    // WHEN it is validated
    // THEN the inherited values do not count as present
    expect(check(rec)).toEqual([
      { field: 'id', rule: 'missing-required' },
      { field: 'x', rule: 'missing-required' },
    ]);
  });
});

describe('isIsoTimestamp', () => {
  it.each([
    ['2024-05-06', true],
    ['2024-05-06T07:08:09Z', true],
    ['2024-05-06T07:08:09.123456789+02:00', true],
    ['2024-05-06 07:08', true],
    ['2024-05-06T07:08:09+0530', true],
    ['2024-02-29T00:00:00Z', true],
    ['2023-02-29T00:00:00Z', false],
    ['2024-13-01', false],
    ['2024-05-06T24:00:00Z', false],
    ['2024-05-06T07:60:00Z', false],
    ['06/05/2024', false],
    ['1715039998', false],
    ['May 6 2024', false],
    ['', false],
  ])('%s -> %s', (input, expected) => {
    // GIVEN a candidate timestamp string
    // WHEN checked
    // THEN it is accepted only if it is a calendar-valid ISO-8601 date/date-time
    expect(isIsoTimestamp(input)).toBe(expected);
  });
});

describe('coerceCsvValue', () => {
  function coerce(name: string, raw: string): { value: unknown; violations: Violation[] } {
    const violations: Violation[] = [];
    return { value: coerceCsvValue(field(name), raw, violations), violations };
  }

  it('coerces integers, numbers and booleans from text', () => {
    // GIVEN textual values
    // WHEN it is coerced
    // THEN they become typed values
    expect(coerce('n', '7')).toEqual({ value: 7, violations: [] });
    expect(coerce('n', '+7')).toEqual({ value: 7, violations: [] });
    expect(coerce('x', '-1.5e3')).toEqual({ value: -1500, violations: [] });
    expect(coerce('x', '.5')).toEqual({ value: 0.5, violations: [] });
    expect(coerce('flag', 'TRUE')).toEqual({ value: true, violations: [] });
    expect(coerce('flag', 'false')).toEqual({ value: false, violations: [] });
  });

  it('rejects text that is not of the field type, reporting the original text', () => {
    // GIVEN malformed numbers/booleans/timestamps
    // WHEN it is coerced
    for (const [name, raw] of [
      ['n', '7.5'],
      ['n', '0x10'],
      ['n', ' 7'],
      ['x', 'NaN'],
      ['x', 'Infinity'],
      ['x', '1,5'],
      ['flag', 'yes'],
      ['at', 'tomorrow'],
    ] as const) {
      // THEN each is a type mismatch carrying the raw text
      expect(coerce(name, raw)).toEqual({ value: raw, violations: [{ field: name, rule: 'type-mismatch', value: raw }] });
    }
  });

  it('maps empty text per nullability: null, absent, "" or not-nullable', () => {
    // GIVEN empty strings for fields with different required/nullable settings
    // WHEN it is coerced
    // THEN nullable -> null; optional non-nullable -> absent; required string -> ""; required number not nullable -> error
    expect(coerce('n', '')).toEqual({ value: null, violations: [] });
    expect(coerce('flag', '')).toEqual({ value: ABSENT, violations: [] });
    expect(coerce('id', '')).toEqual({ value: '', violations: [] });
    expect(coerce('x', '')).toEqual({ value: null, violations: [] });
    const strict = compileSchema(
      parseDatasetSchema({ name: 's', version: 1, format: 'csv', fields: [{ name: 'q', type: 'integer', required: true }] }),
    ).byName.get('q')!;
    const v: Violation[] = [];
    expect(coerceCsvValue(strict, '', v)).toBe('');
    expect(v).toEqual([{ field: 'q', rule: 'not-nullable', value: '' }]);
  });

  it('applies range and enum checks after coercion', () => {
    // GIVEN typed-but-invalid values
    // WHEN it is coerced
    // THEN constraint violations (not type mismatches) are reported
    expect(coerce('n', '11').violations).toEqual([{ field: 'n', rule: 'above-max', value: 11 }]);
    expect(coerce('cur', 'GBP').violations).toEqual([{ field: 'cur', rule: 'not-in-enum', value: 'GBP' }]);
  });
});

describe('parseJsonRecord', () => {
  it('detects forbidden keys at any depth, including unicode-escaped ones, without polluting prototypes', () => {
    // GIVEN records using __proto__, constructor, prototype (nested and \u-escaped)
    const inputs = [
      '{"__proto__":{"polluted":true}}',
      '{"a":{"b":[{"constructor":{"prototype":{"polluted":true}}}]}}',
      '{"\\u005f_proto__":{"polluted":true}}',
      '{"prototype":1}',
    ];
    // WHEN parsed
    const results = inputs.map(parseJsonRecord);
    // THEN every one is flagged and nothing leaked onto Object.prototype
    expect(results.map((r) => r.kind)).toEqual(['forbidden-key', 'forbidden-key', 'forbidden-key', 'forbidden-key']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('does not flag values that merely mention the names', () => {
    // GIVEN a value string "constructor"
    // WHEN it is parsed
    const r = parseJsonRecord('{"note":"constructor prototype __proto__"}');
    // THEN it parses normally
    expect(r).toEqual({ kind: 'ok', value: { note: 'constructor prototype __proto__' } });
  });

  it('classifies malformed JSON and non-objects', () => {
    // GIVEN broken JSON, an array, a scalar and null
    // WHEN it is parsed
    // THEN they are classified, not thrown
    expect(parseJsonRecord('{"a":').kind).toBe('malformed-json');
    expect(parseJsonRecord('[1,2]').kind).toBe('not-an-object');
    expect(parseJsonRecord('42').kind).toBe('not-an-object');
    expect(parseJsonRecord('null').kind).toBe('not-an-object');
  });
});
