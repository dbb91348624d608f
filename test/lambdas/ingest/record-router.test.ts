import { Readable } from 'node:stream';
import { DatasetSchema, parseDatasetSchema } from '../../../lambdas/ingest/dataset-schema';
import { UnreadableDataError } from '../../../lambdas/ingest/errors';
import { streamRecords } from '../../../lambdas/ingest/process-object';
import { RecordRouter } from '../../../lambdas/ingest/record-router';
import { compileSchema } from '../../../lambdas/ingest/validator';

const SOURCE = { bucket: 'raw', key: 'ds/file.csv', etag: 'abc123' };

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

async function run(schema: Partial<DatasetSchema> & Pick<DatasetSchema, 'format' | 'fields'>, text: string) {
  const cs = compileSchema(parseDatasetSchema({ name: 'ds', version: 2, ...schema }));
  const curated = new MemoryWriter();
  const quarantine = new MemoryWriter();
  const router = new RecordRouter(cs, SOURCE, curated, quarantine);
  await streamRecords(Readable.from([Buffer.from(text)]), schema.format, router, { sourceBytes: 0, gzip: false });
  return { curated: curated.json, quarantine: quarantine.json, stats: router.stats };
}

const csvFields: DatasetSchema['fields'] = [
  { name: 'id', type: 'integer', required: true },
  { name: 'name', type: 'string', required: true },
  { name: 'score', type: 'number' },
];

describe('RecordRouter (in memory)', () => {
  it('CSV: coerces types, keeps extra columns as text, adds source metadata', async () => {
    // GIVEN a CSV with an extra column "note" not in the schema
    // WHEN the object is routed
    const { curated, quarantine, stats } = await run(
      { format: 'csv', fields: csvFields },
      'id,name,score,note\n1,ann,2.5,hi\n2,bob,,\n',
    );
    // THEN records are typed, the extra column is kept, and it is reported as additive drift
    expect(quarantine).toEqual([]);
    expect(curated).toEqual([
      { id: 1, name: 'ann', score: 2.5, note: 'hi', _source_key: 'ds/file.csv', _source_etag: 'abc123', _line: 2 },
      { id: 2, name: 'bob', score: null, note: '', _source_key: 'ds/file.csv', _source_etag: 'abc123', _line: 3 },
    ]);
    expect([...stats.additiveFields]).toEqual(['note']);
    expect(stats.breakingRecords).toBe(0);
  });

  it('CSV: a header missing a required column quarantines every row as breaking drift', async () => {
    // GIVEN the header lacks required "name"
    // WHEN the object is routed
    const { curated, quarantine, stats } = await run({ format: 'csv', fields: csvFields }, 'id,score\n1,2\n2,3\n');
    // THEN both rows are quarantined with missing-required and the original values
    expect(curated).toEqual([]);
    expect(quarantine).toHaveLength(2);
    expect(quarantine[0]).toEqual({
      source: { ...SOURCE, line: 2, lines: 1, bytes: [9, 12] },
      reasons: [{ field: 'name', rule: 'missing-required' }],
      excerpt: '1,2',
      record: { id: '1', score: '2' },
    });
    expect(stats.breakingRecords).toBe(2);
    expect(stats.breakingRules).toEqual({ 'missing-required': 2, 'type-mismatch': 0 });
    expect([...stats.breakingFields]).toEqual(['name']);
  });

  it('CSV: rows with the wrong number of columns are quarantined with the raw fields', async () => {
    // GIVEN one short and one long row
    // WHEN the object is routed
    const { curated, quarantine } = await run({ format: 'csv', fields: csvFields }, 'id,name\n1\n2,b,x\n3,c\n');
    // THEN they are quarantined as column-count, the good row is curated
    expect(curated.map((r) => r.id)).toEqual([3]);
    expect(quarantine.map((q) => [q.reasons[0].rule, q.raw])).toEqual([
      ['column-count', ['1']],
      ['column-count', ['2', 'b', 'x']],
    ]);
  });

  it('CSV: a __proto__ header column quarantines rows without polluting prototypes', async () => {
    // GIVEN a header with a __proto__ column
    // WHEN the object is routed
    const { curated, quarantine } = await run(
      { format: 'csv', fields: csvFields },
      'id,name,__proto__\n1,a,{"polluted":true}\n',
    );
    // THEN the row is quarantined as forbidden-key and Object.prototype is untouched
    expect(curated).toEqual([]);
    expect(quarantine[0]!.reasons).toEqual([{ field: '__proto__', rule: 'forbidden-key' }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('CSV: rejects files whose first row is not a header, or whose header is ambiguous', async () => {
    // GIVEN a CSV without header row, one with a duplicate column, one with an empty column name
    const cases: Array<[string, string]> = [
      ['1,ann,2.5\n2,bob,3\n', 'csv-missing-header'],
      ['id,name,id\n1,a,2\n', 'csv-invalid-header'],
      ['id,,name\n1,2,3\n', 'csv-invalid-header'],
    ];
    for (const [text, rule] of cases) {
      // WHEN processed
      const err = await run({ format: 'csv', fields: csvFields }, text).catch((e: unknown) => e);
      // THEN the whole object is unreadable with the right rule
      expect(err).toBeInstanceOf(UnreadableDataError);
      expect((err as UnreadableDataError).rule).toBe(rule);
    }
  });

  it('JSONL: malformed lines, non-objects and reserved keys are quarantined with their rule', async () => {
    // GIVEN a mix of bad lines around one good line
    const text = ['{"id":1,"name":"a"}', '{"id":2,', '[1]', '{"id":3,"name":"c","_line":9}', ''].join('\n');
    // WHEN the object is routed
    const { curated, quarantine, stats } = await run({ format: 'jsonl', fields: csvFields }, text);
    // THEN only the good one is curated, each bad one has its rule
    expect(curated).toEqual([{ id: 1, name: 'a', _source_key: 'ds/file.csv', _source_etag: 'abc123', _line: 1 }]);
    expect(quarantine.map((q) => q.reasons[0].rule)).toEqual(['malformed-json', 'not-an-object', 'reserved-key']);
    expect(quarantine[0]!.raw).toBe('{"id":2,');
    expect(quarantine[2]!.record).toEqual({ id: 3, name: 'c', _line: 9 });
    expect(stats.recordsIn).toBe(4);
  });

  it('JSONL: curated output preserves the raw text of unknown fields (big integers keep their digits)', async () => {
    // GIVEN an additive field holding an integer beyond 2^53
    const cs = compileSchema(parseDatasetSchema({ name: 'ds', version: 1, format: 'jsonl', fields: csvFields }));
    const w = new MemoryWriter();
    const r = new RecordRouter(cs, SOURCE, w, new MemoryWriter());
    // WHEN routed
    await r.jsonLine({ text: '{"id":1,"name":"a","big":12345678901234567890}', line: 1 });
    // THEN the curated line still contains the exact digits (JSON.parse would have rounded them)
    const raw = w.lines[0]!;
    expect(raw).toContain('"big":12345678901234567890');
    expect(raw).toMatch(/"_line":1}$/);
  });

  it('truncates reason values to 100 characters', async () => {
    // GIVEN a 500-char value violating maxLength
    // WHEN the object is routed
    const { quarantine } = await run(
      { format: 'jsonl', fields: [{ name: 's', type: 'string', maxLength: 3 }] },
      JSON.stringify({ s: 'z'.repeat(500) }),
    );
    // THEN the excerpt is 100 chars, the full record is still kept
    expect(quarantine[0]!.reasons[0].value).toHaveLength(100);
    expect(quarantine[0]!.record.s).toHaveLength(500);
  });

  describe('duplicate record ids', () => {
    const text = ['{"id":1,"name":"a"}', '{"id":2,"name":"b"}', '{"id":1,"name":"c"}', '{"id":1,"name":"d"}', '{"id":3,"name":"e"}'].join('\n');

    it('keep-first: first occurrence curated, later ones quarantined, nothing extra recorded', async () => {
      // GIVEN id 1 appearing three times under keep-first
      // WHEN the object is routed
      const { curated, quarantine, stats } = await run(
        { format: 'jsonl', fields: csvFields, recordIdField: 'id', duplicatePolicy: 'keep-first' },
        text,
      );
      // THEN a, b, e are curated; c and d quarantined with duplicate-record-id
      expect(curated.map((r) => r.name)).toEqual(['a', 'b', 'e']);
      expect(quarantine.map((q) => [q.record.name, q.reasons])).toEqual([
        ['c', [{ field: 'id', rule: 'duplicate-record-id', value: 1 }]],
        ['d', [{ field: 'id', rule: 'duplicate-record-id', value: 1 }]],
      ]);
      expect(stats.duplicates).toMatchObject({ policy: 'keep-first', quarantinedRecords: 2, idsSeen: [], idsSeenCount: 0 });
    });

    it('reject: same routing, and the first occurrence is listed as duplicate-id-seen', async () => {
      // GIVEN the same data under reject
      // WHEN the object is routed
      const { curated, quarantine, stats } = await run(
        { format: 'jsonl', fields: csvFields, recordIdField: 'id', duplicatePolicy: 'reject' },
        text,
      );
      // THEN routing matches keep-first (the first record was already streamed out) ...
      expect(curated.map((r) => r.name)).toEqual(['a', 'b', 'e']);
      expect(quarantine).toHaveLength(2);
      // ... and the manifest data flags id 1's first occurrence (line 1)
      expect(stats.duplicates).toMatchObject({
        policy: 'reject',
        quarantinedRecords: 2,
        idsSeen: [{ id: '1', firstLine: 1, rule: 'duplicate-id-seen' }],
        idsSeenCount: 1,
      });
    });

    it('past maxTrackedIds: ids still checked against those stored, the ids not stored counted', async () => {
      // GIVEN a router that stores 2 ids, and ids 1, 2, 1, 3, 3 (CSV) and 1, 2, 1, 1, 3 (JSONL)
      for (const [format, body, untracked] of [
        ['csv', 'id,name\n1,a\n2,b\n1,c\n3,d\n3,e\n', 2],
        ['jsonl', text, 1],
      ] as const) {
        const cs = compileSchema(parseDatasetSchema({ name: 'ds', version: 1, format, fields: csvFields, recordIdField: 'id' }));
        const curated = new MemoryWriter();
        const router = new RecordRouter(cs, SOURCE, curated, new MemoryWriter(), 2);
        // WHEN routed
        await streamRecords(Readable.from([Buffer.from(body)]), format, router, { sourceBytes: 0, gzip: false });
        // THEN the repeat of id 1 is caught; id 3 was not stored (its repeat is curated), and the stats say how often
        expect(router.stats.duplicates).toMatchObject({ quarantinedRecords: format === 'csv' ? 1 : 2, trackingTruncated: true, idsUntracked: untracked });
      }
    });

    it('works for CSV after type coercion', async () => {
      // GIVEN CSV ids "7" and "07" (both integer 7 after coercion)
      // WHEN the object is routed
      const { curated, quarantine } = await run(
        { format: 'csv', fields: csvFields, recordIdField: 'id' },
        'id,name\n7,a\n07,b\n',
      );
      // THEN the second is a duplicate
      expect(curated.map((r) => r.name)).toEqual(['a']);
      expect(quarantine[0]!.reasons[0].rule).toBe('duplicate-record-id');
    });
  });

  it('conserves records: recordsIn = curated + quarantined on random mixed input', async () => {
    // GIVEN 2,000 random lines mixing valid, invalid and malformed records
    let seed = 7;
    const rnd = (n: number) => (seed = (seed * 48271) % 2147483647) % n;
    const lines: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const k = rnd(6);
      if (k === 0) lines.push('{broken');
      else if (k === 1) lines.push(JSON.stringify({ id: 'x', name: 'wrong type' }));
      else if (k === 2) lines.push('');
      else lines.push(JSON.stringify({ id: i, name: `n${i}`, extra: k }));
    }
    // WHEN routed
    const { curated, quarantine, stats } = await run({ format: 'jsonl', fields: csvFields }, lines.join('\n'));
    // THEN nothing is lost or duplicated
    const nonBlank = lines.filter((l) => l !== '').length;
    expect(stats.recordsIn).toBe(nonBlank);
    expect(curated.length + quarantine.length).toBe(nonBlank);
    expect(stats.curated).toBe(curated.length);
    expect(stats.quarantined).toBe(quarantine.length);
    expect(new Set(curated.map((r) => r._line)).size).toBe(curated.length);
  });

  it('bounds what it remembers about additive fields', async () => {
    // GIVEN 1,500 distinct unknown keys, one of them 10,000 characters long
    const long = 'k'.repeat(10_000);
    const lines = Array.from({ length: 1500 }, (_, i) => JSON.stringify({ id: i, name: 'n', [i === 0 ? long : `extra_${i}`]: 1 }));
    // WHEN routed
    const { stats, curated } = await run({ format: 'jsonl', fields: csvFields }, lines.join('\n'));
    // THEN records are still curated with their columns, but at most 1,000 names (each <= 257 chars) are tracked
    expect(curated).toHaveLength(1500);
    expect(stats.additiveFields.size).toBe(1000);
    expect(stats.additiveTruncated).toBe(true);
    expect([...stats.additiveFields][0]).toBe(`${'k'.repeat(256)}…`);
  });
});
