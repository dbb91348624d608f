/**
 * Object-level behaviour of the ingest handler against moto: unreadable
 * objects, gzip detection, unknown datasets, duplicate/replayed events,
 * malformed SQS messages and configuration errors.
 */

import { gzipSync } from 'node:zlib';
import { HeadObjectCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { PutParameterCommand } from '@aws-sdk/client-ssm';
import { describeWithMoto } from '../../support/moto';
import {
  CURATED,
  Harness,
  INGEST_DATE,
  PREFIX,
  QUARANTINE,
  RAW,
  createHarness,
  eventBridgeBody,
  eventFor,
  injectFaults,
  listKeys,
  outputKeys,
  putRaw,
  putSchema,
  readBytes,
  readJsonLines,
  readManifest,
  readText,
  s3EventBody,
  sqsEvent,
  sqsRecord,
  txSchema,
} from '../../fixtures/ingest/harness';
import { handler } from '../../../lambdas/ingest/index';

const good = (id: string | number) =>
  JSON.stringify({ txn_id: String(id), amount: 1, currency: 'USD', ts: '2024-05-06T10:00:00Z' });

describeWithMoto('ingest handler: objects, events and replays', (moto) => {
  let h: Harness;

  beforeAll(async () => {
    h = await createHarness(moto.endpoint);
    await putSchema(h, txSchema('tx'));
    await putSchema(h, { ...txSchema('people'), format: 'csv' });
  });
  afterAll(() => h?.restore());
  beforeEach(() => {
    h.output.length = 0;
  });

  async function expectUnreadable(dataset: string, key: string, etag: string, rule: string, original: Buffer) {
    const keys = outputKeys(dataset, key, etag);
    const fileName = key.slice(key.lastIndexOf('/') + 1);
    // the WHOLE original object is copied byte for byte, with a reason.json beside it
    expect(await listKeys(h.s3, QUARANTINE, keys.unreadablePrefix)).toEqual(
      [`${keys.unreadablePrefix}${fileName}`, `${keys.unreadablePrefix}reason.json`].sort(),
    );
    expect((await readBytes(h.s3, QUARANTINE, `${keys.unreadablePrefix}${fileName}`)).equals(original)).toBe(true);
    const reason = JSON.parse((await readText(h.s3, QUARANTINE, `${keys.unreadablePrefix}reason.json`))!);
    expect(reason).toMatchObject({ rule, source: { bucket: RAW, key, etag } });
    expect(typeof reason.message).toBe('string');
    // no record output at all for this object
    expect(await readText(h.s3, CURATED, keys.curated)).toBeUndefined();
    expect(await readText(h.s3, QUARANTINE, keys.quarantine)).toBeUndefined();
    // the manifest records it as unreadable
    const manifest = await readManifest(h.s3, dataset, key, etag);
    expect(manifest).toMatchObject({ unreadable: true, recordsIn: 0, curated: 0, quarantined: 0, reason: { rule } });
    expect(h.emf().at(-1)).toMatchObject({ ObjectsUnreadable: 1, RecordsIn: 0 });
  }

  it('quarantines an empty object whole', async () => {
    // GIVEN a zero-byte object
    const etag = await putRaw(h, 'tx/empty.jsonl', '');
    // WHEN ingested
    const res = await handler(eventFor({ key: 'tx/empty.jsonl', etag }));
    // THEN the message is acknowledged and the object is quarantined as empty-object
    expect(res.batchItemFailures).toEqual([]);
    await expectUnreadable('tx', 'tx/empty.jsonl', etag, 'empty-object', Buffer.alloc(0));
  });

  it('quarantines an object with only blank lines as empty', async () => {
    // GIVEN whitespace only
    const etag = await putRaw(h, 'tx/blank.jsonl', '\n  \r\n\n');
    // WHEN ingested
    await handler(eventFor({ key: 'tx/blank.jsonl', etag }));
    // THEN it is an empty object
    await expectUnreadable('tx', 'tx/blank.jsonl', etag, 'empty-object', Buffer.from('\n  \r\n\n'));
  });

  it('quarantines corrupt gzip whole, detected by magic bytes', async () => {
    // GIVEN a gzip stream truncated in the middle, named .jsonl (no .gz hint)
    const corrupt = gzipSync(Buffer.from(Array.from({ length: 2000 }, (_, i) => good(i)).join('\n'))).subarray(0, 300);
    const etag = await putRaw(h, 'tx/corrupt.jsonl', corrupt);
    // WHEN ingested
    const res = await handler(eventFor({ key: 'tx/corrupt.jsonl', etag }));
    // THEN the message is acknowledged and the object quarantined as corrupt-gzip
    expect(res.batchItemFailures).toEqual([]);
    await expectUnreadable('tx', 'tx/corrupt.jsonl', etag, 'corrupt-gzip', corrupt);
  });

  it('gunzips by magic bytes regardless of extension, and does not gunzip a plain ".gz"', async () => {
    // GIVEN a gzipped CSV named .csv and a plain JSONL named .gz
    const csv = gzipSync(Buffer.from('txn_id,amount,currency,ts\n1,5,EUR,2024-05-06\n2,6,USD,2024-05-07\n'));
    const e1 = await putRaw(h, 'people/a.csv', csv);
    const e2 = await putRaw(h, 'tx/not-really.jsonl.gz', `${good('g1')}\n`);
    // WHEN both are ingested in one message
    const res = await handler(eventFor({ key: 'people/a.csv', etag: e1 }, { key: 'tx/not-really.jsonl.gz', etag: e2 }));
    // THEN both are processed according to their content
    expect(res.batchItemFailures).toEqual([]);
    expect(await readManifest(h.s3, 'people', 'people/a.csv', e1)).toMatchObject({ compression: 'gzip', recordsIn: 2, curated: 2 });
    expect(await readManifest(h.s3, 'tx', 'tx/not-really.jsonl.gz', e2)).toMatchObject({ compression: 'none', recordsIn: 1, curated: 1 });
    const rows = await readJsonLines(h.s3, CURATED, outputKeys('people', 'people/a.csv', e1).curated);
    expect(rows.map((r) => [r.txn_id, r.amount])).toEqual([
      ['1', 5],
      ['2', 6],
    ]);
  });

  it('quarantines invalid UTF-8 whole', async () => {
    // GIVEN a Latin-1 encoded line
    const latin1 = Buffer.concat([Buffer.from(`${good('a')}\n{"txn_id":"`), Buffer.from([0xe9]), Buffer.from('"}\n')]);
    const etag = await putRaw(h, 'tx/latin1.jsonl', latin1);
    // WHEN ingested
    await handler(eventFor({ key: 'tx/latin1.jsonl', etag }));
    // THEN it is unreadable (invalid-utf8), the valid first line is NOT curated on its own
    await expectUnreadable('tx', 'tx/latin1.jsonl', etag, 'invalid-utf8', latin1);
  });

  it('all-or-nothing: invalid UTF-8 after > 5 MiB of curated output aborts the multipart upload', async () => {
    // GIVEN ~7 MiB of valid records followed by one invalid byte
    const lines = Array.from({ length: 70_000 }, (_, i) => good(i)).join('\n');
    const body = Buffer.concat([Buffer.from(lines), Buffer.from('\n\xff\n', 'latin1')]);
    const etag = await putRaw(h, 'tx/late-bad-byte.jsonl', body);
    const recorder = injectFaults(h.s3); // records commands only, injects nothing
    // WHEN ingested
    const res = await handler(eventFor({ key: 'tx/late-bad-byte.jsonl', etag }));
    // THEN a multipart upload had really started and was aborted ...
    expect(recorder.calls).toEqual(expect.arrayContaining(['CreateMultipartUploadCommand', 'UploadPartCommand', 'AbortMultipartUploadCommand']));
    expect(recorder.calls).not.toContain('CompleteMultipartUploadCommand');
    recorder.remove();
    // ... and the object is quarantined whole, with no curated object and no multipart upload left behind
    expect(res.batchItemFailures).toEqual([]);
    await expectUnreadable('tx', 'tx/late-bad-byte.jsonl', etag, 'invalid-utf8', body);
    const mpu = await h.s3.send(new ListMultipartUploadsCommand({ Bucket: CURATED }));
    expect(mpu.Uploads ?? []).toEqual([]);
  });

  it('quarantines a CSV without header row whole', async () => {
    // GIVEN a CSV whose first row is data
    const body = Buffer.from('1,5,EUR,2024-05-06\n2,6,USD,2024-05-07\n');
    const etag = await putRaw(h, 'people/noheader.csv', body);
    // WHEN ingested
    await handler(eventFor({ key: 'people/noheader.csv', etag }));
    // THEN it is csv-missing-header
    await expectUnreadable('people', 'people/noheader.csv', etag, 'csv-missing-header', body);
  });

  it('quarantines objects of unknown datasets whole and acknowledges the message', async () => {
    // GIVEN an object under a prefix with no schema parameter, and one at the bucket root
    const body = Buffer.from(`${good('u')}\n`);
    const e1 = await putRaw(h, 'nosuchdataset/x.jsonl', body);
    const e2 = await putRaw(h, 'rootfile.jsonl', body);
    // WHEN ingested
    const res = await handler(eventFor({ key: 'nosuchdataset/x.jsonl', etag: e1 }, { key: 'rootfile.jsonl', etag: e2 }));
    // THEN nothing is lost: both are in quarantine with rule unknown-dataset, and the message is acked
    expect(res.batchItemFailures).toEqual([]);
    await expectUnreadable('nosuchdataset', 'nosuchdataset/x.jsonl', e1, 'unknown-dataset', body);
    const rootKeys = outputKeys('_unknown', 'rootfile.jsonl', e2);
    expect(await listKeys(h.s3, QUARANTINE, rootKeys.unreadablePrefix)).toEqual([
      `${rootKeys.unreadablePrefix}reason.json`,
      `${rootKeys.unreadablePrefix}rootfile.jsonl`,
    ]);
    // AND metrics for unknown datasets use the _unknown dimension (bounded cardinality)
    expect(h.emf().map((d) => d.Dataset)).toEqual(['_unknown', '_unknown']);
  });

  it('decodes URL-encoded keys (spaces as +, literal plus as %2B)', async () => {
    // GIVEN a key with a space, a plus and non-ASCII characters
    const key = 'tx/2024 05/a+b é.jsonl';
    const etag = await putRaw(h, key, `${good('k')}\n`);
    // WHEN ingested via an event carrying the encoded key
    const res = await handler(eventFor({ key, etag }));
    // THEN the real object was read and _source_key is the decoded key
    expect(res.batchItemFailures).toEqual([]);
    const rows = await readJsonLines(h.s3, CURATED, outputKeys('tx', key, etag).curated);
    expect(rows.map((r) => r._source_key)).toEqual([key]);
  });

  it('accepts EventBridge "Object Created" events (S3 -> EventBridge -> SQS), with or without URL-encoded keys', async () => {
    // GIVEN objects whose keys contain a space, a plus and a literal percent sign
    const k1 = 'tx/eb one+two.jsonl';
    const k2 = 'tx/eb 100% three+four.jsonl';
    const k3 = 'tx/eb-five+six.jsonl';
    const e1 = await putRaw(h, k1, good('eb1'));
    const e2 = await putRaw(h, k2, good('eb2'));
    const e3 = await putRaw(h, k3, good('eb3'));
    // WHEN EventBridge delivers them, one with the key URL-encoded and two with the key verbatim
    //      (k3 verbatim decodes to "eb-five six", which does not exist: the raw key is tried next)
    const res = await handler(
      sqsEvent(
        sqsRecord(eventBridgeBody({ key: k1, etag: e1 }, { encodeKey: true })),
        sqsRecord(eventBridgeBody({ key: k2, etag: e2 }, { encodeKey: false })),
        sqsRecord(eventBridgeBody({ key: k3, etag: e3 }, { encodeKey: false })),
      ),
    );
    // THEN all real objects are found and ingested under their real keys
    expect(res.batchItemFailures).toEqual([]);
    expect(await readManifest(h.s3, 'tx', k1, e1)).toMatchObject({ source: { key: k1 }, curated: 1 });
    expect(await readManifest(h.s3, 'tx', k2, e2)).toMatchObject({ source: { key: k2 }, curated: 1 });
    expect(await readManifest(h.s3, 'tx', k3, e3)).toMatchObject({ source: { key: k3 }, curated: 1 });
    expect(await readManifest(h.s3, 'tx', 'tx/eb-five six.jsonl', e3)).toBeUndefined();
    // AND one metrics document per object, none counted as gone
    expect(h.emf().map((d) => [d.sourceKey, d.ObjectsGone])).toEqual(
      expect.arrayContaining([
        [k1, 0],
        [k2, 0],
        [k3, 0],
      ]),
    );
    expect(h.emf()).toHaveLength(3);
  });

  it('a duplicated event (same message twice) produces one curated file; the second is skipped', async () => {
    // GIVEN an ingested object
    const key = 'tx/dup-event.jsonl';
    const etag = await putRaw(h, key, [good(1), good(2), good(3)].join('\n'));
    const event = eventFor({ key, etag });
    expect((await handler(event)).batchItemFailures).toEqual([]);
    const keys = outputKeys('tx', key, etag);
    const firstCurated = await h.s3.send(new HeadObjectCommand({ Bucket: CURATED, Key: keys.curated }));
    const firstManifest = await readText(h.s3, CURATED, keys.manifest);
    h.output.length = 0;
    // WHEN the same message is delivered again
    const res = await handler(event);
    // THEN it is acknowledged, counted as skipped, and nothing is rewritten
    expect(res.batchItemFailures).toEqual([]);
    expect(h.emf()).toEqual([expect.objectContaining({ Dataset: 'tx', DuplicateEventsSkipped: 1, RecordsIn: 0 })]);
    expect(await readText(h.s3, CURATED, keys.manifest)).toBe(firstManifest);
    const again = await h.s3.send(new HeadObjectCommand({ Bucket: CURATED, Key: keys.curated }));
    expect(again.LastModified).toEqual(firstCurated.LastModified);
    expect(await listKeys(h.s3, CURATED, `tx/ingest_date=${INGEST_DATE}/${keys.objectId}`)).toEqual([keys.curated]);
    expect(await readJsonLines(h.s3, CURATED, keys.curated)).toHaveLength(3);
  });

  it('the same object event twice in one batch still yields exactly one set of records', async () => {
    // GIVEN two SQS messages announcing the same object version, processed concurrently
    const key = 'tx/dup-in-batch.jsonl';
    const etag = await putRaw(h, key, [good(1), good(2)].join('\n'));
    const body = s3EventBody([{ key, etag }]);
    // WHEN handled in one batch
    const res = await handler(sqsEvent(sqsRecord(body), sqsRecord(body)));
    // THEN both are acknowledged and the curated output has each record once
    expect(res.batchItemFailures).toEqual([]);
    const rows = await readJsonLines(h.s3, CURATED, outputKeys('tx', key, etag).curated);
    expect(rows.map((r) => r._line)).toEqual([1, 2]);
  });

  it('a replay of the same key+ETag on a later day writes nothing new', async () => {
    // GIVEN an ingested object
    const key = 'tx/replayed.jsonl';
    const etag = await putRaw(h, key, [good('r1'), good('r2')].join('\n'));
    await handler(eventFor({ key, etag }));
    h.output.length = 0;
    // WHEN the same object version is re-announced a week later (e.g. a backfill re-notification)
    const res = await handler(eventFor({ key, etag, eventTime: '2024-05-13T08:00:00Z' }));
    // THEN it is skipped: no second partition, no duplicate records
    expect(res.batchItemFailures).toEqual([]);
    expect(h.emf()[0]).toMatchObject({ DuplicateEventsSkipped: 1 });
    expect(await listKeys(h.s3, CURATED, 'tx/ingest_date=2024-05-13/')).toEqual([]);
    expect(await readJsonLines(h.s3, CURATED, outputKeys('tx', key, etag).curated)).toHaveLength(2);
  });

  it('uses the event date, not the processing date, for the partition', async () => {
    // GIVEN an event from 2023-12-31 23:59 UTC
    const key = 'tx/new-year.jsonl';
    const etag = await putRaw(h, key, good('ny'));
    // WHEN ingested now
    await handler(eventFor({ key, etag, eventTime: '2023-12-31T23:59:59.999Z' }));
    // THEN the output lands in ingest_date=2023-12-31
    const id = outputKeys('tx', key, etag).objectId;
    expect(await listKeys(h.s3, CURATED, `tx/ingest_date=2023-12-31/${id}`)).toEqual([`tx/ingest_date=2023-12-31/${id}.jsonl`]);
  });

  it('acknowledges a stale event for an overwritten object without writing anything', async () => {
    // GIVEN an object that was overwritten before its first event was processed
    const key = 'tx/overwritten.jsonl';
    const oldEtag = await putRaw(h, key, good('old'));
    const newEtag = await putRaw(h, key, `${good('new')}\n${good('new2')}`);
    // WHEN the stale event and then the new one are processed
    const stale = await handler(eventFor({ key, etag: oldEtag }));
    const fresh = await handler(eventFor({ key, etag: newEtag }));
    // THEN the stale one is acked and counted as gone, only the new version is ingested
    expect(stale.batchItemFailures).toEqual([]);
    expect(fresh.batchItemFailures).toEqual([]);
    expect(h.emf()[0]).toMatchObject({ ObjectsGone: 1, RecordsIn: 0 });
    expect(await readManifest(h.s3, 'tx', key, oldEtag)).toBeUndefined();
    expect(await readText(h.s3, CURATED, outputKeys('tx', key, oldEtag).curated)).toBeUndefined();
    expect(await readManifest(h.s3, 'tx', key, newEtag)).toMatchObject({ recordsIn: 2, curated: 2 });
  });

  it('reports malformed SQS bodies as batch item failures, acks test events, processes the rest', async () => {
    // GIVEN a batch with invalid JSON, a non-S3 JSON body, an s3:TestEvent and a good message
    const key = 'tx/batch-good.jsonl';
    const etag = await putRaw(h, key, good('b'));
    const bad1 = sqsRecord('this is not json', 'm-bad-json');
    const bad2 = sqsRecord(JSON.stringify({ hello: 'world' }), 'm-not-s3');
    const test = sqsRecord(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: RAW }), 'm-test');
    const ok = sqsRecord(s3EventBody([{ key, etag }]), 'm-ok');
    // WHEN handled
    const res = await handler(sqsEvent(bad1, test, ok, bad2));
    // THEN exactly the malformed ones are reported (in batch order), the good one is processed, and they are logged
    expect(res).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-bad-json' }, { itemIdentifier: 'm-not-s3' }] });
    expect(await readManifest(h.s3, 'tx', key, etag)).toMatchObject({ curated: 1 });
    const errors = h.logs().filter((l) => l.level === 'error');
    expect(errors.map((l) => l.messageId).sort()).toEqual(['m-bad-json', 'm-not-s3']);
    expect(errors[0]!.bodyExcerpt).toBeDefined();
  });

  it('an invalid schema parameter fails the message (retry) and quarantines nothing', async () => {
    // GIVEN a dataset whose SSM parameter holds an invalid schema
    await h.ssm.send(new PutParameterCommand({ Name: `${PREFIX}broken`, Type: 'String', Value: '{"name":"broken"}', Overwrite: true }));
    const key = 'broken/x.jsonl';
    const etag = await putRaw(h, key, good('x'));
    // WHEN ingested
    const res = await handler(eventFor({ key, etag }));
    // THEN the message fails, the data stays only in the raw bucket
    expect(res.batchItemFailures).toHaveLength(1);
    expect(await listKeys(h.s3, QUARANTINE, 'broken/')).toEqual([]);
    expect(await readManifest(h.s3, 'broken', key, etag)).toBeUndefined();
    expect(h.logs().find((l) => l.level === 'error')).toMatchObject({ errorName: 'InvalidSchemaConfigError', key });
    // AND once the operator fixes the parameter, the retry succeeds
    await putSchema(h, txSchema('broken'));
    const retry = await handler(eventFor({ key, etag }));
    expect(retry.batchItemFailures).toEqual([]);
    expect(await readManifest(h.s3, 'broken', key, etag)).toMatchObject({ curated: 1 });
  });

  it('fails every message when the Lambda is misconfigured', async () => {
    // GIVEN CURATED_BUCKET is unset
    const saved = process.env.CURATED_BUCKET;
    delete process.env.CURATED_BUCKET;
    try {
      // WHEN a batch arrives
      const res = await handler(sqsEvent(sqsRecord('{}', 'a'), sqsRecord('{}', 'b')));
      // THEN all messages are returned as failures (no throw)
      expect(res.batchItemFailures).toEqual([{ itemIdentifier: 'a' }, { itemIdentifier: 'b' }]);
    } finally {
      process.env.CURATED_BUCKET = saved;
    }
  });
});
