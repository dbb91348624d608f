import { gzipSync } from 'node:zlib';
import { LineSplitter, Line } from '../../../lambdas/ingest/line-splitter';
import { DecodeStats, decodeText } from '../../../lambdas/ingest/decode';
import { SourceStreamError, UnreadableDataError } from '../../../lambdas/ingest/errors';

async function* chunksOf(buf: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

async function decodeAll(source: AsyncIterable<Uint8Array>): Promise<{ text: string; stats: DecodeStats }> {
  const stats: DecodeStats = { sourceBytes: 0, gzip: false };
  let text = '';
  for await (const t of decodeText(source, stats)) text += t;
  return { text, stats };
}

async function decodeError(source: AsyncIterable<Uint8Array>): Promise<unknown> {
  try {
    await decodeAll(source);
  } catch (err) {
    return err;
  }
  throw new Error('expected decoding to fail');
}

describe('LineSplitter', () => {
  function split(chunks: string[], max?: number): Line[] {
    const s = new LineSplitter(max);
    return [...chunks.flatMap((c) => s.push(c)), ...s.end()];
  }

  it('splits across chunk boundaries, strips CR and keeps physical line numbers', () => {
    // GIVEN lines split mid-line and a CRLF split between CR and LF, plus blank lines
    // WHEN it is split into lines
    const lines = split(['{"a":', '1}\r', '\n\n  \n{"b":2}\n', '{"c":3}']);
    // THEN blank lines are skipped, numbering follows the source
    expect(lines).toEqual([
      { text: '{"a":1}', line: 1 },
      { text: '{"b":2}', line: 4 },
      { text: '{"c":3}', line: 5 },
    ]);
  });

  it('does not buffer oversized lines and keeps only a 100-char excerpt', () => {
    // GIVEN a 10-char limit and a 1000-char line arriving in pieces
    // WHEN it is split into lines
    const lines = split(['ok\n', 'y'.repeat(400), 'y'.repeat(600), '\nnext\n'], 10);
    // THEN the big line is reported once as too large, neighbours are intact
    expect(lines).toEqual([
      { text: 'ok', line: 1 },
      { text: 'y'.repeat(100), line: 2, tooLarge: true },
      { text: 'next', line: 3 },
    ]);
  });

  it('counts only non-blank lines', () => {
    // GIVEN only whitespace lines
    // WHEN it is split into lines
    const s = new LineSplitter();
    s.push('\n \n\t\r\n');
    s.end();
    // THEN there are no non-blank lines (the object is "empty")
    expect(s.nonBlankLines).toBe(0);
  });
});

describe('decodeText', () => {
  const text = 'héllo wörld 😀\n'.repeat(5000);

  it('decodes plain UTF-8 split at arbitrary byte positions (inside multi-byte characters)', async () => {
    // GIVEN UTF-8 bytes delivered 7 bytes at a time
    // WHEN it is decoded
    const { text: out, stats } = await decodeAll(chunksOf(Buffer.from(text), 7));
    // THEN the text is intact and the source is not flagged as gzip
    expect(out).toBe(text);
    expect(stats.gzip).toBe(false);
  });

  it('detects gzip by magic bytes, even when the magic is split across chunks', async () => {
    // GIVEN gzipped bytes delivered 1 byte, then 1000-byte chunks
    const gz = gzipSync(Buffer.from(text));
    async function* src(): AsyncGenerator<Uint8Array> {
      yield gz.subarray(0, 1);
      yield* chunksOf(gz.subarray(1), 1000);
    }
    // WHEN decoded
    const { text: out, stats } = await decodeAll(src());
    // THEN it was gunzipped
    expect(stats.gzip).toBe(true);
    expect(stats.sourceBytes).toBe(gz.length);
    expect(out).toBe(text);
  });

  it('strips a UTF-8 BOM', async () => {
    // GIVEN a BOM before the data
    // WHEN it is decoded
    const { text: out } = await decodeAll(chunksOf(Buffer.from('\uFEFFa,b\n'), 2));
    // THEN it is gone
    expect(out).toBe('a,b\n');
  });

  it('turns corrupt and truncated gzip into UnreadableDataError(corrupt-gzip)', async () => {
    // GIVEN gzip magic followed by garbage, and a truncated gzip stream
    const garbage = Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.from('not really gzip at all')]);
    const truncated = gzipSync(Buffer.from(text)).subarray(0, 200);
    for (const bad of [garbage, truncated]) {
      // WHEN decoded
      const err = await decodeError(chunksOf(bad, 64));
      // THEN it is a data error, to be quarantined
      expect(err).toBeInstanceOf(UnreadableDataError);
      expect((err as UnreadableDataError).rule).toBe('corrupt-gzip');
    }
  });

  it('turns invalid UTF-8 into UnreadableDataError(invalid-utf8), also for a truncated final character', async () => {
    // GIVEN a stray 0xff byte, and a multi-byte character cut at the end of the object
    const stray = Buffer.concat([Buffer.from('ok\n'), Buffer.from([0xff]), Buffer.from('\n')]);
    const cut = Buffer.from('ok 😀').subarray(0, -1);
    for (const bad of [stray, cut, gzipSync(stray)]) {
      // WHEN decoded
      const err = await decodeError(chunksOf(bad, 3));
      // THEN it is a data error
      expect(err).toBeInstanceOf(UnreadableDataError);
      expect((err as UnreadableDataError).rule).toBe('invalid-utf8');
    }
  });

  it('reports source stream failures as SourceStreamError (transient), not as corrupt data, for plain and gzip', async () => {
    // GIVEN a source that dies with ECONNRESET half-way, plain and gzipped
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    for (const payload of [Buffer.from(text), gzipSync(Buffer.from(text))]) {
      async function* dying(): AsyncGenerator<Uint8Array> {
        yield payload.subarray(0, Math.floor(payload.length / 2));
        throw reset;
      }
      // WHEN decoded
      const err = await decodeError(dying());
      // THEN the error says "retry", never "quarantine"
      expect(err).toBeInstanceOf(SourceStreamError);
      expect((err as SourceStreamError).original).toBe(reset);
    }
  });

  it('yields nothing for an empty object', async () => {
    // GIVEN zero bytes
    // WHEN it is decoded
    const { text: out, stats } = await decodeAll(chunksOf(Buffer.alloc(0), 1));
    // THEN no text and no bytes
    expect(out).toBe('');
    expect(stats.sourceBytes).toBe(0);
  });
});
