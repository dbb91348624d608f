/**
 * The review Lambdas' (intake, api, expiry) log lines and EMF documents, scenario by scenario,
 * against the golden capture from before the Powertools change (see golden.ts). DynamoDB and S3
 * are aws-sdk-client-mock; time is Jest's fake clock.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as reviewApi } from '../../../lambdas/review-api/index';
import { handler as expiry } from '../../../lambdas/review-expiry/index';
import { handler as intake } from '../../../lambdas/review-intake/index';
import { expectGolden, goldenRun } from './golden';
import type { GoldenRecord } from './golden';
import { useEnvironment } from '../../support/environment';

const ddb = mockClient(DynamoDBDocumentClient);
const s3 = mockClient(S3Client);

const T0 = '2031-03-01T09:00:00.000Z';
const ENV: Record<string, string> = {
  REVIEW_TABLE: 'plinth-review-cases',
  SLA_MINUTES: '60',
  CLAIM_LEASE_MINUTES: '30',
  ALLOWED_LABELS: 'fraud, legit',
  GROUND_TRUTH_BUCKET: 'plinth-ground-truth',
  GROUND_TRUTH_PREFIX: 'ground-truth/',
  PLINTH_ENV: 'test',
  REVIEW_MODELS: 'fraud-detector',
};

const CASE_ID = '11111111-2222-4333-8444-555555555555';
const message = (caseId: string, model = 'fraud-detector'): string =>
  JSON.stringify({
    caseId,
    model,
    endpoint: 'fraud-detector-dev',
    input: { amount: 912.5 },
    provisional: { prediction: { fraud: 0.42 }, label: 'legit', confidence: 0.42 },
    reason: 'low-confidence',
    createdAt: '2031-03-01T08:55:00.000Z',
  });
const record = (messageId: string, body: string): SQSRecord =>
  ({ messageId, receiptHandle: `rh-${messageId}`, body, attributes: { ApproximateReceiveCount: '1' }, messageAttributes: {}, eventSource: 'aws:sqs' }) as unknown as SQSRecord;

const item = (over: Record<string, unknown> = {}) => ({
  caseId: CASE_ID,
  model: 'fraud-detector',
  endpoint: 'fraud-detector-dev',
  input: '{"amount":912.5}',
  provisional: '{"confidence":0.42,"label":"legit","prediction":{"fraud":0.42}}',
  reason: 'low-confidence',
  status: 'pending',
  createdAt: '2031-03-01T08:55:00.000Z',
  slaDeadline: '2031-03-01T09:55:00.000Z',
  ...over,
});
const urlEvent = (body: unknown) => ({
  version: '2.0',
  requestContext: { authorizer: { iam: { userArn: 'arn:aws:sts::123456789012:assumed-role/Reviewer/carol' } }, http: { method: 'POST' } },
  body: JSON.stringify(body),
  isBase64Encoded: false,
});
const throttled = () => Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException', $metadata: { httpStatusCode: 400, requestId: 'ddb-req-1' } });

/** The review Lambdas' old describer also logged the failed call's AWS request id (see golden.ts). */
const REVIEW_DESCRIBER = { dropped: ['requestId'] };

const run = goldenRun;

describe('review Lambdas telemetry is what it was before Powertools', () => {
  useEnvironment(ENV);
  beforeEach(() => {
    jest.useFakeTimers({ now: Date.parse(T0), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    ddb.reset();
    s3.reset();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('review-intake writes the same log fields, metric names, dimensions and values', async () => {
    // GIVEN one new case, one malformed message, one duplicate delivery, one clash and one throttled write
    const scenarios: Record<string, GoldenRecord[]> = {};
    ddb.on(PutCommand).resolves({});
    scenarios.created = await run(() => intake({ Records: [record('m-1', message(CASE_ID))] } as SQSEvent));
    scenarios.malformed = await run(() => intake({ Records: [record('m-2', '{"caseId": 7}')] } as SQSEvent));
    ddb.on(PutCommand).rejects(new ConditionalCheckFailedException({ message: 'exists', $metadata: {} }));
    ddb.on(GetCommand).resolves({ Item: item({ status: 'claimed' }) });
    scenarios.duplicate = await run(() => intake({ Records: [record('m-3', message(CASE_ID))] } as SQSEvent));
    ddb.on(GetCommand).resolves({ Item: item({ model: 'other-model', status: 'labelled' }) });
    scenarios.clash = await run(() => intake({ Records: [record('m-4', message(CASE_ID))] } as SQSEvent));
    ddb.on(PutCommand).rejects(throttled());
    scenarios.throttled = await run(() => intake({ Records: [record('m-5', message(CASE_ID))] } as SQSEvent));
    delete process.env.SLA_MINUTES;
    try {
      scenarios.misconfigured = await run(() => intake({ Records: [record('m-6', message(CASE_ID))] } as SQSEvent));
    } finally {
      process.env.SLA_MINUTES = ENV.SLA_MINUTES;
    }
    // THEN each wrote what it wrote before
    expectGolden('review-intake', scenarios, REVIEW_DESCRIBER);
  });

  it('review-api writes the same log fields, metric names, dimensions and values', async () => {
    // GIVEN a claim, a submit, a failed ground-truth write, a refused caller and a bad request
    const scenarios: Record<string, GoldenRecord[]> = {};
    const claimed = item({ status: 'claimed', claimedBy: 'carol', claimedAt: T0, claimLeaseUntil: '2031-03-01T09:30:00.000Z' });
    const key = `ground-truth/fraud-detector/2031/03/01/${CASE_ID}.json`;
    ddb.on(UpdateCommand).resolves({ Attributes: claimed });
    scenarios.claim = await run(() => reviewApi(urlEvent({ action: 'claim', caseId: CASE_ID })));
    ddb.reset();
    ddb.on(GetCommand).resolves({ Item: claimed });
    ddb
      .on(UpdateCommand)
      .resolvesOnce({ Attributes: { ...claimed, groundTruthKey: key } })
      .resolves({ Attributes: { ...claimed, groundTruthKey: key, status: 'labelled', label: 'fraud', labelledBy: 'carol', labelledAt: T0 } });
    s3.on(PutObjectCommand).resolves({});
    scenarios.submit = await run(() => reviewApi(urlEvent({ action: 'submit', caseId: CASE_ID, label: 'fraud' })));
    ddb.reset();
    ddb.on(GetCommand).resolves({ Item: claimed });
    ddb.on(UpdateCommand).resolves({ Attributes: { ...claimed, groundTruthKey: key } });
    s3.on(PutObjectCommand).rejects(Object.assign(new Error('access denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403, requestId: 's3-req-1' } }));
    scenarios.groundTruthFailed = await run(() => reviewApi(urlEvent({ action: 'submit', caseId: CASE_ID, label: 'fraud' })));
    scenarios.refused = await run(() => reviewApi({ body: '{}' }));
    scenarios.badRequest = await run(() => reviewApi(urlEvent({ action: 'dance' })));
    // THEN each wrote what it wrote before
    expectGolden('review-api', scenarios, REVIEW_DESCRIBER);
  });

  it('review-expiry writes the same log fields, metric names, dimensions and values', async () => {
    // GIVEN one overdue pending case (expired by the run), one still pending, and a failed run
    const scenarios: Record<string, GoldenRecord[]> = {};
    const overdue = item({ caseId: 'aaaaaaaa-2222-4333-8444-555555555555', createdAt: '2031-03-01T07:00:00.000Z', slaDeadline: '2031-03-01T08:00:00.000Z' });
    ddb.on(QueryCommand).callsFake((input: { KeyConditionExpression: string; ExpressionAttributeValues: Record<string, unknown> }) => {
      const status = input.ExpressionAttributeValues[':status'];
      if (input.KeyConditionExpression.includes('createdAtLte')) return { Items: status === 'pending' ? [overdue] : [] };
      return { Items: status === 'pending' ? [overdue, item()] : [] };
    });
    ddb.on(UpdateCommand).resolves({ Attributes: { ...overdue, status: 'expired', expiredAt: T0 } });
    scenarios.run = await run(() => expiry(undefined, { getRemainingTimeInMillis: () => 60_000 }));
    ddb.on(QueryCommand).rejects(throttled());
    scenarios.failed = await run(() => expiry(undefined, { getRemainingTimeInMillis: () => 60_000 }));
    // THEN each wrote what it wrote before
    expectGolden('review-expiry', scenarios, REVIEW_DESCRIBER);
  });
});
