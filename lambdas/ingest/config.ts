import { DEFAULT_MAX_TRACKED_IDS } from './record-router';

/**
 * Environment contract of the ingest Lambda (the CDK stack sets these).
 * Read per invocation (cheap), never at module load.
 */

export interface IngestConfig {
  /** Source bucket (informational: events from other buckets are processed but logged). */
  rawBucket: string | undefined;
  curatedBucket: string;
  quarantineBucket: string;
  /** SSM path prefix; the schema of dataset X is the parameter `${prefix}X`. */
  schemaParameterPrefix: string;
  schemaCacheSeconds: number;
  eventBusName: string;
  env: string;
  /**
   * Distinct record ids the duplicate check stores per object (MAX_TRACKED_IDS, default
   * DEFAULT_MAX_TRACKED_IDS): past it, ids are still checked but no longer stored, which the
   * manifest, the metric DuplicateIdsUntracked and its alarm say.
   */
  maxTrackedIds: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (v === undefined || v.trim() === '') throw new ConfigError(`environment variable ${name} is required`);
  return v.trim();
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): IngestConfig {
  const ttlRaw = env.SCHEMA_CACHE_SECONDS;
  let schemaCacheSeconds = 60;
  if (ttlRaw !== undefined && ttlRaw.trim() !== '') {
    schemaCacheSeconds = Number(ttlRaw);
    if (!Number.isFinite(schemaCacheSeconds) || schemaCacheSeconds < 0) {
      throw new ConfigError('SCHEMA_CACHE_SECONDS must be a non-negative number');
    }
  }
  let maxTrackedIds = DEFAULT_MAX_TRACKED_IDS;
  const idsRaw = env.MAX_TRACKED_IDS;
  if (idsRaw !== undefined && idsRaw.trim() !== '') {
    maxTrackedIds = Number(idsRaw);
    if (!Number.isSafeInteger(maxTrackedIds) || maxTrackedIds < 1) throw new ConfigError('MAX_TRACKED_IDS must be a positive whole number');
  }
  return {
    rawBucket: env.RAW_BUCKET?.trim() || undefined,
    curatedBucket: required(env, 'CURATED_BUCKET'),
    quarantineBucket: required(env, 'QUARANTINE_BUCKET'),
    schemaParameterPrefix: required(env, 'SCHEMA_PARAMETER_PREFIX'),
    schemaCacheSeconds,
    eventBusName: env.EVENT_BUS_NAME?.trim() || 'default',
    env: env.PLINTH_ENV?.trim() || 'unknown',
    maxTrackedIds,
  };
}
