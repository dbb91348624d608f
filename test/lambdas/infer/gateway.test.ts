/**
 * Inference gateway end to end, over loopback:
 *   - SageMaker: a node http server on 127.0.0.1 plays the endpoints
 *     (POST /endpoints/<name>/invocations); the REAL SageMakerRuntimeClient,
 *     built by the Lambda's own factory (maxAttempts 1, requestTimeout), talks
 *     to it with fake credentials.
 *   - DynamoDB (breaker state) and SQS (review queue): moto_server, real SDK clients.
 * The Lambda's module-scope clients are routed (test/support/sdk-clients.ts) to clients built by
 * its own factories for those endpoints; time is Jest's fake Date (timers stay real); output is
 * read where the Lambda writes it, stdout and stderr.
 * Every test counts the requests that reached each fake endpoint.
 */

import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DeleteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describeWithMoto, MOTO_CREDENTIALS, MOTO_REGION, motoClientConfig } from '../../support/moto';
import { handler } from '../../../lambdas/infer/index';
import { clients as gatewayClients, createDynamoDBClient, createSageMakerClient, createSQSClient } from '../../../lambdas/infer/clients';
import { fakeDate, routeTo } from '../../support/sdk-clients';
import { breakerKey, createBreaker } from '../../../lambdas/infer/breaker';
import type { BreakerState } from '../../../lambdas/infer/breaker';

// ---------------------------------------------------------------- fake SageMaker

interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait before sending the status line. */
  delayMs?: number;
  /** Send half the body, then stall this long before the rest. */
  bodyStallMs?: number;
  /** Hold the answer until this settles. */
  until?: Promise<unknown>;
}
type Behaviour = (nth: number, body: string) => Reply;

interface Seen {
  endpoint: string;
  body: string;
  headers: IncomingHttpHeaders;
}

class FakeSageMaker {
  readonly requests: Seen[] = [];
  private readonly behaviours = new Map<string, Behaviour>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly server: Server = createServer((req, res) => {
    void this.onRequest(req, res);
  });
  url = '';

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  reset(): void {
    this.requests.length = 0;
    this.behaviours.clear();
  }

  on(endpoint: string, behaviour: Behaviour): void {
    this.behaviours.set(endpoint, behaviour);
  }

  count(endpoint: string): number {
    return this.requests.filter((r) => r.endpoint === endpoint).length;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.on('error', () => undefined);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const m = /^\/endpoints\/([^/?]+)\/invocations$/.exec(req.url ?? '');
    if (!m || req.method !== 'POST') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"message":"no such route"}');
      return;
    }
    const endpoint = decodeURIComponent(m[1] as string);
    this.requests.push({ endpoint, body, headers: req.headers });
    const behaviour: Behaviour =
      this.behaviours.get(endpoint) ??
      (() => ({ status: 400, headers: { 'x-amzn-errortype': 'ValidationError' }, body: '{"message":"Endpoint not found"}' }));
    const reply = behaviour(this.count(endpoint), body);
    if (reply.until) await reply.until;
    if (reply.delayMs) await this.sleep(reply.delayMs);
    if (res.destroyed) return;
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...(reply.headers ?? {}) });
    const text = reply.body ?? '';
    if (reply.bodyStallMs) {
      res.write(text.slice(0, Math.floor(text.length / 2)));
      await this.sleep(reply.bodyStallMs);
      if (!res.destroyed) res.end(text.slice(Math.floor(text.length / 2)));
      return;
    }
    res.end(text);
  }
}

const ok = (label: string, confidence: number, extra: Record<string, unknown> = {}): Reply => ({
  body: JSON.stringify({ label, confidence, ...extra }),
});
const http500: Reply = { status: 500, headers: { 'x-amzn-errortype': 'InternalFailure' }, body: '{"Message":"boom"}' };

// ---------------------------------------------------------------- harness

/**
 * moto_server is threaded (werkzeug) and its DynamoDB condition check + write
 * is not atomic, so two conditional writes racing inside moto can both pass.
 * Real DynamoDB serialises conditional writes per item. To give the breaker
 * that guarantee in tests, every DynamoDB client of a suite shares this lock:
 * moto sees one request at a time, while the breaker's calls still interleave
 * freely between requests (which is what the concurrency tests exercise).
 */
const motoLock = { tail: Promise.resolve() };
function serialiseForMoto<C extends DynamoDBClient>(client: C): C {
  client.middlewareStack.add(
    (next) => async (args) => {
      const previous = motoLock.tail;
      let release: () => void = () => undefined;
      motoLock.tail = new Promise<void>((r) => (release = r));
      await previous;
      try {
        return await next(args);
      } finally {
        release();
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'serialiseForMoto' },
  );
  return client;
}

const PRIMARY = 'fraud-primary';
const SMALL = 'fraud-small';
const TABLE = 'plinth-infer-breaker';
/** The deadline of the tests that make the primary time out; the others run with {@link DEADLINE_MS}. */
const TIMEOUT_MS = 300;
/** The deadline of every other test: long enough that a loaded machine never turns an answer into a timeout. */
const DEADLINE_MS = 5000;
const THRESHOLD = 3;
const OPEN_SECONDS = 30;
const WINDOW_SECONDS = 60;
const MODEL_NAME = 'fraud-xgb-v7';

const SCHEMA = {
  features: [
    { name: 'amount', type: 'number', required: true, min: 0, max: 100000 },
    { name: 'currency', type: 'string', enum: ['EUR', 'USD'] },
    { name: 'card_present', type: 'boolean' },
  ],
};
const DEFAULT_FALLBACK = { type: 'default', prediction: { label: 'review', score: 0.5 }, confidence: 0 };
const ENDPOINT_FALLBACK = { type: 'endpoint', endpointName: SMALL };
const GOOD_INPUT = { amount: 120.5, currency: 'EUR', card_present: true };

let queueSeq = 0;

function baseEnv(queueUrl: string): Record<string, string> {
  return {
    ENDPOINT_NAME: PRIMARY,
    INVOKE_TIMEOUT_MS: String(DEADLINE_MS),
    MAX_PAYLOAD_BYTES: '512',
    FALLBACK: JSON.stringify(DEFAULT_FALLBACK),
    BREAKER_TABLE: TABLE,
    BREAKER_FAILURE_THRESHOLD: String(THRESHOLD),
    BREAKER_WINDOW_SECONDS: String(WINDOW_SECONDS),
    BREAKER_OPEN_SECONDS: String(OPEN_SECONDS),
    CONFIDENCE_THRESHOLD: '0.8',
    HIGH_STAKES_LABELS: 'block, escalate',
    INPUT_SCHEMA: JSON.stringify(SCHEMA),
    REVIEW_QUEUE_URL: queueUrl,
    MODEL_NAME,
    PLINTH_ENV: 'test',
  };
}

const ENV_KEYS = Object.keys(baseEnv('x')).concat(['TARGET_VARIANT', 'CONFIDENCE_FIELD', 'LABEL_FIELD']);
const savedEnv: Record<string, string | undefined> = {};

function setEnv(values: Record<string, string | undefined>): void {
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
}

let reqSeq = 0;
function event(body: string | undefined, opts: { base64?: boolean; method?: string; headers?: Record<string, string> } = {}): APIGatewayProxyEventV2 {
  reqSeq += 1;
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', ...(opts.headers ?? {}) },
    requestContext: {
      accountId: '123456789012',
      apiId: 'url-id',
      domainName: 'url-id.lambda-url.us-east-1.on.aws',
      domainPrefix: 'url-id',
      http: { method: opts.method ?? 'POST', path: '/', protocol: 'HTTP/1.1', sourceIp: '10.0.0.1', userAgent: 'jest' },
      requestId: `req-${reqSeq}`,
      routeKey: '$default',
      stage: '$default',
      time: '01/Jan/2030:00:00:00 +0000',
      timeEpoch: 1893456000000,
    },
    body,
    isBase64Encoded: opts.base64 === true,
  } as APIGatewayProxyEventV2;
}

const post = (input: unknown): APIGatewayProxyEventV2 => event(JSON.stringify(input));

interface Answer {
  statusCode: number;
  json: Record<string, unknown>;
  raw: APIGatewayProxyStructuredResultV2;
}

async function call(ev: APIGatewayProxyEventV2): Promise<Answer> {
  const raw = await handler(ev);
  expect(raw.headers).toEqual({ 'content-type': 'application/json' });
  return { statusCode: raw.statusCode as number, json: JSON.parse(raw.body as string) as Record<string, unknown>, raw };
}

function freeClosedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------- suite

describeWithMoto('inference gateway (loopback SageMaker, moto DynamoDB + SQS)', (moto) => {
  const fake = new FakeSageMaker();
  let lines: string[] = [];
  let ddb: DynamoDBClient;
  let sqs: SQSClient;
  let queueUrl = '';
  let t = 0;
  const writes: jest.SpyInstance[] = [];

  const emf = (): Array<Record<string, number | string>> =>
    lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((o) => o._aws !== undefined) as Array<Record<string, number | string>>;
  const lastMetrics = (): Record<string, number | string> => {
    const all = emf();
    expect(all.length).toBeGreaterThan(0);
    return all[all.length - 1] as Record<string, number | string>;
  };
  const routes: Array<{ restore(): void }> = [];
  const useClients = (over: { sagemakerEndpoint?: string; dynamodb?: DynamoDBClient } = {}): void => {
    for (const route of routes.splice(0)) route.restore();
    routes.push(
      routeTo(gatewayClients.sagemaker, createSageMakerClient({ endpoint: over.sagemakerEndpoint ?? fake.url, region: MOTO_REGION, credentials: MOTO_CREDENTIALS })),
      routeTo(gatewayClients.dynamodb, over.dynamodb ?? serialiseForMoto(createDynamoDBClient(motoClientConfig(moto.endpoint)))),
      routeTo(gatewayClients.sqs, createSQSClient(motoClientConfig(moto.endpoint))),
    );
  };
  /** The short deadline (TIMEOUT_MS) for a test that makes the primary time out; the clients take it when made. */
  const shortDeadline = (): void => {
    setEnv({ INVOKE_TIMEOUT_MS: String(TIMEOUT_MS) });
    useClients();
  };
  /** Moves the Lambda's clock (Jest's fake Date). */
  const advance = (ms: number): void => {
    t += ms;
    jest.setSystemTime(t);
  };
  const reviewMessages = async (): Promise<Array<{ body: Record<string, unknown>; attributes: Record<string, string | undefined> }>> => {
    const out = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, MessageAttributeNames: ['All'] }),
    );
    return (out.Messages ?? []).map((m) => ({
      body: JSON.parse(m.Body as string) as Record<string, unknown>,
      attributes: Object.fromEntries(Object.entries(m.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue])),
    }));
  };
  const breakerState = async (): Promise<BreakerState | undefined> =>
    createBreaker(ddb, { table: TABLE, key: breakerKey(PRIMARY), failureThreshold: THRESHOLD, windowMs: 1, openMs: 1, probeLeaseMs: 1 }).read();

  beforeAll(async () => {
    for (const k of ENV_KEYS) savedEnv[k] = process.env[k];
    await fake.start();
    ddb = serialiseForMoto(new DynamoDBClient(motoClientConfig(moto.endpoint)));
    sqs = new SQSClient(motoClientConfig(moto.endpoint));
    await ddb.send(
      new CreateTableCommand({
        TableName: TABLE,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  });

  afterAll(async () => {
    for (const route of routes.splice(0)) route.restore();
    for (const spy of writes.splice(0)) spy.mockRestore();
    jest.useRealTimers();
    setEnv(savedEnv);
    ddb?.destroy();
    sqs?.destroy();
    await fake.stop();
  });

  beforeEach(async () => {
    fake.reset();
    lines = [];
    for (const spy of writes.splice(0)) spy.mockRestore();
    const grab = (chunk: unknown): boolean => {
      lines.push(...String(chunk).split('\n').filter((l) => l.startsWith('{')));
      return true;
    };
    writes.push(jest.spyOn(process.stdout, 'write').mockImplementation(grab as never), jest.spyOn(process.stderr, 'write').mockImplementation(grab as never));
    t = Date.UTC(2030, 0, 1);
    fakeDate(t);
    queueSeq += 1;
    const q = await sqs.send(new CreateQueueCommand({ QueueName: `review-${queueSeq}` }));
    queueUrl = q.QueueUrl as string;
    setEnv({ TARGET_VARIANT: undefined, CONFIDENCE_FIELD: undefined, LABEL_FIELD: undefined, ...baseEnv(queueUrl) });
    await ddb.send(new DeleteItemCommand({ TableName: TABLE, Key: { pk: { S: breakerKey(PRIMARY) } } }));
    useClients();
  });

  // ------------------------------------------------------------ bad input

  describe('bad input is rejected and never reaches the model', () => {
    const cases: Array<[string, APIGatewayProxyEventV2 | (() => APIGatewayProxyEventV2), number, Record<string, unknown>]> = [
      ['invalid JSON', () => event('{"amount": 12,'), 400, { rule: 'json' }],
      ['an empty body', () => event(undefined), 400, { rule: 'json' }],
      ['a body above MAX_PAYLOAD_BYTES', () => event(JSON.stringify({ amount: 1, currency: 'EUR', pad: 'x'.repeat(600) })), 413, { rule: 'max-bytes', limit: 512 }],
      [
        'a base64 body whose DECODED size is above MAX_PAYLOAD_BYTES',
        () => event(Buffer.from(JSON.stringify({ amount: 1, pad: 'y'.repeat(520) })).toString('base64'), { base64: true }),
        413,
        { rule: 'max-bytes' },
      ],
      ['invalid base64', () => event('eyJhbW91bnQiOjF9*', { base64: true }), 400, { rule: 'base64' }],
      ['a JSON array instead of an object', () => post([GOOD_INPUT]), 400, { rule: 'object' }],
      ['a JSON string instead of an object', () => post('amount=1'), 400, { rule: 'object' }],
      ['a missing required feature', () => post({ currency: 'EUR' }), 400, { rule: 'required', field: 'amount' }],
      ['a wrong type (number as string)', () => post({ amount: '120.5' }), 400, { rule: 'type', field: 'amount' }],
      ['a wrong type (boolean as string)', () => post({ amount: 1, card_present: 'yes' }), 400, { rule: 'type', field: 'card_present' }],
      ['an overflowing number (1e400 → Infinity)', () => event('{"amount": 1e400}'), 400, { rule: 'type', field: 'amount' }],
      ['a value below min', () => post({ amount: -0.01 }), 400, { rule: 'min', field: 'amount' }],
      ['a value above max (out of distribution)', () => post({ amount: 100000.01 }), 400, { rule: 'max', field: 'amount' }],
      ['a value outside the enum', () => post({ amount: 5, currency: 'GBP' }), 400, { rule: 'enum', field: 'currency' }],
      ['an unknown feature', () => post({ amount: 5, merchant_id: 'm-1' }), 400, { rule: 'unknown', field: 'merchant_id' }],
      ['a __proto__ key', () => event('{"amount": 5, "__proto__": {"admin": true}}'), 400, { rule: 'forbidden-key', field: '__proto__' }],
      ['a constructor key', () => event('{"amount": 5, "constructor": {"prototype": {}}}'), 400, { rule: 'forbidden-key', field: 'constructor' }],
      ['a GET request', () => event(undefined, { method: 'GET' }), 405, { rule: 'method' }],
      // direct invokes (lambda:InvokeFunction) can send any JSON as the event
      ['a null event', () => null as unknown as APIGatewayProxyEventV2, 400, { rule: 'event' }],
      ['a string event', () => 'amount=1' as unknown as APIGatewayProxyEventV2, 400, { rule: 'event' }],
      ['a non-string body (an object)', () => ({ ...event(undefined), body: GOOD_INPUT }) as unknown as APIGatewayProxyEventV2, 400, { rule: 'body' }],
      ['a non-string body (a number)', () => ({ ...event(undefined), body: 42 }) as unknown as APIGatewayProxyEventV2, 400, { rule: 'body' }],
      ['a requestContext that is not an object', () => ({ ...event(JSON.stringify(GOOD_INPUT)), requestContext: 'x', body: 7 }) as unknown as APIGatewayProxyEventV2, 400, { rule: 'body' }],
    ];

    it.each(cases)('%s', async (_name, build, status, expected) => {
      // GIVEN a healthy primary endpoint that would answer with confidence
      fake.on(PRIMARY, () => ok('legit', 0.99));
      // WHEN the gateway receives the bad request
      const res = await call(typeof build === 'function' ? build() : build);
      // THEN it answers the client error with a clear JSON body
      expect(res.statusCode).toBe(status);
      expect(res.json).toMatchObject(expected);
      expect(typeof res.json.error).toBe('string');
      expect((res.json.error as string).length).toBeGreaterThan(5);
      // AND the model was never called, and the request counts as bad
      expect(fake.requests).toHaveLength(0);
      expect(lastMetrics()).toMatchObject({ Requests: 1, BadRequests: 1, PrimaryFailures: 0, Degraded: 0 });
    });

    it('names the unknown feature in the error', async () => {
      // GIVEN a request with a feature the schema does not declare
      const ev = post({ amount: 5, device_fingerprint: 'abc' });
      // WHEN it is sent
      const res = await call(ev);
      // THEN the error says which feature, and the model is not called
      expect(res.statusCode).toBe(400);
      expect(res.json.error).toContain('device_fingerprint');
      expect(fake.requests).toHaveLength(0);
    });

    it('decodes a valid base64 body and sends exactly the validated features as application/json', async () => {
      // GIVEN a healthy primary and a base64-encoded request (function URLs encode some bodies)
      fake.on(PRIMARY, () => ok('legit', 0.97));
      const ev = event(Buffer.from(JSON.stringify(GOOD_INPUT)).toString('base64'), { base64: true });
      // WHEN it is sent
      const res = await call(ev);
      // THEN the primary received the decoded features as JSON and its answer is returned
      expect(res.statusCode).toBe(200);
      expect(fake.count(PRIMARY)).toBe(1);
      const seen = fake.requests[0] as Seen;
      expect(seen.headers['content-type']).toBe('application/json');
      expect(JSON.parse(seen.body)).toEqual(GOOD_INPUT);
      expect(res.json).toEqual({
        prediction: { label: 'legit', confidence: 0.97 },
        label: 'legit',
        confidence: 0.97,
        degraded: false,
        needs_review: false,
        model: 'primary',
        inferenceId: expect.any(String),
      });
      // AND one EMF document in Plinth/Inference by Endpoint was written, without any feature value in the logs
      const m = lastMetrics() as unknown as { _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][] }> } } & Record<string, unknown>;
      expect(m._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'Plinth/Inference', Dimensions: [['Endpoint']] });
      expect(m).toMatchObject({ Endpoint: PRIMARY, Requests: 1, Degraded: 0, NeedsReview: 0, BadRequests: 0, PrimaryFailures: 0, BreakerOpen: 0 });
      expect(typeof m.LatencyMs).toBe('number');
      expect(emf()).toHaveLength(1);
      expect(lines.join('\n')).not.toContain('120.5');
    });
  });

  // ------------------------------------------------------------ failures → fallback

  describe('primary failures are answered from the fallback', () => {
    it('a slow response past INVOKE_TIMEOUT_MS is a failure: default fallback, degraded, reviewed', async () => {
      shortDeadline();
      // GIVEN a primary that answers only after twice the timeout
      fake.on(PRIMARY, () => ({ ...ok('legit', 0.99), delayMs: TIMEOUT_MS * 2 }));
      // WHEN a valid request is sent
      const started = Date.now();
      const res = await call(post(GOOD_INPUT));
      const elapsed = Date.now() - started;
      // THEN the gateway gave up at the deadline and answered from the default fallback
      expect(elapsed).toBeLessThan(TIMEOUT_MS * 2);
      expect(res.statusCode).toBe(200);
      expect(res.json).toMatchObject({
        prediction: { label: 'review', score: 0.5 },
        label: 'review',
        confidence: 0,
        degraded: true,
        needs_review: true,
        model: 'fallback',
      });
      expect(fake.count(PRIMARY)).toBe(1);
      expect(lastMetrics()).toMatchObject({ PrimaryFailures: 1, Degraded: 1, NeedsReview: 1, BreakerOpen: 0, primaryFailure: 'timeout' });
      // AND the degraded answer was queued for review
      const msgs = await reviewMessages();
      expect(msgs).toHaveLength(1);
      expect(msgs[0]?.body).toMatchObject({ reason: 'degraded', caseId: res.json.case_id, answeredBy: { model: 'fallback' } });
    });

    it('a response whose body stalls past the timeout is a failure too', async () => {
      shortDeadline();
      // GIVEN a primary that sends headers and half the body, then stalls
      fake.on(PRIMARY, () => ({ ...ok('legit', 0.99), bodyStallMs: TIMEOUT_MS * 2 }));
      // WHEN a valid request is sent
      const started = Date.now();
      const res = await call(post(GOOD_INPUT));
      // THEN the deadline still holds and the fallback answers
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS * 2);
      expect(res.json).toMatchObject({ degraded: true, model: 'fallback' });
      expect(lastMetrics()).toMatchObject({ primaryFailure: 'timeout' });
    });

    it('a 5xx (InternalFailure) is answered by the fallback ENDPOINT, whose answer is reviewed as degraded', async () => {
      // GIVEN a failing primary and a smaller fallback endpoint that is healthy and confident
      setEnv({ FALLBACK: JSON.stringify(ENDPOINT_FALLBACK) });
      fake.on(PRIMARY, () => http500);
      fake.on(SMALL, () => ok('legit', 0.99, { model: 'small' }));
      // WHEN a valid request is sent
      const res = await call(post(GOOD_INPUT));
      // THEN the small model answered with the same features, marked degraded and for review
      expect(res.statusCode).toBe(200);
      expect(res.json).toMatchObject({
        prediction: { label: 'legit', confidence: 0.99, model: 'small' },
        label: 'legit',
        confidence: 0.99,
        degraded: true,
        needs_review: true,
        model: 'fallback',
      });
      expect(fake.count(PRIMARY)).toBe(1);
      expect(fake.count(SMALL)).toBe(1);
      expect(JSON.parse((fake.requests.find((r) => r.endpoint === SMALL) as Seen).body)).toEqual(GOOD_INPUT);
      expect(lastMetrics()).toMatchObject({ PrimaryFailures: 1, Degraded: 1, primaryFailure: 'server-error' });
      const msgs = await reviewMessages();
      expect(msgs[0]?.body).toMatchObject({ reason: 'degraded', answeredBy: { model: 'fallback', endpoint: SMALL } });
    });

    it.each<[string, Reply, string]>([
      ['503 with a non-JSON body', { status: 503, headers: { 'content-type': 'text/plain' }, body: 'Service Unavailable' }, 'server-error'],
      ['424 ModelError (the container failed)', { status: 424, headers: { 'x-amzn-errortype': 'ModelError' }, body: '{"Message":"model 500"}' }, 'server-error'],
      ['400 ThrottlingException (x-amzn-ErrorType)', { status: 400, headers: { 'x-amzn-errortype': 'ThrottlingException' }, body: '{"message":"Rate exceeded"}' }, 'throttled'],
      ['429 without an error type', { status: 429, body: '{"message":"Too Many Requests"}' }, 'throttled'],
      ['output that is not JSON', { body: 'label=legit;confidence=0.9' }, 'malformed'],
      ['output with confidence above 1', { body: '{"label":"legit","confidence":1.5}' }, 'malformed'],
      ['output with a string confidence', { body: '{"label":"legit","confidence":"0.9"}' }, 'malformed'],
      ['output without a label', { body: '{"confidence":0.9}' }, 'malformed'],
      ['output that is a JSON array', { body: '[{"label":"legit","confidence":0.9}]' }, 'malformed'],
    ])('%s is a primary failure', async (_name, reply, kind) => {
      // GIVEN a primary answering this way
      fake.on(PRIMARY, () => reply);
      // WHEN a valid request is sent
      const res = await call(post(GOOD_INPUT));
      // THEN it was called exactly once (maxAttempts 1) and the fallback answered
      expect(fake.count(PRIMARY)).toBe(1);
      expect(res.statusCode).toBe(200);
      expect(res.json).toMatchObject({ degraded: true, needs_review: true, model: 'fallback', label: 'review' });
      expect(lastMetrics()).toMatchObject({ PrimaryFailures: 1, Degraded: 1, primaryFailure: kind });
    });

    it('a network error (connection refused) is a primary failure', async () => {
      // GIVEN a SageMaker client pointed at a port where nothing listens
      useClients({ sagemakerEndpoint: `http://127.0.0.1:${await freeClosedPort()}` });
      // WHEN a valid request is sent
      const res = await call(post(GOOD_INPUT));
      // THEN the default fallback answers
      expect(res.statusCode).toBe(200);
      expect(res.json).toMatchObject({ degraded: true, model: 'fallback' });
      expect(lastMetrics()).toMatchObject({ PrimaryFailures: 1, primaryFailure: 'network' });
    });

    it('honours LABEL_FIELD / CONFIDENCE_FIELD paths and TARGET_VARIANT', async () => {
      // GIVEN a model that nests its output, and a target variant
      setEnv({
        LABEL_FIELD: 'result.class',
        CONFIDENCE_FIELD: 'result.p',
        TARGET_VARIANT: 'blue',
        FALLBACK: JSON.stringify({ type: 'default', prediction: { result: { class: 'review' } }, confidence: 0 }),
      });
      fake.on(PRIMARY, () => ({ body: '{"result":{"class":"legit","p":0.91}}' }));
      // WHEN a valid request is sent
      const res = await call(post(GOOD_INPUT));
      // THEN label/confidence come from the paths and the variant header was sent
      expect(res.json).toMatchObject({ label: 'legit', confidence: 0.91, model: 'primary', needs_review: false });
      expect(fake.requests[0]?.headers['x-amzn-sagemaker-target-variant']).toBe('blue');
    });

    it('when the fallback endpoint fails too the gateway answers 503 unavailable and enqueues nothing', async () => {
      // GIVEN both the primary and the fallback endpoint failing
      setEnv({ FALLBACK: JSON.stringify(ENDPOINT_FALLBACK) });
      fake.on(PRIMARY, () => http500);
      fake.on(SMALL, () => ({ status: 400, headers: { 'x-amzn-errortype': 'ThrottlingException' }, body: '{"message":"slow down"}' }));
      // WHEN a valid request is sent
      const res = await call(post(GOOD_INPUT));
      // THEN 503 {error:'unavailable'}: there is no answer to give or to review
      expect(res.statusCode).toBe(503);
      expect(res.json).toEqual({ error: 'unavailable' });
      expect(fake.count(SMALL)).toBe(1);
      expect(await reviewMessages()).toHaveLength(0);
      expect(lastMetrics()).toMatchObject({ FallbackFailures: 1, Unavailable: 1, Degraded: 0 });
    });

    it('a malformed fallback endpoint answer is a fallback failure (validated like the primary)', async () => {
      shortDeadline();
      // GIVEN a timing-out primary and a fallback endpoint without a confidence
      setEnv({ FALLBACK: JSON.stringify(ENDPOINT_FALLBACK) });
      fake.on(PRIMARY, () => ({ ...ok('legit', 0.9), delayMs: TIMEOUT_MS * 2 }));
      fake.on(SMALL, () => ({ body: '{"label":"legit"}' }));
      // WHEN a valid request is sent
      const res = await call(post(GOOD_INPUT));
      // THEN 503 unavailable
      expect(res.statusCode).toBe(503);
      expect(res.json).toEqual({ error: 'unavailable' });
    });
  });

  // ------------------------------------------------------------ circuit breaker

  describe('circuit breaker (state in moto DynamoDB)', () => {
    it(`opens after ${THRESHOLD} consecutive failures: the primary is no longer called`, async () => {
      // GIVEN a primary that always fails
      fake.on(PRIMARY, () => http500);
      // WHEN THRESHOLD requests fail
      for (let i = 0; i < THRESHOLD; i++) {
        advance(1000);
        expect((await call(post(GOOD_INPUT))).json).toMatchObject({ degraded: true });
      }
      expect(fake.count(PRIMARY)).toBe(THRESHOLD);
      expect(await breakerState()).toMatchObject({ state: 'open', openUntil: t + OPEN_SECONDS * 1000 });
      // AND more requests arrive within the open period
      const later: Answer[] = [];
      for (let i = 0; i < 4; i++) {
        advance(5000);
        later.push(await call(post(GOOD_INPUT)));
      }
      // THEN the primary was not called again; the fallback answered, flagged BreakerOpen
      expect(fake.count(PRIMARY)).toBe(THRESHOLD);
      for (const r of later) expect(r.json).toMatchObject({ degraded: true, needs_review: true, model: 'fallback' });
      expect(lastMetrics()).toMatchObject({ BreakerOpen: 1, PrimaryFailures: 0, Degraded: 1, breaker: 'open' });
    });

    it('a success while closed resets the consecutive-failure count', async () => {
      // GIVEN failures, one success, then failures again (never THRESHOLD in a row)
      let n = 0;
      const pattern = [false, false, true, false, false, true, false, false];
      fake.on(PRIMARY, () => (pattern[n++] ? ok('legit', 0.95) : http500));
      // WHEN they all happen within the window
      for (let i = 0; i < pattern.length; i++) {
        advance(1000);
        await call(post(GOOD_INPUT));
      }
      // THEN the breaker never opened: every request reached the primary
      expect(fake.count(PRIMARY)).toBe(pattern.length);
      expect(await breakerState()).toMatchObject({ state: 'closed' });
      expect((await breakerState())?.failures).toHaveLength(2);
    });

    it('failures older than BREAKER_WINDOW_SECONDS do not count', async () => {
      // GIVEN THRESHOLD-1 failures, then a pause longer than the window
      fake.on(PRIMARY, () => http500);
      for (let i = 0; i < THRESHOLD - 1; i++) {
        advance(1000);
        await call(post(GOOD_INPUT));
      }
      advance((WINDOW_SECONDS + 1) * 1000);
      // WHEN one more failure happens
      await call(post(GOOD_INPUT));
      // THEN only that one counts: the breaker is closed and the next request still calls the primary
      const state = await breakerState();
      expect(state).toMatchObject({ state: 'closed', failures: [t] });
      advance(1000);
      await call(post(GOOD_INPUT));
      expect(fake.count(PRIMARY)).toBe(THRESHOLD + 1);
    });

    async function openBreaker(): Promise<number> {
      fake.on(PRIMARY, () => http500);
      for (let i = 0; i < THRESHOLD; i++) {
        advance(100);
        await call(post(GOOD_INPUT));
      }
      expect(await breakerState()).toMatchObject({ state: 'open' });
      return fake.count(PRIMARY);
    }

    it('half-open: after the open period exactly ONE of many concurrent requests probes the primary, and its success closes the breaker', async () => {
      // GIVEN an open breaker whose open period has just passed
      const before = await openBreaker();
      advance(OPEN_SECONDS * 1000 + 1);
      // AND a now-healthy primary that holds its answer until the other requests are done
      // (a long deadline for this test, so the hold never races the invoke timeout)
      const LONG_TIMEOUT_MS = 4000;
      setEnv({ INVOKE_TIMEOUT_MS: String(LONG_TIMEOUT_MS) });
      useClients(); // the deadline (and the call's request timeout) is INVOKE_TIMEOUT_MS
      let settled = 0;
      let release: () => void = () => undefined;
      const othersDone = new Promise<void>((r) => (release = r));
      let safetyTimer: NodeJS.Timeout | undefined;
      const safety = new Promise<void>((r) => (safetyTimer = setTimeout(r, LONG_TIMEOUT_MS - 500)));
      fake.on(PRIMARY, () => ({ ...ok('legit', 0.96), until: Promise.race([othersDone, safety]) }));
      // WHEN 6 requests arrive concurrently
      const CONCURRENT = 6;
      const results = await Promise.all(
        Array.from({ length: CONCURRENT }, () =>
          call(post(GOOD_INPUT)).then((r) => {
            settled += 1;
            if (settled === CONCURRENT - 1) release();
            return r;
          }),
        ),
      );
      clearTimeout(safetyTimer);
      // THEN exactly one reached the primary; it answered from the primary, the rest from the fallback
      expect(fake.count(PRIMARY) - before).toBe(1);
      expect(results.filter((r) => r.json.model === 'primary')).toHaveLength(1);
      expect(results.filter((r) => r.json.model === 'fallback' && r.json.degraded === true)).toHaveLength(CONCURRENT - 1);
      const probes = emf().filter((m) => m.breaker === 'half-open');
      expect(probes).toHaveLength(1);
      expect(emf().filter((m) => m.breaker === 'probe-in-flight' && m.BreakerOpen === 1)).toHaveLength(CONCURRENT - 1);
      // AND the probe's success closed the breaker (recovery): the next request calls the primary again
      expect(await breakerState()).toMatchObject({ state: 'closed', failures: [] });
      advance(10);
      fake.on(PRIMARY, () => ok('legit', 0.96));
      const next = await call(post(GOOD_INPUT));
      expect(next.json).toMatchObject({ model: 'primary', degraded: false });
      expect(fake.count(PRIMARY) - before).toBe(2);
    });

    it('a failed probe re-opens the breaker for another open period', async () => {
      // GIVEN an open breaker whose open period has passed, and a primary still failing
      const before = await openBreaker();
      advance(OPEN_SECONDS * 1000 + 1);
      // WHEN the probe request fails
      const probe = await call(post(GOOD_INPUT));
      expect(probe.json).toMatchObject({ degraded: true });
      expect(fake.count(PRIMARY) - before).toBe(1);
      // THEN the breaker is open again for a full period from the probe
      expect(await breakerState()).toMatchObject({ state: 'open', openUntil: t + OPEN_SECONDS * 1000 });
      advance(OPEN_SECONDS * 1000 - 1);
      await call(post(GOOD_INPUT));
      expect(fake.count(PRIMARY) - before).toBe(1);
      // AND once that period passes, a new probe can recover it
      advance(2);
      fake.on(PRIMARY, () => ok('legit', 0.9));
      const recovered = await call(post(GOOD_INPUT));
      expect(recovered.json).toMatchObject({ model: 'primary' });
      expect(await breakerState()).toMatchObject({ state: 'closed' });
    });

    it('if DynamoDB is down the gateway fails open toward the primary (no 500), logs and counts it', async () => {
      // GIVEN DynamoDB unreachable and a healthy primary
      const deadDdb = createDynamoDBClient({ endpoint: `http://127.0.0.1:${await freeClosedPort()}`, region: MOTO_REGION, credentials: MOTO_CREDENTIALS });
      useClients({ dynamodb: deadDdb });
      fake.on(PRIMARY, () => ok('legit', 0.93));
      // WHEN a valid request is sent
      const res = await call(post(GOOD_INPUT));
      // THEN the primary answered normally
      expect(res.statusCode).toBe(200);
      expect(res.json).toMatchObject({ model: 'primary', degraded: false });
      expect(fake.count(PRIMARY)).toBe(1);
      expect(lastMetrics()).toMatchObject({ BreakerErrors: 1, BreakerOpen: 0 });
      expect(lines.some((l) => l.includes('failing open'))).toBe(true);
      // AND with the primary failing as well, the fallback still answers (200, not 500)
      fake.on(PRIMARY, () => http500);
      const degraded = await call(post(GOOD_INPUT));
      expect(degraded.statusCode).toBe(200);
      expect(degraded.json).toMatchObject({ model: 'fallback', degraded: true });
      expect(lastMetrics()).toMatchObject({ BreakerErrors: 1, PrimaryFailures: 1 });
      deadDdb.destroy();
    });
  });

  // ------------------------------------------------------------ confidence routing

  describe('confidence routing (threshold 0.8, review queue on moto SQS)', () => {
    it('just below the threshold (0.7999) → needs review, the case is on the queue', async () => {
      // GIVEN a primary answering with confidence just below 0.8
      fake.on(PRIMARY, () => ok('legit', 0.7999));
      // WHEN a valid request is sent
      const res = await call(post(GOOD_INPUT));
      // THEN it needs review and carries the case id
      expect(res.statusCode).toBe(200);
      expect(res.json).toMatchObject({ label: 'legit', confidence: 0.7999, degraded: false, needs_review: true, model: 'primary' });
      expect(res.json.case_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      // AND the queued case holds everything a reviewer needs
      const msgs = await reviewMessages();
      expect(msgs).toHaveLength(1);
      expect(msgs[0]?.body).toEqual({
        caseId: res.json.case_id,
        model: MODEL_NAME,
        endpoint: PRIMARY,
        input: GOOD_INPUT,
        provisional: { prediction: { label: 'legit', confidence: 0.7999 }, label: 'legit', confidence: 0.7999 },
        reason: 'low-confidence',
        reasons: ['low-confidence'],
        answeredBy: { model: 'primary', endpoint: PRIMARY },
        environment: 'test',
        requestId: expect.stringMatching(/^req-/) as unknown as string,
        createdAt: new Date(t).toISOString(),
        inferenceId: res.json.inferenceId,
      });
      expect(msgs[0]?.attributes).toEqual({ caseId: res.json.case_id, reason: 'low-confidence', model: MODEL_NAME, inferenceId: res.json.inferenceId });
      expect(lastMetrics()).toMatchObject({ NeedsReview: 1, Degraded: 0 });
    });

    it('exactly at the threshold (0.8) → NOT reviewed, nothing queued', async () => {
      // GIVEN a primary answering with confidence equal to the threshold
      fake.on(PRIMARY, () => ok('legit', 0.8));
      // WHEN a valid request is sent
      const res = await call(post(GOOD_INPUT));
      // THEN no review (strictly below only), no case id, empty queue
      expect(res.json).toEqual({ prediction: { label: 'legit', confidence: 0.8 }, label: 'legit', confidence: 0.8, degraded: false, needs_review: false, model: 'primary', inferenceId: expect.any(String) });
      expect(await reviewMessages()).toHaveLength(0);
      expect(lastMetrics()).toMatchObject({ NeedsReview: 0 });
    });

    it('just above the threshold (0.8001) → not reviewed', async () => {
      // GIVEN a primary answering just above the threshold
      fake.on(PRIMARY, () => ok('legit', 0.8001));
      // WHEN a valid request is sent
      const res = await call(post(GOOD_INPUT));
      // THEN no review
      expect(res.json).toMatchObject({ needs_review: false, model: 'primary' });
      expect(res.json).not.toHaveProperty('case_id');
      expect(await reviewMessages()).toHaveLength(0);
    });

    it('a high-stakes label above the threshold is still reviewed (reason high-stakes)', async () => {
      // GIVEN a confident answer with a high-stakes label
      fake.on(PRIMARY, () => ok('block', 0.99));
      // WHEN a valid request is sent
      const res = await call(post(GOOD_INPUT));
      // THEN it needs review with reason high-stakes
      expect(res.json).toMatchObject({ label: 'block', needs_review: true, degraded: false });
      const msgs = await reviewMessages();
      expect(msgs).toHaveLength(1);
      expect(msgs[0]?.body).toMatchObject({ caseId: res.json.case_id, reason: 'high-stakes', reasons: ['high-stakes'], provisional: { label: 'block', confidence: 0.99 } });
    });

    it('a high-stakes label below the threshold lists both reasons', async () => {
      // GIVEN an unsure answer with a high-stakes label
      fake.on(PRIMARY, () => ok('escalate', 0.5));
      // WHEN a valid request is sent
      const res = await call(post(GOOD_INPUT));
      // THEN reason is high-stakes and reasons has both
      const msgs = await reviewMessages();
      expect(res.json.needs_review).toBe(true);
      expect(msgs[0]?.body).toMatchObject({ reason: 'high-stakes', reasons: ['high-stakes', 'low-confidence'] });
    });

    it('if the review case cannot be enqueued the caller gets 503 with the provisional answer', async () => {
      // GIVEN a review queue that does not exist (SendMessage fails after SDK retries)
      setEnv({ REVIEW_QUEUE_URL: `${queueUrl}-missing` });
      fake.on(PRIMARY, () => ok('legit', 0.42));
      // WHEN a low-confidence answer needs review
      const res = await call(post(GOOD_INPUT));
      // THEN 503 with the provisional answer, flagged for review, and no case id (no case exists)
      expect(res.statusCode).toBe(503);
      expect(res.json).toEqual({
        error: 'review_unavailable',
        retryable: true,
        prediction: { label: 'legit', confidence: 0.42 },
        label: 'legit',
        confidence: 0.42,
        degraded: false,
        needs_review: true,
        model: 'primary',
        inferenceId: expect.any(String),
      });
      expect(lastMetrics()).toMatchObject({ ReviewEnqueueFailures: 1, NeedsReview: 1, Unavailable: 1 });
    });
  });
  // ------------------------------------------------------------ inference id (the join key for ground truth)

  describe('inference id and answering variant', () => {
    const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    const withVariant = (variant: string, label: string, confidence: number): Reply => ({
      ...ok(label, confidence),
      headers: { 'x-amzn-invoked-production-variant': variant },
    });

    it('generates an id, sends it as InferenceId and returns it with the variant that answered', async () => {
      // GIVEN a primary whose answer names the variant that served it
      fake.on(PRIMARY, () => withVariant('challenger', 'legit', 0.97));
      // WHEN a request without an id is sent
      const res = await call(post(GOOD_INPUT));
      // THEN the answer carries a fresh UUID v4 and the variant
      expect(res.statusCode).toBe(200);
      expect(res.json.inferenceId).toMatch(UUID_V4);
      expect(res.json.variant).toBe('challenger');
      // AND SageMaker received the same id as the InferenceId header (data capture records it)
      expect(fake.requests[0]?.headers['x-amzn-sagemaker-inference-id']).toBe(res.json.inferenceId);
    });

    it('two requests get two different ids', async () => {
      // GIVEN a healthy primary
      fake.on(PRIMARY, () => ok('legit', 0.97));
      // WHEN two requests are sent
      const a = await call(post(GOOD_INPUT));
      const b = await call(post(GOOD_INPUT));
      // THEN their ids differ
      expect(a.json.inferenceId).not.toBe(b.json.inferenceId);
    });

    it("keeps the caller's id (header name in any case) and passes it to SageMaker", async () => {
      // GIVEN a caller that names the decision by its transaction id
      fake.on(PRIMARY, () => withVariant('primary', 'legit', 0.97));
      // WHEN it sends X-Inference-Id
      const res = await call(event(JSON.stringify(GOOD_INPUT), { headers: { 'X-Inference-Id': 'txn-2030.01:0001' } }));
      // THEN the same id comes back and reached the endpoint
      expect(res.json).toMatchObject({ inferenceId: 'txn-2030.01:0001', variant: 'primary' });
      expect(fake.requests[0]?.headers['x-amzn-sagemaker-inference-id']).toBe('txn-2030.01:0001');
    });

    it.each([
      ['empty', ''],
      ['65 characters', 'a'.repeat(65)],
      ['a space', 'txn 1'],
      ['a slash', 'txn/1'],
      ['a quote (SQL)', "txn'1"],
      ['a leading dash', '-txn'],
      ['a newline', 'txn\n1'],
      ['non-ASCII', 'txn-é'],
    ])("rejects a caller's id with %s (400 inference-id) before calling the model", async (_name, id) => {
      // GIVEN a healthy primary
      fake.on(PRIMARY, () => ok('legit', 0.97));
      // WHEN the id header is malformed
      const res = await call(event(JSON.stringify(GOOD_INPUT), { headers: { 'x-inference-id': id } }));
      // THEN 400 with rule inference-id and the model is not called
      expect(res.statusCode).toBe(400);
      expect(res.json).toMatchObject({ rule: 'inference-id' });
      expect(fake.requests).toHaveLength(0);
      expect(lastMetrics()).toMatchObject({ BadRequests: 1 });
    });

    it('the review case keeps the inference id and the variant', async () => {
      // GIVEN a low-confidence answer from the challenger variant
      fake.on(PRIMARY, () => withVariant('challenger', 'legit', 0.42));
      // WHEN the request is answered
      const res = await call(event(JSON.stringify(GOOD_INPUT), { headers: { 'x-inference-id': 'txn-42' } }));
      // THEN the case on the queue carries the same id and variant, as body field and attribute
      expect(res.json).toMatchObject({ needs_review: true, inferenceId: 'txn-42', variant: 'challenger' });
      const msgs = await reviewMessages();
      expect(msgs).toHaveLength(1);
      expect(msgs[0]?.body).toMatchObject({ inferenceId: 'txn-42', variant: 'challenger' });
      expect(msgs[0]?.attributes.inferenceId).toBe('txn-42');
    });

    it('a default fallback answer still has an id, and no variant', async () => {
      // GIVEN a failing primary and the configured default as fallback
      fake.on(PRIMARY, () => http500);
      // WHEN a request is sent
      const res = await call(post(GOOD_INPUT));
      // THEN the degraded answer has an id but names no variant (no model answered)
      expect(res.json.degraded).toBe(true);
      expect(res.json.inferenceId).toMatch(UUID_V4);
      expect(res.json.variant).toBeUndefined();
    });

    it('the fallback endpoint receives the same InferenceId', async () => {
      // GIVEN a failing primary and a fallback endpoint
      setEnv({ FALLBACK: JSON.stringify(ENDPOINT_FALLBACK) });
      fake.on(PRIMARY, () => http500);
      fake.on(SMALL, () => withVariant('small', 'legit', 0.9));
      // WHEN a request is sent
      const res = await call(post(GOOD_INPUT));
      // THEN both endpoints saw the id the caller got back, and the fallback's variant is named
      const ids = fake.requests.map((r) => r.headers['x-amzn-sagemaker-inference-id']);
      expect(ids).toEqual([res.json.inferenceId, res.json.inferenceId]);
      expect(res.json.variant).toBe('small');
    });
  });
});
