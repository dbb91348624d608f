/**
 * Streaming line splitter for JSON Lines.
 *
 * Splits on LF (a trailing CR is stripped, so CRLF files work). Lines that
 * are empty or whitespace-only are skipped but still advance the line
 * counter, so `line` always matches the physical line in the source object.
 * A line longer than `maxRecordChars` is not buffered: it is reported once as
 * `tooLarge` with only its first 100 characters kept.
 */

import { DEFAULT_MAX_RECORD_CHARS } from './csv-parser';

export interface Line {
  text: string;
  line: number;
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

export class LineSplitter {
  private partial = '';
  private partialTooLarge = false;
  private line = 0;
  /** Non-blank lines seen (blank lines excluded). */
  nonBlankLines = 0;

  constructor(private readonly maxRecordChars: number = DEFAULT_MAX_RECORD_CHARS) {}

  push(chunk: string): Line[] {
    const out: Line[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf('\n', start);
      if (nl < 0) break;
      this.emit(this.take(chunk, start, nl), out);
      start = nl + 1;
    }
    if (start < chunk.length) this.accumulate(chunk, start, chunk.length);
    return out;
  }

  end(): Line[] {
    const out: Line[] = [];
    if (this.partial.length > 0 || this.partialTooLarge) this.emit(this.take('', 0, 0), out);
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
    return res;
  }

  private emit(l: { text: string; tooLarge: boolean }, out: Line[]): void {
    this.line++;
    let text = l.text;
    if (!l.tooLarge && text.length > 0 && text.charCodeAt(text.length - 1) === 0x0d) text = text.slice(0, -1);
    if (l.tooLarge) {
      this.nonBlankLines++;
      out.push({ text, line: this.line, tooLarge: true });
      return;
    }
    if (isBlank(text)) return;
    this.nonBlankLines++;
    out.push({ text, line: this.line });
  }
}
