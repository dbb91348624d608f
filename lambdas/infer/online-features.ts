/**
 * Online features at the gateway (#13): the model's input = the request's features merged with the
 * entity's latest record from the Feature Store online store (BatchGetRecord).
 *
 * ONLINE_FEATURES (optional; absent = no lookup):
 *   { "featureGroup": "account-spend",      the group (its one definition feeds training too)
 *     "entityKeyField": "account_id",       the request field holding the record identifier
 *     "features": ["txn_count_24h", ...],   what the model needs from the record
 *     "types": { "txn_count_24h": "number", ... }   the model input type of each (number|integer|string|boolean)
 *     "timeoutMs": 50,                      the lookup's own budget, inside the gateway timeout
 *     "onMissing": "fallback",              no record for the entity: fallback | defaults | reject (400)
 *     "onUnavailable": "fallback",          timeout, throttling or any error: fallback | defaults
 *     "defaults": { "txn_count_24h": 0 },   per-feature values for the `defaults` paths
 *     "requestWins": false }                true: a feature present in the request is kept over the record's
 *
 * A record past its ExpiresAt (event time + the group's online TTL) is a miss (`expired`): Feature
 * Store deletes expired records in the background, typically within days, and returns them until then.
 *
 * Never throws, never waits past timeoutMs: every failure becomes a configured path, counted
 * (OnlineLookupMs, OnlineMisses, OnlineTimeouts, OnlineErrors) and, unless the record was found,
 * marks the answer degraded (the gateway's Degraded metric and alarm).
 */
import { BatchGetRecordCommand, SageMakerFeatureStoreRuntimeClient } from '@aws-sdk/client-sagemaker-featurestore-runtime';
import { isTransientAwsError, nameOf } from '../shared/aws-errors';
import { isJsonObject } from '../shared/json';
import { ConfigError } from './config';
import type { Features } from './input-schema';

export type OnlineValueType = 'number' | 'integer' | 'string' | 'boolean';
export type Value = string | number | boolean;

export interface OnlineFeaturesConfig {
  featureGroup: string;
  entityKeyField: string;
  features: string[];
  types: Record<string, OnlineValueType>;
  /** `types` as a Map, built once at parse: the per-request read of the record looks names up here. */
  typeOf: ReadonlyMap<string, OnlineValueType>;
  timeoutMs: number;
  onMissing: 'fallback' | 'defaults' | 'reject';
  onUnavailable: 'fallback' | 'defaults';
  defaults: Record<string, Value>;
  requestWins: boolean;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** Parses ONLINE_FEATURES; undefined when the variable is absent or blank. */
export function parseOnlineFeatures(raw: string | undefined): OnlineFeaturesConfig | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const fail = (detail: string): never => {
    throw new ConfigError('ONLINE_FEATURES', detail);
  };
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return fail('is not valid JSON');
  }
  if (!isJsonObject(v)) return fail('must be a JSON object');
  const str = (k: string) => (typeof v[k] === 'string' && NAME.test(v[k] as string) && !FORBIDDEN.has(v[k] as string) ? (v[k] as string) : fail(`${k} must be a feature or group name`));
  const featureGroup = str('featureGroup');
  const entityKeyField = str('entityKeyField');
  if (!Array.isArray(v.features) || v.features.length === 0) fail('features must be a non-empty array of names');
  const features = (v.features as unknown[]).map((f) => (typeof f === 'string' && NAME.test(f) && !FORBIDDEN.has(f) ? f : fail(`features: "${String(f)}" is not a feature name`)));
  if (!isJsonObject(v.types)) fail('types must map every feature to number, integer, string or boolean');
  const types: Record<string, OnlineValueType> = {};
  for (const f of features) {
    const t = (v.types as Record<string, unknown>)[f];
    if (t !== 'number' && t !== 'integer' && t !== 'string' && t !== 'boolean') fail(`types.${f} must be number, integer, string or boolean`);
    types[f] = t as OnlineValueType;
  }
  const timeoutMs = v.timeoutMs ?? 50;
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 10_000) fail('timeoutMs must be an integer from 1 to 10000');
  const onMissing = v.onMissing ?? 'fallback';
  if (onMissing !== 'fallback' && onMissing !== 'defaults' && onMissing !== 'reject') fail('onMissing must be fallback, defaults or reject');
  const onUnavailable = v.onUnavailable ?? 'fallback';
  if (onUnavailable !== 'fallback' && onUnavailable !== 'defaults') fail('onUnavailable must be fallback or defaults');
  const defaults: Record<string, Value> = {};
  if (v.defaults !== undefined && !isJsonObject(v.defaults)) fail('defaults must be an object');
  for (const [k, d] of Object.entries((v.defaults as Record<string, unknown>) ?? {})) {
    if (!features.includes(k)) fail(`defaults.${k} is not one of features`);
    if (!(typeof d === 'string' || typeof d === 'boolean' || (typeof d === 'number' && Number.isFinite(d)))) fail(`defaults.${k} must be a string, number or boolean`);
    defaults[k] = d as Value;
  }
  if (onMissing === 'defaults' || onUnavailable === 'defaults') {
    const lacking = features.filter((f) => !(f in defaults));
    if (lacking.length > 0) fail(`the defaults path needs a default for every feature; missing ${lacking.join(', ')}`);
  }
  if (v.requestWins !== undefined && typeof v.requestWins !== 'boolean') fail('requestWins must be true or false');
  return { featureGroup, entityKeyField, features, types, typeOf: new Map(Object.entries(types)), timeoutMs: timeoutMs as number, onMissing: onMissing as OnlineFeaturesConfig['onMissing'], onUnavailable: onUnavailable as OnlineFeaturesConfig['onUnavailable'], defaults, requestWins: v.requestWins === true };
}

export interface OnlineMetrics {
  /** Set when a lookup ran (never 0 for "no lookup"). */
  OnlineLookupMs?: number;
  OnlineMisses: number;
  OnlineTimeouts: number;
  OnlineErrors: number;
}

export type OnlineOutcome =
  /** The model input, with the online features merged; `degraded` when defaults stood in. */
  | { kind: 'features'; features: Features; degraded: boolean; source: 'record' | 'defaults' }
  /** Answer from the fallback model (degraded). */
  | { kind: 'fallback'; reason: 'missing' | 'unavailable' }
  /** 400: the entity has no record and the policy is reject. */
  | { kind: 'reject'; body: { error: string; rule: 'unknown-entity'; field: string } };

let cachedClient: SageMakerFeatureStoreRuntimeClient | undefined;
let injected: SageMakerFeatureStoreRuntimeClient | undefined;
/** Test hook: the Feature Store runtime client to use (undefined restores the default). */
export function setOnlineFeatureClient(client: SageMakerFeatureStoreRuntimeClient | undefined): void {
  injected = client;
  cachedClient = undefined;
}
function client(timeoutMs: number): SageMakerFeatureStoreRuntimeClient {
  // One attempt: a retry could not fit the budget; the configured path is the retry.
  return injected ?? (cachedClient ??= new SageMakerFeatureStoreRuntimeClient({ maxAttempts: 1, requestHandler: { requestTimeout: timeoutMs, throwOnRequestTimeout: true, connectionTimeout: timeoutMs } }));
}

function convert(raw: string, type: OnlineValueType): Value | undefined {
  if (type === 'string') return raw;
  if (type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || (type === 'integer' && !Number.isInteger(n))) return undefined;
  return n;
}

/** The request's features with `values` merged in (the request's win where `requestWins`). */
function merge(cfg: OnlineFeaturesConfig, request: Features, values: Record<string, Value>): Features {
  // Object.assign, not spread: about twice as fast here on Node 20 (bench/features.ts). Safe because
  // the request's keys are INPUT_SCHEMA names, which never include __proto__ (input-schema.ts).
  const out: Features = Object.assign({}, request);
  const features = cfg.features;
  for (let i = 0; i < features.length; i++) {
    const f = features[i]!;
    const v = values[f];
    if (v === undefined || (cfg.requestWins && request[f] !== undefined && request[f] !== null)) continue;
    out[f] = v;
  }
  return out;
}

function unavailable(cfg: OnlineFeaturesConfig, request: Features): OnlineOutcome {
  return cfg.onUnavailable === 'defaults' ? { kind: 'features', features: merge(cfg, request, cfg.defaults), degraded: true, source: 'defaults' } : { kind: 'fallback', reason: 'unavailable' };
}

function missing(cfg: OnlineFeaturesConfig, request: Features, metrics: OnlineMetrics, props: Record<string, unknown>, why: 'missing' | 'expired' = 'missing'): OnlineOutcome {
  metrics.OnlineMisses = 1;
  props.onlineFeatures = why;
  if (cfg.onMissing === 'reject') return { kind: 'reject', body: { error: `no online features for ${cfg.entityKeyField}`, rule: 'unknown-entity', field: cfg.entityKeyField } };
  if (cfg.onMissing === 'defaults') return { kind: 'features', features: merge(cfg, request, cfg.defaults), degraded: true, source: 'defaults' };
  return { kind: 'fallback', reason: 'missing' };
}

/**
 * Aborts the lookup's HTTP request at the budget. The SDK's HTTP handlers accept this plain
 * `{ aborted, onabort }` shape (@smithy/types AbortSignal); a DOM AbortController builds an
 * EventTarget per request, which profiling showed to be the largest single cost of the lookup.
 */
class LookupAbort {
  aborted = false;
  onabort: (() => void) | null = null;
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    this.onabort?.();
  }
}

class LookupTimeout extends Error {}

/** Looks the entity up and applies the configured policies. Never throws. */
export async function withOnlineFeatures(cfg: OnlineFeaturesConfig, request: Features, metrics: OnlineMetrics, props: Record<string, unknown>): Promise<OnlineOutcome> {
  const started = Date.now();
  const key = request[cfg.entityKeyField];
  if (key === undefined || key === null || (typeof key !== 'string' && typeof key !== 'number') || String(key) === '') return missing(cfg, request, metrics, props);
  const abort = new LookupAbort();
  let timer: NodeJS.Timeout | undefined;
  try {
    const call = client(cfg.timeoutMs).send(
      // ExpiresAt (event time + the group's TTL): Feature Store deletes expired records in the background, days later.
      new BatchGetRecordCommand({ Identifiers: [{ FeatureGroupName: cfg.featureGroup, RecordIdentifiersValueAsString: [String(key)], FeatureNames: cfg.features }], ExpirationTimeResponse: 'Enabled' }),
      { abortSignal: abort },
    );
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        abort.abort();
        reject(new LookupTimeout());
      }, cfg.timeoutMs);
    });
    const result = await Promise.race([call, deadline]);
    metrics.OnlineLookupMs = Date.now() - started;
    const failed = result.Errors?.[0];
    if (failed) {
      metrics.OnlineErrors = 1;
      props.onlineFeatures = `error:${failed.ErrorCode ?? 'unknown'}`;
      return unavailable(cfg, request);
    }
    const found = result.Records?.[0];
    const record = found?.Record;
    if (!record || record.length === 0) return missing(cfg, request, metrics, props);
    // Past its TTL the record is stale, whether or not the store has deleted it yet: a miss.
    if (found!.ExpiresAt !== undefined && !(Date.parse(found!.ExpiresAt) > Date.now())) return missing(cfg, request, metrics, props, 'expired');
    // Only the configured features are read (a Map, so a record's name can never reach a prototype).
    const online: Record<string, Value> = {};
    for (const v of record) {
      const type = v.FeatureName === undefined ? undefined : cfg.typeOf.get(v.FeatureName);
      if (type === undefined || v.ValueAsString === undefined) continue;
      const converted = convert(v.ValueAsString, type);
      if (converted !== undefined) online[v.FeatureName!] = converted;
    }
    // A feature the record lacks (or cannot be read as its type) takes its default when there is one.
    let degraded = false;
    for (const f of cfg.features) {
      if (online[f] === undefined && cfg.defaults[f] !== undefined) {
        online[f] = cfg.defaults[f];
        degraded = true;
      }
    }
    props.onlineFeatures = degraded ? 'partial' : 'found';
    return { kind: 'features', features: merge(cfg, request, online), degraded, source: 'record' };
  } catch (err) {
    metrics.OnlineLookupMs = Date.now() - started;
    if (err instanceof LookupTimeout || nameOf(err) === 'AbortError' || nameOf(err) === 'TimeoutError') {
      metrics.OnlineTimeouts = 1;
      props.onlineFeatures = 'timeout';
    } else {
      metrics.OnlineErrors = 1;
      props.onlineFeatures = isTransientAwsError(err) ? `throttled:${nameOf(err)}` : `error:${nameOf(err) || 'unknown'}`;
    }
    return unavailable(cfg, request);
  } finally {
    if (timer) clearTimeout(timer);
  }
}
