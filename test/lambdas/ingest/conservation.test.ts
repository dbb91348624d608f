/**
 * Conservation: across many objects (JSONL and CSV, some gzipped) with a mix
 * of good and bad records, every record ends up exactly once in curated OR
 * quarantine, verified by reading the outputs back from moto and counting.
 */

import { gzipSync } from 'node:zlib';
import { describeWithMoto } from '../../support/moto';
import {
  CURATED,
  Harness,
  QUARANTINE,
  createHarness,
  listKeys,
  putRaw,
  putSchema,
  readJsonLines,
  readText,
  s3EventBody,
  sqsEvent,
  sqsRecord,
  txSchema,
} from '../../fixtures/ingest/harness';
import { handler } from '../../../lambdas/ingest/index';
import type { Manifest } from '../../../lambdas/ingest/process-object';
import type { SQSRecord } from 'aws-lambda';

const OBJECTS_PER_FORMAT = 20;
const RECORDS_PER_OBJECT = 300;

/** Deterministic PRNG so failures are reproducible. */
function prng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 48271) % 2147483647;
    return s % n;
  };
}

interface Generated {
  key: string;
  body: Buffer;
  /** Physical line numbers on which a record starts. */
  recordLines: number[];
}

function jsonlObject(idx: number, rnd: (n: number) => number): Generated {
  const lines: string[] = [];
  const recordLines: number[] = [];
  for (let r = 0; r < RECORDS_PER_OBJECT; r++) {
    if (rnd(10) === 0) lines.push(''); // blank line: not a record
    const id = `j${idx}-${r}`;
    const base = { txn_id: id, amount: rnd(1000), currency: rnd(2) ? 'EUR' : 'USD', ts: '2024-05-06T10:00:00Z' };
    const k = rnd(20);
    let line: string;
    if (k === 0) line = `{"txn_id":"${id}","amount":`;
    else if (k === 1) line = JSON.stringify({ ...base, amount: 'a lot' });
    else if (k === 2) line = JSON.stringify({ ...base, currency: undefined });
    else if (k === 3) line = `{"txn_id":"${id}","__proto__":{"polluted":1}}`;
    else if (k === 4) line = JSON.stringify({ ...base, qty: -3 });
    else if (k === 5) line = JSON.stringify({ ...base, channel: 'web', nested: { a: [1, 2] } });
    else line = JSON.stringify(base);
    lines.push(line);
    recordLines.push(lines.length);
  }
  return { key: `cons-json/part-${idx}.jsonl`, body: Buffer.from(lines.join(idx % 3 ? '\n' : '\r\n') + '\n'), recordLines };
}

function csvObject(idx: number, rnd: (n: number) => number): Generated {
  let text = idx % 2 ? '\uFEFF' : '';
  const eol = idx % 3 ? '\n' : '\r\n';
  text += `txn_id,amount,currency,ts,note${eol}`;
  let line = 2;
  const recordLines: number[] = [];
  for (let r = 0; r < RECORDS_PER_OBJECT; r++) {
    if (rnd(12) === 0) {
      text += eol; // blank line
      line++;
    }
    const id = `c${idx}-${r}`;
    const k = rnd(20);
    let row: string;
    if (k === 0) row = `${id},abc,EUR,2024-05-06,`;
    else if (k === 1) row = `${id},1`;
    else if (k === 2) row = `${id},5,GBP,2024-05-06,x`;
    else if (k === 3) row = `${id},7,EUR,2024-05-06,"multi${eol}line ""quoted"""`;
    else if (k === 4) row = `${id},7,EUR,not-a-date,`;
    else row = `${id},${rnd(1000)}.5,USD,2024-05-06T10:00:00Z,"a, b"`;
    recordLines.push(line);
    text += row + eol;
    line += row.split(eol).length;
  }
  return { key: `cons-csv/part-${idx}.csv`, body: Buffer.from(text), recordLines };
}

describeWithMoto('ingest handler: record conservation across many objects', (moto) => {
  let h: Harness;

  beforeAll(async () => {
    // drift events are not asserted here (see handler-records.test.ts); skipping moto's slow EventBridge->SQS delivery
    h = await createHarness(moto.endpoint, { captureDrift: false });
  });
  afterAll(() => h?.restore());

  it('every record lands exactly once in curated or quarantine (>= 10,000 records, JSONL + CSV, gzip)', async () => {
    // GIVEN 40 objects (half JSONL, half CSV, every other one gzipped) with good and bad records,
    //       plus two unreadable objects
    await putSchema(h, txSchema('cons-json'));
    await putSchema(h, { ...txSchema('cons-csv'), format: 'csv' });
    const rnd = prng(20240506);
    const generated: Generated[] = [];
    for (let i = 0; i < OBJECTS_PER_FORMAT; i++) generated.push(jsonlObject(i, rnd), csvObject(i, rnd));
    const expected = new Map<string, Set<number>>();
    const messages: SQSRecord[] = [];
    for (const [i, g] of generated.entries()) {
      const body = i % 2 === 0 ? gzipSync(g.body) : g.body;
      const etag = await putRaw(h, g.key, body);
      expected.set(g.key, new Set(g.recordLines));
      messages.push(sqsRecord(s3EventBody([{ key: g.key, etag }])));
    }
    const totalRecords = generated.reduce((n, g) => n + g.recordLines.length, 0);
    expect(totalRecords).toBeGreaterThanOrEqual(10_000);
    const corruptEtag = await putRaw(h, 'cons-json/corrupt.jsonl', gzipSync(Buffer.from('{"a":1}\n'.repeat(100))).subarray(0, -6));
    const latin1Etag = await putRaw(h, 'cons-csv/latin1.csv', Buffer.from('txn_id,amount\nd\xe9j\xe0,1\n', 'latin1'));
    messages.push(
      sqsRecord(
        s3EventBody([
          { key: 'cons-json/corrupt.jsonl', etag: corruptEtag },
          { key: 'cons-csv/latin1.csv', etag: latin1Etag },
        ]),
      ),
    );
    // ... and three messages delivered twice (at-least-once delivery)
    messages.push(...messages.slice(0, 3).map((m) => sqsRecord(m.body)));

    // WHEN SQS delivers them in batches of 10
    const started = Date.now();
    for (let i = 0; i < messages.length; i += 10) {
      const res = await handler(sqsEvent(...messages.slice(i, i + 10)));
      expect(res.batchItemFailures).toEqual([]);
    }
    const elapsedMs = Date.now() - started;

    // THEN the manifests balance: sum(recordsIn) = sum(curated) + sum(quarantined) = records generated
    const manifestKeys = [...(await listKeys(h.s3, CURATED, '_manifests/cons-json/')), ...(await listKeys(h.s3, CURATED, '_manifests/cons-csv/'))];
    expect(manifestKeys).toHaveLength(generated.length + 2);
    const manifests = await Promise.all(manifestKeys.map(async (k) => JSON.parse((await readText(h.s3, CURATED, k))!) as Manifest));
    const sum = (f: (m: Manifest) => number) => manifests.reduce((n, m) => n + f(m), 0);
    expect(sum((m) => m.recordsIn)).toBe(totalRecords);
    expect(sum((m) => m.curated) + sum((m) => m.quarantined)).toBe(totalRecords);
    expect(manifests.filter((m) => m.unreadable).map((m) => m.reason!.rule).sort()).toEqual(['corrupt-gzip', 'invalid-utf8']);

    // AND reading every output back, the line counts match the manifests
    const curatedKeys = [...(await listKeys(h.s3, CURATED, 'cons-json/')), ...(await listKeys(h.s3, CURATED, 'cons-csv/'))];
    const quarantineKeys = [...(await listKeys(h.s3, QUARANTINE, 'cons-json/')), ...(await listKeys(h.s3, QUARANTINE, 'cons-csv/'))].filter(
      (k) => !k.includes('/_unreadable/'),
    );
    const curatedRows = (await Promise.all(curatedKeys.map((k) => readJsonLines(h.s3, CURATED, k)))).flat();
    const quarantineRows = (await Promise.all(quarantineKeys.map((k) => readJsonLines(h.s3, QUARANTINE, k)))).flat();
    expect(curatedRows.length).toBe(sum((m) => m.curated));
    expect(quarantineRows.length).toBe(sum((m) => m.quarantined));
    expect(curatedRows.length + quarantineRows.length).toBe(totalRecords);
    expect(curatedRows.length).toBeGreaterThan(totalRecords / 2);
    expect(quarantineRows.length).toBeGreaterThan(totalRecords / 10);

    // AND no (source key, line) pair appears twice, and together they cover every generated record
    const seen = new Map<string, Set<number>>();
    const dupes: string[] = [];
    const note = (key: string, line: number) => {
      const s = seen.get(key) ?? new Set<number>();
      if (s.has(line)) dupes.push(`${key}#${line}`);
      s.add(line);
      seen.set(key, s);
    };
    for (const r of curatedRows) note(r._source_key, r._line);
    for (const q of quarantineRows) note(q.source.key, q.source.line);
    expect(dupes).toEqual([]);
    for (const [key, lines] of expected) expect([...(seen.get(key) ?? [])].sort((a, b) => a - b)).toEqual([...lines].sort((a, b) => a - b));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();

    // eslint-disable-next-line no-console
    console.log(
      `conservation: ${totalRecords} records in ${generated.length + 2} objects (${messages.length} messages) ` +
        `in ${elapsedMs} ms = ${Math.round(totalRecords / (elapsedMs / 1000))} records/s against moto; ` +
        `curated ${curatedRows.length}, quarantined ${quarantineRows.length}`,
    );
  });
});
