/**
 * Runs the drift job's rendered bin-count SQL in DuckDB (@duckdb/node-api)
 * over capture records, in a table shaped like the Glue capture table
 * (variant, capture_hour, capturedata.endpointinput.{data,encoding},
 * eventmetadata.inferencetime). The SQL is RUN, not interpreted: it is
 * renderBinCountSql(..., DUCKDB), i.e. the Athena statement with the named
 * shims of lambdas/drift-query/sql.ts swapped in.
 */

import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from '../../../../lambdas/drift-query/sql';

export const CAPTURE_DATABASE = 'plinth_capture';
export const CAPTURE_TABLE = 'fraud_prod_capture';

export interface CaptureRecord {
  variant: string;
  /** yyyy/MM/dd/HH partition value. */
  capture_hour: string;
  capturedata: { endpointinput: { data: string; encoding: string } };
  eventmetadata: { inferencetime: string };
}

export interface ResultRow {
  feature: string;
  kind: string;
  bucket: string | null;
  n: string;
}

let connection: Promise<DuckDBConnection> | undefined;

async function connect(): Promise<DuckDBConnection> {
  connection ??= DuckDBInstance.create(':memory:').then(async (db) => {
    const c = await db.connect();
    await c.run(`CREATE SCHEMA "${CAPTURE_DATABASE}"`);
    return c;
  });
  return connection;
}

/** Create the capture table holding exactly these records. */
export async function loadCapture(records: readonly CaptureRecord[]): Promise<void> {
  const c = await connect();
  const table = `"${CAPTURE_DATABASE}"."${CAPTURE_TABLE}"`;
  await c.run(`DROP TABLE IF EXISTS ${table}`);
  await c.run(
    `CREATE TABLE ${table} (variant VARCHAR, capture_hour VARCHAR, ` +
      'capturedata STRUCT(endpointinput STRUCT(data VARCHAR, encoding VARCHAR)), eventmetadata STRUCT(inferencetime VARCHAR))',
  );
  for (let i = 0; i < records.length; i += 500) {
    const values = records.slice(i, i + 500).map(
      (r) =>
        `(${sqlString(r.variant)}, ${sqlString(r.capture_hour)}, ` +
        `{'endpointinput': {'data': ${sqlString(r.capturedata.endpointinput.data)}, 'encoding': ${sqlString(r.capturedata.endpointinput.encoding)}}}, ` +
        `{'inferencetime': ${sqlString(r.eventmetadata.inferencetime)}})`,
    );
    await c.run(`INSERT INTO ${table} VALUES ${values.join(', ')}`);
  }
}

/** Run a query and return its rows as Athena would (every cell as text, NULL as null). */
export async function runSql(sql: string): Promise<ResultRow[]> {
  const c = await connect();
  const reader = await c.runAndReadAll(sql);
  return reader.getRowObjects().map((r) => ({
    feature: String(r.feature),
    kind: String(r.kind),
    bucket: r.bucket === null ? null : String(r.bucket),
    n: String(r.n),
  }));
}

/** Load the records, then run the statement over them. */
export async function runDriftSql(sql: string, records: readonly CaptureRecord[]): Promise<ResultRow[]> {
  await loadCapture(records);
  return runSql(sql);
}

/** Evaluate one scalar SQL expression in DuckDB (for testing a shim on its own). */
export async function scalar(expression: string): Promise<unknown> {
  const c = await connect();
  const reader = await c.runAndReadAll(`SELECT ${expression} AS x`);
  return reader.getRowObjects()[0]!.x;
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
