/**
 * Records deployment decisions on the event bus and notifies the alarm topic.
 *
 * EventBridge events (source `plinth.deploy-model`):
 *  - `Model Deployment Started`: the promotion decision for the environment.
 *  - `Model Deployment Failed`:  a clear failure (also sent to ALARM_TOPIC_ARN).
 */

import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand } from '@aws-sdk/client-sns';
import type { DeployClients } from './clients';
import type { DeployConfig } from './config';
import type { FailureReason } from './errors';

export const EVENT_SOURCE = 'plinth.deploy-model';
export const STARTED_DETAIL_TYPE = 'Model Deployment Started';
export const FAILED_DETAIL_TYPE = 'Model Deployment Failed';

interface StartedCommon {
  env: string;
  modelPackageArn: string;
  group: string;
  version: number;
  endpointName: string;
  variantName: string;
  modelName: string;
}

/** A blue/green canary on the endpoint (plain variants). */
export interface EndpointStartedDetail extends StartedCommon {
  endpointConfigName: string;
  previousEndpointConfigName: string;
  canaryPercent: number;
}

/** A rolling update of the inference component that serves the variant. */
export interface InferenceComponentStartedDetail extends StartedCommon {
  inferenceComponentName: string;
  previousModelName: string;
  copiesPerBatch: number;
}

export type StartedDetail = EndpointStartedDetail | InferenceComponentStartedDetail;

export interface FailedDetail {
  env: string;
  reason: FailureReason;
  message: string;
  modelPackageArn?: string;
  group?: string;
  version?: number;
  endpointName?: string;
  variantName?: string;
  /** SQS message id and EventBridge event id of the approval, for correlation. */
  sqsMessageId: string;
  sourceEventId?: string;
}

/** Put one event; a partially failed PutEvents is an error (the caller decides whether to retry). */
export async function putEvent(clients: DeployClients, config: DeployConfig, detailType: string, detail: object, resources: string[] = []): Promise<void> {
  const out = await clients.eventBridge.send(
    new PutEventsCommand({
      Entries: [{ EventBusName: config.eventBusName, Source: EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail), Resources: resources }],
    }),
  );
  if ((out.FailedEntryCount ?? 0) > 0) {
    const entry = out.Entries?.[0];
    const err = new Error(`PutEvents rejected the ${detailType} event: ${entry?.ErrorCode ?? 'unknown'} ${entry?.ErrorMessage ?? ''}`.trim());
    // Treated as transient: EventBridge per-entry failures are throttling/internal errors.
    Object.assign(err, { name: 'PutEventsEntryFailed', $retryable: {} });
    throw err;
  }
}

export async function notifyAlarmTopic(clients: DeployClients, config: DeployConfig, subject: string, body: object): Promise<void> {
  // SNS subjects: ASCII, no newlines, at most 100 characters.
  const safeSubject = subject.replace(/[^\x20-\x7e]/g, '?').slice(0, 100);
  await clients.sns.send(new PublishCommand({ TopicArn: config.alarmTopicArn, Subject: safeSubject, Message: JSON.stringify(body, null, 2) }));
}

/** Record a clear failure: event on the bus + alarm topic. Throws if either could not be delivered. */
export async function recordFailure(clients: DeployClients, config: DeployConfig, detail: FailedDetail): Promise<void> {
  const resources = detail.modelPackageArn && detail.modelPackageArn.startsWith('arn:') ? [detail.modelPackageArn] : [];
  await putEvent(clients, config, FAILED_DETAIL_TYPE, detail, resources);
  const what = detail.group && detail.version ? ` ${detail.group} v${detail.version}` : '';
  await notifyAlarmTopic(clients, config, `[plinth ${config.env}] Model deployment failed${what}: ${detail.reason}`, detail);
}
