/**
 * The inference id: the key that joins an answer to the label that judges it.
 *
 * Every request gets one. A caller that already has its own id for the
 * decision (a transaction id, say) sends it in the `x-inference-id` header;
 * otherwise the gateway generates a UUID v4. The id is passed to SageMaker as
 * `InferenceId` (so data capture records it in eventMetadata.inferenceId),
 * returned to the caller as `inferenceId`, and kept on the review case, so a
 * ground-truth row `{ inference_id, label, observed_at }` can be joined back.
 *
 * Format (checked, 400 rule `inference-id` otherwise): 1 to 64 characters of
 * letters, digits and `._:-`, starting with a letter or digit. SageMaker accepts
 * up to 64 printable characters; the narrower set keeps the id safe in S3
 * keys, SQL literals, CSV label files and metric properties.
 */

import { randomUUID } from 'node:crypto';

export const INFERENCE_ID_HEADER = 'x-inference-id';
export const INFERENCE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export type InferenceIdResult = { ok: true; inferenceId: string; generated: boolean } | { ok: false; error: string };

/** The caller's id (header names are case-insensitive) or a generated one. */
export function resolveInferenceId(headers: Readonly<Record<string, string | undefined>> | undefined | null): InferenceIdResult {
  let supplied: string | undefined;
  if (headers !== null && typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers)) {
      if (name.toLowerCase() === INFERENCE_ID_HEADER) supplied = value;
    }
  }
  if (supplied === undefined) return { ok: true, inferenceId: randomUUID(), generated: true };
  if (typeof supplied !== 'string' || !INFERENCE_ID.test(supplied)) {
    return {
      ok: false,
      error: `header ${INFERENCE_ID_HEADER} must be 1-64 letters, digits or ._:- starting with a letter or digit`,
    };
  }
  return { ok: true, inferenceId: supplied, generated: false };
}
