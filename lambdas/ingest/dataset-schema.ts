/**
 * DatasetSchema: the per-dataset contract stored as a JSON String parameter in
 * SSM at `${SCHEMA_PARAMETER_PREFIX}${dataset}`.
 *
 * Validated by a small hand-written check (no schema library: cold-start
 * budget, and nothing is compiled at module load).
 */

import { isJsonObject } from '../shared/json';

export type FieldType = 'string' | 'integer' | 'number' | 'boolean' | 'timestamp';
export type DatasetFormat = 'jsonl' | 'csv';

/**
 * What happens when two records in ONE object share a `recordIdField` value.
 * Records are streamed, so the first occurrence has already been routed to the
 * curated output by the time a duplicate is seen. Both policies therefore:
 *  - keep the FIRST occurrence in curated,
 *  - quarantine the 2nd..nth occurrences with rule `duplicate-record-id`.
 * Difference: with `reject`, the first occurrence's id and line are also listed
 * in the object's manifest under `duplicates.idsSeen` with rule
 * `duplicate-id-seen`, so downstream consumers can drop it if they need
 * "no record with a duplicated id at all". `keep-first` records nothing extra.
 */
export type DuplicatePolicy = 'keep-first' | 'reject';

export interface FieldSchema {
  name: string;
  type: FieldType;
  /** Key/column must be present. Default false. */
  required?: boolean;
  /** null (or "" in CSV) allowed. Default: !required. */
  nullable?: boolean;
  /** Inclusive bounds, integer/number fields only. */
  min?: number;
  max?: number;
  /** Maximum length in Unicode code points, string/timestamp fields only. */
  maxLength?: number;
  /** Allowed values (compared after CSV coercion). */
  enum?: Array<string | number | boolean>;
}

export interface DatasetSchema {
  name: string;
  /** Integer, bumped on every change. */
  version: number;
  format: DatasetFormat;
  recordIdField?: string;
  duplicatePolicy?: DuplicatePolicy;
  fields: FieldSchema[];
}

const FIELD_TYPES: readonly string[] = ['string', 'integer', 'number', 'boolean', 'timestamp'];
const FORMATS: readonly string[] = ['jsonl', 'csv'];
const POLICIES: readonly string[] = ['keep-first', 'reject'];
/** Names that would be prototype-pollution vectors if used as keys. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
/** Metadata columns the Lambda adds to curated records. */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['_source_key', '_source_etag', '_line']);

const TOP_KEYS = new Set(['name', 'version', 'format', 'recordIdField', 'duplicatePolicy', 'fields']);
const FIELD_KEYS = new Set(['name', 'type', 'required', 'nullable', 'min', 'max', 'maxLength', 'enum']);

export class DatasetSchemaError extends Error {
  override readonly name = 'DatasetSchemaError';
}

function fail(path: string, msg: string): never {
  throw new DatasetSchemaError(`invalid dataset schema: ${path} ${msg}`);
}

function checkUnknownKeys(obj: Record<string, unknown>, allowed: Set<string>, path: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.has(k)) fail(`${path}.${k}`, 'is not a known property');
  }
}

function optionalBoolean(obj: Record<string, unknown>, key: string, path: string): boolean | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') fail(`${path}.${key}`, 'must be a boolean');
  return v;
}

function optionalFiniteNumber(obj: Record<string, unknown>, key: string, path: string): number | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(`${path}.${key}`, 'must be a finite number');
  return v;
}

function parseField(raw: unknown, index: number, seen: Set<string>): FieldSchema {
  const path = `fields[${index}]`;
  if (!isJsonObject(raw)) fail(path, 'must be an object');
  checkUnknownKeys(raw, FIELD_KEYS, path);
  const { name, type } = raw;
  if (typeof name !== 'string' || name.length === 0) fail(`${path}.name`, 'must be a non-empty string');
  if (FORBIDDEN_KEYS.has(name)) fail(`${path}.name`, `"${name}" is a forbidden field name`);
  if (RESERVED_KEYS.has(name)) fail(`${path}.name`, `"${name}" is reserved for ingest metadata`);
  if (seen.has(name)) fail(`${path}.name`, `"${name}" is declared twice`);
  seen.add(name);
  if (typeof type !== 'string' || !FIELD_TYPES.includes(type)) {
    fail(`${path}.type`, `must be one of ${FIELD_TYPES.join(', ')}`);
  }
  const field: FieldSchema = { name, type: type as FieldType };
  const required = optionalBoolean(raw, 'required', path);
  const nullable = optionalBoolean(raw, 'nullable', path);
  if (required !== undefined) field.required = required;
  if (nullable !== undefined) field.nullable = nullable;

  const min = optionalFiniteNumber(raw, 'min', path);
  const max = optionalFiniteNumber(raw, 'max', path);
  if ((min !== undefined || max !== undefined) && type !== 'integer' && type !== 'number') {
    fail(path, 'min/max are only valid for integer and number fields');
  }
  if (min !== undefined && max !== undefined && min > max) fail(path, 'min must be <= max');
  if (min !== undefined) field.min = min;
  if (max !== undefined) field.max = max;

  const maxLength = raw.maxLength;
  if (maxLength !== undefined) {
    if (typeof maxLength !== 'number' || !Number.isInteger(maxLength) || maxLength < 0) {
      fail(`${path}.maxLength`, 'must be a non-negative integer');
    }
    if (type !== 'string' && type !== 'timestamp') fail(path, 'maxLength is only valid for string and timestamp fields');
    field.maxLength = maxLength;
  }

  const en = raw.enum;
  if (en !== undefined) {
    if (!Array.isArray(en) || en.length === 0) fail(`${path}.enum`, 'must be a non-empty array');
    for (const [i, v] of en.entries()) {
      const ok =
        (type === 'string' && typeof v === 'string') ||
        (type === 'timestamp' && typeof v === 'string') ||
        (type === 'integer' && Number.isSafeInteger(v)) ||
        (type === 'number' && typeof v === 'number' && Number.isFinite(v)) ||
        (type === 'boolean' && typeof v === 'boolean');
      if (!ok) fail(`${path}.enum[${i}]`, `must be a value of type ${type}`);
    }
    field.enum = [...(en as Array<string | number | boolean>)];
  }
  return field;
}

/**
 * Runtime check for a DatasetSchema parsed from JSON. Throws
 * {@link DatasetSchemaError} with the offending path on the first problem.
 */
export function parseDatasetSchema(json: unknown): DatasetSchema {
  if (!isJsonObject(json)) fail('(root)', 'must be a JSON object');
  checkUnknownKeys(json, TOP_KEYS, '(root)');
  const { name, version, format, recordIdField, duplicatePolicy, fields } = json;
  if (typeof name !== 'string' || name.length === 0) fail('name', 'must be a non-empty string');
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    fail('version', 'must be a positive integer');
  }
  if (typeof format !== 'string' || !FORMATS.includes(format)) fail('format', `must be one of ${FORMATS.join(', ')}`);
  if (!Array.isArray(fields) || fields.length === 0) fail('fields', 'must be a non-empty array');
  const seen = new Set<string>();
  const parsedFields = fields.map((f, i) => parseField(f, i, seen));

  const schema: DatasetSchema = { name, version, format: format as DatasetFormat, fields: parsedFields };
  if (recordIdField !== undefined) {
    if (typeof recordIdField !== 'string' || !seen.has(recordIdField)) {
      fail('recordIdField', 'must name a declared field');
    }
    schema.recordIdField = recordIdField;
  }
  if (duplicatePolicy !== undefined) {
    if (typeof duplicatePolicy !== 'string' || !POLICIES.includes(duplicatePolicy)) {
      fail('duplicatePolicy', `must be one of ${POLICIES.join(', ')}`);
    }
    if (recordIdField === undefined) fail('duplicatePolicy', 'requires recordIdField');
    schema.duplicatePolicy = duplicatePolicy as DuplicatePolicy;
  }
  return schema;
}
