import { createHash } from 'node:crypto';

/**
 * One feature group's definition, the single source that the feature pipeline, the point-in-time
 * training-set builder and the gateway's online lookup all read. `config/feature-groups/` maps onto
 * it; nothing here imports `config/`.
 */

import type { FeatureGroupDefinition } from '../feature-store/feature-group';
import { FEATURE_TYPES } from '../feature-store/feature-group';

// The definition types (FeatureGroupDefinition with its `source` and `refresh`) live with the
// FeatureStore construct, in lib/feature-store/feature-group.ts: one definition, read everywhere.

/** SageMaker Feature Store value types. */
export const FEATURE_VALUE_TYPES = FEATURE_TYPES;
export type FeatureValueType = (typeof FEATURE_VALUE_TYPES)[number];

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_MINUTES: Record<string, number> = { minute: 1, minutes: 1, hour: 60, hours: 60, day: 1440, days: 1440 };

/** The shortest refresh period accepted: one Athena query and a Distributed Map per run. */
export const MIN_REFRESH_MINUTES = 15;

/** Minutes between runs of a `rate(...)` schedule, or undefined when it is not one. */
export function ratePeriodMinutes(schedule: string): number | undefined {
  const m = RATE.exec(schedule.trim());
  return m ? Number(m[1]) * UNIT_MINUTES[m[2]] : undefined;
}

/** The table name SageMaker registers the offline store under (Plinth sets it so SQL can name it at synth). */
export function offlineTableName(groupName: string): string {
  return groupName.toLowerCase().replace(/-/g, '_');
}

/**
 * A stable hash of everything that decides a group's values: the features, keys and the source SQL.
 * Training-set manifests record it, so a model can be traced to the definition it was trained on.
 */
export function definitionHash(group: FeatureGroupDefinition): string {
  const canonical = {
    name: group.name,
    recordIdentifier: group.recordIdentifier,
    eventTime: group.eventTime,
    features: group.features.map((f) => ({ name: f.name, type: f.type, min: f.min ?? null, max: f.max ?? null })),
    onlineTtlHours: group.onlineTtlHours ?? null,
    source: group.source ? { dataset: group.source.dataset, sql: group.source.sql.trim() } : null,
  };
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}

function mentions(sql: string, name: string): boolean {
  return new RegExp(`(^|[^A-Za-z0-9_])${name.replace(/[-]/g, '\\-')}($|[^A-Za-z0-9_])`, 'i').test(sql);
}

/**
 * Problems with a group's `source` and `refresh`, each naming the field and what to change. Shared by
 * the config schema and `FeaturePipeline`, so a bad definition fails the same way however it arrives.
 *
 * @param datasetNames the lake's datasets; when given, `source.dataset` must be one of them
 */
export function featureSourceProblems(group: FeatureGroupDefinition, datasetNames?: readonly string[]): string[] {
  const where = `feature group "${group.name}"`;
  const problems: string[] = [];
  if (!group.source) {
    if (group.refresh) problems.push(`${where}: refresh needs a source; set source: { dataset, sql } or remove refresh`);
    return problems;
  }
  const { dataset, sql } = group.source;
  if (!group.refresh) problems.push(`${where}: source needs refresh; set refresh: { schedule: 'rate(1 hour)' } or { afterIngestion: true }`);
  if (datasetNames && !datasetNames.includes(dataset)) {
    problems.push(`${where}: source.dataset "${dataset}" is not a dataset of the lake (${datasetNames.join(', ') || 'none declared'}); declare it in dataLake.datasets or fix the name`);
  }
  if (sql.trim() === '') {
    problems.push(`${where}: source.sql is empty; write one SELECT that yields ${group.features.map((f) => f.name).join(', ')}`);
    return problems;
  }
  if (sql.replace(/'[^']*'/g, '').includes(';')) problems.push(`${where}: source.sql must be one SELECT statement without ";"`);
  if (!/^\s*(with|select)\b/i.test(sql)) problems.push(`${where}: source.sql must start with SELECT or WITH`);
  if (!mentions(sql, dataset)) problems.push(`${where}: source.sql does not read source.dataset "${dataset}"; query that table or change source.dataset`);
  else if (new RegExp(`\\.\\s*"?${dataset.replace(/[.-]/g, '\\$&')}"?($|[^A-Za-z0-9_])`, 'i').test(sql.replace(/'[^']*'/g, ''))) {
    // The pipeline narrows the dataset to the ingest partitions a run needs by naming a CTE after it;
    // a qualified name (db.dataset) would bypass that and read the whole table, arrivals included.
    problems.push(`${where}: source.sql names source.dataset "${dataset}" with a database or schema; name it alone (FROM ${dataset}), the pipeline supplies the lake's database`);
  }
  const lookbackDays = group.source.lookbackDays;
  if (!Number.isInteger(lookbackDays) || lookbackDays < 0 || lookbackDays > 366) {
    problems.push(`${where}: source.lookbackDays must be a whole number of days from 0 to 366 (how far before a row's event time its SQL reads), got ${String(lookbackDays)}`);
  }
  for (const feature of group.features) {
    if (!(FEATURE_VALUE_TYPES as readonly string[]).includes(feature.type)) {
      problems.push(`${where}: features.${feature.name}.type "${feature.type}" is not a feature type; use one of ${FEATURE_VALUE_TYPES.join(', ')}`);
    }
    if (!mentions(sql, feature.name)) {
      problems.push(`${where}: source.sql does not yield declared feature "${feature.name}"; select it (… AS ${feature.name}) or remove it from features`);
    }
    if ((feature.min !== undefined || feature.max !== undefined) && feature.type === 'String') {
      problems.push(`${where}: features.${feature.name} is a String; min and max apply to Integral and Fractional features only`);
    }
    if (feature.min !== undefined && feature.max !== undefined && feature.min > feature.max) {
      problems.push(`${where}: features.${feature.name}.min (${feature.min}) is above its max (${feature.max})`);
    }
  }
  const names = new Set(group.features.map((f) => f.name));
  if (!names.has(group.recordIdentifier)) problems.push(`${where}: recordIdentifier "${group.recordIdentifier}" (the entity key) is not declared in features`);
  if (!names.has(group.eventTime)) problems.push(`${where}: eventTime "${group.eventTime}" is not declared in features`);
  const eventTimeType = group.features.find((f) => f.name === group.eventTime)?.type;
  if (eventTimeType !== undefined && eventTimeType !== 'String') {
    problems.push(`${where}: eventTime "${group.eventTime}" must be a String (ISO 8601) for a group with a source: the pipeline and training sets compare it as a timestamp`);
  }
  if (group.offlineStore === false) problems.push(`${where}: a group with a source needs offlineStore: true (training sets read the offline store)`);
  if (group.refresh && 'schedule' in group.refresh) {
    const period = ratePeriodMinutes(group.refresh.schedule);
    if (period === undefined) {
      problems.push(`${where}: refresh.schedule "${group.refresh.schedule}" must be a rate, e.g. 'rate(1 hour)' (its period sets the staleness alarm)`);
    } else if (period < MIN_REFRESH_MINUTES) {
      problems.push(`${where}: refresh.schedule runs every ${period} minutes; use at least ${MIN_REFRESH_MINUTES} minutes`);
    }
  }
  return problems;
}
