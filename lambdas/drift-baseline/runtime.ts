/**
 * Side-effect plumbing of drift-baseline: lazily created SDK clients (nothing
 * at module load), an injectable clock, and the structured log / EMF output.
 * Tests replace all three.
 */

import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { EmfDocument, renderEmf } from '../shared/emf';
import { LineWriter, structuredLog } from '../shared/structured-log';

/** In-SDK attempts (standard retry mode, backoff with jitter). */
export const SDK_MAX_ATTEMPTS = 3;

export interface BaselineClients {
  s3: S3Client;
  sagemaker: SageMakerClient;
}

let overrides: Partial<BaselineClients> = {};
let cachedS3: S3Client | undefined;
let cachedSageMaker: SageMakerClient | undefined;

export function s3Client(): S3Client {
  return overrides.s3 ?? (cachedS3 ??= new S3Client({ maxAttempts: SDK_MAX_ATTEMPTS }));
}

export function sagemakerClient(): SageMakerClient {
  return overrides.sagemaker ?? (cachedSageMaker ??= new SageMakerClient({ maxAttempts: SDK_MAX_ATTEMPTS }));
}

/** Test hook: use these clients; setClients({}) drops injected and cached ones. */
export function setClients(clients: Partial<BaselineClients>): void {
  overrides = { ...clients };
  cachedS3 = undefined;
  cachedSageMaker = undefined;
}

export type Clock = () => Date;
const systemClock: Clock = () => new Date();
let clock: Clock = systemClock;

export function now(): Date {
  return clock();
}

/** Test hook: replace the clock; undefined restores the system clock. */
export function setClock(c: Clock | undefined): void {
  clock = c ?? systemClock;
}

const output = structuredLog('plinth-drift-baseline');
export const { logger } = output;

/** Test hook: capture log/EMF lines; undefined restores stdout. */
export function setOutput(w: LineWriter | undefined): void {
  output.setOutput(w);
}

export function writeEmf(doc: EmfDocument): void {
  output.writeLine(renderEmf(doc));
}

export function describeError(err: unknown): Record<string, unknown> {
  return err instanceof Error ? { errorName: err.name, errorMessage: err.message } : { errorName: typeof err, errorMessage: String(err) };
}
