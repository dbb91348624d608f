// Feature-group definitions and their rules: one place, called by FeatureStore and by the config schema.

/** SageMaker's feature-group name rule. */
export const FEATURE_GROUP_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,63}$/;
/** SageMaker's feature name rule. */
export const FEATURE_NAME = /^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$/;
/** Names the offline store adds to every record; a feature may not use them. */
export const RESERVED_FEATURE_NAMES = ['is_deleted', 'write_time', 'api_invocation_time'] as const;
export const FEATURE_TYPES = ['String', 'Integral', 'Fractional'] as const;
export type FeatureType = (typeof FEATURE_TYPES)[number];

/** One feature of a group. */
export interface FeatureDefinition {
  /** 1-64 letters and digits, with `-` or `_` only between them; not a reserved name. */
  readonly name: string;
  readonly type: FeatureType;
  /** Numeric features below this are rejected by feature-ingest (reason `out-of-range`). @default - no lower bound */
  readonly min?: number;
  /** Numeric features above this are rejected by feature-ingest (reason `out-of-range`). @default - no upper bound */
  readonly max?: number;
}

/** Where a group's records come from: a curated dataset of the lake and the SQL that turns it into features. */
export interface FeatureSource {
  /** A curated dataset of the lake (its Glue table has the same name). */
  readonly dataset: string;
  /**
   * One SELECT (Athena/Trino dialect, in the subset DuckDB shares; see lib/features/sql.ts) over the
   * curated tables, yielding exactly the group's features: the record identifier, the event time as
   * an ISO-8601 string, and every other feature.
   */
  readonly sql: string;
  /**
   * How many days before a row's event time the SQL reads to compute that row (account-spend's
   * widest window is 7 days: 7). The feature pipeline reads the dataset's ingest partitions from
   * that far before the oldest row it featurizes (plus its lateness allowance); rows the SQL would
   * compute from older data would get incomplete values, so this must not be smaller than the SQL's
   * own look-back. A whole number from 0 to 366.
   */
  readonly lookbackDays: number;
}

/** When the feature pipeline runs. */
export type FeatureRefresh =
  /** On an EventBridge rate, e.g. `rate(1 hour)`; its period is also the staleness budget's unit. */
  | { readonly schedule: string }
  /** After each object of the source dataset arrives; the dataset's freshness is the period. */
  | { readonly afterIngestion: true };

/** One feature group: typed features, which feature identifies a record, and which is its event time. */
export interface FeatureGroupDefinition {
  /** 1-64 letters, digits and hyphens (SageMaker naming); unique in the store. */
  readonly name: string;
  /** At most 128 characters. @default - none */
  readonly description?: string;
  /** The feature that identifies a record (String or Integral). */
  readonly recordIdentifier: string;
  /** The feature holding the event time: String (ISO 8601) or Fractional (epoch seconds). */
  readonly eventTime: string;
  /** At least one. */
  readonly features: readonly FeatureDefinition[];
  /** @default true */
  readonly onlineStore?: boolean;
  /** @default true */
  readonly offlineStore?: boolean;
  /** Records expire from a Standard online store, and from training sets, this long after their event time. @default - never */
  readonly onlineTtlHours?: number;
  /** Where the records come from (the feature pipeline's input). @default - none: nothing materializes the group */
  readonly source?: FeatureSource;
  /** When the feature pipeline runs; required with `source`. @default - none */
  readonly refresh?: FeatureRefresh;
}

/**
 * Every problem with a set of feature-group definitions, as messages that name the group and say
 * what to change. Empty when the definitions are valid. Shared by the config schema and the
 * `FeatureStore` construct, so a bad definition fails the same way however it arrives.
 */
export function featureGroupProblems(groups: readonly FeatureGroupDefinition[], storageType: 'Standard' | 'InMemory'): string[] {
  const problems: string[] = [];
  const groupNames = new Set<string>();
  for (const group of groups) {
    const where = `feature group "${group.name}"`;
    if (!FEATURE_GROUP_NAME.test(group.name)) {
      problems.push(`${where}: name must be 1-64 letters, digits and hyphens, starting and ending with a letter or digit (SageMaker naming)`);
    }
    if (groupNames.has(group.name)) problems.push(`${where}: declared twice; feature group names must be unique`);
    groupNames.add(group.name);
    if (group.features.length === 0) problems.push(`${where}: declare at least one feature`);
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
    if (!(group.onlineStore ?? true) && !(group.offlineStore ?? true)) problems.push(`${where}: enable the online store, the offline store, or both`);
    if (group.onlineTtlHours !== undefined && (!(group.onlineStore ?? true) || storageType === 'InMemory')) {
      problems.push(`${where}: onlineTtlHours needs a Standard online store; remove it or enable the Standard online store`);
    }
  }
  return problems;
}
