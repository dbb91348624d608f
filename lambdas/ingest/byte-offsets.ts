/**
 * Byte offsets in the decoded (UTF-8) stream for positions in its text
 * chunks, so a quarantined record can name the byte range of the source it
 * came from. ASCII chunks (the common case) cost one Buffer.byteLength per
 * chunk; other chunks advance a cursor, so asking for increasing positions
 * costs O(chunk) in total. Positions are always at record delimiters, never
 * inside a surrogate pair (TextDecoder never splits one across chunks).
 */
export class ByteOffsets {
  private base: number;
  private chunk = '';
  private ascii = true;
  private char = 0;
  private bytes = 0;

  /** @param start bytes before the first chunk (e.g. 3 for a BOM the decoder stripped) */
  constructor(start = 0) {
    this.base = start;
  }

  /** Move to the next chunk: the previous one counts in full. */
  begin(chunk: string): void {
    this.base = this.total;
    this.chunk = chunk;
    this.ascii = Buffer.byteLength(chunk, 'utf8') === chunk.length;
    this.char = 0;
    this.bytes = 0;
  }

  /** Add bytes that precede the current chunk's text (a BOM skipped by a parser). */
  skip(bytes: number): void {
    this.base += bytes;
  }

  /** Byte offset of chunk position i. */
  at(i: number): number {
    if (this.ascii) return this.base + i;
    if (i < this.char) {
      this.char = 0;
      this.bytes = 0;
    }
    this.bytes += Buffer.byteLength(this.chunk.slice(this.char, i), 'utf8');
    this.char = i;
    return this.base + this.bytes;
  }

  /** Byte offset of the end of everything seen so far. */
  get total(): number {
    return this.chunk.length === 0 ? this.base : this.at(this.chunk.length);
  }
}
