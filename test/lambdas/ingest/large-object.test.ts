/**
 * A ~100 MiB object is streamed end to end through the handler (moto S3 in,
 * moto S3 multipart out) while the test samples process memory. The object
 * must never be held in memory: peak JS heap growth and peak Buffer
 * (arrayBuffers) growth both have to stay far below the object size.
 */

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Upload } from '@aws-sdk/lib-storage';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { describeWithMoto } from '../../support/moto';
import {
  CURATED,
  Harness,
  RAW,
  createHarness,
  eventFor,
  generatedLines,
  outputKeys,
  putSchema,
  readManifest,
  txSchema,
} from '../../fixtures/ingest/harness';
import { handler } from '../../../lambdas/ingest/index';

const MiB = 1024 * 1024;
const TARGET_BYTES = 100 * MiB;
const LIMIT_BYTES = 64 * MiB;

// Full GCs make the baseline stable and let the sampler measure retained memory.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describeWithMoto('ingest handler: 100 MiB object', (moto) => {
  let h: Harness;

  beforeAll(async () => {
    h = await createHarness(moto.endpoint, { captureDrift: false });
  });
  afterAll(() => h?.restore());

  it('streams a 100 MiB JSONL object with bounded memory', async () => {
    // GIVEN a ~100 MiB JSONL object, generated as a stream and uploaded with lib-storage
    await putSchema(h, txSchema('big'));
    const key = 'big/part-0001.jsonl';
    const line = (i: number) =>
      `{"txn_id":"t${String(i).padStart(9, '0')}","amount":${(i % 1000) + 0.25},"qty":${(i % 7) + 1},` +
      `"currency":"${i % 2 ? 'EUR' : 'USD'}","ts":"2024-05-06T10:00:00Z","note":"${'x'.repeat(20)}"}`;
    const count = Math.ceil(TARGET_BYTES / (Buffer.byteLength(line(0)) + 1));
    let t = Date.now();
    const uploaded = await new Upload({
      client: h.s3,
      params: { Bucket: RAW, Key: key, Body: generatedLines(count, line, 5000) },
      queueSize: 4,
    }).done();
    const etag = uploaded.ETag!.replace(/"/g, '');
    const size = (await h.s3.send(new HeadObjectCommand({ Bucket: RAW, Key: key }))).ContentLength!;
    const uploadMs = Date.now() - t;
    expect(size).toBeGreaterThanOrEqual(TARGET_BYTES);

    // WHEN the handler processes it while memory is sampled every 50 ms (raw), with a
    //      forced full GC every 250 ms to also measure what is really retained (live)
    // (let the uploader's sockets drain, so its part buffers are collectable, before the baseline)
    await new Promise((r) => setTimeout(r, 200));
    gc();
    gc();
    const base = process.memoryUsage();
    const peak = { heapUsed: 0, rss: 0, liveHeap: 0, liveArrayBuffers: 0 };
    let samples = 0;
    const sample = (forceGc: boolean) => {
      const m = process.memoryUsage();
      peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed - base.heapUsed);
      peak.rss = Math.max(peak.rss, m.rss - base.rss);
      if (forceGc) {
        gc();
        const live = process.memoryUsage();
        peak.liveHeap = Math.max(peak.liveHeap, live.heapUsed - base.heapUsed);
        // absolute, not a delta: every Buffer alive in the process at that moment
        peak.liveArrayBuffers = Math.max(peak.liveArrayBuffers, live.arrayBuffers);
      }
    };
    const sampler = setInterval(() => sample(++samples % 5 === 0), 50);
    t = Date.now();
    let res;
    try {
      res = await handler(eventFor({ key, etag, size }));
    } finally {
      clearInterval(sampler);
    }
    const handlerMs = Date.now() - t;

    // THEN every record is curated ...
    expect(res.batchItemFailures).toEqual([]);
    expect(await readManifest(h.s3, 'big', key, etag)).toMatchObject({ recordsIn: count, curated: count, quarantined: 0 });
    // ... the curated object ends with the last record (read with a ranged GET, not loaded whole)
    const curatedKey = outputKeys('big', key, etag).curated;
    const curatedSize = (await h.s3.send(new HeadObjectCommand({ Bucket: CURATED, Key: curatedKey }))).ContentLength!;
    const tail = await (
      await h.s3.send(new GetObjectCommand({ Bucket: CURATED, Key: curatedKey, Range: `bytes=${curatedSize - 400}-` }))
    ).Body!.transformToString();
    const last = JSON.parse(tail.trimEnd().split('\n').at(-1)!);
    expect(last).toMatchObject({ txn_id: `t${String(count - 1).padStart(9, '0')}`, _line: count, _source_key: key });
    // ... and memory stayed bounded, far below the object size
    const mb = (n: number) => (n / MiB).toFixed(1);
    // eslint-disable-next-line no-console
    console.log(
      `100 MiB test: object ${mb(size)} MiB / ${count} records (upload ${uploadMs} ms); handler ${handlerMs} ms ` +
        `= ${Math.round(count / (handlerMs / 1000))} records/s, ${mb(size / (handlerMs / 1000))} MiB/s; curated output ${mb(curatedSize)} MiB; ` +
        `peak growth over baseline (${samples} samples): heapUsed ${mb(peak.heapUsed)} MiB, ` +
        `live heap after GC ${mb(peak.liveHeap)} MiB, rss ${mb(peak.rss)} MiB; ` +
        `all live Buffers in the process after GC (absolute arrayBuffers): ${mb(peak.liveArrayBuffers)} MiB (baseline ${mb(base.arrayBuffers)} MiB)`,
    );
    expect(samples).toBeGreaterThan(10);
    expect(peak.heapUsed).toBeLessThan(LIMIT_BYTES);
    expect(peak.liveHeap).toBeLessThan(LIMIT_BYTES);
    expect(peak.liveArrayBuffers).toBeLessThan(LIMIT_BYTES);
  });
});
