/**
 * The inference gateway, one request at a time:
 *
 *   parse + validate (request.ts)      bad input → 400/405/413, the model is never called
 *   breaker.decide (breaker.ts)        open → skip the primary (BreakerOpen)
 *   primary InvokeEndpoint (invoke.ts) failure → PrimaryFailures, breaker.recordFailure
 *   fallback                           endpoint (same timeout, same output checks) or the
 *                                      configured default; fallback endpoint failure → 503
 *   routing (routing.ts)               degraded / high-stakes / low-confidence → review case
 *   inference id (inference-id.ts)     caller's x-inference-id (bad format → 400) or a new UUID;
 *                                      sent as InferenceId, returned with the answering variant
 *   review queue (review-queue.ts)     enqueue failure → 503 with the provisional answer
 *
 * One structured log line and one EMF document per request, whatever happens.
 */

import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { randomUUID } from 'node:crypto';
import type { Breaker, BreakerDecision, OutcomeResult } from './breaker';
import { breakerKey, createBreaker } from './breaker';
import { clients as inferClients } from './clients';
import type { InferClients } from './clients';
import { ConfigError, loadConfig } from './config';
import type { GatewayConfig } from './config';
import type { Features } from './input-schema';
import type { InvokeFailure } from './invoke';
import { invokeModel } from './invoke';
import { describeError, logger } from './log';
import { emitRequestMetrics, emptyMetrics } from './metrics';
import type { RequestMetrics } from './metrics';
import type { ModelAnswer } from './model-output';
import { parseRequest } from './request';
import type { AnsweredBy } from './response';
import { inferenceBody, jsonResponse } from './response';
import { resolveInferenceId } from './inference-id';
import { route } from './routing';
import { enqueueReviewCase } from './review-queue';
import { withOnlineFeatures } from './online-features';
import type { ReviewCase } from './review-queue';

/** Extra lease time for the half-open probe beyond the invoke deadline. */
export const PROBE_LEASE_MARGIN_MS = 5000;

interface RequestContext {
  requestId?: string;
  metrics: RequestMetrics;
  /** Searchable fields of the EMF document and the summary log line. */
  props: Record<string, unknown>;
}

type Sourced = { ok: true; answer: ModelAnswer; model: AnsweredBy; variant?: string } | { ok: false; failure: InvokeFailure };

function noteBreakerOutcome(ctx: RequestContext, outcome: OutcomeResult): void {
  ctx.props.breakerOutcome = outcome;
  if (outcome === 'error') ctx.metrics.BreakerErrors = 1;
}

async function fallbackAnswer(
  cfg: GatewayConfig,
  clients: InferClients,
  features: Features,
  inferenceId: string,
  ctx: RequestContext,
): Promise<Sourced> {
  const fb = cfg.fallback;
  if (fb.type === 'default') {
    ctx.props.fallback = 'default';
    return { ok: true, model: 'fallback', answer: { prediction: fb.prediction, label: fb.label, confidence: fb.confidence } };
  }
  ctx.props.fallback = fb.endpointName;
  const result = await invokeModel(clients.sagemaker, {
    endpointName: fb.endpointName,
    inferenceId,
    features,
    timeoutMs: cfg.invokeTimeoutMs,
    labelPath: cfg.labelPath,
    confidencePath: cfg.confidencePath,
  });
  if (result.ok) return { ok: true, model: 'fallback', answer: result.answer, ...(result.variant ? { variant: result.variant } : {}) };
  ctx.metrics.FallbackFailures = 1;
  logger.error('fallback endpoint failed', { requestId: ctx.requestId, endpoint: fb.endpointName, ...result.failure });
  return { ok: false, failure: result.failure };
}

async function answer(
  cfg: GatewayConfig,
  clients: InferClients,
  breaker: Breaker,
  features: Features,
  inferenceId: string,
  ctx: RequestContext,
): Promise<Sourced> {
  const decision: BreakerDecision = await breaker.decide(Date.now());
  ctx.props.breaker = decision.call ? (decision.mode === 'probe' ? 'half-open' : 'closed') : decision.reason;
  if (!decision.call) {
    ctx.metrics.BreakerOpen = 1;
    return fallbackAnswer(cfg, clients, features, inferenceId, ctx);
  }
  if (decision.mode === 'closed' && decision.failedOpen) ctx.metrics.BreakerErrors = 1;

  const primary = await invokeModel(clients.sagemaker, {
    endpointName: cfg.endpointName,
    ...(cfg.targetVariant ? { targetVariant: cfg.targetVariant } : {}),
    inferenceId,
    features,
    timeoutMs: cfg.invokeTimeoutMs,
    labelPath: cfg.labelPath,
    confidencePath: cfg.confidencePath,
  });
  ctx.props.primaryLatencyMs = primary.latencyMs;
  if (primary.ok) {
    noteBreakerOutcome(ctx, await breaker.recordSuccess(decision, Date.now()));
    return { ok: true, model: 'primary', answer: primary.answer, ...(primary.variant ? { variant: primary.variant } : {}) };
  }
  ctx.metrics.PrimaryFailures = 1;
  ctx.props.primaryFailure = primary.failure.kind;
  logger.warn('primary endpoint failed; using the fallback', { requestId: ctx.requestId, endpoint: cfg.endpointName, ...primary.failure });
  // Record the failure while the fallback answers: both must finish before we return.
  const [fallback, outcome] = await Promise.all([fallbackAnswer(cfg, clients, features, inferenceId, ctx), breaker.recordFailure(decision, Date.now())]);
  noteBreakerOutcome(ctx, outcome);
  return fallback;
}

/** An answer made with default online features is degraded too, whoever answered. */
function withOnlineDegraded<T extends { degraded: boolean }>(onlineDegraded: boolean, body: T): T {
  return onlineDegraded ? { ...body, degraded: true } : body;
}

async function serve(event: APIGatewayProxyEventV2, cfg: GatewayConfig, ctx: RequestContext): Promise<APIGatewayProxyStructuredResultV2> {
  const parsed = parseRequest(event, cfg.inputSchema, cfg.maxPayloadBytes);
  if (!parsed.ok) {
    ctx.metrics.BadRequests = 1;
    ctx.props.rule = parsed.clientError.body.rule;
    if (parsed.clientError.body.field !== undefined) ctx.props.field = parsed.clientError.body.field;
    return jsonResponse(parsed.clientError.statusCode, parsed.clientError.body);
  }
  const id = resolveInferenceId(event.headers);
  if (!id.ok) {
    ctx.metrics.BadRequests = 1;
    ctx.props.rule = 'inference-id';
    return jsonResponse(400, { error: id.error, rule: 'inference-id' });
  }
  const { inferenceId } = id;
  ctx.props.inferenceId = inferenceId;
  const clients = inferClients;
  const breaker = createBreaker(clients.dynamodb, {
    table: cfg.breaker.table,
    key: breakerKey(cfg.endpointName, cfg.targetVariant),
    failureThreshold: cfg.breaker.failureThreshold,
    windowMs: cfg.breaker.windowMs,
    openMs: cfg.breaker.openMs,
    probeLeaseMs: cfg.invokeTimeoutMs + PROBE_LEASE_MARGIN_MS,
  });

  // Online features (#13): merge the entity's record, or take the configured path; never throws.
  let features = parsed.features;
  let onlineDegraded = false;
  let skipPrimary = false;
  if (cfg.onlineFeatures) {
    const online = await withOnlineFeatures(cfg.onlineFeatures, parsed.features, ctx.metrics, ctx.props);
    if (online.kind === 'reject') {
      ctx.metrics.BadRequests = 1;
      ctx.props.rule = online.body.rule;
      return jsonResponse(400, online.body);
    }
    if (online.kind === 'features') features = online.features;
    onlineDegraded = online.kind !== 'features' || online.degraded;
    skipPrimary = online.kind === 'fallback';
  }
  const sourced = skipPrimary ? await fallbackAnswer(cfg, clients, features, inferenceId, ctx) : await answer(cfg, clients, breaker, features, inferenceId, ctx);
  if (!sourced.ok) {
    ctx.metrics.Unavailable = 1;
    return jsonResponse(503, { error: 'unavailable' });
  }
  const degraded = sourced.model === 'fallback' || onlineDegraded;
  ctx.metrics.Degraded = degraded ? 1 : 0;
  ctx.props.model = sourced.model;
  ctx.props.label = sourced.answer.label;
  ctx.props.confidence = sourced.answer.confidence;
  if (sourced.variant) ctx.props.variant = sourced.variant;
  const identity = { inferenceId, ...(sourced.variant ? { variant: sourced.variant } : {}) };

  const routing = route({ label: sourced.answer.label, confidence: sourced.answer.confidence, degraded }, cfg);
  if (!routing.needsReview) return jsonResponse(200, withOnlineDegraded(onlineDegraded, inferenceBody(sourced.answer, sourced.model, false, undefined, identity)));

  ctx.metrics.NeedsReview = 1;
  ctx.props.reviewReason = routing.reason;
  const reviewCase: ReviewCase = {
    caseId: randomUUID(),
    model: cfg.modelName,
    endpoint: cfg.endpointName,
    input: features,
    provisional: { prediction: sourced.answer.prediction, label: sourced.answer.label, confidence: sourced.answer.confidence },
    reason: routing.reason,
    reasons: routing.reasons,
    answeredBy:
      sourced.model === 'primary'
        ? { model: 'primary', endpoint: cfg.endpointName }
        : cfg.fallback.type === 'endpoint'
          ? { model: 'fallback', endpoint: cfg.fallback.endpointName }
          : { model: 'fallback' },
    environment: cfg.environment,
    ...(ctx.requestId ? { requestId: ctx.requestId } : {}),
    createdAt: new Date().toISOString(),
    ...identity,
  };
  const enqueued = await enqueueReviewCase(clients.sqs, cfg.reviewQueueUrl, reviewCase);
  if (!enqueued.ok) {
    ctx.metrics.ReviewEnqueueFailures = 1;
    ctx.metrics.Unavailable = 1;
    logger.error('review case not enqueued; answering 503 so the caller retries', {
      requestId: ctx.requestId,
      caseId: reviewCase.caseId,
      reason: routing.reason,
      ...describeError(enqueued.error),
    });
    return jsonResponse(503, { error: 'review_unavailable', retryable: true, ...withOnlineDegraded(onlineDegraded, inferenceBody(sourced.answer, sourced.model, true, undefined, identity)) });
  }
  ctx.props.caseId = reviewCase.caseId;
  return jsonResponse(200, withOnlineDegraded(onlineDegraded, inferenceBody(sourced.answer, sourced.model, true, reviewCase.caseId, identity)));
}

export async function handleRequest(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const started = Date.now();
  const requestId = event?.requestContext?.requestId;
  const ctx: RequestContext = { ...(requestId ? { requestId } : {}), metrics: emptyMetrics(), props: requestId ? { requestId } : {} };
  let endpointDimension = process.env.ENDPOINT_NAME?.trim() || '_unknown';
  let response: APIGatewayProxyStructuredResultV2;
  try {
    const cfg = loadConfig();
    endpointDimension = cfg.endpointName;
    response = await serve(event, cfg, ctx);
  } catch (err) {
    ctx.metrics.Unavailable = 1;
    if (err instanceof ConfigError) {
      logger.error('gateway misconfigured', { requestId, variable: err.variable, errorMessage: err.message });
      response = jsonResponse(500, { error: 'misconfigured' });
    } else {
      logger.error('unexpected gateway error', { requestId, ...describeError(err) });
      response = jsonResponse(500, { error: 'internal' });
    }
  }
  ctx.metrics.LatencyMs = Date.now() - started;
  ctx.props.status = response.statusCode;
  logger.info('inference request', { ...ctx.props, latencyMs: ctx.metrics.LatencyMs });
  emitRequestMetrics(endpointDimension, ctx.metrics, ctx.props);
  return response;
}
