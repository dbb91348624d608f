/**
 * AWS SDK clients and the clock, created lazily on first use (no I/O at module
 * load) and reused across invocations. Region/endpoints come from the standard
 * SDK settings (AWS_REGION, AWS_ENDPOINT_URL...). Tests build clients with the
 * same factories (so they run the production retry/timeout settings) and
 * inject them with setClients().
 *
 *   SageMaker Runtime  maxAttempts 1: the gateway's own fallback is the retry.
 *                      requestTimeout = INVOKE_TIMEOUT_MS (throwOnRequestTimeout)
 *                      on top of the per-call AbortSignal deadline.
 *   DynamoDB           maxAttempts 2, 1 s request timeout: the breaker must be
 *                      quick; on error the gateway fails open to the primary.
 *   SQS                maxAttempts 3 (standard retry mode, backoff + jitter)
 *                      before a review case is reported as not enqueued.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface InferClients {
  sagemaker: SageMakerRuntimeClient;
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
}

/** Extra client settings (tests: endpoint, region, credentials). */
export type ClientSettings = Record<string, unknown>;

export const SAGEMAKER_MAX_ATTEMPTS = 1;
export const DYNAMODB_MAX_ATTEMPTS = 2;
export const DYNAMODB_REQUEST_TIMEOUT_MS = 1000;
export const SQS_MAX_ATTEMPTS = 3;
export const SQS_REQUEST_TIMEOUT_MS = 2000;

export function createSageMakerClient(invokeTimeoutMs: number, settings: ClientSettings = {}): SageMakerRuntimeClient {
  return new SageMakerRuntimeClient({
    ...settings,
    maxAttempts: SAGEMAKER_MAX_ATTEMPTS,
    requestHandler: {
      requestTimeout: invokeTimeoutMs,
      throwOnRequestTimeout: true,
      connectionTimeout: Math.min(invokeTimeoutMs, 1000),
    },
  });
}

export function createDynamoDBClient(settings: ClientSettings = {}): DynamoDBClient {
  return new DynamoDBClient({
    ...settings,
    maxAttempts: DYNAMODB_MAX_ATTEMPTS,
    requestHandler: { requestTimeout: DYNAMODB_REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true, connectionTimeout: 500 },
  });
}

export function createSQSClient(settings: ClientSettings = {}): SQSClient {
  return new SQSClient({
    ...settings,
    maxAttempts: SQS_MAX_ATTEMPTS,
    requestHandler: { requestTimeout: SQS_REQUEST_TIMEOUT_MS, throwOnRequestTimeout: true, connectionTimeout: 1000 },
  });
}

let overrides: Partial<InferClients> = {};
let cached: { sagemakerTimeoutMs?: number; sagemaker?: SageMakerRuntimeClient; dynamodb?: DynamoDBClient; sqs?: SQSClient } = {};

export function getClients(invokeTimeoutMs: number): InferClients {
  if (!overrides.sagemaker && cached.sagemakerTimeoutMs !== invokeTimeoutMs) {
    cached.sagemaker = createSageMakerClient(invokeTimeoutMs);
    cached.sagemakerTimeoutMs = invokeTimeoutMs;
  }
  return {
    sagemaker: overrides.sagemaker ?? (cached.sagemaker as SageMakerRuntimeClient),
    dynamodb: overrides.dynamodb ?? (cached.dynamodb ??= createDynamoDBClient()),
    sqs: overrides.sqs ?? (cached.sqs ??= createSQSClient()),
  };
}

/** Test hook: use these clients instead of the default ones. */
export function setClients(clients: Partial<InferClients>): void {
  overrides = { ...clients };
}

/** Test hook: drop injected and cached clients. */
export function resetClients(): void {
  overrides = {};
  cached = {};
}
