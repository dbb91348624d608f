/**
 * Dataset schema lookup with an in-memory TTL cache per dataset, so an SSM
 * change takes effect within SCHEMA_CACHE_SECONDS without a redeploy.
 * "Not found" is cached too (so a burst of unknown-dataset objects does not
 * hammer SSM); the schema is compiled once per cache fill, never at load.
 */

import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { parseDatasetSchema } from './dataset-schema';
import { InvalidSchemaConfigError, messageOf } from './errors';
import { CompiledSchema, compileSchema } from './validator';

/** Returns the parameter value, or undefined when the parameter does not exist. */
export type ParameterFetcher = (name: string) => Promise<string | undefined>;

interface Entry {
  expiresAt: number;
  value: Promise<CompiledSchema | undefined>;
}

export class SchemaStore {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly fetchParameter: ParameterFetcher,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Schema for `dataset`, or undefined if no parameter exists. Throws
   * InvalidSchemaConfigError for an unparseable schema and rethrows SSM
   * errors (both: retry the message, never quarantine data for them).
   */
  get(prefix: string, dataset: string, ttlSeconds: number): Promise<CompiledSchema | undefined> {
    const name = `${prefix}${dataset}`;
    const now = this.now();
    const hit = this.entries.get(name);
    if (hit && hit.expiresAt > now) return hit.value;
    const value = this.load(name);
    const entry: Entry = { expiresAt: now + ttlSeconds * 1000, value };
    this.entries.set(name, entry);
    // failures are not cached: the next call retries
    value.catch(() => {
      if (this.entries.get(name) === entry) this.entries.delete(name);
    });
    return value;
  }

  clear(): void {
    this.entries.clear();
  }

  private async load(name: string): Promise<CompiledSchema | undefined> {
    const raw = await this.fetchParameter(name);
    if (raw === undefined) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch (err) {
      throw new InvalidSchemaConfigError(`schema parameter ${name} is not valid JSON: ${messageOf(err)}`);
    }
    try {
      return compileSchema(parseDatasetSchema(json));
    } catch (err) {
      throw new InvalidSchemaConfigError(`schema parameter ${name}: ${messageOf(err)}`);
    }
  }
}

export function ssmFetcher(getSsm: () => SSMClient): ParameterFetcher {
  return async (name) => {
    try {
      const res = await getSsm().send(new GetParameterCommand({ Name: name }));
      return res.Parameter?.Value;
    } catch (err) {
      if (err instanceof Error && err.name === 'ParameterNotFound') return undefined;
      throw err;
    }
  };
}
