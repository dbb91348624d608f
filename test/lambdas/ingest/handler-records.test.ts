/**
 * Record-level behaviour of the ingest handler against a real moto S3 + SSM +
 * EventBridge. Drift events are asserted end-to-end: an EventBridge rule in
 * moto (source plinth.ingest) targets an SQS queue that the test drains.
 */

import { describeWithMoto } from '../../support/moto';
import {
  CURATED,
  Harness,
  INGEST_DATE,
  QUARANTINE,
  RAW,
  createHarness,
  eventFor,
  outputKeys,
  putRaw,
  putSchema,
  readJsonLines,
  readManifest,
  readText,
  receiveDriftEvents,
  txSchema,
} from '../../fixtures/ingest/harness';
import { handler } from '../../../lambdas/ingest/index';
import type { DatasetSchema } from '../../../lambdas/ingest/dataset-schema';

const good = (id: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ txn_id: id, amount: 10.5, qty: 2, currency: 'EUR', ts: '2024-05-06T10:00:00Z', ...extra });

const csvSchema = (name: string, extra: Partial<DatasetSchema> = {}): DatasetSchema => ({
  name,
  version: 7,
  format: 'csv',
  fields: [
    { name: 'id', type: 'integer', required: true, nullable: false },
    { name: 'name', type: 'string', required: true, nullable: false },
    { name: 'score', type: 'number', required: false, nullable: true, min: 0 },
    { name: 'active', type: 'boolean', required: false },
  ],
  ...extra,
});

describeWithMoto('ingest handler: records, validation and drift', (moto) => {
  let h: Harness;

  beforeAll(async () => {
    h = await createHarness(moto.endpoint);
  });
  afterAll(() => h?.restore());

  /** Put an object, run the handler for it, and return everything it produced. */
  async function ingest(dataset: string, key: string, body: string | Uint8Array) {
    const etag = await putRaw(h, key, body);
    h.output.length = 0;
    const res = await handler(eventFor({ key, etag }));
    const keys = outputKeys(dataset, key, etag);
    return {
      etag,
      res,
      keys,
      curated: await readJsonLines(h.s3, CURATED, keys.curated),
      curatedText: await readText(h.s3, CURATED, keys.curated),
      quarantine: await readJsonLines(h.s3, QUARANTINE, keys.quarantine),
      manifest: await readManifest(h.s3, dataset, key, etag),
      emf: h.emf(),
      drift: (await receiveDriftEvents(h)).filter((e) => e.detail.object.key === key),
    };
  }

  it('curates valid JSONL records with source metadata and writes a manifest', async () => {
    // GIVEN a schema and an object of valid records with a blank line
    await putSchema(h, txSchema('tx-valid'));
    const key = 'tx-valid/2024/05/batch 1.jsonl';
    // WHEN ingested
    const r = await ingest('tx-valid', key, `${good('a')}\n\n${good('b', { settled: true })}\n`);
    // THEN both records are curated with _source_key/_source_etag/_line, nothing is quarantined
    expect(r.res).toEqual({ batchItemFailures: [] });
    expect(r.curated).toEqual([
      { ...JSON.parse(good('a')), _source_key: key, _source_etag: r.etag, _line: 1 },
      { ...JSON.parse(good('b', { settled: true })), _source_key: key, _source_etag: r.etag, _line: 3 },
    ]);
    expect(r.quarantine).toEqual([]);
    expect(r.keys.curated).toBe(`tx-valid/ingest_date=${INGEST_DATE}/${r.keys.objectId}.jsonl`);
    expect(r.manifest).toMatchObject({
      source: { bucket: RAW, key, etag: r.etag },
      schemaVersion: 3,
      recordsIn: 2,
      curated: 2,
      quarantined: 0,
      unreadable: false,
      drift: { additive: [], breaking: 0 },
      outputs: { curated: `s3://${CURATED}/${r.keys.curated}`, quarantine: null },
    });
    expect(Date.parse(r.manifest!.completedAt)).not.toBeNaN();
    expect(r.drift).toEqual([]);
    // AND one EMF document with the object's counts
    expect(r.emf).toHaveLength(1);
    expect(r.emf[0]).toMatchObject({ Dataset: 'tx-valid', RecordsIn: 2, RecordsCurated: 2, RecordsQuarantined: 0, ObjectsReceived: 1 });
  });

  it('quarantines malformed JSON lines with the raw text and keeps the good ones', async () => {
    // GIVEN good lines interleaved with malformed ones
    await putSchema(h, txSchema('tx-malformed'));
    const body = [good('a'), '{"txn_id": "b", "amount": ', 'not json at all', good('c'), '{"txn_id":"d"}}'].join('\n');
    // WHEN ingested
    const r = await ingest('tx-malformed', 'tx-malformed/f.jsonl', body);
    // THEN 2 curated, 3 quarantined with rule malformed-json, line numbers and raw text
    expect(r.curated.map((c) => c.txn_id)).toEqual(['a', 'c']);
    expect(r.quarantine.map((q) => [q.source.line, q.reasons[0].rule, q.raw])).toEqual([
      [2, 'malformed-json', '{"txn_id": "b", "amount": '],
      [3, 'malformed-json', 'not json at all'],
      [5, 'malformed-json', '{"txn_id":"d"}}'],
    ]);
    // (and where it came from: the one line it spans and its byte range, after line 1's 81 bytes and its LF)
    expect(r.quarantine[0]!.source).toEqual({ bucket: RAW, key: 'tx-malformed/f.jsonl', etag: r.etag, line: 2, lines: 1, bytes: [82, 108] });
    expect(r.quarantine[0]!.excerpt).toBe('{"txn_id": "b", "amount": ');
    expect(r.manifest).toMatchObject({ recordsIn: 5, curated: 2, quarantined: 3, rules: { 'malformed-json': 3 } });
    expect(r.emf[0]).toMatchObject({ RecordsIn: 5, RecordsCurated: 2, RecordsQuarantined: 3 });
  });

  it('quarantines wrong types and constraint violations; type changes are breaking drift with one event', async () => {
    // GIVEN records with a string amount, a fractional qty, a bad enum, a bad timestamp, a negative amount
    await putSchema(h, txSchema('tx-types'));
    const body = [
      good('ok'),
      good('t1', { amount: '10.5' }),
      good('t2', { qty: 1.5 }),
      good('c1', { currency: 'GBP' }),
      good('d1', { ts: '06/05/2024' }),
      good('m1', { amount: -1 }),
      good('n1', { settled: 'yes' }),
    ].join('\n');
    // WHEN ingested
    const r = await ingest('tx-types', 'tx-types/f.jsonl', body);
    // THEN each violation is reported with field, rule and value excerpt
    expect(r.curated.map((c) => c.txn_id)).toEqual(['ok']);
    expect(r.quarantine.map((q) => q.reasons)).toEqual([
      [{ field: 'amount', rule: 'type-mismatch', value: '10.5' }],
      [{ field: 'qty', rule: 'type-mismatch', value: 1.5 }],
      [{ field: 'currency', rule: 'not-in-enum', value: 'GBP' }],
      [{ field: 'ts', rule: 'type-mismatch', value: '06/05/2024' }],
      [{ field: 'amount', rule: 'below-min', value: -1 }],
      [{ field: 'settled', rule: 'type-mismatch', value: 'yes' }],
    ]);
    // AND the quarantined record is preserved verbatim
    expect(r.quarantine[0]!.record).toEqual(JSON.parse(good('t1', { amount: '10.5' })));
    // AND type changes count as breaking drift (4 records), with ONE event for the object
    expect(r.manifest!.drift.breaking).toBe(4);
    expect(r.emf[0]).toMatchObject({ BreakingDriftRecords: 4 });
    expect(r.drift).toHaveLength(1);
    expect(r.drift[0]).toMatchObject({
      source: 'plinth.ingest',
      'detail-type': 'Schema Drift Detected',
      detail: {
        kind: 'breaking',
        dataset: 'tx-types',
        schemaVersion: 3,
        records: 4,
        rules: { 'missing-required': 0, 'type-mismatch': 4 },
        fields: ['amount', 'qty', 'settled', 'ts'],
        object: { bucket: RAW, key: 'tx-types/f.jsonl', etag: r.etag },
        env: 'test',
      },
    });
  });

  it('quarantines JSON records missing a required field as breaking drift', async () => {
    // GIVEN one record without the required currency and one without required ts and amount
    await putSchema(h, txSchema('tx-missing'));
    const rec = JSON.parse(good('x'));
    delete rec.currency;
    const rec2 = JSON.parse(good('y'));
    delete rec2.ts;
    delete rec2.amount;
    // WHEN ingested
    const r = await ingest('tx-missing', 'tx-missing/f.jsonl', [JSON.stringify(rec), JSON.stringify(rec2), good('z')].join('\n'));
    // THEN both are quarantined as missing-required, one breaking event lists the fields
    expect(r.quarantine.map((q) => q.reasons.map((x: { field: string; rule: string }) => `${x.field}:${x.rule}`))).toEqual([
      ['currency:missing-required'],
      ['amount:missing-required', 'ts:missing-required'],
    ]);
    expect(r.curated).toHaveLength(1);
    expect(r.drift.map((e) => e.detail)).toEqual([
      expect.objectContaining({ kind: 'breaking', records: 2, rules: { 'missing-required': 2, 'type-mismatch': 0 }, fields: ['amount', 'currency', 'ts'] }),
    ]);
  });

  it('additive drift: new JSON keys are kept in curated output and ONE event is sent per object', async () => {
    // GIVEN records carrying two fields unknown to the schema, spread over several records
    await putSchema(h, txSchema('tx-additive'));
    const body = [good('a', { channel: 'web' }), good('b', { channel: 'app', risk: { score: 0.3 } }), good('c')].join('\n');
    // WHEN ingested
    const r = await ingest('tx-additive', 'tx-additive/f.jsonl', body);
    // THEN all are curated and the new columns are kept
    expect(r.quarantine).toEqual([]);
    expect(r.curated.map((c) => [c.channel, c.risk])).toEqual([
      ['web', undefined],
      ['app', { score: 0.3 }],
      [undefined, undefined],
    ]);
    // AND exactly one additive event + metric + manifest entry
    expect(r.drift).toHaveLength(1);
    expect(r.drift[0]!.detail).toEqual({
      kind: 'additive',
      dataset: 'tx-additive',
      schemaVersion: 3,
      fields: ['channel', 'risk'],
      object: { bucket: RAW, key: 'tx-additive/f.jsonl', etag: r.etag },
      env: 'test',
    });
    expect(r.emf[0]).toMatchObject({ AdditiveDriftFields: 2, BreakingDriftRecords: 0 });
    expect(r.manifest!.drift).toEqual({ additive: ['channel', 'risk'], breaking: 0 });
  });

  it('CSV: BOM, CRLF, quoted newline and an extra column are handled; extra column kept; additive event sent', async () => {
    // GIVEN a CSV with BOM, CRLF line ends, a quoted newline + escaped quotes, and an extra "note" column
    //       ("active" is optional, hence nullable: an empty value becomes null)
    await putSchema(h, csvSchema('csv-ok'));
    const body = '\uFEFFid,name,score,active,note\r\n1,"Ann ""A"" Smith",1.5,true,first\r\n2,"multi\r\nline",,false,\r\n3,Cid,0,,"a,b"\r\n';
    // WHEN ingested
    const r = await ingest('csv-ok', 'csv-ok/people.csv', body);
    // THEN values are typed per schema, the extra column is kept as text, lines point to the record start
    expect(r.quarantine).toEqual([]);
    expect(r.curated).toEqual([
      { id: 1, name: 'Ann "A" Smith', score: 1.5, active: true, note: 'first', _source_key: 'csv-ok/people.csv', _source_etag: r.etag, _line: 2 },
      { id: 2, name: 'multi\r\nline', score: null, active: false, note: '', _source_key: 'csv-ok/people.csv', _source_etag: r.etag, _line: 3 },
      { id: 3, name: 'Cid', score: 0, active: null, note: 'a,b', _source_key: 'csv-ok/people.csv', _source_etag: r.etag, _line: 5 },
    ]);
    expect(r.manifest).toMatchObject({ format: 'csv', schemaVersion: 7, recordsIn: 3, curated: 3, drift: { additive: ['note'], breaking: 0 } });
    expect(r.drift.map((e) => e.detail.kind)).toEqual(['additive']);
    expect(r.drift[0]!.detail.fields).toEqual(['note']);
  });

  it('CSV: a header missing a required column quarantines every row (breaking drift, one event)', async () => {
    // GIVEN a CSV whose header lacks the required "name" column
    await putSchema(h, csvSchema('csv-missing'));
    // WHEN ingested
    const r = await ingest('csv-missing', 'csv-missing/f.csv', 'id,score\n1,2\n2,3\n3,4\n');
    // THEN all rows are quarantined with missing-required and the original values
    expect(r.curated).toEqual([]);
    expect(r.curatedText).toBeUndefined();
    expect(r.quarantine).toHaveLength(3);
    expect(r.quarantine[0]).toMatchObject({ reasons: [{ field: 'name', rule: 'missing-required' }], record: { id: '1', score: '2' } });
    expect(r.manifest).toMatchObject({ recordsIn: 3, curated: 0, quarantined: 3, drift: { breaking: 3 }, outputs: { curated: null } });
    expect(r.drift.map((e) => e.detail)).toEqual([
      expect.objectContaining({ kind: 'breaking', fields: ['name'], records: 3 }),
    ]);
    expect(r.emf[0]).toMatchObject({ BreakingDriftRecords: 3, RecordsQuarantined: 3 });
  });

  it('CSV: wrong types, bad column counts and unterminated quotes are quarantined per row', async () => {
    // GIVEN rows with a non-integer id, a short row, and an unterminated quote at the end
    await putSchema(h, csvSchema('csv-bad'));
    const body = 'id,name,score\n1,a,1\nx,b,2\n3,c\n4,"d,5\n';
    // WHEN ingested
    const r = await ingest('csv-bad', 'csv-bad/f.csv', body);
    // THEN one curated, three quarantined with the matching rules
    expect(r.curated.map((c) => c.id)).toEqual([1]);
    expect(r.quarantine.map((q) => [q.source.line, q.reasons[0].rule])).toEqual([
      [3, 'type-mismatch'],
      [4, 'column-count'],
      [5, 'unterminated-quote'],
    ]);
    expect(r.manifest).toMatchObject({ recordsIn: 4, curated: 1, quarantined: 3, drift: { breaking: 1 } });
  });

  it('quarantines records with __proto__/constructor/prototype keys and never pollutes prototypes', async () => {
    // GIVEN JSONL records attempting prototype pollution at top level, nested and \u-escaped
    await putSchema(h, txSchema('tx-proto'));
    const body = [
      good('safe'),
      '{"txn_id":"p1","amount":1,"currency":"EUR","ts":"2024-05-06","__proto__":{"polluted":"yes"}}',
      '{"txn_id":"p2","amount":1,"currency":"EUR","ts":"2024-05-06","meta":{"constructor":{"prototype":{"polluted":"yes"}}}}',
      '{"txn_id":"p3","amount":1,"currency":"EUR","ts":"2024-05-06","\\u005f_proto__":{"polluted":"yes"}}',
    ].join('\n');
    // WHEN ingested
    const r = await ingest('tx-proto', 'tx-proto/f.jsonl', body);
    // THEN the three are quarantined with forbidden-key (raw text kept), the safe one curated
    //      (the reason names the first forbidden key in document order, with its path: constructor, not the
    //      innermost prototype, issue #18 defect 5)
    expect(r.curated.map((c) => c.txn_id)).toEqual(['safe']);
    expect(r.quarantine.map((q) => q.reasons[0])).toEqual([
      { field: '__proto__', rule: 'forbidden-key', value: '$.__proto__' },
      { field: 'constructor', rule: 'forbidden-key', value: '$.meta.constructor' },
      { field: '__proto__', rule: 'forbidden-key', value: '$.__proto__' },
    ]);
    expect(typeof r.quarantine[0]!.raw).toBe('string');
    // AND no prototype was polluted anywhere in this process
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
    // AND no additive drift is reported for the forbidden names
    expect(r.manifest!.drift.additive).toEqual([]);
  });

  it('duplicate record ids, keep-first: first curated, later ones quarantined', async () => {
    // GIVEN id "a" three times under keep-first
    await putSchema(h, txSchema('dup-keep', { recordIdField: 'txn_id', duplicatePolicy: 'keep-first' }));
    const body = [good('a', { n: 1 }), good('b'), good('a', { n: 2 }), good('a', { n: 3 })].join('\n');
    // WHEN ingested
    const r = await ingest('dup-keep', 'dup-keep/f.jsonl', body);
    // THEN a(1) and b curated; a(2), a(3) quarantined; manifest lists no first occurrences
    expect(r.curated.map((c) => `${c.txn_id}${c.n ?? ''}`)).toEqual(['a1', 'b']);
    expect(r.quarantine.map((q) => [q.record.n, q.reasons[0].rule])).toEqual([
      [2, 'duplicate-record-id'],
      [3, 'duplicate-record-id'],
    ]);
    expect(r.manifest!.duplicates).toEqual({
      policy: 'keep-first',
      field: 'txn_id',
      quarantinedRecords: 2,
      idsSeen: [],
      idsSeenCount: 0,
      trackingTruncated: false,
      idsUntracked: 0,
    });
  });

  it('duplicate record ids past the tracking bound: stored ids still caught, the ids not stored counted in the manifest and the metric', async () => {
    // GIVEN a bound of 2 stored ids (MAX_TRACKED_IDS) and a, b, c, a, c, d
    await putSchema(h, txSchema('dup-bound', { recordIdField: 'txn_id' }));
    const body = ['a', 'b', 'c', 'a', 'c', 'd'].map((id, n) => good(id, { n })).join('\n');
    process.env.MAX_TRACKED_IDS = '2';
    let r: Awaited<ReturnType<typeof ingest>>;
    try {
      // WHEN ingested
      r = await ingest('dup-bound', 'dup-bound/f.jsonl', body);
    } finally {
      delete process.env.MAX_TRACKED_IDS;
    }
    // THEN the repeat of a (stored) is quarantined; c's repeat cannot be caught (c was not stored),
    // and that is not silent: 3 records' ids (c, c, d) were not stored, in the manifest and the metric
    expect(r.quarantine.map((q) => [q.record.n, q.reasons[0].rule])).toEqual([[3, 'duplicate-record-id']]);
    expect(r.curated.map((c) => c.txn_id)).toEqual(['a', 'b', 'c', 'c', 'd']);
    expect(r.manifest!.duplicates).toMatchObject({ quarantinedRecords: 1, trackingTruncated: true, idsUntracked: 3 });
    expect(r.emf[0]).toMatchObject({ Dataset: 'dup-bound', DuplicateIdsUntracked: 3 });
    // and an object within the bound reports none
    const within = await ingest('dup-bound', 'dup-bound/g.jsonl', [good('x'), good('x')].join('\n'));
    expect(within.emf[0]).toMatchObject({ DuplicateIdsUntracked: 0 });
    expect(within.manifest!.duplicates).toMatchObject({ trackingTruncated: false, idsUntracked: 0 });
  });

  it('duplicate record ids, reject: later ones quarantined and the first flagged duplicate-id-seen in the manifest', async () => {
    // GIVEN the same data under reject
    await putSchema(h, txSchema('dup-reject', { recordIdField: 'txn_id', duplicatePolicy: 'reject' }));
    const body = [good('a', { n: 1 }), good('b'), good('a', { n: 2 }), good('a', { n: 3 })].join('\n');
    // WHEN ingested
    const r = await ingest('dup-reject', 'dup-reject/f.jsonl', body);
    // THEN routing is as keep-first, and the manifest names a's first occurrence (line 1)
    expect(r.curated.map((c) => c.txn_id)).toEqual(['a', 'b']);
    expect(r.quarantine).toHaveLength(2);
    expect(r.manifest!.duplicates).toMatchObject({
      policy: 'reject',
      quarantinedRecords: 2,
      idsSeen: [{ id: 'a', firstLine: 1, rule: 'duplicate-id-seen' }],
      idsSeenCount: 1,
    });
    expect(r.manifest).toMatchObject({ recordsIn: 4, curated: 2, quarantined: 2 });
  });

  it('picks up a schema change from SSM once the cache TTL has passed', async () => {
    // GIVEN a 0-second cache and schema v3 without field "channel" declared as required integer
    process.env.SCHEMA_CACHE_SECONDS = '0';
    try {
      await putSchema(h, txSchema('tx-evolve'));
      const first = await ingest('tx-evolve', 'tx-evolve/1.jsonl', good('a', { channel: 5 }));
      expect(first.manifest!.drift.additive).toEqual(['channel']);
      // WHEN the schema is bumped to v4 declaring "channel"
      const v4 = txSchema('tx-evolve');
      v4.version = 4;
      v4.fields.push({ name: 'channel', type: 'integer' });
      await putSchema(h, v4);
      const second = await ingest('tx-evolve', 'tx-evolve/2.jsonl', good('b', { channel: 6 }));
      // THEN the next object is validated against v4 without any redeploy
      expect(second.manifest).toMatchObject({ schemaVersion: 4, drift: { additive: [] } });
    } finally {
      process.env.SCHEMA_CACHE_SECONDS = '60';
    }
  });
});
