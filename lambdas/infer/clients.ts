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

export const SAGEMAKER_MAX_ATTEMPTS = 1;
/** Connection phase limit of an invocation; the invocation's own deadline (per call) is usually shorter. */
export const SAGEMAKER_CONNECTION_TIMEOUT_MS = 1000;
export const DYNAMODB_MAX_ATTEMPTS = 2;
export const DYNAMODB_REQUEST_TIMEOUT_MS = 1000;
export const SQS_MAX_ATTEMPTS = 3;
export const SQS_REQUEST_TIMEOUT_MS = 2000;

/** The request timeout is per call (invoke.ts passes INVOKE_TIMEOUT_MS); throwOnRequestTimeout makes it fail the call. */
export function createSageMakerClient(settings: ClientSettings = {}): SageMakerRuntimeClient {
  return new SageMakerRuntimeClient({
    ...settings,
    maxAttempts: SAGEMAKER_MAX_ATTEMPTS,
    requestHandler: { throwOnRequestTimeout: true, connectionTimeout: SAGEMAKER_CONNECTION_TIMEOUT_MS },
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

/** The function's clients. */
export const clients: InferClients = {
  sagemaker: createSageMakerClient(),
  dynamodb: createDynamoDBClient(),
  sqs: createSQSClient(),
};
