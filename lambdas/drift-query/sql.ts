/**
 * Renders the drift job's Athena (engine v3 / Trino) query: per-feature bin
 * counts of one capture window over the BASELINE's bins. Pure: no I/O.
 *
 * Result rows: `feature varchar, kind varchar, bucket varchar, n bigint`
 *   kind 'bin'      numeric feature, bucket = bin index ('0'..'k-1')
 *   kind 'category' categorical feature, bucket = the category string
 *   kind 'missing'  bucket NULL
 * Every captured request contributes exactly one row-count to every feature
 * (so per feature Σ n = captured requests = `total`). Bins/categories with no
 * value produce no row (lambdas/drift-stats fills in zeros).
 *
 * Semantics, kept identical to lambdas/drift-stats (statistics.ts):
 *  - body: the request as text: endpointinput.data, base64-decoded when
 *    encoding = 'BASE64' (from_utf8 replaces invalid UTF-8; an invalid base64
 *    string makes the body NULL through TRY, so every feature is missing).
 *    The gateway sends JSON.stringify(features): one JSON object per request.
 *  - numeric: value = TRY_CAST(json_extract_scalar(body, '$["name"]') AS
 *    double); NULL (absent, JSON null, object/array, boolean, non-numeric
 *    string, body not JSON) or NaN → missing. Bins are LEFT-CLOSED: bin i
 *    holds edges[i] <= x < edges[i+1], null ends = ∓∞, rendered as a CASE
 *    chain `WHEN v < DOUBLE '<edge i+1>' THEN 'i'` (first match wins) with
 *    ELSE = the last bin; ±Infinity land in the end bins as in binNumeric.
 *    Edges are written as DOUBLE '<String(x)>': the shortest decimal that
 *    round-trips, so Trino parses the identical double.
 *  - categorical: category = json_extract_scalar(body, '$["name"]'); NULL
 *    (absent, JSON null, object/array) → missing. Strings come back unescaped
 *    (as JSON.parse gives them), booleans as 'true'/'false' (= String(b)),
 *    numbers as their JSON text as written (Trino's json_extract_scalar on a
 *    varchar returns the number token's text). Bodies written by
 *    JSON.stringify (the gateway) therefore give String(x) exactly.
 *    Documented gaps, for bodies NOT written by JSON.stringify: a number
 *    written as `1.0` or `1e3` is the category '1.0' / '1e3' where
 *    String(x) gives '1' / '1000'. A body with a duplicated key: Trino
 *    reads the first occurrence, JSON.parse keeps the last.
 *  - numeric strings: TRY_CAST(varchar AS double) follows Java's
 *    Double.parseDouble (trims blanks, accepts 'Infinity'/'NaN', rejects
 *    hex), JavaScript's Number() accepts '0x1A' and rejects '1d'. Both agree
 *    on plain decimal/exponent strings; only such exotic strings differ.
 *  - window: inference time in [windowStart, windowEnd), compared as
 *    timestamps (from_iso8601_timestamp), not as strings: SageMaker may write
 *    fractional seconds, and '10:00:00.5Z' < '10:00:00Z' lexicographically.
 *    An unparseable inferencetime excludes the record (TRY → NULL).
 *  - partitions: variant IN (production variants) and capture_hour from the
 *    window start's hour through the window END's hour inclusive: SageMaker
 *    files a record under the hour it UPLOADS the capture file, which can be
 *    after the inference time; the inference-time filter keeps the window
 *    exact, the extra partition only costs one more hour of scan.
 *  - Struct fields are written lower-case (capturedata.endpointinput.data):
 *    Glue lower-cases column and struct field names and the OpenX JSON SerDe
 *    matches JSON keys case-insensitively (its default).
 *
 * Dialect: the statement is written in the subset Athena (Trino) and DuckDB
 * share, so the tests RUN it in DuckDB (test/lambdas/drift/drift-sql-duckdb.test.ts).
 * Each difference between the two is one named shim of SqlDialect, rendered
 * for Athena in production (ATHENA) and for DuckDB in the tests (DUCKDB):
 *   jsonScalar   json_extract_scalar(b, '$["f"]')  |  TRY(CASE json_type(...) IN ('OBJECT','ARRAY') THEN NULL ELSE json_extract_string(b, '$."f"') END)
 *   isNan        is_nan(v)                         |  isnan(v)
 *   utf8         from_utf8(x)                      |  decode(x)
 *   timestamp    from_iso8601_timestamp(t)         |  TRY_CAST(t AS TIMESTAMPTZ) (DuckDB's TRY does not reach into a filter)
 *   unnest       UNNEST(ARRAY[ROW..]) AS o (feature, kind, bucket)  |  UNNEST(...) AS o (obs), obs.feature...
 * Differences the shims do not remove (DuckDB only, so tests avoid them):
 * TRY_CAST(varchar AS double) in DuckDB rejects 'Infinity', '12d' and
 * out-of-range '1e400' (Java's parseDouble accepts them), and decode()
 * rejects invalid UTF-8 where from_utf8 substitutes U+FFFD; json_extract_string
 * prints a number as DuckDB formats it ('1e21', '1000.0'), not as the token
 * was written (Trino), so only plain integers and decimals agree as categories.
 *
 * The statement starts with WITH: no leading comment, so nothing depends on
 * how Athena treats text before the statement.
 *
 * Literal safety: feature names must match FEATURE_NAME (they are the only
 * text inside JSON paths and output literals); database/table must match
 * IDENTIFIER and are double-quoted; every string literal goes through
 * sqlString() (single quotes doubled).
 */

import { Baseline, DriftInputError } from '../drift-stats/statistics';

export const FEATURE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** Glue database/table names (Athena DML quotes them with double quotes). */
export const IDENTIFIER = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,254}$/;
/** SageMaker production variant names. */
export const VARIANT_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
/** Athena's maximum query string length (bytes). */
export const MAX_QUERY_BYTES = 262_144;

/** The functions where Athena (Trino) and DuckDB differ; everything else is shared SQL. */
export interface SqlDialect {
  readonly name: 'athena' | 'duckdb';
  /** The scalar at a top-level key as text; NULL for absent, null, object, array or a body that is not JSON. */
  jsonScalar(body: string, feature: string): string;
  isNan(v: string): string;
  /** varbinary → varchar. */
  utf8(bytes: string): string;
  /** ISO-8601 text → timestamp with time zone. */
  timestamp(text: string): string;
  /** FROM-clause fragment that unnests an ARRAY of ROW(feature, kind, bucket), and the select list that reads it. */
  unnest(rows: string): { join: string; select: string };
}

export const ATHENA: SqlDialect = {
  name: 'athena',
  jsonScalar: (body, feature) => `json_extract_scalar(${body}, ${sqlString(`$["${feature}"]`)})`,
  isNan: (v) => `is_nan(${v})`,
  utf8: (bytes) => `from_utf8(${bytes})`,
  timestamp: (text) => `from_iso8601_timestamp(${text})`,
  unnest: (rows) => ({ join: `CROSS JOIN UNNEST(${rows}) AS o (feature, kind, bucket)`, select: 'o.feature, o.kind, o.bucket' }),
};

export const DUCKDB: SqlDialect = {
  name: 'duckdb',
  jsonScalar: (body, feature) => {
    const path = sqlString(`$."${feature}"`);
    return `TRY(CASE WHEN json_type(${body}, ${path}) IN ('OBJECT', 'ARRAY') THEN NULL ELSE json_extract_string(${body}, ${path}) END)`;
  },
  isNan: (v) => `isnan(${v})`,
  utf8: (bytes) => `decode(${bytes})`,
  timestamp: (text) => `TRY_CAST(${text} AS TIMESTAMPTZ)`,
  unnest: (rows) => ({ join: `CROSS JOIN UNNEST(${rows}) AS o (obs)`, select: 'obs.feature AS feature, obs.kind AS kind, obs.bucket AS bucket' }),
};

export interface BinCountQuery {
  database: string;
  table: string;
  /** Production variants to include (shadow variants are excluded by not listing them). */
  variants: readonly string[];
  /** Inclusive start, exclusive end; both on whole hours (UTC). */
  windowStart: Date;
  windowEnd: Date;
  baseline: Baseline;
}

/** A SQL string literal: single quotes doubled. */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export function quotedIdentifier(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) throw new DriftInputError(`${what} ${JSON.stringify(name)} is not a valid Glue name (${IDENTIFIER.source})`);
  return `"${name}"`;
}

/** DOUBLE literal of a finite number; String(x) round-trips to the same double. */
export function doubleLiteral(x: number): string {
  if (!Number.isFinite(x)) throw new DriftInputError(`edge ${x} is not finite`);
  return `DOUBLE ${sqlString(String(x === 0 ? 0 : x))}`;
}

/** 'yyyy/MM/dd/HH' of a UTC hour: the capture_hour partition value. */
export function captureHour(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${p(d.getUTCHours())}`;
}

/** ISO-8601 without milliseconds: 2026-11-21T10:00:00Z. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** CASE chain giving the left-closed bin index of `v` over `edges` (null ends). */
export function binCase(v: string, edges: ReadonlyArray<number | null>, dialect: SqlDialect = ATHENA): string {
  const bins = edges.length - 1;
  const whens: string[] = [`WHEN ${v} IS NULL OR ${dialect.isNan(v)} THEN NULL`];
  for (let i = 0; i < bins - 1; i++) whens.push(`WHEN ${v} < ${doubleLiteral(edges[i + 1] as number)} THEN ${sqlString(String(i))}`);
  return `CASE ${whens.join(' ')} ELSE ${sqlString(String(bins - 1))} END`;
}

function observation(feature: string, kind: string, bucket: string): string {
  return `CAST(ROW(${sqlString(feature)}, ${kind}, ${bucket}) AS ROW(feature varchar, kind varchar, bucket varchar))`;
}

/** The whole query. Throws DriftInputError on any name that cannot be emitted safely. */
export function renderBinCountSql(q: BinCountQuery, dialect: SqlDialect = ATHENA): string {
  const table = `${quotedIdentifier(q.database, 'capture database')}.${quotedIdentifier(q.table, 'capture table')}`;
  if (q.variants.length === 0) throw new DriftInputError('at least one production variant is needed');
  for (const v of q.variants) {
    if (!VARIANT_NAME.test(v)) throw new DriftInputError(`variant ${JSON.stringify(v)} is not a SageMaker variant name`);
  }
  const start = q.windowStart.getTime();
  const end = q.windowEnd.getTime();
  if (!(start < end) || start % 3_600_000 !== 0 || end % 3_600_000 !== 0) {
    throw new DriftInputError('the window must be whole UTC hours with start < end');
  }
  const names = Object.keys(q.baseline.features).sort();
  if (names.length === 0) throw new DriftInputError('the baseline has no features');

  const columns: string[] = [];
  const rows: string[] = [];
  names.forEach((name, i) => {
    if (!FEATURE_NAME.test(name)) throw new DriftInputError(`feature name ${JSON.stringify(name)} cannot be queried (${FEATURE_NAME.source})`);
    const f = q.baseline.features[name]!;
    const v = `"v${i}"`;
    if (f.type === 'numeric') {
      columns.push(`TRY_CAST(${dialect.jsonScalar('body', name)} AS double) AS ${v}`);
      rows.push(observation(name, `CASE WHEN ${v} IS NULL OR ${dialect.isNan(v)} THEN 'missing' ELSE 'bin' END`, binCase(v, f.edges, dialect)));
    } else {
      columns.push(`${dialect.jsonScalar('body', name)} AS ${v}`);
      rows.push(observation(name, `CASE WHEN ${v} IS NULL THEN 'missing' ELSE 'category' END`, v));
    }
  });

  const unnest = dialect.unnest(['ARRAY[', rows.map((r) => `    ${r}`).join(',\n'), '  ]'].join('\n'));
  const sql = [
    'WITH captured AS (',
    "  SELECT TRY(CASE WHEN capturedata.endpointinput.encoding = 'BASE64'",
    `    THEN ${dialect.utf8('from_base64(capturedata.endpointinput.data)')}`,
    '    ELSE capturedata.endpointinput.data END) AS body',
    `  FROM ${table}`,
    `  WHERE variant IN (${q.variants.map(sqlString).join(', ')})`,
    `    AND capture_hour BETWEEN ${sqlString(captureHour(q.windowStart))} AND ${sqlString(captureHour(q.windowEnd))}`,
    `    AND TRY(${dialect.timestamp('eventmetadata.inferencetime')}) >= ${dialect.timestamp(sqlString(isoSeconds(q.windowStart)))}`,
    `    AND TRY(${dialect.timestamp('eventmetadata.inferencetime')}) < ${dialect.timestamp(sqlString(isoSeconds(q.windowEnd)))}`,
    '), feature_values AS (',
    '  SELECT',
    columns.map((c) => `    ${c}`).join(',\n'),
    '  FROM captured',
    '), observations AS (',
    `  SELECT ${unnest.select}`,
    '  FROM feature_values',
    `  ${unnest.join}`,
    ')',
    'SELECT feature, kind, bucket, count(*) AS n',
    'FROM observations',
    'GROUP BY feature, kind, bucket',
  ].join('\n');
  const bytes = Buffer.byteLength(sql, 'utf8');
  if (bytes > MAX_QUERY_BYTES) {
    throw new DriftInputError(`the drift query is ${bytes} bytes, over Athena's ${MAX_QUERY_BYTES}: reduce bins or features`);
  }
  return sql;
}
