import { z } from 'zod';
import { featureSourceProblems } from '../lib/features/feature-group-definition';

/** SageMaker's feature-group name rule. */
export const FEATURE_GROUP_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}$/;
/** SageMaker's feature name rule. */
export const FEATURE_NAME = /^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$/;
/** Names the offline store adds to every record; a feature may not use them. */
export const RESERVED_FEATURE_NAMES = ['is_deleted', 'write_time', 'api_invocation_time'] as const;
export const FEATURE_TYPES = ['String', 'Integral', 'Fractional'] as const;

const featureSchema = z
  .object({
    name: z.string(),
    type: z.string(),
    /** Numeric values below this are dead-lettered by the feature pipeline. */
    min: z.number().optional(),
    /** Numeric values above this are dead-lettered by the feature pipeline. */
    max: z.number().optional(),
  })
  .strict();

/** A curated dataset and the SQL (Athena/Trino, in the subset DuckDB shares) that yields the group's features from it. */
const sourceSchema = z
  .object({
    dataset: z.string({ error: 'set source.dataset to a curated dataset of the lake, e.g. "transactions"' }),
    sql: z.string({ error: 'set source.sql to one SELECT yielding the entity key, the event time and the features' }),
  })
  .strict();

/** When the feature pipeline runs: on a rate, or after each object of the source dataset arrives. */
const refreshSchema = z.union(
  [z.object({ schedule: z.string() }).strict(), z.object({ afterIngestion: z.literal(true) }).strict()],
  { error: "set refresh to { schedule: 'rate(1 hour)' } or { afterIngestion: true }" },
);

/** One feature group: typed features, which feature identifies a record, and which is its event time. */
export const featureGroupConfigSchema = z
  .object({
    name: z.string(),
    description: z.string().max(128).optional(),
    recordIdentifier: z.string({ error: 'set recordIdentifier to the feature that identifies a record' }),
    eventTime: z.string({ error: 'set eventTime to a String (ISO 8601) or Fractional (epoch seconds) feature' }),
    features: z.array(featureSchema).min(1, 'declare at least one feature'),
    onlineStore: z.boolean().default(true),
    offlineStore: z.boolean().default(true),
    /** Records expire from the online store this long after their event time. */
    onlineTtlHours: z.number().int().positive().max(365 * 24).optional(),
    /** Where the records come from; the feature pipeline materializes them. */
    source: sourceSchema.optional(),
    /** When the feature pipeline runs (required with source). */
    refresh: refreshSchema.optional(),
  })
  .strict();

export const featureStoreConfigSchema = z
  .object({
    /** `InMemory` is faster and costs more; it has no TTL. */
    onlineStorageType: z.enum(['Standard', 'InMemory']).default('Standard'),
    featureGroups: z.array(featureGroupConfigSchema),
  })
  .strict()
  .superRefine((store, ctx) => {
    for (const message of featureGroupProblems(store.featureGroups, store.onlineStorageType)) {
      ctx.addIssue({ code: 'custom', path: ['featureGroups'], message });
    }
    store.featureGroups.forEach((group, index) => {
      for (const message of featureSourceProblems(group)) ctx.addIssue({ code: 'custom', path: ['featureGroups', index], message });
    });
  });

export type FeatureGroupConfig = z.output<typeof featureGroupConfigSchema>;
export type FeatureStoreConfig = z.output<typeof featureStoreConfigSchema>;

/**
 * Every problem with a set of feature-group definitions, as messages that name the group and say
 * what to change. Empty when the definitions are valid. Shared by the config schema and the
 * `FeatureStore` construct, so a bad definition fails the same way however it arrives.
 */
export function featureGroupProblems(groups: readonly FeatureGroupConfig[], storageType: 'Standard' | 'InMemory'): string[] {
  const problems: string[] = [];
  const groupNames = new Set<string>();
  for (const group of groups) {
    const where = `feature group "${group.name}"`;
    if (!FEATURE_GROUP_NAME.test(group.name)) {
      problems.push(`${where}: name must be 1-64 letters, digits and hyphens, starting and ending with a letter or digit (SageMaker naming)`);
    }
    if (groupNames.has(group.name)) problems.push(`${where}: declared twice; feature group names must be unique`);
    groupNames.add(group.name);
    const featureNames = new Set<string>();
    const types = new Map<string, string>();
    for (const feature of group.features) {
      if (!FEATURE_NAME.test(feature.name)) {
        problems.push(`${where}: feature "${feature.name}" must be 1-64 letters and digits, with - or _ only between them (SageMaker naming)`);
      }
      if ((RESERVED_FEATURE_NAMES as readonly string[]).includes(feature.name.toLowerCase())) {
        problems.push(`${where}: feature "${feature.name}" is reserved by the offline store; rename it`);
      }
      if (featureNames.has(feature.name)) problems.push(`${where}: feature "${feature.name}" is declared twice`);
      featureNames.add(feature.name);
      if (!(FEATURE_TYPES as readonly string[]).includes(feature.type)) {
        problems.push(`${where}: feature "${feature.name}" has unsupported type "${feature.type}"; use one of ${FEATURE_TYPES.join(', ')}`);
      }
      types.set(feature.name, feature.type);
    }
    if (!featureNames.has(group.recordIdentifier)) {
      problems.push(`${where}: recordIdentifier "${group.recordIdentifier}" is not one of its features; add it or name an existing feature`);
    } else if (types.get(group.recordIdentifier) === 'Fractional') {
      problems.push(`${where}: recordIdentifier "${group.recordIdentifier}" must be String or Integral, not Fractional`);
    }
    if (!featureNames.has(group.eventTime)) {
      problems.push(`${where}: eventTime "${group.eventTime}" is not one of its features; add it or name an existing feature`);
    } else if (types.get(group.eventTime) === 'Integral') {
      problems.push(`${where}: eventTime "${group.eventTime}" must be String (ISO 8601) or Fractional (epoch seconds), not Integral`);
    }
    if (!group.onlineStore && !group.offlineStore) problems.push(`${where}: enable the online store, the offline store, or both`);
    if (group.onlineTtlHours !== undefined && (!group.onlineStore || storageType === 'InMemory')) {
      problems.push(`${where}: onlineTtlHours needs a Standard online store; remove it or enable the Standard online store`);
    }
  }
  return problems;
}
