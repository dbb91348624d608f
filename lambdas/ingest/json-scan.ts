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

/** Occurrences of ':' in a string. */
export function colonCount(s: string): number {
  let n = 0;
  for (let i = s.indexOf(':'); i !== -1; i = s.indexOf(':', i + 1)) n++;
  return n;
}

/**
 * Keys plus the colons inside every key and string of a parsed JSON value. For
 * text without `\u` escapes, colonCount(text) equals this exactly when no key
 * is duplicated (each key owns one ':' outside strings, and every ':' inside a
 * string survives parsing); a duplicate drops at least its own ':'.
 */
export function parsedColons(v: unknown): number {
  if (typeof v === 'string') return v.length > 0 ? colonCount(v) : 0;
  if (typeof v !== 'object' || v === null) return 0;
  let n = 0;
  if (Array.isArray(v)) {
    for (const x of v) n += parsedColons(x);
    return n;
  }
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    n += 1 + colonCount(k) + parsedColons(o[k]);
  }
  return n;
}
