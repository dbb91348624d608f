/**
 * Side-effect plumbing of the drift-stats handler: lazily created AWS SDK
 * clients (nothing is constructed at module load), an injectable clock and
 * the stdout writer for JSON logs and CloudWatch EMF lines. Tests swap all
 * three. The statistics modules never import this file.
 */

import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';

/** In-SDK attempts (standard retry mode, backoff with jitter). */
export const SDK_MAX_ATTEMPTS = 3;

export interface DriftClients {
  s3: S3Client;
  eventBridge: EventBridgeClient;
}

let overrides: Partial<DriftClients> = {};
let cachedS3: S3Client | undefined;
let cachedEvents: EventBridgeClient | undefined;

/** S3 is only created when a baseline is read from S3. */
export function s3Client(): S3Client {
  return overrides.s3 ?? (cachedS3 ??= new S3Client({ maxAttempts: SDK_MAX_ATTEMPTS }));
}

/** EventBridge is only created when a feature drifts. */
export function eventBridgeClient(): EventBridgeClient {
  return overrides.eventBridge ?? (cachedEvents ??= new EventBridgeClient({ maxAttempts: SDK_MAX_ATTEMPTS }));
}

/** Test hook: use these clients; setClients({}) drops injected and cached ones. */
export function setClients(clients: Partial<DriftClients>): void {
  overrides = { ...clients };
  cachedS3 = undefined;
  cachedEvents = undefined;
}

export type LineWriter = (line: string) => void;
const stdoutWriter: LineWriter = (line) => {
  process.stdout.write(`${line}\n`);
};
let writer: LineWriter = stdoutWriter;

/** Test hook: capture log/EMF lines; undefined restores stdout. */
export function setOutput(w: LineWriter | undefined): void {
  writer = w ?? stdoutWriter;
}

export function writeLine(obj: Record<string, unknown>): void {
  writer(JSON.stringify(obj));
}

export function log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  writeLine({ level, msg, service: 'plinth-drift-stats', timestamp: new Date().toISOString(), ...fields });
}

export function describeError(err: unknown): Record<string, unknown> {
  return err instanceof Error ? { errorName: err.name, errorMessage: err.message } : { errorName: typeof err, errorMessage: String(err) };
}
