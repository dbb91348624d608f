/**
 * The inference gateway's log lines and EMF documents, scenario by scenario, against the golden
 * capture from before the Powertools change (see golden.ts). AWS is aws-sdk-client-mock; time is
 * Jest's fake clock, so latencies and timestamps are fixed.
 */
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/infer/index';
import { expectGolden, goldenRun } from './golden';
import type { GoldenRecord } from './golden';
import { useEnvironment } from '../../support/environment';

const sagemaker = mockClient(SageMakerRuntimeClient);
const dynamodb = mockClient(DynamoDBClient);
const sqs = mockClient(SQSClient);

const ENV: Record<string, string> = {
  ENDPOINT_NAME: 'fraud-primary',
  INVOKE_TIMEOUT_MS: '300',
  MAX_PAYLOAD_BYTES: '512',
  FALLBACK: JSON.stringify({ type: 'default', prediction: { label: 'review', score: 0.5 }, confidence: 0 }),
  BREAKER_TABLE: 'plinth-infer-breaker',
  BREAKER_FAILURE_THRESHOLD: '3',
  BREAKER_WINDOW_SECONDS: '60',
  BREAKER_OPEN_SECONDS: '30',
  CONFIDENCE_THRESHOLD: '0.8',
  HIGH_STAKES_LABELS: 'block',
  INPUT_SCHEMA: JSON.stringify({ features: [{ name: 'amount', type: 'number', required: true, min: 0, max: 100000 }] }),
  REVIEW_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/review',
  MODEL_NAME: 'fraud-xgb-v7',
  PLINTH_ENV: 'test',
};

function event(body: string | undefined, requestId: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'x-inference-id': `inf-${requestId}` },
    requestContext: { http: { method: 'POST', path: '/' }, requestId } as APIGatewayProxyEventV2['requestContext'],
    body,
    isBase64Encoded: false,
  } as APIGatewayProxyEventV2;
}

const answer = (label: string, confidence: number) => ({ Body: new TextEncoder().encode(JSON.stringify({ label, confidence })), InvokedProductionVariant: 'primary' }) as never;
const modelError = Object.assign(new Error('model container crashed'), { name: 'ModelError', $metadata: { httpStatusCode: 424 } });
const sqsDown = Object.assign(new Error('service unavailable'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } });

describe('inference gateway telemetry is what it was before Powertools', () => {
  useEnvironment(ENV);
  beforeEach(() => {
    jest.useFakeTimers({ now: Date.parse('2030-01-01T00:00:00.000Z'), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    for (const m of [sagemaker, dynamodb, sqs]) m.reset();
    dynamodb.on(GetItemCommand).resolves({});
    dynamodb.on(UpdateItemCommand).resolves({});
    dynamodb.on(PutItemCommand).resolves({});
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  const run = (requests: Array<[string | undefined, string]>): Promise<GoldenRecord[]> =>
    goldenRun(async () => {
      for (const [body, id] of requests) await handler(event(body, id));
    });

  it('writes the same log fields, metric names, dimensions and values in every scenario', async () => {
    // GIVEN the scenarios that write every kind of line: a confident answer, bad input, a review
    // case, a failed primary answered by the default fallback, a failed review enqueue, and a
    // misconfigured gateway
    const scenarios: Record<string, GoldenRecord[]> = {};
    sagemaker.on(InvokeEndpointCommand).resolves(answer('legit', 0.97));
    scenarios.confident = await run([['{"amount": 12}', 'r-confident']]);
    scenarios.badInput = await run([['{"amount": 12,', 'r-bad'], ['{"amount": -1}', 'r-min']]);

    sagemaker.on(InvokeEndpointCommand).resolves(answer('block', 0.99));
    scenarios.review = await run([['{"amount": 5000}', 'r-review']]);

    sagemaker.on(InvokeEndpointCommand).rejects(modelError);
    scenarios.primaryFailed = await run([['{"amount": 5}', 'r-fallback']]);

    sqs.on(SendMessageCommand).rejects(sqsDown);
    scenarios.enqueueFailed = await run([['{"amount": 6}', 'r-enqueue']]);

    delete process.env.INPUT_SCHEMA;
    try {
      scenarios.misconfigured = await run([['{"amount": 7}', 'r-config']]);
    } finally {
      process.env.INPUT_SCHEMA = ENV.INPUT_SCHEMA;
    }

    // THEN every scenario wrote exactly what it wrote before
    expect(scenarios.confident.length).toBeGreaterThan(0);
    expectGolden('infer', scenarios);
  });
});
