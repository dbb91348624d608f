/**
 * Environment contract of the review Lambdas (the CDK stack sets these).
 * Read per invocation (cheap), never at module load.
 *
 *   REVIEW_TABLE          DynamoDB table name (all three Lambdas)            required
 *   SLA_MINUTES           minutes from createdAt to slaDeadline (intake, expiry)  required, > 0
 *   CLAIM_LEASE_MINUTES   claim lease (api)                                  default 30
 *   ALLOWED_LABELS        comma-separated labels a reviewer may submit (api submit)  required
 *   GROUND_TRUTH_BUCKET   S3 bucket for ground truth (api submit)           required
 *   GROUND_TRUTH_PREFIX   key prefix (api submit)                            default "ground-truth/"
 *   PLINTH_ENV            environment name, logged and put on EMF lines      default "unknown"
 *   REVIEW_MODELS         optional, comma-separated model names for which
 *                         review-expiry always emits its gauges (0 when idle)
 */

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = NodeJS.ProcessEnv;

function trimmed(env: Env, name: string): string | undefined {
  const v = env[name];
  if (v === undefined || v.trim() === '') return undefined;
  return v.trim();
}

function required(env: Env, name: string): string {
  const v = trimmed(env, name);
  if (v === undefined) throw new ConfigError(`environment variable ${name} is required`);
  return v;
}

function positiveMinutes(env: Env, name: string, fallback?: number): number {
  const raw = trimmed(env, name);
  if (raw === undefined) {
    if (fallback === undefined) throw new ConfigError(`environment variable ${name} is required`);
    return fallback;
  }
  const n = Number(raw);
  // Upper bound: one year, far beyond any sensible SLA/lease, but keeps Date arithmetic sane.
  if (!Number.isFinite(n) || n <= 0 || n > 525_600) {
    throw new ConfigError(`${name} must be a number of minutes > 0 and <= 525600 (got "${raw}")`);
  }
  return n;
}

function list(raw: string | undefined): string[] {
  if (raw === undefined) return [];
  return [...new Set(raw.split(',').map((s) => s.trim()).filter((s) => s !== ''))];
}

export function tableName(env: Env = process.env): string {
  return required(env, 'REVIEW_TABLE');
}

export function slaMinutes(env: Env = process.env): number {
  return positiveMinutes(env, 'SLA_MINUTES');
}

export const DEFAULT_CLAIM_LEASE_MINUTES = 30;

export function claimLeaseMinutes(env: Env = process.env): number {
  return positiveMinutes(env, 'CLAIM_LEASE_MINUTES', DEFAULT_CLAIM_LEASE_MINUTES);
}

export function allowedLabels(env: Env = process.env): string[] {
  const labels = list(trimmed(env, 'ALLOWED_LABELS'));
  if (labels.length === 0) throw new ConfigError('environment variable ALLOWED_LABELS is required (comma-separated labels)');
  return labels;
}

export interface GroundTruthLocation {
  bucket: string;
  /** Always empty or ending with "/". */
  prefix: string;
}

export const DEFAULT_GROUND_TRUTH_PREFIX = 'ground-truth/';

export function groundTruthLocation(env: Env = process.env): GroundTruthLocation {
  const bucket = required(env, 'GROUND_TRUTH_BUCKET');
  const raw = env.GROUND_TRUTH_PREFIX;
  let prefix = raw === undefined ? DEFAULT_GROUND_TRUTH_PREFIX : raw.trim().replace(/^\/+/, '');
  if (prefix !== '' && !prefix.endsWith('/')) prefix = `${prefix}/`;
  return { bucket, prefix };
}

export function plinthEnv(env: Env = process.env): string {
  return trimmed(env, 'PLINTH_ENV') ?? 'unknown';
}

export function reviewModels(env: Env = process.env): string[] {
  return list(trimmed(env, 'REVIEW_MODELS'));
}
