/**
 * INPUT_SCHEMA: the features the model accepts, and the check of one request
 * against them (hand-written: no validator library, nothing compiled at
 * module load).
 *
 *   {"features":[
 *     {"name":"amount","type":"number","required":true,"min":0,"max":100000},
 *     {"name":"currency","type":"string","enum":["EUR","USD"]},
 *     {"name":"card_present","type":"boolean"}]}
 *
 * Feature keys: name (required), type ('number' | 'integer' | 'string' |
 * 'boolean'), required (default false), min / max (numbers: inclusive value
 * range), maxLength (strings), enum (strings or numbers). Anything else in the
 * schema is a configuration error, so a typo ("maximum") cannot silently
 * disable a range check.
 *
 * Request rules (first violation wins; `rule` in the 400 body):
 *   forbidden-key  `__proto__`, `constructor` or `prototype` as a key
 *   unknown        a key that is not a declared feature (`field` names it)
 *   required       a required feature is missing or null (null = absent;
 *                  optional null features are dropped)
 *   type           wrong JSON type (numbers must be finite; integer = whole)
 *   min / max      outside the declared range (out-of-distribution input)
 *   maxLength      string longer than declared
 *   enum           value not in the declared set
 */

import { isJsonObject, isScalarOfType, type ScalarType } from '../shared/json';

export type FeatureType = ScalarType;

export interface FeatureSpec {
  name: string;
  type: FeatureType;
  required: boolean;
  min?: number;
  max?: number;
  maxLength?: number;
  enum?: ReadonlyArray<string | number>;
}

export interface InputSchema {
  features: ReadonlyArray<FeatureSpec>;
  byName: ReadonlyMap<string, FeatureSpec>;
}

export type FeatureValue = number | string | boolean;
export type Features = Record<string, FeatureValue>;

export interface ValidationFailure {
  error: string;
  field?: string;
  rule: string;
}

export type ValidationResult = { ok: true; features: Features } | { ok: false; failure: ValidationFailure };

export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const FEATURE_TYPES: ReadonlySet<string> = new Set(['number', 'integer', 'string', 'boolean']);
const SPEC_KEYS: ReadonlySet<string> = new Set(['name', 'type', 'required', 'min', 'max', 'maxLength', 'enum']);
const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,127}$/;

/** Keys from the request are echoed in errors: bound their length. */
function shown(key: string): string {
  return key.length > 64 ? `${key.slice(0, 64)}…` : key;
}

function hasOwn(obj: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

/** Parse and check the INPUT_SCHEMA document. Throws Error with a precise message. */
export function parseInputSchema(raw: unknown): InputSchema {
  if (!isJsonObject(raw)) throw new Error('must be a JSON object with a "features" array');
  const list = raw.features;
  if (!Array.isArray(list) || list.length === 0) throw new Error('"features" must be a non-empty array');
  const features: FeatureSpec[] = [];
  const byName = new Map<string, FeatureSpec>();
  list.forEach((entry: unknown, i) => {
    const where = `features[${i}]`;
    if (!isJsonObject(entry)) throw new Error(`${where} must be an object`);
    for (const k of Object.keys(entry)) {
      if (!SPEC_KEYS.has(k)) throw new Error(`${where} has unsupported key "${k}"`);
    }
    const { name, type, required, min, max, maxLength } = entry;
    if (typeof name !== 'string' || !NAME_PATTERN.test(name) || FORBIDDEN_KEYS.has(name)) {
      throw new Error(`${where}.name must match ${NAME_PATTERN.source} and not be a reserved key`);
    }
    if (byName.has(name)) throw new Error(`${where}: duplicate feature "${name}"`);
    if (typeof type !== 'string' || !FEATURE_TYPES.has(type)) {
      throw new Error(`${where}.type must be one of ${[...FEATURE_TYPES].join(', ')}`);
    }
    if (required !== undefined && typeof required !== 'boolean') throw new Error(`${where}.required must be a boolean`);
    const numeric = type === 'number' || type === 'integer';
    for (const [k, v] of [['min', min], ['max', max]] as const) {
      if (v === undefined) continue;
      if (!numeric) throw new Error(`${where}.${k} only applies to number/integer features`);
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}.${k} must be a finite number`);
    }
    if (typeof min === 'number' && typeof max === 'number' && min > max) throw new Error(`${where}: min > max`);
    if (maxLength !== undefined) {
      if (type !== 'string') throw new Error(`${where}.maxLength only applies to string features`);
      if (typeof maxLength !== 'number' || !Number.isInteger(maxLength) || maxLength < 0) {
        throw new Error(`${where}.maxLength must be a non-negative integer`);
      }
    }
    let enumValues: Array<string | number> | undefined;
    if (entry.enum !== undefined) {
      if (type === 'boolean') throw new Error(`${where}.enum does not apply to boolean features`);
      if (!Array.isArray(entry.enum) || entry.enum.length === 0) throw new Error(`${where}.enum must be a non-empty array`);
      enumValues = entry.enum.map((v: unknown) => {
        if (type === 'string' ? typeof v !== 'string' : typeof v !== 'number' || !Number.isFinite(v)) {
          throw new Error(`${where}.enum values must all be of type ${type}`);
        }
        return v as string | number;
      });
    }
    const spec: FeatureSpec = {
      name,
      type: type as FeatureType,
      required: required === true,
      ...(typeof min === 'number' ? { min } : {}),
      ...(typeof max === 'number' ? { max } : {}),
      ...(typeof maxLength === 'number' ? { maxLength } : {}),
      ...(enumValues ? { enum: enumValues } : {}),
    };
    features.push(spec);
    byName.set(name, spec);
  });
  return { features, byName };
}

function describeType(spec: FeatureSpec): string {
  return spec.type === 'number' ? 'a finite number' : spec.type === 'integer' ? 'an integer' : `a ${spec.type}`;
}

/**
 * Check a parsed request body against the schema. Returns only declared
 * features, in a fresh object, so nothing else from the request ever reaches
 * the model or the review queue.
 */
export function validateFeatures(schema: InputSchema, body: unknown): ValidationResult {
  if (!isJsonObject(body)) {
    return { ok: false, failure: { error: 'request body must be a JSON object of features', rule: 'object' } };
  }
  const keys = Object.keys(body);
  for (const k of keys) {
    if (FORBIDDEN_KEYS.has(k)) {
      return { ok: false, failure: { error: `key "${k}" is not allowed`, field: k, rule: 'forbidden-key' } };
    }
  }
  for (const k of keys) {
    if (!schema.byName.has(k)) {
      return { ok: false, failure: { error: `unknown feature "${shown(k)}"`, field: shown(k), rule: 'unknown' } };
    }
  }
  const features: Features = {};
  for (const spec of schema.features) {
    const v = hasOwn(body, spec.name) ? body[spec.name] : undefined;
    if (v === undefined || v === null) {
      if (spec.required) {
        return { ok: false, failure: { error: `missing required feature "${spec.name}"`, field: spec.name, rule: 'required' } };
      }
      continue;
    }
    if (!isScalarOfType(spec.type, v)) {
      return {
        ok: false,
        failure: { error: `feature "${spec.name}" must be ${describeType(spec)}`, field: spec.name, rule: 'type' },
      };
    }
    if (typeof v === 'number') {
      if (spec.min !== undefined && v < spec.min) {
        return { ok: false, failure: { error: `feature "${spec.name}" must be >= ${spec.min}`, field: spec.name, rule: 'min' } };
      }
      if (spec.max !== undefined && v > spec.max) {
        return { ok: false, failure: { error: `feature "${spec.name}" must be <= ${spec.max}`, field: spec.name, rule: 'max' } };
      }
    }
    if (typeof v === 'string' && spec.maxLength !== undefined && v.length > spec.maxLength) {
      return {
        ok: false,
        failure: { error: `feature "${spec.name}" must be at most ${spec.maxLength} characters`, field: spec.name, rule: 'maxLength' },
      };
    }
    if (spec.enum && !spec.enum.includes(v as string | number)) {
      return {
        ok: false,
        failure: { error: `feature "${spec.name}" must be one of ${spec.enum.map((e) => JSON.stringify(e)).join(', ')}`, field: spec.name, rule: 'enum' },
      };
    }
    features[spec.name] = v;
  }
  return { ok: true, features };
}
