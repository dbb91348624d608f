/**
 * AWS SDK clients, created lazily on first use (no I/O at module load) and
 * reused across invocations. Region/endpoints come from the standard SDK
 * settings (AWS_REGION, AWS_ENDPOINT_URL...). Tests inject clients with setClients().
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

/** Extra client settings (tests: endpoint, region, credentials). */
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

let overrides: Partial<DeployClients> = {};
let cached: DeployClients | undefined;

export function getClients(): DeployClients {
  if (overrides.sagemaker && overrides.eventBridge && overrides.sns && overrides.s3) return overrides as DeployClients;
  cached ??= createClients();
  return { ...cached, ...overrides };
}

/** Test hook: use these clients instead of the default ones. */
export function setClients(clients: Partial<DeployClients>): void {
  overrides = { ...clients };
}

/** Test hook: drop injected and cached clients. */
export function resetClients(): void {
  overrides = {};
  cached = undefined;
}
