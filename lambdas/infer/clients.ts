/**
 * The gateway's AWS SDK clients, constructed once at module scope and reused across invocations.
 * Nothing is sent at module load: region, credentials and endpoints come from the standard SDK
 * settings (AWS_REGION, AWS_ENDPOINT_URL...), resolved on first use. Tests route these instances
 * (aws-sdk-client-mock) to loopback or moto clients built with the same factories, so they run
 * the production retry and timeout settings.
 *
 *   SageMaker Runtime  maxAttempts 1: the gateway's own fallback is the retry.
 *                      requestTimeout = INVOKE_TIMEOUT_MS, given per call by invoke.ts
 *                      (throwOnRequestTimeout), on top of the per-call AbortSignal deadline.
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

interface ClientLimits {
  readonly maxAttempts: number;
  /** Per client; absent for SageMaker Runtime, whose request timeout is per call. */
  readonly requestTimeoutMs?: number;
  readonly connectionTimeoutMs: number;
}

/**
 * Each client's retries and timeouts (the table above), in one place. The SageMaker Runtime
 * connection limit covers the connection phase only: the invocation's own deadline (per call) is
 * usually shorter, and its request timeout is INVOKE_TIMEOUT_MS, passed per call by invoke.ts.
 */
export const CLIENT_LIMITS = {
  sagemaker: { maxAttempts: 1, connectionTimeoutMs: 1000 },
  dynamodb: { maxAttempts: 2, requestTimeoutMs: 1000, connectionTimeoutMs: 500 },
  sqs: { maxAttempts: 3, requestTimeoutMs: 2000, connectionTimeoutMs: 1000 },
} as const satisfies Record<string, ClientLimits>;

/** A client's retry and request handler settings; throwOnRequestTimeout makes a request timeout fail the call (the SDK only warns by default). */
function clientConfig(limits: ClientLimits) {
  return {
    maxAttempts: limits.maxAttempts,
    requestHandler: {
      ...(limits.requestTimeoutMs !== undefined ? { requestTimeout: limits.requestTimeoutMs } : {}),
      throwOnRequestTimeout: true,
      connectionTimeout: limits.connectionTimeoutMs,
    },
  };
}

export function createSageMakerClient(settings: ClientSettings = {}): SageMakerRuntimeClient {
  return new SageMakerRuntimeClient({ ...settings, ...clientConfig(CLIENT_LIMITS.sagemaker) });
}

export function createDynamoDBClient(settings: ClientSettings = {}): DynamoDBClient {
  return new DynamoDBClient({ ...settings, ...clientConfig(CLIENT_LIMITS.dynamodb) });
}

export function createSQSClient(settings: ClientSettings = {}): SQSClient {
  return new SQSClient({ ...settings, ...clientConfig(CLIENT_LIMITS.sqs) });
}

/** The function's clients. */
export const clients: InferClients = {
  sagemaker: createSageMakerClient(),
  dynamodb: createDynamoDBClient(),
  sqs: createSQSClient(),
};
