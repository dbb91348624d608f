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
  readonly #start: number;
  readonly #end: number;
  tooLarge?: boolean;

  constructor(
    readonly text: string,
    readonly line: number,
    start: number,
    end: number,
  ) {
    this.#start = start;
    this.#end = end;
  }

  /** Made when asked (a quarantined line): no array per curated line. */
  get bytes(): [number, number] {
    return [this.#start, this.#end];
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

  /**
   * @param fastPath false: every line through the partial-line path (the
   *   reference the fast path is tested against)
   */
  constructor(
    private readonly maxRecordChars: number = DEFAULT_MAX_RECORD_CHARS,
    startByte = 0,
    private readonly fastPath = true,
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
      if (this.fastPath && this.partialStart < 0 && nl - start <= this.maxRecordChars) {
        // the whole line is in this chunk (the usual case): no partial to join
        this.line++;
        const end = nl > start && chunk.charCodeAt(nl - 1) === 0x0d ? nl - 1 : nl;
        const first = chunk.charCodeAt(start);
        // blank lines are skipped; a line that starts with a visible character is not blank
        if (end > start && ((first > 0x20 && first !== 0xfeff) || !isBlank(chunk.slice(start, end)))) {
          this.nonBlankLines++;
          out.push(new SplitLine(chunk.slice(start, end), this.line, this.offsets.at(start), this.offsets.at(nl)));
        }
        start = nl + 1;
        continue;
      }
      const from = this.partialStart >= 0 ? this.partialStart : this.offsets.at(start);
      this.take(chunk, start, nl);
      this.emit(from, this.offsets.at(nl), out);
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
      const from = this.partialStart;
      const to = this.offsets.total;
      this.take('', 0, 0);
      this.emit(from, to, out);
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

  /** Complete the current line with chunk[from, to): it is then in `partial` / `partialTooLarge` for emit. */
  private take(chunk: string, from: number, to: number): void {
    this.accumulate(chunk, from, to);
  }

  /** Emit the line that take() completed, and reset the partial state. */
  private emit(from: number, to: number, out: Line[]): void {
    const tooLarge = this.partialTooLarge;
    let text = this.partial;
    this.partial = '';
    this.partialTooLarge = false;
    this.partialStart = -1;
    this.line++;
    if (!tooLarge && text.length > 0 && text.charCodeAt(text.length - 1) === 0x0d) text = text.slice(0, -1);
    if (tooLarge) {
      this.nonBlankLines++;
      const l = new SplitLine(text, this.line, from, to);
      l.tooLarge = true;
      out.push(l);
      return;
    }
    if (isBlank(text)) return;
    this.nonBlankLines++;
    out.push(new SplitLine(text, this.line, from, to));
  }
}
