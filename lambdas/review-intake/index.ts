/**
 * review-intake: SQS (ReportBatchItemFailures) -> DynamoDB review table.
 *
 * Contract:
 *   - every message is validated by hand (shared-review/case.ts); a malformed
 *     message is reported in `batchItemFailures` (never dropped silently):
 *     SQS redelivers it until maxReceiveCount and then parks it in the DLQ;
 *   - a valid message becomes a `pending` item with
 *     slaDeadline = createdAt + SLA_MINUTES, written with
 *     attribute_not_exists(caseId): a redelivered or re-sent message never
 *     overwrites a case (claimed/labelled/expired stay as they are). If the
 *     existing item is the same case, the message is acknowledged; if the
 *     caseId exists with DIFFERENT content it is a batch item failure (-> DLQ)
 *     so the clash is visible instead of losing either case;
 *   - DynamoDB errors fail only that message (retried by SQS);
 *   - misconfiguration (REVIEW_TABLE / SLA_MINUTES) fails the whole batch.
 *
 * The partial-failure bookkeeping is Powertools' batch utility (lambdas/shared/sqs-batch.ts): a
 * message whose handler throws is reported in batchItemFailures, in batch order, with at most
 * MESSAGE_CONCURRENCY DynamoDB writes in flight. A batch in which every message failed is
 * REPORTED, not thrown, as before.
 *
 * Env: REVIEW_TABLE, SLA_MINUTES, PLINTH_ENV.
 * EMF (Plinth/Review, dimension Model): CasesEnqueued (new cases only).
 */

import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { newCaseItem, parseReviewMessage, sameCase } from '../shared-review/case';
import { ddb } from '../shared-review/clients';
import { plinthEnv, slaMinutes, tableName } from '../shared-review/config';
import { emitReviewMetrics, METRIC_NAMESPACE } from '../shared-review/metrics';
import { ReviewTable } from '../shared-review/table';
import { createLogger, createMetrics, describeError } from '../shared/runtime';
import { processSqsBatch } from '../shared/sqs-batch';

const logger = createLogger('plinth-review-intake');
const metrics = createMetrics(METRIC_NAMESPACE);

/** Messages written concurrently within one batch. */
export const MESSAGE_CONCURRENCY = 5;

type Outcome = { ok: true; created: boolean; model: string } | { ok: false };

async function processMessage(msg: SQSRecord, table: ReviewTable, sla: number): Promise<Outcome> {
  const fields = { messageId: msg.messageId, receiveCount: msg.attributes?.ApproximateReceiveCount };
  const parsed = parseReviewMessage(msg.body, Date.now());
  if (!parsed.ok) {
    logger.error('malformed review message: reported as batch item failure (DLQ after maxReceiveCount)', {
      ...fields,
      errors: parsed.errors,
      bodyExcerpt: typeof msg.body === 'string' ? msg.body.slice(0, 500) : null,
    });
    return { ok: false };
  }
  const item = newCaseItem(parsed.value, sla);
  const caseFields = { ...fields, caseId: item.caseId, model: item.model, reason: item.reason };
  const result = await table.putNewCase(item);
  if (result.kind === 'created') {
    logger.info('review case enqueued', { ...caseFields, slaDeadline: item.slaDeadline });
    return { ok: true, created: true, model: item.model };
  }
  if (sameCase(result.existing, item)) {
    logger.info('duplicate delivery of an existing case: acknowledged, item left unchanged', {
      ...caseFields,
      status: result.existing.status,
    });
    return { ok: true, created: false, model: item.model };
  }
  logger.error('caseId already used by a DIFFERENT case: reported as batch item failure (DLQ)', {
    ...caseFields,
    existingModel: result.existing.model,
    existingCreatedAt: result.existing.createdAt,
    existingStatus: result.existing.status,
  });
  return { ok: false };
}

/** A message that must go back to SQS (logged already): Powertools reports it in batchItemFailures. */
class MessageFailed extends Error {
  override readonly name = 'MessageFailed';
}

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const records = Array.isArray(event?.Records) ? event.Records : [];
  let table: ReviewTable;
  let sla: number;
  try {
    sla = slaMinutes();
    table = new ReviewTable(ddb, tableName());
  } catch (err) {
    logger.error('review-intake misconfigured: failing every message in the batch', { ...describeError(err) });
    return { batchItemFailures: records.map((r) => ({ itemIdentifier: r.messageId })) };
  }

  const enqueued = new Map<string, number>();
  const { batchItemFailures } = await processSqsBatch({ Records: records }, MESSAGE_CONCURRENCY, async (msg: SQSRecord) => {
    let outcome: Outcome;
    try {
      outcome = await processMessage(msg, table, sla);
    } catch (err) {
      logger.error('writing review case failed: message will be retried', { messageId: msg.messageId, ...describeError(err) });
      throw new MessageFailed(msg.messageId);
    }
    if (!outcome.ok) throw new MessageFailed(msg.messageId);
    if (outcome.created) enqueued.set(outcome.model, (enqueued.get(outcome.model) ?? 0) + 1);
  });

  const env = plinthEnv();
  for (const [model, count] of enqueued) emitReviewMetrics(metrics, model, { CasesEnqueued: count }, { Environment: env });
  logger.info('batch processed', {
    messages: records.length,
    failed: batchItemFailures.length,
    enqueued: [...enqueued.values()].reduce((a, b) => a + b, 0),
  });
  return { batchItemFailures };
}
