/**
 * The review case model: the queue message contract, its hand-written
 * validation, the DynamoDB item shape and the shape returned to reviewers.
 *
 * Item design (table keyed by caseId, GSI `status-createdAt`):
 *   - `input` and `provisional` are stored as canonical JSON strings (sorted
 *     keys). Feature vectors are arbitrary JSON; as strings they round-trip
 *     exactly (no DynamoDB number range/precision limits, no empty-set or
 *     nested-type surprises), and "is this redelivery the same case?" is a
 *     string comparison. Readers also accept a map (see parseStoredJson).
 *   - every timestamp is `Date#toISOString()` (UTC, milliseconds, `Z`), so
 *     string order is time order: the GSI sort key and the `<`/`<=`
 *     comparisons in condition expressions rely on it.
 */

import { isJsonObject } from '../shared/json';

export const REVIEW_REASONS = ['low-confidence', 'high-stakes', 'degraded'] as const;
export type ReviewReason = (typeof REVIEW_REASONS)[number];

export const REVIEW_STATUSES = ['pending', 'claimed', 'labelled', 'expired'] as const;
export type ReviewStatus = (typeof REVIEW_STATUSES)[number];

/** Name of the GSI (partition `status`, sort `createdAt`). */
export const STATUS_INDEX = 'status-createdAt';

/** SageMaker naming (config/model-registry.ts): safe in S3 keys and as a metric dimension. */
export const MODEL_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}(:?\d{2})?)$/;

/** Messages larger than this cannot become a DynamoDB item (400 KB limit incl. names and other attributes). */
export const MAX_MESSAGE_CHARS = 300_000;
/** A createdAt further in the future than this is a broken producer clock, not a case. */
export const MAX_CLOCK_SKEW_MS = 24 * 60 * 60 * 1000;

export interface Provisional {
  prediction: unknown;
  label: string;
  confidence: number;
  [extra: string]: unknown;
}

/** A validated queue message, normalised (lower-case caseId, canonical createdAt). */
export interface ReviewMessage {
  caseId: string;
  model: string;
  endpoint: string;
  input: Record<string, unknown>;
  provisional: Provisional;
  reason: ReviewReason;
  createdAt: string;
  /** The gateway's inference id of the answer under review (joins the label to the prediction). */
  inferenceId?: string;
  /** The production variant that answered. */
  variant?: string;
}

/** Same format the gateway checks (lambdas/infer/inference-id.ts). */
export const INFERENCE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

/** The DynamoDB item. */
export interface ReviewItem {
  caseId: string;
  model: string;
  endpoint: string;
  /** Canonical JSON string (a map is accepted when read). */
  input: string | Record<string, unknown>;
  /** Canonical JSON string (a map is accepted when read). */
  provisional: string | Record<string, unknown>;
  reason: ReviewReason;
  status: ReviewStatus;
  createdAt: string;
  slaDeadline: string;
  claimedBy?: string;
  claimedAt?: string;
  claimLeaseUntil?: string;
  label?: string;
  labelledBy?: string;
  labelledAt?: string;
  notes?: string;
  groundTruthKey?: string;
  expiredAt?: string;
  inferenceId?: string;
  variant?: string;
}

/** A case as returned by review-api: input/provisional as objects. */
export type ReviewCase = Omit<ReviewItem, 'input' | 'provisional'> & {
  input: unknown;
  provisional: unknown;
};

export type Validation<T> = { ok: true; value: T } | { ok: false; errors: string[] };

export function isUuid(v: unknown): v is string {
  return typeof v === 'string' && UUID.test(v);
}

/** Parse an ISO-8601 date-time with an explicit zone; returns its canonical form, or undefined. */
export function canonicalTimestamp(v: unknown): string | undefined {
  if (typeof v !== 'string' || !ISO_8601.test(v)) return undefined;
  // Date.parse rolls impossible dates over (02-30 -> 03-02): check the fields first.
  const [y, mo, day, h, mi, sec] = [v.slice(0, 4), v.slice(5, 7), v.slice(8, 10), v.slice(11, 13), v.slice(14, 16), v.slice(17, 19)].map(Number);
  const daysInMonth = new Date(Date.UTC(y!, mo!, 0)).getUTCDate();
  if (mo! < 1 || mo! > 12 || day! < 1 || day! > daysInMonth || h! > 23 || mi! > 59 || (v[16] === ':' && sec! > 59)) return undefined;
  const ms = Date.parse(v);
  if (!Number.isFinite(ms)) return undefined;
  const d = new Date(ms);
  const year = d.getUTCFullYear();
  if (year < 2000 || year > 9999) return undefined;
  return d.toISOString();
}

/** JSON.stringify with object keys sorted recursively (canonical form). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (isJsonObject(value)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys(value[k]);
    return out;
  }
  return value;
}

/**
 * Validate one SQS message body against the contract. Unknown extra top-level
 * fields are ignored (forward compatible); everything the loop relies on is
 * checked. `nowMs` bounds createdAt (clock skew).
 */
export function parseReviewMessage(body: unknown, nowMs: number): Validation<ReviewMessage> {
  if (typeof body !== 'string') return { ok: false, errors: ['body is not a string'] };
  if (body.length > MAX_MESSAGE_CHARS) return { ok: false, errors: [`body is larger than ${MAX_MESSAGE_CHARS} characters`] };
  let raw: unknown;
  try {
    raw = JSON.parse(body);
  } catch {
    return { ok: false, errors: ['body is not JSON'] };
  }
  if (!isJsonObject(raw)) return { ok: false, errors: ['body is not a JSON object'] };

  const errors: string[] = [];
  if (!isUuid(raw.caseId)) errors.push('caseId must be a UUID');
  if (typeof raw.model !== 'string' || !MODEL_NAME.test(raw.model)) {
    errors.push('model must be 1-63 letters, digits and hyphens');
  }
  if (typeof raw.endpoint !== 'string' || !MODEL_NAME.test(raw.endpoint)) {
    errors.push('endpoint must be 1-63 letters, digits and hyphens');
  }
  if (!isJsonObject(raw.input)) errors.push('input must be a JSON object');
  const p = raw.provisional;
  if (!isJsonObject(p)) {
    errors.push('provisional must be a JSON object');
  } else {
    if (p.prediction === undefined) errors.push('provisional.prediction is required');
    if (typeof p.label !== 'string' || p.label.trim() === '' || p.label.length > 256) {
      errors.push('provisional.label must be a non-empty string (<= 256 chars)');
    }
    if (typeof p.confidence !== 'number' || !Number.isFinite(p.confidence) || p.confidence < 0 || p.confidence > 1) {
      errors.push('provisional.confidence must be a number in [0, 1]');
    }
  }
  if (typeof raw.reason !== 'string' || !(REVIEW_REASONS as readonly string[]).includes(raw.reason)) {
    errors.push(`reason must be one of ${REVIEW_REASONS.join(', ')}`);
  }
  const createdAt = canonicalTimestamp(raw.createdAt);
  if (createdAt === undefined) {
    errors.push('createdAt must be an ISO-8601 date-time with a time zone');
  } else if (Date.parse(createdAt) > nowMs + MAX_CLOCK_SKEW_MS) {
    errors.push('createdAt is more than 24 h in the future');
  }
  if (raw.inferenceId !== undefined && (typeof raw.inferenceId !== 'string' || !INFERENCE_ID.test(raw.inferenceId))) {
    errors.push('inferenceId must be 1-64 letters, digits or ._:- starting with a letter or digit');
  }
  if (raw.variant !== undefined && (typeof raw.variant !== 'string' || !MODEL_NAME.test(raw.variant))) {
    errors.push('variant must be 1-63 letters, digits and hyphens');
  }
  if (errors.length > 0) return { ok: false, errors };

  return {
    ok: true,
    value: {
      caseId: (raw.caseId as string).toLowerCase(),
      model: raw.model as string,
      endpoint: raw.endpoint as string,
      input: raw.input as Record<string, unknown>,
      provisional: p as Provisional,
      reason: raw.reason as ReviewReason,
      createdAt: createdAt as string,
      ...(typeof raw.inferenceId === 'string' ? { inferenceId: raw.inferenceId } : {}),
      ...(typeof raw.variant === 'string' ? { variant: raw.variant } : {}),
    },
  };
}

export function addMinutes(iso: string, minutes: number): string {
  return new Date(Date.parse(iso) + minutes * 60_000).toISOString();
}

/** The new item for a validated message: status pending, slaDeadline = createdAt + SLA. */
export function newCaseItem(msg: ReviewMessage, slaMinutesValue: number): ReviewItem {
  return {
    caseId: msg.caseId,
    model: msg.model,
    endpoint: msg.endpoint,
    input: canonicalJson(msg.input),
    provisional: canonicalJson(msg.provisional),
    reason: msg.reason,
    status: 'pending',
    createdAt: msg.createdAt,
    slaDeadline: addMinutes(msg.createdAt, slaMinutesValue),
    ...(msg.inferenceId !== undefined ? { inferenceId: msg.inferenceId } : {}),
    ...(msg.variant !== undefined ? { variant: msg.variant } : {}),
  };
}

function storedJsonCanonical(v: unknown): string {
  return typeof v === 'string' ? canonicalJson(parseStoredJson(v)) : canonicalJson(v);
}

/**
 * Is `existing` the same case as `candidate` (a redelivered / re-sent message)?
 * Only the producer's fields count; status, claims and labels may have moved on.
 */
export function sameCase(existing: ReviewItem, candidate: ReviewItem): boolean {
  return (
    existing.caseId === candidate.caseId &&
    existing.model === candidate.model &&
    existing.endpoint === candidate.endpoint &&
    existing.reason === candidate.reason &&
    existing.createdAt === candidate.createdAt &&
    storedJsonCanonical(existing.input) === storedJsonCanonical(candidate.input) &&
    storedJsonCanonical(existing.provisional) === storedJsonCanonical(candidate.provisional)
  );
}

/** input/provisional as stored: a JSON string (our writer) or a map. Unparseable strings are returned as is. */
export function parseStoredJson(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

export function toReviewCase(item: ReviewItem): ReviewCase {
  return { ...item, input: parseStoredJson(item.input), provisional: parseStoredJson(item.provisional) };
}

/** `${prefix}<model>/labelled_date=<YYYY-MM-DD>/<caseId>.json` (prefix is "" or ends with "/"). */
export function groundTruthKey(prefix: string, model: string, labelledAtIso: string, caseId: string): string {
  return `${prefix}${model}/labelled_date=${labelledAtIso.slice(0, 10)}/${caseId}.json`;
}

export interface GroundTruthRecord {
  caseId: string;
  model: string;
  endpoint: string;
  input: unknown;
  provisional: unknown;
  label: string;
  labelledBy: string;
  labelledAt: string;
  reason: ReviewReason;
  notes?: string;
  /** Join key to the captured prediction (cases enqueued before the gateway set ids have none). */
  inferenceId?: string;
  variant?: string;
  /** When the prediction was made (the case's createdAt): label delay = labelledAt - predictedAt. */
  predictedAt: string;
}

export function groundTruthRecord(
  item: ReviewItem,
  label: string,
  labelledBy: string,
  labelledAt: string,
  notes: string | undefined,
): GroundTruthRecord {
  return {
    caseId: item.caseId,
    model: item.model,
    endpoint: item.endpoint,
    input: parseStoredJson(item.input),
    provisional: parseStoredJson(item.provisional),
    label,
    labelledBy,
    labelledAt,
    reason: item.reason,
    ...(notes !== undefined ? { notes } : {}),
    ...(item.inferenceId !== undefined ? { inferenceId: item.inferenceId } : {}),
    ...(item.variant !== undefined ? { variant: item.variant } : {}),
    predictedAt: item.createdAt,
  };
}
