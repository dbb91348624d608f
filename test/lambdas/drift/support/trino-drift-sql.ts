/**
 * Offline executor of the drift query rendered by lambdas/drift-query/sql.ts.
 *
 * There is no Trino/Athena engine available offline (nothing on npm runs
 * Trino SQL), so this file READS THE RENDERED SQL TEXT (the WHERE literals,
 * the per-feature column expressions, the CASE chains with their DOUBLE
 * literals and bucket labels) and executes exactly those pieces over capture
 * records, implementing the Trino functions the query uses with their
 * documented semantics:
 *   - from_base64: strict (invalid input is an error; TRY → NULL);
 *     from_utf8: invalid sequences become U+FFFD.
 *   - json_extract_scalar(varchar, '$["k"]'): NULL for an invalid document,
 *     an absent key, null, an object or an array; a string's unescaped value;
 *     'true'/'false'; a number's token text as written (Trino's
 *     ScalarValueJsonExtractor returns jsonParser.getText()); the FIRST of
 *     duplicated keys. (Trino parses as a stream and may still return a key
 *     that precedes a syntax error; here any invalid document gives NULL.
 *     The gateway only sends JSON.stringify output, so this never arises.)
 *   - TRY_CAST(varchar AS double): Java Double.parseDouble (blanks <= U+0020
 *     trimmed, NaN/Infinity accepted, a trailing f/F/d/D accepted), NULL when
 *     it does not parse. (Java's hexadecimal floats are not emulated.)
 *   - DOUBLE '<text>' literal: Double.parseDouble(text).
 *   - from_iso8601_timestamp: an ISO-8601 instant (TRY → NULL when invalid).
 *   - CASE: first matching WHEN; comparisons with NULL are not true.
 * Any part of the SQL this executor does not recognise makes it throw, so a
 * change of the rendered shape cannot silently escape these tests.
 */

export interface CaptureRecord {
  variant: string;
  /** yyyy/MM/dd/HH partition value. */
  capture_hour: string;
  capturedata: { endpointinput: { data: string; encoding: 'JSON' | 'BASE64' | string } };
  eventmetadata: { inferencetime: string };
}

export interface ResultRow {
  feature: string;
  kind: string;
  bucket: string | null;
  n: string;
}

type Scalar = string | null;

// ---------------------------------------------------------------------------
// Trino functions

function fromBase64Strict(s: string): Buffer | undefined {
  const clean = s.replace(/\s/g, '');
  if (clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return undefined;
  return Buffer.from(clean, 'base64');
}

/** Top-level members of a JSON object text: key → scalar as json_extract_scalar returns it. */
export function jsonExtractScalar(doc: string | null, key: string): Scalar {
  if (doc === null) return null;
  const members = parseTopLevel(doc);
  if (members === undefined || !members.has(key)) return null;
  return members.get(key)!;
}

/** Minimal JSON reader keeping number tokens' text. undefined = not a JSON object. */
function parseTopLevel(text: string): Map<string, Scalar> | undefined {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const fail = (): never => {
    throw new SyntaxError(`bad JSON at ${i}`);
  };
  const str = (): string => {
    if (text[i] !== '"') fail();
    const start = i;
    i++;
    while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) fail();
    i++;
    return JSON.parse(text.slice(start, i)) as string;
  };
  const value = (): { scalar: Scalar } => {
    ws();
    const c = text[i];
    if (c === '"') return { scalar: str() };
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      i++;
      ws();
      if (text[i] === close) {
        i++;
        return { scalar: null };
      }
      for (;;) {
        if (c === '{') {
          ws();
          str();
          ws();
          if (text[i] !== ':') fail();
          i++;
        }
        value();
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === close) {
          i++;
          return { scalar: null };
        }
        fail();
      }
    }
    for (const lit of ['true', 'false', 'null'] as const) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return { scalar: lit === 'null' ? null : lit };
      }
    }
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail();
    i += m![0].length;
    return { scalar: m![0] };
  };
  try {
    ws();
    if (text[i] !== '{') return undefined;
    i++;
    const out = new Map<string, Scalar>();
    ws();
    if (text[i] === '}') {
      i++;
    } else {
      for (;;) {
        ws();
        const k = str();
        ws();
        if (text[i] !== ':') fail();
        i++;
        const v = value();
        if (!out.has(k)) out.set(k, v.scalar);
        ws();
        if (text[i] === ',') {
          i++;
          continue;
        }
        if (text[i] === '}') {
          i++;
          break;
        }
        fail();
      }
    }
    ws();
    if (i !== text.length) fail();
    return out;
  } catch {
    return undefined;
  }
}

/** Java Double.parseDouble, or null (TRY_CAST) when it throws. */
export function javaParseDouble(s: string | null): number | null {
  if (s === null) return null;
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) <= 0x20) a++;
  while (b > a && s.charCodeAt(b - 1) <= 0x20) b--;
  const t = s.slice(a, b);
  const m = /^([+-]?)(NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)[fFdD]?$/.exec(t);
  if (!m) return null;
  if (m[2] === 'NaN') return NaN;
  const x = Number(m[2]);
  return m[1] === '-' ? -x : x;
}

function iso8601(s: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(s)) return null;
  const ms = Date.parse(s);
  return Number.isFinite(ms) ? ms : null;
}

// ---------------------------------------------------------------------------
// Reading the rendered SQL

function literal(s: string): string {
  if (!/^'(?:[^']|'')*'$/.test(s)) throw new Error(`not a SQL string literal: ${s}`);
  return s.slice(1, -1).replace(/''/g, "'");
}

const LIT = "'(?:[^']|'')*'";

interface FeatureColumn {
  feature: string;
  variable: string;
  numeric: boolean;
  /** Numeric: [upper edge, bucket] in CASE order, then the ELSE bucket. */
  whens: Array<[number, string]>;
  elseBucket: string;
}

interface ParsedQuery {
  variants: string[];
  hourFrom: string;
  hourTo: string;
  start: number;
  end: number;
  columns: FeatureColumn[];
}

function one(re: RegExp, sql: string, what: string): RegExpExecArray {
  const m = re.exec(sql);
  if (!m) throw new Error(`the rendered SQL has no ${what}`);
  return m;
}

export function parseDriftSql(sql: string): ParsedQuery {
  const variantList = one(new RegExp(`WHERE variant IN \\(((?:${LIT}(?:, )?)+)\\)`), sql, 'variant filter')[1]!;
  const variants = [...variantList.matchAll(new RegExp(LIT, 'g'))].map((m) => literal(m[0]));
  const hours = one(new RegExp(`AND capture_hour BETWEEN (${LIT}) AND (${LIT})`), sql, 'capture_hour filter');
  const from = one(new RegExp(`TRY\\(from_iso8601_timestamp\\(eventmetadata\\.inferencetime\\)\\) >= from_iso8601_timestamp\\((${LIT})\\)`), sql, 'window start');
  const to = one(new RegExp(`TRY\\(from_iso8601_timestamp\\(eventmetadata\\.inferencetime\\)\\) < from_iso8601_timestamp\\((${LIT})\\)`), sql, 'window end');
  one(
    /TRY\(CASE WHEN capturedata\.endpointinput\.encoding = 'BASE64'\s+THEN from_utf8\(from_base64\(capturedata\.endpointinput\.data\)\)\s+ELSE capturedata\.endpointinput\.data END\) AS body/,
    sql,
    'body expression',
  );
  one(/SELECT feature, kind, bucket, count\(\*\) AS n\nFROM observations\nGROUP BY feature, kind, bucket$/, sql, 'final aggregation');

  const columns: FeatureColumn[] = [];
  const colRe = new RegExp(`^    (TRY_CAST\\()?json_extract_scalar\\(body, (${LIT})\\)( AS double\\))? AS ("v\\d+"),?$`, 'gm');
  for (const m of sql.matchAll(colRe)) {
    if (Boolean(m[1]) !== Boolean(m[3])) throw new Error(`unbalanced TRY_CAST in ${m[0]}`);
    const path = literal(m[2]!);
    const pm = /^\$\["([A-Za-z_][A-Za-z0-9_]*)"\]$/.exec(path);
    if (!pm) throw new Error(`unexpected JSON path ${path}`);
    columns.push({ feature: pm[1]!, variable: m[4]!, numeric: Boolean(m[1]), whens: [], elseBucket: '' });
  }
  const rowRe = new RegExp(`^    CAST\\(ROW\\((${LIT}), (.*), (.*)\\) AS ROW\\(feature varchar, kind varchar, bucket varchar\\)\\),?$`, 'gm');
  const rows = [...sql.matchAll(rowRe)];
  if (rows.length !== columns.length || columns.length === 0) throw new Error(`${columns.length} feature columns but ${rows.length} observation rows`);
  rows.forEach((m, idx) => {
    const col = columns[idx]!;
    if (literal(m[1]!) !== col.feature) throw new Error(`row ${idx} names ${m[1]} but column ${idx} reads ${col.feature}`);
    const v = col.variable;
    if (col.numeric) {
      if (m[2] !== `CASE WHEN ${v} IS NULL OR is_nan(${v}) THEN 'missing' ELSE 'bin' END`) throw new Error(`unexpected kind expression ${m[2]}`);
      const bucket = m[3]!;
      const head = `CASE WHEN ${v} IS NULL OR is_nan(${v}) THEN NULL `;
      if (!bucket.startsWith(head)) throw new Error(`unexpected bucket expression ${bucket}`);
      let rest = bucket.slice(head.length);
      const whenRe = new RegExp(`^WHEN ${v} < DOUBLE (${LIT}) THEN (${LIT}) `);
      for (let w = whenRe.exec(rest); w; w = whenRe.exec(rest)) {
        const edge = javaParseDouble(literal(w[1]!));
        if (edge === null) throw new Error(`bad DOUBLE literal ${w[1]}`);
        col.whens.push([edge, literal(w[2]!)]);
        rest = rest.slice(w[0].length);
      }
      const e = new RegExp(`^ELSE (${LIT}) END$`).exec(rest);
      if (!e) throw new Error(`unexpected end of CASE: ${rest}`);
      col.elseBucket = literal(e[1]!);
    } else {
      if (m[2] !== `CASE WHEN ${v} IS NULL THEN 'missing' ELSE 'category' END` || m[3] !== v) throw new Error(`unexpected categorical row ${m[0]}`);
    }
  });
  const start = iso8601(literal(from[1]!));
  const end = iso8601(literal(to[1]!));
  if (start === null || end === null) throw new Error('window bounds are not ISO-8601');
  return { variants, hourFrom: literal(hours[1]!), hourTo: literal(hours[2]!), start, end, columns };
}

// ---------------------------------------------------------------------------
// Execution

function body(r: CaptureRecord): string | null {
  const input = r.capturedata.endpointinput;
  if (input.encoding !== 'BASE64') return input.data;
  const bytes = fromBase64Strict(input.data);
  return bytes === undefined ? null : new TextDecoder('utf-8').decode(bytes);
}

/** Executes the rendered query over the records: the rows Athena would return (header excluded). */
export function executeDriftSql(sql: string, records: readonly CaptureRecord[]): ResultRow[] {
  const q = parseDriftSql(sql);
  const groups = new Map<string, ResultRow & { count: number }>();
  for (const r of records) {
    if (!q.variants.includes(r.variant)) continue;
    if (!(r.capture_hour >= q.hourFrom && r.capture_hour <= q.hourTo)) continue;
    const t = iso8601(r.eventmetadata.inferencetime);
    if (t === null || !(t >= q.start) || !(t < q.end)) continue;
    const doc = body(r);
    for (const col of q.columns) {
      const text = jsonExtractScalar(doc, col.feature);
      let kind: string;
      let bucket: string | null;
      if (col.numeric) {
        const x = javaParseDouble(text);
        if (x === null || Number.isNaN(x)) {
          kind = 'missing';
          bucket = null;
        } else {
          kind = 'bin';
          bucket = col.whens.find(([edge]) => x < edge)?.[1] ?? col.elseBucket;
        }
      } else {
        kind = text === null ? 'missing' : 'category';
        bucket = text;
      }
      const key = JSON.stringify([col.feature, kind, bucket]);
      const g = groups.get(key) ?? { feature: col.feature, kind, bucket, n: '', count: 0 };
      g.count++;
      groups.set(key, g);
    }
  }
  return [...groups.values()].map(({ count, ...row }) => ({ ...row, n: String(count) }));
}

/** A capture record as SageMaker writes it (JSON encoding unless base64 is asked for). */
export function captureRecord(
  features: unknown,
  options: { time?: string; variant?: string; hour?: string; base64?: boolean; rawBody?: string } = {},
): CaptureRecord {
  const time = options.time ?? '2026-11-21T09:30:00Z';
  const text = options.rawBody ?? JSON.stringify(features);
  const hour = options.hour ?? `${time.slice(0, 4)}/${time.slice(5, 7)}/${time.slice(8, 10)}/${time.slice(11, 13)}`;
  return {
    variant: options.variant ?? 'AllTraffic',
    capture_hour: hour,
    capturedata: {
      endpointinput: options.base64 ? { data: Buffer.from(text, 'utf8').toString('base64'), encoding: 'BASE64' } : { data: text, encoding: 'JSON' },
    },
    eventmetadata: { inferencetime: time },
  };
}
