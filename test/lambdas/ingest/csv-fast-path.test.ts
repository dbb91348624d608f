/**
 * The CSV parser's fast path (a record on its own line, split with indexOf /
 * split) against its state machine (the same parser built with fastPath
 * false), on random input fed in the same chunks: every row, with its line,
 * line count, byte range, error and excerpt, must be the same.
 */
import fc from 'fast-check';
import { CsvParser, CsvRow, parseCsv, splitLine } from '../../../lambdas/ingest/csv-parser';
import { chunkedAtCodePoints } from '../../support/chunks';

interface Seen {
  fields: string[];
  line: number;
  lines: number | undefined;
  bytes: [number, number] | undefined;
  error: string | undefined;
  excerpt: string | undefined;
}

/** Everything a row says, accessors included (toEqual alone skips them). */
function seen(rows: CsvRow[]): Seen[] {
  return rows.map((r) => ({ fields: r.fields, line: r.line, lines: r.lines, bytes: r.bytes, error: r.error, excerpt: r.excerpt }));
}

function parseIn(pieces: string[], maxRecordChars?: number, fastPath = true): { rows: CsvRow[]; fastRows: number } {
  const p = new CsvParser(maxRecordChars, 0, fastPath);
  const rows: CsvRow[] = [];
  for (const piece of pieces) rows.push(...p.push(piece));
  rows.push(...p.end());
  return { rows, fastRows: p.fastRows };
}

/** The state machine alone, on the same chunks. */
function stateMachine(pieces: string[], maxRecordChars?: number): { rows: CsvRow[]; fastRows: number } {
  return parseIn(pieces, maxRecordChars, false);
}


// Characters that matter to the parser, and some that must pass through untouched.
const piece = fc.constantFrom('a', 'b', 'xyz', ',', ',', '"', '""', '\n', '\r\n', '\r', ' ', '', 'é', '😀', '\uFEFF', '\t', '\\');
const noise = fc.array(piece, { maxLength: 60 }).map((p) => p.join(''));

/** Rows the way writers write them: quoted fields (with "" escapes, commas, line breaks) among plain ones. */
const field = fc.oneof(
  fc.string({ unit: fc.constantFrom('a', '1', ' ', 'é', '😀', '\uFEFF'), maxLength: 6 }),
  fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r\n', ' ', '😀'), maxLength: 6 }).map((v) => `"${v.replace(/"/g, '""')}"`),
);
const wellFormed = fc
  .tuple(
    fc.array(fc.array(field, { minLength: 1, maxLength: 5 }), { maxLength: 12 }),
    fc.constantFrom('\n', '\r\n'),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([rows, eol, bom, lastEol]) => (bom ? '\uFEFF' : '') + rows.map((r) => r.join(',')).join(eol) + (lastEol ? eol : ''));

const text = fc.oneof(noise, wellFormed);

describe('CSV fast path', () => {
  it('gives the rows of the state machine (fields, lines, bytes, errors) on random input, in any chunking', () => {
    let fastRows = 0;
    let rows = 0;
    fc.assert(
      fc.property(text, fc.array(fc.nat(200), { maxLength: 6 }), (input, cuts) => {
        const reference = stateMachine([input]);
        expect(reference.fastRows).toBe(0);
        const whole = parseIn([input]);
        expect(seen(whole.rows)).toEqual(seen(reference.rows));
        fastRows += whole.fastRows;
        rows += whole.rows.length;
        const pieces = chunkedAtCodePoints(input, cuts);
        expect(seen(parseIn(pieces).rows)).toEqual(seen(stateMachine(pieces).rows));
      }),
      { seed: 1717, numRuns: 1500 },
    );
    // the inputs exercised both paths: a good share of rows went the fast way, not all of them
    expect(fastRows).toBeGreaterThan(rows / 4);
    expect(fastRows).toBeLessThan(rows);
  });

  it('gives the same record-too-large rows and excerpts for any size bound', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 1, max: 40 }), fc.array(fc.nat(200), { maxLength: 4 }), (input, max, cuts) => {
        expect(seen(parseIn([input], max).rows)).toEqual(seen(stateMachine([input], max).rows));
        const pieces = chunkedAtCodePoints(input, cuts);
        expect(seen(parseIn(pieces, max).rows)).toEqual(seen(stateMachine(pieces, max).rows));
      }),
      { seed: 1718, numRuns: 800 },
    );
  });

  it('reads ordinary rows on the fast path, quoted fields included', () => {
    // GIVEN the rows the ingest benchmark writes (a quoted field with a comma in each), LF and CRLF
    const input = 'merchant_id,name,country,risk_tier\n' + 'm-1,"Merchant 1, Ltd",GB,2\r\n' + 'm-2,"say ""hi""",DE,\n' + 'm-3,plain,US,1\n';
    const p = new CsvParser();
    const rows = [...p.push(input), ...p.end()];
    // THEN all four came from the fast path, as the state machine reads them
    expect(p.fastRows).toBe(4);
    expect(rows.map((r) => r.fields)).toEqual([
      ['merchant_id', 'name', 'country', 'risk_tier'],
      ['m-1', 'Merchant 1, Ltd', 'GB', '2'],
      ['m-2', 'say "hi"', 'DE', ''],
      ['m-3', 'plain', 'US', '1'],
    ]);
    expect(seen(rows)).toEqual(seen(stateMachine([input]).rows));
  });

  it('leaves to the state machine what it cannot split on one line', () => {
    // a quote that closes on a later line, text after a closing quote, a lone CR, an unterminated quote
    expect(splitLine('a,"b')).toBeUndefined();
    expect(splitLine('"ab"c,d')).toBeUndefined();
    expect(splitLine('"a""')).toBeUndefined();
    // a quote inside an unquoted field is kept, as the state machine keeps it
    expect(splitLine('ab"c,"d"')).toEqual(['ab"c', 'd']);
    expect(splitLine('"",')).toEqual(['', '']);
    for (const input of ['a,"multi\nline",b\n', 'a,"ab"c\n', 'x\ry,z', 'a,"open\n']) {
      const p = new CsvParser();
      const rows = [...p.push(input), ...p.end()];
      expect(p.fastRows).toBe(0);
      expect(seen(rows)).toEqual(seen(parseCsv(input)));
      expect(seen(rows)).toEqual(seen(stateMachine([input]).rows));
    }
  });
});
