/**
 * One staged row (a JSON line of the group's UNLOAD output) → a Feature Store record, or a
 * rejection with a machine-readable reason. Pure: no I/O.
 */
import type { FeatureValue } from '@aws-sdk/client-sagemaker-featurestore-runtime';
import type { IngestGroup } from './config';

export const REJECT_REASONS = [
  /** The line is not a JSON object. */
  'malformed',
  /** The record identifier is absent, null or empty. */
  'missing-key',
  /** The event time is absent or null. */
  'missing-event-time',
  /** A value does not have its feature's type (or the event time is not an ISO-8601 instant). */
  'wrong-type',
  /** A value is outside its feature's min/max, the 64-bit range, or Feature Store's size limit. */
  'out-of-range',
  /** The row has a column the group does not declare: the SQL and the definition disagree. */
  'undeclared-feature',
  /** Feature Store refused the record (a ValidationError). */
  'put-rejected',
  /** Throttling or 5xx outlasted every retry. */
  'put-failed-after-retries',
  /**
   * The pipeline's SQL marked the row too late: its event time is more than the lateness allowance
   * before the run's window, so the history the run read may not hold all it looks back at.
   */
  'too-late',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export interface Rejection {
  reason: RejectReason;
  field?: string;
  detail: string;
}

/**
 * The column the pipeline's SQL adds to every staged row (lib/features/sql.ts SKIP_COLUMN): null for a
 * row to write, `too-late` (rejected, dead-lettered) or `duplicate` (dropped and counted: another
 * row of the run has the same record id and event time and won the SQL's tie-break).
 */
export const SKIP_COLUMN = '__plinth_skip';

export type RowResult =
  | { ok: true; recordId: string; eventTime: string; record: FeatureValue[] }
  | ({ ok: false } & Rejection)
  | { ok: false; duplicate: true };

/** Feature Store's limit for one String value. */
export const MAX_STRING_BYTES = 350 * 1024;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;
const INTEGER_TEXT = /^-?\d+$/;

function reject(reason: RejectReason, detail: string, field?: string): RowResult {
  return { ok: false, reason, detail, ...(field !== undefined ? { field } : {}) };
}

/** The text Feature Store stores for one value, or a rejection. */
function valueText(feature: IngestGroup['features'][number], value: unknown): { ok: true; text: string } | ({ ok: false } & Rejection) {
  const name = feature.name;
  if (feature.type === 'String') {
    if (typeof value !== 'string') return { ok: false, reason: 'wrong-type', field: name, detail: `expected a string, got ${typeof value}` };
    if (Buffer.byteLength(value, 'utf8') > MAX_STRING_BYTES) return { ok: false, reason: 'out-of-range', field: name, detail: `longer than ${MAX_STRING_BYTES} bytes` };
    return { ok: true, text: value };
  }
  let n: number;
  let text: string;
  if (feature.type === 'Integral') {
    if (typeof value === 'number') {
      if (!Number.isInteger(value)) return { ok: false, reason: 'wrong-type', field: name, detail: `expected an integer, got ${value}` };
      if (!Number.isSafeInteger(value)) return { ok: false, reason: 'out-of-range', field: name, detail: `${value} is beyond the exact 64-bit range JSON carries` };
      n = value;
      text = String(value);
    } else if (typeof value === 'string' && INTEGER_TEXT.test(value)) {
      const big = BigInt(value);
      if (big > 9223372036854775807n || big < -9223372036854775808n) return { ok: false, reason: 'out-of-range', field: name, detail: `${value} does not fit 64 bits` };
      n = Number(value);
      text = big.toString();
    } else {
      return { ok: false, reason: 'wrong-type', field: name, detail: `expected an integer, got ${JSON.stringify(value)?.slice(0, 40)}` };
    }
  } else {
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      return { ok: false, reason: 'wrong-type', field: name, detail: `expected a finite number, got ${JSON.stringify(value)?.slice(0, 40)}` };
    }
    n = value;
    text = String(value);
  }
  if (feature.min !== undefined && n < feature.min) return { ok: false, reason: 'out-of-range', field: name, detail: `${text} is below the minimum ${feature.min}` };
  if (feature.max !== undefined && n > feature.max) return { ok: false, reason: 'out-of-range', field: name, detail: `${text} is above the maximum ${feature.max}` };
  return { ok: true, text };
}

/** Checks one line against the group's definition. */
export function toRecord(group: IngestGroup, line: string): RowResult {
  let row: unknown;
  try {
    row = JSON.parse(line);
  } catch {
    return reject('malformed', 'not valid JSON');
  }
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return reject('malformed', 'not a JSON object');
  const values = { ...(row as Record<string, unknown>) };
  if (SKIP_COLUMN in values) {
    const skip = values[SKIP_COLUMN];
    delete values[SKIP_COLUMN];
    if (skip === 'duplicate') return { ok: false, duplicate: true };
    if (skip === 'too-late') return reject('too-late', `${group.eventTime} ${JSON.stringify(values[group.eventTime])} is older than the run's lateness allowance; a backfill with an earlier windowStart featurizes it`, group.eventTime);
    if (skip !== null) return reject('malformed', `${SKIP_COLUMN} is ${JSON.stringify(skip)?.slice(0, 40)}, not null, "too-late" or "duplicate"`, SKIP_COLUMN);
  }
  const declared = new Map(group.features.map((f) => [f.name, f]));
  for (const column of Object.keys(values)) {
    if (!declared.has(column)) return reject('undeclared-feature', `column "${column}" is not a feature of ${group.name}`, column);
  }
  const id = values[group.recordIdentifier];
  if (id === undefined || id === null || id === '') return reject('missing-key', `${group.recordIdentifier} is missing`, group.recordIdentifier);
  const time = values[group.eventTime];
  if (time === undefined || time === null) return reject('missing-event-time', `${group.eventTime} is missing`, group.eventTime);
  if (typeof time !== 'string' || !ISO_INSTANT.test(time) || Number.isNaN(Date.parse(time))) {
    return reject('wrong-type', `${group.eventTime} must be an ISO-8601 instant, got ${JSON.stringify(time).slice(0, 40)}`, group.eventTime);
  }
  const year = new Date(time).getUTCFullYear();
  if (year < 1970 || year > 9999) return reject('out-of-range', `${group.eventTime} ${time} is outside what Feature Store accepts`, group.eventTime);
  const record: FeatureValue[] = [];
  for (const feature of group.features) {
    const value = values[feature.name];
    // A null non-key feature is simply absent from the record, as Feature Store allows.
    if (value === undefined || value === null) continue;
    const checked = valueText(feature, value);
    if (!checked.ok) return { ok: false, reason: checked.reason, detail: checked.detail, ...(checked.field ? { field: checked.field } : {}) };
    record.push({ FeatureName: feature.name, ValueAsString: checked.text });
  }
  const recordId = record.find((v) => v.FeatureName === group.recordIdentifier)!.ValueAsString!;
  return { ok: true, recordId, eventTime: time, record };
}
