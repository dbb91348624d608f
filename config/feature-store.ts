import { z } from 'zod';
import { FEATURE_TYPES, featureGroupProblems, type FeatureType } from '../lib/feature-store/feature-group';
import { featureSourceProblems } from '../lib/features/feature-group-definition';

// The rules live with the construct (lib/feature-store/feature-group.ts); the config re-exports them.
export { FEATURE_GROUP_NAME, FEATURE_NAME, FEATURE_TYPES, RESERVED_FEATURE_NAMES, featureGroupProblems } from '../lib/feature-store/feature-group';

const featureSchema = z
  .object({
    name: z.string(),
    // Any string here: featureGroupProblems names the feature and the allowed types.
    type: z.custom<FeatureType>((value) => typeof value === 'string', { message: `feature type must be one of ${FEATURE_TYPES.join(', ')}` }),
    min: z.number().optional(),
    max: z.number().optional(),
  })
  .strict();

/** A curated dataset and the SQL (Athena/Trino, in the subset DuckDB shares) that yields the group's features from it. */
const sourceSchema = z
  .object({
    dataset: z.string({ error: 'set source.dataset to a curated dataset of the lake, e.g. "transactions"' }),
    sql: z.string({ error: 'set source.sql to one SELECT yielding the entity key, the event time and the features' }),
    lookbackDays: z.number({ error: "set source.lookbackDays to how many days before a row's event time its SQL reads (0 if it reads the row alone)" }),
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

