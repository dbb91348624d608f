/**
 * Fault injection: transient infrastructure failures must never quarantine
 * data. The failing message is reported in batchItemFailures (SQS redelivers
 * it; after maxReceiveCount the DLQ - configured on the CDK side - keeps it),
 * nothing lands in quarantine, and a later retry produces exact counts.
 *
 * Faults are injected into the Lambda's own SDK clients with a middleware at
 * the innermost position (see harness.injectFaults): a faulted call never
 * reaches moto, and the SDK's retry middleware sees a genuine 503/throttling
 * response, so in-SDK retries (maxAttempts 3) are exercised for real.
 */

import { gzipSync } from 'node:zlib';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { describeWithMoto, motoClientConfig } from '../../support/moto';
import {
  CURATED,
  FaultInjector,
  Harness,
  QUARANTINE,
  createHarness,
  eventFor,
  injectBodyReset,
  injectFaults,
  jsonError,
  listKeys,
  outputKeys,
  putRaw,
  putSchema,
  readJsonLines,
  readManifest,
  receiveDriftEvents,
  s3Error,
  txSchema,
} from '../../fixtures/ingest/harness';
import { handler } from '../../../lambdas/ingest/index';
import { SDK_MAX_ATTEMPTS } from '../../../lambdas/ingest/clients';

const good = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ txn_id: `t${i}`, amount: i, currency: 'EUR', ts: '2024-05-06T10:00:00Z', ...extra });
const bad = (i: number) => JSON.stringify({ txn_id: `b${i}`, amount: 'lots', currency: 'EUR', ts: '2024-05-06T10:00:00Z' });

/** 8 good + 2 bad records. */
const mixed = (): string => [...Array.from({ length: 8 }, (_, i) => good(i)), bad(1), bad(2)].join('\n');

describeWithMoto('ingest handler: transient failures are retried, never quarantined', (moto) => {
  let h: Harness;
  let lambdaS3: S3Client;
  let s3Faults: FaultInjector;
  let ssmFaults: FaultInjector;
  let ebFaults: FaultInjector;
  let bodyReset: { times: number };

  beforeAll(async () => {
    // The Lambda gets its own S3 client (with faults); the test reads back through the harness client.
    lambdaS3 = new S3Client({ ...motoClientConfig(moto.endpoint), maxAttempts: SDK_MAX_ATTEMPTS });
    h = await createHarness(moto.endpoint, { s3: lambdaS3 });
    s3Faults = injectFaults(lambdaS3);
    ssmFaults = injectFaults(h.ssm);
    ebFaults = injectFaults(h.eventBridge);
    bodyReset = injectBodyReset(lambdaS3, 1000);
    await putSchema(h, txSchema('ft'));
  });
  afterAll(() => h?.restore());
  beforeEach(() => {
    for (const f of [s3Faults, ssmFaults, ebFaults]) {
      f.clear();
      f.calls.length = 0;
      for (const k of Object.keys(f.injected)) delete f.injected[k];
    }
    bodyReset.times = 0;
    h.output.length = 0;
  });

  /** Nothing at all for this object anywhere but the raw bucket. */
  async function expectNothingWritten(dataset: string, key: string, etag: string) {
    const keys = outputKeys(dataset, key, etag);
    expect(await readManifest(h.s3, dataset, key, etag)).toBeUndefined();
    expect(await listKeys(h.s3, QUARANTINE, `${dataset}/`)).toEqual(
      expect.not.arrayContaining([keys.quarantine, expect.stringContaining(keys.objectId)]),
    );
    expect((await listKeys(h.s3, QUARANTINE, `${dataset}/`)).filter((k) => k.includes(keys.objectId))).toEqual([]);
  }

  async function expectExactCounts(dataset: string, key: string, etag: string, curated: number, quarantined: number) {
    const keys = outputKeys(dataset, key, etag);
    expect(await readManifest(h.s3, dataset, key, etag)).toMatchObject({ recordsIn: curated + quarantined, curated, quarantined });
    expect(await readJsonLines(h.s3, CURATED, keys.curated)).toHaveLength(curated);
    expect(await readJsonLines(h.s3, QUARANTINE, keys.quarantine)).toHaveLength(quarantined);
  }

  it('absorbs a short burst of S3 throttling inside the SDK retry budget', async () => {
    // GIVEN the first 2 PutObject calls answer 503 SlowDown
    const key = 'ft/burst.jsonl';
    const etag = await putRaw(h, key, mixed());
    s3Faults.fail('PutObjectCommand', 2, s3Error(503, 'SlowDown'));
    // WHEN the object is ingested
    const res = await handler(eventFor({ key, etag }));
    // THEN the SDK retried them and the message succeeds with exact counts
    expect(s3Faults.injected.PutObjectCommand).toBe(2);
    expect(res.batchItemFailures).toEqual([]);
    await expectExactCounts('ft', key, etag, 8, 2);
  });

  it('persistent 503 SlowDown on writes: message failed, nothing quarantined; the retry succeeds exactly', async () => {
    // GIVEN every PutObject answers 503 SlowDown
    const key = 'ft/writes-down.jsonl';
    const etag = await putRaw(h, key, mixed());
    s3Faults.fail('PutObjectCommand', Number.POSITIVE_INFINITY, s3Error(503, 'SlowDown'));
    const event = eventFor({ key, etag });
    // WHEN ingested
    const res = await handler(event);
    // THEN the message is reported failed after SDK_MAX_ATTEMPTS attempts of the curated write;
    //      the quarantine upload (finished after curated) was aborted before being sent
    expect(res.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]!.messageId }]);
    expect(s3Faults.injected.PutObjectCommand).toBe(SDK_MAX_ATTEMPTS);
    await expectNothingWritten('ft', key, etag);
    expect(await listKeys(h.s3, CURATED, 'ft/')).not.toContain(outputKeys('ft', key, etag).curated);
    const err = h.logs().find((l) => l.level === 'error');
    expect(err).toMatchObject({ errorName: 'SlowDown', transient: true, httpStatusCode: 503, key });
    // AND when S3 recovers, SQS redelivers the same message and the counts are exact
    s3Faults.clear();
    const retry = await handler(event);
    expect(retry.batchItemFailures).toEqual([]);
    await expectExactCounts('ft', key, etag, 8, 2);
  });

  it('throttled UploadPart on a multi-part output: the multipart upload is aborted, retry succeeds', async () => {
    // GIVEN an object whose curated output exceeds one 5 MiB part, and UploadPart always throttled
    const key = 'ft/big.jsonl';
    const n = 60_000;
    const etag = await putRaw(h, key, Array.from({ length: n }, (_, i) => good(i)).join('\n'));
    s3Faults.fail('UploadPartCommand', Number.POSITIVE_INFINITY, s3Error(503, 'SlowDown'));
    const event = eventFor({ key, etag });
    // WHEN ingested
    const res = await handler(event);
    // THEN the message failed, the multipart upload was aborted and nothing else was written
    expect(res.batchItemFailures).toHaveLength(1);
    expect(s3Faults.calls).toContain('AbortMultipartUploadCommand');
    expect((await h.s3.send(new ListMultipartUploadsCommand({ Bucket: CURATED }))).Uploads ?? []).toEqual([]);
    await expectNothingWritten('ft', key, etag);
    // AND the redelivery succeeds with every record exactly once
    s3Faults.clear();
    expect((await handler(event)).batchItemFailures).toEqual([]);
    await expectExactCounts('ft', key, etag, n, 0);
  });

  it('GetObject failing on every delivery keeps failing the message (so SQS moves it to the DLQ), then recovers', async () => {
    // GIVEN GetObject always answers 500 InternalError
    const key = 'ft/read-down.jsonl';
    const etag = await putRaw(h, key, mixed());
    s3Faults.fail('GetObjectCommand', Number.POSITIVE_INFINITY, s3Error(500, 'InternalError'));
    const event = eventFor({ key, etag });
    // WHEN SQS delivers the message 3 times (a maxReceiveCount of 3)
    const deliveries = 3;
    for (let i = 0; i < deliveries; i++) {
      const res = await handler(event);
      // THEN every delivery is reported failed - it is never acknowledged, never quarantined
      expect(res.batchItemFailures).toEqual([{ itemIdentifier: event.Records[0]!.messageId }]);
    }
    expect(s3Faults.injected.GetObjectCommand).toBe(deliveries * SDK_MAX_ATTEMPTS);
    await expectNothingWritten('ft', key, etag);
    // AND a redrive from the DLQ after recovery ingests it exactly once
    s3Faults.clear();
    expect((await handler(event)).batchItemFailures).toEqual([]);
    await expectExactCounts('ft', key, etag, 8, 2);
  });

  it('a message with two objects where one fails: the retry finishes it and skips the completed one', async () => {
    // GIVEN one SQS message announcing two objects, and GetObject failing for the first one's 3 attempts
    const k1 = 'ft/pair-1.jsonl';
    const k2 = 'ft/pair-2.jsonl';
    const e1 = await putRaw(h, k1, mixed());
    const e2 = await putRaw(h, k2, mixed());
    s3Faults.fail('GetObjectCommand', SDK_MAX_ATTEMPTS, s3Error(503, 'ServiceUnavailable'));
    const event = eventFor({ key: k1, etag: e1 }, { key: k2, etag: e2 });
    // WHEN delivered
    const res = await handler(event);
    // THEN the message fails, but the second object was still completed
    expect(res.batchItemFailures).toHaveLength(1);
    expect(await readManifest(h.s3, 'ft', k1, e1)).toBeUndefined();
    await expectExactCounts('ft', k2, e2, 8, 2);
    h.output.length = 0;
    // AND the redelivery completes the first and skips the second (no duplicates)
    expect((await handler(event)).batchItemFailures).toEqual([]);
    await expectExactCounts('ft', k1, e1, 8, 2);
    await expectExactCounts('ft', k2, e2, 8, 2);
    expect(h.emf().map((d) => d.DuplicateEventsSkipped)).toEqual([0, 1]);
  });

  it('a connection reset in the middle of a gzip download is retried, not quarantined as corrupt gzip', async () => {
    // GIVEN a valid gzip object whose download dies after 1000 bytes once
    const key = 'ft/reset.jsonl.gz';
    const n = 5000;
    const etag = await putRaw(h, key, gzipSync(Buffer.from(Array.from({ length: n }, (_, i) => good(i)).join('\n'))));
    bodyReset.times = 1;
    const event = eventFor({ key, etag });
    // WHEN ingested
    const res = await handler(event);
    // THEN the message fails as a transient source error and nothing is quarantined
    expect(res.batchItemFailures).toHaveLength(1);
    expect(h.logs().find((l) => l.level === 'error')).toMatchObject({ errorName: 'SourceStreamError', transient: true });
    await expectNothingWritten('ft', key, etag);
    // AND the retry reads the full object
    expect((await handler(event)).batchItemFailures).toEqual([]);
    await expectExactCounts('ft', key, etag, n, 0);
  });

  it('SSM throttling is a retry, not an unknown dataset', async () => {
    // GIVEN a dataset whose schema has not been cached yet, and SSM throttling every call
    await putSchema(h, txSchema('ft-ssm'));
    const key = 'ft-ssm/a.jsonl';
    const etag = await putRaw(h, key, mixed());
    ssmFaults.fail('GetParameterCommand', Number.POSITIVE_INFINITY, jsonError(400, 'ThrottlingException'));
    const event = eventFor({ key, etag });
    // WHEN ingested
    const res = await handler(event);
    // THEN the message fails and the object is NOT quarantined as unknown-dataset
    expect(res.batchItemFailures).toHaveLength(1);
    expect(ssmFaults.injected.GetParameterCommand).toBe(SDK_MAX_ATTEMPTS);
    expect(await listKeys(h.s3, QUARANTINE, 'ft-ssm/')).toEqual([]);
    await expectNothingWritten('ft-ssm', key, etag);
    // AND once SSM answers again the retry succeeds
    ssmFaults.clear();
    expect((await handler(event)).batchItemFailures).toEqual([]);
    await expectExactCounts('ft-ssm', key, etag, 8, 2);
  });

  it('a rejected drift event fails the message before the manifest is written; the retry sends it', async () => {
    // GIVEN an object with additive drift and PutEvents reporting one failed entry once
    const key = 'ft/drift.jsonl';
    const etag = await putRaw(h, key, [good(1, { brand_new: 1 }), good(2)].join('\n'));
    ebFaults.fail('PutEventsCommand', 1, {
      status: 200,
      headers: { 'content-type': 'application/x-amz-json-1.1' },
      body: JSON.stringify({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'injected' }] }),
    });
    const event = eventFor({ key, etag });
    // WHEN ingested
    const res = await handler(event);
    // THEN the message fails and no manifest exists (the object is not "done")
    expect(res.batchItemFailures).toHaveLength(1);
    expect(await readManifest(h.s3, 'ft', key, etag)).toBeUndefined();
    expect(h.logs().find((l) => l.level === 'error')).toMatchObject({ errorName: 'DriftPublishError' });
    // AND the retry completes the object and delivers the additive event
    expect((await handler(event)).batchItemFailures).toEqual([]);
    await expectExactCounts('ft', key, etag, 2, 0);
    const events = (await receiveDriftEvents(h)).filter((e) => e.detail.object.key === key);
    expect(events.map((e) => [e.detail.kind, e.detail.fields])).toEqual([['additive', ['brand_new']]]);
  });

  it('an AccessDenied on the manifest check is a failure, not "not processed yet"', async () => {
    // GIVEN HeadObject answers 403 (e.g. the role lacks s3:ListBucket on the curated bucket)
    const key = 'ft/denied.jsonl';
    const etag = await putRaw(h, key, mixed());
    s3Faults.fail('HeadObjectCommand', Number.POSITIVE_INFINITY, s3Error(403, 'AccessDenied'));
    // WHEN ingested
    const res = await handler(eventFor({ key, etag }));
    // THEN the message fails without reading or writing anything
    expect(res.batchItemFailures).toHaveLength(1);
    expect(s3Faults.calls).not.toContain('GetObjectCommand');
    await expectNothingWritten('ft', key, etag);
  });
});
