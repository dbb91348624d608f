/**
 * Feature benchmarks of `npm run bench` (#13), one per process: `features.ts <name>` prints a JSON
 * result as its last line.
 *   feature-ingest   records/s through the feature-ingest handler, PutRecord and S3 mocked (0 ms)
 *   online-lookup    the gateway's time per request with vs without the online lookup, every AWS
 *                    call mocked at 0 ms; target: with ≤ 1.2 × without
 */
import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { BatchGetRecordCommand, PutRecordCommand, SageMakerFeatureStoreRuntimeClient } from '@aws-sdk/client-sagemaker-featurestore-runtime';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
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
  // The handler's module-scope clients are mocked above (class-wide); its log and EMF lines are silenced.
  Object.assign(process.env, { LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true', AWS_REGION: region.region });
  const { handler } = await import('../lambdas/feature-ingest/index');
  await handler({ bucket: 'staging', key: 'k.gz', runId: 'warm' });
  const started = process.hrtime.bigint();
  const result = await handler({ bucket: 'staging', key: 'k.gz', runId: 'bench' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { rows: result.rowsRead, written: result.recordsWritten, recordsPerSecond: Math.round(result.recordsWritten / seconds) };
}

async function onlineLookup(requests = 2000) {
  const base = {
    ENDPOINT_NAME: 'fraud-detector-bench', FALLBACK: JSON.stringify({ type: 'default', prediction: { label: 'review' }, confidence: 0 }), BREAKER_TABLE: 't',
    CONFIDENCE_THRESHOLD: '0.5', REVIEW_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/q',
    INPUT_SCHEMA: JSON.stringify({ features: [{ name: 'account_id', type: 'string', required: true }, { name: 'amount', type: 'number', required: true }] }),
  };
  const online = JSON.stringify({ featureGroup: 'account-spend', entityKeyField: 'account_id', features: ['txn_count_24h', 'amount_sum_24h'], types: { txn_count_24h: 'integer', amount_sum_24h: 'number' }, timeoutMs: 50 });
  mockClient(SageMakerRuntimeClient).on(InvokeEndpointCommand).resolves({ Body: Buffer.from(JSON.stringify({ label: 'legitimate', confidence: 0.97 })) as never, ContentType: 'application/json' });
  mockClient(DynamoDBClient).onAnyCommand().resolves({});
  mockClient(SQSClient).onAnyCommand().resolves({});
  mockClient(SageMakerFeatureStoreRuntimeClient).on(BatchGetRecordCommand).resolves({
    Records: [{ FeatureGroupName: 'account-spend', RecordIdentifierValueAsString: 'a1', Record: [{ FeatureName: 'txn_count_24h', ValueAsString: '3' }, { FeatureName: 'amount_sum_24h', ValueAsString: '12.5' }] }], Errors: [], UnprocessedIdentifiers: [],
  });
  const { handler } = await import('../lambdas/infer/index');
  const { setOnlineFeatureClient } = await import('../lambdas/infer/online-features');
  // The gateway's module-scope clients are mocked above (aws-sdk-client-mock); its log and EMF
  // lines are dropped while timing, as before (restored before the result line is written).
  const writes = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = (() => true) as typeof process.stdout.write;
  process.stderr.write = (() => true) as typeof process.stderr.write;
  setOnlineFeatureClient(new SageMakerFeatureStoreRuntimeClient(region));
  const event = { requestContext: { http: { method: 'POST' }, requestId: 'r' }, body: JSON.stringify({ account_id: 'a1', amount: 10 }) } as never;
  const run = async (withOnline: boolean) => {
    process.env = { ...process.env, ...base, ONLINE_FEATURES: withOnline ? online : '' };
    for (let i = 0; i < 200; i++) await handler(event);
    const started = process.hrtime.bigint();
    let status = 0;
    for (let i = 0; i < requests; i++) status = ((await handler(event)) as { statusCode: number }).statusCode;
    return { perRequestMs: Number(process.hrtime.bigint() - started) / 1e6 / requests, status };
  };
  const without = await run(false);
  const withLookup = await run(true);
  process.stdout.write = writes.out;
  process.stderr.write = writes.err;
  const ratio = withLookup.perRequestMs / without.perRequestMs;
  return { withoutMs: without.perRequestMs, withMs: withLookup.perRequestMs, ratio, statuses: [without.status, withLookup.status], meetsTarget: ratio <= 1.2 };
}

const which = process.argv[2];
const jobs: Record<string, () => Promise<unknown>> = { 'feature-ingest': () => featureIngest(), 'online-lookup': () => onlineLookup() };
if (!jobs[which]) {
  process.stderr.write(`usage: features.ts ${Object.keys(jobs).join('|')}\n`);
  process.exit(2);
}
void jobs[which]().then((r) => process.stdout.write(`${JSON.stringify(r)}\n`));
