/**
 * lambdas/shared/json.ts: the JSON edge checks the gateway, ingest and drift-baseline share.
 */

import fc from 'fast-check';
import { isJsonObject, isScalarOfType, parseJsonObject, type ScalarType } from '../../../lambdas/shared/json';

class DomainError extends Error {
  override readonly name = 'DomainError';
}

const MESSAGES = { notJson: 'THING is not JSON', notObject: 'THING must be a JSON object' };

describe('parseJsonObject', () => {
  it('returns the parsed object', () => {
    expect(parseJsonObject('{"a":1,"b":{"c":[true]}}', DomainError, MESSAGES)).toEqual({ a: 1, b: { c: [true] } });
    expect(parseJsonObject('  {}  ', DomainError, MESSAGES)).toEqual({});
  });

  it.each([['{'], [''], ['{"a":1,}'], ['undefined'], ["{'a':1}"]])('throws the caller’s error type and notJson message for %j', (text) => {
    const thrown = catchError(() => parseJsonObject(text, DomainError, MESSAGES));
    expect(thrown).toBeInstanceOf(DomainError);
    expect(thrown.message).toBe('THING is not JSON');
  });

  it.each([['[]'], ['[{"a":1}]'], ['null'], ['"{}"'], ['42'], ['true']])('throws the notObject message for JSON that is not an object: %s', (text) => {
    const thrown = catchError(() => parseJsonObject(text, DomainError, MESSAGES));
    expect(thrown).toBeInstanceOf(DomainError);
    expect(thrown.message).toBe('THING must be a JSON object');
  });

  it('accepts exactly the JSON texts whose value is a non-null, non-array object (property, fixed seed)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value);
        const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
        if (isObject) expect(parseJsonObject(text, DomainError, MESSAGES)).toEqual(JSON.parse(text));
        else expect(() => parseJsonObject(text, DomainError, MESSAGES)).toThrow('THING must be a JSON object');
      }),
      { seed: 19, numRuns: 300 },
    );
  });
});

describe('isJsonObject', () => {
  it('is true for objects only', () => {
    expect(isJsonObject({})).toBe(true);
    expect(isJsonObject(Object.create(null))).toBe(true);
    for (const v of [null, undefined, [], [1], 'x', 1, true]) expect(isJsonObject(v)).toBe(false);
  });
});

describe('isScalarOfType', () => {
  // [value, the types it is] — written out by hand, not derived from the implementation
  const cases: Array<[unknown, ScalarType[]]> = [
    [0, ['number', 'integer']],
    [-0, ['number', 'integer']],
    [42, ['number', 'integer']],
    [-7, ['number', 'integer']],
    [1.5, ['number']],
    [Number.MAX_SAFE_INTEGER, ['number', 'integer']],
    [2 ** 53, ['number']], // finite, but JSON.parse cannot hold every integer this large exactly
    [1e300, ['number']],
    [Number.NaN, []],
    [Number.POSITIVE_INFINITY, []],
    [Number.NEGATIVE_INFINITY, []],
    ['12', ['string']],
    ['', ['string']],
    [true, ['boolean']],
    [false, ['boolean']],
    [null, []],
    [undefined, []],
    [{}, []],
    [[1], []],
  ];
  const types: ScalarType[] = ['number', 'integer', 'string', 'boolean'];

  it.each(cases)('%p is exactly of the types %j', (value, expected) => {
    expect(types.filter((t) => isScalarOfType(t, value))).toEqual(expected);
  });
});

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}
