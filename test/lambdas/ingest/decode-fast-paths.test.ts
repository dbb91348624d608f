/**
 * The fast paths of the JSON Lines input: the LineSplitter cutting a line
 * that lies whole in one chunk straight from it, and decodeText copying
 * ASCII chunks without the strict decoder. Each against the path it skips:
 * the splitter built with fastPath false on the same chunks, and a single
 * strict TextDecoder over the same bytes.
 */
import fc from 'fast-check';
import { LineSplitter } from '../../../lambdas/ingest/line-splitter';
import { DecodeStats, decodeText } from '../../../lambdas/ingest/decode';
import { UnreadableDataError } from '../../../lambdas/ingest/errors';

function split(chunks: string[], max?: number, fastPath = true) {
  const s = new LineSplitter(max, 0, fastPath);
  const lines = [...chunks.flatMap((c) => s.push(c)), ...s.end()];
  return { lines: lines.map((l) => ({ text: l.text, line: l.line, bytes: l.bytes, tooLarge: l.tooLarge })), nonBlank: s.nonBlankLines };
}

async function decode(chunks: Buffer[]): Promise<{ text: string; stats: DecodeStats }> {
  const stats: DecodeStats = { sourceBytes: 0, gzip: false };
  async function* source(): AsyncGenerator<Uint8Array> {
    for (const c of chunks) yield c;
  }
  let text = '';
  for await (const t of decodeText(source(), stats)) text += t;
  return { text, stats };
}

const piece = fc.constantFrom('{"a":1}', 'x', ' ', '\t', '\r', '\n', '\r\n', '\uFEFF', 'é', '😀', '', 'long-long-line');
const input = fc.array(piece, { maxLength: 40 }).map((p) => p.join(''));

describe('LineSplitter fast path', () => {
  it('gives the lines (text, number, bytes, too-large) of the partial-line path on random input', () => {
    fc.assert(
      fc.property(input, fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }), (text, max) => {
        expect(split([text], max)).toEqual(split([text], max, false));
        const points = Array.from(text);
        const cut = Math.floor(points.length / 2);
        const halves = [points.slice(0, cut).join(''), points.slice(cut).join('')];
        expect(split(halves, max)).toEqual(split(halves, max, false));
        // one code point per chunk: no line lies whole in a chunk, both paths agree there too
        expect(split(points, max)).toEqual(split(points, max, false));
      }),
      { seed: 1722, numRuns: 2000 },
    );
  });
});

describe('decodeText ASCII fast path', () => {
  it('gives the text of one strict decoder over the same bytes, BOMs included', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('ab\n', '{"x":1}', '\uFEFF', 'é', '😀', '\n'), { maxLength: 12 }), fc.array(fc.nat(60), { maxLength: 4 }), async (parts, cuts) => {
        const bytes = Buffer.from(parts.join(''));
        const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let from = 0;
        for (const c of [...at, bytes.length]) {
          if (c > from) chunks.push(bytes.subarray(from, c));
          from = Math.max(from, c);
        }
        const expected = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
        expect((await decode(chunks)).text).toBe(expected);
      }),
      { seed: 1723, numRuns: 1000 },
    );
  });

  it('keeps a BOM that starts a later chunk, strips the one that starts the object', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    expect((await decode([Buffer.concat([bom, Buffer.from('a\n')])])).text).toBe('a\n');
    expect((await decode([Buffer.from('a\n'), Buffer.concat([bom, Buffer.from('b')])])).text).toBe('a\n\uFEFFb');
  });

  it('still refuses invalid UTF-8 after ASCII chunks, naming where', async () => {
    const err = await decode([Buffer.from('{"a":1}\n'), Buffer.from([0x7b, 0xff, 0x7d])]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreadableDataError);
    expect((err as UnreadableDataError).message).toContain('near decoded byte 8');
  });
});
