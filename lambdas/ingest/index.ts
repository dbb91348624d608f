/**
 * Plinth data-lake ingestion Lambda (SQS <- S3 ObjectCreated notifications).
 *
 * Contract: returns an SQS partial batch response. A message is reported in
 * `batchItemFailures` when its body is not an S3 event, or when any of its
 * objects hit a non-data error (S3/SSM/EventBridge throttling, 5xx, network,
 * bad configuration, bug). It is never thrown for the whole batch. Data
 * problems never fail a message: they are quarantined and acknowledged.
 *
 * Env: RAW_BUCKET, CURATED_BUCKET, QUARANTINE_BUCKET, SCHEMA_PARAMETER_PREFIX,
 * SCHEMA_CACHE_SECONDS (60), EVENT_BUS_NAME (default), PLINTH_ENV.
 */

import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { processSqsBatch } from '../shared/sqs-batch';
import { clients } from './clients';
import { loadConfig } from './config';
import { describeError } from './errors';
import { logger } from './log';
import { ProcessContext, processObject } from './process-object';
import { parseSqsBody } from './s3-event';
import { SchemaStore, ssmFetcher } from './schema-store';

/** Messages processed concurrently within one batch. */
export const MESSAGE_CONCURRENCY = 4;

const schemas = new SchemaStore(ssmFetcher(() => clients.ssm));

/** Forget cached schemas (tests and the local smoke run several configurations in one process). */
export function resetSchemaCache(): void {
  schemas.clear();
}

/** A message that must be redelivered: reported in batchItemFailures. */
class MessageFailed extends Error {
  override readonly name = 'MessageFailed';
}

/** Returns true when the message can be deleted from the queue. */
async function processMessage(msg: SQSRecord, ctx: ProcessContext): Promise<boolean> {
  const msgFields = { messageId: msg.messageId, receiveCount: msg.attributes?.ApproximateReceiveCount };
  let parsed;
  try {
    parsed = parseSqsBody(msg.body);
  } catch (err) {
    logger.error('malformed SQS message: reported as batch item failure (DLQ after maxReceiveCount)', {
      ...msgFields,
      ...describeError(err),
      bodyExcerpt: typeof msg.body === 'string' ? msg.body.slice(0, 500) : null,
    });
    return false;
  }
  if (parsed.kind === 'test-event') {
    logger.info('s3:TestEvent acknowledged', msgFields);
    return true;
  }
  for (const ig of parsed.ignored) logger.info('ignoring non-ObjectCreated S3 event', { ...msgFields, ...ig });

  let ok = true;
  for (const ref of parsed.objects) {
    try {
      await processObject(ref, ctx);
    } catch (err) {
      // Keep going with the message's other objects (finished ones are skipped via
      // their manifest on retry), but fail the message so SQS redelivers it.
      ok = false;
      logger.error('object processing failed: message will be retried', {
        ...msgFields,
        bucket: ref.bucket,
        key: ref.key,
        etag: ref.etag,
        ...describeError(err),
      });
    }
  }
  return ok;
}

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const records = Array.isArray(event?.Records) ? event.Records : [];
  let ctx: ProcessContext;
  try {
    ctx = { config: loadConfig(), clients, schemas };
  } catch (err) {
    logger.error('ingest Lambda misconfigured: failing every message in the batch', describeError(err));
    return { batchItemFailures: records.map((r) => ({ itemIdentifier: r.messageId })) };
  }
  return processSqsBatch(event, MESSAGE_CONCURRENCY, async (msg) => {
    let ok: boolean;
    try {
      ok = await processMessage(msg, ctx);
    } catch (err) {
      ok = false;
      logger.error('unexpected error while processing message', { messageId: msg.messageId, ...describeError(err) });
    }
    if (!ok) throw new MessageFailed(msg.messageId);
  });
}
