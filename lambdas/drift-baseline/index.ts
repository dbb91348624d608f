/**
 * drift-baseline — builds the drift baseline of a model package when it is
 * approved, with the same code path the drift job counts windows with
 * (buildBaseline() in lambdas/drift-stats/baseline.ts).
 *
 * ── CONTRACT ──────────────────────────────────────────────────────────────
 * Trigger: EventBridge rule (asynchronous invoke), pattern
 *   { "source": ["aws.sagemaker"],
 *     "detail-type": ["SageMaker Model Package State Change"],
 *     "detail": { "ModelApprovalStatus": ["Approved"] } }
 *   parsed by lambdas/deploy-model/event.ts (parseApprovalEvent).
 * Env:
 *   MODELS              JSON { "<modelPackageGroupName>": { "endpointName": "...",
 *                         "features": [{ "name": "amount", "type": "numeric", "bins"?: n },
 *                                      { "name": "currency", "type": "categorical", "maxCategories"?: n }] } }
 *                       Feature names must match /^[A-Za-z_][A-Za-z0-9_]{0,127}$/.
 *   BASELINE_BUCKET     where baselines are written
 *   BASELINE_PREFIX     default `drift-baselines/`
 *   MAX_SAMPLE_RECORDS  default 100000 (reservoir size)
 *   PLINTH_ENV          optional, logged
 * Steps:
 *  1. sagemaker:DescribeModelPackage(event ARN). CustomerMetadataProperties
 *     ["plinth:training-sample"] = s3://bucket/key of the training sample:
 *     JSON Lines of feature objects, or CSV with a header when the key ends
 *     in .csv (.csv.gz); gzip is detected (sample.ts).
 *  2. Stream it (never buffered whole) into a reservoir of at most
 *     MAX_SAMPLE_RECORDS records, seeded from the package ARN (reruns give
 *     the same sample). Malformed records are counted and skipped.
 *  3. buildBaseline() over the sample, plus
 *     source: { modelPackageArn, trainingSample, sampledRecords, totalRecords }.
 *  4. s3:PutObject <prefix><endpointName>/<groupName>-v<version>.json, then
 *     <prefix><endpointName>/current.json (what the drift job reads: the
 *     baseline of the model just approved for deployment).
 *  5. sagemaker:UpdateModelPackage: CustomerMetadataProperties = the
 *     package's properties plus "plinth:drift-baseline" = s3:// URI of the
 *     versioned object (sent merged: SageMaker merges, moto replaces).
 * Skipped (info log, no metric): events that are not Approved, a package no
 * longer Approved when described, and a package whose "plinth:drift-baseline"
 * names the baseline object this job writes for it, which exists (anything
 * else in that property, e.g. set by the registrant, is ignored and the
 * baseline is built) (step 5 was done; this also stops a loop should
 * the metadata update itself emit a state-change event, and keeps a replayed
 * old approval from overwriting current.json). To rebuild, remove that
 * property and approve again.
 * Failures a retry cannot fix (error log + EMF BaselineFailed = 1, NO throw):
 *   unparseable event, group not in MODELS, missing or invalid
 *   "plinth:training-sample", sample object/bucket missing, sample not UTF-8
 *   / corrupt gzip / CSV without the feature columns / no valid record,
 *   buildBaseline rejects it (e.g. too many categories).
 * Metrics: EMF namespace `Plinth/Drift`, BaselineBuilt = 1 / BaselineFailed = 1,
 *   dimension [Endpoint] when the group is in MODELS, else [ModelPackageGroup].
 * Other AWS errors propagate (the asynchronous invoke retries; configure an
 *   on-failure destination).
 * IAM: sagemaker:DescribeModelPackage, sagemaker:UpdateModelPackage on the
 *   groups' model packages; s3:GetObject (+ kms:Decrypt) on the training
 *   sample locations, and s3:ListBucket there so a missing sample reads as
 *   NoSuchKey; s3:PutObject (+ kms:GenerateDataKey) on
 *   BASELINE_BUCKET/BASELINE_PREFIX*.
 * ──────────────────────────────────────────────────────────────────────────
 */

import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeModelPackageCommand, SageMakerClient, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { parseApprovalEvent } from '../deploy-model/event';
import { buildBaseline } from '../drift-stats/baseline';
import { Baseline, DriftInputError } from '../drift-stats/statistics';
import { BaselineConfig, loadConfig, ModelDrift } from './config';
import { createLogger, createMetrics, describeError, publishMetrics } from '../shared/runtime';
import { readTrainingSample, SampleUnreadableError, sampleFormat } from './sample';

export const METRIC_NAMESPACE = 'Plinth/Drift';
/** In-SDK attempts (standard retry mode, backoff with jitter). */
export const SDK_MAX_ATTEMPTS = 3;
/** The function's SDK clients, created once per execution environment. */
export const clients = {
  s3: new S3Client({ maxAttempts: SDK_MAX_ATTEMPTS }),
  sagemaker: new SageMakerClient({ maxAttempts: SDK_MAX_ATTEMPTS }),
};
const logger = createLogger('plinth-drift-baseline');
const metrics = createMetrics(METRIC_NAMESPACE);
export const TRAINING_SAMPLE_PROPERTY = 'plinth:training-sample';
export const DRIFT_BASELINE_PROPERTY = 'plinth:drift-baseline';
const APPROVED = 'Approved';

export interface BaselineBuilt {
  status: 'built';
  endpointName: string;
  baselineUri: string;
  currentUri: string;
  sampledRecords: number;
  totalRecords: number;
  malformedRecords: number;
}

export type BaselineOutcome =
  | BaselineBuilt
  | { status: 'failed'; reason: string }
  | { status: 'skipped'; reason: string };

/** A failure no retry can fix: logged and counted, not thrown. */
class BaselineFailure extends Error {
  override readonly name = 'BaselineFailure';
}

export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(uri);
  return m ? { bucket: m[1]!, key: m[2]! } : undefined;
}

function emitCount(metric: 'BaselineBuilt' | 'BaselineFailed', dimensions: Record<string, string>, properties: Record<string, unknown>): void {
  publishMetrics(metrics, { dimensions, values: { [metric]: 1 }, properties });
}

function isMissingObject(err: unknown): boolean {
  const name = (err as { name?: unknown }).name;
  return name === 'NoSuchKey' || name === 'NoSuchBucket';
}

interface Approval {
  modelPackageArn: string;
  groupName: string;
  version: number;
}

/** Where this job writes the baseline of one package version. */
function versionedBaselineKey(config: BaselineConfig, model: ModelDrift, approval: Approval): string {
  return `${config.baselinePrefix}${model.endpointName}/${approval.groupName}-v${approval.version}.json`;
}

async function baselineExists(config: BaselineConfig, key: string): Promise<boolean> {
  try {
    await clients.s3.send(new HeadObjectCommand({ Bucket: config.baselineBucket, Key: key }));
    return true;
  } catch (err) {
    const name = (err as { name?: unknown }).name;
    if (name === 'NotFound' || name === 'NoSuchKey' || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw err;
  }
}

async function buildAndStore(config: BaselineConfig, model: ModelDrift, approval: Approval, properties: Record<string, string>): Promise<BaselineBuilt> {
  const sampleUri = properties[TRAINING_SAMPLE_PROPERTY];
  if (sampleUri === undefined) {
    throw new BaselineFailure(`the model package has no CustomerMetadataProperties "${TRAINING_SAMPLE_PROPERTY}" (s3:// URI of its training sample)`);
  }
  const sample = parseS3Uri(sampleUri);
  if (!sample) throw new BaselineFailure(`"${TRAINING_SAMPLE_PROPERTY}" is not an s3://bucket/key URI: ${JSON.stringify(sampleUri.slice(0, 300))}`);

  let body: AsyncIterable<Uint8Array>;
  try {
    const res = await clients.s3.send(new GetObjectCommand({ Bucket: sample.bucket, Key: sample.key }));
    body = res.Body as AsyncIterable<Uint8Array>;
  } catch (err) {
    if (isMissingObject(err)) throw new BaselineFailure(`training sample ${sampleUri} does not exist (${(err as Error).name})`);
    throw err;
  }
  const features = Object.keys(model.features).sort();
  let read: Awaited<ReturnType<typeof readTrainingSample>>;
  try {
    read = await readTrainingSample(body, { format: sampleFormat(sample.key), features, capacity: config.maxSampleRecords, seed: approval.modelPackageArn });
  } catch (err) {
    if (err instanceof SampleUnreadableError) throw new BaselineFailure(`training sample ${sampleUri} is unreadable: ${err.message}`);
    throw err;
  }
  if (read.totalRecords === 0) throw new BaselineFailure(`training sample ${sampleUri} has no valid record (${read.malformedRecords} malformed)`);

  let baseline: Baseline;
  try {
    baseline = buildBaseline(read.columns, { features: model.features, createdAt: new Date() });
  } catch (err) {
    if (err instanceof DriftInputError) throw new BaselineFailure(`cannot build a baseline from ${sampleUri}: ${err.message}`);
    throw err;
  }
  baseline.source = { modelPackageArn: approval.modelPackageArn, trainingSample: sampleUri, sampledRecords: read.sampledRecords, totalRecords: read.totalRecords };

  const folder = `${config.baselinePrefix}${model.endpointName}/`;
  const versionedKey = versionedBaselineKey(config, model, approval);
  const currentKey = `${folder}current.json`;
  const bodyText = JSON.stringify(baseline);
  for (const key of [versionedKey, currentKey]) {
    await clients.s3.send(new PutObjectCommand({ Bucket: config.baselineBucket, Key: key, Body: bodyText, ContentType: 'application/json' }));
  }
  const baselineUri = `s3://${config.baselineBucket}/${versionedKey}`;
  await clients.sagemaker.send(
    new UpdateModelPackageCommand({
      ModelPackageArn: approval.modelPackageArn,
      CustomerMetadataProperties: { ...properties, [DRIFT_BASELINE_PROPERTY]: baselineUri },
    }),
  );
  return {
    status: 'built',
    endpointName: model.endpointName,
    baselineUri,
    currentUri: `s3://${config.baselineBucket}/${currentKey}`,
    sampledRecords: read.sampledRecords,
    totalRecords: read.totalRecords,
    malformedRecords: read.malformedRecords,
  };
}

export async function handler(event: unknown): Promise<BaselineOutcome> {
  const config = loadConfig();
  const env = config.environment ? { environment: config.environment } : {};
  const parsed = parseApprovalEvent(JSON.stringify(event ?? null));
  if (!parsed.ok) {
    const group = (event as { detail?: { ModelPackageGroupName?: unknown } } | null)?.detail?.ModelPackageGroupName;
    const groupName = typeof group === 'string' && group !== '' ? group.slice(0, 63) : 'unknown';
    logger.error('not a model package approval event: no baseline built', { ...env, reason: parsed.error, modelPackageGroupName: groupName });
    emitCount('BaselineFailed', { ModelPackageGroup: groupName }, { ...env, reason: parsed.error });
    return { status: 'failed', reason: parsed.error };
  }
  const approval: Approval = {
    modelPackageArn: parsed.event.modelPackageArn,
    groupName: parsed.event.modelPackageGroupName,
    version: parsed.event.modelPackageVersion,
  };
  const fields = { ...env, modelPackageArn: approval.modelPackageArn, eventId: parsed.event.eventId };
  if (parsed.event.modelApprovalStatus !== APPROVED) {
    logger.info('model package is not approved: nothing to do', { ...fields, modelApprovalStatus: parsed.event.modelApprovalStatus });
    return { status: 'skipped', reason: `status ${parsed.event.modelApprovalStatus}` };
  }
  const model = config.models.get(approval.groupName);
  if (!model) {
    const reason = `model package group ${approval.groupName} is not in MODELS (no endpoint/features configured for drift)`;
    logger.error('no drift configuration for this model package group', { ...fields, reason });
    emitCount('BaselineFailed', { ModelPackageGroup: approval.groupName }, { ...fields, reason });
    return { status: 'failed', reason };
  }
  const dims = { Endpoint: model.endpointName };
  const described = await clients.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: approval.modelPackageArn }));
  if (described.ModelApprovalStatus !== APPROVED) {
    logger.info('model package is no longer approved: nothing to do', { ...fields, modelApprovalStatus: described.ModelApprovalStatus });
    return { status: 'skipped', reason: `status ${String(described.ModelApprovalStatus)}` };
  }
  const properties = { ...(described.CustomerMetadataProperties ?? {}) };
  const existing = properties[DRIFT_BASELINE_PROPERTY];
  // Skip only for a baseline this job wrote: the registrant can set any metadata, so the property
  // must name this package's own baseline object, and that object must exist.
  if (existing !== undefined) {
    const own = `s3://${config.baselineBucket}/${versionedBaselineKey(config, model, approval)}`;
    if (existing === own && (await baselineExists(config, versionedBaselineKey(config, model, approval)))) {
      logger.info('the model package already has its drift baseline: nothing to do', { ...fields, baselineUri: existing });
      return { status: 'skipped', reason: `already built: ${existing}` };
    }
    logger.warn(`ignoring a ${DRIFT_BASELINE_PROPERTY} this job did not write: building the baseline`, { ...fields, claimed: existing.slice(0, 300), expected: own });
  }
  try {
    const outcome = await buildAndStore(config, model, approval, properties);
    logger.info('drift baseline built', { ...fields, ...outcome });
    emitCount('BaselineBuilt', dims, { ...fields, sampledRecords: outcome.sampledRecords });
    return outcome;
  } catch (err) {
    if (!(err instanceof BaselineFailure)) {
      logger.error('drift baseline failed (retried)', { ...fields, endpointName: model.endpointName, ...describeError(err) });
      throw err;
    }
    logger.error('drift baseline failed: no baseline built', { ...fields, endpointName: model.endpointName, reason: err.message });
    emitCount('BaselineFailed', dims, { ...fields, reason: err.message });
    return { status: 'failed', reason: err.message };
  }
}
