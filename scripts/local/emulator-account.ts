import { PlinthError } from '../../lib/errors';

/** The environment a local deploy targets. */
export const LOCAL_ENVIRONMENT = 'dev';

/** The account moto_server answers as, unless told otherwise. */
export const MOTO_DEFAULT_ACCOUNT = '123456789012';

/** Context key carrying the emulator's account into scripts/local/local-app.ts. */
export const EMULATOR_ACCOUNT_CONTEXT = 'plinth:emulatorAccount';

/**
 * Returns a deep copy of `config` with every occurrence of account `from` replaced by `to`:
 * the environment's account and anything derived from it (e.g. the ECR registry of its images).
 */
export function withAccount<T>(config: T, from: string, to: string): T {
  if (!/^\d{12}$/.test(to)) throw new PlinthError(`emulator account must be a 12-digit account ID, got "${to}"`);
  return replaceIn(config, from, to) as T;
}

function replaceIn(value: unknown, from: string, to: string): unknown {
  if (typeof value === 'string') return value.split(from).join(to);
  if (Array.isArray(value)) return value.map((item) => replaceIn(item, from, to));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, replaceIn(item, from, to)]));
  }
  return value;
}
