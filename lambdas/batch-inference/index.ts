/**
 * batch-inference — the three Lambda steps of a model's batch inference job
 * (lib/training/batch-inference.ts). The job's state machine calls it with an `action`:
 *
 * - `plan`: resolve the model package group's latest Approved package (at run time, never a name
 *   in config), list the source dataset's day partitions inside the lookback window whose day has
 *   ended, and claim up to `MAX_PARTITIONS` of them in the tracking table with a conditional write
 *   (a partition CLAIMED by a live run is skipped, and so is one SCORED from the objects it holds
 *   now; one whose objects changed after it was scored — a late or redriven ingest writes into the
 *   day its raw object arrived — is claimed again and scored whole), oldest first. It also sweeps
 *   the `LATE_HORIZON_DAYS` days before the window for objects that arrived after their day had
 *   left the window (S3 LastModified), and claims those partitions the same way, after the
 *   window's days: a redrive that lands in an old day is scored, not skipped. Late objects it cannot claim this run (the per-run
 *   maximum, or a partition scored before fingerprints) are counted in the `LateObjectsUnscored`
 *   metric, which alarms. Returns the SageMaker model name, one transform job name per partition,
 *   and where each reads and writes.
 * - `publish`: after a partition's transform job, count the input rows (non-empty JSON lines) and
 *   the transform's output rows file by file; any difference fails with `ConservationError`,
 *   naming the file and both counts, and nothing is published. Otherwise write the predictions with
 *   their lineage (model package ARN and version, run id, input partition, key and line) to
 *   `<OUTPUT_PREFIX>input_partition=<day>/predictions.jsonl` (a fixed key, so a retried partition
 *   replaces rather than duplicates), mark the partition SCORED (conditional on this run's claim)
 *   with the fingerprint of the input objects it scored (keys and ETags),
 *   and remove the staging output. The claim is renewed (conditionally) before the write: a run
 *   whose claim was taken over fails with ClaimLostError and writes nothing.
 * - `release`: a partition's transform or publish failed: mark it FAILED (conditional on this
 *   run's claim), so the next run claims it again.
 *
 * Env: TRACKING_TABLE, MODEL_PACKAGE_GROUP, RESOURCE_PREFIX, SOURCE_BUCKET, SOURCE_PREFIX,
 * PARTITION_KEY, LOOKBACK_DAYS, LATE_HORIZON_DAYS, MAX_PARTITIONS, CLAIM_TIMEOUT_MINUTES, OUTPUT_BUCKET,
 * OUTPUT_PREFIX, STAGING_PREFIX, PLINTH_ENV.
 */

import { createHash } from 'node:crypto';
import { type AttributeValue, ConditionalCheckFailedException, DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ListModelPackagesCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import * as z from 'zod'; // not `{ z }`: the namespace import lets esbuild drop zod's unused locales (cold start)
import { messageOf } from '../shared/aws-errors';
import { createLogger, createMetrics, publishMetrics } from '../shared/runtime';

const logger = createLogger('plinth-batch-inference');
/** Namespace of the job's metrics (dimension `Model`); lib/training/batch-inference.ts alarms on them. */
export const METRIC_NAMESPACE = 'Plinth/BatchInference';
const metrics = createMetrics(METRIC_NAMESPACE);

/** The input and the transform output do not have the same rows; nothing was published. */
export class ConservationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConservationError';
  }
}
/** The event or the environment is not what the job sends; retrying cannot help. */
export class BatchInferenceInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BatchInferenceInputError';
  }
}
/** This run no longer holds the partition's claim (another run took it over); nothing was published. */
export class ClaimLostError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClaimLostError';
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const PREFIX = /^([a-zA-Z0-9!_.*'()-]+\/)+$/;

export const envSchema = z.object({
  TRACKING_TABLE: z.string().min(1),
  MODEL_PACKAGE_GROUP: z.string().min(1),
  /** Prefix of the SageMaker model and transform job names (≤ 20 characters). */
  RESOURCE_PREFIX: z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,19}$/),
  SOURCE_BUCKET: z.string().min(1),
  SOURCE_PREFIX: z.string().regex(PREFIX, 'SOURCE_PREFIX is a key prefix ending in /'),
  PARTITION_KEY: z.string().regex(/^[a-z_][a-z0-9_]*$/),
  LOOKBACK_DAYS: z.coerce.number().int().min(1).max(400),
  /** How many days before the lookback window are swept for late objects. */
  LATE_HORIZON_DAYS: z.coerce.number().int().min(1).max(400),
  MAX_PARTITIONS: z.coerce.number().int().min(1).max(40),
  CLAIM_TIMEOUT_MINUTES: z.coerce.number().int().min(1),
  OUTPUT_BUCKET: z.string().min(1),
  OUTPUT_PREFIX: z.string().regex(PREFIX, 'OUTPUT_PREFIX is a key prefix ending in /'),
  STAGING_PREFIX: z.string().regex(PREFIX, 'STAGING_PREFIX is a key prefix ending in /'),
  PLINTH_ENV: z.string().optional(),
});
export type BatchInferenceEnv = z.infer<typeof envSchema>;

const partitionSchema = z.object({
  partition: z.string().regex(DAY, 'partition is a UTC day, yyyy-MM-dd'),
  inputUri: z.string().regex(/^s3:\/\//),
  stagingUri: z.string().regex(/^s3:\/\//),
  transformJobName: z.string().min(1).max(63),
});
export type PlannedPartition = z.infer<typeof partitionSchema>;

const runSchema = {
  runId: z.string().regex(/^[a-zA-Z0-9_-]{1,80}$/, 'runId is the execution name: letters, digits, _ and -'),
  modelPackageArn: z.string().min(1),
  modelPackageVersion: z.number().int().min(1),
};

export const eventSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('plan'), runId: runSchema.runId, time: z.string().datetime({ offset: true }) }),
  z.object({ action: z.literal('publish'), ...runSchema, partition: partitionSchema }),
  z.object({ action: z.literal('release'), runId: runSchema.runId, partition: partitionSchema, error: z.unknown().optional() }),
]);
export type BatchInferenceEvent = z.infer<typeof eventSchema>;

export interface PlanResult {
  /** `ready` when partitions were claimed; otherwise why there is nothing to do. */
  readonly status: 'ready' | 'nothing-new' | 'no-approved-model';
  readonly runId: string;
  readonly modelPackageArn?: string;
  readonly modelPackageVersion?: number;
  /** The SageMaker model the run creates from the package. */
  readonly modelName?: string;
  readonly partitions: PlannedPartition[];
}

export interface PublishResult {
  readonly partition: string;
  readonly inputRows: number;
  readonly outputRows: number;
  readonly predictionsUri: string;
}

export interface Clients {
  readonly s3: S3Client;
  readonly dynamodb: DynamoDBClient;
  readonly sagemaker: SageMakerClient;
}
/** The function's SDK clients, created once per execution environment. */
export const clients: Clients = {
  s3: new S3Client({ maxAttempts: 5 }),
  dynamodb: new DynamoDBClient({ maxAttempts: 5 }),
  sagemaker: new SageMakerClient({ maxAttempts: 5 }),
};

export async function handler(event: unknown): Promise<PlanResult | PublishResult | { released: string }> {
  const envParsed = envSchema.safeParse(process.env);
  if (!envParsed.success) throw new BatchInferenceInputError(`environment: ${issues(envParsed.error)}`);
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) throw new BatchInferenceInputError(`event: ${issues(parsed.error)}`);
  const env = envParsed.data;
  const c = clients;
  const e = parsed.data;
  if (e.action === 'plan') return plan(c, env, e.runId, new Date(e.time));
  if (e.action === 'publish') return publish(c, env, e);
  await release(c, env, e.runId, e.partition.partition, e.error);
  return { released: e.partition.partition };
}

function issues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** The UTC day `days` before `time`, as yyyy-MM-dd. */
export function dayBefore(time: Date, days: number): string {
  return new Date(Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), time.getUTCDate() - days)).toISOString().slice(0, 10);
}

/** A SageMaker resource name (≤ 63) that is unique per run (and partition) and readable. */
export function resourceName(prefix: string, runId: string, partition?: string): string {
  const hash = createHash('sha256').update(`${runId}/${partition ?? ''}`).digest('hex').slice(0, 12);
  return [prefix, partition?.replace(/-/g, ''), hash].filter(Boolean).join('-');
}

async function plan(c: Clients, env: BatchInferenceEnv, runId: string, time: Date): Promise<PlanResult> {
  const approved = await c.sagemaker.send(
    new ListModelPackagesCommand({
      ModelPackageGroupName: env.MODEL_PACKAGE_GROUP,
      ModelApprovalStatus: 'Approved',
      SortBy: 'CreationTime',
      SortOrder: 'Descending',
      MaxResults: 1,
    }),
  );
  const pkg = approved.ModelPackageSummaryList?.[0];
  if (!pkg?.ModelPackageArn) {
    logger.warn('no Approved model package; nothing scored', { modelPackageGroup: env.MODEL_PACKAGE_GROUP, runId, environment: env.PLINTH_ENV });
    return { status: 'no-approved-model', runId, partitions: [] };
  }
  const late = await latePartitions(c, env, time);
  const inWindow = await readyPartitions(c, env, time);
  // The window's days first, oldest first: a window day left over would age out of the window, a
  // late day left over is swept again by the next run (and counted, below). Then the late days, oldest first.
  const candidates: Array<{ day: string; objects?: ListedObject[]; lateObjects: number }> = [
    ...inWindow.map((day) => ({ day, lateObjects: 0 })),
    ...late.map((l) => ({ day: l.day, objects: l.objects, lateObjects: l.lateObjects })),
  ];
  const claimed: PlannedPartition[] = [];
  const nowSeconds = Math.floor(time.getTime() / 1000);
  let lateObjectsClaimed = 0;
  let lateObjectsUnscored = 0;
  for (const candidate of candidates) {
    const { day } = candidate;
    const full = claimed.length >= env.MAX_PARTITIONS;
    // A day of the window over the per-run maximum waits for the next run (it is still in its window).
    if (full && candidate.lateObjects === 0) continue;
    const objects = candidate.objects ?? (await listObjects(c.s3, env.SOURCE_BUCKET, inputPrefix(env, day)));
    const fingerprint = inputFingerprint(objects);
    if (!full && (await claim(c, env, day, runId, pkg.ModelPackageArn, nowSeconds, fingerprint))) {
      claimed.push({
        partition: day,
        inputUri: `s3://${env.SOURCE_BUCKET}/${inputPrefix(env, day)}`,
        stagingUri: `s3://${env.OUTPUT_BUCKET}/${stagingPrefix(env, runId, day)}`,
        transformJobName: resourceName(env.RESOURCE_PREFIX, runId, day),
      });
      if (candidate.lateObjects > 0) {
        lateObjectsClaimed += candidate.lateObjects;
        logger.warn('partition claimed for objects that arrived after it left the lookback window', {
          runId,
          partition: day,
          lateObjects: candidate.lateObjects,
          environment: env.PLINTH_ENV,
        });
      }
      continue;
    }
    if (candidate.lateObjects === 0) continue;
    // A late partition not claimed: scored already from exactly these objects, held by a live
    // run, or left unscored (counted and alarmed, never skipped quietly).
    const reason = await whyNotClaimed(c, env, day, fingerprint, nowSeconds, full);
    if (reason === undefined) continue;
    lateObjectsUnscored += candidate.lateObjects;
    logger.warn('late objects not scored by this run', { runId, partition: day, lateObjects: candidate.lateObjects, reason, environment: env.PLINTH_ENV });
  }
  publishMetrics(metrics, {
    dimensions: { Model: env.MODEL_PACKAGE_GROUP },
    values: { LateObjectsClaimed: lateObjectsClaimed, LateObjectsUnscored: lateObjectsUnscored },
    properties: { runId, environment: env.PLINTH_ENV },
  });
  logger.info('batch inference planned', {
    runId,
    modelPackageArn: pkg.ModelPackageArn,
    candidates: candidates.length,
    claimed: claimed.map((p) => p.partition),
    lateObjectsClaimed,
    lateObjectsUnscored,
    environment: env.PLINTH_ENV,
  });
  return {
    status: claimed.length > 0 ? 'ready' : 'nothing-new',
    runId,
    modelPackageArn: pkg.ModelPackageArn,
    modelPackageVersion: pkg.ModelPackageVersion ?? 1,
    modelName: resourceName(env.RESOURCE_PREFIX, runId),
    partitions: claimed,
  };
}

/**
 * Why a partition with late objects was not claimed, or undefined when nothing is lost: it is
 * SCORED from exactly the objects it holds now, or a live run holds its claim (that run publishes
 * or releases it).
 */
async function whyNotClaimed(c: Clients, env: BatchInferenceEnv, day: string, fingerprint: string, nowSeconds: number, full: boolean): Promise<string | undefined> {
  const item: Record<string, AttributeValue> | undefined = (
    await c.dynamodb.send(new GetItemCommand({ TableName: env.TRACKING_TABLE, Key: { partition: { S: day } }, ConsistentRead: true }))
  ).Item;
  const status = item?.status?.S;
  if (status === 'SCORED' && item?.inputFingerprint?.S === fingerprint) return undefined;
  if (status === 'CLAIMED' && Number(item?.claimedAt?.N ?? 0) >= nowSeconds - env.CLAIM_TIMEOUT_MINUTES * 60) return undefined;
  if (status === 'SCORED' && item?.inputFingerprint?.S === undefined) {
    return 'scored before input fingerprints were recorded: whether these objects were scored is unknown; delete its tracking item to score it again';
  }
  if (full) return `the per-run maximum (${env.MAX_PARTITIONS}) was reached; the next run claims it`;
  return `claim refused (status ${status ?? 'none'}); the next run tries again`;
}

function inputPrefix(env: BatchInferenceEnv, day: string): string {
  return `${env.SOURCE_PREFIX}${env.PARTITION_KEY}=${day}/`;
}
function stagingPrefix(env: BatchInferenceEnv, runId: string, day: string): string {
  return `${env.STAGING_PREFIX}${runId}/${day}/`;
}
function predictionsKey(env: BatchInferenceEnv, day: string): string {
  return `${env.OUTPUT_PREFIX}input_partition=${day}/predictions.jsonl`;
}

/**
 * The source's day partitions from `LOOKBACK_DAYS` before `time` up to the day before it (a day
 * still being written is not scored), oldest first. The listing starts at the window's first day,
 * so it reads only the window's partitions, whatever the dataset's age.
 */
export async function readyPartitions(c: Pick<Clients, 's3'>, env: BatchInferenceEnv, time: Date): Promise<string[]> {
  const first = dayBefore(time, env.LOOKBACK_DAYS);
  const today = dayBefore(time, 0);
  const base = `${env.SOURCE_PREFIX}${env.PARTITION_KEY}=`;
  const days: string[] = [];
  let token: string | undefined;
  do {
    const page = await c.s3.send(
      new ListObjectsV2Command({
        Bucket: env.SOURCE_BUCKET,
        Prefix: base,
        Delimiter: '/',
        // Keys sort by day: start at the window's first day (the bare prefix sorts before its objects).
        StartAfter: token ? undefined : `${base}${first}`,
        ContinuationToken: token,
        MaxKeys: 1000,
      }),
    );
    let pastToday = false;
    for (const p of page.CommonPrefixes ?? []) {
      const day = p.Prefix?.slice(base.length, -1);
      if (!day || !DAY.test(day)) continue;
      if (day >= today) {
        pastToday = true;
        break;
      }
      if (day >= first) days.push(day);
    }
    token = pastToday ? undefined : page.NextContinuationToken;
  } while (token);
  return days;
}

interface ListedObject {
  readonly key: string;
  readonly etag: string;
}

export interface LatePartition {
  readonly day: string;
  /** Every object of the partition (keys and ETags), for its fingerprint. */
  readonly objects: ListedObject[];
  /** Its objects that arrived (LastModified) on or after the day it was last inside the window. */
  readonly lateObjects: number;
}

/**
 * The day partitions older than the lookback window, up to `LATE_HORIZON_DAYS` before it, that
 * hold an object which arrived (S3 LastModified) on or after the last day the partition was inside
 * the window (day + `LOOKBACK_DAYS`): a late ingest or a dead-letter redrive writes into the day
 * its raw object arrived, possibly after every run that could see that day. Oldest first. An
 * object that arrived on that last day may have been scored by that day's run; the claim's
 * fingerprint check tells (a partition SCORED from exactly its objects is not claimed again).
 * The listing starts at the horizon, so it reads only the horizon's partitions.
 */
export async function latePartitions(c: Pick<Clients, 's3'>, env: BatchInferenceEnv, time: Date): Promise<LatePartition[]> {
  const first = dayBefore(time, env.LOOKBACK_DAYS);
  const horizon = dayBefore(time, env.LOOKBACK_DAYS + env.LATE_HORIZON_DAYS);
  const base = `${env.SOURCE_PREFIX}${env.PARTITION_KEY}=`;
  const byDay = new Map<string, { objects: ListedObject[]; lateObjects: number }>();
  let token: string | undefined;
  let done = false;
  do {
    const page = await c.s3.send(
      new ListObjectsV2Command({ Bucket: env.SOURCE_BUCKET, Prefix: base, StartAfter: token ? undefined : `${base}${horizon}`, ContinuationToken: token, MaxKeys: 1000 }),
    );
    for (const o of page.Contents ?? []) {
      if (!o.Key || o.Key.endsWith('/')) continue;
      const rest = o.Key.slice(base.length);
      const day = rest.slice(0, 10);
      if (rest[10] !== '/' || !DAY.test(day)) continue;
      if (day >= first) {
        done = true;
        break;
      }
      if (day < horizon) continue;
      const entry = byDay.get(day) ?? { objects: [], lateObjects: 0 };
      byDay.set(day, entry);
      entry.objects.push({ key: o.Key, etag: o.ETag ?? '' });
      // The last run that could see `day` in its window ran on day + LOOKBACK_DAYS.
      const leftWindow = Date.parse(`${day}T00:00:00Z`) + env.LOOKBACK_DAYS * 86_400_000;
      if (o.LastModified && o.LastModified.getTime() >= leftWindow) entry.lateObjects += 1;
    }
    token = done ? undefined : page.NextContinuationToken;
  } while (token);
  return [...byDay.entries()]
    .filter(([, e]) => e.lateObjects > 0)
    .map(([day, e]) => ({ day, objects: e.objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)), lateObjects: e.lateObjects }))
    .sort((a, b) => (a.day < b.day ? -1 : 1));
}

/**
 * Claims a partition for this run; false when it is held by a live claim, or SCORED from exactly
 * the input it has now. A SCORED partition whose objects changed since (`fingerprint` differs from
 * the one recorded when it was published: the ingest writes a late or redriven object into the day
 * its raw object arrived, possibly after that day was scored) is claimed again and scored whole.
 * A partition scored before fingerprints were recorded has none and is left alone.
 */
async function claim(c: Clients, env: BatchInferenceEnv, day: string, runId: string, modelPackageArn: string, nowSeconds: number, fingerprint: string): Promise<boolean> {
  try {
    const out = await c.dynamodb.send(
      new PutItemCommand({
        TableName: env.TRACKING_TABLE,
        Item: {
          partition: { S: day },
          status: { S: 'CLAIMED' },
          runId: { S: runId },
          modelPackageArn: { S: modelPackageArn },
          claimedAt: { N: String(nowSeconds) },
        },
        ConditionExpression: 'attribute_not_exists(#p) OR #s = :failed OR (#s = :claimed AND claimedAt < :stale) OR (#s = :scored AND attribute_exists(inputFingerprint) AND inputFingerprint <> :fp)',
        ExpressionAttributeNames: { '#p': 'partition', '#s': 'status' },
        ExpressionAttributeValues: {
          ':failed': { S: 'FAILED' },
          ':claimed': { S: 'CLAIMED' },
          ':scored': { S: 'SCORED' },
          ':fp': { S: fingerprint },
          ':stale': { N: String(nowSeconds - env.CLAIM_TIMEOUT_MINUTES * 60) },
        },
        ReturnValues: 'ALL_OLD',
      }),
    );
    const before = out.Attributes;
    if (before?.status?.S === 'SCORED') {
      logger.warn('partition scored again: its input objects changed after it was scored', {
        runId,
        partition: day,
        previousRunId: before.runId?.S,
        previousInputObjects: before.inputObjects?.N,
        previousInputRows: before.inputRows?.N,
        environment: env.PLINTH_ENV,
      });
    }
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}

/** Marks the partition `status`, only while this run holds its claim. */
async function settle(c: Clients, env: BatchInferenceEnv, day: string, runId: string, status: 'SCORED' | 'FAILED', extra: Record<string, { S: string } | { N: string }>): Promise<void> {
  const names = Object.keys(extra);
  try {
    await c.dynamodb.send(
      new UpdateItemCommand({
        TableName: env.TRACKING_TABLE,
        Key: { partition: { S: day } },
        UpdateExpression: `SET #s = :status${names.map((_, i) => `, #a${i} = :a${i}`).join('')}`,
        ConditionExpression: '#s = :claimed AND runId = :runId',
        ExpressionAttributeNames: { '#s': 'status', ...Object.fromEntries(names.map((n, i) => [`#a${i}`, n])) },
        ExpressionAttributeValues: {
          ':status': { S: status },
          ':claimed': { S: 'CLAIMED' },
          ':runId': { S: runId },
          ...Object.fromEntries(names.map((n, i) => [`:a${i}`, extra[n]])),
        },
      }),
    );
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException') {
      throw new ClaimLostError(`partition ${day}: run ${runId} no longer holds its claim (another run took it over after the claim timeout); not marked ${status}`);
    }
    throw err;
  }
}

/** Renews this run's claim (claimedAt = now) before it publishes; ClaimLostError when it is no longer held. */
async function renewClaim(c: Clients, env: BatchInferenceEnv, day: string, runId: string): Promise<void> {
  try {
    await c.dynamodb.send(
      new UpdateItemCommand({
        TableName: env.TRACKING_TABLE,
        Key: { partition: { S: day } },
        UpdateExpression: 'SET claimedAt = :now',
        ConditionExpression: '#s = :claimed AND runId = :runId',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':now': { N: String(Math.floor(Date.now() / 1000)) }, ':claimed': { S: 'CLAIMED' }, ':runId': { S: runId } },
      }),
    );
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException') {
      throw new ClaimLostError(`partition ${day}: run ${runId} no longer holds its claim (another run took it over after the claim timeout, or it is settled); nothing published`);
    }
    throw err;
  }
}

async function release(c: Clients, env: BatchInferenceEnv, runId: string, day: string, error: unknown): Promise<void> {
  const reason = JSON.stringify(error ?? 'unknown').slice(0, 1000);
  await settle(c, env, day, runId, 'FAILED', { error: { S: reason } });
  logger.error('partition not scored; released for the next run', { runId, partition: day, reason, environment: env.PLINTH_ENV });
}

async function listObjects(s3: S3Client, bucket: string, prefix: string): Promise<ListedObject[]> {
  const objects: ListedObject[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith('/')) objects.push({ key: o.Key, etag: o.ETag ?? '' });
    token = page.NextContinuationToken;
  } while (token);
  return objects.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  return (await listObjects(s3, bucket, prefix)).map((o) => o.key);
}

/** What a partition's input was: its objects' keys and ETags, hashed (an object added, replaced or removed changes it). */
export function inputFingerprint(objects: ReadonlyArray<{ key: string; etag: string }>): string {
  const hash = createHash('sha256');
  for (const o of objects) hash.update(`${o.key}\t${o.etag}\n`);
  return hash.digest('hex');
}

async function readLines(s3: S3Client, bucket: string, key: string): Promise<string[]> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const text = (await res.Body?.transformToString('utf8')) ?? '';
  return rows(text);
}

/** The rows of a JSON-lines text: its non-empty lines (Batch Transform's Line split skips empty ones). */
export function rows(text: string): string[] {
  return text.split(/\r?\n/).filter((line) => line.trim() !== '');
}

function uriParts(uri: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/(.*)$/.exec(uri);
  if (!m) throw new BatchInferenceInputError(`not an s3:// URI: ${uri}`);
  return { bucket: m[1], prefix: m[2] };
}

async function publish(c: Clients, env: BatchInferenceEnv, e: Extract<BatchInferenceEvent, { action: 'publish' }>): Promise<PublishResult> {
  const { partition: p, runId } = e;
  const input = uriParts(p.inputUri);
  const staging = uriParts(p.stagingUri);
  // The job only ever hands back what plan produced; anything else is refused.
  if (input.bucket !== env.SOURCE_BUCKET || input.prefix !== inputPrefix(env, p.partition)) {
    throw new BatchInferenceInputError(`partition.inputUri ${p.inputUri} is not partition ${p.partition} of the source`);
  }
  if (staging.bucket !== env.OUTPUT_BUCKET || staging.prefix !== stagingPrefix(env, runId, p.partition)) {
    throw new BatchInferenceInputError(`partition.stagingUri ${p.stagingUri} is not this run's staging prefix for ${p.partition}`);
  }
  const inputObjects = await listObjects(c.s3, input.bucket, input.prefix);
  const inputKeys = inputObjects.map((o) => o.key);
  const outputKeys = await listKeys(c.s3, staging.bucket, staging.prefix);
  // Batch Transform writes <input path relative to the prefix>.out for each input object.
  const expected = new Map(inputKeys.map((k) => [`${staging.prefix}${k.slice(input.prefix.length)}.out`, k]));
  const missing = [...expected.keys()].filter((k) => !outputKeys.includes(k));
  const extra = outputKeys.filter((k) => !expected.has(k));
  if (missing.length > 0 || extra.length > 0) {
    throw new ConservationError(
      `partition ${p.partition}: the transform output does not match the input objects` +
        (missing.length ? `; no output for ${missing.map((k) => expected.get(k)).join(', ')}` : '') +
        (extra.length ? `; unexpected output ${extra.join(', ')}` : ''),
    );
  }
  let inputRows = 0;
  let outputRows = 0;
  const lines: string[] = [];
  for (const [outKey, inKey] of expected) {
    const inRows = await readLines(c.s3, input.bucket, inKey);
    const outRows = await readLines(c.s3, staging.bucket, outKey);
    inputRows += inRows.length;
    outputRows += outRows.length;
    if (inRows.length !== outRows.length) {
      throw new ConservationError(`partition ${p.partition}: ${inKey} has ${inRows.length} rows but its transform output ${outKey} has ${outRows.length}; nothing published`);
    }
    inRows.forEach((record, i) => {
      lines.push(
        JSON.stringify({
          input_record: record,
          prediction: outRows[i],
          model_package_arn: e.modelPackageArn,
          model_package_version: e.modelPackageVersion,
          run_id: runId,
          input_partition: p.partition,
          input_key: inKey,
          input_line: i + 1,
        }),
      );
    });
  }
  if (lines.length !== inputRows) throw new ConservationError(`partition ${p.partition}: ${inputRows} input rows but ${lines.length} predictions assembled`);
  // The key is fixed per partition: a run whose claim was taken over must not overwrite the
  // predictions of the run that now holds it. Renewing the claim first makes a takeover during
  // the write impossible (it needs CLAIM_TIMEOUT_MINUTES to pass again).
  await renewClaim(c, env, p.partition, runId);
  const key = predictionsKey(env, p.partition);
  await c.s3.send(
    new PutObjectCommand({
      Bucket: env.OUTPUT_BUCKET,
      Key: key,
      Body: lines.length > 0 ? `${lines.join('\n')}\n` : '',
      ContentType: 'application/jsonlines',
      Metadata: { 'plinth-run-id': runId, 'plinth-model-package-version': String(e.modelPackageVersion), 'plinth-rows': String(inputRows) },
    }),
  );
  await settle(c, env, p.partition, runId, 'SCORED', {
    inputRows: { N: String(inputRows) },
    outputRows: { N: String(outputRows) },
    modelPackageVersion: { N: String(e.modelPackageVersion) },
    predictionsKey: { S: key },
    // What was scored: a later plan scores the partition again when its objects change.
    inputObjects: { N: String(inputObjects.length) },
    inputFingerprint: { S: inputFingerprint(inputObjects) },
  });
  if (outputKeys.length > 0) {
    try {
      await c.s3.send(new DeleteObjectsCommand({ Bucket: staging.bucket, Delete: { Objects: outputKeys.map((Key) => ({ Key })), Quiet: true } }));
    } catch (err) {
      // The partition is published and tracked; leftover staging output is only clutter.
      logger.warn('could not remove the staging output', { runId, partition: p.partition, reason: messageOf(err), environment: env.PLINTH_ENV });
    }
  }
  logger.info('partition scored', { runId, partition: p.partition, inputRows, outputRows, predictionsKey: key, environment: env.PLINTH_ENV });
  return { partition: p.partition, inputRows, outputRows, predictionsUri: `s3://${env.OUTPUT_BUCKET}/${key}` };
}
