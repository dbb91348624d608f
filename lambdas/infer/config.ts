/**
 * Gateway configuration from the environment, read on the first invocation
 * (never at module load) and re-read only when the environment changes.
 *
 *   ENDPOINT_NAME              required  primary SageMaker endpoint
 *   TARGET_VARIANT             optional  production variant of the primary (not used for the fallback endpoint)
 *   INVOKE_TIMEOUT_MS          2000      per-invocation deadline (primary and fallback endpoint), 1..60000
 *   MAX_PAYLOAD_BYTES          65536     request body limit in bytes after base64 decoding, 1..131072
 *                                        (the input is copied into review cases, which must fit one
 *                                        SQS message and the review intake's 300 000-character limit)
 *   FALLBACK                   required  {"type":"endpoint","endpointName":"..."} or
 *                                        {"type":"default","prediction":{...},"confidence":0..1 (default 0)}
 *                                        (the default's label is prediction[LABEL_FIELD])
 *   BREAKER_TABLE              required  DynamoDB table, partition key `pk` (S)
 *   BREAKER_FAILURE_THRESHOLD  5         consecutive primary failures that open the breaker, integer >= 1
 *   BREAKER_WINDOW_SECONDS     60        failures older than this do not count, > 0
 *   BREAKER_OPEN_SECONDS       30        open period before a half-open probe, > 0
 *   CONFIDENCE_THRESHOLD       required  0..1; confidence strictly below → needs review
 *   HIGH_STAKES_LABELS         ''        comma-separated labels that always need review
 *   CONFIDENCE_FIELD           confidence  where the model output holds the confidence (dot path: a.b)
 *   LABEL_FIELD                label       where the model output holds the label (dot path: a.b)
 *   INPUT_SCHEMA               required  see input-schema.ts
 *   REVIEW_QUEUE_URL           required  SQS standard queue for review cases
 *   MODEL_NAME                 ENDPOINT_NAME  model name written into review cases
 *   PLINTH_ENV                 'unknown' environment name (logs, review cases)
 *
 * ENDPOINT_NAME, MODEL_NAME and a fallback endpointName must follow SageMaker
 * naming (1-63 letters, digits, hyphens): the review intake validates review
 * cases against it, and ENDPOINT_NAME is the metric dimension.
 *
 * A bad value is a ConfigError naming the variable; the handler answers 500
 * {error:'misconfigured'} and logs it (a deployment bug, not the caller's).
 */

import { isJsonObject } from '../shared/json';
import { InputSchema, parseInputSchema } from './input-schema';
import { parseOnlineFeatures, type OnlineFeaturesConfig } from './online-features';

export type FallbackConfig =
  | { type: 'endpoint'; endpointName: string }
  | { type: 'default'; prediction: Record<string, unknown>; label: string; confidence: number };

export interface GatewayConfig {
  endpointName: string;
  targetVariant?: string;
  invokeTimeoutMs: number;
  maxPayloadBytes: number;
  fallback: FallbackConfig;
  breaker: {
    table: string;
    failureThreshold: number;
    windowMs: number;
    openMs: number;
  };
  confidenceThreshold: number;
  highStakesLabels: ReadonlySet<string>;
  confidencePath: ReadonlyArray<string>;
  labelPath: ReadonlyArray<string>;
  inputSchema: InputSchema;
  reviewQueueUrl: string;
  modelName: string;
  environment: string;
  /** Online feature lookup (#13, online-features.ts); absent = none. */
  onlineFeatures?: OnlineFeaturesConfig;
}

/** SageMaker resource naming, as the review intake checks it. */
export const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/** Largest MAX_PAYLOAD_BYTES accepted. */
export const MAX_PAYLOAD_LIMIT = 131_072;

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`${variable}: ${detail}`);
    this.name = 'ConfigError';
  }
}

export const ENV_VARS = [
  'ENDPOINT_NAME',
  'TARGET_VARIANT',
  'INVOKE_TIMEOUT_MS',
  'MAX_PAYLOAD_BYTES',
  'FALLBACK',
  'BREAKER_TABLE',
  'BREAKER_FAILURE_THRESHOLD',
  'BREAKER_WINDOW_SECONDS',
  'BREAKER_OPEN_SECONDS',
  'CONFIDENCE_THRESHOLD',
  'HIGH_STAKES_LABELS',
  'CONFIDENCE_FIELD',
  'LABEL_FIELD',
  'INPUT_SCHEMA',
  'REVIEW_QUEUE_URL',
  'MODEL_NAME',
  'PLINTH_ENV',
  'ONLINE_FEATURES',
] as const;

type Env = Record<string, string | undefined>;

function str(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}

function required(env: Env, name: string): string {
  const v = str(env, name);
  if (v === undefined) throw new ConfigError(name, 'is required');
  return v;
}

function sageMakerName(variable: string, v: string): string {
  if (!SAGEMAKER_NAME.test(v)) throw new ConfigError(variable, `"${v}" is not a SageMaker name (1-63 letters, digits, hyphens)`);
  return v;
}

function num(env: Env, name: string, dflt: number, opts: { min: number; max: number; integer?: boolean; exclusiveMin?: boolean }): number {
  const raw = str(env, name);
  if (raw === undefined) return dflt;
  const v = Number(raw);
  const tooLow = opts.exclusiveMin ? v <= opts.min : v < opts.min;
  if (!Number.isFinite(v) || tooLow || v > opts.max || (opts.integer && !Number.isInteger(v))) {
    const kind = opts.integer ? 'an integer' : 'a number';
    throw new ConfigError(name, `must be ${kind} in ${opts.exclusiveMin ? '(' : '['}${opts.min}, ${opts.max}], got "${raw}"`);
  }
  return v;
}

function json(env: Env, name: string): unknown {
  const raw = required(env, name);
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new ConfigError(name, 'is not valid JSON');
  }
}

/** 'a.b' → ['a','b']; reserved keys are refused so lookups can never walk a prototype. */
export function parsePath(name: string, raw: string): string[] {
  const parts = raw.split('.');
  if (parts.some((p) => p === '' || p === '__proto__' || p === 'constructor' || p === 'prototype')) {
    throw new ConfigError(name, `"${raw}" is not a valid field path`);
  }
  return parts;
}

/** Own-property lookup along a path (never the prototype chain). */
export function getPath(obj: unknown, path: ReadonlyArray<string>): unknown {
  let cur: unknown = obj;
  for (const key of path) {
    if (!isJsonObject(cur) || !Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
    cur = cur[key];
  }
  return cur;
}

function parseFallback(env: Env, labelPath: ReadonlyArray<string>): FallbackConfig {
  const raw = json(env, 'FALLBACK');
  if (!isJsonObject(raw)) throw new ConfigError('FALLBACK', 'must be a JSON object');
  if (raw.type === 'endpoint') {
    if (typeof raw.endpointName !== 'string' || raw.endpointName.trim() === '') {
      throw new ConfigError('FALLBACK', 'endpointName must be a non-empty string');
    }
    return { type: 'endpoint', endpointName: sageMakerName('FALLBACK', raw.endpointName.trim()) };
  }
  if (raw.type === 'default') {
    if (!isJsonObject(raw.prediction)) throw new ConfigError('FALLBACK', 'prediction must be a JSON object');
    const label = getPath(raw.prediction, labelPath);
    if (typeof label !== 'string' || label.trim() === '' || label.length > 256) {
      throw new ConfigError('FALLBACK', `prediction.${labelPath.join('.')} (LABEL_FIELD) must be a non-empty string of <= 256 characters`);
    }
    const confidence = raw.confidence ?? 0;
    if (typeof confidence !== 'number' || !(confidence >= 0 && confidence <= 1)) {
      throw new ConfigError('FALLBACK', 'confidence must be a number in [0, 1]');
    }
    return { type: 'default', prediction: raw.prediction, label, confidence };
  }
  throw new ConfigError('FALLBACK', 'type must be "endpoint" or "default"');
}

export function parseConfig(env: Env): GatewayConfig {
  const endpointName = sageMakerName('ENDPOINT_NAME', required(env, 'ENDPOINT_NAME'));
  const confidencePath = parsePath('CONFIDENCE_FIELD', str(env, 'CONFIDENCE_FIELD') ?? 'confidence');
  const labelPath = parsePath('LABEL_FIELD', str(env, 'LABEL_FIELD') ?? 'label');
  let inputSchema: InputSchema;
  try {
    inputSchema = parseInputSchema(json(env, 'INPUT_SCHEMA'));
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw new ConfigError('INPUT_SCHEMA', (err as Error).message);
  }
  required(env, 'CONFIDENCE_THRESHOLD');
  const confidenceThreshold = num(env, 'CONFIDENCE_THRESHOLD', 0, { min: 0, max: 1 });
  const fallback = parseFallback(env, labelPath);
  if (fallback.type === 'endpoint' && fallback.endpointName === endpointName) {
    throw new ConfigError('FALLBACK', 'the fallback endpoint must differ from ENDPOINT_NAME');
  }
  const targetVariant = str(env, 'TARGET_VARIANT');
  return {
    endpointName,
    ...(targetVariant ? { targetVariant } : {}),
    invokeTimeoutMs: num(env, 'INVOKE_TIMEOUT_MS', 2000, { min: 1, max: 60_000, integer: true }),
    maxPayloadBytes: num(env, 'MAX_PAYLOAD_BYTES', 65_536, { min: 1, max: MAX_PAYLOAD_LIMIT, integer: true }),
    fallback,
    breaker: {
      table: required(env, 'BREAKER_TABLE'),
      failureThreshold: num(env, 'BREAKER_FAILURE_THRESHOLD', 5, { min: 1, max: 1000, integer: true }),
      windowMs: num(env, 'BREAKER_WINDOW_SECONDS', 60, { min: 0, max: 86_400, exclusiveMin: true }) * 1000,
      openMs: num(env, 'BREAKER_OPEN_SECONDS', 30, { min: 0, max: 86_400, exclusiveMin: true }) * 1000,
    },
    confidenceThreshold,
    highStakesLabels: new Set(
      (env.HIGH_STAKES_LABELS ?? '')
        .split(',')
        .map((l) => l.trim())
        .filter((l) => l !== ''),
    ),
    confidencePath,
    labelPath,
    inputSchema,
    reviewQueueUrl: required(env, 'REVIEW_QUEUE_URL'),
    modelName: sageMakerName('MODEL_NAME', str(env, 'MODEL_NAME') ?? endpointName),
    environment: str(env, 'PLINTH_ENV') ?? 'unknown',
    ...onlineFeaturesOf(env, inputSchema),
  };
}

/** ONLINE_FEATURES, checked against the input schema: the entity key must be a declared input. */
function onlineFeaturesOf(env: Env, inputSchema: InputSchema): { onlineFeatures?: OnlineFeaturesConfig } {
  const online = parseOnlineFeatures(env.ONLINE_FEATURES);
  if (!online) return {};
  if (!inputSchema.features.some((f) => f.name === online.entityKeyField)) {
    throw new ConfigError('ONLINE_FEATURES', `entityKeyField "${online.entityKeyField}" is not a feature of INPUT_SCHEMA; declare it as a request input`);
  }
  return { onlineFeatures: online };
}

let cached: { key: string; config: GatewayConfig } | undefined;

/** Parsed configuration for the current environment (memoised on the raw values). */
export function loadConfig(env: Env = process.env): GatewayConfig {
  const key = ENV_VARS.map((n) => env[n] ?? '\u0000').join('\u0001');
  if (cached?.key === key) return cached.config;
  const config = parseConfig(env);
  cached = { key, config };
  return config;
}
