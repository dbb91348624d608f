/**
 * training-set: the two Lambda steps of the PointInTimeTrainingSet job (contract A, docs/features.md).
 *
 *   { action: 'plan', input }        validates the execution input, renders the point-in-time SQL
 *                                    for the configured groups and returns the UNLOAD statements
 *                                    (one per split, or one to data/) and the statistics query.
 *   { action: 'manifest', plan, statsQueryExecutionId }
 *                                    reads the statistics, writes manifest.json, returns
 *                                    { manifestUri, trainingSetUri, rowCount }.
 *
 * Env: FEATURE_GROUPS (JSON definitions, as configured), OUTPUT_BUCKET, OUTPUT_PREFIX
 * ('training-sets/'), OFFLINE_DATABASE ('sagemaker_featurestore').
 */
import { AthenaClient, GetQueryResultsCommand } from '@aws-sdk/client-athena';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod'; // not `{ z }`: the namespace import lets esbuild drop zod's unused locales (cold start)
import type { FeatureGroupDefinition } from '../../lib/feature-store/feature-group';
import {
  EXCLUDED_LABEL_REASONS,
  EXCLUDED_LABEL_ROWS,
  exportStatement,
  manifestGroups,
  pointInTimeSelect,
  splitSelect,
  SqlInputError,
  statsSelect,
  type PointInTimeSpec,
} from '../../lib/features/sql';
import { createLogger } from '../shared/runtime';

const logger = createLogger('plinth-training-set');

export class TrainingSetInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainingSetInputError';
  }
}

const iso = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'must be an ISO-8601 instant');
/** Contract A's execution input. */
export const trainingSetInputSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9-]{1,63}$/, 'name must be 1-63 lowercase letters, digits and -'),
    runId: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'runId must be 1-80 letters, digits, _ and -'),
    labels: z
      .object({ database: z.string(), table: z.string(), entityKeyColumn: z.string(), eventTimeColumn: z.string(), labelColumn: z.string() })
      .strict(),
    featureGroups: z.array(z.string()).min(1, 'featureGroups: name at least one feature group'),
    windowStart: iso,
    windowEnd: iso,
    split: z.object({ validationFrom: iso, holdoutFrom: iso }).strict().optional(),
  })
  .strict()
  .refine((i) => Date.parse(i.windowStart) < Date.parse(i.windowEnd), { message: 'windowStart must be before windowEnd', path: ['windowStart'] });
export type TrainingSetInput = z.output<typeof trainingSetInputSchema>;

export interface TrainingSetPlan {
  name: string;
  runId: string;
  createdAt: string;
  trainingSetUri: string;
  manifestKey: string;
  sql: string;
  statsSql: string;
  statements: Array<{ split: string; sql: string }>;
  featureGroups: Array<{ name: string; definitionHash: string }>;
  window: { start: string; end: string };
  split?: { validationFrom: string; holdoutFrom: string };
}

interface Env {
  groups: FeatureGroupDefinition[];
  bucket: string;
  prefix: string;
  offlineDatabase: string;
}

function env(): Env {
  const raw = process.env;
  if (!raw.FEATURE_GROUPS || !raw.OUTPUT_BUCKET) throw new Error('FEATURE_GROUPS and OUTPUT_BUCKET are required');
  return { groups: JSON.parse(raw.FEATURE_GROUPS), bucket: raw.OUTPUT_BUCKET, prefix: raw.OUTPUT_PREFIX ?? 'training-sets/', offlineDatabase: raw.OFFLINE_DATABASE ?? 'sagemaker_featurestore' };
}

export function plan(input: unknown, e: Env = env(), now: Date = new Date()): TrainingSetPlan {
  const parsed = trainingSetInputSchema.safeParse(input);
  if (!parsed.success) throw new TrainingSetInputError(parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; '));
  const i = parsed.data;
  const groups = i.featureGroups.map((name) => {
    const g = e.groups.find((c) => c.name === name);
    if (!g) throw new TrainingSetInputError(`featureGroups: "${name}" is not a configured feature group (${e.groups.map((c) => c.name).join(', ')})`);
    return g;
  });
  const spec: PointInTimeSpec = { labels: i.labels, groups, windowStart: i.windowStart, windowEnd: i.windowEnd, split: i.split, offlineDatabase: e.offlineDatabase };
  const base = `${e.prefix}${i.name}/${i.runId}/`;
  try {
    const splits = i.split ? (['train', 'validation', 'holdout'] as const) : (['data'] as const);
    return {
      name: i.name,
      runId: i.runId,
      createdAt: now.toISOString(),
      trainingSetUri: `s3://${e.bucket}/${base}`,
      manifestKey: `${base}manifest.json`,
      sql: pointInTimeSelect(spec),
      statsSql: statsSelect(spec),
      statements: splits.map((split) => ({ split, sql: exportStatement('athena', splitSelect(spec, split), `s3://${e.bucket}/${base}${split}/`, 'parquet') })),
      featureGroups: manifestGroups(groups),
      window: { start: i.windowStart, end: i.windowEnd },
      ...(i.split ? { split: i.split } : {}),
    };
  } catch (err) {
    if (err instanceof SqlInputError) throw new TrainingSetInputError(err.message);
    throw err;
  }
}

/**
 * manifest.json, schema version 1 (contract A), from the statistics rows (`split, label, row_count, missing_<i>`).
 * Rows of split `__excluded` count the label rows the join left out, by reason; they are in no other count.
 */
export function buildManifest(p: TrainingSetPlan, stats: Array<Record<string, string | undefined>>): Record<string, unknown> {
  const rowCounts: Record<string, number> = { total: 0 };
  const labelDistribution: Record<string, number> = {};
  const missingFeatures: Record<string, number> = Object.fromEntries(p.featureGroups.map((g) => [g.name, 0]));
  const excludedLabelRows: Record<string, number> = Object.fromEntries(EXCLUDED_LABEL_REASONS.map((r) => [r, 0]));
  for (const row of stats) {
    const n = Number(row.row_count ?? 0);
    if (row.split === EXCLUDED_LABEL_ROWS) {
      if (row.label === undefined || !(row.label in excludedLabelRows)) throw new Error(`statistics: unknown reason for excluded label rows: ${row.label}`);
      excludedLabelRows[row.label] += n;
      continue;
    }
    rowCounts.total += n;
    if (p.split) rowCounts[row.split!] = (rowCounts[row.split!] ?? 0) + n;
    const label = row.label ?? 'null';
    labelDistribution[label] = (labelDistribution[label] ?? 0) + n;
    p.featureGroups.forEach((g, idx) => {
      missingFeatures[g.name] += Number(row[`missing_${idx}`] ?? 0);
    });
  }
  if (p.split) for (const s of ['train', 'validation', 'holdout']) rowCounts[s] ??= 0;
  return {
    schemaVersion: 1,
    name: p.name,
    runId: p.runId,
    createdAt: p.createdAt,
    sql: p.sql,
    featureGroups: p.featureGroups,
    window: p.window,
    ...(p.split ? { split: p.split } : {}),
    rowCounts,
    labelDistribution,
    missingFeatures,
    excludedLabelRows,
  };
}

/** The function's SDK clients, created once per execution environment. */
export const clients = { athena: new AthenaClient({ maxAttempts: 5 }), s3: new S3Client({ maxAttempts: 3 }) };

async function readStats(athena: AthenaClient, queryExecutionId: string): Promise<Array<Record<string, string | undefined>>> {
  const rows: Array<Record<string, string | undefined>> = [];
  let header: string[] | undefined;
  let token: string | undefined;
  do {
    const page = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: queryExecutionId, NextToken: token }));
    for (const row of page.ResultSet?.Rows ?? []) {
      const values = (row.Data ?? []).map((d) => d.VarCharValue);
      if (!header) {
        header = values.map((v) => v ?? '');
        continue;
      }
      rows.push(Object.fromEntries(header.map((h, i) => [h, values[i]])));
    }
    token = page.NextToken;
  } while (token);
  return rows;
}

const manifestEvent = z.object({ action: z.literal('manifest'), plan: z.custom<TrainingSetPlan>((v) => typeof v === 'object' && v !== null), statsQueryExecutionId: z.string().min(1) });
const planEvent = z.object({ action: z.literal('plan'), input: z.unknown() });

export async function handler(event: unknown): Promise<unknown> {
  const asPlan = planEvent.safeParse(event);
  if (asPlan.success) return plan(asPlan.data.input);
  const asManifest = manifestEvent.safeParse(event);
  if (!asManifest.success) throw new TrainingSetInputError('event must be { action: "plan", input } or { action: "manifest", plan, statsQueryExecutionId }');
  const e = env();
  const c = clients;
  const p = asManifest.data.plan;
  const manifest = buildManifest(p, await readStats(c.athena, asManifest.data.statsQueryExecutionId));
  await c.s3.send(new PutObjectCommand({ Bucket: e.bucket, Key: p.manifestKey, Body: JSON.stringify(manifest, null, 2), ContentType: 'application/json' }));
  const rowCount = (manifest.rowCounts as { total: number }).total;
  logger.info('training set written', { name: p.name, runId: p.runId, rowCount });
  return { manifestUri: `s3://${e.bucket}/${p.manifestKey}`, trainingSetUri: p.trainingSetUri, rowCount };
}
