/**
 * AWS SDK clients, created lazily on first use (no I/O at module load) and
 * reused across invocations. Endpoints come from the standard SDK settings
 * (AWS_REGION, AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_S3, ...); tests can inject
 * their own clients with setClients().
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

let overrides: Partial<IngestClients> = {};
let cached: Partial<IngestClients> = {};

export function getClients(): IngestClients {
  return {
    s3: overrides.s3 ?? (cached.s3 ??= new S3Client({ maxAttempts: SDK_MAX_ATTEMPTS })),
    ssm: overrides.ssm ?? (cached.ssm ??= new SSMClient({ maxAttempts: SDK_MAX_ATTEMPTS })),
    eventBridge: overrides.eventBridge ?? (cached.eventBridge ??= new EventBridgeClient({ maxAttempts: SDK_MAX_ATTEMPTS })),
  };
}

/** Test hook: use these clients instead of the default ones. */
export function setClients(clients: Partial<IngestClients>): void {
  overrides = { ...clients };
}

/** Test hook: drop injected and cached clients. */
export function resetClients(): void {
  overrides = {};
  cached = {};
}
