/**
 * Processing of ONE S3 object version (bucket, key, ETag):
 *
 *   HeadObject manifest -> exists? skip (DuplicateEventsSkipped)
 *   schema from SSM     -> none? quarantine whole object (unknown-dataset)
 *   GetObject (If-Match ETag) -> stream: gunzip? -> UTF-8 -> lines/CSV rows
 *       -> validate -> curated / quarantine multipart uploads
 *   data error mid-stream -> abort both uploads, quarantine whole object
 *   conservation check (recordsIn = curated + quarantined)
 *   drift events -> manifest (LAST) -> EMF metrics
 *
 * Any error that is not an UnreadableDataError propagates (the SQS message is
 * then reported as failed and retried); nothing is quarantined for it.
 */

import { Readable } from 'node:stream';
import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { IngestClients } from './clients';
import { IngestConfig } from './config';
import { CsvParser } from './csv-parser';
import { DecodeStats, decodeText } from './decode';
import { DriftDetail, MAX_FIELDS_IN_EVENT, publishDrift } from './drift-events';
import {
  InvariantError,
  UnreadableDataError,
  UnreadableRule,
  describeError,
  httpStatusOf,
  isObjectGoneError,
} from './errors';
import { ObjectLayout, datasetFromKey, layoutFor } from './layout';
import { LineSplitter } from './line-splitter';
import { logger } from './log';
import { ObjectMetrics, emitObjectMetrics, emptyMetrics } from './metrics';
import { DuplicateStats, RecordRouter, RouterStats, SpanningStats } from './record-router';
import { S3ObjectRef } from './s3-event';
import { S3LineSink } from './s3-sink';
import { SchemaStore } from './schema-store';
import { CompiledSchema } from './validator';

export interface ProcessContext {
  config: IngestConfig;
  clients: IngestClients;
  schemas: SchemaStore;
}

export interface Manifest {
  source: { bucket: string; key: string; etag: string };
  dataset: string;
  objectId: string;
  ingestDate: string;
  schemaVersion: number | null;
  format: 'jsonl' | 'csv' | null;
  compression: 'gzip' | 'none' | null;
  recordsIn: number;
  curated: number;
  quarantined: number;
  unreadable: boolean;
  reason?: { rule: UnreadableRule; message: string };
  drift: { additive: string[]; additiveTruncated?: boolean; breaking: number };
  rules: Record<string, number>;
  duplicates?: DuplicateStats;
  /**
   * Set when quarantined records span more than one physical line (e.g. a stray CSV quote
   * swallowed the rest of the file): the lines they cover may hold records that were never
   * validated. The raw object holds them at the byte ranges in the quarantine lines.
   */
  attention?: SpanningStats & { reason: 'quarantined-records-span-lines' };
  outputs: {
    curated: string | null;
    quarantine: string | null;
    unreadableObject?: string;
    unreadableReason?: string;
  };
  completedAt: string;
}

export type ObjectStatus = 'processed' | 'unreadable' | 'duplicate-skipped' | 'gone';

export interface ObjectResult {
  status: ObjectStatus;
  objectId: string;
  manifest?: Manifest;
}

/** Stream the object's records through the router. Throws UnreadableDataError for undecodable objects. */
export async function streamRecords(
  body: AsyncIterable<Uint8Array>,
  format: 'jsonl' | 'csv',
  router: RecordRouter,
  stats: DecodeStats,
): Promise<void> {
  const text = decodeText(body, stats);
  if (format === 'jsonl') {
    // created at the first chunk, when the decoder knows whether it stripped a BOM (byte offsets count it)
    let splitter: LineSplitter | undefined;
    for await (const chunk of text) {
      splitter ??= new LineSplitter(undefined, stats.bomBytes ?? 0);
      for (const line of splitter.push(chunk)) {
        const p = router.jsonLine(line);
        if (p) await p;
      }
    }
    for (const line of splitter?.end() ?? []) {
      const p = router.jsonLine(line);
      if (p) await p;
    }
    if (splitter === undefined || splitter.nonBlankLines === 0) throw new UnreadableDataError('empty-object', 'object contains no records');
    return;
  }
  let parser: CsvParser | undefined;
  let headerSeen = false;
  const handle = async (rows: ReturnType<CsvParser['push']>): Promise<void> => {
    for (const row of rows) {
      if (!headerSeen) {
        router.csvHeader(row);
        headerSeen = true;
        continue;
      }
      const p = router.csvRow(row);
      if (p) await p;
    }
  };
  for await (const chunk of text) {
    parser ??= new CsvParser(undefined, stats.bomBytes ?? 0);
    await handle(parser.push(chunk));
  }
  if (parser !== undefined) await handle(parser.end());
  if (!headerSeen) throw new UnreadableDataError('empty-object', 'object contains no CSV rows');
}

function s3Uri(bucket: string, key: string): string {
  return `s3://${bucket}/${key}`;
}

/** CopySource is "bucket/key" with the key URL-encoded (slashes kept). */
function copySource(bucket: string, key: string): string {
  return `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

async function manifestExists(ctx: ProcessContext, key: string): Promise<boolean> {
  try {
    await ctx.clients.s3.send(new HeadObjectCommand({ Bucket: ctx.config.curatedBucket, Key: key }));
    return true;
  } catch (err) {
    // 404 only. A 403 (e.g. missing s3:ListBucket) must not be read as "absent".
    if (httpStatusOf(err) === 404) return false;
    throw err;
  }
}

async function putJson(ctx: ProcessContext, bucket: string, key: string, value: unknown): Promise<void> {
  await ctx.clients.s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: JSON.stringify(value, null, 2), ContentType: 'application/json' }),
  );
}

function driftDetails(
  ref: S3ObjectRef,
  dataset: string,
  schemaVersion: number,
  env: string,
  stats: RouterStats,
): DriftDetail[] {
  const object = { bucket: ref.bucket, key: ref.key, etag: ref.etag };
  const out: DriftDetail[] = [];
  if (stats.additiveFields.size > 0) {
    const all = [...stats.additiveFields].sort();
    const fields = all.slice(0, MAX_FIELDS_IN_EVENT);
    out.push({
      kind: 'additive',
      dataset,
      schemaVersion,
      fields,
      ...(all.length > fields.length || stats.additiveTruncated ? { fieldsTruncated: true } : {}),
      object,
      env,
    });
  }
  if (stats.breakingRecords > 0 || stats.breakingFields.size > 0) {
    out.push({
      kind: 'breaking',
      dataset,
      schemaVersion,
      fields: [...stats.breakingFields].sort(),
      records: stats.breakingRecords,
      rules: { ...stats.breakingRules },
      object,
      env,
    });
  }
  return out;
}

class ObjectProcessor {
  private readonly started = Date.now();
  private readonly metrics: ObjectMetrics = emptyMetrics();
  private readonly dataset: string;
  private readonly datasetValid: boolean;
  private readonly layout: ObjectLayout;
  private dimension = '_unknown';

  constructor(
    private readonly ref: S3ObjectRef,
    private readonly ctx: ProcessContext,
    private readonly opts: { quietGone?: boolean } = {},
  ) {
    const d = datasetFromKey(ref.key);
    this.dataset = d.dataset;
    this.datasetValid = d.valid;
    this.layout = layoutFor(ref, d.valid ? d.dataset : '_unknown');
  }

  private get logFields(): Record<string, unknown> {
    return {
      bucket: this.ref.bucket,
      key: this.ref.key,
      etag: this.ref.etag,
      dataset: this.dataset,
      objectId: this.layout.objectId,
    };
  }

  async run(): Promise<ObjectResult> {
    const { ref, ctx, layout } = this;
    if (ctx.config.rawBucket !== undefined && ref.bucket !== ctx.config.rawBucket) {
      logger.warn('event is for a bucket other than RAW_BUCKET; processing it anyway', {
        ...this.logFields,
        rawBucket: ctx.config.rawBucket,
      });
    }
    if (await manifestExists(ctx, layout.manifestKey)) {
      if (this.datasetValid) this.dimension = this.dataset;
      this.metrics.DuplicateEventsSkipped = 1;
      logger.info('manifest already exists; duplicate event or replay skipped', this.logFields);
      this.emit({ status: 'duplicate-skipped' });
      return { status: 'duplicate-skipped', objectId: layout.objectId };
    }

    const compiled = this.datasetValid
      ? await ctx.schemas.get(ctx.config.schemaParameterPrefix, this.dataset, ctx.config.schemaCacheSeconds)
      : undefined;
    if (compiled === undefined) {
      const message = this.datasetValid
        ? `no schema parameter ${ctx.config.schemaParameterPrefix}${this.dataset}`
        : 'object key has no valid dataset prefix (<dataset>/...)';
      return this.quarantineWholeObject({ rule: 'unknown-dataset', message }, undefined);
    }
    this.dimension = this.dataset;

    let body: Readable;
    try {
      const res = await ctx.clients.s3.send(
        new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, IfMatch: `"${ref.etag}"` }),
      );
      body = res.Body as Readable;
    } catch (err) {
      if (isObjectGoneError(err)) return this.gone(err);
      throw err;
    }
    return this.processRecords(body, compiled);
  }

  private async processRecords(body: Readable, compiled: CompiledSchema): Promise<ObjectResult> {
    const { ref, ctx, layout } = this;
    const curated = new S3LineSink(ctx.clients.s3, ctx.config.curatedBucket, layout.curatedKey);
    const quarantine = new S3LineSink(ctx.clients.s3, ctx.config.quarantineBucket, layout.quarantineKey);
    const router = new RecordRouter(compiled, ref, curated, quarantine, ctx.config.maxTrackedIds);
    const decodeStats: DecodeStats = { sourceBytes: 0, gzip: false };
    let wroteCurated: boolean;
    let wroteQuarantine: boolean;
    try {
      await streamRecords(body, compiled.schema.format, router, decodeStats);
      // Sequential on purpose: if the curated write fails, the quarantine upload is
      // aborted before it is ever sent.
      wroteCurated = await curated.finish();
      wroteQuarantine = await quarantine.finish();
    } catch (err) {
      body.destroy();
      await Promise.all([curated.abort(), quarantine.abort()]);
      if (err instanceof UnreadableDataError) return this.quarantineWholeObject(err, compiled);
      throw err;
    }

    const s = router.stats;
    if (s.recordsIn !== s.curated + s.quarantined || s.curated !== curated.lines || s.quarantined !== quarantine.lines) {
      throw new InvariantError(
        `record conservation violated: in=${s.recordsIn} curated=${s.curated}/${curated.lines} quarantined=${s.quarantined}/${quarantine.lines}`,
      );
    }

    await publishDrift(
      ctx.clients.eventBridge,
      ctx.config.eventBusName,
      driftDetails(ref, this.dataset, compiled.schema.version, ctx.config.env, s),
    );

    const manifest: Manifest = {
      ...this.manifestBase(compiled),
      compression: decodeStats.gzip ? 'gzip' : 'none',
      recordsIn: s.recordsIn,
      curated: s.curated,
      quarantined: s.quarantined,
      unreadable: false,
      drift: {
        additive: [...s.additiveFields].sort(),
        ...(s.additiveTruncated ? { additiveTruncated: true } : {}),
        breaking: s.breakingRecords,
      },
      rules: { ...s.rules },
      ...(s.duplicates ? { duplicates: s.duplicates } : {}),
      ...(s.spanning ? { attention: { reason: 'quarantined-records-span-lines' as const, ...s.spanning } } : {}),
      outputs: {
        curated: wroteCurated ? s3Uri(ctx.config.curatedBucket, layout.curatedKey) : null,
        quarantine: wroteQuarantine ? s3Uri(ctx.config.quarantineBucket, layout.quarantineKey) : null,
      },
      completedAt: new Date().toISOString(),
    };
    if (s.spanning) {
      logger.warn('quarantined records span several lines and may hide other records; see the manifest attention block', {
        ...this.logFields,
        records: s.spanning.records,
        lines: s.spanning.lines,
        first: s.spanning.first,
      });
    }
    if (s.duplicates?.trackingTruncated) {
      logger.warn('duplicate-id tracking limit reached; later duplicates of the ids not stored were not caught (metric DuplicateIdsUntracked)', {
        ...this.logFields,
        idsUntracked: s.duplicates.idsUntracked,
      });
    }
    await putJson(ctx, ctx.config.curatedBucket, layout.manifestKey, manifest);

    this.metrics.RecordsIn = s.recordsIn;
    this.metrics.RecordsCurated = s.curated;
    this.metrics.RecordsQuarantined = s.quarantined;
    this.metrics.AdditiveDriftFields = s.additiveFields.size;
    this.metrics.BreakingDriftRecords = s.breakingRecords;
    this.metrics.QuarantinedSpannedLines = s.spanning?.lines ?? 0;
    this.metrics.DuplicateIdsUntracked = s.duplicates?.idsUntracked ?? 0;
    this.emit({ status: 'processed', bytes: decodeStats.sourceBytes, gzip: decodeStats.gzip });
    logger.info('object processed', {
      ...this.logFields,
      recordsIn: s.recordsIn,
      curated: s.curated,
      quarantined: s.quarantined,
      additiveDrift: manifest.drift.additive.length,
      breakingDrift: s.breakingRecords,
    });
    return { status: 'processed', objectId: layout.objectId, manifest };
  }

  private manifestBase(compiled: CompiledSchema | undefined): Omit<
    Manifest,
    'compression' | 'recordsIn' | 'curated' | 'quarantined' | 'unreadable' | 'drift' | 'rules' | 'outputs' | 'completedAt'
  > {
    return {
      source: { bucket: this.ref.bucket, key: this.ref.key, etag: this.ref.etag },
      dataset: this.dataset,
      objectId: this.layout.objectId,
      ingestDate: this.layout.ingestDate,
      schemaVersion: compiled?.schema.version ?? null,
      format: compiled?.schema.format ?? null,
    };
  }

  /**
   * Copy the WHOLE original object to `<dataset>/_unreadable/ingest_date=<d>/<objectId>/<file>`
   * plus `reason.json`, then the manifest. No curated output exists for it
   * (any partial multipart upload was aborted before we got here).
   */
  private async quarantineWholeObject(
    reason: { rule: UnreadableRule; message: string },
    compiled: CompiledSchema | undefined,
  ): Promise<ObjectResult> {
    const { ref, ctx, layout } = this;
    const source = { bucket: ref.bucket, key: ref.key, etag: ref.etag };
    try {
      await ctx.clients.s3.send(
        new CopyObjectCommand({
          Bucket: ctx.config.quarantineBucket,
          Key: layout.unreadableObjectKey,
          CopySource: copySource(ref.bucket, ref.key),
          CopySourceIfMatch: `"${ref.etag}"`,
        }),
      );
    } catch (err) {
      if (isObjectGoneError(err)) return this.gone(err);
      throw err;
    }
    await putJson(ctx, ctx.config.quarantineBucket, layout.unreadableReasonKey, {
      rule: reason.rule,
      message: reason.message,
      source,
      dataset: this.dataset,
      objectId: layout.objectId,
    });
    const manifest: Manifest = {
      ...this.manifestBase(compiled),
      compression: null,
      recordsIn: 0,
      curated: 0,
      quarantined: 0,
      unreadable: true,
      reason: { rule: reason.rule, message: reason.message },
      drift: { additive: [], breaking: 0 },
      rules: {},
      outputs: {
        curated: null,
        quarantine: null,
        unreadableObject: s3Uri(ctx.config.quarantineBucket, layout.unreadableObjectKey),
        unreadableReason: s3Uri(ctx.config.quarantineBucket, layout.unreadableReasonKey),
      },
      completedAt: new Date().toISOString(),
    };
    await putJson(ctx, ctx.config.curatedBucket, layout.manifestKey, manifest);
    this.metrics.ObjectsUnreadable = 1;
    this.emit({ status: 'unreadable', rule: reason.rule });
    logger.warn('object quarantined as unreadable', { ...this.logFields, rule: reason.rule, reason: reason.message });
    return { status: 'unreadable', objectId: layout.objectId, manifest };
  }

  /** The object (at this ETag) no longer exists: nothing to ingest, acknowledge. */
  private gone(err: unknown): ObjectResult {
    if (this.opts.quietGone) return { status: 'gone', objectId: this.layout.objectId };
    this.metrics.ObjectsGone = 1;
    logger.warn('source object version no longer exists (deleted or overwritten); skipping', {
      ...this.logFields,
      ...describeError(err),
    });
    this.emit({ status: 'gone' });
    return { status: 'gone', objectId: this.layout.objectId };
  }

  private emit(props: Record<string, unknown>): void {
    this.metrics.ProcessingLatencyMs = Date.now() - this.started;
    emitObjectMetrics(this.dimension, this.metrics, {
      ...props,
      objectId: this.layout.objectId,
      sourceKey: this.ref.key,
      env: this.ctx.config.env,
    });
  }
}

export async function processObject(ref: S3ObjectRef, ctx: ProcessContext): Promise<ObjectResult> {
  const { alternateKey, ...primary } = ref;
  if (alternateKey === undefined) return new ObjectProcessor(primary, ctx).run();
  // EventBridge event whose key may or may not have been URL-encoded: try the
  // decoded key first, then the key exactly as given.
  const first = await new ObjectProcessor(primary, ctx, { quietGone: true }).run();
  if (first.status !== 'gone') return first;
  logger.info('decoded key not found; trying the key exactly as given in the event', { key: ref.key, alternateKey });
  return new ObjectProcessor({ ...primary, key: alternateKey }, ctx).run();
}
