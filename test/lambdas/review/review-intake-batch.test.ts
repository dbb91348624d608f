/**
 * review-intake's batch handling on Powertools BatchProcessor: at most MESSAGE_CONCURRENCY
 * DynamoDB writes in flight, failures reported in batch order, and a batch in which every message
 * failed reported (not thrown). DynamoDB is aws-sdk-client-mock.
 */
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handler, MESSAGE_CONCURRENCY } from '../../../lambdas/review-intake/index';
import { captureOutputAsync } from '../../support/lambda-output';
import { useEnvironment } from '../../support/environment';

const ddb = mockClient(DynamoDBDocumentClient);
const ENV = { REVIEW_TABLE: 'cases', SLA_MINUTES: '60', PLINTH_ENV: 'test' };

const caseId = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const body = (i: number): string =>
  JSON.stringify({
    caseId: caseId(i),
    model: 'fraud-detector',
    endpoint: 'fraud-detector-dev',
    input: { amount: i },
    provisional: { prediction: { fraud: 0.4 }, label: 'legit', confidence: 0.4 },
    reason: 'low-confidence',
    createdAt: new Date(Date.now() - 60_000).toISOString(),
  });
const record = (i: number, text = body(i)): SQSRecord =>
  ({ messageId: `m-${i}`, receiptHandle: `rh-${i}`, body: text, attributes: { ApproximateReceiveCount: '1' }, messageAttributes: {} }) as unknown as SQSRecord;

describe('review-intake batch', () => {
  useEnvironment(ENV);
  beforeEach(() => ddb.reset());

  it(`keeps at most ${MESSAGE_CONCURRENCY} writes in flight and writes every message once`, async () => {
    // GIVEN 12 valid messages and a table whose writes take a few ticks
    let inFlight = 0;
    let peak = 0;
    ddb.on(PutCommand).callsFake(async () => {
      inFlight += 1;
      peak = Math.max(peak, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      return {};
    });
    // WHEN the batch is processed
    const { result } = await captureOutputAsync(() => handler({ Records: Array.from({ length: 12 }, (_, i) => record(i)) } as SQSEvent));
    // THEN nothing failed, every case was written once, never more than the limit at a time
    expect(result.batchItemFailures).toEqual([]);
    expect(ddb.commandCalls(PutCommand).map((c) => c.args[0].input.Item?.caseId).sort()).toEqual(Array.from({ length: 12 }, (_, i) => caseId(i)).sort());
    expect(peak).toBe(MESSAGE_CONCURRENCY);
  });

  it('reports failures in batch order, whatever order they failed in', async () => {
    // GIVEN message 0 fails late (a slow throttled write), message 2 fails at once (malformed)
    ddb.on(PutCommand).callsFake(async (input: { Item: { caseId: string } }) => {
      if (input.Item.caseId === caseId(0)) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        throw Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
      }
      return {};
    });
    // WHEN the batch is processed
    const { result } = await captureOutputAsync(() => handler({ Records: [record(0), record(1), record(2, '{"caseId":')] } as SQSEvent));
    // THEN both are reported, in the order of the batch
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }, { itemIdentifier: 'm-2' }]);
  });

  it('reports a batch in which every message failed instead of throwing', async () => {
    // GIVEN two malformed messages
    // WHEN the batch is processed
    const { result } = await captureOutputAsync(() => handler({ Records: [record(0, 'x'), record(1, '[]')] } as SQSEvent));
    // THEN both are batch item failures (Powertools would otherwise throw FullBatchFailureError)
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm-0' }, { itemIdentifier: 'm-1' }]);
  });
});
