/**
 * Deterministic SageMaker resource names, so that a redelivered approval
 * finds (instead of duplicating) what a previous delivery created.
 *
 * SageMaker names: max 63 characters, ^[a-zA-Z0-9](-*[a-zA-Z0-9])*. A name
 * that is too long (or had to be sanitised) is truncated and suffixed with a
 * hash of the full raw name, so it stays unique and deterministic.
 */

import { createHash } from 'node:crypto';

export const MAX_NAME_LENGTH = 63;
const HASH_LENGTH = 8;

export function shortHash(value: string, length = HASH_LENGTH): string {
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, length);
}

/** Replace characters SageMaker does not allow and trim leading/trailing hyphens. */
function sanitize(raw: string): string {
  return raw.replace(/[^a-zA-Z0-9-]/g, '-').replace(/^-+|-+$/g, '');
}

/** A valid SageMaker name derived from `raw`: unchanged when possible, else truncated + hash of `raw`. */
export function boundedName(raw: string): string {
  const clean = sanitize(raw);
  if (clean === raw && clean.length > 0 && clean.length <= MAX_NAME_LENGTH) return clean;
  const suffix = shortHash(raw);
  const room = MAX_NAME_LENGTH - HASH_LENGTH - 1;
  const prefix = clean.slice(0, room).replace(/-+$/, '');
  return prefix ? `${prefix}-${suffix}` : suffix;
}

/**
 * Model for one package version on one endpoint variant: `${endpoint}-${variant}-v${version}`.
 * The variant is part of the name so that two groups feeding two variants of
 * the same endpoint can never collide on `${endpoint}-v${version}`.
 */
export function modelNameFor(endpointName: string, variantName: string, version: number): string {
  return boundedName(`${endpointName}-${variantName}-v${version}`);
}

/**
 * Endpoint config = (current config) with (variant → model): `${endpoint}-v${version}-${hash}`,
 * hash over the current config name, the variant and the model name. The same
 * approval replayed against the same starting point gives the same name.
 */
export function endpointConfigNameFor(endpointName: string, version: number, currentConfigName: string, variantName: string, modelName: string): string {
  return boundedName(`${endpointName}-v${version}-${shortHash(`${currentConfigName}|${variantName}|${modelName}`)}`);
}
