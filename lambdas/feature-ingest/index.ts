/**
 * feature-ingest: one staged object of a feature pipeline run (an Athena UNLOAD part: JSON lines,
 * gzip) → PutRecord for every valid row, a dead-letter object for every other, and the proof:
 *
 *   rowsRead = recordsWritten + recordsRejected + duplicatesDropped   (checked; a mismatch fails the invocation)
 *
 * A duplicate is a row the pipeline's SQL marked so (records.ts SKIP_COLUMN): another row of the run
 * has its record id and event time and won the SQL's tie-break, so neither store may get this one.
 *
 * Invoked by the pipeline's Distributed Map with `{ bucket, key, runId }`. Idempotent: a record is
 * keyed by its identifier and event time, so a re-run writes the same records again (the online
 * store keeps one, the offline store's latest view picks one), and the dead-letter object's key is
 * derived from the input, so it is overwritten, not duplicated.
 */
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SageMakerFeatureStoreRuntimeClient } from '@aws-sdk/client-sagemaker-featurestore-runtime';
import * as z from 'zod'; // not `{ z }`: the namespace import lets esbuild drop zod's unused locales (cold start)
import { createLogger, createMetrics, publishMetrics } from '../shared/runtime';
import { parseConfig, type IngestConfig } from './config';
import { REJECT_REASONS, toRecord, type Rejection, type RejectReason } from './records';
import { writeRecords, type WriteItem } from './writer';

export const METRIC_NAMESPACE = 'Plinth/Features';
/**
 * The function's SDK clients, created once per execution environment. The Feature Store client
 * makes one attempt per call: writer.ts owns the retries (jittered, counted), so they are not doubled.
 */
export const clients = {
  s3: new S3Client({ maxAttempts: 3 }),
  featureStore: new SageMakerFeatureStoreRuntimeClient({ maxAttempts: 1 }),
};
const logger = createLogger('plinth-feature-ingest');
const metrics = createMetrics(METRIC_NAMESPACE);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Rows validated and written per round; bounds memory whatever the object's size. */
export const BATCH_ROWS = 500;
/** A dead-lettered row keeps at most this much of its text. */
export const MAX_DEAD_LETTER_ROW_CHARS = 10_000;

const eventSchema = z
  .object({
    bucket: z.string().min(3, 'bucket is required'),
    key: z.string().min(1, 'key is required'),
    runId: z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'runId must be 1-128 letters, digits, _ . : -'),
  })
  .strict();
export type FeatureIngestEvent = z.input<typeof eventSchema>;

export class FeatureIngestInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeatureIngestInputError';
  }
}

export interface FeatureIngestResult {
  key: string;
  rowsRead: number;
  recordsWritten: number;
  recordsRejected: number;
  /** Rows the SQL marked duplicate (same record id and event time as a row it kept): not written, counted. */
  duplicatesDropped: number;
  rejectedByReason: Partial<Record<RejectReason, number>>;
  deadLetterUri?: string;
}

interface DeadLetter extends Rejection {
  line: number;
  row: string;
}

async function* lines(body: Readable, gzip: boolean): AsyncGenerator<string> {
  const source = gzip ? body.pipe(createGunzip()) : body;
  const reader = createInterface({ input: source, crlfDelay: Infinity });
  for await (const line of reader) yield line;
}

function deadLetterKey(cfg: IngestConfig, runId: string, key: string): string {
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 16);
  const base = key.split('/').pop() ?? 'object';
  return `${cfg.deadLetterPrefix}${runId}/${base}-${digest}.jsonl`;
}

export async function handler(event: unknown): Promise<FeatureIngestResult> {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) throw new FeatureIngestInputError(`invalid feature-ingest event: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ')}`);
  const { bucket, key, runId } = parsed.data;
  const cfg = parseConfig(process.env);
  const started = Date.now();

  const object = await clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!object.Body) throw new Error(`s3://${bucket}/${key} has no body`);
  const gzip = key.endsWith('.gz') || object.ContentEncoding === 'gzip';

  let rowsRead = 0;
  let written = 0;
  let duplicates = 0;
  let throttles = 0;
  let retries = 0;
  const deadLetters: DeadLetter[] = [];
  let batch: Array<{ line: number; text: string }> = [];

  const flush = async (): Promise<void> => {
    const items: WriteItem[] = [];
    for (const [index, row] of batch.entries()) {
      const result = toRecord(cfg.group, row.text);
      if (result.ok) items.push({ index, record: result.record });
      else if ('duplicate' in result) duplicates++;
      else deadLetters.push({ reason: result.reason, detail: result.detail, ...(result.field ? { field: result.field } : {}), line: row.line, row: row.text.slice(0, MAX_DEAD_LETTER_ROW_CHARS) });
    }
    const outcome = await writeRecords(clients.featureStore, items, {
      featureGroupName: cfg.group.name,
      maxConcurrency: cfg.maxConcurrency,
      maxAttempts: cfg.maxAttempts,
      baseDelayMs: cfg.baseDelayMs,
      maxDelayMs: cfg.maxDelayMs,
      sleep,
      random: Math.random,
    });
    written += outcome.written;
    throttles += outcome.throttles;
    retries += outcome.retries;
    for (const r of outcome.rejected) {
      const row = batch[r.index];
      deadLetters.push({ reason: r.reason, detail: r.detail, line: row.line, row: row.text.slice(0, MAX_DEAD_LETTER_ROW_CHARS) });
    }
    batch = [];
  };

  let lineNo = 0;
  for await (const text of lines(object.Body as Readable, gzip)) {
    lineNo++;
    if (text.trim() === '') continue;
    rowsRead++;
    batch.push({ line: lineNo, text });
    if (batch.length >= BATCH_ROWS) await flush();
  }
  await flush();

  const rejectedByReason: Partial<Record<RejectReason, number>> = {};
  for (const d of deadLetters) rejectedByReason[d.reason] = (rejectedByReason[d.reason] ?? 0) + 1;
  let deadLetterUri: string | undefined;
  if (deadLetters.length > 0) {
    const dlKey = deadLetterKey(cfg, runId, key);
    // Losing the dead letters would lose rows: a failure here fails the item, and the Map retries it.
    await clients.s3.send(
      new PutObjectCommand({
        Bucket: cfg.deadLetterBucket,
        Key: dlKey,
        Body: deadLetters.map((d) => JSON.stringify({ source: `s3://${bucket}/${key}`, featureGroup: cfg.group.name, ...d })).join('\n') + '\n',
        ContentType: 'application/x-ndjson',
      }),
    );
    deadLetterUri = `s3://${cfg.deadLetterBucket}/${dlKey}`;
  }
  const rejected = deadLetters.length;
  publishMetrics(metrics, {
    dimensions: { FeatureGroup: cfg.group.name },
    values: { RowsRead: rowsRead, RecordsWritten: written, RecordsRejected: rejected, DuplicatesDropped: duplicates, PutThrottles: throttles, PutRetries: retries, IngestMs: Date.now() - started },
    units: { IngestMs: 'Milliseconds' },
    properties: { key, runId, rejectedByReason, environment: cfg.environment },
  });
  if (rowsRead !== written + rejected + duplicates) {
    // Unreachable by construction; if it ever happens, fail loudly rather than report a false count.
    throw new Error(`conservation broken for s3://${bucket}/${key}: read ${rowsRead}, written ${written}, rejected ${rejected}, duplicates dropped ${duplicates}`);
  }
  logger.info('feature object ingested', { key, runId, rowsRead, recordsWritten: written, recordsRejected: rejected, duplicatesDropped: duplicates, rejectedByReason, deadLetterUri });
  return { key, rowsRead, recordsWritten: written, recordsRejected: rejected, duplicatesDropped: duplicates, rejectedByReason, ...(deadLetterUri ? { deadLetterUri } : {}) };
}

export { REJECT_REASONS };
