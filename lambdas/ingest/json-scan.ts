/**
 * A key scanner over JSON text that JSON.parse has already accepted. It sees
 * what JSON.parse hides: keys in document order at every depth (so the FIRST
 * forbidden key and a DUPLICATED key can be named) and the source token of a
 * top-level member's value (so `1e400` is reported as written, not as
 * Infinity). Only the rare paths call it (see json-record.ts); it assumes
 * valid JSON and never throws on it.
 */

export interface KeyHit {
  /** The key as JSON.parse decodes it. */
  key: string;
  /** Dotted path of the key from the top-level object ($ = the record), e.g. `$.a.constructor`. */
  path: string;
}

export interface KeyScan {
  forbidden?: KeyHit;
  duplicate?: KeyHit;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

class Scanner {
  i = 0;
  forbidden: KeyHit | undefined;
  duplicate: KeyHit | undefined;
  /** Top-level member tokens: key → [start, end) of its value (last occurrence wins, as in JSON.parse). */
  readonly topLevel = new Map<string, [number, number]>();

  constructor(
    private readonly s: string,
    private readonly forbiddenKeys: ReadonlySet<string>,
  ) {}

  ws(): void {
    while (this.i < this.s.length && WS.has(this.s.charCodeAt(this.i))) this.i++;
  }

  /** A string token starting at i (a quote); returns its decoded value. */
  string(): string {
    const start = this.i;
    let escaped = false;
    this.i++;
    for (; this.i < this.s.length; this.i++) {
      const c = this.s.charCodeAt(this.i);
      if (c === 0x5c) {
        escaped = true;
        this.i++;
      } else if (c === 0x22) break;
    }
    this.i++;
    const token = this.s.slice(start, this.i);
    return escaped ? (JSON.parse(token) as string) : token.slice(1, -1);
  }

  value(path: string, depth: number): void {
    this.ws();
    const c = this.s.charCodeAt(this.i);
    if (c === 0x7b) this.object(path, depth);
    else if (c === 0x5b) this.array(path, depth);
    else if (c === 0x22) this.string();
    else {
      while (this.i < this.s.length) {
        const d = this.s.charCodeAt(this.i);
        if (d === 0x2c || d === 0x7d || d === 0x5d || WS.has(d)) break;
        this.i++;
      }
    }
  }

  object(path: string, depth: number): void {
    const seen = new Set<string>();
    this.i++;
    this.ws();
    if (this.s.charCodeAt(this.i) === 0x7d) {
      this.i++;
      return;
    }
    for (;;) {
      this.ws();
      const key = this.string();
      const keyPath = `${path}.${key}`;
      if (this.forbidden === undefined && this.forbiddenKeys.has(key)) this.forbidden = { key, path: keyPath };
      if (this.duplicate === undefined && seen.has(key)) this.duplicate = { key, path: keyPath };
      seen.add(key);
      this.ws();
      this.i++; // ':'
      this.ws();
      const start = this.i;
      this.value(keyPath, depth + 1);
      if (depth === 0) this.topLevel.set(key, [start, this.i]);
      this.ws();
      if (this.s.charCodeAt(this.i++) !== 0x2c) return; // '}'
    }
  }

  array(path: string, depth: number): void {
    this.i++;
    this.ws();
    if (this.s.charCodeAt(this.i) === 0x5d) {
      this.i++;
      return;
    }
    for (let n = 0; ; n++) {
      this.value(`${path}[${n}]`, depth + 1);
      this.ws();
      if (this.s.charCodeAt(this.i++) !== 0x2c) return; // ']'
    }
  }
}

function scan(text: string, forbiddenKeys: ReadonlySet<string>): Scanner {
  const s = new Scanner(text, forbiddenKeys);
  s.value('$', 0);
  return s;
}

/** The first forbidden key and the first duplicated key, in document order. */
export function scanKeys(text: string, forbiddenKeys: ReadonlySet<string>): KeyScan {
  const s = scan(text, forbiddenKeys);
  const out: KeyScan = {};
  if (s.forbidden) out.forbidden = s.forbidden;
  if (s.duplicate) out.duplicate = s.duplicate;
  return out;
}

const NO_KEYS: ReadonlySet<string> = new Set();

/** The source text of every top-level member's value (the occurrence JSON.parse kept), by key. */
export function topLevelTokens(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, [start, end]] of scan(text, NO_KEYS).topLevel) out.set(key, text.slice(start, end));
  return out;
}

/**
 * Key occurrences in JSON text that JSON.parse accepted: the ':' outside
 * strings (each key, at any depth, is followed by exactly one). Strings are
 * skipped with indexOf; a quote ends one when an even number of backslashes
 * precedes it.
 */
export function keysOutsideStrings(s: string): number {
  const n = s.length;
  let colons = 0;
  let i = 0;
  for (;;) {
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x3a) colons++;
    }
    if (i >= n) return colons;
    // in a string from i + 1: find its closing quote
    for (;;) {
      const q = s.indexOf('"', i + 1);
      if (q < 0) return colons; // not valid JSON: cannot happen after JSON.parse
      let b = q - 1;
      while (s.charCodeAt(b) === 0x5c) b--;
      i = q;
      if (((q - 1 - b) & 1) === 0) break;
    }
    i++;
  }
}

/** Keys in every object of a parsed JSON value, at every depth (arrays' elements included). */
export function keyCount(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  let n = 0;
  if (Array.isArray(v)) {
    for (const x of v) n += keyCount(x);
    return n;
  }
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) n += 1 + keyCount(o[k]);
  return n;
}
