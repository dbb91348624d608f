/**
 * The quality job's query: the window's captured predictions joined to ground truth, reduced
 * to small aggregates per variant. Pure: no I/O. Written in the subset Athena (engine v3,
 * Trino) and DuckDB share, with one small named shim per difference (DIALECTS below), so the
 * tests RUN the very same text in DuckDB on fixtures with known answers.
 *
 * Inputs:
 *  - capture: the endpoint's data capture table (columns capturedata, eventmetadata, partitions
 *    variant and capture_hour 'yyyy/MM/dd/HH'); the prediction is
 *    capturedata.endpointoutput.data (base64-decoded when encoding = 'BASE64') at `scorePath`,
 *    the join key eventmetadata.inferenceid (the gateway's InferenceId).
 *  - ground truth: the model's lake dataset (inference_id, label, observed_at, outcome_value)
 *    UNION ALL the reviewers' labels (inferenceid, label, labelledat), when a review table is
 *    given. Per inference id the LATEST observation wins (different labels tied at the latest
 *    instant conflict and are not used); labels observed after `labelsUntil`
 *    (the run time) are not seen, so a re-run gives the same answer.
 *  - window: predictions with inference time in [windowStart, windowEnd). An inference id
 *    captured more than once (a caller's retry under its own id) counts once: the latest
 *    attempt, whatever variant served it.
 *
 * Result rows: kind, variant, bin, predicted, actual, n, sum1, sum2, sum3, last_label_at
 *   'traffic' per variant: n = predictions, sum1 = labelled, sum2 = Σ outcome_value,
 *             sum3 = median label delay in seconds (labelled rows only)
 *   'class'   per variant × score bin × predicted × actual: n, sum1 = Σ score,
 *             sum2 = Σ (score − y)², sum3 = Σ (score − y)⁴  (Brier loss moments)
 *   'reg'     per variant: n, sum1 = Σ|e|, sum2 = Σe², sum3 = Σe⁴ with e = prediction − label
 *   'labels'  one row: n = labels observed until the run, last_label_at = the latest
 *             observed_at (ISO text), whatever prediction it belongs to (staleness).
 *   'unscored' per variant with any: n = predictions without a usable score.
 *   'conflicting' per variant with any: n = predictions whose latest labels disagree (two
 *             different labels observed at the same latest instant); they are not labelled.
 * A usable score is a number in [0, 1] for classification (a probability: a percentage, a
 * logit or NaN is not one, and clamping it would turn 57 into a confident 1.0), a finite number
 * for regression. A prediction without one is counted in traffic and in 'unscored', never labelled.
 *
 * Literal safety: identifiers must match IDENTIFIER and are double-quoted; variants
 * VARIANT_NAME; the JSON path OUTPUT_JSON_PATH; every string literal goes through sqlString().
 */

export const IDENTIFIER = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,254}$/;
export const VARIANT_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
export const OUTPUT_JSON_PATH = /^\$(\.[A-Za-z_][A-Za-z0-9_]{0,63}){1,4}$/;
export const RESULT_COLUMNS = ['kind', 'variant', 'bin', 'predicted', 'actual', 'n', 'sum1', 'sum2', 'sum3', 'last_label_at'] as const;

export class QuerySpecError extends Error {
  override readonly name = 'QualityInputError';
}

/** The shims: each difference between Athena and DuckDB in one named function. */
export interface Dialect {
  readonly name: 'athena' | 'duckdb';
  /** JSON scalar at a path, as text (NULL when absent or not a scalar). */
  jsonScalar(doc: string, path: string): string;
  /**
   * ISO-8601 text → timestamp with time zone; NULL when unparseable. A space between date and time
   * (which ingest accepts, as RFC 3339 does) is read as `T` first: Athena's ISO-8601 parser may not
   * accept the space, and under TRY such a label would silently drop out of the join.
   */
  isoTimestamp(text: string): string;
  /** base64 text → UTF-8 text; NULL when invalid. */
  fromBase64Text(text: string): string;
  /** Median of a numeric column (approximate in Athena). */
  median(expr: string): string;
  /** timestamp → ISO-8601 text (UTC). */
  isoText(ts: string): string;
}

export const DIALECTS: Record<Dialect['name'], Dialect> = {
  athena: {
    name: 'athena',
    jsonScalar: (doc, path) => `json_extract_scalar(${doc}, ${sqlString(path)})`,
    isoTimestamp: (text) => `TRY(from_iso8601_timestamp(replace(${text}, ' ', 'T')))`,
    fromBase64Text: (text) => `TRY(from_utf8(from_base64(${text})))`,
    median: (expr) => `approx_percentile(${expr}, 0.5)`,
    isoText: (ts) => `to_iso8601(${ts} AT TIME ZONE 'UTC')`,
  },
  duckdb: {
    name: 'duckdb',
    jsonScalar: (doc, path) => `json_extract_string(${doc}, ${sqlString(path)})`,
    isoTimestamp: (text) => `TRY_CAST(replace(${text}, ' ', 'T') AS TIMESTAMPTZ)`,
    fromBase64Text: (text) => `TRY(decode(from_base64(${text})))`,
    median: (expr) => `quantile_cont(${expr}, 0.5)`,
    isoText: (ts) => `strftime(${ts} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S.%gZ')`,
  },
};

export interface QualityQuery {
  readonly dialect: Dialect;
  readonly database: string;
  readonly captureTable: string;
  readonly groundTruthTable: string;
  /** The reviewers' labels (the review loop's ground-truth objects), when the model has a review queue. */
  readonly reviewTable?: string;
  readonly variants: readonly string[];
  readonly windowStart: Date;
  readonly windowEnd: Date;
  /** Labels observed after this are not seen (the run time). */
  readonly labelsUntil: Date;
  readonly problemType: 'binary_classification' | 'regression';
  readonly scorePath: string;
  readonly positiveLabel?: string;
  readonly threshold: number;
  readonly bins: number;
}

export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

function ident(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) throw new QuerySpecError(`${what} ${JSON.stringify(name)} is not a safe identifier`);
  return `"${name}"`;
}

const HOUR_MS = 3_600_000;

function hourPartition(d: Date): string {
  const iso = d.toISOString();
  return `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(11, 13)}`;
}

export function renderQualityQuery(q: QualityQuery): string {
  const d = q.dialect;
  const db = ident(q.database, 'database');
  const capture = `${db}.${ident(q.captureTable, 'capture table')}`;
  const truth = `${db}.${ident(q.groundTruthTable, 'ground-truth table')}`;
  const review = q.reviewTable === undefined ? undefined : `${db}.${ident(q.reviewTable, 'review table')}`;
  if (q.variants.length === 0) throw new QuerySpecError('at least one variant is needed');
  for (const v of q.variants) if (!VARIANT_NAME.test(v)) throw new QuerySpecError(`variant ${JSON.stringify(v)} is not a SageMaker variant name`);
  if (!OUTPUT_JSON_PATH.test(q.scorePath)) throw new QuerySpecError(`scorePath ${JSON.stringify(q.scorePath)} is not a simple JSON path like $.score`);
  for (const [name, t] of [['windowStart', q.windowStart], ['windowEnd', q.windowEnd], ['labelsUntil', q.labelsUntil]] as const) {
    if (!(t instanceof Date) || Number.isNaN(t.getTime())) throw new QuerySpecError(`${name} is not a valid time`);
  }
  if (q.windowEnd.getTime() <= q.windowStart.getTime()) throw new QuerySpecError('windowEnd must be after windowStart');
  if (!Number.isInteger(q.bins) || q.bins < 10 || q.bins > 100_000) throw new QuerySpecError('bins must be an integer in 10..100000');
  if (!(q.threshold >= 0 && q.threshold <= 1)) throw new QuerySpecError('threshold must be in [0, 1]');
  const classification = q.problemType === 'binary_classification';
  if (classification && (q.positiveLabel === undefined || q.positiveLabel === '')) throw new QuerySpecError('positiveLabel is required for classification');

  const ts = (date: Date) => d.isoTimestamp(sqlString(date.toISOString()));
  // Capture is filed under the hour SageMaker uploads it, which can be after the inference: read one more hour.
  const firstHour = hourPartition(q.windowStart);
  const lastHour = hourPartition(new Date(q.windowEnd.getTime() + HOUR_MS));
  const output = 'capturedata.endpointoutput';
  const body = `CASE WHEN upper(${output}.encoding) = 'BASE64' THEN ${d.fromBase64Text(`${output}.data`)} ELSE ${output}.data END`;
  const truthSources = [
    `SELECT CAST(inference_id AS VARCHAR) AS inference_id, CAST(label AS VARCHAR) AS label, ${d.isoTimestamp('CAST(observed_at AS VARCHAR)')} AS observed_at, CAST(outcome_value AS DOUBLE) AS outcome_value FROM ${truth}`,
    ...(review
      ? [`SELECT CAST(inferenceid AS VARCHAR), CAST(label AS VARCHAR), ${d.isoTimestamp('CAST(labelledat AS VARCHAR)')}, CAST(NULL AS DOUBLE) FROM ${review} WHERE inferenceid IS NOT NULL`]
      : []),
  ];
  const [low, high] = classification ? ['0.0', '1.0'] : ['-1.7976931348623157e308', '1.7976931348623157e308'];
  const y = classification ? `CASE WHEN g.label = ${sqlString(q.positiveLabel as string)} THEN 1 ELSE 0 END` : 'TRY_CAST(g.label AS DOUBLE)';
  const lines = [
    'WITH captured AS (',
    `  SELECT variant, eventmetadata.inferenceid AS inference_id, ${d.isoTimestamp('eventmetadata.inferencetime')} AS predicted_at,`,
    `    TRY_CAST(${d.jsonScalar(body, q.scorePath)} AS DOUBLE) AS raw_score`,
    `  FROM ${capture}`,
    `  WHERE variant IN (${q.variants.map(sqlString).join(', ')})`,
    `    AND capture_hour BETWEEN ${sqlString(firstHour)} AND ${sqlString(lastHour)}`,
    `    AND ${d.isoTimestamp('eventmetadata.inferencetime')} >= ${ts(q.windowStart)}`,
    `    AND ${d.isoTimestamp('eventmetadata.inferencetime')} < ${ts(q.windowEnd)}`,
    '),',
    // A caller that retries with its own x-inference-id is captured once per attempt, possibly
    // by another variant. The answer it acted on is the latest; joining every attempt to the one
    // label would count that label twice. Rows without an id are never joined, so all stay.
    // A usable score: a probability in [0, 1] (classification) or a finite number (regression). Anything
    // else (a percentage, a logit, NaN, ±Infinity) is unscored: traffic, never labelled, counted apart.
    // Comparisons exclude NaN in both engines (Trino: false; DuckDB: NaN sorts above every number).
    'scored AS (',
    `  SELECT variant, inference_id, predicted_at, CASE WHEN raw_score >= ${low} AND raw_score <= ${high} THEN raw_score END AS score FROM captured`,
    '),',
    'predictions AS (',
    '  SELECT variant, inference_id, predicted_at, score FROM (',
    '    SELECT c.*, row_number() OVER (PARTITION BY inference_id ORDER BY predicted_at DESC, variant DESC, score DESC) AS attempt FROM scored c',
    '  ) ranked WHERE inference_id IS NULL OR attempt = 1',
    '),',
    'truth_all AS (',
    `  ${truthSources.join('\n  UNION ALL\n  ')}`,
    '),',
    'truth_seen AS (',
    `  SELECT * FROM truth_all WHERE inference_id IS NOT NULL AND label IS NOT NULL AND observed_at IS NOT NULL AND observed_at <= ${ts(q.labelsUntil)}`,
    '),',
    // The latest observation wins. Two different labels observed at that same latest instant (a
    // date-only observed_at relabelled the same day, a reviewer and the lake at once) conflict:
    // which one is right is unknown, so neither is used (counted per variant as 'conflicting').
    'truth AS (',
    '  SELECT inference_id, label, observed_at, outcome_value, conflicting FROM (',
    '    SELECT t.*, row_number() OVER (PARTITION BY inference_id ORDER BY observed_at DESC, label DESC) AS rn,',
    '      CASE WHEN min(label) OVER (PARTITION BY inference_id, observed_at) <> max(label) OVER (PARTITION BY inference_id, observed_at) THEN 1 ELSE 0 END AS conflicting',
    '    FROM truth_seen t',
    '  ) ranked WHERE rn = 1',
    '),',
    'joined AS (',
    `  SELECT p.variant, p.score, p.predicted_at, g.observed_at, CASE WHEN g.conflicting = 0 THEN g.outcome_value END AS outcome_value, ${y} AS y,`,
    // A regression label that is not a number labels nothing (it is left out of the sums too).
    `    CASE WHEN g.inference_id IS NOT NULL AND p.score IS NOT NULL AND g.conflicting = 0 AND (${y}) IS NOT NULL THEN 1 ELSE 0 END AS labelled,`,
    '    CASE WHEN g.conflicting = 1 THEN 1 ELSE 0 END AS conflicting',
    '  FROM predictions p LEFT JOIN truth g ON p.inference_id = g.inference_id',
    ')',
    `SELECT 'traffic' AS kind, variant, CAST(NULL AS BIGINT) AS bin, CAST(NULL AS BIGINT) AS predicted, CAST(NULL AS BIGINT) AS actual,`,
    '  CAST(count(*) AS BIGINT) AS n, CAST(sum(labelled) AS DOUBLE) AS sum1, CAST(coalesce(sum(outcome_value), 0) AS DOUBLE) AS sum2,',
    `  CAST(${d.median("CASE WHEN labelled = 1 THEN date_diff('second', predicted_at, observed_at) END")} AS DOUBLE) AS sum3, CAST(NULL AS VARCHAR) AS last_label_at`,
    'FROM joined GROUP BY variant',
  ];
  lines.push(
    'UNION ALL',
    `SELECT 'unscored', variant, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(count(*) AS BIGINT),`,
    '  CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE), CAST(NULL AS VARCHAR)',
    'FROM predictions WHERE score IS NULL GROUP BY variant',
    'UNION ALL',
    `SELECT 'conflicting', variant, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(count(*) AS BIGINT),`,
    '  CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE), CAST(NULL AS VARCHAR)',
    'FROM joined WHERE conflicting = 1 GROUP BY variant',
  );
  if (classification) {
    const s = 'score';
    lines.push(
      'UNION ALL',
      `SELECT 'class', variant, CAST(least(floor(${s} * ${q.bins}), ${q.bins - 1}) AS BIGINT), CASE WHEN score >= ${q.threshold} THEN 1 ELSE 0 END, y,`,
      `  CAST(count(*) AS BIGINT), sum(${s}), sum(power(${s} - y, 2)), sum(power(${s} - y, 4)), CAST(NULL AS VARCHAR)`,
      'FROM joined WHERE labelled = 1',
      `GROUP BY variant, CAST(least(floor(${s} * ${q.bins}), ${q.bins - 1}) AS BIGINT), CASE WHEN score >= ${q.threshold} THEN 1 ELSE 0 END, y`,
    );
  } else {
    lines.push(
      'UNION ALL',
      `SELECT 'reg', variant, CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT),`,
      '  CAST(count(*) AS BIGINT), sum(abs(score - y)), sum(power(score - y, 2)), sum(power(score - y, 4)), CAST(NULL AS VARCHAR)',
      'FROM joined WHERE labelled = 1 AND y IS NOT NULL GROUP BY variant',
    );
  }
  lines.push(
    'UNION ALL',
    `SELECT 'labels', CAST(NULL AS VARCHAR), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT), CAST(count(*) AS BIGINT),`,
    `  CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE), ${d.isoText('max(observed_at)')}`,
    'FROM truth_seen',
  );
  return lines.join('\n');
}
