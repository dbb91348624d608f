/**
 * decodeText hands a large chunk on in pieces cut after a LF (PIECE_BYTES at
 * most, unless a line is longer), so the parsers keep fewer records alive at
 * once. Against the reference, one strict TextDecoder over all the bytes:
 * the same text, whatever the chunking, ASCII or not; and the CSV rows (with
 * their lines and byte ranges) read from the pieces are those read from the
 * whole text.
 */
import fc from 'fast-check';
import { CsvParser } from '../../../lambdas/ingest/csv-parser';
import { DecodeStats, PIECE_BYTES, decodeText } from '../../../lambdas/ingest/decode';
import { UnreadableDataError } from '../../../lambdas/ingest/errors';

async function pieces(chunks: Buffer[]): Promise<string[]> {
  const stats: DecodeStats = { sourceBytes: 0, gzip: false };
  async function* source(): AsyncGenerator<Uint8Array> {
    for (const c of chunks) yield c;
  }
  const out: string[] = [];
  for await (const t of decodeText(source(), stats)) out.push(t);
  return out;
}

function rows(texts: string[]) {
  const p = new CsvParser();
  return [...texts.flatMap((t) => p.push(t)), ...p.end()].map((r) => ({ fields: r.fields, line: r.line, lines: r.lines, bytes: r.bytes, error: r.error }));
}

const FIELD = fc.constantFrom('a', 'bb', '"q, q"', 'é', '😀', '', '"multi\nline"', 'x'.repeat(300));
/** CSV text of a few hundred rows, some lines longer than a piece. */
const CSV = fc
  .array(fc.array(FIELD, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 400 })
  .chain((lines) => fc.tuple(fc.constant(lines), fc.array(fc.nat(lines.length - 1), { maxLength: 2 })))
  .map(([lines, long]) => {
    const rowsText = lines.map((fields) => fields.join(','));
    for (const i of long) rowsText[i] = `${rowsText[i]},${'y'.repeat(PIECE_BYTES + 5)}`;
    return `${rowsText.join('\n')}\n`;
  });

describe('decodeText pieces', () => {
  it('yields the strict decoder’s text, in pieces cut after a LF, and the CSV rows of the whole text', async () => {
    await fc.assert(
      fc.asyncProperty(CSV, fc.array(fc.integer({ min: 1, max: 3 * PIECE_BYTES }), { minLength: 1, maxLength: 20 }), async (text, sizes) => {
        const bytes = Buffer.from(text);
        const chunks: Buffer[] = [];
        for (let at = 0, k = 0; at < bytes.length; k++) {
          const size = sizes[k % sizes.length]!;
          chunks.push(bytes.subarray(at, at + size));
          at += size;
        }
        const out = await pieces(chunks);
        expect(out.join('')).toBe(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
        // a piece longer than PIECE_BYTES bytes has no LF but at its end (one long line)
        for (const p of out) {
          if (Buffer.byteLength(p) > PIECE_BYTES) expect(p.slice(0, -1).indexOf('\n', PIECE_BYTES)).toBeLessThan(0);
        }
        expect(rows(out)).toEqual(rows([text]));
      }),
      { seed: 1729, numRuns: 40 },
    );
  });

  it('cuts a 1 MB chunk into pieces of at most PIECE_BYTES that end with a LF', async () => {
    const line = 'm-1,"Merchant 1, Ltd",GB,3\n';
    const text = line.repeat(Math.ceil((1024 * 1024) / line.length));
    const out = await pieces([Buffer.from(text)]);
    expect(out.join('')).toBe(text);
    expect(out.length).toBeGreaterThan((1024 * 1024) / PIECE_BYTES);
    for (const p of out) {
      expect(p.length).toBeLessThanOrEqual(PIECE_BYTES);
      expect(p.endsWith('\n')).toBe(true);
    }
  });

  it('still refuses invalid UTF-8 in a later piece of a large chunk', async () => {
    const bytes = Buffer.concat([Buffer.from('a,b\n'.repeat(PIECE_BYTES)), Buffer.from([0x61, 0xff, 0x0a])]);
    await expect(pieces([bytes])).rejects.toBeInstanceOf(UnreadableDataError);
  });
});
