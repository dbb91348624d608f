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
 *                         "pipelineName"?: "<the model's own training pipeline>",
 *                         "features": [{ "name": "amount", "type": "numeric", "bins"?: n },
 *                                      { "name": "currency", "type": "categorical", "maxCategories"?: n }] } }
 *                       Feature names must match /^[A-Za-z_][A-Za-z0-9_]{0,127}$/.
 *   BASELINE_BUCKET     where baselines are written
 *   TRAINING_SAMPLE_BUCKET  the only bucket training samples are read from
 *   BASELINE_PREFIX     default `drift-baselines/`
 *   MAX_SAMPLE_RECORDS  default 100000 (reservoir size)
 *   MAX_MALFORMED_SHARE default 0.01: largest malformed / (valid + malformed)
 *                       share of the sample's records that still makes a
 *                       baseline (config.ts says why 1 %)
 *   PLINTH_ENV          optional, logged
 * Steps:
 *  1. sagemaker:DescribeModelPackage(event ARN). The training sample is
 *     chosen by sample-source.ts, never from metadata alone: a package the
 *     model's own pipeline registered (its MetadataProperties.GeneratedBy,
 *     checked with sagemaker:ListPipelineExecutionSteps) uses the sample the pipeline's
 *     evaluation step wrote next to the package's evaluation report
 *     (`evaluations/.../training-sample.jsonl` in TRAINING_SAMPLE_BUCKET); any other package uses
 *     CustomerMetadataProperties["plinth:training-sample"], which must be in
 *     TRAINING_SAMPLE_BUCKET. The sample is JSON Lines of feature objects (each as the gateway sends it),
 *     or CSV with a header when the key ends in .csv (.csv.gz); gzip is
 *     detected (sample.ts).
 *     It is read as it was when the package was registered: the newest
 *     version (s3:ListBucketVersions) last modified at or before the
 *     package's CreationTime (S3 times are whole seconds), so an overwrite
 *     after registration changes nothing; a sample written only afterwards
 *     is refused.
 *  2. Stream it (never buffered whole) into a reservoir of at most
 *     MAX_SAMPLE_RECORDS records, seeded from the package ARN (reruns give
 *     the same sample). Malformed records are counted and skipped; when they
 *     are more than MAX_MALFORMED_SHARE of the records read, the baseline is
 *     refused (a failure below, with the counts).
 *     A configured feature the sample does not have at all (no key in any
 *     record, no CSV column: a field only the request carries) gets no
 *     baseline: it is written under `unbaselined` with the reason, logged,
 *     and counted (FeaturesUnbaselined); drift-stats lists it in every
 *     result. A sample with none of the configured features is a failure.
 *  3. buildBaseline() over the features the sample has, plus
 *     unbaselined: { <name>: { type, reason: "absent-from-training-sample" } } (when any) and
 *     source: { modelPackageArn, trainingSample, sampledRecords, totalRecords, malformedRecords }.
 *  4. <prefix><endpointName>/current.json, the baseline of the NEWEST approved
 *     version (highest model package version of the group), written only if
 *     it holds no newer one: read it (HeadObject: its ETag and the
 *     plinth-model-package-arn metadata; a current.json without metadata is
 *     read whole for source.modelPackageArn), then a conditional PutObject
 *     (If-Match that ETag, or If-None-Match * when there is none). A 412/409
 *     (another approval wrote it meanwhile) re-reads and decides again, at most
 *     CURRENT_WRITE_ATTEMPTS times, then throws (the invoke is retried). So two
 *     approvals processed out of order, or a retry of an older one, never move
 *     current.json back to an older version. A current.json that cannot be
 *     ordered against this version (another group's, or no readable source)
 *     is replaced, with a warning. Then s3:PutObject
 *     <prefix><endpointName>/<groupName>-v<version>.json (written last: it marks
 *     the version done, so a run that stopped before it is redone whole). The
 *     platform's drift job reads the versioned object of the version the
 *     endpoint serves when it knows it (drift-query).
 *  5. sagemaker:UpdateModelPackage: CustomerMetadataProperties = the
 *     package's properties plus "plinth:drift-baseline" = s3:// URI of the
 *     versioned object (sent merged: SageMaker merges, moto replaces).
 * Skipped (info log, no metric): events that are not Approved, a package no
 *   longer Approved when described, and a package whose versioned baseline
 *   object (step 4) already exists: a replayed approval, or the state-change
 *   event of step 5 itself. Package metadata never makes the job skip (the
 *   registrant can set any of it); a "plinth:drift-baseline" that does not
 *   name the existing object is put right. To rebuild, delete the versioned
 *   object and approve again.
 * Failures a retry cannot fix (error log + EMF BaselineFailed = 1, NO throw):
 *   unparseable event, group not in MODELS, no sample the platform can
 *   vouch for (a pipeline claim SageMaker does not confirm, a missing or
 *   invalid "plinth:training-sample", one outside TRAINING_SAMPLE_BUCKET),
 *   sample object missing, sample not UTF-8
 *   / corrupt gzip / CSV without a header / no valid record / more malformed
 *   records than MAX_MALFORMED_SHARE / none of the configured features,
 *   buildBaseline rejects it (e.g. too many categories).
 * Metrics: EMF namespace `Plinth/Drift`, BaselineBuilt = 1 / BaselineFailed = 1,
 *   dimension [Endpoint] when the group is in MODELS, else [ModelPackageGroup].
 *   The BaselineBuilt document also carries SampleRecordsMalformed (records
 *   skipped) and FeaturesUnbaselined (configured features without a
 *   baseline); its log line ("drift baseline built", level warn when either
 *   is not 0) carries malformedRecords, malformedShare and unbaselined.
 * Other AWS errors propagate (the asynchronous invoke retries; configure an
 *   on-failure destination).
 * IAM: (conditional writes need nothing beyond s3:PutObject; the read of
 *   current.json is s3:GetObject + kms:Decrypt, both below)
 *   sagemaker:DescribeModelPackage, sagemaker:UpdateModelPackage on the
 *   groups' model packages; sagemaker:ListPipelineExecutionSteps on the
 *   pipelines' executions; s3:GetObject (+ kms:Decrypt) on the training
 *   sample locations, and s3:ListBucket there so a missing sample reads as
 *   NoSuchKey; s3:PutObject, s3:GetObject (+ kms:GenerateDataKey) on
 *   BASELINE_BUCKET/BASELINE_PREFIX*, and s3:ListBucket on BASELINE_BUCKET
 *   (the existence check of step 4's object must read a missing one as 404).
 * ──────────────────────────────────────────────────────────────────────────
 */

import { GetObjectCommand, HeadObjectCommand, ListObjectVersionsCommand, type ListObjectVersionsCommandOutput, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeModelPackageCommand, SageMakerClient, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { parseApprovalEvent, parseModelPackageArn } from '../deploy-model/event';
import { buildBaseline } from '../drift-stats/baseline';
import { Baseline, DriftInputError, setOwn, UnbaselinedFeature } from '../drift-stats/statistics';
import type { FeatureSpec } from '../drift-stats/baseline';
import { BaselineConfig, loadConfig, ModelDrift } from './config';
import { createLogger, createMetrics, describeError, publishMetrics } from '../shared/runtime';
import { readTrainingSample, SampleUnreadableError, sampleFormat } from './sample';
import { DescribedPackage, listStepsCommand, resolveTrainingSample, SampleSource, SampleSourceError, TRAINING_SAMPLE_PROPERTY } from './sample-source';

export { parseS3Uri } from './sample-source';

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
export { TRAINING_SAMPLE_PROPERTY };
export const DRIFT_BASELINE_PROPERTY = 'plinth:drift-baseline';
const APPROVED = 'Approved';
/** Conditional writes of current.json tried before the invoke fails (each loss means another approval wrote it). */
export const CURRENT_WRITE_ATTEMPTS = 5;
/** Object metadata on current.json naming the package it is the baseline of (x-amz-meta-…). */
export const CURRENT_PACKAGE_METADATA = 'plinth-model-package-arn';
/** Versions of one sample key read at most (1000 per page). */
const MAX_VERSION_PAGES = 20;

export interface BaselineBuilt {
  status: 'built';
  endpointName: string;
  trainingSample: string;
  sampleDerivedFrom: SampleSource['derivedFrom'];
  baselineUri: string;
  currentUri: string;
  /** `replaced`: current.json is now this version's baseline; `kept`: it holds a newer version's, left alone. */
  current: 'replaced' | 'kept';
  /** The model package current.json is the baseline of after this run. */
  currentModelPackageArn: string;
  sampledRecords: number;
  totalRecords: number;
  malformedRecords: number;
  /** malformed / (valid + malformed) records read. */
  malformedShare: number;
  /** Configured features the sample did not have (no baseline for them), sorted. */
  unbaselined: string[];
}

export type BaselineOutcome =
  | BaselineBuilt
  | { status: 'failed'; reason: string }
  | { status: 'skipped'; reason: string };

/** A failure no retry can fix: logged and counted, not thrown. */
class BaselineFailure extends Error {
  override readonly name = 'BaselineFailure';

  constructor(
    message: string,
    /** Counts that explain the failure, logged with it. */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function emitCount(metric: 'BaselineBuilt' | 'BaselineFailed', dimensions: Record<string, string>, properties: Record<string, unknown>, extra: Record<string, number> = {}): void {
  publishMetrics(metrics, { dimensions, values: { [metric]: 1, ...extra }, properties });
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

/**
 * The version of the sample object that was current when the package was registered: the newest
 * version (not a delete marker) last modified at or before the package's CreationTime. A sample
 * overwritten after registration is read as it was; one written only afterwards is refused.
 */
async function versionAtRegistration(sample: { bucket: string; key: string }, registeredAt: Date | undefined, sampleUri: string): Promise<string> {
  if (registeredAt === undefined) throw new BaselineFailure('the model package has no CreationTime: cannot tell which version of its training sample was registered');
  // Every version and delete marker of the key up to registration; the newest of them decides.
  let best: { versionId?: string; at: number } | undefined;
  const consider = (key: string | undefined, at: number | undefined, versionId: string | undefined): void => {
    if (key !== sample.key || at === undefined || at > registeredAt.getTime()) return;
    if (best === undefined || at > best.at) best = { at, ...(versionId !== undefined ? { versionId } : {}) };
  };
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (let page = 0; page < MAX_VERSION_PAGES; page++) {
    let res: ListObjectVersionsCommandOutput;
    try {
      res = await clients.s3.send(
        new ListObjectVersionsCommand({ Bucket: sample.bucket, Prefix: sample.key, ...(keyMarker ? { KeyMarker: keyMarker } : {}), ...(versionIdMarker ? { VersionIdMarker: versionIdMarker } : {}) }),
      );
    } catch (err) {
      if (isMissingObject(err)) throw new BaselineFailure(`training sample ${sampleUri} does not exist (${(err as Error).name})`);
      throw err;
    }
    for (const v of res.Versions ?? []) if (v.VersionId !== undefined) consider(v.Key, v.LastModified?.getTime(), v.VersionId);
    // A delete marker is a version with no bytes: the sample was gone at that time.
    for (const m of res.DeleteMarkers ?? []) consider(m.Key, m.LastModified?.getTime(), undefined);
    if (!res.IsTruncated) break;
    keyMarker = res.NextKeyMarker;
    versionIdMarker = res.NextVersionIdMarker;
  }
  const chosen = best as { versionId?: string; at: number } | undefined;
  if (chosen?.versionId === undefined) {
    throw new BaselineFailure(`training sample ${sampleUri} does not exist as of the package's registration (${registeredAt.toISOString()}): write the sample before registering`);
  }
  return chosen.versionId;
}

interface CurrentHolder {
  etag: string;
  /** The package whose baseline current.json holds; undefined when it cannot be read. */
  arn?: string;
}

function isNotFound(err: unknown): boolean {
  const name = (err as { name?: unknown }).name;
  return name === 'NotFound' || name === 'NoSuchKey' || (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404;
}

/** A conditional write lost: the object changed (412) or another conditional write was in flight (409). */
function isConditionalWriteLost(err: unknown): boolean {
  const name = (err as { name?: unknown }).name;
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return name === 'PreconditionFailed' || name === 'ConditionalRequestConflict' || status === 412 || status === 409;
}

/** What current.json holds now: its ETag and the package it is the baseline of (metadata, else its body's source). */
async function readCurrent(config: BaselineConfig, key: string): Promise<CurrentHolder | undefined> {
  let head;
  try {
    head = await clients.s3.send(new HeadObjectCommand({ Bucket: config.baselineBucket, Key: key }));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const fromMetadata = head.Metadata?.[CURRENT_PACKAGE_METADATA];
  if (fromMetadata) return { etag: head.ETag ?? '', arn: fromMetadata };
  // Written before the metadata existed: the baseline names its package in source.modelPackageArn.
  let res;
  try {
    res = await clients.s3.send(new GetObjectCommand({ Bucket: config.baselineBucket, Key: key }));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const parts: Uint8Array[] = [];
  for await (const chunk of (res.Body ?? []) as AsyncIterable<Uint8Array>) parts.push(chunk);
  const text = Buffer.concat(parts).toString('utf8');
  let arn: string | undefined;
  try {
    const source = (JSON.parse(text) as { source?: { modelPackageArn?: unknown } }).source;
    if (typeof source?.modelPackageArn === 'string') arn = source.modelPackageArn;
  } catch {
    arn = undefined;
  }
  return { etag: res.ETag ?? '', ...(arn !== undefined ? { arn } : {}) };
}

/**
 * Makes current.json this version's baseline unless it holds a newer version of the same group.
 * Newer means a higher model package version: SageMaker numbers a group's versions in
 * registration order, every approval event carries the number (checked against the ARN), and it
 * has no ties and no clock. The write is conditional on what was read (If-Match its ETag, or
 * If-None-Match when there was none), so a concurrent approval cannot slip in between.
 */
async function writeCurrent(config: BaselineConfig, key: string, body: string, approval: Approval): Promise<{ written: boolean; heldArn?: string }> {
  for (let attempt = 1; attempt <= CURRENT_WRITE_ATTEMPTS; attempt++) {
    const held = await readCurrent(config, key);
    const heldParts = held?.arn !== undefined ? parseModelPackageArn(held.arn) : undefined;
    const sameGroup = heldParts !== undefined && heldParts.groupLowerCase === approval.groupName.toLowerCase();
    if (held && sameGroup && heldParts.version > approval.version) {
      logger.info('current.json holds a newer version: left alone', { modelPackageArn: approval.modelPackageArn, currentModelPackageArn: held.arn, key });
      return { written: false, heldArn: held.arn };
    }
    if (held && !sameGroup) {
      logger.warn('current.json cannot be ordered against this version: replaced', {
        modelPackageArn: approval.modelPackageArn,
        currentModelPackageArn: held.arn ?? 'unreadable',
        key,
        reason: held.arn === undefined ? 'it names no model package' : 'it is the baseline of another model package group',
      });
    }
    try {
      await clients.s3.send(
        new PutObjectCommand({
          Bucket: config.baselineBucket,
          Key: key,
          Body: body,
          ContentType: 'application/json',
          Metadata: { [CURRENT_PACKAGE_METADATA]: approval.modelPackageArn },
          ...(held ? { IfMatch: held.etag } : { IfNoneMatch: '*' }),
        }),
      );
      return { written: true };
    } catch (err) {
      if (!isConditionalWriteLost(err)) throw err;
      logger.info('current.json changed while it was written: read again', { modelPackageArn: approval.modelPackageArn, key, attempt });
    }
  }
  throw new Error(`${key}: ${CURRENT_WRITE_ATTEMPTS} conditional writes lost to concurrent approvals; retried by the invoke`);
}

async function buildAndStore(config: BaselineConfig, model: ModelDrift, approval: Approval, described: DescribedPackage): Promise<BaselineBuilt> {
  let source: SampleSource;
  try {
    source = await resolveTrainingSample({
      modelPackageArn: approval.modelPackageArn,
      described,
      ...(model.pipelineName !== undefined ? { pipelineName: model.pipelineName } : {}),
      sampleBucket: config.sampleBucket,
      listSteps: (arn, token) => clients.sagemaker.send(listStepsCommand(arn, token)),
    });
  } catch (err) {
    if (err instanceof SampleSourceError) throw new BaselineFailure(err.message);
    throw err;
  }
  const sampleUri = source.uri;
  const sample = { bucket: source.bucket, key: source.key };
  // The bytes as they were when the package was registered (what was reviewed), not a later overwrite.
  let versionId: string;
  try {
    versionId = await versionAtRegistration(sample, described.CreationTime, sampleUri);
  } catch (err) {
    if (err instanceof BaselineFailure && source.derivedFrom === 'pipeline') {
      throw new BaselineFailure(
        `${err.message} (an evaluation step older than the JSON Lines sample wrote training-sample.csv, which is not read: ` +
          'its values carry Python formatting (True, 5411.0) that capture never has; retrain to register a package with a training-sample.jsonl)',
      );
    }
    throw err;
  }

  let body: AsyncIterable<Uint8Array>;
  try {
    const res = await clients.s3.send(new GetObjectCommand({ Bucket: sample.bucket, Key: sample.key, VersionId: versionId }));
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
  const malformedShare = read.malformedRecords / (read.totalRecords + read.malformedRecords);
  if (malformedShare > config.maxMalformedShare) {
    throw new BaselineFailure(
      `training sample ${sampleUri} has ${read.malformedRecords} malformed records of ${read.totalRecords + read.malformedRecords} read ` +
        `(${(malformedShare * 100).toFixed(2)} % > MAX_MALFORMED_SHARE ${config.maxMalformedShare * 100} %): the skipped records may be one part of the ` +
        'distribution, so a baseline from the rest is not trusted; fix the sample (or its writer) and approve again',
      { malformedRecords: read.malformedRecords, totalRecords: read.totalRecords, malformedShare },
    );
  }
  const absent = new Set(read.absentFeatures);
  const baselined: Record<string, FeatureSpec> = {};
  const unbaselined: Record<string, UnbaselinedFeature> = {};
  for (const name of features) {
    const spec = model.features[name]!;
    if (absent.has(name)) setOwn<UnbaselinedFeature>(unbaselined, name, { type: spec.type, reason: 'absent-from-training-sample' });
    else setOwn(baselined, name, spec);
  }
  if (Object.keys(baselined).length === 0) {
    throw new BaselineFailure(`training sample ${sampleUri} has none of the drift features (${features.join(', ')}): nothing to build a baseline from`);
  }

  let baseline: Baseline;
  try {
    baseline = buildBaseline(read.columns, { features: baselined, createdAt: new Date() });
  } catch (err) {
    if (err instanceof DriftInputError) throw new BaselineFailure(`cannot build a baseline from ${sampleUri}: ${err.message}`);
    throw err;
  }
  if (Object.keys(unbaselined).length > 0) baseline.unbaselined = unbaselined;
  baseline.source = {
    modelPackageArn: approval.modelPackageArn,
    trainingSample: sampleUri,
    sampledRecords: read.sampledRecords,
    totalRecords: read.totalRecords,
    malformedRecords: read.malformedRecords,
  };
  const properties = { ...(described.CustomerMetadataProperties ?? {}) };

  const folder = `${config.baselinePrefix}${model.endpointName}/`;
  const versionedKey = versionedBaselineKey(config, model, approval);
  const currentKey = `${folder}current.json`;
  const bodyText = JSON.stringify(baseline);
  const current = await writeCurrent(config, currentKey, bodyText, approval);
  // Written last: its existence makes a replay skip, so a run that stopped before it is redone whole.
  await clients.s3.send(new PutObjectCommand({ Bucket: config.baselineBucket, Key: versionedKey, Body: bodyText, ContentType: 'application/json' }));
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
    trainingSample: sampleUri,
    sampleDerivedFrom: source.derivedFrom,
    baselineUri,
    currentUri: `s3://${config.baselineBucket}/${currentKey}`,
    current: current.written ? 'replaced' : 'kept',
    currentModelPackageArn: current.written ? approval.modelPackageArn : (current.heldArn as string),
    sampledRecords: read.sampledRecords,
    totalRecords: read.totalRecords,
    malformedRecords: read.malformedRecords,
    malformedShare,
    unbaselined: Object.keys(unbaselined),
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
  // Skip only when this job already wrote this version's baseline object (a replayed approval, or
  // the state-change event of its own metadata update). Package metadata never decides it: the
  // registrant can set any of it, e.g. a "plinth:drift-baseline" that would make the job skip.
  const versionedKey = versionedBaselineKey(config, model, approval);
  if (await baselineExists(config, versionedKey)) {
    const own = `s3://${config.baselineBucket}/${versionedKey}`;
    if (described.CustomerMetadataProperties?.[DRIFT_BASELINE_PROPERTY] !== own) {
      // Wrong or missing (an earlier run stopped after writing, or someone rewrote it): put it right.
      await clients.sagemaker.send(
        new UpdateModelPackageCommand({
          ModelPackageArn: approval.modelPackageArn,
          CustomerMetadataProperties: { ...(described.CustomerMetadataProperties ?? {}), [DRIFT_BASELINE_PROPERTY]: own },
        }),
      );
    }
    logger.info('the model package already has its drift baseline: nothing to build', { ...fields, baselineUri: own });
    return { status: 'skipped', reason: `already built: ${own}` };
  }
  try {
    const outcome = await buildAndStore(config, model, approval, described);
    // Built, but not from every record or for every feature: say so where operators look.
    const partial = outcome.malformedRecords > 0 || outcome.unbaselined.length > 0;
    logger[partial ? 'warn' : 'info']('drift baseline built', { ...fields, ...outcome });
    emitCount(
      'BaselineBuilt',
      dims,
      { ...fields, sampledRecords: outcome.sampledRecords, malformedShare: outcome.malformedShare, unbaselined: outcome.unbaselined },
      { SampleRecordsMalformed: outcome.malformedRecords, FeaturesUnbaselined: outcome.unbaselined.length },
    );
    return outcome;
  } catch (err) {
    if (!(err instanceof BaselineFailure)) {
      logger.error('drift baseline failed (retried)', { ...fields, endpointName: model.endpointName, ...describeError(err) });
      throw err;
    }
    logger.error('drift baseline failed: no baseline built', { ...fields, endpointName: model.endpointName, reason: err.message, ...err.details });
    emitCount('BaselineFailed', dims, { ...fields, reason: err.message, ...err.details });
    return { status: 'failed', reason: err.message };
  }
}
