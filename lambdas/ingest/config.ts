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
  return {
    rawBucket: env.RAW_BUCKET?.trim() || undefined,
    curatedBucket: required(env, 'CURATED_BUCKET'),
    quarantineBucket: required(env, 'QUARANTINE_BUCKET'),
    schemaParameterPrefix: required(env, 'SCHEMA_PARAMETER_PREFIX'),
    schemaCacheSeconds,
    eventBusName: env.EVENT_BUS_NAME?.trim() || 'default',
    env: env.PLINTH_ENV?.trim() || 'unknown',
  };
}
