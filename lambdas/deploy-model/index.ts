/**
 * deploy-model Lambda: SageMaker model package approvals → canary deployments.
 *
 * Trigger: EventBridge rule ("SageMaker Model Package State Change",
 * ModelApprovalStatus = Approved) → encrypted SQS queue → this function
 * (SQS event source with ReportBatchItemFailures). Each SQS body is the
 * EventBridge event. See deploy.ts for the per-message flow and errors.ts for
 * what is acknowledged vs retried.
 */

import type { SQSBatchItemFailure, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { getClients } from './clients';
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
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    // Operator error: fail the whole invocation loudly (Lambda Errors metric);
    // the messages stay in the queue and end in the DLQ if it is not fixed.
    logger.error('invalid configuration', describeError(err));
    if (err instanceof ConfigError) throw err;
    throw new ConfigError(`invalid configuration: ${String(err)}`);
  }
  const clients = getClients();
  const batchItemFailures: SQSBatchItemFailure[] = [];

  // Sequential on purpose: two approvals for the same endpoint in one batch
  // must not race; the second one finds the endpoint Updating and is retried.
  for (const record of event.Records ?? []) {
    const fields = { messageId: record.messageId, receiveCount: record.attributes?.ApproximateReceiveCount };
    try {
      const outcome = await processMessage({ messageId: record.messageId, body: record.body }, config, clients);
      logger.info('message acknowledged', { ...fields, outcome });
    } catch (err) {
      logger.warn('message will be retried', { ...fields, ...describeError(err) });
      batchItemFailures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures };
}
