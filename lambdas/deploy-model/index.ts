/**
 * deploy-model Lambda: SageMaker model package approvals → canary deployments.
 *
 * Trigger: EventBridge rule ("SageMaker Model Package State Change",
 * ModelApprovalStatus = Approved) → encrypted SQS queue → this function
 * (SQS event source with ReportBatchItemFailures). Each SQS body is the
 * EventBridge event. See deploy.ts for the per-message flow and errors.ts for
 * what is acknowledged vs retried.
 */

import { processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { clients } from './clients';
import { loadConfig } from './config';
import { ConfigError, describeError } from './errors';
import { logger } from './log';
import { processMessage } from './deploy';

export { buildEndpointConfigInput, copyableTags, hasLocalInstanceStorage } from './endpoint-config';
export { classifyError, isRetryable } from './errors';
export { parseApprovalEvent, parseModelPackageArn } from './event';
export { boundedName, endpointConfigNameFor, modelNameFor, shortHash } from './names';
export { imageRegistryOf, isAllowedImage, validatePackage } from './package-validation';
export { loadConfig } from './config';

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (err) {
    // Operator error: fail the whole invocation loudly (Lambda Errors metric);
    // the messages stay in the queue and end in the DLQ if it is not fixed.
    logger.error('invalid configuration', describeError(err));
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`invalid configuration: ${String(err)}`);
  }
  const records = Array.isArray(event?.Records) ? event.Records : [];

  // One at a time, in queue order (the queue is FIFO): two approvals for the same endpoint must
  // not race. Powertools' FIFO processor stops at the first message that must be retried and
  // reports it AND every later message of its group as failed, so SQS redelivers them in order
  // (a later approval never deploys before an earlier one that is still being retried).
  const attempted = new Set<string>();
  const response = await processPartialResponse(
    { Records: records },
    async (record: SQSRecord) => {
      attempted.add(record.messageId);
      const fields = { messageId: record.messageId, receiveCount: record.attributes?.ApproximateReceiveCount };
      try {
        const outcome = await processMessage({ messageId: record.messageId, body: record.body }, config, clients);
        logger.info('message acknowledged', { ...fields, outcome });
      } catch (err) {
        logger.warn('message will be retried', { ...fields, ...describeError(err) });
        throw err;
      }
    },
    new SqsFifoPartialProcessorAsync(),
    { skipGroupOnError: true, throwOnFullBatchFailure: false },
  );
  const notAttempted = response.batchItemFailures.map((f) => f.itemIdentifier).filter((id) => !attempted.has(id));
  if (notAttempted.length > 0) {
    logger.info('messages not attempted: an earlier message of their FIFO group will be retried first', { messageIds: notAttempted });
  }
  return { batchItemFailures: response.batchItemFailures };
}
