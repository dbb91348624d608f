/**
 * Runs the quality job's SQL (lambdas/model-quality/sql.ts, DuckDB dialect) on local tables
 * shaped like the Glue tables it reads in Athena: the endpoint's data capture, the model's
 * ground-truth dataset and the reviewers' labels. Used by the SQL tests and the local smoke check.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { DIALECTS, renderQualityQuery, sqlString } from '../../lambdas/model-quality/sql';
import type { QualityQuery } from '../../lambdas/model-quality/sql';
import type { ResultRow } from '../../lambdas/model-quality/evaluate';

export interface CapturedPrediction {
  variant: string;
  inferenceId: string | null;
  inferenceTime: string;
  /** The endpoint's output JSON text (or its base64 when base64 is true). */
  output: string;
  base64?: boolean;
}

export interface GroundTruthRow {
  inference_id: string;
  label: string;
  observed_at: string;
  outcome_value?: number | null;
}

export interface ReviewLabel {
  inferenceId: string | null;
  label: string;
  labelledAt: string;
}

const q = (v: string | null | undefined): string => (v === null || v === undefined ? 'NULL' : sqlString(v));

function hourOf(iso: string): string {
  return `${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(11, 13)}`;
}

export async function qualityDatabase(
  captured: readonly CapturedPrediction[],
  truth: readonly GroundTruthRow[],
  reviews: readonly ReviewLabel[],
): Promise<DuckDBConnection> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const io = 'STRUCT(observedcontenttype VARCHAR, mode VARCHAR, data VARCHAR, encoding VARCHAR)';
  await c.run('CREATE SCHEMA lake');
  await c.run(
    `CREATE TABLE lake.capture (capturedata STRUCT(endpointinput ${io}, endpointoutput ${io}), eventmetadata STRUCT(eventid VARCHAR, inferenceid VARCHAR, inferencetime VARCHAR), eventversion VARCHAR, variant VARCHAR, capture_hour VARCHAR)`,
  );
  await c.run('CREATE TABLE lake.ground_truth (inference_id VARCHAR, label VARCHAR, observed_at VARCHAR, outcome_value DOUBLE, _source_key VARCHAR, ingest_date VARCHAR)');
  await c.run('CREATE TABLE lake.review_labels (caseid VARCHAR, inferenceid VARCHAR, label VARCHAR, labelledat VARCHAR, predictedat VARCHAR, variant VARCHAR)');
  let i = 0;
  for (const p of captured) {
    i += 1;
    const output = `{'observedcontenttype': 'application/json', 'mode': 'OUTPUT', 'data': ${q(p.output)}, 'encoding': ${q(p.base64 ? 'BASE64' : 'JSON')}}`;
    const input = `{'observedcontenttype': 'application/json', 'mode': 'INPUT', 'data': '{}', 'encoding': 'JSON'}`;
    await c.run(
      `INSERT INTO lake.capture VALUES ({'endpointinput': ${input}, 'endpointoutput': ${output}}, {'eventid': 'e${i}', 'inferenceid': ${q(p.inferenceId)}, 'inferencetime': ${q(p.inferenceTime)}}, '0', ${q(p.variant)}, ${q(hourOf(p.inferenceTime))})`,
    );
  }
  for (const t of truth) {
    await c.run(
      `INSERT INTO lake.ground_truth VALUES (${q(t.inference_id)}, ${q(t.label)}, ${q(t.observed_at)}, ${t.outcome_value ?? 'NULL'}, 'raw/key', ${q(t.observed_at.slice(0, 10))})`,
    );
  }
  let k = 0;
  for (const r of reviews) {
    k += 1;
    await c.run(`INSERT INTO lake.review_labels VALUES ('case-${k}', ${q(r.inferenceId)}, ${q(r.label)}, ${q(r.labelledAt)}, NULL, NULL)`);
  }
  return c;
}

export type DuckQuery = Omit<QualityQuery, 'dialect' | 'database' | 'captureTable' | 'groundTruthTable' | 'reviewTable'> & { withReviews?: boolean };

/** Renders the query in the DuckDB dialect and runs it; rows as Athena's GetQueryResults would give them (text cells). */
export async function runQualityQuery(c: DuckDBConnection, query: DuckQuery): Promise<ResultRow[]> {
  const sql = renderQualityQuery({
    ...query,
    dialect: DIALECTS.duckdb,
    database: 'lake',
    captureTable: 'capture',
    groundTruthTable: 'ground_truth',
    ...(query.withReviews === false ? {} : { reviewTable: 'review_labels' }),
  });
  const reader = await c.runAndReadAll(sql);
  return reader.getRowObjectsJson().map((r) => {
    const text = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
    return {
      kind: text(r.kind)!,
      variant: text(r.variant),
      bin: text(r.bin),
      predicted: text(r.predicted),
      actual: text(r.actual),
      n: text(r.n)!,
      sum1: text(r.sum1),
      sum2: text(r.sum2),
      sum3: text(r.sum3),
      last_label_at: text(r.last_label_at),
    };
  });
}
