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
  /** `type` as the plan's small integer (see checkPlanned), set once by compileSchema. */
  kind: Kind;
}

/** The field types as small integers: the per-record checks switch on these, not on the type's name. */
const enum Kind {
  String = 0,
  Integer = 1,
  Number = 2,
  Boolean = 3,
  Timestamp = 4,
}

const KINDS: Record<FieldType, Kind> = {
  string: Kind.String,
  integer: Kind.Integer,
  number: Kind.Number,
  boolean: Kind.Boolean,
  timestamp: Kind.Timestamp,
};

export interface CompiledSchema {
  schema: DatasetSchema;
  fields: CompiledField[];
  byName: ReadonlyMap<string, CompiledField>;
}

/**
 * The same text as `s`, as the engine's one shared copy of it (a property
 * name is). The keys JSON.parse gives are such copies, so comparing one
 * with a field name kept this way is a pointer comparison when they are
 * equal (and when they differ), not a character comparison.
 */
function shared(s: string): string {
  return Object.keys({ [s]: 0 })[0]!;
}

export function compileSchema(schema: DatasetSchema): CompiledSchema {
  const fields = schema.fields.map((f: FieldSchema): CompiledField => {
    const required = f.required ?? false;
    // Every field has every property (undefined when not set), in one order: one object shape
    // for all fields, so the per-record checks read them without a polymorphic lookup.
    return {
      name: shared(f.name),
      type: f.type,
      required,
      nullable: f.nullable ?? !required,
      min: f.min,
      max: f.max,
      maxLength: f.maxLength,
      enumValues: f.enum === undefined ? undefined : new Set<unknown>(f.enum),
      kind: KINDS[f.type],
    };
  });
  return { schema, fields, byName: new Map(fields.map((f) => [f.name, f])) };
}

// YYYY-MM-DD, optionally followed by THH:MM[:SS[.fraction]] and a zone (Z or +HH:MM / +HHMM / +HH).
// The grammar as a regular expression (the specification; isIsoTimestamp scans the
// same grammar by hand, without a match array or a Number() per part):
export const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?)?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)) return 29;
  return DAYS_IN_MONTH[month - 1]!;
}

/** Value of the ASCII digit at s[i], or -1. */
function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 0x30;
  return c >= 0 && c <= 9 ? c : -1;
}

/** Value of two ASCII digits at s[i], s[i+1], or -1. */
function two(s: string, i: number): number {
  const a = digit(s, i);
  const b = digit(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/** Strict ISO-8601 date or date-time check (calendar-valid, not just Date.parse-able). */
export function isIsoTimestamp(s: string): boolean {
  const n = s.length;
  if (n < 10 || s.charCodeAt(4) !== 0x2d || s.charCodeAt(7) !== 0x2d) return false;
  const y1 = two(s, 0);
  const y2 = two(s, 2);
  const month = two(s, 5);
  const day = two(s, 8);
  if (y1 < 0 || y2 < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(y1 * 100 + y2, month)) return false;
  if (n === 10) return true;
  // [Tt ]HH:MM
  const sep = s.charCodeAt(10);
  if ((sep !== 0x54 && sep !== 0x74 && sep !== 0x20) || n < 16 || s.charCodeAt(13) !== 0x3a) return false;
  const hh = two(s, 11);
  const mm = two(s, 14);
  if (hh < 0 || mm < 0 || hh > 23 || mm > 59) return false;
  let i = 16;
  if (i < n && s.charCodeAt(i) === 0x3a) {
    const ss = two(s, i + 1);
    if (ss < 0 || ss > 59) return false;
    i += 3;
    const f = s.charCodeAt(i);
    if (f === 0x2e || f === 0x2c) {
      let k = i + 1;
      while (k < n && k - i <= 9 && digit(s, k) >= 0) k++;
      if (k === i + 1) return false;
      i = k;
    }
  }
  if (i === n) return true;
  const z = s.charCodeAt(i);
  if (z === 0x5a || z === 0x7a) return i + 1 === n;
  if (z !== 0x2b && z !== 0x2d) return false;
  const zh = two(s, i + 1);
  if (zh < 0 || zh > 23) return false;
  i += 3;
  if (i === n) return true;
  if (s.charCodeAt(i) === 0x3a) i++;
  if (i + 2 !== n) return false;
  const zm = two(s, i);
  return zm >= 0 && zm <= 59;
}

export function codePointLength(s: string, limit: number): number {
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

/** `^[+-]?\d+$` (ASCII digits), scanned without a regular expression. */
export function isIntegerText(s: string): boolean {
  const n = s.length;
  let i = n > 0 && (s.charCodeAt(0) === 0x2b || s.charCodeAt(0) === 0x2d) ? 1 : 0;
  if (i === n) return false;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}
/** Sentinel: CSV value should be treated as absent. */
export const ABSENT: unique symbol = Symbol('absent');

/**
 * Validate a parsed JSON object. `rec` must be an own-keys-only object (the
 * caller has already rejected forbidden keys); lookups use Object.hasOwn so
 * nothing is ever read from a prototype. The router's own path is
 * validateJsonFields, with the keys and values it already listed.
 */
export function validateJsonRecord(cs: CompiledSchema, rec: Record<string, unknown>, out: Violation[]): void {
  validateJsonFields(cs, rec, Object.keys(rec), Object.values(rec), out);
}

/**
 * Coerce a CSV string to the field's type and validate it. Returns the typed
 * value (or null / ABSENT), pushing violations when invalid. On type mismatch
 * the original string is returned so the quarantine record shows it. The
 * router's own path is coerceCsvRow, a whole row per call.
 */
export function coerceCsvValue(f: CompiledField, raw: string, out: Violation[]): unknown {
  return coercePlanned(f, raw, out);
}

// ---------------------------------------------------------------- the per-record plan
//
// What the router runs per record: the checks above, against the schema compiled once (each
// field's kind and bounds, in CompiledField), with no per-record allocation but the violations
// themselves. Same violations, in the same order, as the per-value checks it replaced
// (test/support/ingest-validator-reference.ts; test/lambdas/ingest/validator-plan.test.ts
// compares them on random records).

/** checkValue by the field's kind: the type check and the bounds in one switch. */
function checkPlanned(f: CompiledField, v: unknown, out: Violation[]): void {
  switch (f.kind) {
    case Kind.String:
    case Kind.Timestamp:
      if (typeof v !== 'string' || (f.kind === Kind.Timestamp && !isIsoTimestamp(v))) {
        out.push({ field: f.name, rule: 'type-mismatch', value: v });
        return;
      }
      if (f.maxLength !== undefined && v.length > f.maxLength && codePointLength(v, f.maxLength) > f.maxLength) {
        out.push({ field: f.name, rule: 'max-length', value: v });
      }
      break;
    case Kind.Integer:
    case Kind.Number:
      if (typeof v !== 'number' || (f.kind === Kind.Integer ? !Number.isSafeInteger(v) : !Number.isFinite(v))) {
        out.push({ field: f.name, rule: 'type-mismatch', value: v });
        return;
      }
      if (f.min !== undefined && v < f.min) out.push({ field: f.name, rule: 'below-min', value: v });
      if (f.max !== undefined && v > f.max) out.push({ field: f.name, rule: 'above-max', value: v });
      break;
    default:
      if (typeof v !== 'boolean') {
        out.push({ field: f.name, rule: 'type-mismatch', value: v });
        return;
      }
  }
  if (f.enumValues !== undefined && !f.enumValues.has(v)) out.push({ field: f.name, rule: 'not-in-enum', value: v });
}

/**
 * validateJsonRecord for a record whose own keys and values the caller has
 * listed (`keys` and `values`, Object.keys / Object.values order): a field
 * found at its schema position in `keys` is an own key and its value is
 * values[i], with no lookup (writers usually emit the schema's fields in its
 * order); any other field is looked up as before.
 */
export function validateJsonFields(
  cs: CompiledSchema,
  rec: Record<string, unknown>,
  keys: readonly string[],
  values: readonly unknown[],
  out: Violation[],
): void {
  const fields = cs.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    const name = f.name;
    let v: unknown;
    if (i < keys.length && keys[i] === name) v = values[i];
    else if (Object.hasOwn(rec, name)) v = rec[name];
    else {
      if (f.required) out.push({ field: name, rule: 'missing-required' });
      continue;
    }
    if (v === null) {
      if (!f.nullable) out.push({ field: name, rule: 'not-nullable', value: null });
      continue;
    }
    checkPlanned(f, v, out);
  }
}

/** NUMBER_TEXT scanned by hand: `^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$`. */
export function isNumberText(s: string): boolean {
  const n = s.length;
  let i = 0;
  let c = s.charCodeAt(0);
  if (c === 0x2b || c === 0x2d) c = s.charCodeAt(++i);
  let digits = 0;
  while (c >= 0x30 && c <= 0x39) {
    digits++;
    c = s.charCodeAt(++i);
  }
  if (c === 0x2e) {
    c = s.charCodeAt(++i);
    while (c >= 0x30 && c <= 0x39) {
      digits++;
      c = s.charCodeAt(++i);
    }
  }
  if (digits === 0) return false;
  if (c === 0x65 || c === 0x45) {
    c = s.charCodeAt(++i);
    if (c === 0x2b || c === 0x2d) c = s.charCodeAt(++i);
    const from = i;
    while (c >= 0x30 && c <= 0x39) c = s.charCodeAt(++i);
    if (i === from) return false;
  }
  return i === n;
}

/**
 * coerceCsvValue for every column of a row: `columns[i]` is the schema field
 * of column i (undefined for a column the schema does not declare: its text
 * is kept), `values[i]` receives the typed value (null, ABSENT, or the text on
 * a type mismatch).
 */
export function coerceCsvRow(
  columns: ReadonlyArray<CompiledField | undefined>,
  raw: readonly string[],
  values: unknown[],
  out: Violation[],
): void {
  for (let i = 0; i < raw.length; i++) {
    const f = columns[i];
    const text = raw[i]!;
    values[i] = f === undefined ? text : coercePlanned(f, text, out);
  }
}

function coercePlanned(f: CompiledField, raw: string, out: Violation[]): unknown {
  if (raw === '') {
    if (f.nullable) return null;
    if (!f.required) return ABSENT;
    if (f.kind !== Kind.String) {
      out.push({ field: f.name, rule: 'not-nullable', value: raw });
      return raw;
    }
  }
  let v: unknown = raw;
  switch (f.kind) {
    case Kind.Integer:
      if (isIntegerText(raw)) v = Number(raw);
      break;
    case Kind.Number:
      if (isNumberText(raw)) v = Number(raw);
      break;
    case Kind.Boolean:
      if (raw.length === 4 || raw.length === 5) {
        const lower = raw.toLowerCase();
        if (lower === 'true') v = true;
        else if (lower === 'false') v = false;
      }
      break;
    default:
      break;
  }
  const before = out.length;
  checkPlanned(f, v, out);
  // report the original text on a type mismatch (the violation too: '1e400' coerces to Infinity)
  if (out.length > before && out[before]!.rule === 'type-mismatch') {
    out[before]!.value = raw;
    return raw;
  }
  return v;
}
