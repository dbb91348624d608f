/**
 * One call to a SageMaker endpoint, with a hard deadline, turned into either a
 * checked model answer or a classified failure. Never throws.
 *
 * Deadline: INVOKE_TIMEOUT_MS, enforced three ways so a slow endpoint can never
 * hold the request: an AbortSignal passed to the SDK (aborts the HTTP request),
 * the call's requestTimeout (the client throws on it), and a timer race as the
 * last word in case neither surfaces in time.
 *
 * Failure kinds (all of them make the gateway use its fallback):
 *   timeout       deadline passed (AbortError, TimeoutError, ETIMEDOUT)
 *   throttled     ThrottlingException / HTTP 429
 *   server-error  ModelError, ServiceUnavailable, InternalFailure,
 *                 InternalDependencyException, ModelNotReadyException, any 5xx
 *   network       connection refused/reset, DNS, socket errors
 *   malformed     2xx with an output that fails model-output.ts
 *   rejected      any other 4xx (e.g. ValidationError: unknown endpoint or
 *                 variant): a deployment problem, still answered by the fallback
 *   unknown       anything else
 */

import { InvokeEndpointCommand } from '@aws-sdk/client-sagemaker-runtime';
import type { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { Features } from './input-schema';
import type { ModelAnswer } from './model-output';
import { parseModelOutput } from './model-output';

export type FailureKind = 'timeout' | 'throttled' | 'server-error' | 'network' | 'malformed' | 'rejected' | 'unknown';

export interface InvokeFailure {
  kind: FailureKind;
  detail: string;
  errorName?: string;
  httpStatus?: number;
}

export type InvokeResult =
  /** variant: the production variant that answered (InvokedProductionVariant), when SageMaker says. */
  | { ok: true; answer: ModelAnswer; latencyMs: number; variant?: string }
  | { ok: false; failure: InvokeFailure; latencyMs: number };

export interface InvokeRequest {
  endpointName: string;
  targetVariant?: string;
  /** Recorded by data capture (eventMetadata.inferenceId): the join key for ground truth. */
  inferenceId?: string;
  features: Features;
  timeoutMs: number;
  labelPath: ReadonlyArray<string>;
  confidencePath: ReadonlyArray<string>;
}

const SERVER_ERRORS: ReadonlySet<string> = new Set([
  'ModelError',
  'ServiceUnavailable',
  'InternalFailure',
  'InternalDependencyException',
  'ModelNotReadyException',
  'InternalStreamFailure',
  'ServiceUnavailableException',
  'InternalServerError',
]);
const THROTTLING: ReadonlySet<string> = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException']);
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/**
 * The SDK sometimes wraps a socket error into a plain Error whose message is
 * the only trace of the code ("AWS SDK error wrapper for Error: connect
 * ECONNREFUSED ..."), e.g. when the error crossed a VM context.
 */
function networkCodeInMessage(message: string): boolean {
  const m = /\b(E[A-Z_]{3,})\b/.exec(message);
  return m !== null && NETWORK_CODES.has(m[1] as string);
}

class DeadlineExceeded extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'DeadlineExceeded';
  }
}

export function classifyError(err: unknown, deadlinePassed: boolean): InvokeFailure {
  const e = (err ?? {}) as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const status = e.$metadata?.httpStatusCode;
  const base = {
    detail: String(e.message ?? err).slice(0, 300),
    errorName: name,
    ...(status !== undefined ? { httpStatus: status } : {}),
  };
  let kind: FailureKind;
  if (deadlinePassed || name === 'AbortError' || name === 'TimeoutError' || name === 'DeadlineExceeded' || e.code === 'ETIMEDOUT') {
    kind = 'timeout';
  } else if (THROTTLING.has(name) || status === 429) {
    kind = 'throttled';
  } else if (SERVER_ERRORS.has(name) || (status !== undefined && status >= 500)) {
    kind = 'server-error';
  } else if ((e.code !== undefined && NETWORK_CODES.has(e.code)) || networkCodeInMessage(base.detail)) {
    kind = 'network';
  } else if (status !== undefined && status >= 400) {
    kind = 'rejected';
  } else {
    kind = 'unknown';
  }
  return { kind, ...base };
}

export async function invokeModel(client: SageMakerRuntimeClient, req: InvokeRequest): Promise<InvokeResult> {
  const started = Date.now();
  const controller = new AbortController();
  let deadlinePassed = false;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, rejectDeadline) => {
    timer = setTimeout(() => {
      deadlinePassed = true;
      controller.abort();
      rejectDeadline(new DeadlineExceeded(req.timeoutMs));
    }, req.timeoutMs);
  });
  const command = new InvokeEndpointCommand({
    EndpointName: req.endpointName,
    ...(req.targetVariant ? { TargetVariant: req.targetVariant } : {}),
    ...(req.inferenceId ? { InferenceId: req.inferenceId } : {}),
    ContentType: 'application/json',
    Accept: 'application/json',
    Body: Buffer.from(JSON.stringify(req.features), 'utf8'),
  });
  try {
    const out = await Promise.race([client.send(command, { abortSignal: controller.signal, requestTimeout: req.timeoutMs }), deadline]);
    const latencyMs = Date.now() - started;
    const parsed = parseModelOutput(out.Body, req.labelPath, req.confidencePath);
    if (!parsed.ok) return { ok: false, failure: { kind: 'malformed', detail: parsed.reason }, latencyMs };
    const variant = out.InvokedProductionVariant;
    return { ok: true, answer: parsed.answer, latencyMs, ...(variant ? { variant } : {}) };
  } catch (err) {
    return { ok: false, failure: classifyError(err, deadlinePassed), latencyMs: Date.now() - started };
  } finally {
    clearTimeout(timer);
  }
}
