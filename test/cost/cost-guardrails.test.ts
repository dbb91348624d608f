import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { PlatformAlarmTopic } from '../../lib/alerting/platform-alarm-topic';
import { CostGuardrails, type CostGuardrailsProps } from '../../lib/cost/cost-guardrails';
import { failureModesOf } from '../../lib/monitoring/failure-modes';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

function costIn(stack: Stack, overrides: Partial<CostGuardrailsProps> = {}): CostGuardrails {
  const key = new kms.Key(stack, 'LogsKey', { enableKeyRotation: true });
  const alarms = new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: key });
  return new CostGuardrails(stack, 'Cost', {
    environmentName: 'dev',
    monthlyBudgetUsd: 2000,
    alertThresholdsPercent: [50, 100],
    anomalyThresholdUsd: 100,
    topic: alarms.topic,
    topicKey: key,
    ...overrides,
  });
}

describe('CostGuardrails', () => {
  test('alone (with its alarm topic and key) it passes every nag pack and the validator', () => {
    const { findings } = synthAloneThroughGate((stack) => costIn(stack));
    expect(findings).toEqual([]);
  });

  test('budgets the environment\'s tagged spend monthly, with actual and forecast alerts at each threshold', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    costIn(stack);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Budgets::Budget', {
      Budget: Match.objectLike({
        BudgetType: 'COST',
        TimeUnit: 'MONTHLY',
        BudgetLimit: { Amount: 2000, Unit: 'USD' },
        CostFilters: { TagKeyValue: ['user:plinth:environment$dev'] },
      }),
    });
    const budget = Object.values(template.findResources('AWS::Budgets::Budget'))[0];
    const kinds = budget.Properties.NotificationsWithSubscribers.map((n: any) => `${n.Notification.NotificationType}@${n.Notification.Threshold}`);
    expect(kinds.sort()).toEqual(['ACTUAL@100', 'ACTUAL@50', 'FORECASTED@100', 'FORECASTED@50']);
  });

  test('detects anomalies by service and notifies immediately above the impact threshold', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    const cost = costIn(stack);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CE::AnomalyMonitor', { MonitorType: 'DIMENSIONAL', MonitorDimension: 'SERVICE' });
    template.hasResourceProperties('AWS::CE::AnomalySubscription', { Frequency: 'IMMEDIATE', Subscribers: [Match.objectLike({ Type: 'SNS' })] });
    const expression = JSON.parse(Object.values(template.findResources('AWS::CE::AnomalySubscription'))[0].Properties.ThresholdExpression);
    expect(expression.Dimensions).toEqual({ Key: 'ANOMALY_TOTAL_IMPACT_ABSOLUTE', MatchOptions: ['GREATER_THAN_OR_EQUAL'], Values: ['100'] });
    expect(failureModesOf(cost.budget)).toEqual(['cost-spike']);
    expect(failureModesOf(cost.anomalySubscription)).toEqual(['cost-spike']);
  });

  test('lets only this account\'s Budgets and Cost Anomaly Detection publish to the encrypted topic', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    costIn(stack);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: ['budgets.amazonaws.com', 'costalerts.amazonaws.com'] },
            Action: 'sns:Publish',
            Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
          }),
        ]),
      },
    });
  });

  test.each<[string, Partial<CostGuardrailsProps>, RegExp]>([
    ['a zero budget', { monthlyBudgetUsd: 0 }, /monthlyBudgetUsd must be greater than 0/],
    ['no thresholds', { alertThresholdsPercent: [] }, /at least one alert threshold/],
    ['a zero anomaly threshold', { anomalyThresholdUsd: 0 }, /anomalyThresholdUsd must be greater than 0/],
  ])('rejects %s at synth', (_what, overrides, message) => {
    expect(() => costIn(new Stack(newApp(), 'S', { env: TEST_ENV }), overrides)).toThrow(message);
  });
});
