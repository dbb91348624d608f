import { Annotations, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import type { AlarmRouting, Severity } from '../monitoring/failure-modes';

/** Properties for {@link PlatformAlarmTopic}. */
export interface PlatformAlarmTopicProps {
  /**
   * The key that encrypts notifications at rest. CloudWatch alarms of this account are allowed to
   * use it; a key imported from outside the app keeps its own policy, so that statement must be in
   * it already (synth warns).
   */
  readonly encryptionKey: kms.IKey;
  /**
   * Addresses that receive every alarm.
   *
   * @default - none (subscribe later, e.g. a pager integration)
   */
  readonly emails?: string[];
}

/**
 * The encrypted, TLS-only SNS topics every Plinth alarm notifies, one per severity: `topic`
 * (critical: page on-call) and `warningTopic` (the team's queue). Pass the construct itself as a
 * construct's `alarmAction` to route each alarm by its severity.
 */
export class PlatformAlarmTopic extends Construct implements AlarmRouting {
  /** Critical alarms, budgets and cost anomalies. */
  public readonly topic: sns.Topic;
  public readonly warningTopic: sns.Topic;
  /** The critical action, for callers that do not route by severity. */
  public readonly alarmAction: cloudwatch.IAlarmAction;
  private readonly warningAction: cloudwatch.IAlarmAction;

  constructor(scope: Construct, id: string, props: PlatformAlarmTopicProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'Resource', { masterKey: props.encryptionKey, enforceSSL: true });
    this.warningTopic = new sns.Topic(this, 'Warning', { masterKey: props.encryptionKey, enforceSSL: true });
    const allowAlarms = props.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToNotify',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        // Only alarms of this account (no confused deputy through another account's CloudWatch).
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    if (!allowAlarms.statementAdded) {
      Annotations.of(this).addWarningV2(
        'plinth:alarm-key-policy',
        'The alarm topics\' key is imported, so its policy cannot be changed here: allow cloudwatch.amazonaws.com kms:Decrypt and kms:GenerateDataKey* in it (aws:SourceAccount this account), or pass a key created in this app. Without it, alarms cannot publish.',
      );
    }
    for (const email of props.emails ?? []) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(email));
      this.warningTopic.addSubscription(new subscriptions.EmailSubscription(email));
    }
    this.alarmAction = new cwActions.SnsAction(this.topic);
    this.warningAction = new cwActions.SnsAction(this.warningTopic);
  }

  public actionFor(severity: Severity): cloudwatch.IAlarmAction {
    return severity === 'critical' ? this.alarmAction : this.warningAction;
  }
}
