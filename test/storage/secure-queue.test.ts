import { Match, Template } from 'aws-cdk-lib/assertions';
import { CfnElement, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SecureQueue } from '../../lib/storage/secure-queue';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

function pairIn(stack: Stack, props: { fifo?: boolean; removalPolicy?: RemovalPolicy } = {}) {
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const deadLetters = new SecureQueue(stack, 'DeadLetterQueue', { encryptionKey: key, isDeadLetterQueue: true, fifo: props.fifo, removalPolicy: props.removalPolicy });
  const queue = new SecureQueue(stack, 'Queue', {
    encryptionKey: key,
    fifo: props.fifo,
    visibilityTimeout: Duration.minutes(3),
    deadLetterQueue: { queue: deadLetters, maxReceiveCount: 5 },
    removalPolicy: props.removalPolicy,
  });
  return { key, deadLetters, queue };
}

describe('SecureQueue', () => {
  test('a queue with its dead-letter queue, alone in a stack, passes every nag pack and the validator', () => {
    const { findings } = synthAloneThroughGate((stack) => pairIn(stack));
    expect(findings).toEqual([]);
  });

  test('a dead-letter queue alone (its user in another stack) passes every pack: SQS3 is acknowledged on it', () => {
    // GIVEN / WHEN
    const { findings, reports } = synthAloneThroughGate((stack) => {
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      new SecureQueue(stack, 'DeadLetterQueue', { encryptionKey: key, isDeadLetterQueue: true });
    });
    // THEN: nothing left over, and the finding is there as acknowledged, not gone
    expect(findings).toEqual([]);
    const acknowledged = reports.flatMap((r) => r.suppressedViolations ?? []).map((s) => s.ruleName);
    expect(acknowledged).toContain('AwsSolutions-SQS3');
  });

  test('encrypts with the customer key, keeps messages 14 days, redrives to the DLQ and is retained', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    // WHEN
    const { key } = pairIn(stack);
    // THEN
    const template = Template.fromStack(stack);
    const keyArn = { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as CfnElement), 'Arn'] };
    template.hasResource('AWS::SQS::Queue', {
      Properties: {
        KmsMasterKeyId: keyArn,
        MessageRetentionPeriod: 1_209_600,
        VisibilityTimeout: 180,
        RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DeadLetterQueue'), 'Arn'] }, maxReceiveCount: 5 },
      },
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    template.resourceCountIs('AWS::SQS::Queue', 2);
  });

  test('refuses every request not made over TLS', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    pairIn(stack);
    Template.fromStack(stack).resourcePropertiesCountIs(
      'AWS::SQS::QueuePolicy',
      {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      },
      2,
    );
  });

  test('DESTROY is an explicit opt-in, and FIFO queues get .fifo names', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    pairIn(stack, { fifo: true, removalPolicy: RemovalPolicy.DESTROY });
    const queues = Template.fromStack(stack).findResources('AWS::SQS::Queue');
    for (const queue of Object.values<any>(queues)) {
      expect(queue.DeletionPolicy).toBe('Delete');
      expect(queue.Properties.FifoQueue).toBe(true);
    }
  });

  test('keeps the logical ID a plain sqs.Queue had under the same id', () => {
    // GIVEN: the same path, once as sqs.Queue, once as SecureQueue
    const idOf = (make: (scope: Construct, key: kms.IKey) => sqs.Queue) => {
      const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
      const key = new kms.Key(stack, 'Key');
      const queue = make(new Construct(stack, 'Review-fraud-detector'), key);
      return stack.getLogicalId(queue.node.defaultChild as CfnElement);
    };
    // WHEN / THEN
    const plain = idOf((scope, key) => new sqs.Queue(scope, 'DeadLetterQueue', { encryptionMasterKey: key }));
    const secure = idOf((scope, key) => new SecureQueue(scope, 'DeadLetterQueue', { encryptionKey: key, isDeadLetterQueue: true }));
    expect(secure).toBe(plain);
    expect(secure).toBe('ReviewfrauddetectorDeadLetterQueueA6B7CCD7');
  });

  test.each([
    [{}, /set deadLetterQueue .* or isDeadLetterQueue: true/],
    [{ isDeadLetterQueue: true, withDlq: true }, /a dead-letter queue has no dead-letter queue of its own/],
    [{ isDeadLetterQueue: true, contentBasedDeduplication: true }, /contentBasedDeduplication needs fifo: true/],
  ])('rejects %p with a message that says what to change', (input, message) => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    const key = new kms.Key(stack, 'Key');
    const { withDlq, ...rest } = input as { withDlq?: boolean; isDeadLetterQueue?: boolean; contentBasedDeduplication?: boolean };
    const deadLetterQueue = withDlq ? { queue: new SecureQueue(stack, 'Dlq', { encryptionKey: key, isDeadLetterQueue: true }), maxReceiveCount: 3 } : undefined;
    expect(() => new SecureQueue(stack, 'Queue', { encryptionKey: key, deadLetterQueue, ...rest })).toThrow(message);
  });
});
