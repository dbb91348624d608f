/**
 * Streaming line splitter for JSON Lines.
 *
 * Splits on LF (a trailing CR is stripped, so CRLF files work). Lines that
 * are empty or whitespace-only are skipped but still advance the line
 * counter, so `line` always matches the physical line in the source object.
 * A line longer than `maxRecordChars` is not buffered: it is reported once as
 * `tooLarge` with only its first 100 characters kept.
 * `bytes` is the line's [start, end) in the decoded stream (without its LF).
 */

import { ByteOffsets } from './byte-offsets';
import { DEFAULT_MAX_RECORD_CHARS } from './csv-parser';

export interface Line {
  text: string;
  line: number;
  /** [start, end) byte offsets in the decoded object, the LF excluded. */
  bytes?: [number, number];
  tooLarge?: boolean;
}

const EXCERPT = 100;

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a && c !== 0xfeff) return false;
  }
  return true;
}

/** A line as the splitter returns it: text and line as own properties, its byte range as an accessor. */
class SplitLine implements Line {
  readonly #bytes: [number, number];
  tooLarge?: boolean;

  constructor(
    readonly text: string,
    readonly line: number,
    bytes: [number, number],
  ) {
    this.#bytes = bytes;
  }

  get bytes(): [number, number] {
    return this.#bytes;
  }
}

export class LineSplitter {
  private partial = '';
  private partialTooLarge = false;
  private line = 0;
  private readonly offsets: ByteOffsets;
  /** Byte offset where the pending partial line started. */
  private partialStart = -1;
  /** Non-blank lines seen (blank lines excluded). */
  nonBlankLines = 0;

  constructor(
    private readonly maxRecordChars: number = DEFAULT_MAX_RECORD_CHARS,
    startByte = 0,
  ) {
    this.offsets = new ByteOffsets(startByte);
  }

  push(chunk: string): Line[] {
    const out: Line[] = [];
    this.offsets.begin(chunk);
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', start);
      if (nl < 0) break;
      const from = this.partialStart >= 0 ? this.partialStart : this.offsets.at(start);
      this.emit(this.take(chunk, start, nl), [from, this.offsets.at(nl)], out);
      start = nl + 1;
    }
    if (start < chunk.length) {
      if (this.partialStart < 0) this.partialStart = this.offsets.at(start);
      this.accumulate(chunk, start, chunk.length);
    }
    return out;
  }

  end(): Line[] {
    const out: Line[] = [];
    if (this.partial.length > 0 || this.partialTooLarge) {
      const bytes: [number, number] = [this.partialStart, this.offsets.total];
      this.emit(this.take('', 0, 0), bytes, out);
    }
    return out;
  }

  private accumulate(chunk: string, from: number, to: number): void {
    if (this.partialTooLarge) return;
    if (this.partial.length + (to - from) > this.maxRecordChars) {
      this.partial = (this.partial + chunk.slice(from, from + EXCERPT)).slice(0, EXCERPT);
      this.partialTooLarge = true;
      return;
    }
    this.partial += chunk.slice(from, to);
  }

  /** Complete the current line with chunk[from, to) and reset the partial state. */
  private take(chunk: string, from: number, to: number): { text: string; tooLarge: boolean } {
    this.accumulate(chunk, from, to);
    const res = { text: this.partial, tooLarge: this.partialTooLarge };
    this.partial = '';
    this.partialTooLarge = false;
    this.partialStart = -1;
    return res;
  }

  private emit(l: { text: string; tooLarge: boolean }, bytes: [number, number], out: Line[]): void {
    this.line++;
    let text = l.text;
    if (!l.tooLarge && text.length > 0 && text.charCodeAt(text.length - 1) === 0x0d) text = text.slice(0, -1);
    if (l.tooLarge) {
      this.nonBlankLines++;
      const l = new SplitLine(text, this.line, bytes);
      l.tooLarge = true;
      out.push(l);
      return;
    }
    if (isBlank(text)) return;
    this.nonBlankLines++;
    out.push(new SplitLine(text, this.line, bytes));
  }
}
