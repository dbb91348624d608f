/**
 * Side-effect plumbing of model-quality: lazily created SDK clients and the log/EMF writer.
 * Tests swap both. The statistics, SQL and evaluation modules never import this file.
 */
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { EmfDocument, renderEmf } from '../shared/emf';
import { LineWriter, LogFields, structuredLog } from '../shared/structured-log';

export const SDK_MAX_ATTEMPTS = 3;

export interface QualityClients {
  athena: AthenaClient;
  s3: S3Client;
  sagemaker: SageMakerClient;
  cloudWatch: CloudWatchClient;
  eventBridge: EventBridgeClient;
}

let current: QualityClients | undefined;

export function clients(): QualityClients {
  current ??= {
    athena: new AthenaClient({ maxAttempts: SDK_MAX_ATTEMPTS }),
    s3: new S3Client({ maxAttempts: SDK_MAX_ATTEMPTS }),
    sagemaker: new SageMakerClient({ maxAttempts: SDK_MAX_ATTEMPTS }),
    cloudWatch: new CloudWatchClient({ maxAttempts: SDK_MAX_ATTEMPTS }),
    eventBridge: new EventBridgeClient({ maxAttempts: SDK_MAX_ATTEMPTS }),
  };
  return current;
}

/** Test hook: use these clients (undefined: create real ones again on next use). */
export function setClients(c: QualityClients | undefined): void {
  current = c;
}

const output = structuredLog('plinth-model-quality');

export function setOutput(w: LineWriter | undefined): void {
  output.setOutput(w);
}

export function writeEmf(doc: EmfDocument): void {
  output.writeLine(renderEmf(doc));
}

export function log(level: 'info' | 'warn' | 'error', msg: string, fields: LogFields = {}): void {
  output.log(level, msg, fields);
}
