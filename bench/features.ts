/**
 * Feature benchmarks of `npm run bench` (#13), one per process: `features.ts <name>` prints a JSON
 * result as its last line.
 *   feature-ingest   records/s through the feature-ingest handler, PutRecord and S3 mocked (0 ms)
 *   online-lookup    the gateway's time per request with vs without the online lookup, every AWS
 *                    call answered in 0 ms; target: with ≤ 1.2 × without. The figure stubs each
 *                    client's send (the gateway's own work); `sdk` also counts the real SDK clients'
 *                    work per call (serialise, sign, parse) over an HTTP handler that answers at once
 */
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PutRecordCommand, SageMakerFeatureStoreRuntimeClient } from '@aws-sdk/client-sagemaker-featurestore-runtime';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';

const region = { region: 'us-east-1', credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' } };

async function featureIngest(rows = 20_000) {
  const group = { name: 'account-spend', recordIdentifier: 'account_id', eventTime: 'event_time', features: [
    { name: 'account_id', type: 'String' }, { name: 'event_time', type: 'String' }, { name: 'txn_count_24h', type: 'Integral' }, { name: 'amount_sum_24h', type: 'Fractional' } ] };
  Object.assign(process.env, { FEATURE_GROUP: JSON.stringify(group), DEAD_LETTER_BUCKET: 'b', DEAD_LETTER_PREFIX: 'dl/', MAX_CONCURRENCY: '10' });
  const text = Array.from({ length: rows }, (_v, i) => JSON.stringify({ account_id: `a${i}`, event_time: '2026-01-01T00:00:00Z', txn_count_24h: i % 50, amount_sum_24h: i * 1.5 })).join('\n');
  const body = gzipSync(text);
  const s3 = mockClient(S3Client);
  s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([body]) }));
  s3.on(PutObjectCommand).resolves({});
  mockClient(SageMakerFeatureStoreRuntimeClient).on(PutRecordCommand).resolves({});
  const { handler } = require('../lambdas/feature-ingest/index') as typeof import('../lambdas/feature-ingest/index');
  const { setOutput, setRuntime } = require('../lambdas/feature-ingest/runtime') as typeof import('../lambdas/feature-ingest/runtime');
  setOutput(() => undefined);
  setRuntime({ s3: new S3Client(region), featureStore: new SageMakerFeatureStoreRuntimeClient(region) });
  await handler({ bucket: 'staging', key: 'k.gz', runId: 'warm' });
  const started = process.hrtime.bigint();
  const result = await handler({ bucket: 'staging', key: 'k.gz', runId: 'bench' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { rows: result.rowsRead, written: result.recordsWritten, recordsPerSecond: Math.round(result.recordsWritten / seconds) };
}

const BATCH_GET_RECORD = {
  Records: [{ FeatureGroupName: 'account-spend', RecordIdentifierValueAsString: 'a1', Record: [{ FeatureName: 'txn_count_24h', ValueAsString: '3' }, { FeatureName: 'amount_sum_24h', ValueAsString: '12.5' }] }],
  Errors: [],
  UnprocessedIdentifiers: [],
};
const MODEL_OUTPUT = JSON.stringify({ label: 'legitimate', confidence: 0.97 });

/**
 * The client's `send` answers at once with `output`: a mocked latency of 0 ms that costs nothing
 * itself (aws-sdk-client-mock's sinon stubs record every call and cost more than the gateway's own
 * work per call, which would blur the figure).
 */
function answeringAtOnce<C extends object>(client: C, output: unknown): C {
  Object.assign(client, { send: () => Promise.resolve(output) });
  return client;
}

/** An HTTP handler that answers every request at once: the SDK's own work (serialise, sign, parse) is counted. */
function httpAnsweringAtOnce(contentType: string, body: string) {
  const bytes = new TextEncoder().encode(body);
  return { handle: async () => ({ response: { statusCode: 200, headers: { 'content-type': contentType, 'content-length': String(bytes.length) }, body: bytes } }) };
}

/** Clients whose calls take 0 ms: `send` stubbed (our code only) or the real SDK over a 0 ms HTTP handler. */
function zeroLatencyClients(mode: 'send' | 'sdk') {
  const settings = { ...region, maxAttempts: 1 };
  if (mode === 'send') {
    return {
      sagemaker: answeringAtOnce(new SageMakerRuntimeClient(settings), { Body: new TextEncoder().encode(MODEL_OUTPUT), ContentType: 'application/json' }),
      dynamodb: answeringAtOnce(new DynamoDBClient(settings), {}),
      sqs: answeringAtOnce(new SQSClient(settings), {}),
      featureStore: answeringAtOnce(new SageMakerFeatureStoreRuntimeClient(settings), BATCH_GET_RECORD),
    };
  }
  return {
    sagemaker: new SageMakerRuntimeClient({ ...settings, requestHandler: httpAnsweringAtOnce('application/json', MODEL_OUTPUT) }),
    dynamodb: new DynamoDBClient({ ...settings, requestHandler: httpAnsweringAtOnce('application/x-amz-json-1.0', '{}') }),
    sqs: new SQSClient({ ...settings, requestHandler: httpAnsweringAtOnce('application/x-amz-json-1.0', '{}') }),
    featureStore: new SageMakerFeatureStoreRuntimeClient({ ...settings, requestHandler: httpAnsweringAtOnce('application/json', JSON.stringify(BATCH_GET_RECORD)) }),
  };
}

/**
 * The gateway's time per request without (A) and with (B) the online lookup, in one process, A and
 * B interleaved (A B B A per round) so JIT warm-up, GC and the machine's load fall on both alike;
 * the figure is the median of the rounds' B/A ratios. Every answer is checked: 200, and with the
 * lookup, the record's features found and merged (the log line says `onlineFeatures: found`).
 */
async function onlineLookup(mode: 'send' | 'sdk', rounds: number, perBlock: number) {
  Object.assign(process.env, {
    ENDPOINT_NAME: 'fraud-detector-bench', FALLBACK: JSON.stringify({ type: 'default', prediction: { label: 'review' }, confidence: 0 }), BREAKER_TABLE: 't',
    CONFIDENCE_THRESHOLD: '0.5', REVIEW_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/q',
    INPUT_SCHEMA: JSON.stringify({ features: [{ name: 'account_id', type: 'string', required: true }, { name: 'amount', type: 'number', required: true }] }),
  });
  const online = JSON.stringify({ featureGroup: 'account-spend', entityKeyField: 'account_id', features: ['txn_count_24h', 'amount_sum_24h'], types: { txn_count_24h: 'integer', amount_sum_24h: 'number' }, timeoutMs: 50 });
  const { handler } = require('../lambdas/infer/index') as typeof import('../lambdas/infer/index');
  const { setClients } = require('../lambdas/infer/clients') as typeof import('../lambdas/infer/clients');
  const { setOutput } = require('../lambdas/infer/log') as typeof import('../lambdas/infer/log');
  const { setOnlineFeatureClient } = require('../lambdas/infer/online-features') as typeof import('../lambdas/infer/online-features');
  let lastLine = '';
  setOutput((line) => void (lastLine = line));
  const { featureStore, ...gateway } = zeroLatencyClients(mode);
  setClients(gateway);
  setOnlineFeatureClient(featureStore);
  const event = { requestContext: { http: { method: 'POST' }, requestId: 'r' }, body: JSON.stringify({ account_id: 'a1', amount: 10 }) } as never;
  const block = async (withOnline: boolean, n: number) => {
    process.env.ONLINE_FEATURES = withOnline ? online : '';
    await handler(event); // the configuration is re-read once after the switch, outside the timing
    const started = process.hrtime.bigint();
    let status = 0;
    for (let i = 0; i < n; i++) status = ((await handler(event)) as { statusCode: number }).statusCode;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    if (status !== 200) throw new Error(`the gateway answered ${status} ${withOnline ? 'with' : 'without'} the online lookup`);
    if (withOnline && !lastLine.includes('"onlineFeatures":"found"')) throw new Error(`the online features were not found: ${lastLine.slice(0, 300)}`);
    return ms;
  };
  for (let i = 0; i < 6; i++) await block(i % 2 === 1, perBlock);
  const ratios: number[] = [];
  let without = 0;
  let withLookup = 0;
  for (let r = 0; r < rounds; r++) {
    const a1 = await block(false, perBlock);
    const b1 = await block(true, perBlock);
    const b2 = await block(true, perBlock);
    const a2 = await block(false, perBlock);
    ratios.push((b1 + b2) / (a1 + a2));
    without += a1 + a2;
    withLookup += b1 + b2;
  }
  ratios.sort((x, y) => x - y);
  const perSide = rounds * 2 * perBlock;
  const ratio = ratios[Math.floor(ratios.length / 2)]!;
  return { withoutMs: without / perSide, withMs: withLookup / perSide, ratio, ratioRange: [ratios[0]!, ratios[ratios.length - 1]!], requestsPerSide: perSide };
}

async function onlineLookupFigures() {
  const figure = await onlineLookup('send', 21, 500);
  const sdk = await onlineLookup('sdk', 7, 100);
  return { ...figure, meetsTarget: figure.ratio <= 1.2, sdk };
}

const which = process.argv[2];
const jobs: Record<string, () => Promise<unknown>> = { 'feature-ingest': () => featureIngest(), 'online-lookup': () => onlineLookupFigures() };
if (!jobs[which]) {
  process.stderr.write(`usage: features.ts ${Object.keys(jobs).join('|')}\n`);
  process.exit(2);
}
void jobs[which]().then((r) => process.stdout.write(`${JSON.stringify(r)}\n`));
