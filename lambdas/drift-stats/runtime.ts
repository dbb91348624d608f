/**
 * Side-effect plumbing of the drift-stats handler: lazily created AWS SDK
 * clients (nothing is constructed at module load) and the stdout writer for
 * JSON logs and CloudWatch EMF lines (the shared structured-log / EMF
 * modules). Tests swap both. The statistics modules never import this file.
 */

import { AthenaClient } from '@aws-sdk/client-athena';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { EmfDocument, renderEmf } from '../shared/emf';
import { LineWriter, LogFields, structuredLog } from '../shared/structured-log';

/** In-SDK attempts (standard retry mode, backoff with jitter). */
export const SDK_MAX_ATTEMPTS = 3;

export interface DriftClients {
  s3: S3Client;
  eventBridge: EventBridgeClient;
  athena: AthenaClient;
}

let overrides: Partial<DriftClients> = {};
let cachedS3: S3Client | undefined;
let cachedEvents: EventBridgeClient | undefined;
let cachedAthena: AthenaClient | undefined;

/** S3 is only created when a baseline is read from S3. */
export function s3Client(): S3Client {
  return overrides.s3 ?? (cachedS3 ??= new S3Client({ maxAttempts: SDK_MAX_ATTEMPTS }));
}

/** EventBridge is only created when a feature drifts. */
export function eventBridgeClient(): EventBridgeClient {
  return overrides.eventBridge ?? (cachedEvents ??= new EventBridgeClient({ maxAttempts: SDK_MAX_ATTEMPTS }));
}

/** Athena is only created when the window is an Athena query's results. */
export function athenaClient(): AthenaClient {
  return overrides.athena ?? (cachedAthena ??= new AthenaClient({ maxAttempts: SDK_MAX_ATTEMPTS }));
}

/** Test hook: use these clients; setClients({}) drops injected and cached ones. */
export function setClients(clients: Partial<DriftClients>): void {
  overrides = { ...clients };
  cachedS3 = undefined;
  cachedEvents = undefined;
  cachedAthena = undefined;
}

const output = structuredLog('plinth-drift-stats');

/** Test hook: capture log/EMF lines; undefined restores stdout. */
export function setOutput(w: LineWriter | undefined): void {
  output.setOutput(w);
}

export function writeEmf(doc: EmfDocument): void {
  output.writeLine(renderEmf(doc));
}

export function log(level: 'info' | 'warn' | 'error', msg: string, fields: LogFields = {}): void {
  output.log(level, msg, fields);
}

export function describeError(err: unknown): Record<string, unknown> {
  return err instanceof Error ? { errorName: err.name, errorMessage: err.message } : { errorName: typeof err, errorMessage: String(err) };
}
