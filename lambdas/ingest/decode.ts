/**
 * Turns the raw object byte stream into a stream of UTF-8 text chunks without
 * buffering the object: gunzip when the first two bytes are the gzip magic
 * 1f 8b (the file extension is ignored), then strict streaming UTF-8 decoding.
 *
 * Error mapping (see errors.ts):
 *  - an error thrown by the SOURCE stream -> SourceStreamError (transient: retry)
 *  - gunzip failure -> UnreadableDataError('corrupt-gzip') (data: quarantine)
 *  - invalid UTF-8 -> UnreadableDataError('invalid-utf8') (data: quarantine)
 */

import { isAscii } from 'node:buffer';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { SourceStreamError, UnreadableDataError, messageOf } from './errors';

export interface DecodeStats {
  /** Bytes read from the source object (compressed size when gzipped). */
  sourceBytes: number;
  gzip: boolean;
  /** 3 when the decoded stream began with a UTF-8 BOM (TextDecoder strips it; byte offsets count it). */
  bomBytes?: number;
}

async function* guardSource(source: AsyncIterable<Uint8Array>, stats: DecodeStats): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of source) {
      stats.sourceBytes += chunk.byteLength;
      yield chunk;
    }
  } catch (err) {
    throw err instanceof SourceStreamError ? err : new SourceStreamError(err);
  }
}

async function* maybeGunzip(source: AsyncIterable<Uint8Array>, stats: DecodeStats): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let done = false;
  while (headBytes < 2) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    if (r.value.byteLength === 0) continue;
    head.push(r.value);
    headBytes += r.value.byteLength;
  }
  const first = head[0];
  const second = first && first.byteLength > 1 ? first[1] : head[1]?.[0];
  stats.gzip = first !== undefined && first[0] === 0x1f && second === 0x8b;

  async function* rest(): AsyncGenerator<Uint8Array> {
    yield* head;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }

  if (!stats.gzip) {
    yield* rest();
    return;
  }

  const compressed = Readable.from(rest());
  const gunzip = createGunzip();
  compressed.on('error', (err) => gunzip.destroy(err));
  compressed.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } catch (err) {
    if (err instanceof SourceStreamError) throw err;
    throw new UnreadableDataError('corrupt-gzip', `gzip decompression failed: ${messageOf(err)}`);
  } finally {
    compressed.destroy();
    gunzip.destroy();
  }
}

/** Text is handed on in pieces of about this many bytes (see pieceEnd). */
export const PIECE_BYTES = 16 * 1024;

/**
 * Where the piece of `bytes` starting at `from` ends: after the last LF within
 * PIECE_BYTES (the next LF when there is none; the end at most). The parsers
 * return the records of a piece as one array, which lives until they are
 * routed: smaller pieces keep fewer of them alive at each young-generation
 * collection (their copying was most of the GC's cost in a 64 KB chunk). A LF
 * byte is never inside a UTF-8 sequence, and lines rarely cross a piece.
 */
function pieceEnd(bytes: Uint8Array, from: number): number {
  const n = bytes.byteLength;
  if (n - from <= PIECE_BYTES) return n;
  const lf = bytes.lastIndexOf(0x0a, from + PIECE_BYTES - 1);
  if (lf >= from) return lf + 1;
  const next = bytes.indexOf(0x0a, from + PIECE_BYTES);
  return next < 0 ? n : next + 1;
}

/**
 * Decode an object body into UTF-8 text chunks. A leading BOM is stripped by
 * TextDecoder. Chunks are yielded as they arrive; nothing is accumulated.
 *
 * While every chunk so far was ASCII (no byte above 0x7f: nothing to check,
 * no sequence left open between chunks), a chunk is copied as Latin-1, the
 * same characters; the strict decoder starts at the first other chunk, and
 * keeps a BOM there (only the object's first bytes can be a stripped BOM).
 */
export async function* decodeText(source: AsyncIterable<Uint8Array>, stats: DecodeStats): AsyncGenerator<string> {
  let decoder: InstanceType<typeof TextDecoder> | undefined;
  let decodedBytes = 0;
  const decode = (chunk?: Uint8Array): string => {
    if (decoder === undefined) {
      if (chunk === undefined) return '';
      if (isAscii(chunk)) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1');
      decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: decodedBytes > 0 });
    }
    try {
      return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
    } catch (err) {
      throw new UnreadableDataError(
        'invalid-utf8',
        `object is not valid UTF-8 near decoded byte ${decodedBytes}: ${messageOf(err)}`,
      );
    }
  };
  const head: number[] = [];
  for await (const bytes of maybeGunzip(guardSource(source, stats), stats)) {
    for (let i = 0; head.length < 3 && i < bytes.byteLength; i++) {
      head.push(bytes[i]!);
      if (head.length === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) stats.bomBytes = 3;
    }
    for (let from = 0; from < bytes.byteLength; ) {
      const to = pieceEnd(bytes, from);
      const piece = from === 0 && to === bytes.byteLength ? bytes : bytes.subarray(from, to);
      const text = decode(piece);
      decodedBytes += piece.byteLength;
      if (text.length > 0) yield text;
      from = to;
    }
  }
  const tail = decode();
  if (tail.length > 0) yield tail;
}
