/**
 * Side-effect plumbing of drift-query: the S3 client, created lazily (nothing
 * at module load) and injectable, and the structured log output.
 */

import { S3Client } from '@aws-sdk/client-s3';
import { LineWriter, structuredLog } from '../shared/structured-log';

/** In-SDK attempts (standard retry mode, backoff with jitter). */
export const SDK_MAX_ATTEMPTS = 3;

let override: S3Client | undefined;
let cached: S3Client | undefined;

export function s3Client(): S3Client {
  return override ?? (cached ??= new S3Client({ maxAttempts: SDK_MAX_ATTEMPTS }));
}

/** Test hook: use this client; setClients({}) drops injected and cached ones. */
export function setClients(clients: { s3?: S3Client }): void {
  override = clients.s3;
  cached = undefined;
}

const output = structuredLog('plinth-drift-query');
export const { logger } = output;

/** Test hook: capture log lines; undefined restores stdout. */
export function setOutput(w: LineWriter | undefined): void {
  output.setOutput(w);
}
