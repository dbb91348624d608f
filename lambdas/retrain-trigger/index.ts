/**
 * retrain-trigger — starts ONE retraining pipeline execution per endpoint per
 * debounce period when drift is detected.
 *
 * ── CONTRACT ──────────────────────────────────────────────────────────────
 * Trigger: EventBridge rule target, pattern
 *   { "source": ["plinth.drift", "plinth.quality"],
 *     "detail-type": ["Model Drift Detected", "Model Quality Decayed"] }
 * A quality event (lambdas/model-quality; detail { endpointName, variant, window, metric,
 * value, baseline, tolerance, evidenceUri }) is a second cause under the SAME debounce lock;
 * its DriftEvidence parameter is {"cause":"quality", ...} (evidence.ts qualityEvidence).
 * (events published by lambdas/drift-stats; detail = DriftEventDetail:
 * { endpointName, window: {start, end}, features: [...drifting...],
 * baselineVersion, ... }).
 *
 * Env:
 *   DEBOUNCE_TABLE    DynamoDB table, partition key `endpointName` (S), no
 *                     sort key. Optional TTL attribute `expiresAt` (epoch s).
 *   DEBOUNCE_MINUTES  > 0. At most one retraining start per endpoint per period
 *                     (the default for endpoints that do not set their own).
 *   PIPELINES         JSON { "<endpointName>": "<SageMaker pipeline name>"
 *                          | { "pipelineName": "...", "debounceMinutes": n > 0 }
 *                          | { "pipelineArn": "...", "debounceMinutes": n > 0 } }.
 *                     `pipelineArn`: the platform's own TrainingPipeline (lib/training/), started
 *                     by ARN; `pipelineName`: a named external pipeline.
 *   PLINTH_ENV        logged / EMF property.
 *
 * Algorithm:
 *  1. Conditional PutItem on DEBOUNCE_TABLE (the lock):
 *       attribute_not_exists(endpointName) OR startedAt <= now − DEBOUNCE_MINUTES
 *       OR triggeredBy = <this event id>
 *     DynamoDB serialises writes per item, so in a storm of drift events
 *     exactly one wins per period. The last clause lets a RETRY of the winning
 *     event (same id) through again.
 *  2. Losers: log `debounced`, EMF RetrainingDebounced = 1, return (no error).
 *  3. Winner: sagemaker:StartPipelineExecution on PIPELINES[endpointName] with
 *     PipelineParameters (all String, ≤ 1024 chars):
 *       DriftEvidence  compact JSON of the drifting features (evidence.ts)
 *       TriggeredBy    the EventBridge event id
 *       WindowEnd      detail.window.end
 *     and, for the platform's own pipelines (pipelineArn), also
 *       WindowStart    detail.window.start
 *       Cause          "drift" or "quality" (the event's source; the package records it as plinth:cause)
 *     and ClientRequestToken = sha256("plinth-retrain:" + event id) (hex), so
 *     a retried/duplicated event never starts a second execution.
 *     EMF RetrainingStarted = 1.
 *  4. If StartPipelineExecution fails: release the lock (DeleteItem
 *     conditional on the lockToken this invocation wrote), EMF
 *     RetrainingStartFailed = 1, and THROW so the delivery is retried
 *     (EventBridge invokes Lambda asynchronously: configure the function's
 *     async retries / on-failure destination, or the rule's retry policy and
 *     DLQ). If the release itself fails, the lock simply expires after
 *     DEBOUNCE_MINUTES (logged).
 *  Endpoint absent from PIPELINES: error log + EMF RetrainingNotConfigured,
 *  no lock, no throw (a retry cannot fix configuration).
 *  Metrics: EMF namespace `Plinth/Drift`, dimension `Endpoint`.
 *
 * Pipeline contract (the pipeline's job, not this Lambda's): every pipeline in
 * PIPELINES must declare the String parameters DriftEvidence, TriggeredBy and
 * WindowEnd, and its RegisterModel step MUST register the retrained model
 * with ModelApprovalStatus = PendingManualApproval — a drift-triggered model
 * is never auto-approved; deployment follows the normal approval flow.
 *
 * IAM: dynamodb:PutItem, dynamodb:DeleteItem on DEBOUNCE_TABLE;
 * sagemaker:StartPipelineExecution on the listed pipelines.
 * ──────────────────────────────────────────────────────────────────────────
 */

import { randomUUID } from 'node:crypto';
import { DeleteItemCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { SageMakerClient, StartPipelineExecutionCommand } from '@aws-sdk/client-sagemaker';
import { createLogger, createMetrics, describeError, publishMetrics } from '../shared/runtime';
import { clientRequestToken, driftEvidence, parameterValue, qualityEvidence } from './evidence';

/** In-SDK attempts (standard retry mode, backoff with jitter). */
export const SDK_MAX_ATTEMPTS = 3;
/** The function's SDK clients, created once per execution environment. */
export const clients = {
  dynamodb: new DynamoDBClient({ maxAttempts: SDK_MAX_ATTEMPTS }),
  sagemaker: new SageMakerClient({ maxAttempts: SDK_MAX_ATTEMPTS }),
};
const logger = createLogger('plinth-retrain-trigger');
export const METRIC_NAMESPACE = 'Plinth/Drift';
const metrics = createMetrics(METRIC_NAMESPACE);

export type RetrainMetric = 'RetrainingStarted' | 'RetrainingDebounced' | 'RetrainingStartFailed' | 'RetrainingNotConfigured';

/** One EMF document, namespace Plinth/Drift, dimension Endpoint, value 1 (Count). */
function emitCount(endpointName: string, metric: RetrainMetric, properties: Record<string, unknown> = {}): void {
  publishMetrics(metrics, { dimensions: { Endpoint: endpointName }, values: { [metric]: 1 }, properties });
}

export const DRIFT_SOURCE = 'plinth.drift';
export const DRIFT_DETAIL_TYPE = 'Model Drift Detected';
export const QUALITY_SOURCE = 'plinth.quality';
export const QUALITY_DETAIL_TYPE = 'Model Quality Decayed';
/** Lock items outlive the debounce period by this much before TTL removes them. */
export const LOCK_RETENTION_MS = 7 * 24 * 3600 * 1000;

export interface DriftEvent {
  id: string;
  source?: string;
  'detail-type'?: string;
  time?: string;
  detail: {
    endpointName: string;
    window?: { start?: string; end?: string };
    features?: unknown[];
    baselineVersion?: number;
    [quality: string]: unknown;
  };
}

export type RetrainOutcome =
  | { outcome: 'started'; endpointName: string; pipelineName: string; pipelineExecutionArn: string; clientRequestToken: string }
  | { outcome: 'debounced'; endpointName: string; heldBy?: string; lastStartedAt?: string }
  | { outcome: 'not-configured'; endpointName: string };

export class RetrainConfigError extends Error {
  override readonly name = 'RetrainConfigError';
}

export class RetrainInputError extends Error {
  override readonly name = 'RetrainInputError';
}

interface PipelineTarget {
  /** A pipeline name or, for the platform's own pipelines, its ARN (StartPipelineExecution takes either). */
  pipelineName: string;
  /** The platform's own TrainingPipeline: it declares WindowStart and Cause too. */
  platform: boolean;
  debounceMs: number;
}

interface Config {
  table: string;
  pipelines: Record<string, PipelineTarget>;
  env: string | undefined;
}

const PIPELINES_SHAPE = 'PIPELINES must be JSON {"<endpointName>": "<pipelineName>" | {"pipelineName": "...", "debounceMinutes": n} | {"pipelineArn": "arn:...:pipeline/...", "debounceMinutes": n}}';
const PIPELINE_ARN = /^arn:[a-z-]+:sagemaker:[a-z0-9-]+:\d{12}:pipeline\/[A-Za-z0-9-]+$/;

function positiveMinutes(value: unknown, what: string): number {
  const minutes = Number(value);
  if (value === undefined || value === '' || !Number.isFinite(minutes) || minutes <= 0) {
    throw new RetrainConfigError(`${what} must be a number > 0 (got ${JSON.stringify(value)})`);
  }
  return minutes;
}

/** Reads the function's configuration from its environment; throws RetrainConfigError naming what is wrong. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const table = env.DEBOUNCE_TABLE;
  if (!table) throw new RetrainConfigError('DEBOUNCE_TABLE is not set');
  const defaultMinutes = positiveMinutes(env.DEBOUNCE_MINUTES, 'DEBOUNCE_MINUTES');
  let parsed: unknown;
  try {
    parsed = JSON.parse(env.PIPELINES ?? '');
  } catch {
    throw new RetrainConfigError(PIPELINES_SHAPE);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new RetrainConfigError(PIPELINES_SHAPE);
  const pipelines: Record<string, PipelineTarget> = {};
  for (const [endpointName, value] of Object.entries(parsed)) {
    if (typeof value === 'string' && value !== '') {
      pipelines[endpointName] = { pipelineName: value, platform: false, debounceMs: defaultMinutes * 60_000 };
    } else if (typeof value === 'object' && value !== null && (typeof value.pipelineName === 'string' && value.pipelineName !== '') !== (typeof value.pipelineArn === 'string')) {
      if (typeof value.pipelineArn === 'string' && !PIPELINE_ARN.test(value.pipelineArn)) {
        throw new RetrainConfigError(`PIPELINES["${endpointName}"].pipelineArn is not a SageMaker pipeline ARN (got ${JSON.stringify(value.pipelineArn)})`);
      }
      const minutes = value.debounceMinutes === undefined ? defaultMinutes : positiveMinutes(value.debounceMinutes, `PIPELINES["${endpointName}"].debounceMinutes`);
      const platform = typeof value.pipelineArn === 'string';
      pipelines[endpointName] = { pipelineName: platform ? value.pipelineArn : value.pipelineName, platform, debounceMs: minutes * 60_000 };
    } else {
      throw new RetrainConfigError(PIPELINES_SHAPE);
    }
  }
  return { table, pipelines, env: env.PLINTH_ENV };
}

function isConditionalCheckFailed(err: unknown): err is Error & { Item?: Record<string, AttributeValue> } {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

export async function handler(event: DriftEvent): Promise<RetrainOutcome> {
  const cfg = loadConfig();
  if (typeof event !== 'object' || event === null || typeof event.id !== 'string' || event.id === '') {
    throw new RetrainInputError('event.id is missing');
  }
  const detail = event.detail;
  if (typeof detail !== 'object' || detail === null || typeof detail.endpointName !== 'string' || detail.endpointName === '') {
    throw new RetrainInputError(`event ${event.id}: detail.endpointName is missing`);
  }
  const eventId = event.id;
  const endpointName = detail.endpointName;
  const cause = event.source === QUALITY_SOURCE ? 'quality' : 'drift';
  const props = { eventId, ...(cfg.env ? { environment: cfg.env } : {}) };

  const target = Object.prototype.hasOwnProperty.call(cfg.pipelines, endpointName) ? cfg.pipelines[endpointName] : undefined;
  if (!target) {
    logger.error('no retraining pipeline configured for this endpoint (PIPELINES)', { endpointName, ...props });
    emitCount(endpointName, 'RetrainingNotConfigured', props);
    return { outcome: 'not-configured', endpointName };
  }

  const { pipelineName, debounceMs, platform } = target;
  const t = new Date();
  const nowMs = t.getTime();
  const lockToken = randomUUID();
  const token = clientRequestToken(eventId);
  const windowEnd = typeof detail.window?.end === 'string' ? detail.window.end : (event.time ?? '');
  const windowStart = typeof detail.window?.start === 'string' ? detail.window.start : '';
  const ddb = clients.dynamodb;

  // 1. The debounce lock.
  try {
    await ddb.send(
      new PutItemCommand({
        TableName: cfg.table,
        Item: {
          endpointName: { S: endpointName },
          startedAt: { N: String(nowMs) },
          startedAtIso: { S: t.toISOString() },
          triggeredBy: { S: eventId },
          lockToken: { S: lockToken },
          pipelineName: { S: pipelineName },
          clientRequestToken: { S: token },
          windowEnd: { S: windowEnd },
          expiresAt: { N: String(Math.ceil((nowMs + debounceMs + LOCK_RETENTION_MS) / 1000)) },
        },
        ConditionExpression: 'attribute_not_exists(#pk) OR #startedAt <= :cutoff OR #triggeredBy = :eventId',
        ExpressionAttributeNames: { '#pk': 'endpointName', '#startedAt': 'startedAt', '#triggeredBy': 'triggeredBy' },
        ExpressionAttributeValues: { ':cutoff': { N: String(nowMs - debounceMs) }, ':eventId': { S: eventId } },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
  } catch (err) {
    if (!isConditionalCheckFailed(err)) throw err;
    const heldBy = err.Item?.triggeredBy?.S;
    const lastStartedAt = err.Item?.startedAtIso?.S;
    // 2. Losers.
    logger.info('debounced', { endpointName, pipelineName, heldBy, lastStartedAt, debounceMinutes: debounceMs / 60_000, ...props });
    emitCount(endpointName, 'RetrainingDebounced', props);
    return { outcome: 'debounced', endpointName, ...(heldBy ? { heldBy } : {}), ...(lastStartedAt ? { lastStartedAt } : {}) };
  }

  // 3. The winner starts the pipeline.
  try {
    const res = await clients.sagemaker.send(
      new StartPipelineExecutionCommand({
        PipelineName: pipelineName,
        ClientRequestToken: token,
        PipelineParameters: [
          { Name: 'DriftEvidence', Value: cause === 'quality' ? qualityEvidence(detail) : driftEvidence(detail.features, detail.featuresOmitted) },
          { Name: 'TriggeredBy', Value: parameterValue(eventId) },
          { Name: 'WindowEnd', Value: parameterValue(windowEnd) },
          ...(platform ? [{ Name: 'WindowStart', Value: parameterValue(windowStart) }, { Name: 'Cause', Value: cause }] : []),
        ],
        PipelineExecutionDescription: `Plinth ${cause} retraining for endpoint ${endpointName} (event ${eventId}, window end ${windowEnd})`.slice(0, 3072),
      }),
    );
    const arn = res.PipelineExecutionArn ?? '';
    logger.info('retraining started', { endpointName, cause, pipelineName, pipelineExecutionArn: arn, clientRequestToken: token, ...props });
    emitCount(endpointName, 'RetrainingStarted', { ...props, pipelineName });
    return { outcome: 'started', endpointName, pipelineName, pipelineExecutionArn: arn, clientRequestToken: token };
  } catch (err) {
    // 4. Release the lock we hold (only if it is still ours) and fail the delivery.
    try {
      await ddb.send(
        new DeleteItemCommand({
          TableName: cfg.table,
          Key: { endpointName: { S: endpointName } },
          ConditionExpression: '#lockToken = :lockToken',
          ExpressionAttributeNames: { '#lockToken': 'lockToken' },
          ExpressionAttributeValues: { ':lockToken': { S: lockToken } },
        }),
      );
    } catch (releaseErr) {
      logger[isConditionalCheckFailed(releaseErr) ? 'warn' : 'error']('could not release the debounce lock', {
        endpointName,
        note: isConditionalCheckFailed(releaseErr) ? 'the lock is no longer ours' : `the lock expires after ${debounceMs / 60_000} minutes`,
        ...describeError(releaseErr),
        ...props,
      });
    }
    logger.error('StartPipelineExecution failed; lock released, delivery will be retried', { endpointName, pipelineName, ...describeError(err), ...props });
    emitCount(endpointName, 'RetrainingStartFailed', props);
    throw err;
  }
}
