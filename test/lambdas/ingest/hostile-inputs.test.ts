/**
 * Hostile inputs (issue #18): regression tests for the ingest defects, and
 * property tests (fast-check, fixed seed, bounded runs) that random and
 * mutated JSONL / CSV / gzip inputs always conserve records and never hide
 * one in quarantine. The handler-level part runs against moto (S3, SSM,
 * EventBridge) to see the manifest and the metric.
 */

import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describeWithMoto } from '../../support/moto';
import { Harness, createHarness, eventFor, outputKeys, putRaw, putSchema, readJsonLines, readManifest, QUARANTINE, CURATED } from '../../fixtures/ingest/harness';
import { handler } from '../../../lambdas/ingest/index';
import { DatasetSchema, FORBIDDEN_KEYS, parseDatasetSchema } from '../../../lambdas/ingest/dataset-schema';
import { UnreadableDataError } from '../../../lambdas/ingest/errors';
import { scanKeys } from '../../../lambdas/ingest/json-scan';
import { streamRecords } from '../../../lambdas/ingest/process-object';
import { RecordRouter } from '../../../lambdas/ingest/record-router';
import { compileSchema } from '../../../lambdas/ingest/validator';

const SOURCE = { bucket: 'raw', key: 'tx/file', etag: 'abc123' };
const SEED = 20261204;

const TX: DatasetSchema = {
  name: 'tx',
  version: 3,
  format: 'jsonl',
  recordIdField: 'txn_id',
  fields: [
    { name: 'txn_id', type: 'string', required: true, nullable: false },
    { name: 'amount', type: 'number', required: true, nullable: false, min: 0 },
    { name: 'qty', type: 'integer', required: false, nullable: true },
    { name: 'currency', type: 'string', required: true, nullable: false, enum: ['EUR', 'USD'] },
  ],
};
const CSV: DatasetSchema = {
  name: 'm',
  version: 1,
  format: 'csv',
  fields: [
    { name: 'id', type: 'integer', required: true, nullable: false },
    { name: 'name', type: 'string', required: true, nullable: false },
    { name: 'score', type: 'number', required: false, nullable: true },
  ],
};

class MemoryWriter {
  lines: string[] = [];
  write(line: string): undefined {
    this.lines.push(line);
    return undefined;
  }
  get json(): Array<Record<string, any>> {
    return this.lines.map((l) => JSON.parse(l) as Record<string, any>);
  }
}

async function route(schema: DatasetSchema, body: Buffer | string, chunks: Buffer[] = [Buffer.from(body)]) {
  const cs = compileSchema(parseDatasetSchema(schema));
  const curated = new MemoryWriter();
  const quarantine = new MemoryWriter();
  const router = new RecordRouter(cs, SOURCE, curated, quarantine);
  await streamRecords(Readable.from(chunks), schema.format, router, { sourceBytes: 0, gzip: false });
  return { curated, quarantine, stats: router.stats };
}

describe('regression: duplicate JSON keys are curated verbatim (issue #18, defect 2)', () => {
  it('a duplicated key is quarantined with reason duplicate-key, naming the key, and nothing invalid reaches curated', async () => {
    // GIVEN an invalid amount hidden behind a valid duplicate, and an id hidden behind another id
    const body = [
      '{"txn_id":"d1","amount":"not-a-number","currency":"EUR","amount":5}',
      '{"txn_id":"d2","amount":1,"currency":"EUR"}',
      '{"txn_id":"e1","amount":1,"currency":"EUR","txn_id":"d2"}',
      '{"txn_id":"n1","amount":1,"currency":"EUR","meta":{"a":1,"a":2}}',
    ].join('\n');
    // WHEN routed
    const { curated, quarantine } = await route(TX, body);
    // THEN only the clean record is curated; the others name their duplicated key and its path
    expect(curated.json.map((c) => c.txn_id)).toEqual(['d2']);
    expect(quarantine.json.map((q) => [q.source.line, q.reasons])).toEqual([
      [1, [{ field: 'amount', rule: 'duplicate-key', value: '$.amount' }]],
      [3, [{ field: 'txn_id', rule: 'duplicate-key', value: '$.txn_id' }]],
      [4, [{ field: 'a', rule: 'duplicate-key', value: '$.meta.a' }]],
    ]);
    expect(curated.lines.every((l) => scanKeys(l, FORBIDDEN_KEYS).duplicate === undefined)).toBe(true);
  });

  it('curated holds the validated values, in schema order, not the source text', async () => {
    // GIVEN an integer written 2.0, a number written 1e1, keys out of order, spaces, and an unknown big integer
    const body = '{ "currency":"EUR", "qty":2.0, "amount":1e1, "txn_id":"c1", "big":12345678901234567890 }';
    // WHEN routed
    const { curated } = await route(TX, body);
    // THEN the validated fields are written from their values, in schema order; the unknown field as written
    expect(curated.lines).toEqual([
      '{"txn_id":"c1","amount":10,"qty":2,"currency":"EUR","big":12345678901234567890,"_source_key":"tx/file","_source_etag":"abc123","_line":1}',
    ]);
  });

  it('a record whose text provably parses to the validated values is curated as written; a string cannot fake the proof', async () => {
    // GIVEN a canonical record, and one whose integer is written 2.0 while a string value contains "qty":2,
    const body = [
      '{"txn_id":"r1","amount":1.50,"qty":2,"currency":"EUR"}',
      '{"txn_id":"r2","amount":1,"qty":2.0,"currency":"EUR","note":"\\"qty\\":2,"}',
    ].join('\n');
    // WHEN routed
    const { curated } = await route(TX, body);
    // THEN the first keeps its text (readers parse 1.50 as the validated 1.5), the second is re-serialised
    expect(curated.lines[0]).toBe('{"txn_id":"r1","amount":1.50,"qty":2,"currency":"EUR","_source_key":"tx/file","_source_etag":"abc123","_line":1}');
    expect(curated.lines[1]).toBe('{"txn_id":"r2","amount":1,"qty":2,"currency":"EUR","note":"\\"qty\\":2,","_source_key":"tx/file","_source_etag":"abc123","_line":2}');
  });

  it('the duplicate-id check sees the id that was validated', async () => {
    // GIVEN the same id twice, once written with a \u escape
    const body = ['{"txn_id":"x1","amount":1,"currency":"EUR"}', '{"txn_id":"\\u00781","amount":1,"currency":"EUR"}'].join('\n');
    const { curated, quarantine } = await route(TX, body);
    expect(curated.json.map((c) => c.txn_id)).toEqual(['x1']);
    expect(quarantine.json[0]!.reasons).toEqual([{ field: 'txn_id', rule: 'duplicate-record-id', value: 'x1' }]);
  });
});

describe('regression: an oversized CSV record is quarantined with no content (issue #18, defect 3)', () => {
  it('a stray quote swallowing 60,000 rows keeps an excerpt, its byte range and the lines it spans', async () => {
    // GIVEN a good row, then a stray opening quote followed by > 1 MiB of rows with no closing quote
    const rows = Array.from({ length: 60_000 }, (_, i) => `${i + 3},name ${i},1.5`);
    const body = `id,name,score\n1,ok,2\n2,"stray,0.5\n${rows.join('\n')}\n`;
    // WHEN routed
    const { curated, quarantine, stats } = await route(CSV, body);
    // THEN one record-too-large that says what it swallowed, and where
    expect(curated.json.map((c) => c.id)).toEqual([1]);
    const q = quarantine.json;
    expect(q).toHaveLength(1);
    expect(q[0]!.reasons).toEqual([{ rule: 'record-too-large' }]);
    // (the excerpt: the first 100 characters of the record's content, quotes removed)
    expect(q[0]!.excerpt).toBe(`2,stray,0.5\n${rows.join('\n')}`.slice(0, 100));
    expect(q[0]!.excerpt).toMatch(/^2,stray,0\.5\n3,name 0,1\.5\n/);
    const start = Buffer.byteLength('id,name,score\n1,ok,2\n');
    expect(q[0]!.source).toMatchObject({ line: 3, lines: 60_002, bytes: [start, Buffer.byteLength(body)] });
    // AND the object is flagged: the records spanning several lines and their lines are counted
    expect(stats.spanning).toEqual({ records: 1, lines: 60_002, first: { line: 3, lines: 60_002, bytes: [start, Buffer.byteLength(body)] } });
    expect(stats.recordsIn).toBe(stats.curated + stats.quarantined);
  });
});

describe('regression: reasons say what the source said (issue #18, defects 4 and 5)', () => {
  it('1e400 is reported with its source token, not as null', async () => {
    const { quarantine } = await route(TX, '{"txn_id":"i1","amount":1e400,"currency":"EUR"}');
    expect(quarantine.json[0]!.reasons).toEqual([{ field: 'amount', rule: 'type-mismatch', token: '1e400' }]);
    // and in CSV the value is the text
    const csv = await route(CSV, 'id,name,score\n1,a,1e400\n');
    expect(csv.quarantine.json[0]!.reasons).toEqual([{ field: 'score', rule: 'type-mismatch', value: '1e400' }]);
  });

  it('a forbidden key is named by the key that is forbidden, the outermost first', async () => {
    const { quarantine } = await route(TX, '{"txn_id":"f1","amount":1,"currency":"EUR","constructor":{"prototype":{"x":1}}}');
    expect(quarantine.json[0]!.reasons).toEqual([{ field: 'constructor', rule: 'forbidden-key', value: '$.constructor' }]);
  });
});

describeWithMoto('regression: the manifest and a metric flag an object whose quarantine hides lines (issue #18, defect 3)', (moto) => {
  let h: Harness;
  beforeAll(async () => {
    h = await createHarness(moto.endpoint);
  });
  afterAll(() => h?.restore());

  it('sets manifest.attention and QuarantinedSpannedLines', async () => {
    // GIVEN a CSV object with a stray quote that swallows the rest of the file
    await putSchema(h, { ...CSV, name: 'stray' });
    const key = 'stray/f.csv';
    const body = `id,name,score\n1,ok,2\n2,"stray,0.5\n${Array.from({ length: 60_000 }, (_, i) => `${i + 3},n,1`).join('\n')}\n`;
    const etag = await putRaw(h, key, body);
    h.output.length = 0;
    // WHEN ingested
    await handler(eventFor({ key, etag }));
    // THEN
    const manifest = await readManifest(h.s3, 'stray', key, etag);
    expect(manifest).toMatchObject({ recordsIn: 2, curated: 1, quarantined: 1, attention: { reason: 'quarantined-records-span-lines', records: 1, lines: 60_002, first: { line: 3 } } });
    expect(h.emf()[0]).toMatchObject({ RecordsQuarantined: 1, QuarantinedSpannedLines: 60_002 });
    const keys = outputKeys('stray', key, etag);
    expect((await readJsonLines(h.s3, QUARANTINE, keys.quarantine))[0]!.source.bytes).toEqual([21, Buffer.byteLength(body)]);
    expect(await readJsonLines(h.s3, CURATED, keys.curated)).toHaveLength(1);
  });
});

// ---------------------------------------------------------------------------
// Properties

/** Split a buffer at the given fractions (chunk boundaries may cut UTF-8 sequences). */
function split(buf: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => Math.floor(c * buf.length)))].filter((c) => c > 0 && c < buf.length).sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of at) {
    out.push(buf.subarray(prev, c));
    prev = c;
  }
  out.push(buf.subarray(prev));
  return out;
}

const goodJson = fc.record({
  txn_id: fc.string({ maxLength: 8 }),
  amount: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.double({ min: 0, max: 1e6, noNaN: true })),
  currency: fc.constantFrom('EUR', 'USD', 'GBP'),
  qty: fc.oneof(fc.constant(null), fc.integer({ min: -2, max: 5 })),
  note: fc.string({ maxLength: 12 }),
});
/** A JSONL line: valid, or mutated (cut, duplicated key, forbidden key, big exponents, garbage, non-ASCII). */
const jsonLine = fc.oneof(
  goodJson.map((o) => JSON.stringify(o)),
  fc.tuple(goodJson, fc.double({ min: 0, max: 1, noNaN: true })).map(([o, f]) => { const s = JSON.stringify(o); return s.slice(0, Math.floor(s.length * f)); }),
  goodJson.map((o) => `${JSON.stringify(o).slice(0, -1)},"amount":"x"}`),
  goodJson.map((o) => `${JSON.stringify(o).slice(0, -1)},"meta":{"constructor":{"prototype":1}}}`),
  goodJson.map((o) => JSON.stringify(o).replace(/"amount":[^,}]+/, '"amount":1e400')),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map((s) => JSON.stringify({ txn_id: s, amount: 1, currency: 'EUR', [s]: s })),
);
const csvField = fc.oneof(fc.string({ maxLength: 6 }), fc.integer().map(String), fc.constantFrom('"', '""', '"a,b"', 'é', '1e400', ''));
const csvLine = fc.array(csvField, { minLength: 1, maxLength: 4 }).map((f) => f.join(','));

interface Outcome {
  stats: { recordsIn: number; curated: number; quarantined: number };
  curated: MemoryWriter;
  quarantine: MemoryWriter;
}

async function routeOrUnreadable(schema: DatasetSchema, chunks: Buffer[]): Promise<Outcome | 'unreadable'> {
  try {
    return await route(schema, Buffer.alloc(0), chunks);
  } catch (err) {
    if (err instanceof UnreadableDataError) return 'unreadable';
    throw err;
  }
}

function checkConservation(o: Outcome | 'unreadable', decoded: Buffer | undefined): void {
  if (o === 'unreadable') return;
  expect(o.stats.recordsIn).toBe(o.stats.curated + o.stats.quarantined);
  expect(o.curated.lines).toHaveLength(o.stats.curated);
  expect(o.quarantine.lines).toHaveLength(o.stats.quarantined);
  for (const q of o.quarantine.json) {
    expect(q.reasons.length).toBeGreaterThan(0);
    for (const r of q.reasons) expect(typeof r.rule).toBe('string');
    expect(typeof q.excerpt).toBe('string');
    const [start, end] = q.source.bytes as [number, number];
    expect(0 <= start && start <= end).toBe(true);
    if (decoded !== undefined) expect(end).toBeLessThanOrEqual(decoded.length);
  }
  for (const c of o.curated.lines) expect(scanKeys(c, FORBIDDEN_KEYS)).toEqual({});
}

describe('ingest properties (fast-check, fixed seed, bounded runs)', () => {
  const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });

  it('JSONL: random and mutated lines conserve records, every quarantined record has a reason, an excerpt and its bytes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(jsonLine, { maxLength: 25 }), cuts, fc.boolean(), async (lines, at, crlf) => {
        const body = Buffer.from(lines.join(crlf ? '\r\n' : '\n'));
        const o = await routeOrUnreadable(TX, split(body, at));
        checkConservation(o, body);
        if (o === 'unreadable') return;
        // and each JSONL quarantine range starts with its excerpt
        for (const q of o.quarantine.json) {
          const [start, end] = q.source.bytes as [number, number];
          expect(body.subarray(start, end).toString('utf8').startsWith(q.excerpt)).toBe(true);
        }
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('CSV: random and mutated rows conserve records and keep reasons, excerpts and byte ranges', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(csvLine, { maxLength: 25 }), cuts, async (rows, at) => {
        const body = Buffer.from(['id,name,score', ...rows].join('\n'));
        checkConservation(await routeOrUnreadable(CSV, split(body, at)), body);
      }),
      { seed: SEED, numRuns: 150 },
    );
  });

  it('gzip framing: the same records gzipped (whole, truncated or corrupted) conserve or the object is unreadable', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(jsonLine, { minLength: 1, maxLength: 15 }), cuts, fc.constantFrom('whole', 'truncated', 'corrupted'), async (lines, at, how) => {
        const plain = Buffer.from(lines.join('\n'));
        let gz = gzipSync(plain);
        if (how === 'truncated') gz = gz.subarray(0, Math.max(2, gz.length - 5));
        if (how === 'corrupted') {
          gz = Buffer.from(gz);
          gz[Math.floor(gz.length / 2)]! ^= 0xff;
        }
        const o = await routeOrUnreadable(TX, split(gz, at));
        checkConservation(o, how === 'whole' ? plain : undefined);
        if (how === 'whole' && o !== 'unreadable') {
          // gzip is transparent: the same outcome as the plain object
          const p = await routeOrUnreadable(TX, [plain]);
          expect(p !== 'unreadable' && [p.curated.lines, p.quarantine.lines]).toEqual([o.curated.lines, o.quarantine.lines]);
        }
      }),
      { seed: SEED, numRuns: 100 },
    );
  });
});
