/**
 * Side-effect plumbing of retrain-trigger: lazily created SDK clients
 * (nothing constructed at module load), an injectable clock, and the stdout
 * writer for JSON logs and EMF lines. Tests replace all three.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';

/** In-SDK attempts (standard retry mode, backoff with jitter). */
export const SDK_MAX_ATTEMPTS = 3;

export interface RetrainClients {
  dynamodb: DynamoDBClient;
  sagemaker: SageMakerClient;
}

let overrides: Partial<RetrainClients> = {};
let cachedDdb: DynamoDBClient | undefined;
let cachedSageMaker: SageMakerClient | undefined;

export function dynamodbClient(): DynamoDBClient {
  return overrides.dynamodb ?? (cachedDdb ??= new DynamoDBClient({ maxAttempts: SDK_MAX_ATTEMPTS }));
}

export function sagemakerClient(): SageMakerClient {
  return overrides.sagemaker ?? (cachedSageMaker ??= new SageMakerClient({ maxAttempts: SDK_MAX_ATTEMPTS }));
}

/** Test hook: use these clients; setClients({}) drops injected and cached ones. */
export function setClients(clients: Partial<RetrainClients>): void {
  overrides = { ...clients };
  cachedDdb = undefined;
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

export type LineWriter = (line: string) => void;
const stdoutWriter: LineWriter = (line) => {
  process.stdout.write(`${line}\n`);
};
let writer: LineWriter = stdoutWriter;

/** Test hook: capture log/EMF lines; undefined restores stdout. */
export function setOutput(w: LineWriter | undefined): void {
  writer = w ?? stdoutWriter;
}

export function log(level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown> = {}): void {
  writer(JSON.stringify({ level, msg, service: 'plinth-retrain-trigger', timestamp: now().toISOString(), ...fields }));
}

export const METRIC_NAMESPACE = 'Plinth/Drift';

export type RetrainMetric = 'RetrainingStarted' | 'RetrainingDebounced' | 'RetrainingStartFailed' | 'RetrainingNotConfigured';

/** One EMF document, namespace Plinth/Drift, dimension Endpoint, value 1 (Count). */
export function emitCount(endpointName: string, metric: RetrainMetric, properties: Record<string, unknown> = {}): void {
  writer(
    JSON.stringify({
      ...properties,
      _aws: {
        Timestamp: now().getTime(),
        CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [['Endpoint']], Metrics: [{ Name: metric, Unit: 'Count' }] }],
      },
      Endpoint: endpointName,
      [metric]: 1,
    }),
  );
}

export function describeError(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const meta = (err as { $metadata?: { httpStatusCode?: number } }).$metadata;
    return { errorName: err.name, errorMessage: err.message, ...(meta?.httpStatusCode ? { httpStatusCode: meta.httpStatusCode } : {}) };
  }
  return { errorName: typeof err, errorMessage: String(err) };
}
