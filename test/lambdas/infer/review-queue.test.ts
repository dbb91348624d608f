/** Review cases must be sendable on SQS whatever text the request features hold. */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import * as fc from 'fast-check';
import { enqueueReviewCase, toSqsSafeJson } from '../../../lambdas/infer/review-queue';
import type { ReviewCase } from '../../../lambdas/infer/review-queue';

/** The characters SQS accepts in a message body (SendMessage documentation), as a whole-string test. */
const SQS_ALLOWED = /^[\u0009\u000A\u000D\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

const reviewCase = (note: string): ReviewCase => ({
  caseId: '6f1c2b1e-2f0a-4c55-9a3e-1b2c3d4e5f60',
  model: 'fraud-detector',
  endpoint: 'fraud-detector-dev',
  input: { amount: 1, note },
  provisional: { prediction: { label: 'legit' }, label: 'legit', confidence: 0.5 },
  reason: 'low-confidence',
  reasons: ['low-confidence'],
  answeredBy: { model: 'primary', endpoint: 'fraud-detector-dev' },
  environment: 'test',
  createdAt: '2026-12-04T00:00:00.000Z',
});

describe('review case encoding', () => {
  test('the noncharacters that made a case unsendable are escaped, and decode back to the same text', () => {
    const note = 'caf\u00e9 \uFFFE\uFFFF \uD800 \u0001 end';
    // plain JSON keeps U+FFFE and U+FFFF as they are: SQS refuses that body
    expect(SQS_ALLOWED.test(JSON.stringify(reviewCase(note)))).toBe(false);
    const body = toSqsSafeJson(reviewCase(note));
    expect(SQS_ALLOWED.test(body)).toBe(true);
    expect((JSON.parse(body) as ReviewCase).input.note).toBe(note);
  });

  test('any text at all is sendable and round-trips exactly (property)', () => {
    const anyUnit = fc.oneof(fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), fc.constantFrom('\uFFFE', '\uFFFF', '\uD83D', '\uDE00', '\u0000'));
    const anyText = fc.oneof(fc.array(anyUnit).map((units) => units.join('')), fc.string({ unit: 'binary' }));
    fc.assert(
      fc.property(anyText, (note) => {
        const body = toSqsSafeJson(reviewCase(note));
        return SQS_ALLOWED.test(body) && (JSON.parse(body) as ReviewCase).input.note === note;
      }),
      { numRuns: 2000 },
    );
  });

  test('enqueueReviewCase sends the encoded body', async () => {
    const sqs = new SQSClient({ region: 'us-east-1' });
    const mock = mockClient(sqs);
    mock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
    await expect(enqueueReviewCase(sqs, 'https://sqs.us-east-1.amazonaws.com/123456789012/review', reviewCase('x\uFFFEy'))).resolves.toEqual({ ok: true, messageId: 'm-1' });
    const sent = mock.commandCalls(SendMessageCommand)[0]!.args[0].input.MessageBody!;
    expect(SQS_ALLOWED.test(sent)).toBe(true);
    expect(sent).toContain('x\\ufffey');
    mock.restore();
  });
});
