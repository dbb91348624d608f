import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { DUCKDB_SHIM_MACROS } from '../../lib/features/sql';

/** An in-memory DuckDB with Plinth's shims installed (see lib/features/sql.ts), UTC session time zone. */
export async function duckdb(): Promise<{ run(sql: string): Promise<void>; rows(sql: string): Promise<Record<string, unknown>[]>; close(): void }> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection: DuckDBConnection = await instance.connect();
  await connection.run("SET TimeZone = 'UTC'");
  for (const macro of DUCKDB_SHIM_MACROS) await connection.run(macro);
  return {
    run: async (sql) => {
      await connection.run(sql);
    },
    rows: async (sql) => (await connection.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[],
    close: () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}
