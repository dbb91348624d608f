/**
 * deploy-model's log lines, scenario by scenario, against the golden capture from before the
 * Powertools change (see golden.ts). SageMaker, EventBridge and SNS are aws-sdk-client-mock.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DescribeModelPackageCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/deploy-model/index';
import { expectGolden, goldenRun } from './golden';
import type { GoldenRecord } from './golden';
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
    Records: bodies.map((body, i) => ({ messageId: `msg-${i + 1}`, receiptHandle: `rh-${i + 1}`, body, attributes: { ApproximateReceiveCount: '1', MessageGroupId: 'fraud' }, messageAttributes: {}, eventSource: 'aws:sqs' })),
  }) as unknown as SQSEvent;

describe('deploy-model telemetry is what it was before Powertools', () => {
  useEnvironment(ENV);
  beforeEach(() => {
    jest.useFakeTimers({ now: Date.parse('2030-01-01T00:00:00.000Z'), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    for (const m of [sagemaker, events, sns]) m.reset();
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    sns.on(PublishCommand).resolves({ MessageId: 'sns-1' });
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('writes the same log fields in every scenario', async () => {
    // GIVEN a malformed event, an approval that is not Approved, one for another group, one whose
    // package cannot be read (throttled, retried), and a broken configuration
    const scenarios: Record<string, GoldenRecord[]> = {};
    scenarios.malformed = await goldenRun(() => handler(batch('{"detail-type": "SageMaker Model Package State Change", ')));
    scenarios.skipped = await goldenRun(() => handler(batch(approval('Rejected'), approval('Approved', 'churn'))));
    sagemaker.on(DescribeModelPackageCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    scenarios.retried = await goldenRun(() => handler(batch(approval())));
    process.env.CANARY_PERCENT = '250';
    try {
      scenarios.misconfigured = await goldenRun(() => handler(batch(approval())));
    } finally {
      process.env.CANARY_PERCENT = ENV.CANARY_PERCENT;
    }
    // THEN each wrote what it wrote before
    // (the failure text of 'deployment failed' is `failureMessage`: Powertools reserves `message`)
    expectGolden('deploy-model', scenarios, { renamed: { message: 'failureMessage' } });
  });
});
