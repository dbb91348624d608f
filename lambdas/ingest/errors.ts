/**
 * Error taxonomy for the ingest Lambda.
 *
 * The single most important distinction in this Lambda: is a failure caused by
 * the *data* (quarantine the object, acknowledge the message) or by the
 * *infrastructure* (report the message as failed so SQS retries it and, after
 * maxReceiveCount, parks it in the DLQ)?
 *
 * Only errors explicitly raised as {@link UnreadableDataError} by the decoding
 * layer count as data errors. Everything else (SDK errors, stream resets,
 * unknown bugs) is treated as "retry", never as "quarantine" — the safe default
 * is to keep the data in the raw bucket and the message in the queue.
 */

import { httpStatusOf, isTransientAwsError, messageOf, type SdkLikeError } from '../shared/aws-errors';

export { httpStatusOf, messageOf } from '../shared/aws-errors';
/** Compact, log-safe description of an error (the one shared describer). */
export { describeError } from '../shared/runtime';

/** Rules used when a whole object is quarantined as unreadable. */
export type UnreadableRule =
  | 'unknown-dataset'
  | 'empty-object'
  | 'corrupt-gzip'
  | 'invalid-utf8'
  | 'csv-missing-header'
  | 'csv-invalid-header';

/** The object's bytes cannot be turned into records. Quarantine the whole object. */
export class UnreadableDataError extends Error {
  override readonly name = 'UnreadableDataError';
  constructor(
    readonly rule: UnreadableRule,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reading the source object's byte stream failed (connection reset, timeout,
 * ...). Wrapped so that it can never be confused with a gunzip/decoding error
 * that surfaces through the same pipeline. Always transient.
 */
export class SourceStreamError extends Error {
  override readonly name = 'SourceStreamError';
  /** The SDK's "a retry may succeed" marker, which the shared describer and classifier read. */
  readonly $retryable = { throttling: false };
  constructor(readonly original: unknown) {
    super(`reading source object failed: ${messageOf(original)}`, { cause: original });
  }
}

/** The SQS message body is not an S3 event notification. */
export class MalformedMessageError extends Error {
  override readonly name = 'MalformedMessageError';
}

/** The dataset schema parameter exists but is not a valid DatasetSchema (operator error: retry, do not quarantine). */
export class InvalidSchemaConfigError extends Error {
  override readonly name = 'InvalidSchemaConfigError';
}

/** An internal invariant was violated (e.g. record conservation). Never swallow. */
export class InvariantError extends Error {
  override readonly name = 'InvariantError';
}

/**
 * Best-effort classification used for logging and for deciding whether an
 * error is worth labelling "transient". Note that the handler retries on ANY
 * non-data error, transient or not; this only informs logs.
 */
export function isTransientError(err: unknown): boolean {
  return err instanceof SourceStreamError || isTransientAwsError(err);
}

/** True for "the object (or that ETag of it) no longer exists". */
export function isObjectGoneError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const name = (err as SdkLikeError).name;
  const status = httpStatusOf(err);
  return name === 'NoSuchKey' || name === 'PreconditionFailed' || status === 412 || (status === 404 && name !== 'NoSuchBucket');
}
