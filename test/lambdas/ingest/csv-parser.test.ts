import { CsvParser, CsvRow, parseCsv } from '../../../lambdas/ingest/csv-parser';

/** Feed `text` split at every possible position pair to prove chunk-boundary independence. */
function parseInChunks(text: string, sizes: number[]): CsvRow[] {
  const p = new CsvParser();
  const rows: CsvRow[] = [];
  let i = 0;
  let k = 0;
  while (i < text.length) {
    const size = sizes[k++ % sizes.length]!;
    rows.push(...p.push(text.slice(i, i + size)));
    i += size;
  }
  rows.push(...p.end());
  return rows;
}

describe('CsvParser', () => {
  it('parses simple rows with LF and CRLF endings', () => {
    // GIVEN a header and two rows, one LF- and one CRLF-terminated
    const text = 'a,b,c\r\n1,2,3\n4,5,6\r\n';
    // WHEN parsed
    const rows = parseCsv(text);
    // THEN three records with their physical line numbers
    expect(rows).toEqual([
      { fields: ['a', 'b', 'c'], line: 1 },
      { fields: ['1', '2', '3'], line: 2 },
      { fields: ['4', '5', '6'], line: 3 },
    ]);
  });

  it('handles quoted fields with commas, escaped quotes and newlines', () => {
    // GIVEN quoted fields containing delimiters, "" escapes, LF and CRLF
    const text = 'id,text\n1,"hello, ""world"""\n2,"line1\nline2\r\nline3"\n3,plain\n';
    // WHEN parsed
    const rows = parseCsv(text);
    // THEN quoting is removed, escapes resolved, newlines kept, and the
    //      record after the multi-line one starts on the right line
    expect(rows).toEqual([
      { fields: ['id', 'text'], line: 1 },
      { fields: ['1', 'hello, "world"'], line: 2 },
      { fields: ['2', 'line1\nline2\r\nline3'], line: 3 },
      { fields: ['3', 'plain'], line: 6 },
    ]);
  });

  it('gives identical results for every chunking of the input', () => {
    // GIVEN input with every tricky construct, including a BOM and CRLFs
    const text = '\uFEFFid,"na,me",x\r\n1,"a""b",\r\n2,"multi\r\nline",""\r\n\r\n3,z,"q"\n4,,';
    const expected = parseCsv(text);
    // WHEN it is fed in chunks of many different sizes (boundaries inside
    //      quotes, between CR and LF, inside "" escapes, on the BOM)
    // THEN the records never change
    for (const sizes of [[1], [2], [3], [1, 2, 5], [7], [4, 1], [text.length]]) {
      expect(parseInChunks(text, sizes)).toEqual(expected);
    }
    expect(expected.map((r) => r.fields)).toEqual([
      ['id', 'na,me', 'x'],
      ['1', 'a"b', ''],
      ['2', 'multi\r\nline', ''],
      ['3', 'z', 'q'],
      ['4', '', ''],
    ]);
    expect(expected.map((r) => r.line)).toEqual([1, 2, 3, 6, 7]);
  });

  it('strips a UTF-8 BOM on the header only', () => {
    // GIVEN a BOM before the header and a BOM-like character inside data
    // WHEN it is parsed
    const rows = parseCsv('\uFEFFname,v\n\uFEFFx,1\n');
    // THEN the header name is clean but data is untouched
    expect(rows[0]!.fields).toEqual(['name', 'v']);
    expect(rows[1]!.fields).toEqual(['\uFEFFx', '1']);
  });

  it('skips blank lines but counts them for line numbers', () => {
    // GIVEN blank lines (LF, CRLF) between records
    // WHEN it is parsed
    const rows = parseCsv('a\n\n\r\nb\n\n');
    // THEN only two records, the second on line 4
    expect(rows).toEqual([
      { fields: ['a'], line: 1 },
      { fields: ['b'], line: 4 },
    ]);
  });

  it('treats a lone CR as a line break', () => {
    // GIVEN classic-Mac line endings
    // WHEN it is parsed
    const rows = parseCsv('a,b\r1,2\r');
    // THEN two records
    expect(rows.map((r) => r.fields)).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('keeps an empty trailing field and a quoted empty line', () => {
    // GIVEN a trailing comma at EOF and a row that is just ""
    // WHEN it is parsed
    const rows = parseCsv('a,\n""\nx');
    // THEN the empty field is preserved and "" is a record with one empty field
    expect(rows.map((r) => r.fields)).toEqual([['a', ''], [''], ['x']]);
  });

  it('flags text after a closing quote as malformed but keeps parsing', () => {
    // GIVEN "ab"c (not RFC 4180) followed by a good row
    // WHEN it is parsed
    const rows = parseCsv('"ab"c,d\n1,2\n');
    // THEN the first row is flagged, the second is clean
    expect(rows[0]).toMatchObject({ error: 'malformed-csv', fields: ['abc', 'd'] });
    expect(rows[1]).toEqual({ fields: ['1', '2'], line: 2 });
  });

  it('keeps a bare quote inside an unquoted field literally', () => {
    // GIVEN 5" in an unquoted field
    // WHEN it is parsed
    const rows = parseCsv('size\n5"\n');
    // THEN it is data, not an error
    expect(rows[1]).toEqual({ fields: ['5"'], line: 2 });
  });

  it('reports an unterminated quote at end of input', () => {
    // GIVEN a quoted field that never closes
    // WHEN it is parsed
    const rows = parseCsv('a,b\n1,"never closed\n2,3\n');
    // THEN the last record is flagged and swallowed the rest of the input
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({ error: 'unterminated-quote', line: 2, fields: ['1', 'never closed\n2,3\n'] });
  });

  it('bounds memory for oversized records and recovers on the next row', () => {
    // GIVEN a limit of 20 chars, one huge quoted row and a huge row of empty fields
    // WHEN it is parsed
    const p = new CsvParser(20);
    const rows = [
      ...p.push('a,b\n"'),
      ...p.push('x'.repeat(1000)),
      ...p.push('",1\n'),
      ...p.push(','.repeat(1000)),
      ...p.push('\nok,2\n'),
      ...p.end(),
    ];
    // THEN both big rows are reported as record-too-large without content,
    //      and parsing continues correctly
    expect(rows).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: [], line: 2, error: 'record-too-large' },
      { fields: [], line: 3, error: 'record-too-large' },
      { fields: ['ok', '2'], line: 4 },
    ]);
  });

  it('returns no records for empty input', () => {
    // GIVEN nothing / only a BOM / only newlines
    // WHEN it is parsed
    // THEN there are no records
    expect(parseCsv('')).toEqual([]);
    expect(parseCsv('\uFEFF')).toEqual([]);
    expect(parseCsv('\r\n\n')).toEqual([]);
  });

  it('round-trips randomly generated RFC 4180 data under random chunking', () => {
    // GIVEN a seeded generator of records with commas, quotes, CR, LF, unicode and empties
    let seed = 42;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const alphabet = ['a', 'b', ',', '"', '\n', '\r', '\r\n', ' ', 'é', '😀', '\uFEFF'];
    const records: string[][] = [];
    for (let r = 0; r < 300; r++) {
      const width = 1 + rnd(5);
      const rec: string[] = [];
      for (let f = 0; f < width; f++) {
        let v = '';
        const len = rnd(8);
        for (let c = 0; c < len; c++) v += alphabet[rnd(alphabet.length)];
        rec.push(v);
      }
      if (width === 1 && rec[0] === '') rec[0] = 'x'; // a lone empty field would be a blank line
      records.push(rec);
    }
    const quote = (v: string): string => (/[",\r\n]/.test(v) || v === '' || rnd(3) === 0 ? `"${v.replace(/"/g, '""')}"` : v);
    const text = records.map((rec) => rec.map(quote).join(',')).join(rnd(2) ? '\r\n' : '\n') + '\n';
    // WHEN parsed in random chunk sizes
    const p = new CsvParser();
    const rows: CsvRow[] = [];
    for (let i = 0; i < text.length; ) {
      const size = 1 + rnd(40);
      rows.push(...p.push(text.slice(i, i + size)));
      i += size;
    }
    rows.push(...p.end());
    // THEN every record comes back exactly, without errors
    expect(rows.filter((r) => r.error)).toEqual([]);
    expect(rows.map((r) => r.fields)).toEqual(records);
  });
});
