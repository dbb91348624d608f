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
 * Env: REVIEW_TABLE, SLA_MINUTES, PLINTH_ENV.
 * EMF (Plinth/Review, dimension Model): CasesEnqueued (new cases only).
 */

import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { newCaseItem, parseReviewMessage, sameCase } from '../shared-review/case';
import { getReviewClients } from '../shared-review/clients';
import { now } from '../shared-review/clock';
import { plinthEnv, slaMinutes, tableName } from '../shared-review/config';
import { createLogger, describeError, emitMetrics } from '../shared-review/log';
import { ReviewTable } from '../shared-review/table';

const logger = createLogger('plinth-review-intake');

/** Messages written concurrently within one batch. */
export const MESSAGE_CONCURRENCY = 5;

type Outcome = { ok: true; created: boolean; model: string } | { ok: false };

async function processMessage(msg: SQSRecord, table: ReviewTable, sla: number): Promise<Outcome> {
  const fields = { messageId: msg.messageId, receiveCount: msg.attributes?.ApproximateReceiveCount };
  const parsed = parseReviewMessage(msg.body, now().getTime());
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

async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const records = Array.isArray(event?.Records) ? event.Records : [];
  let table: ReviewTable;
  let sla: number;
  try {
    sla = slaMinutes();
    table = new ReviewTable(getReviewClients().ddb, tableName());
  } catch (err) {
    logger.error('review-intake misconfigured: failing every message in the batch', describeError(err));
    return { batchItemFailures: records.map((r) => ({ itemIdentifier: r.messageId })) };
  }

  const failed = new Set<string>();
  const enqueued = new Map<string, number>();
  await forEachLimit(records, MESSAGE_CONCURRENCY, async (msg) => {
    let outcome: Outcome;
    try {
      outcome = await processMessage(msg, table, sla);
    } catch (err) {
      outcome = { ok: false };
      logger.error('writing review case failed: message will be retried', { messageId: msg.messageId, ...describeError(err) });
    }
    if (!outcome.ok) failed.add(msg.messageId);
    else if (outcome.created) enqueued.set(outcome.model, (enqueued.get(outcome.model) ?? 0) + 1);
  });

  const env = plinthEnv();
  for (const [model, count] of enqueued) emitMetrics(model, { CasesEnqueued: count }, { Environment: env });
  const batchItemFailures = records.filter((r) => failed.has(r.messageId)).map((r) => ({ itemIdentifier: r.messageId }));
  logger.info('batch processed', {
    messages: records.length,
    failed: batchItemFailures.length,
    enqueued: [...enqueued.values()].reduce((a, b) => a + b, 0),
  });
  return { batchItemFailures };
}
