/**
 * The function's AWS SDK clients, constructed once at module scope and reused across invocations.
 * Region, credentials and endpoints come from the standard SDK settings (AWS_REGION,
 * AWS_ENDPOINT_URL...), resolved on first use. Tests route or mock these instances
 * (aws-sdk-client-mock); createClients builds the same clients for other endpoints.
 */

import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SNSClient } from '@aws-sdk/client-sns';
import { S3Client } from '@aws-sdk/client-s3';

export interface DeployClients {
  sagemaker: SageMakerClient;
  eventBridge: EventBridgeClient;
  sns: SNSClient;
  /** Reads the pinned artifact and writes its approved copy. */
  s3: S3Client;
}

/** In-SDK attempts (standard retry mode: throttling/5xx backoff with jitter) before the message is failed back to SQS. */
export const SDK_MAX_ATTEMPTS = 3;

/** Extra client settings (tests and the local smoke: endpoint, region, credentials, path style). */
export type ClientSettings = Record<string, unknown>;

export function createClients(settings: ClientSettings = {}): DeployClients {
  const common = { ...settings, maxAttempts: SDK_MAX_ATTEMPTS };
  return {
    sagemaker: new SageMakerClient(common),
    eventBridge: new EventBridgeClient(common),
    sns: new SNSClient(common),
    s3: new S3Client(common),
  };
}

/** The function's clients. */
export const clients: DeployClients = createClients();
