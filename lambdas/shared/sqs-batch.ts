/**
 * SQS partial batch responses through Powertools' batch utility, with the bounded concurrency
 * Plinth's SQS handlers had: Powertools' BatchProcessor runs every record of the batch at once (or
 * one at a time), and a batch of up to 10 000 records, each opening S3 streams, must not. The
 * response lists failed records in the batch's order, as before.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { mapLimit } from './runtime';

/** A BatchProcessor for SQS that has at most `limit` record handlers in flight. */
export class BoundedSqsBatchProcessor extends BatchProcessor {
  constructor(readonly limit: number) {
    super(EventType.SQS);
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`BoundedSqsBatchProcessor: limit must be an integer >= 1, got ${limit}`);
  }

  override async process(): Promise<Awaited<ReturnType<BatchProcessor['process']>>> {
    this.prepare();
    const processed = await mapLimit(this.records, this.limit, (record) => this.processRecord(record));
    // Report failures in the batch's order, not in the order they finished.
    const failed = new Set(this.failureMessages);
    this.failureMessages = this.records.filter((r) => failed.has(r));
    this.clean();
    return processed;
  }
}

/**
 * Runs `recordHandler` over the batch's records, at most `limit` at once; a record whose handler
 * throws is reported in `batchItemFailures` (SQS redelivers it, then dead-letters it). Never throws
 * for the whole batch, even when every record fails. An event without a `Records` array is an empty
 * batch.
 */
export async function processSqsBatch(
  event: SQSEvent | null | undefined,
  limit: number,
  recordHandler: (record: SQSRecord) => Promise<unknown>,
): Promise<SQSBatchResponse> {
  const records = Array.isArray(event?.Records) ? event.Records : [];
  if (records.length === 0) return { batchItemFailures: [] };
  const response = await processPartialResponse({ Records: records }, recordHandler, new BoundedSqsBatchProcessor(limit), {
    throwOnFullBatchFailure: false,
  });
  return { batchItemFailures: [...response.batchItemFailures] };
}
