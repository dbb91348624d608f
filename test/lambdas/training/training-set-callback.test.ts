import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/training-set-callback/index';
import { startCapture } from '../../support/lambda-output';
import { expectMatchesGolden } from '../../support/runtime-golden';

// GIVEN the message SageMaker Pipelines sends for a callback step
const message = (overrides: Record<string, unknown> = {}) => ({
  token: 'tok-123',
  pipelineExecutionArn: 'arn:aws:sagemaker:us-east-1:111111111111:pipeline/plinth-dev-fraud-detector-training/execution/abc123',
  status: 'Executing',
  arguments: {
    modelPackageGroupName: 'fraud-detector',
    name: 'fraud-detector',
    runId: 'abc123',
    windowEnd: '2031-03-01T09:00:00Z',
    windowMillis: '7776000000',
    validationMillis: '604800000',
    holdoutMillis: '604800000',
    labels: '{"table":"t"}',
    featureGroups: '["account-spend"]',
    noChampionUri: 's3://lake/training-pipelines/fraud-detector/no-champion/',
  },
  ...overrides,
});
const sqsEvent = (bodies: string[]): SQSEvent => ({ Records: bodies.map((body, i) => ({ messageId: `m${i}`, body }) as SQSEvent['Records'][number]) });

describe('training-set-callback', () => {
  const eb = mockClient(EventBridgeClient);
  let lines: string[];
  let capture: ReturnType<typeof startCapture>;
  beforeEach(() => {
    eb.reset();
    capture = startCapture();
    lines = capture.lines;
    process.env.EVENT_SOURCE = 'plinth.training';
    process.env.DETAIL_TYPE = 'Training Set Requested';
  });
  afterEach(() => {
    capture.stop();
    expectMatchesGolden('plinth-training-set-callback', lines);
    delete process.env.EVENT_SOURCE;
    delete process.env.DETAIL_TYPE;
  });

  it('puts one Training Set Requested event per callback, carrying the token and arguments', async () => {
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] });
    const result = await handler(sqsEvent([JSON.stringify(message())]));
    expect(result).toEqual({ batchItemFailures: [] });
    const entry = eb.commandCalls(PutEventsCommand)[0].args[0].input.Entries![0];
    expect(entry.Source).toBe('plinth.training');
    expect(entry.DetailType).toBe('Training Set Requested');
    expect(JSON.parse(entry.Detail!)).toMatchObject({ token: 'tok-123', arguments: { modelPackageGroupName: 'fraud-detector', runId: 'abc123' } });
  });

  it('leaves a malformed body and a refused entry for retry and the dead-letter queue, and handles the rest', async () => {
    eb.on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try later' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e2' }] });
    const bad = JSON.stringify(message({ token: '' }));
    const result = await handler(sqsEvent(['not json', bad, JSON.stringify(message()), JSON.stringify(message())]));
    // m0 not JSON, m1 no token, m2 refused by EventBridge, m3 delivered
    expect(result.batchItemFailures.map((f) => f.itemIdentifier)).toEqual(['m0', 'm1', 'm2']);
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(2);
    expect(lines.some((l) => l.includes('token is missing'))).toBe(true);
  });

  it('fails the whole invocation when its configuration is missing', async () => {
    delete process.env.DETAIL_TYPE;
    await expect(handler(sqsEvent([JSON.stringify(message())]))).rejects.toThrow(/DETAIL_TYPE/);
  });
});
