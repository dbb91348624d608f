/**
 * Model output checks, confidence routing boundaries and error
 * classification, without any network.
 */

import { parseModelOutput } from '../../../lambdas/infer/model-output';
import { route } from '../../../lambdas/infer/routing';
import { classifyError } from '../../../lambdas/infer/invoke';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const L = ['label'];
const C = ['confidence'];

describe('parseModelOutput', () => {
  it('accepts a JSON object with a label and a confidence in [0, 1], keeping the whole output', () => {
    // GIVEN a well-formed output with extra fields, and the bounds 0 and 1
    // WHEN parsed
    // THEN label, confidence and the full prediction are returned
    expect(parseModelOutput(enc('{"label":"fraud","confidence":0.9,"scores":[0.1,0.9]}'), L, C)).toEqual({
      ok: true,
      answer: { prediction: { label: 'fraud', confidence: 0.9, scores: [0.1, 0.9] }, label: 'fraud', confidence: 0.9 },
    });
    expect(parseModelOutput(enc('{"label":"a","confidence":0}'), L, C).ok).toBe(true);
    expect(parseModelOutput(enc('{"label":"a","confidence":1}'), L, C).ok).toBe(true);
  });

  it('takes a numeric class label as its decimal string', () => {
    // GIVEN a numeric label
    // WHEN parsed
    const r = parseModelOutput(enc('{"label":1,"confidence":0.7}'), L, C);
    // THEN the label is "1"
    expect(r).toMatchObject({ ok: true, answer: { label: '1' } });
  });

  it.each<[string, Uint8Array | undefined]>([
    ['no body', undefined],
    ['an empty body', enc('')],
    ['invalid UTF-8', new Uint8Array([0x7b, 0xff, 0x7d])],
    ['a JSON number', enc('0.9')],
    ['null', enc('null')],
    ['an empty label', enc('{"label":"","confidence":0.9}')],
    ['a negative confidence', enc('{"label":"a","confidence":-0.01}')],
    ['a confidence above 1', enc('{"label":"a","confidence":1.0001}')],
    ['a null confidence', enc('{"label":"a","confidence":null}')],
    ['a boolean label', enc('{"label":true,"confidence":0.5}')],
    ['a blank label', enc('{"label":"   ","confidence":0.5}')],
    ['a 257-character label', enc(JSON.stringify({ label: 'x'.repeat(257), confidence: 0.5 }))],
  ])('rejects %s as malformed', (_name, body) => {
    // GIVEN a malformed output
    // WHEN parsed
    // THEN it is not ok, with a reason
    const r = parseModelOutput(body, L, C);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason.length).toBeGreaterThan(3);
  });
});

describe('route (CONFIDENCE_THRESHOLD 0.8, high-stakes: block)', () => {
  const policy = { confidenceThreshold: 0.8, highStakesLabels: new Set(['block']) };

  it.each<[number, boolean]>([
    [0.7999999, true],
    [0.8, false],
    [0.8000001, false],
    [0, true],
    [1, false],
  ])('confidence %p → needs review %p', (confidence, expected) => {
    // GIVEN a primary answer with this confidence and an ordinary label
    // WHEN routed
    const d = route({ label: 'legit', confidence, degraded: false }, policy);
    // THEN only strictly-below needs review, with reason low-confidence
    expect(d.needsReview).toBe(expected);
    if (d.needsReview) expect(d.reason).toBe('low-confidence');
  });

  it('a high-stakes label is reviewed even at confidence 1', () => {
    // GIVEN a certain answer with a high-stakes label
    // WHEN routed
    // THEN high-stakes review
    expect(route({ label: 'block', confidence: 1, degraded: false }, policy)).toEqual({ needsReview: true, reason: 'high-stakes', reasons: ['high-stakes'] });
  });

  it('a degraded answer is always reviewed, and degraded comes first', () => {
    // GIVEN a confident fallback answer, and an unsure high-stakes fallback answer
    // WHEN routed
    // THEN both need review with reason degraded
    expect(route({ label: 'legit', confidence: 0.99, degraded: true }, policy)).toEqual({ needsReview: true, reason: 'degraded', reasons: ['degraded'] });
    expect(route({ label: 'block', confidence: 0.1, degraded: true }, policy)).toEqual({
      needsReview: true,
      reason: 'degraded',
      reasons: ['degraded', 'high-stakes', 'low-confidence'],
    });
  });

  it('threshold 0 reviews nothing by confidence; threshold 1 reviews everything below certainty', () => {
    // GIVEN the extreme thresholds
    const none = { confidenceThreshold: 0, highStakesLabels: new Set<string>() };
    const all = { confidenceThreshold: 1, highStakesLabels: new Set<string>() };
    // WHEN routed
    // THEN 0 never, 1 whenever confidence < 1
    expect(route({ label: 'x', confidence: 0, degraded: false }, none).needsReview).toBe(false);
    expect(route({ label: 'x', confidence: 0.999, degraded: false }, all).needsReview).toBe(true);
    expect(route({ label: 'x', confidence: 1, degraded: false }, all).needsReview).toBe(false);
  });
});

describe('classifyError', () => {
  const sdk = (name: string, status?: number): unknown =>
    Object.assign(new Error(name), { name, ...(status !== undefined ? { $metadata: { httpStatusCode: status } } : {}) });

  it.each<[string, unknown, boolean, string]>([
    ['our deadline', new Error('aborted'), true, 'timeout'],
    ['AbortError', sdk('AbortError'), false, 'timeout'],
    ['handler TimeoutError', sdk('TimeoutError'), false, 'timeout'],
    ['ThrottlingException', sdk('ThrottlingException', 400), false, 'throttled'],
    ['HTTP 429 Unknown', sdk('Unknown', 429), false, 'throttled'],
    ['ModelError 424', sdk('ModelError', 424), false, 'server-error'],
    ['ServiceUnavailable', sdk('ServiceUnavailable', 503), false, 'server-error'],
    ['InternalFailure', sdk('InternalFailure', 500), false, 'server-error'],
    ['a 502 deserialization error', sdk('SyntaxError', 502), false, 'server-error'],
    ['ECONNRESET', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), false, 'network'],
    ['a wrapped ECONNREFUSED', new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 127.0.0.1:1'), false, 'network'],
    ['ValidationError 400', sdk('ValidationError', 400), false, 'rejected'],
    ['a non-error', 'weird', false, 'unknown'],
  ])('%s → %s', (_name, err, deadline, kind) => {
    // GIVEN an invoke error
    // WHEN classified
    // THEN its kind is as documented
    expect(classifyError(err, deadline).kind).toBe(kind);
  });
});
