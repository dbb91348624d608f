/**
 * The ingest validator's per-value checks as they were before the per-record plan
 * (lambdas/ingest/validator.ts, validateJsonFields / coerceCsvRow) replaced them on the hot
 * path: the reference test/lambdas/ingest/validator-plan.test.ts compares the plan with, on
 * random schemas and records. Kept here, not in the handler, so production has one
 * implementation and the reference cannot drift into it.
 */
import { isScalarOfType } from '../../lambdas/shared/json';
import { ABSENT, codePointLength, isIntegerText, isIsoTimestamp, type CompiledField, type CompiledSchema, type Violation } from '../../lambdas/ingest/validator';
import type { FieldType } from '../../lambdas/ingest/dataset-schema';

const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

function typeMatches(type: FieldType, v: unknown): boolean {
  return type === 'timestamp' ? typeof v === 'string' && isIsoTimestamp(v) : isScalarOfType(type, v);
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
export function referenceValidateJsonRecord(cs: CompiledSchema, rec: Record<string, unknown>, out: Violation[]): void {
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

/**
 * Coerce a CSV string to the field's type and validate it. Returns the typed
 * value (or null / ABSENT), pushing violations when invalid. On type mismatch
 * the original string is returned so the quarantine record shows it.
 */
export function referenceCoerceCsvValue(f: CompiledField, raw: string, out: Violation[]): unknown {
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
      if (isIntegerText(raw)) v = Number(raw);
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

