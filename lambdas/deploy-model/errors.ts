/**
 * Error taxonomy of the deploy-model Lambda.
 *
 * Two outcomes matter for an SQS message:
 *  - a *clear failure* ({@link DeploymentFailure}): retrying can never make it
 *    succeed (malformed event, missing or invalid package, unknown variant...).
 *    It is recorded as a `Model Deployment Failed` event, the alarm topic is
 *    notified, and the message is ACKED.
 *  - anything else is *retryable*: the message is reported in
 *    batchItemFailures, SQS redelivers it later and, after maxReceiveCount,
 *    parks it in the DLQ (which is alarmed). Unknown errors (bugs,
 *    AccessDenied after an IAM mistake...) deliberately fall in this bucket:
 *    the safe default is to keep the approval in the queue, never to lose it.
 */

import { isTransientAwsError, messageOf, nameOf } from '../shared/aws-errors';
import { describeError as describeAnyError } from '../shared/runtime';

export { httpStatusOf, messageOf } from '../shared/aws-errors';

/** Reasons carried by `Model Deployment Failed` events (a contract for consumers). */
export type FailureReason =
  | 'malformed-event'
  | 'package-not-found'
  | 'invalid-package'
  | 'endpoint-not-found'
  | 'endpoint-not-updatable'
  | 'unknown-variant'
  | 'name-collision'
  | 'previously-rolled-back'
  | 'sagemaker-rejected'
  /** The artifact is unpinned, or is not the pinned version or bytes (replaced after approval?). */
  | 'artifact-mismatch';

/** A failure that retrying cannot fix: record it, notify, ack the message. */
export class DeploymentFailure extends Error {
  override readonly name = 'DeploymentFailure';
  constructor(
    readonly reason: FailureReason,
    message: string,
  ) {
    super(message);
  }
}

/** Transient condition (busy endpoint, throttling...): report the message as failed so SQS retries it. */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/** The Lambda's environment is invalid (operator error): fail the whole batch loudly. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/**
 * What a SageMaker (or other AWS) error means for us.
 *  - transient:      throttling, 5xx, network, $retryable → retry
 *  - conflict:       the endpoint is being updated by someone else → retry
 *  - already-exists: Create* of a resource that exists → idempotent success (after verification)
 *  - not-found:      Describe* of a resource that does not exist
 *  - rejected:       any other ValidationException: the request itself is invalid → clear failure
 *  - unknown:        everything else (AccessDenied, bugs...) → retry (never lose the approval)
 */
export type ErrorClass = 'transient' | 'conflict' | 'already-exists' | 'not-found' | 'rejected' | 'unknown';

// Real SageMaker messages (and moto's equivalents) for the cases that are not
// distinguished by an error name: SageMaker reports most of them as ValidationException.
const CONFLICT_MESSAGE = /cannot update in-progress|in-progress endpoint|is (currently )?being updated|update is in progress/i;
const ALREADY_EXISTS_MESSAGE = /already exist/i;
const NOT_FOUND_MESSAGE = /does not exist|could not find|not found/i;

export function classifyError(err: unknown): ErrorClass {
  if (typeof err !== 'object' || err === null) return 'unknown';
  if (isTransientAwsError(err)) return 'transient';
  const name = nameOf(err);
  const message = messageOf(err);

  if (name === 'ResourceInUse' || name === 'ConflictException') return 'conflict';
  if (name === 'ResourceNotFound' || name === 'ResourceNotFoundException') return 'not-found';
  if (name === 'ValidationException') {
    if (CONFLICT_MESSAGE.test(message)) return 'conflict';
    if (ALREADY_EXISTS_MESSAGE.test(message)) return 'already-exists';
    if (NOT_FOUND_MESSAGE.test(message)) return 'not-found';
    return 'rejected';
  }
  return 'unknown';
}

/** Should the SQS message be retried for this (non-DeploymentFailure) error? */
export function isRetryable(err: unknown): boolean {
  if (err instanceof DeploymentFailure) return false;
  if (err instanceof RetryableError) return true;
  const cls = classifyError(err);
  return cls === 'transient' || cls === 'conflict' || cls === 'unknown';
}

/**
 * Log-safe description of an error: the shared describer (lambdas/shared/runtime.ts) plus what
 * this Lambda's taxonomy says about it (errorClass, and the failure reason of a DeploymentFailure).
 */
export function describeError(err: unknown): Record<string, unknown> {
  return {
    ...describeAnyError(err),
    errorClass: err instanceof DeploymentFailure ? 'failure' : err instanceof RetryableError ? 'retryable' : classifyError(err),
    ...(err instanceof DeploymentFailure ? { reason: err.reason } : {}),
  };
}
