/**
 * Record validation against a DatasetSchema.
 *
 * JSON values are checked as-is (no coercion). CSV values are strings and are
 * coerced per field type first. Empty CSV values:
 *  - nullable field              -> null
 *  - optional, non-nullable      -> treated as absent (omitted from output)
 *  - required, non-nullable      -> "" stays "" for string fields; any other
 *                                   type is a `not-nullable` violation
 * A schema field defaults to required=false and nullable=!required.
 */

import { DatasetSchema, FieldSchema, FieldType } from './dataset-schema';

export type Rule =
  | 'missing-required'
  | 'type-mismatch'
  | 'not-nullable'
  | 'below-min'
  | 'above-max'
  | 'max-length'
  | 'not-in-enum'
  | 'forbidden-key'
  | 'duplicate-key'
  | 'reserved-key'
  | 'malformed-json'
  | 'not-an-object'
  | 'malformed-csv'
  | 'unterminated-quote'
  | 'column-count'
  | 'record-too-large'
  | 'duplicate-record-id';

/** Rules that indicate breaking schema drift (counted in BreakingDriftRecords). */
export const BREAKING_RULES: ReadonlySet<Rule> = new Set<Rule>(['missing-required', 'type-mismatch']);

export interface Violation {
  field?: string;
  rule: Rule;
  value?: unknown;
  /** The value as the source wrote it, when the parsed value does not show it (1e400 parses to Infinity). */
  token?: string;
}

export interface CompiledField {
  name: string;
  type: FieldType;
  required: boolean;
  nullable: boolean;
  min?: number;
  max?: number;
  maxLength?: number;
  enumValues?: ReadonlySet<unknown>;
}

export interface CompiledSchema {
  schema: DatasetSchema;
  fields: CompiledField[];
  byName: ReadonlyMap<string, CompiledField>;
}

export function compileSchema(schema: DatasetSchema): CompiledSchema {
  const fields = schema.fields.map((f: FieldSchema): CompiledField => {
    const required = f.required ?? false;
    const c: CompiledField = { name: f.name, type: f.type, required, nullable: f.nullable ?? !required };
    if (f.min !== undefined) c.min = f.min;
    if (f.max !== undefined) c.max = f.max;
    if (f.maxLength !== undefined) c.maxLength = f.maxLength;
    if (f.enum !== undefined) c.enumValues = new Set<unknown>(f.enum);
    return c;
  });
  return { schema, fields, byName: new Map(fields.map((f) => [f.name, f])) };
}

// YYYY-MM-DD, optionally followed by THH:MM[:SS[.fraction]] and a zone (Z or +HH:MM / +HHMM / +HH).
const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1]!;
}

/** Strict ISO-8601 date or date-time check (calendar-valid, not just Date.parse-able). */
export function isIsoTimestamp(s: string): boolean {
  const m = ISO_8601.exec(s);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return false;
  if (m[4] !== undefined) {
    if (Number(m[4]) > 23 || Number(m[5]) > 59) return false;
    if (m[6] !== undefined && Number(m[6]) > 59) return false;
    const zone = m[7];
    if (zone !== undefined && zone.length > 1) {
      const zh = Number(zone.slice(1, 3));
      const zm = zone.length > 3 ? Number(zone.slice(-2)) : 0;
      if (zh > 23 || zm > 59) return false;
    }
  }
  return true;
}

function codePointLength(s: string, limit: number): number {
  if (s.length <= limit) return s.length; // code points <= code units
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

function typeMatches(type: FieldType, v: unknown): boolean {
  switch (type) {
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isSafeInteger(v);
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'timestamp':
      return typeof v === 'string' && isIsoTimestamp(v);
  }
}

/** Checks a present, non-null value. Pushes violations; returns nothing. */
function checkValue(f: CompiledField, v: unknown, out: Violation[]): void {
  if (!typeMatches(f.type, v)) {
    out.push({ field: f.name, rule: 'type-mismatch', value: v });
    return;
  }
  if (typeof v === 'number') {
    if (f.min !== undefined && v < f.min) out.push({ field: f.name, rule: 'below-min', value: v });
    if (f.max !== undefined && v > f.max) out.push({ field: f.name, rule: 'above-max', value: v });
  } else if (typeof v === 'string' && f.maxLength !== undefined) {
    if (codePointLength(v, f.maxLength) > f.maxLength) out.push({ field: f.name, rule: 'max-length', value: v });
  }
  if (f.enumValues !== undefined && !f.enumValues.has(v)) out.push({ field: f.name, rule: 'not-in-enum', value: v });
}

/**
 * Validate a parsed JSON object. `rec` must be an own-keys-only object (the
 * caller has already rejected forbidden keys); lookups use Object.hasOwn so
 * nothing is ever read from a prototype.
 */
export function validateJsonRecord(cs: CompiledSchema, rec: Record<string, unknown>, out: Violation[]): void {
  for (const f of cs.fields) {
    if (!Object.hasOwn(rec, f.name)) {
      if (f.required) out.push({ field: f.name, rule: 'missing-required' });
      continue;
    }
    const v = rec[f.name];
    if (v === null) {
      if (!f.nullable) out.push({ field: f.name, rule: 'not-nullable', value: null });
      continue;
    }
    checkValue(f, v, out);
  }
}

const INTEGER_TEXT = /^[+-]?\d+$/;
const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Sentinel: CSV value should be treated as absent. */
export const ABSENT: unique symbol = Symbol('absent');

/**
 * Coerce a CSV string to the field's type and validate it. Returns the typed
 * value (or null / ABSENT), pushing violations when invalid. On type mismatch
 * the original string is returned so the quarantine record shows it.
 */
export function coerceCsvValue(f: CompiledField, raw: string, out: Violation[]): unknown {
  if (raw === '') {
    if (f.nullable) return null;
    if (!f.required) return ABSENT;
    if (f.type !== 'string') {
      out.push({ field: f.name, rule: 'not-nullable', value: raw });
      return raw;
    }
  }
  let v: unknown = raw;
  switch (f.type) {
    case 'integer':
      if (INTEGER_TEXT.test(raw)) v = Number(raw);
      break;
    case 'number':
      if (NUMBER_TEXT.test(raw)) v = Number(raw);
      break;
    case 'boolean': {
      const lower = raw.toLowerCase();
      if (lower === 'true') v = true;
      else if (lower === 'false') v = false;
      break;
    }
    default:
      break;
  }
  const before = out.length;
  checkValue(f, v, out);
  // report the original text on a type mismatch (the violation too: '1e400' coerces to Infinity)
  if (out.length > before && out[before]?.rule === 'type-mismatch') {
    out[before]!.value = raw;
    return raw;
  }
  return v;
}
