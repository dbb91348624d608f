/**
 * deploy-model over a FIFO batch (Powertools SqsFifoPartialProcessorAsync): the first message
 * that must be retried holds back every later message of its group, which is reported as failed
 * WITHOUT being attempted, so SQS redelivers the group in order. Messages before it are kept.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeModelPackageCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/deploy-model/index';
import { captureOutputAsync, logLines } from '../../support/lambda-output';
import { useEnvironment } from '../../support/environment';

const sagemaker = mockClient(SageMakerClient);
const events = mockClient(EventBridgeClient);
const sns = mockClient(SNSClient);

const ACCOUNT = '123456789012';
const GROUP = 'fraud';
const ENV: Record<string, string> = {
  PLINTH_ENV: 'dev',
  DEPLOYMENTS: JSON.stringify([{ modelPackageGroupName: GROUP, endpointName: 'fraud-dev', variantName: 'primary', rollbackAlarmNames: ['fraud-dev-5xx'] }]),
  MODEL_EXECUTION_ROLE_ARN: `arn:aws:iam::${ACCOUNT}:role/plinth-model-execution`,
  SUBNET_IDS: 'subnet-0aaa1111',
  SECURITY_GROUP_IDS: 'sg-0ccc3333',
  MODELS_KMS_KEY_ARN: `arn:aws:kms:us-east-1:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`,
  ARTIFACT_BUCKET: 'plinth-dev-models',
  ALLOWED_IMAGE_REGISTRIES: `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`,
  CANARY_PERCENT: '10',
  CANARY_WAIT_SECONDS: '600',
  TERMINATION_WAIT_SECONDS: '300',
  MAX_EXECUTION_TIMEOUT_SECONDS: '3600',
  ALARM_TOPIC_ARN: `arn:aws:sns:us-east-1:${ACCOUNT}:plinth-alarms`,
  EVENT_BUS_NAME: 'plinth-dev',
};

function approval(status = 'Approved', group = GROUP): string {
  const ARN = `arn:aws:sagemaker:us-east-1:${ACCOUNT}:model-package/${group}/3`;
  return JSON.stringify({
    version: '0',
    id: `evt-${group}-3-${status}`,
    'detail-type': 'SageMaker Model Package State Change',
    source: 'aws.sagemaker',
    account: ACCOUNT,
    time: '2024-05-06T10:00:00Z',
    region: 'us-east-1',
    resources: [ARN],
    detail: { ModelPackageGroupName: group, ModelPackageVersion: 3, ModelPackageArn: ARN, ModelApprovalStatus: status, ModelPackageStatus: 'Completed' },
  });
}
const batch = (...bodies: string[]): SQSEvent =>
  ({
    Records: bodies.map((body, i) => ({ messageId: `msg-${i + 1}`, receiptHandle: `rh-${i + 1}`, body, attributes: { ApproximateReceiveCount: '1', MessageGroupId: 'model-deployments' }, messageAttributes: {}, eventSource: 'aws:sqs' })),
  }) as unknown as SQSEvent;

const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });

describe('deploy-model: FIFO partial batch failures', () => {
  useEnvironment(ENV);
  beforeEach(() => {
    for (const m of [sagemaker, events, sns]) m.reset();
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    sns.on(PublishCommand).resolves({ MessageId: 'sns-1' });
    sagemaker.on(DescribeModelPackageCommand).rejects(throttled);
  });

  it('a retried approval holds back the later approvals of its group, unattempted', async () => {
    // GIVEN a batch: an approval whose package read is throttled, then two more approvals
    const event = batch(approval(), approval(), approval());
    // WHEN it is processed
    const { result, lines } = await captureOutputAsync(() => handler(event));
    // THEN all three go back to SQS, in order, and only the first was attempted
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'msg-1' }, { itemIdentifier: 'msg-2' }, { itemIdentifier: 'msg-3' }]);
    expect(sagemaker.commandCalls(DescribeModelPackageCommand)).toHaveLength(1);
    expect(logLines(lines).find((l) => String(l.msg).startsWith('messages not attempted'))).toMatchObject({ messageIds: ['msg-2', 'msg-3'] });
  });

  it('messages before the retried one are acknowledged; a malformed one is acknowledged, never retried', async () => {
    // GIVEN a malformed message, an approval for another group, then an approval that is throttled
    const event = batch('{"detail-type": ', approval('Approved', 'churn'), approval());
    // WHEN it is processed
    const { result } = await captureOutputAsync(() => handler(event));
    // THEN only the throttled one is retried
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'msg-3' }]);
  });

  it('a batch whose every message must be retried is reported, not thrown', async () => {
    // GIVEN a single throttled approval
    // WHEN it is processed
    const { result } = await captureOutputAsync(() => handler(batch(approval())));
    // THEN it is a batch item failure (Powertools would otherwise throw FullBatchFailureError)
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'msg-1' }]);
  });
});
