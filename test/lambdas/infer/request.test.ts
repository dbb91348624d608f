/**
 * Input schema and request parsing, without any AWS: these decide what may
 * reach the model at all.
 */

import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { parseInputSchema, validateFeatures } from '../../../lambdas/infer/input-schema';
import { parseRequest } from '../../../lambdas/infer/request';

const schema = parseInputSchema({
  features: [
    { name: 'amount', type: 'number', required: true, min: 0, max: 100000 },
    { name: 'currency', type: 'string', enum: ['EUR', 'USD'] },
    { name: 'card_present', type: 'boolean' },
    { name: 'items', type: 'integer', min: 1 },
    { name: 'note', type: 'string', maxLength: 5 },
  ],
});

function ev(body: string | undefined, isBase64Encoded = false, method = 'POST'): APIGatewayProxyEventV2 {
  return { body, isBase64Encoded, requestContext: { http: { method } } } as unknown as APIGatewayProxyEventV2;
}

describe('parseInputSchema', () => {
  it('accepts the documented example', () => {
    // GIVEN the INPUT_SCHEMA example of the contract
    const raw = {
      features: [
        { name: 'amount', type: 'number', required: true, min: 0, max: 100000 },
        { name: 'currency', type: 'string', enum: ['EUR', 'USD'] },
        { name: 'card_present', type: 'boolean' },
      ],
    };
    // WHEN it is parsed
    const s = parseInputSchema(raw);
    // THEN every feature is known with its rules
    expect(s.features.map((f) => f.name)).toEqual(['amount', 'currency', 'card_present']);
    expect(s.byName.get('amount')).toEqual({ name: 'amount', type: 'number', required: true, min: 0, max: 100000 });
    expect(s.byName.get('currency')?.required).toBe(false);
  });

  it.each<[string, unknown, RegExp]>([
    ['not an object', [], /JSON object/],
    ['no features', { features: [] }, /non-empty/],
    ['a typo in a rule name', { features: [{ name: 'a', type: 'number', maximum: 3 }] }, /unsupported key "maximum"/],
    ['an unknown type', { features: [{ name: 'a', type: 'float' }] }, /type must be/],
    ['a duplicate name', { features: [{ name: 'a', type: 'number' }, { name: 'a', type: 'string' }] }, /duplicate/],
    ['a reserved name', { features: [{ name: '__proto__', type: 'number' }] }, /reserved/],
    ['min > max', { features: [{ name: 'a', type: 'number', min: 3, max: 1 }] }, /min > max/],
    ['min on a string', { features: [{ name: 'a', type: 'string', min: 1 }] }, /only applies/],
    ['a mixed-type enum', { features: [{ name: 'a', type: 'string', enum: ['x', 1] }] }, /enum values/],
    ['a non-boolean required', { features: [{ name: 'a', type: 'string', required: 'yes' }] }, /required must be a boolean/],
  ])('rejects a schema with %s', (_name, raw, message) => {
    // GIVEN a broken schema
    // WHEN it is parsed
    // THEN it throws a message that says what is wrong
    expect(() => parseInputSchema(raw)).toThrow(message);
  });
});

describe('validateFeatures', () => {
  it('keeps only declared features and drops optional nulls', () => {
    // GIVEN a valid request with an optional null
    const body = { amount: 0, currency: 'USD', card_present: null, items: 3 };
    // WHEN validated
    const r = validateFeatures(schema, body);
    // THEN the result is exactly the non-null declared features
    expect(r).toEqual({ ok: true, features: { amount: 0, currency: 'USD', items: 3 } });
  });

  it('accepts both range bounds (inclusive)', () => {
    // GIVEN amounts at min and at max
    // WHEN validated
    // THEN both pass
    expect(validateFeatures(schema, { amount: 0 }).ok).toBe(true);
    expect(validateFeatures(schema, { amount: 100000 }).ok).toBe(true);
  });

  it.each<[string, unknown, string, string | undefined]>([
    ['a required null', { amount: null }, 'required', 'amount'],
    ['a fractional integer', { amount: 1, items: 1.5 }, 'type', 'items'],
    ['an integer below min', { amount: 1, items: 0 }, 'min', 'items'],
    ['a too-long string', { amount: 1, note: 'abcdef' }, 'maxLength', 'note'],
    ['a number as enum string', { amount: 1, currency: 1 }, 'type', 'currency'],
    ['a nested object', { amount: { value: 1 } }, 'type', 'amount'],
    ['a prototype key', { amount: 1, prototype: 1 }, 'forbidden-key', 'prototype'],
    ['null body', null, 'object', undefined],
  ])('rejects %s', (_name, body, rule, field) => {
    // GIVEN a request body breaking one rule
    // WHEN validated
    const r = validateFeatures(schema, body);
    // THEN the rule and field are reported
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.failure.rule).toBe(rule);
      expect(r.failure.field).toBe(field);
    }
  });

  it('bounds the echo of a huge unknown key', () => {
    // GIVEN an unknown key of 10 000 characters
    const key = 'k'.repeat(10_000);
    // WHEN validated
    const r = validateFeatures(schema, { amount: 1, [key]: 1 });
    // THEN the error names it, truncated
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.failure.rule).toBe('unknown');
      expect((r.failure.field as string).length).toBeLessThan(100);
    }
  });

  it('rejects a JSON-parsed __proto__ key and does not pollute prototypes', () => {
    // GIVEN a body whose JSON carries a __proto__ own property
    const body = JSON.parse('{"amount": 1, "__proto__": {"polluted": true}}') as unknown;
    // WHEN validated
    const r = validateFeatures(schema, body);
    // THEN it is refused and Object.prototype is untouched
    expect(r).toMatchObject({ ok: false, failure: { rule: 'forbidden-key', field: '__proto__' } });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('parseRequest', () => {
  it('measures the size in bytes, not characters', () => {
    // GIVEN a 40-character body of 2-byte characters and a 60-byte limit
    const body = JSON.stringify({ note: 'é'.repeat(30) });
    // WHEN parsed
    const r = parseRequest(ev(body), schema, 60);
    // THEN it is too large (413)
    expect(r).toMatchObject({ ok: false, clientError: { statusCode: 413, body: { rule: 'max-bytes', limit: 60 } } });
  });

  it('accepts a body of exactly MAX_PAYLOAD_BYTES', () => {
    // GIVEN a body of exactly the limit
    const body = JSON.stringify({ amount: 12 });
    // WHEN parsed with limit = its length
    const r = parseRequest(ev(body), schema, Buffer.byteLength(body));
    // THEN it passes
    expect(r).toEqual({ ok: true, features: { amount: 12 }, bytes: Buffer.byteLength(body) });
  });

  it('accepts base64 with line breaks and rejects invalid UTF-8', () => {
    // GIVEN base64 wrapped over lines, and base64 of invalid UTF-8 bytes
    const wrapped = Buffer.from('{"amount": 5}').toString('base64').replace(/(.{8})/g, '$1\n');
    const badUtf8 = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]).toString('base64');
    // WHEN parsed
    // THEN the first is decoded, the second is refused
    expect(parseRequest(ev(wrapped, true), schema, 1000)).toMatchObject({ ok: true, features: { amount: 5 } });
    expect(parseRequest(ev(badUtf8, true), schema, 1000)).toMatchObject({ ok: false, clientError: { statusCode: 400, body: { rule: 'encoding' } } });
  });

  it('rejects a non-POST method with 405', () => {
    // GIVEN a PUT
    // WHEN parsed
    // THEN 405
    expect(parseRequest(ev('{}', false, 'PUT'), schema, 1000)).toMatchObject({ ok: false, clientError: { statusCode: 405 } });
  });
});
