/**
 * Every SQL statement the feature capability renders, in the subset Athena (Trino) and DuckDB
 * share, so tests RUN the same text in DuckDB that Athena runs. Where the two engines differ there is
 * one small, named shim, rendered per dialect and tested on both sides:
 *
 *   ISO_TIMESTAMP  Athena has `from_iso8601_timestamp(s)`; DuckDB gets a macro of that name
 *                  (`CAST(s AS TIMESTAMPTZ)`), so the SQL text is identical.
 *   EXPORT         Athena writes results with `UNLOAD (…) TO 's3://…' WITH (…)`; DuckDB with
 *                  `COPY (…) TO '<file>' (FORMAT …)`.
 *
 * Pure TypeScript (no CDK), so both the constructs (at synth) and the handlers (at run time) use it.
 */
import { definitionHash, offlineTableName } from './feature-group-definition';
import type { FeatureGroupDefinition } from '../feature-store/feature-group';

export type SqlDialect = 'athena' | 'duckdb';

/** Shim ISO_TIMESTAMP, DuckDB side: run once per connection before Plinth's SQL. */
export const DUCKDB_SHIM_MACROS: readonly string[] = [
  'CREATE OR REPLACE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMPTZ)',
];

/** Shim EXPORT: write a SELECT's rows as JSON lines (feature staging) or Parquet (training sets). */
export function exportStatement(dialect: SqlDialect, select: string, target: string, format: 'json' | 'parquet'): string {
  if (dialect === 'athena') {
    const opts = format === 'json' ? "format = 'JSON', compression = 'GZIP'" : "format = 'PARQUET', compression = 'SNAPPY'";
    return `UNLOAD (${select}) TO ${quoteLiteral(target)} WITH (${opts})`;
  }
  return `COPY (${select}) TO ${quoteLiteral(target)} (FORMAT ${format === 'json' ? 'JSON' : 'PARQUET'})`;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export class SqlInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SqlInputError';
  }
}

/** A SQL string literal. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** A quoted identifier; refuses anything that is not a plain column or table name. */
export function quoteIdentifier(name: string, what: string): string {
  if (!IDENTIFIER.test(name)) throw new SqlInputError(`${what} "${name}" is not a plain SQL identifier (letters, digits and _, starting with a letter or _)`);
  return `"${name}"`;
}

/** An ISO-8601 instant as a timestamp expression; refuses anything else (no SQL reaches Athena from a bad input). */
export function isoInstant(value: string, what: string): string {
  if (!ISO_INSTANT.test(value) || Number.isNaN(Date.parse(value))) {
    throw new SqlInputError(`${what} "${value}" is not an ISO-8601 instant such as 2026-01-31T00:00:00Z`);
  }
  return `from_iso8601_timestamp(${quoteLiteral(value)})`;
}

/** Placeholders the feature pipeline's state machine fills in at run time (see `feature-pipeline.ts`). */
export const WINDOW_START_TOKEN = '{{window_start}}';
export const WINDOW_END_TOKEN = '{{window_end}}';

/**
 * The column each staged row carries besides the features: null for a row to write, else why the
 * pipeline cannot write it ({@link SKIP_REASONS}). feature-ingest reads and removes it.
 */
export const SKIP_COLUMN = '__plinth_skip';

/**
 * Why a staged row is not written:
 *   too-late   its event time is more than the lateness allowance before the window's start, so
 *              the history the run reads may not hold everything its SQL looks back at: its values
 *              could be incomplete. feature-ingest dead-letters it (RecordsRejected, alarmed); a
 *              backfill whose windowStart is before its event time featurizes it.
 *   duplicate  another row of the run has the same record id and event time; the one kept is the
 *              first in the tie-break order (see materializationSelect). Counted (DuplicatesDropped).
 */
export const SKIP_REASONS = ['too-late', 'duplicate'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/** How long after the window's start a row may have happened and still be featurized by it. @default 3 days */
export const DEFAULT_MAX_LATENESS_MINUTES = 3 * 24 * 60;

/** The UTC day (yyyy-MM-dd, the lake's ingest_date format) of a timestamp expression, in both engines. */
function utcDay(timestamp: string): string {
  return `CAST(CAST((${timestamp}) AT TIME ZONE 'UTC' AS DATE) AS VARCHAR)`;
}

/**
 * The group's source SQL for one refresh window, [windowStart, windowEnd) in ARRIVAL time: the
 * feature rows of the dataset's rows whose curated object was written in the window (Athena's
 * `"$file_modified_time"` of the curated zone's Hive table), each with its own event time, however
 * long after that event it arrived. Pass the tokens to get the template the state machine fills in.
 *
 * How (all in one statement; the SQL's dataset name is shadowed by a CTE of the same name):
 *   history  the dataset narrowed to the ingest_date partitions from the UTC day of
 *            windowStart - maxLateness - source.lookbackDays - 1 day to the UTC day of windowEnd
 *            (literal bounds Athena's partition projection prunes by; a curated object is written
 *            on or after its ingest_date, and a row arrives on or after the day it happened, give
 *            or take a day of clock skew). The group's SQL runs over it for the values.
 *   arrived  the same partitions, only rows whose object was written in the window. The group's
 *            SQL runs over them too, for the keys (record id, event time) of the rows that arrived:
 *            a row is emitted if its key is one of them. So the SQL must yield a row for an
 *            arrived source row from that row alone (one row per event, or per group of events);
 *            a SQL that drops a row because of its neighbours (HAVING on a count) would lose it.
 *   skip     a row whose event time is before windowStart - maxLateness is staged marked
 *            `too-late`; of rows sharing a record id and event time (the same instant) all but
 *            the first are marked `duplicate`. The tie-break, deterministic whatever order Athena
 *            reads the rows in: the served features in declared order, ascending, nulls last,
 *            then the event time as text. Both stores get the same one row: the online store
 *            keeps the last PutRecord of an event time, the offline store's point-in-time join
 *            the latest write, and within a run there is only one.
 *
 * Rows already featurized are not recomputed when a late row arrives (a later event's features
 * stay as they were served); a backfill recomputes deliberately.
 */
export function materializationSelect(group: FeatureGroupDefinition, window: { start: string; end: string }, options: { maxLatenessMinutes?: number } = {}): string {
  if (!group.source) throw new SqlInputError(`feature group "${group.name}" has no source`);
  const lateness = options.maxLatenessMinutes ?? DEFAULT_MAX_LATENESS_MINUTES;
  if (!Number.isInteger(lateness) || lateness < 0) throw new SqlInputError(`maxLatenessMinutes must be a whole number of minutes, at least 0; got ${lateness}`);
  const lookbackDays = group.source.lookbackDays;
  if (!Number.isInteger(lookbackDays) || lookbackDays < 0 || lookbackDays > 366) {
    throw new SqlInputError(`feature group "${group.name}": source.lookbackDays must be a whole number from 0 to 366, got ${String(lookbackDays)}`);
  }
  const dataset = quoteIdentifier(group.source.dataset, 'source.dataset');
  const id = quoteIdentifier(group.recordIdentifier, 'recordIdentifier');
  const evt = quoteIdentifier(group.eventTime, 'eventTime');
  const bound = (v: string, what: string) => (v.startsWith('{{') ? `from_iso8601_timestamp('${v}')` : isoInstant(v, what));
  const start = bound(window.start, 'windowStart');
  const end = bound(window.end, 'windowEnd');
  const lateBefore = `${start} - INTERVAL '${lateness}' MINUTE`;
  const partitions = `ingest_date >= ${utcDay(`${lateBefore} - INTERVAL '${lookbackDays + 1}' DAY`)} AND ingest_date <= ${utcDay(end)}`;
  const over = (where: string) => `(WITH ${dataset} AS (SELECT * FROM ${dataset} WHERE ${where}) SELECT * FROM (${group.source!.sql.trim()}\n) AS source_rows)`;
  const history = over(partitions);
  const arrived = over(`${partitions} AND "$file_modified_time" >= ${start} AND "$file_modified_time" < ${end}`);
  const tieBreak = [
    ...group.features.filter((f) => f.name !== group.recordIdentifier && f.name !== group.eventTime).map((f) => `h.${quoteIdentifier(f.name, 'feature')} ASC NULLS LAST`),
    `h.${evt} ASC`,
  ].join(', ');
  const ranked =
    `SELECT h.*, ROW_NUMBER() OVER (PARTITION BY h.${id}, from_iso8601_timestamp(h.${evt}) ORDER BY ${tieBreak}) AS plinth_rank ` +
    `FROM ${history} AS h`;
  const columns = group.features.map((f) => `feature_rows.${quoteIdentifier(f.name, 'feature')}`).join(', ');
  const skip =
    `CASE WHEN from_iso8601_timestamp(feature_rows.${evt}) < ${lateBefore} THEN 'too-late' ` +
    `WHEN feature_rows.plinth_rank > 1 THEN 'duplicate' ELSE NULL END AS ${quoteIdentifier(SKIP_COLUMN, 'skip column')}`;
  // An equi-join on the arrived keys (a semi-join Athena plans well); rows without a key or an event
  // time cannot join, so they come straight from the arrived rows, unmarked: feature-ingest
  // dead-letters them with their reason (missing-key, missing-event-time).
  const keyed = `feature_rows.${id} IS NOT NULL AND feature_rows.${evt} IS NOT NULL`;
  return (
    `SELECT ${columns}, ${skip} FROM (${ranked}) AS feature_rows ` +
    `JOIN (SELECT DISTINCT arrived_rows.${id}, arrived_rows.${evt} FROM ${arrived} AS arrived_rows) AS arrived_keys ` +
    `ON arrived_keys.${id} = feature_rows.${id} AND arrived_keys.${evt} = feature_rows.${evt} ` +
    `WHERE ${keyed} ` +
    `UNION ALL SELECT ${columns}, CAST(NULL AS VARCHAR) AS ${quoteIdentifier(SKIP_COLUMN, 'skip column')} FROM ${arrived} AS feature_rows WHERE NOT (${keyed})`
  );
}

/** Where the label rows of a training set come from (contract A's `labels`). */
export interface LabelSource {
  readonly database: string;
  readonly table: string;
  readonly entityKeyColumn: string;
  /** ISO-8601 strings: the moment the label's prediction would have been made. */
  readonly eventTimeColumn: string;
  readonly labelColumn: string;
}

/** Time-based split (contract A): label time >= holdoutFrom → holdout, >= validationFrom → validation, else train. */
export interface TimeSplit {
  readonly validationFrom: string;
  readonly holdoutFrom: string;
}

/** What a point-in-time join needs. */
export interface PointInTimeSpec {
  readonly labels: LabelSource;
  readonly groups: readonly FeatureGroupDefinition[];
  readonly windowStart: string;
  readonly windowEnd: string;
  readonly split?: TimeSplit;
  /** The Glue database of the offline store. @default 'sagemaker_featurestore' */
  readonly offlineDatabase?: string;
}

/** The feature columns a group contributes to a training set (and that the gateway looks up online): all but its key and event time. */
export function servedFeatures(group: FeatureGroupDefinition): string[] {
  return group.features.map((f) => f.name).filter((n) => n !== group.recordIdentifier && n !== group.eventTime);
}

/** The output columns of a training set, in order (config checks drift features against them too). */
export function trainingSetColumns(spec: {
  readonly labels: Pick<LabelSource, 'entityKeyColumn' | 'eventTimeColumn' | 'labelColumn'>;
  readonly groups: readonly FeatureGroupDefinition[];
}): string[] {
  const { labels } = spec;
  return [labels.entityKeyColumn, labels.eventTimeColumn, labels.labelColumn, ...spec.groups.flatMap(servedFeatures)];
}

/** The label table and its key, time and label columns, quoted. */
function labelSource(spec: PointInTimeSpec): { ek: string; et: string; lc: string; labelTable: string } {
  const { labels } = spec;
  return {
    ek: quoteIdentifier(labels.entityKeyColumn, 'labels.entityKeyColumn'),
    et: quoteIdentifier(labels.eventTimeColumn, 'labels.eventTimeColumn'),
    lc: quoteIdentifier(labels.labelColumn, 'labels.labelColumn'),
    labelTable: `${quoteIdentifier(labels.database, 'labels.database')}.${quoteIdentifier(labels.table, 'labels.table')}`,
  };
}

/**
 * The point-in-time join: for each label row (label time in [windowStart, windowEnd)), each group's
 * latest record with event time strictly before the label time (ties: the latest write), unless that
 * record is a deletion; with the group's TTL, a record older than label time - TTL does not count. A
 * label row with no such record keeps nulls for that group's features (`__missing_<i>` = 1). Every
 * row carries `split` ('train' | 'validation' | 'holdout', or 'data' without a split).
 *
 * Strictly before, not at: the label time is when the prediction was made, and a record whose event
 * time equals it is the one the labelled event itself produced (account-spend's record at a
 * transaction's time counts that transaction). The gateway, scoring that event, could not have had
 * it: joining it would train on features that include the event being predicted.
 */
export function pointInTimeSelect(spec: PointInTimeSpec): string {
  if (spec.groups.length === 0) throw new SqlInputError('featureGroups: name at least one feature group');
  const columns = trainingSetColumns(spec);
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c.toLowerCase())) throw new SqlInputError(`column "${c}" appears twice (a label column or another group has it); rename one`);
    seen.add(c.toLowerCase());
  }
  const { ek, et, lc, labelTable } = labelSource(spec);
  const offlineDb = quoteIdentifier(spec.offlineDatabase ?? 'sagemaker_featurestore', 'offlineDatabase');
  const ctes = [
    `labels AS (SELECT ROW_NUMBER() OVER (ORDER BY ${et}, CAST(${ek} AS VARCHAR), CAST(${lc} AS VARCHAR)) AS label_row, ` +
      `${ek}, ${et}, ${lc}, CAST(${ek} AS VARCHAR) AS entity_key, from_iso8601_timestamp(${et}) AS label_ts ` +
      `FROM ${labelTable} WHERE ${ek} IS NOT NULL AND ${et} IS NOT NULL AND ${lc} IS NOT NULL ` +
      `AND from_iso8601_timestamp(${et}) >= ${isoInstant(spec.windowStart, 'windowStart')} ` +
      `AND from_iso8601_timestamp(${et}) < ${isoInstant(spec.windowEnd, 'windowEnd')})`,
  ];
  spec.groups.forEach((group, i) => {
    const feats = servedFeatures(group).map((n) => quoteIdentifier(n, `feature of ${group.name}`));
    const id = quoteIdentifier(group.recordIdentifier, 'recordIdentifier');
    const evt = quoteIdentifier(group.eventTime, 'eventTime');
    const table = `${offlineDb}.${quoteIdentifier(offlineTableName(group.name), 'offline table')}`;
    const ttl = group.onlineTtlHours !== undefined ? ` AND from_iso8601_timestamp(f.${evt}) >= l.label_ts - INTERVAL '${Math.trunc(group.onlineTtlHours)}' HOUR` : '';
    ctes.push(
      `g${i} AS (SELECT label_row${feats.map((f) => `, ${f}`).join('')} FROM (` +
        `SELECT l.label_row, f.is_deleted${feats.map((f) => `, f.${f}`).join('')}, ` +
        `ROW_NUMBER() OVER (PARTITION BY l.label_row ORDER BY from_iso8601_timestamp(f.${evt}) DESC, f.api_invocation_time DESC, f.write_time DESC) AS rn ` +
        `FROM labels l JOIN ${table} f ON CAST(f.${id} AS VARCHAR) = l.entity_key ` +
        `AND from_iso8601_timestamp(f.${evt}) < l.label_ts${ttl}` +
        `) AS ranked WHERE rn = 1 AND NOT is_deleted)`,
    );
  });
  const split = spec.split
    ? `CASE WHEN l.label_ts >= ${isoInstant(spec.split.holdoutFrom, 'split.holdoutFrom')} THEN 'holdout' ` +
      `WHEN l.label_ts >= ${isoInstant(spec.split.validationFrom, 'split.validationFrom')} THEN 'validation' ELSE 'train' END`
    : `'data'`;
  if (spec.split && Date.parse(spec.split.holdoutFrom) < Date.parse(spec.split.validationFrom)) {
    throw new SqlInputError('split.holdoutFrom must not be before split.validationFrom');
  }
  const select = [
    `l.${ek}`,
    `l.${et}`,
    `l.${lc}`,
    ...spec.groups.flatMap((g, i) => servedFeatures(g).map((n) => `g${i}.${quoteIdentifier(n, 'feature')}`)),
    ...spec.groups.map((_g, i) => `CASE WHEN g${i}.label_row IS NULL THEN 1 ELSE 0 END AS __missing_${i}`),
    `${split} AS split`,
  ];
  const joins = spec.groups.map((_g, i) => `LEFT JOIN g${i} ON g${i}.label_row = l.label_row`).join(' ');
  return `WITH ${ctes.join(', ')} SELECT ${select.join(', ')} FROM labels l ${joins}`;
}

/** The rows of one split (or all of them, for `data`), with the training-set columns only. */
export function splitSelect(spec: PointInTimeSpec, split: 'train' | 'validation' | 'holdout' | 'data'): string {
  const cols = trainingSetColumns(spec).map((c) => `pit.${quoteIdentifier(c, 'column')}`).join(', ');
  return `SELECT ${cols} FROM (${pointInTimeSelect(spec)}) AS pit WHERE pit.split = ${quoteLiteral(split)}`;
}

/**
 * The `split` of the statistics rows that count label rows the join leaves out; their `label` is
 * why ({@link EXCLUDED_LABEL_REASONS}).
 */
export const EXCLUDED_LABEL_ROWS = '__excluded';

/**
 * Why a label row is left out of every training set: no entity key or no label (counted in the
 * window), or no event time (counted in the whole table: such a row is in no window).
 */
export const EXCLUDED_LABEL_REASONS = ['nullEntityKey', 'nullLabel', 'nullEventTime'] as const;

/**
 * Counts for the manifest: rows and missing-feature rows per split and label (label as text), and
 * the label rows left out, by reason (split {@link EXCLUDED_LABEL_ROWS}), so that none is dropped
 * without a count.
 */
export function statsSelect(spec: PointInTimeSpec): string {
  const missing = spec.groups.map((_g, i) => `SUM(pit.__missing_${i}) AS missing_${i}`).join(', ');
  const label = `CAST(pit.${quoteIdentifier(spec.labels.labelColumn, 'labels.labelColumn')} AS VARCHAR)`;
  const { ek, et, lc, labelTable } = labelSource(spec);
  const noMissing = spec.groups.map((_g, i) => `, CAST(0 AS BIGINT) AS missing_${i}`).join('');
  const excluded =
    `SELECT ${quoteLiteral(EXCLUDED_LABEL_ROWS)} AS split, reason AS label, COUNT(*) AS row_count${noMissing} FROM (` +
    `SELECT CASE WHEN ${et} IS NULL THEN 'nullEventTime' WHEN ${ek} IS NULL THEN 'nullEntityKey' ELSE 'nullLabel' END AS reason ` +
    `FROM ${labelTable} WHERE ${et} IS NULL OR ((${ek} IS NULL OR ${lc} IS NULL) ` +
    `AND from_iso8601_timestamp(${et}) >= ${isoInstant(spec.windowStart, 'windowStart')} ` +
    `AND from_iso8601_timestamp(${et}) < ${isoInstant(spec.windowEnd, 'windowEnd')})) AS excluded GROUP BY reason`;
  return (
    `SELECT pit.split AS split, ${label} AS label, COUNT(*) AS row_count, ${missing} FROM (${pointInTimeSelect(spec)}) AS pit GROUP BY pit.split, ${label} ` +
    `UNION ALL ${excluded}`
  );
}

/** The manifest's `featureGroups` entries. */
export function manifestGroups(groups: readonly FeatureGroupDefinition[]): Array<{ name: string; definitionHash: string }> {
  return groups.map((g) => ({ name: g.name, definitionHash: definitionHash(g) }));
}
