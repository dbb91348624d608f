/**
 * The ingest fast paths of issue #17 against the paths they bypass, byte for
 * byte, on random input with the nasty cases (quotes, `""`, escapes, control
 * characters, unicode and lone surrogates, CR / CRLF, duplicate ids,
 * reserved and additive columns):
 *  - a CSV row the parser marks `plain` (no field JSON must escape) is
 *    curated without the per-value escape check: the router's output must
 *    be what it writes when every value is checked;
 *  - a JSON record whose `":` pairs are as many as its parsed keys, with no
 *    blank after a quote, skips the key-token count: the result must be the
 *    key scan's on random records with repeated keys at any depth;
 *  - the duplicate-id table keeps hash bits beside each slot's entry index,
 *    and keeps no slot table at all while ids come in increasing order: it
 *    must still answer as a Map, also when ids share those bits, repeat the
 *    last id, or leave the order after many ids (and after the bound).
 */

import fc from 'fast-check';
import { CsvParser, CsvRow } from '../../../lambdas/ingest/csv-parser';
import { DatasetSchema, parseDatasetSchema } from '../../../lambdas/ingest/dataset-schema';
import { IdTable, idHash } from '../../../lambdas/ingest/id-table';
import { parseJsonRecord, parseJsonRecordKeys } from '../../../lambdas/ingest/json-record';
import { RecordRouter } from '../../../lambdas/ingest/record-router';
import { compileSchema } from '../../../lambdas/ingest/validator';
import { chunkedAtCodePoints } from '../../support/chunks';
import { mapReference } from '../../support/id-table-reference';

const SEED = 1717;
const SOURCE = { bucket: 'raw', key: 'm/file.csv', etag: 'e1' };

class MemoryWriter {
  lines: string[] = [];
  write(line: string): undefined {
    this.lines.push(line);
    return undefined;
  }
}

/** Pieces a CSV line is made of: delimiters, quotes, escapes, unicode, control characters. */
const CSV_PIECE = fc.constantFrom(
  'a', 'b', '7', '-1', '2.5', 'x y', '', ',', ',', ',', '"', '""', '"q"', '"a,b"', '\\', '\\"', '\t', '\u0001', '\u001f',
  'é', '€', '😀', '\ud800', '\udc00', '\r', '\n', '\r\n', 'true', '_line',
);
/** The same without what JSON escapes but quotes (one such character anywhere leaves its whole chunk unmarked). */
const CLEAN_PIECE = fc.constantFrom('a', 'b', '7', '2.5', 'x y', '', ',', ',', ',', '"', '""', '"q"', '"a,b"', 'é', '€', '😀', '\r', '\r\n', 'true');
const CSV_TEXT = fc.oneof(
  fc.array(fc.array(CSV_PIECE, { maxLength: 12 }).map((p) => p.join('')), { maxLength: 30 }),
  fc.array(fc.array(CLEAN_PIECE, { maxLength: 12 }).map((p) => p.join('')), { maxLength: 30 }),
);


const chunkedKeepingEmpty = (text: string, cuts: number[]) => chunkedAtCodePoints(text, cuts, true);

function parseRows(pieces: string[]): CsvRow[] {
  const parser = new CsvParser();
  const rows: CsvRow[] = [];
  for (const piece of pieces) rows.push(...parser.push(piece));
  rows.push(...parser.end());
  return rows;
}

/** The row as a plain record without the parser's `plain` mark: the router checks every value. */
function unmarked(row: CsvRow): CsvRow {
  const copy: CsvRow = { fields: row.fields, line: row.line, lines: row.lines, bytes: row.bytes };
  if (row.excerpt !== undefined) copy.excerpt = row.excerpt;
  if (row.error !== undefined) copy.error = row.error;
  return copy;
}

const MERCHANTS: DatasetSchema = {
  name: 'm',
  version: 1,
  format: 'csv',
  recordIdField: 'id',
  duplicatePolicy: 'reject',
  fields: [
    { name: 'id', type: 'string', required: true, nullable: false, maxLength: 8 },
    { name: 'name', type: 'string', required: true, nullable: false },
    { name: 'tier', type: 'integer', required: false, min: 1, max: 5 },
    { name: 'flag', type: 'boolean', required: false },
  ],
};

function routeAll(header: string, rows: CsvRow[]) {
  const curated = new MemoryWriter();
  const quarantine = new MemoryWriter();
  const router = new RecordRouter(compileSchema(parseDatasetSchema(MERCHANTS)), SOURCE, curated, quarantine);
  router.csvHeader({ fields: header.split(','), line: 1 });
  for (const row of rows) router.csvRow(row);
  const { additiveFields, breakingFields, ...stats } = router.stats;
  return { curated: curated.lines, quarantine: quarantine.lines, stats: JSON.stringify({ ...stats, additiveFields: [...additiveFields], breakingFields: [...breakingFields] }) };
}

describe('CSV rows marked plain by the parser', () => {
  it('hold no field that JSON must escape, whatever the input and its chunking', () => {
    let plainRows = 0;
    fc.assert(
      fc.property(CSV_TEXT, fc.array(fc.nat(), { maxLength: 4 }), (lines, cuts) => {
        for (const row of parseRows(chunkedKeepingEmpty(lines.join('\n'), cuts))) {
          if (row.plain !== true) continue;
          plainRows++;
          for (const field of row.fields) expect(JSON.stringify(field)).toBe(`"${field}"`);
        }
      }),
      { seed: SEED, numRuns: 400 },
    );
    // not vacuous: clean rows are marked
    expect(plainRows).toBeGreaterThan(100);
    expect(parseRows(['a,"b, c",d\n']).map((r) => r.plain)).toEqual([true]);
    expect(parseRows(['a,"b "" c",d\na,b"c,d\n']).map((r) => r.plain)).toEqual([false, false]);
    // a quote at the end of an unquoted field, or of the last one
    expect(parseRows(['a",b\n', 'x,"y",ab"\n']).map((r) => r.plain)).toEqual([false, false]);
    // a backslash or a tab anywhere in the chunk
    expect(parseRows(['a\\b,c\n', 'a\tb\n']).map((r) => r.plain)).toEqual([false, false]);
  });

  it('are curated and quarantined byte for byte as when every value is checked', () => {
    const headers = fc.constantFrom('id,name,tier,flag', 'id,name,tier,flag,extra', 'name,id,extra,tier', 'id,name,_line', 'id,name,tier,flag,"odd"');
    fc.assert(
      fc.property(headers, CSV_TEXT, fc.array(fc.nat(), { maxLength: 4 }), (header, lines, cuts) => {
        // ids from a small set, so duplicates are common
        const rows = parseRows(chunkedKeepingEmpty(lines.join('\n'), cuts));
        const marked = routeAll(header, rows);
        const checked = routeAll(header, rows.map(unmarked));
        expect(marked).toEqual(checked);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('a realistic file: its rows are marked and curated as the checked path writes it', () => {
    const text = Array.from({ length: 300 }, (_, i) => `m-${i % 250},"Merchant ${i}, Ltd",${1 + (i % 5)},${i % 2 === 0}`).join('\r\n');
    const rows = parseRows(chunkedKeepingEmpty(text, [17, 4000, 9000]));
    // all but the rows cut by a chunk boundary and the last one (no line break after it)
    expect(rows.filter((r) => r.plain === true).length).toBeGreaterThanOrEqual(296);
    const marked = routeAll('id,name,tier,flag', rows);
    expect(marked).toEqual(routeAll('id,name,tier,flag', rows.map(unmarked)));
    expect(marked.quarantine.length).toBe(50); // the repeated ids
  });
});


/** The order IdTable keeps while ids increase: longer, or as long and greater by code units. */
function byLengthThenUnits(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

describe('IdTable while ids come in order, and when they stop', () => {
  it('answers as a Map for increasing ids with repeats of the last one, and after an id out of order', () => {
    const ids = fc.uniqueArray(fc.string({ maxLength: 4, unit: 'binary' }), { maxLength: 600 }).map((l) => l.sort(byLengthThenUnits));
    // edits: repeat the id at i right after it, or put an earlier id (out of order) after i
    const edits = fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean()), { maxLength: 6 });
    fc.assert(
      fc.property(ids, edits, fc.integer({ min: 0, max: 700 }), (sorted, changes, maxIds) => {
        const list = [...sorted];
        for (const [at, from, repeatLast] of changes) {
          if (list.length === 0) break;
          const i = at % list.length;
          list.splice(i + 1, 0, repeatLast ? list[i]! : list[from % (i + 1)]!);
        }
        const table = new IdTable(maxIds);
        expect(list.map((id, line) => table.observe(id, line))).toEqual(mapReference(list, maxIds).answers);
        expect(table.size).toBe(Math.min(new Set(list).size, maxIds));
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('300,000 increasing ids, then each looked up again out of order, find their first line', () => {
    const table = new IdTable(2_000_000);
    let seen = 0;
    for (let i = 0; i < 300_000; i++) if (table.observe(`t-${i}`, i + 2) !== undefined) seen++;
    expect(seen).toBe(0);
    expect(table.observe('t-299999', 1)).toBe(300_001); // the last one again: still in order
    for (const i of [0, 9, 10, 99_999, 299_998, 150_000]) expect(table.observe(`t-${i}`, 0)).toBe(i + 2);
    expect(table.observe('t-300000', 7)).toBeUndefined();
    expect(table.observe('t-300000', 8)).toBe(7);
    expect(table.size).toBe(300_001);
    expect(table.degraded).toBe(false);
  });
});

describe('IdTable with hash bits in its slots', () => {
  it('answers as a Map when many ids share the home slot and the slot hash bits (in table mode)', () => {
    // maxIds 2^29 - 1 leaves the top 3 hash bits in each slot: ids sharing the home slot
    // (h & 1023) and those bits are found often; 40 of them stay under the probe bound.
    const seed = 99;
    const same: string[] = [];
    for (let i = 0; same.length < 40; i++) {
      const h = idHash(`s${i}`, seed);
      if ((h & 1023) === 5 && h >>> 29 === 3) same.push(`s${i}`);
    }
    const table = new IdTable(2 ** 29 - 1, seed);
    const list = [...same, ...same.slice().reverse(), 'other', same[7]!];
    expect(list.map((id, line) => table.observe(id, line))).toEqual(mapReference(list, 2 ** 29 - 1).answers);
    expect(table.degraded).toBe(false);
  });

  it('answers as a Map with no room for hash bits (maxIds 2^31 and more) and with one id allowed', () => {
    const ids = fc.array(fc.string({ maxLength: 3, unit: 'grapheme' }), { maxLength: 2000 });
    fc.assert(
      fc.property(ids, fc.constantFrom(1, 2 ** 31 - 1, 2 ** 31, 2 ** 40), (list, maxIds) => {
        const table = new IdTable(maxIds);
        expect(list.map((id, line) => table.observe(id, line))).toEqual(mapReference(list, maxIds).answers);
      }),
      { seed: SEED, numRuns: 40 },
    );
  });
});

/** JSON text with any key order, repeated keys at any depth, and blanks anywhere between tokens. */
type Spec = { pairs: Array<[string, Spec | string | number | boolean | null]> } | Spec[];
const KEY = fc.constantFrom('a', 'b', 'a', '', ':', '":', 'x y', 'é', 'k\\', 'q"', 'amount', 'ts');
const STRING_VALUE = fc.constantFrom('', ':', '":', ':x', 'a:b', '2026-11-20T08:01:00Z', ' ', '"', '\\', '\\":', '😀', '\u0001', 'x" :');
const BLANK = fc.constantFrom('', '', '', ' ', '\t', '\r\n', '  ');
const SPEC: fc.Arbitrary<Spec> = fc.letrec<{ spec: Spec }>((tie) => ({
  spec: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ pairs: fc.array(fc.tuple(KEY, fc.oneof(STRING_VALUE, fc.double(), fc.integer(), fc.boolean(), fc.constant(null), tie('spec'))), { maxLength: 5 }) }),
    fc.array(tie('spec'), { maxLength: 3 }),
  ),
})).spec;

function render(spec: Spec | string | number | boolean | null, blanks: string[], at = { i: 0 }): string {
  const blank = () => blanks[at.i++ % blanks.length] ?? '';
  if (spec === null || typeof spec !== 'object') return typeof spec === 'number' && !Number.isFinite(spec) ? '0' : JSON.stringify(spec);
  if (Array.isArray(spec)) return `[${blank()}${spec.map((s) => render(s, blanks, at)).join(`${blank()},${blank()}`)}${blank()}]`;
  return `{${blank()}${spec.pairs.map(([k, v]) => `${JSON.stringify(k)}${blank()}:${blank()}${render(v, blanks, at)}`).join(`${blank()},${blank()}`)}${blank()}}`;
}

describe('the JSON duplicate-key pre-check', () => {
  it('parseJsonRecordKeys gives what parseJsonRecord (the key scan every time) gives, on random records', () => {
    let duplicates = 0;
    let fast = 0;
    fc.assert(
      fc.property(SPEC, fc.array(BLANK, { minLength: 1, maxLength: 8 }), (spec, blanks) => {
        const text = render(Array.isArray(spec) ? { pairs: [['a', spec]] } : spec, blanks);
        const reference = parseJsonRecord(text);
        const result = parseJsonRecordKeys(text);
        if (reference.kind === 'duplicate-key') duplicates++;
        if (reference.kind === 'ok') {
          fast++;
          expect(result.kind).toBe('ok');
          if (result.kind === 'ok') {
            expect(result.value).toEqual(reference.value);
            expect(result.keys).toEqual(Object.keys(reference.value));
          }
        } else expect(result).toEqual(reference);
      }),
      { seed: SEED, numRuns: 3000 },
    );
    // both outcomes are common: the property is not vacuous
    expect(duplicates).toBeGreaterThan(300);
    expect(fast).toBeGreaterThan(300);
  });

  it('finds a repeated key hidden by blanks, by strings that hold colons, or by escaped colons', () => {
    // (an escaped colon is a colon in the parsed string but not in the text)
    for (const text of ['{"a":1,"a" :2}', '{"a":":","a"\t:2}', '{"x":{"a":1,"a"\r\n:2}}', '{"a":"\\":","a":1}', '{"s":":a","a":1,"a":2}', '{"a":"\\u003a","a":"\\u003a"}', '{"\\u003a":1,"\\u003a":2}']) {
      expect(parseJsonRecordKeys(text)).toEqual(parseJsonRecord(text));
      expect(parseJsonRecordKeys(text).kind).toBe('duplicate-key');
    }
    expect(parseJsonRecordKeys('{"a":":x","b" :1}').kind).toBe('ok');
  });
});
