/**
 * The ingest function's AWS SDK clients, created once per execution environment and reused across
 * invocations. Endpoints come from the standard SDK settings (AWS_REGION, AWS_ENDPOINT_URL /
 * AWS_ENDPOINT_URL_S3, ...).
 */

import { S3Client } from '@aws-sdk/client-s3';
import { SSMClient } from '@aws-sdk/client-ssm';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

export interface IngestClients {
  s3: S3Client;
  ssm: SSMClient;
  eventBridge: EventBridgeClient;
}

/** In-SDK retries (standard mode, exponential backoff with jitter) before a message is failed back to SQS. */
export const SDK_MAX_ATTEMPTS = 3;

export const clients: IngestClients = {
  s3: new S3Client({ maxAttempts: SDK_MAX_ATTEMPTS }),
  ssm: new SSMClient({ maxAttempts: SDK_MAX_ATTEMPTS }),
  eventBridge: new EventBridgeClient({ maxAttempts: SDK_MAX_ATTEMPTS }),
};
