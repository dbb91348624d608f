/**
 * Pure parts of the review loop (no AWS): message validation, case item
 * building, request validation, env contract, ground-truth key.
 */

import {
  canonicalJson,
  groundTruthKey,
  newCaseItem,
  parseReviewMessage,
  sameCase,
  toReviewCase,
} from '../../../lambdas/shared-review/case';
import {
  ConfigError,
  allowedLabels,
  claimLeaseMinutes,
  groundTruthLocation,
  slaMinutes,
  tableName,
} from '../../../lambdas/shared-review/config';
import { parseRequest } from '../../../lambdas/review-api/request';

const NOW = Date.parse('2031-03-01T09:00:00.000Z');
const ID = '3f2c9a54-8d1e-4b7a-9c3e-0a1b2c3d4e5f';

function message(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    caseId: ID,
    model: 'fraud-detector',
    endpoint: 'fraud-detector-dev',
    input: { amount: 10, country: 'FR' },
    provisional: { prediction: { fraud: 0.42 }, label: 'fraud', confidence: 0.42 },
    reason: 'high-stakes',
    createdAt: '2031-03-01T08:00:00Z',
    ...overrides,
  };
}

describe('parseReviewMessage', () => {
  it('accepts a contract message and normalises caseId and createdAt', () => {
    // GIVEN a valid message with an upper-case UUID and a +01:00 timestamp
    const body = JSON.stringify(message({ caseId: ID.toUpperCase(), createdAt: '2031-03-01T09:30:00+01:00' }));
    // WHEN it is parsed
    const parsed = parseReviewMessage(body, NOW);
    // THEN it is valid, with a lower-case caseId and a canonical UTC createdAt
    expect(parsed).toMatchObject({ ok: true, value: { caseId: ID, createdAt: '2031-03-01T08:30:00.000Z', reason: 'high-stakes' } });
  });

  it.each([
    ['not JSON', '{"caseId":'],
    ['an array', '[]'],
    ['a bad caseId', JSON.stringify(message({ caseId: 'case-1' }))],
    ['a model with a slash', JSON.stringify(message({ model: '../etc' }))],
    ['no endpoint', JSON.stringify(message({ endpoint: undefined }))],
    ['input not an object', JSON.stringify(message({ input: [1, 2] }))],
    ['no provisional', JSON.stringify(message({ provisional: undefined }))],
    ['confidence above 1', JSON.stringify(message({ provisional: { prediction: {}, label: 'x', confidence: 1.5 } }))],
    ['no provisional label', JSON.stringify(message({ provisional: { prediction: {}, confidence: 0.2 } }))],
    ['an unknown reason', JSON.stringify(message({ reason: 'curious' }))],
    ['createdAt without zone', JSON.stringify(message({ createdAt: '2031-03-01T08:00:00' }))],
    ['createdAt not a date', JSON.stringify(message({ createdAt: '2031-02-30T08:00:00Z' }))],
    ['createdAt 2 days ahead', JSON.stringify(message({ createdAt: '2031-03-03T09:00:00Z' }))],
  ])('rejects a message with %s', (_what, body) => {
    // GIVEN a message that breaks the contract
    // WHEN it is parsed
    const parsed = parseReviewMessage(body, NOW);
    // THEN it is invalid, with a reason
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors.length).toBeGreaterThan(0);
  });

  it('rejects a body too large to become a DynamoDB item', () => {
    // GIVEN a message with a 400 KB feature
    const body = JSON.stringify(message({ input: { blob: 'x'.repeat(400_000) } }));
    // WHEN it is parsed
    // THEN it is invalid (it goes to the DLQ instead of failing in DynamoDB forever)
    expect(parseReviewMessage(body, NOW)).toMatchObject({ ok: false });
  });
});

describe('case items', () => {
  it('builds a pending item with slaDeadline = createdAt + SLA and canonical JSON input', () => {
    // GIVEN a parsed message whose input keys are out of order
    const parsed = parseReviewMessage(JSON.stringify(message({ input: { b: 1, a: { d: 2, c: 3 } } })), NOW);
    if (!parsed.ok) throw new Error('fixture must be valid');
    // WHEN the item is built with a 90-minute SLA
    const item = newCaseItem(parsed.value, 90);
    // THEN it is pending, due 90 minutes after createdAt, with sorted-key JSON
    expect(item).toMatchObject({ status: 'pending', createdAt: '2031-03-01T08:00:00.000Z', slaDeadline: '2031-03-01T09:30:00.000Z' });
    expect(item.input).toBe('{"a":{"c":3,"d":2},"b":1}');
    // AND the API view parses it back
    expect(toReviewCase(item).input).toEqual({ a: { c: 3, d: 2 }, b: 1 });
  });

  it('treats a re-sent message as the same case and a different payload as a different one', () => {
    // GIVEN a stored item (input stored as a map by another writer) and two candidates
    const parsed = parseReviewMessage(JSON.stringify(message()), NOW);
    if (!parsed.ok) throw new Error('fixture must be valid');
    const stored = { ...newCaseItem(parsed.value, 60), status: 'labelled' as const, input: { country: 'FR', amount: 10 } };
    const same = newCaseItem(parsed.value, 60);
    const other = { ...same, input: canonicalJson({ amount: 11, country: 'FR' }) };
    // WHEN they are compared
    // THEN status does not matter, content does
    expect(sameCase(stored, same)).toBe(true);
    expect(sameCase(stored, other)).toBe(false);
  });

  it('builds the ground-truth key from prefix, model, labelled date and caseId', () => {
    // GIVEN a label given late in the UTC day
    // WHEN the key is built
    const key = groundTruthKey('ground-truth/', 'fraud-detector', '2031-03-01T23:59:59.999Z', ID);
    // THEN it follows the contract layout
    expect(key).toBe(`ground-truth/fraud-detector/labelled_date=2031-03-01/${ID}.json`);
  });
});

describe('parseRequest', () => {
  it('accepts the three actions and normalises caseId', () => {
    // GIVEN valid requests
    // WHEN they are parsed
    // THEN they keep only the contract fields
    expect(parseRequest({ action: 'claim', reviewer: 'alice' })).toEqual({ ok: true, request: { action: 'claim', reviewer: 'alice' } });
    expect(parseRequest(JSON.stringify({ action: 'get', caseId: ID.toUpperCase() }))).toEqual({
      ok: true,
      request: { action: 'get', caseId: ID },
    });
    expect(
      parseRequest({ action: 'submit', reviewer: 'alice@example.com', caseId: ID, label: ' fraud ', notes: 'looks like card testing' }),
    ).toEqual({
      ok: true,
      request: { action: 'submit', reviewer: 'alice@example.com', caseId: ID, label: 'fraud', notes: 'looks like card testing' },
    });
  });

  it.each([
    [null],
    [{ action: 'claim', reviewer: '' }],
    [{ action: 'claim', reviewer: 'a b' }],
    [{ action: 'submit', reviewer: 'alice', caseId: ID, label: '' }],
    [{ action: 'submit', reviewer: 'alice', caseId: ID, label: 'fraud', notes: 'x'.repeat(4001) }],
    [{ action: 'get', caseId: 7 }],
  ])('rejects %j', (req) => {
    // GIVEN a malformed request
    // WHEN it is parsed
    // THEN it is refused
    expect(parseRequest(req)).toMatchObject({ ok: false });
  });
});

describe('env contract', () => {
  it('applies the documented defaults and normalises the prefix', () => {
    // GIVEN only the required variables
    const env = { REVIEW_TABLE: 't', SLA_MINUTES: '240', ALLOWED_LABELS: 'fraud, legit,,fraud', GROUND_TRUTH_BUCKET: 'b' };
    // WHEN they are read
    // THEN defaults apply and the label list is trimmed and de-duplicated
    expect(tableName(env)).toBe('t');
    expect(slaMinutes(env)).toBe(240);
    expect(claimLeaseMinutes(env)).toBe(30);
    expect(allowedLabels(env)).toEqual(['fraud', 'legit']);
    expect(groundTruthLocation(env)).toEqual({ bucket: 'b', prefix: 'ground-truth/' });
    expect(groundTruthLocation({ ...env, GROUND_TRUTH_PREFIX: 'labels' }).prefix).toBe('labels/');
    expect(groundTruthLocation({ ...env, GROUND_TRUTH_PREFIX: '' }).prefix).toBe('');
  });

  it('refuses missing or nonsensical values', () => {
    // GIVEN broken variables
    // WHEN they are read
    // THEN a ConfigError names the variable
    expect(() => tableName({})).toThrow(ConfigError);
    expect(() => slaMinutes({})).toThrow(/SLA_MINUTES/);
    expect(() => slaMinutes({ SLA_MINUTES: '-5' })).toThrow(/SLA_MINUTES/);
    expect(() => claimLeaseMinutes({ CLAIM_LEASE_MINUTES: 'soon' })).toThrow(/CLAIM_LEASE_MINUTES/);
    expect(() => allowedLabels({ ALLOWED_LABELS: ' , ' })).toThrow(/ALLOWED_LABELS/);
    expect(() => groundTruthLocation({})).toThrow(/GROUND_TRUTH_BUCKET/);
  });
});
