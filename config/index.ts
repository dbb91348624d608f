import { PlinthError } from '../lib/errors';
import { dev } from './dev';
import { prod } from './prod';
import { staging } from './staging';
import { ENVIRONMENT_NAMES, environmentConfigSchema } from './schema';
import type { EnvironmentConfig, EnvironmentConfigInput, EnvironmentName } from './schema';

export * from './schema';
export * from './data-lake';
export * from './feature-store';
export * from './model-registry';

/** The environment configs as declared in `config/*.ts`, before validation. */
export const DECLARED_ENVIRONMENTS: Record<EnvironmentName, EnvironmentConfigInput> = { dev, staging, prod };

/** A config that failed validation. The message names every bad field and what to change. */
export class ConfigError extends PlinthError {}

/**
 * Validates one environment's config.
 *
 * @throws ConfigError naming each bad field, e.g. `config/prod.ts: removalPolicy: ...`
 */
export function parseEnvironmentConfig(input: unknown, source = 'config'): EnvironmentConfig {
  const result = environmentConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const field = issue.path.length > 0 ? issue.path.join('.') : '(root)';
    return `  - ${field}: ${issue.message}`;
  });
  throw new ConfigError(`Invalid environment config in ${source}:\n${lines.join('\n')}`);
}

/**
 * Returns the validated configs to synthesize: all of them, or only `selected` (from `-c env=NAME`).
 *
 * @throws ConfigError for an unknown environment name or an invalid config
 */
export function loadEnvironments(
  selected?: string,
  declared: Record<string, EnvironmentConfigInput> = DECLARED_ENVIRONMENTS,
): EnvironmentConfig[] {
  const names = Object.keys(declared);
  if (selected !== undefined && !names.includes(selected)) {
    throw new ConfigError(
      `Unknown environment "${selected}": pass -c env=<name> with one of ${names.join(', ')} ` +
        `(or declare config/${selected}.ts and add "${selected}" to ENVIRONMENT_NAMES).`,
    );
  }
  const chosen = selected === undefined ? names : [selected];
  return chosen.map((name) => {
    const config = parseEnvironmentConfig(declared[name], `config/${name}.ts`);
    if (config.name !== name) {
      throw new ConfigError(`config/${name}.ts declares name "${config.name}"; set name to "${name}"`);
    }
    return config;
  });
}

export { ENVIRONMENT_NAMES };

/**
 * The accounts later on the promotion path (dev → staging → prod) than `name`: they may read its
 * model registry to promote approved versions. Computed from every declared environment, so an
 * environment's templates do not depend on which environments one synthesizes.
 */
export function promotionTargetAccounts(
  name: string,
  declared: Record<string, EnvironmentConfigInput> = DECLARED_ENVIRONMENTS,
): string[] {
  const order = Object.keys(declared);
  const index = order.indexOf(name);
  if (index < 0) throw new ConfigError(`Unknown environment "${name}" on the promotion path ${order.join(' → ')}`);
  const later = order.slice(index + 1).map((env) => parseEnvironmentConfig(declared[env], `config/${env}.ts`).account);
  return [...new Set(later)];
}
