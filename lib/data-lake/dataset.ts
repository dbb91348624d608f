import { DatasetSchemaError, parseDatasetSchema, type DatasetSchema } from '../../lambdas/ingest/dataset-schema';

/** The types a dataset field may have (the ingest function's). */
export const DATASET_FIELD_TYPES = ['string', 'integer', 'number', 'boolean', 'timestamp'] as const;
export type DatasetFieldType = (typeof DATASET_FIELD_TYPES)[number];

/** A dataset's name is its S3 prefix in every zone and its Glue table name. */
export const DATASET_NAME = /^[a-z][a-z0-9_]{0,62}$/;
/** Field names become Glue columns. */
export const DATASET_FIELD_NAME = /^[a-z_][a-z0-9_]{0,127}$/;
/** The freshness alarm's period is 5 minutes; its longest window 7 days. */
export const FRESHNESS_MINUTES = { min: 5, max: 7 * 24 * 60 } as const;

/** One field of a dataset: a Glue column and what the ingest function checks of each record. */
export interface DatasetField {
  /** Lowercase letters, digits and `_`, starting with a letter or `_`; unique in the dataset. */
  readonly name: string;
  readonly type: DatasetFieldType;
  /**
   * The key (JSON) or column (CSV) must be present.
   *
   * @default false
   */
  readonly required?: boolean;
  /**
   * `null` (or an empty CSV cell) is allowed.
   *
   * @default - not required
   */
  readonly nullable?: boolean;
  /** Inclusive lower bound, integer and number fields only. @default - none */
  readonly min?: number;
  /** Inclusive upper bound, integer and number fields only. @default - none */
  readonly max?: number;
  /** Maximum length in code points, string and timestamp fields only. @default - none */
  readonly maxLength?: number;
  /** The allowed values. @default - any value of the type */
  readonly enum?: ReadonlyArray<string | number | boolean>;
}

/** One dataset the lake ingests: its schema (what the ingest function validates) and its freshness. */
export interface DatasetDefinition {
  /** Lowercase letters, digits and `_`, starting with a letter: the S3 prefix and the Glue table. */
  readonly name: string;
  /** A positive integer; bump it on every schema change. */
  readonly version: number;
  /** How raw objects are written (gzip of either is detected). */
  readonly format: 'jsonl' | 'csv';
  /** The field that identifies a record, for duplicate detection. @default - no duplicate detection */
  readonly recordIdField?: string;
  /** What a second record with the same id does (see docs/data-lake.md). @default 'keep-first' */
  readonly duplicatePolicy?: 'keep-first' | 'reject';
  /** At least one field. */
  readonly fields: readonly DatasetField[];
  /** Minutes without a new object before the freshness alarm fires (5 to 10080). */
  readonly freshnessMinutes: number;
}

/** One thing wrong with a dataset: where (relative to the datasets list) and what to change. */
export interface DatasetProblem {
  readonly path: ReadonlyArray<string | number>;
  readonly message: string;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Everything wrong with a list of dataset definitions, each naming the dataset and the field and
 * saying what to change. Empty when they are valid. The one place these rules live: the config
 * schema (`config/data-lake.ts`) and `DataLake` both call it, and it ends with the ingest
 * function's own schema parser, so what synthesizes is what the function accepts.
 */
export function datasetProblems(datasets: readonly unknown[]): DatasetProblem[] {
  const problems: DatasetProblem[] = [];
  const names = new Set<string>();
  datasets.forEach((raw, index) => {
    const add = (path: ReadonlyArray<string | number>, message: string) => problems.push({ path: [index, ...path], message });
    if (!isObject(raw)) {
      add([], `datasets[${index}] must be an object with name, version, format, fields and freshnessMinutes`);
      return;
    }
    const name = typeof raw.name === 'string' ? raw.name : '';
    const where = `dataset "${name || `#${index}`}"`;
    const before = problems.length;
    if (!DATASET_NAME.test(name)) add(['name'], `${where}: dataset name must be lowercase letters, digits and _, starting with a letter (at most 63)`);
    else if (names.has(name)) add(['name'], `dataset "${name}" is declared twice`);
    names.add(name);
    if (typeof raw.version !== 'number' || !Number.isInteger(raw.version) || raw.version < 1) {
      add(['version'], `${where}: version must be a positive integer; bump it on every schema change`);
    }
    if (raw.format !== 'jsonl' && raw.format !== 'csv') add(['format'], `${where}: format must be "jsonl" or "csv" (gzip of either is detected)`);
    const freshness = raw.freshnessMinutes;
    if (typeof freshness !== 'number' || !Number.isInteger(freshness)) add(['freshnessMinutes'], `${where}: freshnessMinutes must be whole minutes`);
    else if (freshness < FRESHNESS_MINUTES.min) add(['freshnessMinutes'], `${where}: freshnessMinutes must be at least ${FRESHNESS_MINUTES.min} (the alarm period)`);
    else if (freshness > FRESHNESS_MINUTES.max) add(['freshnessMinutes'], `${where}: freshnessMinutes can be at most ${FRESHNESS_MINUTES.max} (7 days, the longest alarm window)`);
    const fields = raw.fields;
    if (!Array.isArray(fields) || fields.length === 0) {
      add(['fields'], `${where}: declare at least one field`);
      return;
    }
    const fieldNames = new Set<string>();
    fields.forEach((field: unknown, f) => {
      const at = `${where}: fields[${f}]`;
      if (!isObject(field)) {
        add(['fields', f], `${at} must be an object with name and type`);
        return;
      }
      const fieldName = field.name;
      if (typeof fieldName !== 'string' || fieldName.trim() === '') add(['fields', f, 'name'], `${at}.name is empty; name every field (it becomes a Glue column)`);
      else if (!DATASET_FIELD_NAME.test(fieldName)) {
        add(['fields', f, 'name'], `${at}.name "${fieldName}": field names must be lowercase letters, digits and _ (they become Glue columns)`);
      } else if (fieldNames.has(fieldName)) add(['fields', f, 'name'], `${at}.name "${fieldName}" is declared twice; field names must be unique`);
      if (typeof fieldName === 'string') fieldNames.add(fieldName);
      if (!(DATASET_FIELD_TYPES as readonly unknown[]).includes(field.type)) {
        add(['fields', f, 'type'], `${at} ("${String(fieldName)}") has type "${String(field.type)}"; use one of ${DATASET_FIELD_TYPES.join(', ')}`);
      }
    });
    if (problems.length > before) return;
    // The ingest function's own parser is the last word on what it accepts: run it at synth too.
    try {
      parseDatasetSchema(JSON.parse(JSON.stringify(toDatasetSchema(raw as unknown as DatasetDefinition))));
    } catch (error) {
      if (!(error instanceof DatasetSchemaError)) throw error;
      add([], `${where}: ${error.message.replace(/^invalid dataset schema: /, '')}`);
    }
  });
  return problems;
}

/** The schema document the ingest function reads from SSM: the definition minus CDK-only settings. */
export function toDatasetSchema(dataset: DatasetDefinition): DatasetSchema {
  const { freshnessMinutes: _freshness, ...schema } = dataset;
  return schema as unknown as DatasetSchema;
}
