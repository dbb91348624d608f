import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as kms from 'aws-cdk-lib/aws-kms';
import { PlatformAlarmTopic } from '../../lib/alerting/platform-alarm-topic';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

describe('PlatformAlarmTopic', () => {
  test('alone (with its key) it passes every nag pack and the validator', () => {
    const { findings } = synthAloneThroughGate(
      (stack) => new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }), emails: ['oncall@example.com'] }),
    );
    expect(findings).toEqual([]);
  });

  test('takes an imported key (IKey), and warns that its policy must already let CloudWatch alarms use it', () => {
    // GIVEN a key from outside the app, whose policy this app cannot change
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    const imported = kms.Key.fromKeyArn(stack, 'Imported', stack.formatArn({ service: 'kms', resource: 'key', resourceName: '1234abcd-12ab-34cd-56ef-1234567890ab' }));
    // WHEN
    new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: imported });
    // THEN
    Template.fromStack(stack).resourceCountIs('AWS::SNS::Topic', 2);
    Annotations.fromStack(stack).hasWarning('/S/Alarms', Match.stringLikeRegexp('allow cloudwatch.amazonaws.com kms:Decrypt'));
  });

  test('a key of this app gets the statement and no warning', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }) });
    Annotations.fromStack(stack).hasNoWarning('*', Match.anyValue());
  });

  test('routes critical and warning alarms to two separate topics', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    const alarms = new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }) });
    Template.fromStack(stack).resourceCountIs('AWS::SNS::Topic', 2);
    const probe = new cloudwatch.Alarm(stack, 'Probe', { metric: new cloudwatch.Metric({ namespace: 'N', metricName: 'M' }), threshold: 1, evaluationPeriods: 1 });
    const arnOf = (severity: 'critical' | 'warning') => stack.resolve(alarms.actionFor(severity).bind(stack, probe).alarmActionArn);
    expect(arnOf('critical')).toEqual(stack.resolve(alarms.topic.topicArn));
    expect(arnOf('warning')).toEqual(stack.resolve(alarms.warningTopic.topicArn));
  });

  test('is KMS-encrypted, TLS-only, lets CloudWatch alarms use its key, and subscribes the alarm e-mail', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    // WHEN
    new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: new kms.Key(stack, 'Key', { enableKeyRotation: true }), emails: ['oncall@example.com'] });
    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Key'), 'Arn'] } });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
    template.hasResourceProperties('AWS::KMS::Key', {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchAlarmsToNotify',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
          }),
        ]),
      },
    });
  });
});
