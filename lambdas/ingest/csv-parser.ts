/**
 * Small streaming RFC 4180 CSV parser (a state machine fed with text chunks).
 *
 * - fields separated by `,`; records end at CRLF, LF or a lone CR
 * - quoted fields may contain `,`, CR/LF and `""` (an escaped quote)
 * - a UTF-8 BOM at the very start is stripped
 * - completely empty lines are skipped (not records)
 * - a bare `"` inside an UNquoted field is kept literally (lenient)
 * - a character after a closing quote (`"ab"c`) marks the row `malformed-csv`
 * - end of input inside a quoted field marks the row `unterminated-quote`
 * - a row longer than `maxRecordChars` is reported as `record-too-large` with
 *   no fields but an `excerpt` of its first characters; the rest is discarded
 *   while scanning so memory stays bounded
 *
 * `line` is the 1-based physical line on which the record starts, `lines` the
 * number of physical lines it spans (quoted newlines make a record span
 * several lines: a stray opening quote can swallow the rest of the file), and
 * `bytes` its [start, end) offsets in the decoded object (line break excluded).
 *
 * Fast path: a record that starts a line and ends on it (no line break inside
 * quotes, no lone CR, quotes only around whole fields, shorter than
 * `maxRecordChars`) is split with indexOf and split(',') over that line
 * (splitLine); anything else, from the record's first character, goes through
 * the state machine. Both give the same rows: test/lambdas/ingest/csv-fast-path.test.ts
 * compares them on random input.
 */

import { ByteOffsets } from './byte-offsets';

export type CsvRowError = 'malformed-csv' | 'unterminated-quote' | 'record-too-large';

export interface CsvRow {
  fields: string[];
  line: number;
  /** Physical lines the record spans (1 unless a quoted field holds line breaks). */
  lines?: number;
  /** [start, end) byte offsets in the decoded object. */
  bytes?: [number, number];
  /** record-too-large only: the first EXCERPT_CHARS characters of its content. */
  excerpt?: string;
  error?: CsvRowError;
  /**
   * true: no field holds a character JSON must escape (a quote, a backslash,
   * a control character or a surrogate), so each field is its own JSON string
   * content. false or absent: not known (each field must be checked).
   */
  plain?: boolean;
}

export const EXCERPT_CHARS = 100;

/**
 * A row as the parser returns it: the record (fields, line, error) as own
 * properties, and where it came from (lines, bytes, excerpt) as accessors,
 * so a row compares equal to the plain record it holds.
 */
class ParsedRow implements CsvRow {
  readonly #lines: number;
  readonly #start: number;
  readonly #end: number;
  readonly #excerpt: string | undefined;
  readonly #plain: boolean;
  error?: CsvRowError;

  constructor(
    readonly fields: string[],
    readonly line: number,
    lines: number,
    start: number,
    end: number,
    excerpt: string | undefined,
    plain = false,
  ) {
    this.#lines = lines;
    this.#start = start;
    this.#end = end;
    this.#excerpt = excerpt;
    this.#plain = plain;
  }

  get plain(): boolean {
    return this.#plain;
  }

  get lines(): number {
    return this.#lines;
  }

  /** Made when asked (a quarantined row): no array per curated row. */
  get bytes(): [number, number] {
    return [this.#start, this.#end];
  }

  get excerpt(): string | undefined {
    return this.#excerpt;
  }
}

export const DEFAULT_MAX_RECORD_CHARS = 1024 * 1024;

const COMMA = 0x2c;
const DQUOTE = 0x22;
const CR = 0x0d;
const LF = 0x0a;

/**
 * What JSON must escape in a string, but CR and LF: a fast-path row's fields
 * never hold those (its line ends at the LF, a CR in it leaves the record to
 * the state machine). Any surrogate counts, paired or not (JSON.stringify
 * keeps a pair as it is, but the check stays simple). Quotes are looked for
 * per line (splitLine).
 */
const ESCAPED_BUT_LINE_BREAKS = /[\x00-\x09\x0b\x0c\x0e-\x1f\\\ud800-\udfff]/;

/** Where splitLine says whether a field holds a quote. */
export interface QuoteSeen {
  inField: boolean;
}

const FIELD_START = 0;
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE_IN_QUOTED = 3;

export class CsvParser {
  private state = FIELD_START;
  private field = '';
  private fields: string[] = [];
  private line = 1;
  /** Line where the current row started, -1 when no row is in progress. */
  private rowLine = -1;
  private rowChars = 0;
  private rowError: CsvRowError | undefined;
  private prevCR = false;
  private first = true;
  private rows: CsvRow[] = [];
  private readonly offsets: ByteOffsets;
  private rowStart = 0;
  private excerpt: string | undefined;
  /**
   * Position of the next LF / '"' / CR in the current chunk at or after the
   * last search (the chunk's length: none). Each search starts past the last
   * one's answer, so a chunk is scanned once per character sought, whatever
   * its lines look like (a file of CR-only line breaks has no LF to find).
   */
  private nextLF = -1;
  private nextQuote = -1;
  private nextCR = -1;
  /** Whether the current chunk has no character ESCAPED_BUT_LINE_BREAKS matches. */
  private chunkPlain = false;
  /** splitLine's answer for the row being read (reused). */
  private readonly quotes: QuoteSeen = { inField: false };
  /** Fields of the last fast-path row: the size splitLine starts with. */
  private lastFields = 0;
  /** Rows read by the fast path so far (the rest went through the state machine); for tests. */
  fastRows = 0;

  /**
   * @param fastPath false: every record through the state machine (the
   *   reference the fast path is tested against)
   */
  constructor(
    private readonly maxRecordChars: number = DEFAULT_MAX_RECORD_CHARS,
    startByte = 0,
    private readonly fastPath = true,
  ) {
    this.offsets = new ByteOffsets(startByte);
  }

  /** Feed the next chunk of text; returns the records completed by it. */
  push(chunk: string): CsvRow[] {
    this.rows = [];
    this.offsets.begin(chunk);
    this.nextLF = -1;
    this.nextQuote = -1;
    this.nextCR = -1;
    this.chunkPlain = this.fastPath && !ESCAPED_BUT_LINE_BREAKS.test(chunk);
    let i = 0;
    if (this.first && chunk.length > 0) {
      this.first = false;
      if (chunk.charCodeAt(0) === 0xfeff) i = 1;
    }
    const n = chunk.length;
    let seg = i; // start of the literal run not yet appended to `field`
    while (i < n) {
      const c = chunk.charCodeAt(i);
      switch (this.state) {
        case QUOTED: {
          // Skip the run of plain characters in one tight loop (the common case).
          const from = i;
          let d = c;
          while (d !== DQUOTE && d !== CR && d !== LF && ++i < n) d = chunk.charCodeAt(i);
          if (i > from) this.prevCR = false;
          if (i >= n) break;
          if (d === DQUOTE) {
            this.append(chunk, seg, i);
            this.state = QUOTE_IN_QUOTED;
            this.prevCR = false;
          } else if (d === CR) {
            this.line++;
            this.prevCR = true;
          } else {
            if (d === LF && !this.prevCR) this.line++;
            this.prevCR = false;
          }
          i++;
          break;
        }
        case UNQUOTED: {
          let d = c;
          while (d !== COMMA && d !== CR && d !== LF && ++i < n) d = chunk.charCodeAt(i);
          if (i >= n) break;
          if (d === COMMA) {
            this.append(chunk, seg, i);
            this.endField();
            this.state = FIELD_START;
          } else {
            this.append(chunk, seg, i);
            this.endField();
            this.endRow(this.offsets.at(i));
            this.lineBreak(d);
            this.state = FIELD_START;
          }
          i++;
          break;
        }
        case QUOTE_IN_QUOTED:
          if (c === DQUOTE) {
            this.append('"', 0, 1); // escaped quote
            this.state = QUOTED;
            i++;
            seg = i;
          } else if (c === COMMA) {
            this.endField();
            this.state = FIELD_START;
            i++;
          } else if (c === CR || c === LF) {
            this.endField();
            this.endRow(this.offsets.at(i));
            this.lineBreak(c);
            this.state = FIELD_START;
            i++;
          } else {
            // "ab"c — not RFC 4180. Keep the text, flag the row.
            this.flag('malformed-csv');
            this.state = UNQUOTED;
            seg = i;
            i++;
          }
          break;
        default: // FIELD_START
          if (c === LF && this.prevCR) {
            // second half of a CRLF that already ended the previous row
            this.prevCR = false;
            i++;
            break;
          }
          this.prevCR = false;
          if (c === CR || c === LF) {
            if (this.rowLine >= 0) {
              this.endField(); // "a,\n" ends with an empty field
              this.endRow(this.offsets.at(i));
            } // else: blank line, not a record
            this.lineBreak(c);
            i++;
            break;
          }
          if (this.rowLine < 0 && this.fastPath) {
            const next = this.lineRow(chunk, i);
            if (next >= 0) {
              i = next;
              break;
            }
          }
          if (this.rowLine < 0) {
            this.rowLine = this.line;
            this.rowStart = this.offsets.at(i);
          }
          if (c === DQUOTE) {
            this.state = QUOTED;
            i++;
            seg = i;
          } else if (c === COMMA) {
            this.endField();
            i++;
          } else {
            this.state = UNQUOTED;
            seg = i;
            i++;
          }
      }
    }
    if (this.state === UNQUOTED || this.state === QUOTED) this.append(chunk, seg, n);
    const out = this.rows;
    this.rows = [];
    return out;
  }

  /**
   * The fast path: the record starting at chunk[i] (a row start, not a line
   * break) when it ends on its own line and splitLine can split it; returns
   * the position after its line break, or -1 (nothing changed: the state
   * machine takes the record from i).
   */
  private lineRow(chunk: string, i: number): number {
    if (this.nextLF < i) this.nextLF = indexOrEnd(chunk, '\n', i);
    const nl = this.nextLF;
    if (nl === chunk.length) return -1;
    const stop = nl > i && chunk.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
    // a longer row may be record-too-large: rowChars is at most its length + 1
    if (stop - i >= this.maxRecordChars) return -1;
    if (this.nextCR < i) this.nextCR = indexOrEnd(chunk, '\r', i);
    if (this.nextCR < stop) return -1; // a lone CR ends a record inside the line
    const line = chunk.slice(i, stop);
    if (this.nextQuote < i) this.nextQuote = indexOrEnd(chunk, '"', i);
    let fields: string[] | undefined;
    let plain = this.chunkPlain;
    if (this.nextQuote >= stop) fields = line.split(',');
    else {
      const quotes = this.quotes;
      quotes.inField = false;
      fields = splitLine(line, quotes, this.nextQuote - i, this.lastFields);
      if (fields === undefined) return -1;
      if (quotes.inField) plain = false;
    }
    this.lastFields = fields.length;
    this.rows.push(new ParsedRow(fields, this.line, 1, this.offsets.at(i), this.offsets.at(stop), undefined, plain));
    this.line++;
    this.fastRows++;
    return nl + 1;
  }

  /** Signal end of input; returns the last record if the input did not end with a newline. */
  end(): CsvRow[] {
    this.rows = [];
    if (this.state === QUOTED) this.flag('unterminated-quote');
    if (this.rowLine >= 0) {
      this.endField();
      this.endRow(this.offsets.total);
    }
    this.state = FIELD_START;
    const out = this.rows;
    this.rows = [];
    return out;
  }

  private lineBreak(c: number): void {
    this.line++;
    this.prevCR = c === CR;
  }

  private flag(err: CsvRowError): void {
    if (this.rowError === undefined || err === 'record-too-large') this.rowError = err;
  }

  private append(text: string, from: number, to: number): void {
    if (to <= from) return;
    if (this.rowError === 'record-too-large') return;
    this.rowChars += to - from;
    if (this.rowChars > this.maxRecordChars) {
      this.tooLarge(text.slice(from, Math.min(to, from + EXCERPT_CHARS)));
      return;
    }
    this.field += from === 0 && to === text.length ? text : text.slice(from, to);
  }

  /** @param pending the start of the text that did not fit, not yet in `field` */
  private tooLarge(pending = ''): void {
    // keep the start of what is about to be discarded, so the quarantine can show it
    let excerpt = this.fields.join(',');
    if (excerpt.length < EXCERPT_CHARS) excerpt += (this.fields.length > 0 ? ',' : '') + (this.field + pending).slice(0, EXCERPT_CHARS);
    this.excerpt = excerpt.slice(0, EXCERPT_CHARS);
    this.rowError = 'record-too-large';
    this.field = '';
    this.fields = [];
  }

  private endField(): void {
    if (this.rowError === 'record-too-large') {
      this.field = '';
      return;
    }
    this.rowChars += 1; // count separators too: ",,,,," must not grow unbounded
    if (this.rowChars > this.maxRecordChars) {
      this.tooLarge();
      return;
    }
    this.fields.push(this.field);
    this.field = '';
  }

  private endRow(endByte: number): void {
    if (this.rowLine < 0) {
      this.rowLine = this.line;
      this.rowStart = endByte;
    }
    const excerpt = this.rowError === 'record-too-large' ? this.excerpt : undefined;
    const row = new ParsedRow(this.fields, this.rowLine, this.line - this.rowLine + 1, this.rowStart, endByte, excerpt);
    if (this.rowError !== undefined) row.error = this.rowError;
    this.excerpt = undefined;
    this.rows.push(row);
    this.fields = [];
    this.field = '';
    this.rowLine = -1;
    this.rowChars = 0;
    this.rowError = undefined;
  }
}

function indexOrEnd(s: string, search: string, from: number): number {
  const at = s.indexOf(search, from);
  return at < 0 ? s.length : at;
}

/**
 * The fields of one physical line (no CR or LF in it) as the state machine
 * reads them, or undefined when the state machine must decide: a quote that
 * does not close on this line (a line break inside quotes, or an unterminated
 * quote), or a character after a closing quote (`"ab"c`, malformed-csv).
 * A quote inside an unquoted field is kept as it is, as the state machine does.
 * With `quotes`, sets `quotes.inField` when some field holds a quote (a `""`
 * in a quoted field, or a quote inside an unquoted one); never clears it.
 * `firstQuote`, when known, is the position of the line's first quote.
 */
export function splitLine(line: string, quotes?: QuoteSeen, firstQuote = -1, expectedFields = 0): string[] | undefined {
  const n = line.length;
  // sized for the fields expected (the rows of a file have as many as its header): no regrowth
  const fields: string[] = expectedFields > 0 ? new Array<string>(expectedFields) : [];
  let count = 0;
  let pos = 0;
  /** The first quote at or after pos, once looked for (n: none); -1 = not looked for since the last quoted field. */
  let nextQuote = firstQuote;
  for (;;) {
    if (line.charCodeAt(pos) === DQUOTE) {
      nextQuote = -1;
      let q = line.indexOf('"', pos + 1);
      if (q < 0) return undefined;
      let value = line.slice(pos + 1, q);
      while (line.charCodeAt(q + 1) === DQUOTE) {
        // "" is one quote: keep the second one and go on to the next quote
        if (quotes !== undefined) quotes.inField = true;
        const next = line.indexOf('"', q + 2);
        if (next < 0) return undefined;
        value += line.slice(q + 1, next);
        q = next;
      }
      fields[count++] = value;
      if (q + 1 === n) return trimmed(fields, count);
      if (line.charCodeAt(q + 1) !== COMMA) return undefined;
      pos = q + 2;
    } else {
      const comma = line.indexOf(',', pos);
      if (quotes !== undefined) {
        if (nextQuote < pos) nextQuote = indexOrEnd(line, '"', pos);
        if (nextQuote < (comma < 0 ? n : comma)) quotes.inField = true;
      }
      if (comma < 0) {
        fields[count++] = pos === 0 ? line : line.slice(pos);
        return trimmed(fields, count);
      }
      fields[count++] = line.slice(pos, comma);
      pos = comma + 1;
    }
  }
}

/** `fields` cut to its first `count` elements (fewer fields than expected). */
function trimmed(fields: string[], count: number): string[] {
  if (fields.length !== count) fields.length = count;
  return fields;
}

/** Convenience for tests and small inputs: parse a whole string. */
export function parseCsv(text: string, maxRecordChars?: number): CsvRow[] {
  const p = new CsvParser(maxRecordChars);
  return [...p.push(text), ...p.end()];
}
