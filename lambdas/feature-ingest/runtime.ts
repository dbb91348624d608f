/**
 * Clients, clock and randomness, created lazily and injectable by tests. The Feature Store client
 * makes one attempt per call: writer.ts owns the retries (jittered, counted), so they are not doubled.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerFeatureStoreRuntimeClient } from '@aws-sdk/client-sagemaker-featurestore-runtime';
import { structuredLog } from '../shared/structured-log';

export const { logger, writeLine, setOutput } = structuredLog('plinth-feature-ingest');

export interface Runtime {
  s3: S3Client;
  featureStore: SageMakerFeatureStoreRuntimeClient;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

let overrides: Partial<Runtime> = {};
let cached: Partial<Runtime> = {};

export function runtime(): Runtime {
  return {
    s3: overrides.s3 ?? (cached.s3 ??= new S3Client({ maxAttempts: 3 })),
    featureStore: overrides.featureStore ?? (cached.featureStore ??= new SageMakerFeatureStoreRuntimeClient({ maxAttempts: 1 })),
    sleep: overrides.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    random: overrides.random ?? Math.random,
  };
}

/** Test hook. */
export function setRuntime(r: Partial<Runtime>): void {
  overrides = { ...r };
}

/** Test hook. */
export function resetRuntime(): void {
  overrides = {};
  cached = {};
}
