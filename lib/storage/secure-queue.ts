import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { PlinthError } from '../errors';
import { acknowledgeFinding } from '../compliance/acknowledge';
import { CONTROL_TOWER_PLUGIN } from '../compliance/control-tower';
import { PLATFORM_WAIVER } from '../compliance/platform-waiver';

/** Properties for {@link SecureQueue}. */
export interface SecureQueueProps {
  /** The customer-managed key that encrypts every message (SSE-KMS). */
  readonly encryptionKey: kms.IKey;
  /**
   * Where a message goes after it has failed `maxReceiveCount` receives. Every queue that is
   * consumed has one; only a dead-letter queue itself goes without (set `isDeadLetterQueue`).
   *
   * @default - none; then `isDeadLetterQueue` must be true
   */
  readonly deadLetterQueue?: sqs.DeadLetterQueue;
  /**
   * This queue is itself a dead-letter queue: of another queue's redrive policy, a Lambda
   * function's asynchronous failures, or an EventBridge target.
   *
   * @default false
   */
  readonly isDeadLetterQueue?: boolean;
  /**
   * A FIFO queue (its name then ends in `.fifo`, generated).
   *
   * @default false
   */
  readonly fifo?: boolean;
  /**
   * FIFO only: deduplicate on a SHA-256 of the body instead of a caller's deduplication id.
   *
   * @default false
   */
  readonly contentBasedDeduplication?: boolean;
  /**
   * How long a received message stays hidden. For a Lambda source, at least six times the
   * function's timeout (AWS's guidance).
   *
   * @default Duration.seconds(30)
   */
  readonly visibilityTimeout?: Duration;
  /**
   * How long an unconsumed message is kept.
   *
   * @default Duration.days(14) - the longest SQS allows, so a dead letter waits two weeks for an operator
   */
  readonly retentionPeriod?: Duration;
  /**
   * RETAIN keeps the queue and its messages when it leaves the stack; DESTROY is the dev opt-in.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The only SQS queue Plinth creates: SSE-KMS with a customer-managed key, a policy that refuses
 * every request not made over TLS, a dead-letter queue unless it is one, 14 days' retention, and
 * RETAIN unless DESTROY is explicitly chosen.
 *
 * It is an `sqs.Queue`, so grants, metrics and event sources work as on any queue, and the queue
 * keeps the logical ID it had as a plain `sqs.Queue` under the same construct id.
 */
export class SecureQueue extends sqs.Queue {
  constructor(scope: Construct, id: string, props: SecureQueueProps) {
    const isDeadLetterQueue = props.isDeadLetterQueue ?? false;
    if (isDeadLetterQueue === (props.deadLetterQueue !== undefined)) {
      const where = `SecureQueue ${scope.node.path ? `${scope.node.path}/` : ''}${id}`;
      throw new PlinthError(
        isDeadLetterQueue
          ? `${where}: a dead-letter queue has no dead-letter queue of its own; drop deadLetterQueue or isDeadLetterQueue`
          : `${where}: set deadLetterQueue (where failed messages go), or isDeadLetterQueue: true if this queue is where they go`,
      );
    }
    if (props.contentBasedDeduplication && !props.fifo) {
      throw new PlinthError(`SecureQueue ${scope.node.path}/${id}: contentBasedDeduplication needs fifo: true`);
    }
    super(scope, id, {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      fifo: props.fifo,
      contentBasedDeduplication: props.contentBasedDeduplication,
      visibilityTimeout: props.visibilityTimeout,
      retentionPeriod: props.retentionPeriod ?? Duration.days(14),
      deadLetterQueue: props.deadLetterQueue,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    if (isDeadLetterQueue) {
      const reason =
        'This queue is a dead-letter queue; giving it another would only move the same messages one hop further. ' +
        'The rule sees its use only when the queue or function it serves is in the same stack.';
      // Both match only where the user of the DLQ is out of sight: scoped to the construct.
      acknowledgeFinding(this, { rule: 'AwsSolutions-SQS3', reason, ...PLATFORM_WAIVER, ifPresent: true });
      acknowledgeFinding(this, { rule: 'sqs_dlq_check', plugin: CONTROL_TOWER_PLUGIN, reason: `CT.SQS.PR.1: ${reason}`, ...PLATFORM_WAIVER, ifPresent: true });
    }
  }
}
