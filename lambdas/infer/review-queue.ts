/**
 * Review cases on REVIEW_QUEUE_URL (SQS standard queue, KMS-encrypted: the
 * Lambda role needs kms:GenerateDataKey on the key, nothing changes here).
 *
 * Message body (JSON):
 *   { caseId (uuid v4), model: MODEL_NAME, endpoint: ENDPOINT_NAME,
 *     input (the validated features only), provisional: {prediction, label, confidence},
 *     reason, reasons, answeredBy: {model:'primary'|'fallback', endpoint?},
 *     environment: PLINTH_ENV, requestId?, createdAt (ISO-8601),
 *     inferenceId (the answer's join key for ground truth), variant? }
 * Message attributes: caseId, reason, model (for routing/filtering without
 * parsing the body).
 *
 * Delivery is at least once: SendMessage is retried by the SDK (3 attempts);
 * a send whose answer was lost can produce a duplicate case with the same
 * input, never a lost one. enqueueReviewCase never throws: it reports.
 */

import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { Features } from './input-schema';
import type { ReviewReason } from './routing';

export interface ReviewCase {
  caseId: string;
  model: string;
  endpoint: string;
  input: Features;
  provisional: { prediction: Record<string, unknown>; label: string; confidence: number };
  reason: ReviewReason;
  reasons: ReviewReason[];
  answeredBy: { model: 'primary' | 'fallback'; endpoint?: string };
  environment: string;
  requestId?: string;
  createdAt: string;
  /** The answer's inference id: the reviewer's label joins back to the prediction by it. */
  inferenceId?: string;
  /** The production variant that answered. */
  variant?: string;
}

/**
 * JSON that SQS accepts whatever the request text holds. SQS allows only #x9 #xA #xD, #x20-#xD7FF,
 * #xE000-#xFFFD and #x10000-#x10FFFF in a message; JSON.stringify already escapes control
 * characters and lone surrogates, so the two noncharacters U+FFFE and U+FFFF are escaped here.
 * JSON.parse gives back the exact text: consumers need no change.
 */
export function toSqsSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\uFFFE\uFFFF]/g, (c) => `\\u${c.charCodeAt(0).toString(16)}`);
}

export type EnqueueResult = { ok: true; messageId?: string } | { ok: false; error: unknown };

export async function enqueueReviewCase(sqs: SQSClient, queueUrl: string, reviewCase: ReviewCase): Promise<EnqueueResult> {
  try {
    const out = await sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: toSqsSafeJson(reviewCase),
        MessageAttributes: {
          caseId: { DataType: 'String', StringValue: reviewCase.caseId },
          reason: { DataType: 'String', StringValue: reviewCase.reason },
          model: { DataType: 'String', StringValue: reviewCase.model },
          ...(reviewCase.inferenceId ? { inferenceId: { DataType: 'String', StringValue: reviewCase.inferenceId } } : {}),
        },
      }),
    );
    return { ok: true, ...(out.MessageId ? { messageId: out.MessageId } : {}) };
  } catch (error) {
    return { ok: false, error };
  }
}
