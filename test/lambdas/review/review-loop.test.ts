/**
 * Human review loop end to end: review-intake, review-api and review-expiry
 * with the real AWS SDK v3 clients pointed at a private moto_server
 * (SQS with a DLQ redrive policy, DynamoDB with the `status-createdAt` GSI, S3).
 *
 * Time is Jest's fake Date (timers stay real: the SDK talks to moto) so the SLA and claim leases
 * pass instantly. The Lambdas' module-scope clients are routed to moto clients built here
 * (test/support/sdk-clients.ts); their output is read where it is written, stdout and stderr.
 *
 * moto_server answers requests in parallel threads without per-item locking,
 * so two simultaneous conditional writes on one item are not guaranteed to be
 * atomic there (DynamoDB serialises writes to an item). The race tests
 * therefore install `serialiseUpdates` on the DynamoDB client: UpdateItem
 * requests reach moto one at a time, like DynamoDB applies them, and an
 * optional barrier holds them until every racer has done its reads first (the
 * worst interleaving). What is under test is the Lambda's condition logic.
 */

import { randomUUID } from 'node:crypto';
import {
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describeWithMoto, motoClientConfig, MOTO_REGION } from '../../support/moto';
import { handler as intake } from '../../../lambdas/review-intake/index';
import { handler as reviewApi, s3 as reviewApiS3 } from '../../../lambdas/review-api/index';
import type { ApiResponse } from '../../../lambdas/review-api/index';

/** A function URL request (payload 2.0) as Lambda delivers it after SigV4 (IAM auth). */
function urlEvent(body: unknown, userArn?: string): Record<string, unknown> {
  return {
    version: '2.0',
    rawPath: '/',
    requestContext: { http: { method: 'POST' }, ...(userArn ? { authorizer: { iam: { userArn, accountId: '123456789012' } } } : {}) },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}

/** The reviewers' tool: `reviewer` is the IAM identity signing the request (a reviewer-role session), not a body field. */
function api(request: Record<string, unknown>): Promise<ApiResponse> {
  const { reviewer, ...body } = request;
  const arn = reviewer === undefined ? 'arn:aws:sts::123456789012:assumed-role/Reviewer/carol' : `arn:aws:sts::123456789012:assumed-role/Reviewer/${String(reviewer)}`;
  return reviewApi(urlEvent(body, arn));
}
import { handler as expiry } from '../../../lambdas/review-expiry/index';
import { ddb as reviewDdb, reviewDocumentClient } from '../../../lambdas/shared-review/clients';
import { fakeDate, routeTo } from '../../support/sdk-clients';
import type { ReviewCase } from '../../../lambdas/shared-review/case';

const TABLE = 'plinth-review-cases';
const BUCKET = 'plinth-ground-truth';
const SLA_MINUTES = 60;
const LEASE_MINUTES = 30;
/** 2031-03-01T09:00:00Z: the injected "now" at the start of every test. */
const T0 = Date.parse('2031-03-01T09:00:00.000Z');
const MIN = 60_000;

const ENV: Record<string, string> = {
  REVIEW_TABLE: TABLE,
  SLA_MINUTES: String(SLA_MINUTES),
  CLAIM_LEASE_MINUTES: String(LEASE_MINUTES),
  ALLOWED_LABELS: 'fraud, legit',
  GROUND_TRUTH_BUCKET: BUCKET,
  GROUND_TRUTH_PREFIX: 'ground-truth/',
  PLINTH_ENV: 'test',
};

interface Emf {
  Model: string;
  [metric: string]: unknown;
}

describeWithMoto('human review loop (moto: SQS + DynamoDB GSI + S3)', (moto) => {
  let ddb: DynamoDBClient;
  let s3: S3Client;
  let sqs: SQSClient;
  let queueUrl: string;
  let queueArn: string;
  let dlqUrl: string;
  let clockMs = T0;
  let lines: string[] = [];
  const savedEnv: Record<string, string | undefined> = {};

  const setNow = (ms: number): void => {
    clockMs = ms;
    jest.setSystemTime(ms);
  };
  const routes: Array<{ restore(): void }> = [];
  const writeSpies: jest.SpyInstance[] = [];

  function emf(metric: string): Emf[] {
    return lines
      .filter((l) => l.includes('"_aws"'))
      .map((l) => JSON.parse(l) as Emf & { _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] } })
      .filter((d) => d._aws.CloudWatchMetrics.some((m) => m.Namespace === 'Plinth/Review' && m.Metrics.some((x) => x.Name === metric)));
  }

  function metricSum(metric: string, model?: string): number {
    return emf(metric)
      .filter((d) => model === undefined || d.Model === model)
      .reduce((sum, d) => sum + (d[metric] as number), 0);
  }

  function body(overrides: Record<string, unknown> = {}): string {
    return JSON.stringify({
      caseId: randomUUID(),
      model: 'fraud-detector',
      endpoint: 'fraud-detector-dev',
      input: { amount: 912.5, country: 'FR', cardAgeDays: 3, merchant: { mcc: '5732', risk: 0.7 } },
      provisional: { prediction: { fraud: 0.42, legit: 0.58 }, label: 'legit', confidence: 0.42 },
      reason: 'low-confidence',
      createdAt: new Date(clockMs - 5 * MIN).toISOString(),
      ...overrides,
    });
  }

  function sqsRecord(messageId: string, receiptHandle: string, msgBody: string, receiveCount: string): SQSRecord {
    return {
      messageId,
      receiptHandle,
      body: msgBody,
      attributes: {
        ApproximateReceiveCount: receiveCount,
        SentTimestamp: String(Date.now()),
        SenderId: 'gateway',
        ApproximateFirstReceiveTimestamp: String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: MOTO_REGION,
    };
  }

  /**
   * What the Lambda event source mapping does: receive batches, invoke the
   * handler, delete the messages that succeeded; failed ones become visible
   * again (immediately here) and after maxReceiveCount SQS moves them to the DLQ.
   */
  async function drainQueue(): Promise<{ failures: string[]; records: SQSRecord[] }> {
    const failures: string[] = [];
    const records: SQSRecord[] = [];
    for (let round = 0; round < 30; round++) {
      const out = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ['All'] }),
      );
      const msgs = out.Messages ?? [];
      if (msgs.length === 0) return { failures, records };
      const batch = msgs.map((m) =>
        sqsRecord(m.MessageId!, m.ReceiptHandle!, m.Body!, m.Attributes?.ApproximateReceiveCount ?? '1'),
      );
      records.push(...batch);
      const res = await intake({ Records: batch } as SQSEvent);
      const failed = new Set(res.batchItemFailures.map((f) => f.itemIdentifier));
      for (const r of batch) {
        if (failed.has(r.messageId)) {
          failures.push(r.body);
          await sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: r.receiptHandle, VisibilityTimeout: 0 }));
        } else {
          await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: r.receiptHandle }));
        }
      }
    }
    throw new Error('queue did not drain');
  }

  async function dlqBodies(): Promise<string[]> {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlqUrl, MaxNumberOfMessages: 10 }));
    return (out.Messages ?? []).map((m) => m.Body!);
  }

  async function scanCases(): Promise<{ caseId: string; status: string }[]> {
    const out = await ddb.send(new ScanCommand({ TableName: TABLE, ConsistentRead: true }));
    return (out.Items ?? []).map((i) => ({ caseId: i.caseId!.S!, status: i.status!.S! }));
  }

  async function s3Keys(): Promise<string[]> {
    const out = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }));
    return (out.Contents ?? []).map((o) => o.Key!).sort();
  }

  async function s3Json(key: string): Promise<Record<string, unknown>> {
    const out = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    return JSON.parse(await out.Body!.transformToString()) as Record<string, unknown>;
  }

  function okCase(res: ApiResponse): ReviewCase {
    if (!res.ok) throw new Error(`expected ok, got ${res.code}: ${res.error}`);
    return res.case;
  }

  /** Enqueue through the real queue and intake; returns the caseIds. */
  async function enqueue(bodies: string[]): Promise<string[]> {
    for (const b of bodies) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: b }));
    const { failures } = await drainQueue();
    expect(failures).toEqual([]);
    return bodies.map((b) => (JSON.parse(b) as { caseId: string }).caseId);
  }

  /**
   * Make UpdateItem requests reach moto one at a time (DynamoDB's per-item
   * write serialisation); with `barrier` = n, the first n UpdateItems wait until
   * all n have been issued (every racer has already read).
   */
  function serialiseUpdates(client: DynamoDBClient, barrier = 0): { updates: number; releasedByTimeout: boolean } {
    const stats = { updates: 0, releasedByTimeout: false };
    let chain: Promise<unknown> = Promise.resolve();
    let waiting: (() => void)[] = [];
    let remaining = barrier;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'UpdateItemCommand') return next(args);
        stats.updates++;
        if (remaining > 0) {
          await new Promise<void>((resolve) => {
            let released = false;
            const release = (): void => {
              released = true;
              clearTimeout(timer);
              resolve();
            };
            // never hang a test on a broken expectation: release after 5 s (and say so)
            const timer = setTimeout(() => {
              if (!released) stats.releasedByTimeout = true;
              release();
            }, 5000);
            waiting.push(release);
            remaining--;
            if (remaining === 0) {
              for (const w of waiting) w();
              waiting = [];
            }
          });
        }
        const run = chain.then(() => next(args));
        chain = run.catch(() => undefined);
        return run;
      },
      { step: 'initialize', name: 'serialiseUpdates' },
    );
    return stats;
  }

  beforeAll(() => {
    for (const [k, v] of Object.entries(ENV)) {
      savedEnv[k] = process.env[k];
      process.env[k] = v;
    }
    savedEnv.REVIEW_MODELS = process.env.REVIEW_MODELS;
    delete process.env.REVIEW_MODELS;
    fakeDate(clockMs);
    const grab = (chunk: unknown): boolean => {
      lines.push(...String(chunk).split('\n').filter((l) => l.length > 0));
      return true;
    };
    writeSpies.push(jest.spyOn(process.stdout, 'write').mockImplementation(grab as never));
    writeSpies.push(jest.spyOn(process.stderr, 'write').mockImplementation(grab as never));
  });

  afterAll(() => {
    for (const [k, v] of Object.entries(savedEnv)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    jest.useRealTimers();
    for (const spy of writeSpies) spy.mockRestore();
  });

  afterEach(() => {
    for (const route of routes.splice(0)) route.restore();
  });

  beforeEach(async () => {
    await moto.server.reset();
    const cfg = motoClientConfig(moto.endpoint);
    ddb = new DynamoDBClient({ ...cfg, maxAttempts: 3 });
    s3 = new S3Client({ ...cfg, maxAttempts: 3 });
    sqs = new SQSClient(cfg);
    routes.push(routeTo(reviewDdb, reviewDocumentClient(ddb)), routeTo(reviewApiS3, s3));
    setNow(T0);
    lines = [];
    delete process.env.REVIEW_MODELS;

    await ddb.send(
      new CreateTableCommand({
        TableName: TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'caseId', AttributeType: 'S' },
          { AttributeName: 'status', AttributeType: 'S' },
          { AttributeName: 'createdAt', AttributeType: 'S' },
        ],
        KeySchema: [{ AttributeName: 'caseId', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'status-createdAt',
            KeySchema: [
              { AttributeName: 'status', KeyType: 'HASH' },
              { AttributeName: 'createdAt', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'review-cases-dlq', Attributes: { SqsManagedSseEnabled: 'true' } }));
    dlqUrl = dlq.QueueUrl!;
    const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))).Attributes!
      .QueueArn!;
    const q = await sqs.send(
      new CreateQueueCommand({
        QueueName: 'review-cases',
        Attributes: {
          SqsManagedSseEnabled: 'true',
          VisibilityTimeout: '60',
          RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
        },
      }),
    );
    queueUrl = q.QueueUrl!;
    queueArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!
      .QueueArn!;
  });

  describe('no case is lost', () => {
    it('every enqueued case ends labelled or expired exactly once, with ground truth for each label', async () => {
      // GIVEN 10 valid cases on the queue, 3 of them sent twice by the gateway (retries),
      const cases = Array.from({ length: 10 }, (_, i) =>
        body({ createdAt: new Date(T0 - (30 - i) * MIN).toISOString(), model: i % 3 === 0 ? 'churn-model' : 'fraud-detector' }),
      );
      const ids = cases.map((c) => (JSON.parse(c) as { caseId: string }).caseId);
      // AND one message that is not JSON and one with an unknown reason
      const notJson = '{"caseId": "truncated';
      const badReason = body({ reason: 'because' });
      for (const b of [...cases, cases[1]!, cases[4]!, cases[7]!, notJson, badReason]) {
        await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: b }));
      }

      // WHEN review-intake consumes the queue like the event source mapping does
      const first = await drainQueue();

      // THEN only the two malformed messages failed (once per delivery) and both ended in the DLQ
      expect([...new Set(first.failures)].sort()).toEqual([notJson, badReason].sort());
      expect((await dlqBodies()).sort()).toEqual([notJson, badReason].sort());
      // AND each valid case exists once, pending, with slaDeadline = createdAt + SLA
      const afterIntake = await scanCases();
      expect(afterIntake.map((c) => c.caseId).sort()).toEqual([...ids].sort());
      expect(afterIntake.every((c) => c.status === 'pending')).toBe(true);
      const c0 = okCase(await api({ action: 'get', caseId: ids[0] }));
      expect(c0.slaDeadline).toBe(new Date(T0 - 30 * MIN + SLA_MINUTES * MIN).toISOString());
      expect(c0.input).toEqual(JSON.parse(cases[0]!).input);
      // AND CasesEnqueued counted new cases only, per model
      expect(metricSum('CasesEnqueued')).toBe(10);
      expect(metricSum('CasesEnqueued', 'churn-model')).toBe(4);

      // WHEN alice claims and labels the 3 oldest cases, bob claims 2 and abandons them
      setNow(T0 + 1 * MIN);
      const labelled: string[] = [];
      for (let i = 0; i < 3; i++) {
        const claimed = okCase(await api({ action: 'claim', reviewer: 'alice' }));
        okCase(await api({ action: 'submit', reviewer: 'alice', caseId: claimed.caseId, label: i === 0 ? 'fraud' : 'legit' }));
        labelled.push(claimed.caseId);
      }
      const bobs = [okCase(await api({ action: 'claim', reviewer: 'bob' })), okCase(await api({ action: 'claim', reviewer: 'bob' }))];
      // THEN claim-next served the cases oldest first
      expect(labelled).toEqual(ids.slice(0, 3));
      expect(bobs.map((c) => c.caseId)).toEqual(ids.slice(3, 5));

      // WHEN a labelled case's message is delivered again (e.g. the Lambda timed out before the delete)
      const redelivery = first.records.find((r) => r.body === cases[0])!;
      const redo = await intake({ Records: [redelivery] } as SQSEvent);
      // THEN it is acknowledged and does not reset the case
      expect(redo.batchItemFailures).toEqual([]);
      expect(okCase(await api({ action: 'get', caseId: ids[0] })).status).toBe('labelled');

      // WHEN the clock passes every SLA and the expiry job runs
      setNow(T0 + 2 * SLA_MINUTES * MIN);
      const summary = await expiry({}, { getRemainingTimeInMillis: () => 60_000 });

      // THEN every enqueued case is labelled or expired, exactly once
      const final = await scanCases();
      expect(final).toHaveLength(10);
      expect(final.map((c) => c.caseId).sort()).toEqual([...ids].sort());
      const byStatus = (s: string): string[] => final.filter((c) => c.status === s).map((c) => c.caseId).sort();
      expect(byStatus('labelled')).toEqual([...labelled].sort());
      expect(byStatus('expired')).toEqual(ids.filter((id) => !labelled.includes(id)).sort());
      expect(summary).toMatchObject({ expired: 7, pending: 0, oldestPendingAgeSeconds: 0, truncated: false });
      expect(metricSum('CasesExpired', '_all')).toBe(7);
      // AND there is exactly one ground-truth object per labelled case, with the contract fields
      const keys = await s3Keys();
      expect(keys).toEqual(
        labelled.map((id) => `ground-truth/${ids.indexOf(id) % 3 === 0 ? 'churn-model' : 'fraud-detector'}/labelled_date=2031-03-01/${id}.json`).sort(),
      );
      const gt = await s3Json(keys.find((k) => k.endsWith(`${ids[0]}.json`))!);
      expect(gt).toEqual({
        caseId: ids[0],
        model: 'churn-model',
        endpoint: 'fraud-detector-dev',
        input: JSON.parse(cases[0]!).input,
        provisional: JSON.parse(cases[0]!).provisional,
        label: 'fraud',
        labelledBy: 'alice',
        labelledAt: new Date(T0 + 1 * MIN).toISOString(),
        reason: 'low-confidence',
        predictedAt: new Date(T0 - 30 * MIN).toISOString(),
      });

      // WHEN the expiry job runs again
      const again = await expiry({});
      // THEN nothing changes: terminal states are final
      expect(again.expired).toBe(0);
      expect(await scanCases()).toEqual(expect.arrayContaining(final));
    });

    it('keeps the inference id and variant from the queue message to the ground-truth object', async () => {
      // GIVEN a case the gateway enqueued with its inference id and answering variant
      const [id] = await enqueue([body({ inferenceId: 'txn-2031:77', variant: 'challenger' })]);
      // WHEN a reviewer claims and labels it
      okCase(await api({ action: 'claim', reviewer: 'alice', caseId: id }));
      okCase(await api({ action: 'submit', reviewer: 'alice', caseId: id, label: 'fraud' }));
      // THEN the ground truth carries the join key, the variant and when the prediction was made
      const key = (await s3Keys()).find((k) => k.endsWith(`${id}.json`))!;
      expect(await s3Json(key)).toMatchObject({ inferenceId: 'txn-2031:77', variant: 'challenger', label: 'fraud', predictedAt: expect.any(String) });
    });

    it.each([
      ['a malformed inference id', { inferenceId: "txn'1 OR 1=1" }],
      ['a non-string inference id', { inferenceId: 42 }],
      ['a malformed variant', { variant: 'bad variant!' }],
    ])('refuses a case with %s (batch failure, to the DLQ)', async (_name, override) => {
      // GIVEN a message whose join fields are malformed
      const bad = body(override);
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: bad }));
      // WHEN review-intake consumes it
      const { failures } = await drainQueue();
      // THEN it fails instead of storing an unjoinable or unsafe id
      expect(failures).toContain(bad);
    });

    it('reports a reused caseId with different content as a batch failure instead of overwriting', async () => {
      // GIVEN a case already enqueued and claimed
      const [id] = await enqueue([body()]);
      okCase(await api({ action: 'claim', reviewer: 'alice', caseId: id }));
      // WHEN a different case arrives with the same caseId
      const clash = sqsRecord('m-clash', 'rh', body({ caseId: id, model: 'churn-model' }), '1');
      const res = await intake({ Records: [clash] } as SQSEvent);
      // THEN the message fails (it will reach the DLQ) and the stored case is untouched
      expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'm-clash' }]);
      const stored = okCase(await api({ action: 'get', caseId: id }));
      expect(stored).toMatchObject({ model: 'fraud-detector', status: 'claimed', claimedBy: 'alice' });
    });

    it('fails the whole batch (nothing acknowledged) when SLA_MINUTES is missing', async () => {
      // GIVEN the Lambda is misconfigured
      const saved = process.env.SLA_MINUTES;
      delete process.env.SLA_MINUTES;
      try {
        // WHEN a valid message arrives
        const res = await intake({ Records: [sqsRecord('m1', 'rh', body(), '1')] } as SQSEvent);
        // THEN it is reported as failed and nothing was written
        expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }]);
        expect(await scanCases()).toEqual([]);
      } finally {
        process.env.SLA_MINUTES = saved;
      }
    });
  });

  describe('claims and submits', () => {
    it('two reviewers claiming the same case: exactly one wins, the other gets conflict', async () => {
      // GIVEN one pending case, and UpdateItems applied one at a time as DynamoDB does
      const [id] = await enqueue([body()]);
      const gate = serialiseUpdates(ddb);
      // WHEN alice and bob claim it at the same time
      const [a, b] = await Promise.all([
        api({ action: 'claim', reviewer: 'alice', caseId: id }),
        api({ action: 'claim', reviewer: 'bob', caseId: id }),
      ]);
      // THEN one is ok and the other is a conflict, and the item names the winner
      const results = [a, b];
      expect(results.filter((r) => r.ok)).toHaveLength(1);
      const loser = results.find((r) => !r.ok)!;
      expect(loser).toMatchObject({ ok: false, code: 'conflict' });
      expect(gate.updates).toBe(2);
      const winner = a.ok ? 'alice' : 'bob';
      expect(okCase(await api({ action: 'get', caseId: id }))).toMatchObject({ status: 'claimed', claimedBy: winner });
      expect(metricSum('CasesClaimed')).toBe(1);
    });

    it('claim-next race on the only pending case: both pick it, one wins, the other gets conflict', async () => {
      // GIVEN one pending case, and both claims held until both reviewers have queried the GSI
      const [id] = await enqueue([body()]);
      const gate = serialiseUpdates(ddb, 2);
      // WHEN alice and bob ask for the next case at the same time
      const results = await Promise.all([api({ action: 'claim', reviewer: 'alice' }), api({ action: 'claim', reviewer: 'bob' })]);
      // THEN exactly one got the case and the other a conflict (not a second case, not an error)
      expect(results.filter((r) => r.ok).map((r) => okCase(r).caseId)).toEqual([id]);
      expect(results.find((r) => !r.ok)).toMatchObject({ ok: false, code: 'conflict' });
      // AND both really tried the same case after both had read the index (the barrier released them, not the timeout)
      expect(gate).toEqual({ updates: 2, releasedByTimeout: false });
    });

    it('claim-next answers not-found when nothing is waiting', async () => {
      // GIVEN an empty table
      // WHEN a reviewer asks for the next case
      const res = await api({ action: 'claim', reviewer: 'alice' });
      // THEN not-found
      expect(res).toMatchObject({ ok: false, code: 'not-found' });
    });

    it('an abandoned claim can be taken over after the lease, and the old holder can no longer submit', async () => {
      // GIVEN alice claimed a case at T0
      const [id] = await enqueue([body()]);
      const claimed = okCase(await api({ action: 'claim', reviewer: 'alice', caseId: id }));
      expect(claimed.claimLeaseUntil).toBe(new Date(T0 + LEASE_MINUTES * MIN).toISOString());
      // WHEN bob tries to take it while the lease runs
      setNow(T0 + (LEASE_MINUTES - 1) * MIN);
      const early = await api({ action: 'claim', reviewer: 'bob', caseId: id });
      // THEN conflict
      expect(early).toMatchObject({ ok: false, code: 'conflict' });
      // WHEN the lease has lapsed and bob asks for the next case (no caseId)
      setNow(T0 + (LEASE_MINUTES + 1) * MIN);
      const takeover = okCase(await api({ action: 'claim', reviewer: 'bob' }));
      // THEN bob gets the abandoned case with a fresh lease
      expect(takeover).toMatchObject({ caseId: id, status: 'claimed', claimedBy: 'bob' });
      expect(takeover.claimLeaseUntil).toBe(new Date(T0 + (2 * LEASE_MINUTES + 1) * MIN).toISOString());
      // AND alice (no longer the holder) cannot submit
      const late = await api({ action: 'submit', reviewer: 'alice', caseId: id, label: 'fraud' });
      expect(late).toMatchObject({ ok: false, code: 'conflict' });
      // AND bob can
      expect(okCase(await api({ action: 'submit', reviewer: 'bob', caseId: id, label: 'legit' }))).toMatchObject({
        status: 'labelled',
        label: 'legit',
        labelledBy: 'bob',
      });
      expect(await s3Keys()).toHaveLength(1);
    });

    it('a retried claim by the holder renews the lease instead of failing', async () => {
      // GIVEN alice holds a claim
      const [id] = await enqueue([body()]);
      okCase(await api({ action: 'claim', reviewer: 'alice', caseId: id }));
      // WHEN she claims it again 10 minutes later (e.g. the first answer was lost)
      setNow(T0 + 10 * MIN);
      const again = okCase(await api({ action: 'claim', reviewer: 'alice', caseId: id }));
      // THEN she keeps it with a lease counted from now
      expect(again.claimLeaseUntil).toBe(new Date(T0 + (10 + LEASE_MINUTES) * MIN).toISOString());
    });

    it('submit by a non-holder, on an unclaimed case, or with a disallowed label is refused and changes nothing', async () => {
      // GIVEN a case claimed by alice and one nobody claimed
      const [id, unclaimed] = await enqueue([body(), body()]);
      okCase(await api({ action: 'claim', reviewer: 'alice', caseId: id }));
      // WHEN bob submits alice's case
      const byBob = await api({ action: 'submit', reviewer: 'bob', caseId: id, label: 'fraud' });
      // AND alice submits a label that is not in ALLOWED_LABELS
      const badLabel = await api({ action: 'submit', reviewer: 'alice', caseId: id, label: 'maybe' });
      // AND alice submits a case she never claimed, and one that does not exist
      const notClaimed = await api({ action: 'submit', reviewer: 'alice', caseId: unclaimed, label: 'fraud' });
      const missing = await api({ action: 'submit', reviewer: 'alice', caseId: randomUUID(), label: 'fraud' });
      // THEN conflict, bad-request, conflict, not-found
      expect(byBob).toMatchObject({ ok: false, code: 'conflict' });
      expect(badLabel).toMatchObject({ ok: false, code: 'bad-request' });
      expect(notClaimed).toMatchObject({ ok: false, code: 'conflict' });
      expect(missing).toMatchObject({ ok: false, code: 'not-found' });
      // AND the case is still claimed by alice, with no ground truth written
      expect(okCase(await api({ action: 'get', caseId: id }))).toMatchObject({ status: 'claimed', claimedBy: 'alice' });
      expect(okCase(await api({ action: 'get', caseId: unclaimed })).status).toBe('pending');
      expect(await s3Keys()).toEqual([]);
      expect(metricSum('CasesLabelled')).toBe(0);
    });

    it('rejects malformed requests with bad-request and unknown cases with not-found', async () => {
      // GIVEN requests missing fields or with bad values
      const bad = [
        {},
        { action: 'delete', caseId: randomUUID() },
        { action: 'claim', caseId: 42 },
        { action: 'claim', reviewer: 'alice', caseId: 'not-a-uuid' },
        { action: 'submit', reviewer: 'alice', caseId: randomUUID() },
        { action: 'submit', reviewer: 'alice', caseId: randomUUID(), label: 'fraud', notes: 42 },
        { action: 'get' },
      ];
      // WHEN they are sent
      const results = await Promise.all(bad.map((r) => api(r)));
      // THEN each is a bad-request
      for (const r of results) expect(r).toMatchObject({ ok: false, code: 'bad-request' });
      // AND getting an unknown case is not-found
      expect(await api({ action: 'get', caseId: randomUUID() })).toMatchObject({ ok: false, code: 'not-found' });
    });

    it('S3 failure on submit: the case stays claimed, and a retry (even the next day) writes one object and labels it', async () => {
      // GIVEN alice holds a claim at 23:59 UTC and S3 fails the next PutObject
      setNow(Date.parse('2031-03-01T23:40:00.000Z'));
      const [id] = await enqueue([body()]);
      okCase(await api({ action: 'claim', reviewer: 'alice', caseId: id }));
      setNow(Date.parse('2031-03-01T23:59:00.000Z'));
      let s3Failures = 1;
      s3.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === 'PutObjectCommand' && s3Failures > 0) {
            s3Failures--;
            throw Object.assign(new Error('We encountered an internal error. Please try again.'), { name: 'InternalError' });
          }
          return next(args);
        },
        { step: 'initialize', name: 'injectS3Failure' },
      );
      // WHEN she submits
      await expect(api({ action: 'submit', reviewer: 'alice', caseId: id, label: 'fraud', notes: 'card testing' })).rejects.toThrow(
        /internal error/,
      );
      // THEN the case is still claimed by her, unlabelled, and no object exists
      expect(okCase(await api({ action: 'get', caseId: id }))).toMatchObject({ status: 'claimed', claimedBy: 'alice' });
      expect(okCase(await api({ action: 'get', caseId: id })).label).toBeUndefined();
      expect(await s3Keys()).toEqual([]);

      // WHEN she retries after midnight
      setNow(Date.parse('2031-03-02T00:01:00.000Z'));
      const done = okCase(await api({ action: 'submit', reviewer: 'alice', caseId: id, label: 'fraud', notes: 'card testing' }));
      // THEN the case is labelled and exactly one object exists, under the key fixed by the first attempt
      const key = `ground-truth/fraud-detector/labelled_date=2031-03-01/${id}.json`;
      expect(done).toMatchObject({ status: 'labelled', label: 'fraud', labelledBy: 'alice', groundTruthKey: key, notes: 'card testing' });
      expect(await s3Keys()).toEqual([key]);
      expect(await s3Json(key)).toMatchObject({ caseId: id, label: 'fraud', labelledBy: 'alice', notes: 'card testing' });
      expect(metricSum('CasesLabelled', 'fraud-detector')).toBe(1);

      // WHEN the tool retries the same submit once more (lost answer)
      const retried = await api({ action: 'submit', reviewer: 'alice', caseId: id, label: 'fraud' });
      // THEN it is ok and nothing is counted twice; a different label is a conflict
      expect(okCase(retried).status).toBe('labelled');
      expect(metricSum('CasesLabelled')).toBe(1);
      expect(await api({ action: 'submit', reviewer: 'alice', caseId: id, label: 'legit' })).toMatchObject({ code: 'conflict' });
    });

    /** Run `hook` once, while the Lambda's next PutObject is in flight (after the ground truth is written). */
    function duringNextPut(hook: () => Promise<void>): void {
      let armed = true;
      s3.middlewareStack.add(
        (next, context) => async (args) => {
          const out = await next(args);
          if (context.commandName === 'PutObjectCommand' && armed) {
            armed = false;
            await hook();
          }
          return out;
        },
        { step: 'initialize', name: 'duringNextPut' },
      );
    }

    it('submit racing with a lease takeover: the old holder gets conflict, the new holder labels, one object', async () => {
      // GIVEN alice's lease lapsed and she submits just as bob takes the case over
      const [id] = await enqueue([body()]);
      okCase(await api({ action: 'claim', reviewer: 'alice', caseId: id }));
      setNow(T0 + (LEASE_MINUTES + 1) * MIN);
      let takeover: ApiResponse | undefined;
      duringNextPut(async () => {
        takeover = await api({ action: 'claim', reviewer: 'bob', caseId: id });
      });
      // WHEN alice's submit finishes after bob's takeover
      const alice = await api({ action: 'submit', reviewer: 'alice', caseId: id, label: 'fraud' });
      // THEN bob holds the case and alice's label is not recorded on it
      expect(okCase(takeover!).claimedBy).toBe('bob');
      expect(alice).toMatchObject({ ok: false, code: 'conflict' });
      expect(okCase(await api({ action: 'get', caseId: id }))).toMatchObject({ status: 'claimed', claimedBy: 'bob' });
      expect(metricSum('CasesLabelled')).toBe(0);
      // WHEN bob submits
      const bob = okCase(await api({ action: 'submit', reviewer: 'bob', caseId: id, label: 'legit' }));
      // THEN the case is labelled by bob and the single ground-truth object carries bob's label
      expect(bob).toMatchObject({ status: 'labelled', label: 'legit', labelledBy: 'bob' });
      const keys = await s3Keys();
      expect(keys).toEqual([bob.groundTruthKey]);
      expect(await s3Json(keys[0]!)).toMatchObject({ label: 'legit', labelledBy: 'bob' });
    });

    it('a case expired by the expiry job between the S3 write and the label update: ground truth kept, code expired', async () => {
      // GIVEN alice holds a case whose SLA passes while her submit is writing the ground truth
      const [id] = await enqueue([body()]);
      okCase(await api({ action: 'claim', reviewer: 'alice', caseId: id }));
      setNow(T0 + SLA_MINUTES * MIN);
      let expiredByJob = 0;
      duringNextPut(async () => {
        expiredByJob = (await expiry({})).expired;
      });
      // WHEN the submit completes
      const res = await api({ action: 'submit', reviewer: 'alice', caseId: id, label: 'fraud' });
      // THEN the job expired it, the answer is expired, and the ground truth and label are kept on the expired case
      expect(expiredByJob).toBe(1);
      expect(res).toMatchObject({ ok: false, code: 'expired' });
      const stored = okCase(await api({ action: 'get', caseId: id }));
      expect(stored).toMatchObject({ status: 'expired', label: 'fraud', labelledBy: 'alice' });
      expect(await s3Keys()).toEqual([stored.groundTruthKey]);
      expect(await s3Json(stored.groundTruthKey!)).toMatchObject({ caseId: id, label: 'fraud' });
    });

    it('a case that expires while claimed: submit keeps the ground truth and answers expired', async () => {
      // GIVEN alice claimed a case and the SLA passed, so the expiry job expired it
      const [id] = await enqueue([body()]);
      okCase(await api({ action: 'claim', reviewer: 'alice', caseId: id }));
      setNow(T0 + SLA_MINUTES * MIN);
      expect((await expiry({})).expired).toBe(1);
      // WHEN alice submits her label
      const res = await api({ action: 'submit', reviewer: 'alice', caseId: id, label: 'fraud' });
      // THEN the answer is expired, the case stays expired with the label recorded, and the ground truth is kept
      expect(res).toMatchObject({ ok: false, code: 'expired' });
      const stored = okCase(await api({ action: 'get', caseId: id }));
      expect(stored).toMatchObject({ status: 'expired', label: 'fraud', labelledBy: 'alice' });
      expect(await s3Keys()).toEqual([stored.groundTruthKey]);
      expect(metricSum('CasesLabelled')).toBe(0);
      // AND bob, who never held it, gets expired with nothing written
      const bob = await api({ action: 'claim', reviewer: 'bob', caseId: id });
      expect(bob).toMatchObject({ ok: false, code: 'expired' });
    });
  });

  describe('expiry', () => {
    it('emits CasesExpired, PendingCases and OldestPendingAgeSeconds as 0 when there are no cases', async () => {
      // GIVEN an empty table and one configured model
      process.env.REVIEW_MODELS = 'fraud-detector';
      // WHEN the expiry job runs
      const summary = await expiry({});
      // THEN every gauge is emitted with 0, for the aggregate and the configured model
      expect(summary).toEqual({ expired: 0, skipped: 0, pending: 0, oldestPendingAgeSeconds: 0, truncated: false });
      for (const model of ['_all', 'fraud-detector']) {
        const docs = emf('CasesExpired').filter((d) => d.Model === model);
        expect(docs).toHaveLength(1);
        expect(docs[0]).toMatchObject({ CasesExpired: 0, PendingCases: 0, OldestPendingAgeSeconds: 0, Environment: 'test' });
      }
      const doc = JSON.parse(lines.find((l) => l.includes('"_aws"'))!) as {
        _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
      };
      expect(doc._aws.CloudWatchMetrics[0]).toEqual({
        Namespace: 'Plinth/Review',
        Dimensions: [['Model']],
        Metrics: [
          { Name: 'CasesExpired', Unit: 'Count' },
          { Name: 'PendingCases', Unit: 'Count' },
          { Name: 'OldestPendingAgeSeconds', Unit: 'Seconds' },
        ],
      });
    });

    it('expires overdue pending and claimed cases only, and reports the oldest pending age', async () => {
      // GIVEN (at T0) cases created 90 and 70 minutes ago (overdue), one overdue and claimed,
      const [old1, old2, oldClaimed, fresh1, fresh2, labelledOld] = await enqueue([
        body({ createdAt: new Date(T0 - 90 * MIN).toISOString() }),
        body({ createdAt: new Date(T0 - 70 * MIN).toISOString(), model: 'churn-model' }),
        body({ createdAt: new Date(T0 - 65 * MIN).toISOString() }),
        // AND two fresh cases (10 and 5 minutes old), and one overdue case that was labelled
        body({ createdAt: new Date(T0 - 10 * MIN).toISOString() }),
        body({ createdAt: new Date(T0 - 5 * MIN).toISOString(), model: 'churn-model' }),
        body({ createdAt: new Date(T0 - 80 * MIN).toISOString() }),
      ]);
      okCase(await api({ action: 'claim', reviewer: 'bob', caseId: oldClaimed }));
      okCase(await api({ action: 'claim', reviewer: 'alice', caseId: labelledOld }));
      okCase(await api({ action: 'submit', reviewer: 'alice', caseId: labelledOld, label: 'legit' }));
      // AND an old case whose own slaDeadline is still ahead (enqueued when the SLA was longer)
      const longSla = randomUUID();
      await ddb.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: {
            caseId: { S: longSla },
            model: { S: 'fraud-detector' },
            endpoint: { S: 'fraud-detector-dev' },
            input: { S: '{}' },
            provisional: { S: '{"confidence":0.5,"label":"legit","prediction":{}}' },
            reason: { S: 'high-stakes' },
            status: { S: 'pending' },
            createdAt: { S: new Date(T0 - 100 * MIN).toISOString() },
            slaDeadline: { S: new Date(T0 + 20 * MIN).toISOString() },
          },
        }),
      );
      lines = [];

      // WHEN the expiry job runs at T0
      const summary = await expiry({});

      // THEN the three overdue pending/claimed cases are expired, with expiredAt
      expect(summary).toMatchObject({ expired: 3, pending: 3, oldestPendingAgeSeconds: 100 * 60 });
      for (const id of [old1, old2, oldClaimed]) {
        expect(okCase(await api({ action: 'get', caseId: id }))).toMatchObject({ status: 'expired', expiredAt: new Date(T0).toISOString() });
      }
      // AND fresh, labelled and not-yet-due cases are untouched
      for (const id of [fresh1, fresh2, longSla]) expect(okCase(await api({ action: 'get', caseId: id })).status).toBe('pending');
      expect(okCase(await api({ action: 'get', caseId: labelledOld })).status).toBe('labelled');
      // AND the metrics say so, in aggregate and per model
      expect(emf('CasesExpired').find((d) => d.Model === '_all')).toMatchObject({
        CasesExpired: 3,
        PendingCases: 3,
        OldestPendingAgeSeconds: 6000,
      });
      expect(emf('CasesExpired').find((d) => d.Model === 'fraud-detector')).toMatchObject({
        CasesExpired: 2,
        PendingCases: 2,
        OldestPendingAgeSeconds: 6000,
      });
      expect(emf('CasesExpired').find((d) => d.Model === 'churn-model')).toMatchObject({
        CasesExpired: 1,
        PendingCases: 1,
        OldestPendingAgeSeconds: 300,
      });

      // WHEN it runs again 5 minutes later
      setNow(T0 + 5 * MIN);
      lines = [];
      const next = await expiry({});
      // THEN nothing more expires, and the oldest pending age moved with the clock
      expect(next).toMatchObject({ expired: 0, pending: 3, oldestPendingAgeSeconds: 105 * 60 });
      expect(emf('CasesExpired').find((d) => d.Model === '_all')).toMatchObject({ CasesExpired: 0 });
    });

    it('expires a case at its own slaDeadline after the SLA was raised, and tries no case before its deadline after it was lowered', async () => {
      // GIVEN a case taken in under a 60-minute SLA (deadline T0 + 55 min)
      const [shortSla] = await enqueue([body({ createdAt: new Date(T0 - 5 * MIN).toISOString() })]);
      expect(okCase(await api({ action: 'get', caseId: shortSla })).slaDeadline).toBe(new Date(T0 + 55 * MIN).toISOString());
      try {
        // AND the SLA is then raised to 240 minutes (a deploy changes SLA_MINUTES for every function)
        process.env.SLA_MINUTES = '240';
        // AND a case taken in under the new SLA (deadline T0 + 238 min)
        const [longSla] = await enqueue([body({ createdAt: new Date(T0 - 2 * MIN).toISOString() })]);
        // WHEN the expiry job runs just after the first case's deadline
        setNow(T0 + 56 * MIN);
        lines = [];
        const summary = await expiry({});
        // THEN the case expires at the deadline it was given, not 180 minutes later under the new SLA
        expect(summary).toMatchObject({ expired: 1, skipped: 0, pending: 1 });
        expect(okCase(await api({ action: 'get', caseId: shortSla }))).toMatchObject({ status: 'expired', expiredAt: new Date(T0 + 56 * MIN).toISOString() });
        expect(okCase(await api({ action: 'get', caseId: longSla })).status).toBe('pending');

        // WHEN the SLA is lowered back to 60 minutes and the job runs 100 minutes later
        process.env.SLA_MINUTES = '60';
        setNow(T0 + 156 * MIN);
        const updates = jest.fn();
        ddb.middlewareStack.add(
          (next, context) => async (args) => {
            if (context.commandName === 'UpdateItemCommand') updates();
            return next(args);
          },
          { step: 'initialize', name: 'countExpiryUpdates' },
        );
        const later = await expiry({});
        ddb.middlewareStack.remove('countExpiryUpdates');
        // THEN the second case (deadline T0 + 238 min) is neither expired nor written to: no conditional write is spent on it
        expect(later).toMatchObject({ expired: 0, skipped: 0, pending: 1 });
        expect(updates).not.toHaveBeenCalled();
        expect(okCase(await api({ action: 'get', caseId: longSla })).status).toBe('pending');
      } finally {
        process.env.SLA_MINUTES = String(SLA_MINUTES);
      }
    });

    it('stops expiring when the Lambda is about to time out, and the next run finishes the job', async () => {
      // GIVEN two overdue cases
      const ids = await enqueue([
        body({ createdAt: new Date(T0 - 90 * MIN).toISOString() }),
        body({ createdAt: new Date(T0 - 80 * MIN).toISOString() }),
      ]);
      // WHEN the job runs with almost no time left
      const cut = await expiry({}, { getRemainingTimeInMillis: () => 1_000 });
      // THEN it expires nothing but still reports the backlog
      expect(cut).toMatchObject({ expired: 0, truncated: true, pending: 2, oldestPendingAgeSeconds: 90 * 60 });
      // WHEN the next run has time
      const full = await expiry({}, { getRemainingTimeInMillis: () => 300_000 });
      // THEN both are expired
      expect(full).toMatchObject({ expired: 2, truncated: false, pending: 0 });
      for (const id of ids) expect(okCase(await api({ action: 'get', caseId: id })).status).toBe('expired');
    });
  });
});

describe('review-api identity', () => {
  it('takes the reviewer from the verified IAM caller, never from the body, and refuses a call without one', async () => {
    // A direct invoke (no function URL) or an unsigned request carries no verified caller
    await expect(reviewApi({ action: 'claim', reviewer: 'alice' })).resolves.toMatchObject({ ok: false, code: 'forbidden' });
    await expect(reviewApi(urlEvent({ action: 'claim' }))).resolves.toMatchObject({ ok: false, code: 'forbidden' });
    // bob, signed as bob, cannot claim (or renew a claim) as alice by naming her in the body
    const forged = await reviewApi(urlEvent({ action: 'claim', reviewer: 'alice', caseId: randomUUID() }, 'arn:aws:sts::123456789012:assumed-role/Reviewer/bob'));
    expect(forged).toMatchObject({ ok: false, code: 'forbidden' });
    expect((forged as { error: string }).error).toMatch(/who IAM says you are \(bob\)/);
    // a caller that is not a role session or an IAM user is not a reviewer
    await expect(reviewApi(urlEvent({ action: 'get', caseId: randomUUID() }, 'arn:aws:iam::123456789012:root'))).resolves.toMatchObject({ ok: false, code: 'forbidden' });
  });
});
