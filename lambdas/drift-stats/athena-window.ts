/**
 * The window as the results of the drift job's Athena query (rendered by
 * lambdas/drift-query): rows `feature varchar, kind varchar, bucket varchar,
 * n bigint` with kind ∈ {'bin', 'category', 'missing'}.
 *
 *  - readBinCountRows() pages through GetQueryResults (MaxResults 1000,
 *    NextToken). The first row of the first page is the header (Athena returns
 *    column labels for SELECT queries); it must name feature, kind, bucket, n.
 *  - windowFromBinCounts() turns the rows into the counts evaluateDrift()
 *    expects, USING THE BASELINE: numeric → counts of length edges.length − 1
 *    (bucket = bin index), categorical → category map, plus missing, and
 *    total = Σcounts + missing. A baseline feature without rows gets zero
 *    counts (insufficient data, never a false alarm). Features the baseline
 *    does not know are returned in unknownFeatures and otherwise ignored.
 *    Repeated (feature, kind, bucket) rows add up.
 */

import { GetQueryResultsCommand } from '@aws-sdk/client-athena';
import type { AthenaClient, Row } from '@aws-sdk/client-athena';
import { Baseline, DriftInputError, hasOwn, setOwn, WindowFeatureCounts } from './statistics';

export const RESULTS_PAGE_SIZE = 1000;
/**
 * Upper bound on result rows (one row per numeric bin, per category seen, per
 * missing count). Beyond it the window is refused rather than read for
 * minutes: a categorical feature with this many distinct values in one window
 * should be declared numeric or dropped from drift.
 */
export const MAX_RESULT_ROWS = 200_000;
export const RESULT_COLUMNS = ['feature', 'kind', 'bucket', 'n'] as const;

export interface BinCountRow {
  feature: string;
  kind: string;
  /** Bin index (kind 'bin'), category (kind 'category'); null for 'missing'. */
  bucket: string | null;
  n: string;
}

export interface AthenaWindow {
  features: Record<string, WindowFeatureCounts>;
  unknownFeatures: string[];
}

function cell(row: Row, i: number): string | null {
  const v = row.Data?.[i]?.VarCharValue;
  return v === undefined ? null : v;
}

function checkHeader(row: Row | undefined, queryExecutionId: string): void {
  const names = RESULT_COLUMNS.map((_, i) => (row ? cell(row, i) : null));
  if (row?.Data?.length !== RESULT_COLUMNS.length || names.some((n, i) => n !== RESULT_COLUMNS[i])) {
    throw new DriftInputError(
      `query ${queryExecutionId}: the first result row must be the header ${RESULT_COLUMNS.join(',')} (got ${JSON.stringify(names)})`,
    );
  }
}

/** Every data row of a finished query (header checked and dropped). */
export async function readBinCountRows(athena: AthenaClient, queryExecutionId: string): Promise<BinCountRow[]> {
  const rows: BinCountRow[] = [];
  let nextToken: string | undefined;
  let first = true;
  do {
    const page = await athena.send(
      new GetQueryResultsCommand({ QueryExecutionId: queryExecutionId, MaxResults: RESULTS_PAGE_SIZE, ...(nextToken ? { NextToken: nextToken } : {}) }),
    );
    const pageRows = page.ResultSet?.Rows ?? [];
    let start = 0;
    if (first) {
      checkHeader(pageRows[0], queryExecutionId);
      start = 1;
      first = false;
    }
    for (let i = start; i < pageRows.length; i++) {
      const r = pageRows[i]!;
      const feature = cell(r, 0);
      const kind = cell(r, 1);
      const n = cell(r, 3);
      if (feature === null || kind === null || n === null) {
        throw new DriftInputError(`query ${queryExecutionId}: a result row has no feature, kind or n: ${JSON.stringify(r.Data ?? [])}`);
      }
      rows.push({ feature, kind, bucket: cell(r, 2), n });
    }
    if (rows.length > MAX_RESULT_ROWS) {
      throw new DriftInputError(`query ${queryExecutionId} returned more than ${MAX_RESULT_ROWS} rows (a high-cardinality categorical feature?)`);
    }
    nextToken = page.NextToken;
  } while (nextToken);
  return rows;
}

function rowCount(row: BinCountRow): number {
  const n = /^\d{1,15}$/.test(row.n) ? Number(row.n) : NaN;
  if (!Number.isSafeInteger(n)) throw new DriftInputError(`feature ${row.feature}: n must be a non-negative integer (got ${JSON.stringify(row.n)})`);
  return n;
}

function binIndex(row: BinCountRow, bins: number): number {
  const i = row.bucket !== null && /^\d{1,6}$/.test(row.bucket) ? Number(row.bucket) : NaN;
  if (!(i >= 0 && i < bins)) {
    throw new DriftInputError(`feature ${row.feature}: bin ${JSON.stringify(row.bucket)} is outside 0..${bins - 1}`);
  }
  return i;
}

/** Window counts over the baseline's bins/categories from the query's rows. */
export function windowFromBinCounts(baseline: Baseline, rows: readonly BinCountRow[]): AthenaWindow {
  const features: Record<string, WindowFeatureCounts> = {};
  for (const [name, base] of Object.entries(baseline.features)) {
    setOwn<WindowFeatureCounts>(
      features,
      name,
      base.type === 'numeric'
        ? { type: 'numeric', counts: base.counts.map(() => 0), missing: 0, total: 0 }
        : { type: 'categorical', counts: {}, missing: 0, total: 0 },
    );
  }
  const unknown = new Set<string>();
  for (const row of rows) {
    if (row.kind !== 'bin' && row.kind !== 'category' && row.kind !== 'missing') {
      throw new DriftInputError(`feature ${row.feature}: unknown kind ${JSON.stringify(row.kind)} (expected bin, category or missing)`);
    }
    const n = rowCount(row);
    if (!hasOwn(baseline.features, row.feature)) {
      unknown.add(row.feature);
      continue;
    }
    const counts = features[row.feature]!;
    if (row.kind === 'missing') {
      counts.missing += n;
    } else if (counts.type === 'numeric') {
      if (row.kind !== 'bin') throw new DriftInputError(`feature ${row.feature} is numeric in the baseline but the query returned kind ${row.kind}`);
      counts.counts[binIndex(row, counts.counts.length)] += n;
    } else {
      if (row.kind !== 'category' || row.bucket === null) {
        throw new DriftInputError(`feature ${row.feature} is categorical in the baseline but the query returned kind ${row.kind} without a category`);
      }
      setOwn(counts.counts, row.bucket, (hasOwn(counts.counts, row.bucket) ? counts.counts[row.bucket]! : 0) + n);
    }
    counts.total += n;
  }
  return { features, unknownFeatures: [...unknown].sort() };
}
