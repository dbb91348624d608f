/**
 * The feature part of the local smoke check: curated lake rows → the feature pipeline's own SQL →
 * staged objects → the real feature-ingest handler → the emulator's Feature Store → the real
 * gateway handler, called with an entity key → the online features in the model input.
 *
 * What the emulator cannot run, and what stands in for it (the step reports it as `limited`):
 *   - Athena runs no SQL in moto. The statement the deployed state machine would send (its Unload
 *     state, window and run id filled in as its JSONata does) runs in DuckDB instead, through the
 *     EXPORT shim of lib/features/sql.ts (UNLOAD → COPY), over the curated rows read back from the
 *     emulator's curated bucket, typed as the lake's Glue tables declare them.
 *   - moto's Step Functions runs no states. The staged objects are listed and handed to
 *     feature-ingest one by one, as the Distributed Map's ItemReader and ItemSelector do.
 *   - moto's InvokeEndpoint runs no model: it answers with a result configured through its API.
 *     The model input is read from the HTTP request the gateway's SDK client sent.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DuckDBInstance } from '@duckdb/node-api';
import { DUCKDB_SHIM_MACROS, exportStatement, quoteIdentifier, quoteLiteral, WINDOW_END_TOKEN, WINDOW_START_TOKEN } from '../../lib/features/sql';
import { handler as featureIngestHandler, type FeatureIngestResult } from '../../lambdas/feature-ingest/index';
import { handler as gatewayHandler } from '../../lambdas/infer/index';
import type { FieldType } from '../../lambdas/ingest/dataset-schema';

/** The run id token of the pipeline's staging prefix (lib/features/feature-pipeline.ts). */
export const RUN_ID_TOKEN = '{{run_id}}';

/** What the smoke needs from the deployed state machine of a feature pipeline. */
export interface PipelineWiring {
  /** The Athena statement with the window and run id tokens, as the Unload state holds it. */
  readonly unloadTemplate: string;
  readonly stagingBucket: string;
  /** Where the run's objects are staged, without the run id: `staging/<group>/`. */
  readonly stagingPrefix: string;
}

/**
 * Reads the Unload statement and the staging location out of a feature pipeline's state machine
 * definition (its DefinitionString). Fails, naming what is missing, on any other shape.
 */
export function pipelineWiringOf(definition: string): PipelineWiring {
  const parsed = JSON.parse(definition) as { States?: Record<string, { Arguments?: Record<string, unknown>; ItemReader?: { Arguments?: Record<string, unknown> } }> };
  const query = parsed.States?.Unload?.Arguments?.QueryString;
  const reader = parsed.States?.Ingest?.ItemReader?.Arguments;
  if (typeof query !== 'string') throw new Error('the state machine has no Unload state with a QueryString: is it a feature pipeline?');
  if (typeof reader?.Bucket !== 'string' || typeof reader.Prefix !== 'string') throw new Error('the state machine has no Ingest map reading a staging Bucket and Prefix');
  return { unloadTemplate: firstJsonString(query, 'Unload QueryString'), stagingBucket: reader.Bucket, stagingPrefix: firstJsonString(reader.Prefix, 'Ingest Prefix') };
}

/**
 * A state machine's definition from its deployed template (CloudFormation GetTemplate), with each
 * Ref to a resource of the stack replaced by its physical id; anything else the definition
 * references (ARNs, pseudo parameters) becomes `<...>`, which the smoke does not read.
 */
export function definitionFromTemplate(templateBody: string, logicalId: string, physicalIds: ReadonlyMap<string, string>): string {
  const template = JSON.parse(templateBody) as { Resources?: Record<string, { Type?: string; Properties?: { DefinitionString?: unknown } }> };
  const resource = template.Resources?.[logicalId];
  if (resource?.Type !== 'AWS::StepFunctions::StateMachine') throw new Error(`${logicalId} is not a state machine of the template`);
  const resolve = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const v = value as Record<string, unknown>;
    if (typeof v?.Ref === 'string') return physicalIds.get(v.Ref) ?? `<${v.Ref}>`;
    if (Array.isArray(v?.['Fn::GetAtt'])) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
    const join = v?.['Fn::Join'];
    if (Array.isArray(join) && typeof join[0] === 'string' && Array.isArray(join[1])) return (join[1] as unknown[]).map(resolve).join(join[0]);
    return '<unresolved>';
  };
  return resolve(resource.Properties?.DefinitionString);
}

/** The first JSON string literal in a JSONata expression. */
function firstJsonString(expression: string, what: string): string {
  const match = /"(?:[^"\\]|\\.)*"/.exec(expression);
  if (!match) throw new Error(`${what} holds no string literal: ${expression.slice(0, 120)}`);
  return JSON.parse(match[0]) as string;
}

/** The statement the Unload state sends for a window and run id (the state machine's three $replace calls). */
export function fillUnload(template: string, window: { start: string; end: string }, runId: string): string {
  return template.split(WINDOW_START_TOKEN).join(window.start).split(WINDOW_END_TOKEN).join(window.end).split(RUN_ID_TOKEN).join(runId);
}

/** The parts of an Athena `UNLOAD (<select>) TO '<target>' WITH (...)`, as exportStatement('athena', …) renders it. */
export function unloadParts(statement: string): { select: string; target: string; options: string } {
  const match = /^UNLOAD \(([\s\S]*)\) TO '((?:[^']|'')*)' WITH \(([^()]*)\)$/.exec(statement);
  if (!match) throw new Error(`not an UNLOAD statement as Plinth renders it: ${statement.slice(0, 120)}`);
  return { select: match[1]!, target: match[2]!.replace(/''/g, "'"), options: match[3]! };
}

/**
 * A lake table for DuckDB: its columns typed as the lake's Glue table declares them (lib/data-lake
 * GLUE_TYPES), plus what Athena adds to every curated row: the `ingest_date` partition (yyyy-MM-dd)
 * and the Hive connector's hidden `"$file_modified_time"` (when the row's curated object was
 * written; the pipeline selects arrivals by it). A row gives both as `ingest_date` and
 * `$file_modified_time` (an ISO instant); the smoke reads them from the object's key and LastModified.
 */
export interface LakeTable {
  readonly name: string;
  readonly fields: ReadonlyArray<{ readonly name: string; readonly type: FieldType }>;
  readonly rows: ReadonlyArray<Record<string, unknown>>;
}

/** The columns Athena gives every curated table besides its fields, as DuckDB holds them. */
const LAKE_COLUMNS: ReadonlyArray<{ readonly name: string; readonly duckdbType: string }> = [
  { name: 'ingest_date', duckdbType: 'VARCHAR' },
  { name: '$file_modified_time', duckdbType: 'TIMESTAMPTZ' },
];

const DUCKDB_TYPES: Record<FieldType, string> = { string: 'VARCHAR', integer: 'BIGINT', number: 'DOUBLE', boolean: 'BOOLEAN', timestamp: 'VARCHAR' };

/**
 * Runs an Athena UNLOAD in DuckDB over `tables`: its SELECT, unchanged, exported as JSON lines by
 * the EXPORT shim's DuckDB side. Returns the lines, as Athena would stage them (uncompressed).
 */
export async function unloadInDuckDB(statement: string, tables: readonly LakeTable[]): Promise<string> {
  const { select } = unloadParts(statement);
  const dir = mkdtempSync(join(tmpdir(), 'plinth-features-smoke-'));
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await connection.run("SET TimeZone = 'UTC'");
    for (const macro of DUCKDB_SHIM_MACROS) await connection.run(macro);
    for (const [i, table] of tables.entries()) {
      const file = join(dir, `table-${i}.jsonl`);
      const all = [...table.fields.map((f) => ({ name: f.name, duckdbType: DUCKDB_TYPES[f.type] })), ...LAKE_COLUMNS];
      writeFileSync(file, table.rows.map((row) => JSON.stringify(Object.fromEntries(all.map((c) => [c.name, row[c.name] ?? null])))).join('\n'));
      const columns = all.map((c) => `${quoteLiteral(c.name)}: ${quoteLiteral(c.duckdbType)}`).join(', ');
      const source = table.rows.length > 0 ? `read_json(${quoteLiteral(file)}, format = 'newline_delimited', columns = {${columns}})` : undefined;
      const name = quoteIdentifier(table.name, 'table');
      if (source) await connection.run(`CREATE TABLE ${name} AS SELECT * FROM ${source}`);
      else await connection.run(`CREATE TABLE ${name} (${all.map((c) => `"${c.name}" ${c.duckdbType}`).join(', ')})`);
    }
    const out = join(dir, 'unload.jsonl');
    await connection.run(exportStatement('duckdb', select, out, 'json'));
    return readFileSync(out, 'utf8');
  } finally {
    connection.closeSync();
    instance.closeSync();
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface MaterializeResult {
  readonly statement: string;
  readonly stagedKeys: readonly string[];
  readonly rowsStaged: number;
  readonly ingested: readonly FeatureIngestResult[];
}

/**
 * One pipeline run as far as the emulator allows: the window's statement runs in DuckDB, its rows
 * are staged gzip'd under the run's staging prefix, and every staged object is handed to the real
 * feature-ingest handler (process.env must already hold the function's environment). Fails when a
 * staged object does not conserve its rows.
 */
export async function materialize(s3: S3Client, wiring: PipelineWiring, tables: readonly LakeTable[], window: { start: string; end: string }, runId: string): Promise<MaterializeResult> {
  const statement = fillUnload(wiring.unloadTemplate, window, runId);
  const lines = await unloadInDuckDB(statement, tables);
  const rowsStaged = lines.split('\n').filter((l) => l.trim() !== '').length;
  const prefix = `${wiring.stagingPrefix}${runId}/`;
  const expectedTarget = `s3://${wiring.stagingBucket}/${prefix}`;
  if (unloadParts(statement).target !== expectedTarget) throw new Error(`the UNLOAD writes to ${unloadParts(statement).target}, but the Ingest map reads ${expectedTarget}`);
  await s3.send(new PutObjectCommand({ Bucket: wiring.stagingBucket, Key: `${prefix}smoke-part-00000.gz`, Body: gzipSync(lines) }));
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: wiring.stagingBucket, Prefix: prefix }));
  const stagedKeys = (listed.Contents ?? []).map((o) => o.Key!).filter(Boolean);
  const ingested: FeatureIngestResult[] = [];
  for (const key of stagedKeys) {
    const result = await featureIngestHandler({ bucket: wiring.stagingBucket, key, runId });
    if (result.rowsRead !== result.recordsWritten + result.recordsRejected + result.duplicatesDropped) throw new Error(`feature-ingest broke conservation on ${key}: ${JSON.stringify(result)}`);
    ingested.push(result);
  }
  return { statement, stagedKeys, rowsStaged, ingested };
}

/**
 * Calls the real gateway handler (process.env must hold the gateway function's environment, its
 * clients injected) and returns its answer with every model input its SageMaker client sent: the
 * JSON bodies of the InvokeEndpoint HTTP requests, read from the client's middleware.
 */
export async function callGatewayReadingModelInput(
  sagemaker: SageMakerRuntimeClient,
  request: Record<string, unknown>,
): Promise<{ response: APIGatewayProxyStructuredResultV2; modelInputs: Array<Record<string, unknown>> }> {
  const modelInputs: Array<Record<string, unknown>> = [];
  const name = 'plinth-smoke-read-model-input';
  sagemaker.middlewareStack.add(
    (next) => async (args) => {
      const body = (args.request as { body?: unknown }).body;
      const text = typeof body === 'string' ? body : body instanceof Uint8Array ? Buffer.from(body).toString('utf8') : undefined;
      if (text !== undefined) modelInputs.push(JSON.parse(text) as Record<string, unknown>);
      return next(args);
    },
    { step: 'finalizeRequest', name },
  );
  try {
    const event = {
      version: '2.0',
      routeKey: '$default',
      rawPath: '/',
      rawQueryString: '',
      headers: { 'content-type': 'application/json' },
      requestContext: { http: { method: 'POST', path: '/' }, requestId: `smoke-${Date.now()}` },
      body: JSON.stringify(request),
      isBase64Encoded: false,
    } as unknown as APIGatewayProxyEventV2;
    const response = (await gatewayHandler(event)) as APIGatewayProxyStructuredResultV2;
    return { response, modelInputs };
  } finally {
    sagemaker.middlewareStack.remove(name);
  }
}

/** Queues the answer moto's InvokeEndpoint gives to the next new request (moto's own API). */
export async function configureEndpointAnswer(emulatorEndpoint: string, account: string, region: string, answer: { body: string; variant?: string }): Promise<void> {
  const response = await fetch(`${emulatorEndpoint.replace(/\/$/, '')}/moto-api/static/sagemaker/endpoint-results`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ account_id: account, region, results: [{ Body: answer.body, ContentType: 'application/json', ...(answer.variant ? { InvokedProductionVariant: answer.variant } : {}) }] }),
  });
  if (!response.ok) throw new Error(`the emulator refused the endpoint result: HTTP ${response.status}`);
}
