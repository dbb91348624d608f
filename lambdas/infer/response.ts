/**
 * Function-URL responses: always JSON, always `content-type: application/json`.
 *
 *   200  { prediction, label, confidence, degraded, needs_review, model: 'primary'|'fallback', case_id?,
 *          inferenceId, variant? }
 *        case_id is present exactly when needs_review is true. inferenceId is the caller's
 *        x-inference-id or a generated UUID (inference-id.ts); variant is the production
 *        variant that answered (absent when the configured default answered).
 *   400 / 405 / 413  { error, field?, rule, limit? }   the model was not called
 *   500  { error: 'misconfigured' }                     deployment bug (bad env), logged
 *   503  { error: 'unavailable' }                       primary failed/skipped AND the fallback endpoint failed
 *   503  { error: 'review_unavailable', retryable: true, prediction, label, confidence,
 *          degraded, needs_review: true, model }        the answer needed review but the case could
 *                                                       not be enqueued (after SDK retries): the caller
 *                                                       gets the provisional answer but must retry,
 *                                                       so no review case is ever silently lost.
 */

import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { ModelAnswer } from './model-output';

export const JSON_HEADERS = { 'content-type': 'application/json' } as const;

export type AnsweredBy = 'primary' | 'fallback';

export function jsonResponse(statusCode: number, body: unknown): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { ...JSON_HEADERS }, body: JSON.stringify(body) };
}

export interface InferenceBody {
  prediction: Record<string, unknown>;
  label: string;
  confidence: number;
  degraded: boolean;
  needs_review: boolean;
  model: AnsweredBy;
  case_id?: string;
  /** The join key for ground truth (contract D). */
  inferenceId?: string;
  /** The production variant that answered. */
  variant?: string;
}

/** Who answered, for the join: the inference id and the variant. */
export interface AnswerIdentity {
  inferenceId: string;
  variant?: string;
}

export function inferenceBody(
  answer: ModelAnswer,
  model: AnsweredBy,
  needsReview: boolean,
  caseId?: string,
  identity?: AnswerIdentity,
): InferenceBody {
  return {
    prediction: answer.prediction,
    label: answer.label,
    confidence: answer.confidence,
    degraded: model === 'fallback',
    needs_review: needsReview,
    model,
    ...(caseId !== undefined ? { case_id: caseId } : {}),
    ...(identity ? { inferenceId: identity.inferenceId } : {}),
    ...(identity?.variant !== undefined ? { variant: identity.variant } : {}),
  };
}
