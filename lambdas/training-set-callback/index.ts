/**
 * training-set-callback — the adapter between a training pipeline's callback step and its
 * bridge state machine.
 *
 * SageMaker Pipelines sends each callback step's token to an SQS queue, as a JSON body
 * `{ token, pipelineExecutionArn, arguments: {...}, status }`. This handler reads a batch from
 * that queue and puts one `Training Set Requested` event per message (EventBridge's default bus),
 * whose rule starts the pipeline's bridge (lib/training/training-pipeline.ts) with the event's
 * detail as input. The bridge runs the training-set job and answers the callback.
 *
 * Env: EVENT_SOURCE (plinth.training), DETAIL_TYPE (Training Set Requested), PLINTH_ENV.
 *
 * Nothing is lost: a body that is not a callback message is reported as a batch item failure
 * (it is retried, then lands in the queue's dead-letter queue, which alarms); a PutEvents entry
 * that fails is a batch item failure too.
 */

import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod'; // not `{ z }`: the namespace import lets esbuild drop zod's unused locales (cold start)
import { messageOf } from '../shared/aws-errors';
import { createLogger, describeError, parseEnv } from '../shared/runtime';
import { processSqsBatch } from '../shared/sqs-batch';

const logger = createLogger('plinth-training-set-callback');
/** The function's SDK client, created once per execution environment. */
export const eventBridge = new EventBridgeClient({ maxAttempts: 3 });

/** The callback message SageMaker Pipelines sends. */
export const callbackMessageSchema = z.object({
  token: z.string().min(1, 'token is missing'),
  pipelineExecutionArn: z.string().min(1, 'pipelineExecutionArn is missing'),
  arguments: z.object({
    modelPackageGroupName: z.string().min(1),
    name: z.string().regex(/^[a-z0-9-]+$/, 'arguments.name must be [a-z0-9-]+'),
    runId: z.string().min(1),
    windowEnd: z.string(),
    windowMillis: z.string().regex(/^\d+$/),
    validationMillis: z.string().regex(/^\d+$/),
    holdoutMillis: z.string().regex(/^\d+$/),
    labels: z.string().min(2),
    featureGroups: z.string().min(2),
    noChampionUri: z.string().regex(/^s3:\/\//),
  }),
});

/** The variables CDK sets (TrainingPipeline); parsed at the edge of every invocation. */
export const envSchema = z.object({ EVENT_SOURCE: z.string().min(1), DETAIL_TYPE: z.string().min(1), PLINTH_ENV: z.string().optional() });

/** Messages handled one after another, in the batch's order, as before. */
const MESSAGE_CONCURRENCY = 1;

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const env = parseEnv(envSchema);
  return processSqsBatch(event, MESSAGE_CONCURRENCY, async (record) => {
    let message: z.infer<typeof callbackMessageSchema>;
    try {
      const parsed = callbackMessageSchema.safeParse(JSON.parse(record.body));
      if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      message = parsed.data;
    } catch (err) {
      logger.error('not a callback message; left for the dead-letter queue', { messageId: record.messageId, reason: messageOf(err), environment: env.PLINTH_ENV });
      throw err;
    }
    try {
      const res = await eventBridge.send(
        new PutEventsCommand({
          Entries: [{ Source: env.EVENT_SOURCE, DetailType: env.DETAIL_TYPE, Detail: JSON.stringify(message), Resources: [message.pipelineExecutionArn] }],
        }),
      );
      if ((res.FailedEntryCount ?? 0) > 0) throw new Error(`PutEvents refused the entry: ${res.Entries?.[0]?.ErrorCode} ${res.Entries?.[0]?.ErrorMessage}`);
      logger.info('training set requested', { pipelineExecutionArn: message.pipelineExecutionArn, runId: message.arguments.runId, environment: env.PLINTH_ENV });
    } catch (err) {
      logger.error('could not request the training set; will retry', { messageId: record.messageId, ...describeError(err), environment: env.PLINTH_ENV });
      throw err;
    }
  });
}
