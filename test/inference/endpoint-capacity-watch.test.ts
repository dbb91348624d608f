import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { PlatformAlarmTopic } from '../../lib/alerting/platform-alarm-topic';
import { PlatformKeys } from '../../lib/keys/platform-keys';
import { EndpointCapacityWatch } from '../../lib/inference/endpoint-capacity-watch';
import { PlatformNetwork } from '../../lib/network/platform-network';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

function watchIn(stack: Stack, atMaxFor = Duration.minutes(60)): EndpointCapacityWatch {
  const logsKey = new PlatformKeys(stack, 'Keys').logs;
  const network = new PlatformNetwork(stack, 'Network', { vpcCidr: '10.62.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'], logsKey });
  const alarms = new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: logsKey });
  return new EndpointCapacityWatch(stack, 'CapacityWatch', {
    endpoints: [{ modelName: 'fraud-detector', endpointName: 'fraud-detector-prod', variantMaxCapacity: { primary: 8, challenger: 2 } }],
    atMaxFor,
    vpc: network.vpc,
    logsKey,
    logRetention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.DESTROY,
    alarmAction: alarms,
    environmentName: 'prod',
  });
}

describe('EndpointCapacityWatch', () => {
  it('passes every nag pack and the CloudFormation validator alone in a stack', () => {
    const { findings } = synthAloneThroughGate((stack) => watchIn(stack));
    expect(findings).toEqual([]);
  });

  it('alarms per variant when it sat at its cap for the whole configured time', () => {
    const app = newApp();
    const stack = new Stack(app, 'S', { env: TEST_ENV });
    watchIn(stack, Duration.minutes(45));
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Plinth/Endpoints',
      MetricName: 'AtMaxCapacity',
      Dimensions: Match.arrayWith([{ Name: 'Variant', Value: 'challenger' }]),
      Statistic: 'Minimum',
      Period: 300,
      EvaluationPeriods: 9,
      Threshold: 1,
      TreatMissingData: 'notBreaching',
      AlarmDescription: Match.stringLikeRegexp('cap of 2 instances for 45 minutes.*endpoint-at-max-capacity.md'),
    });
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ENDPOINTS: JSON.stringify([{ endpointName: 'fraud-detector-prod', variants: { primary: 8, challenger: 2 } }]) }) },
    });
  });

  it('alarms when the watch itself is blind: an endpoint it cannot read, or no run reporting for 15 minutes (missing data breaches)', () => {
    // GIVEN the watch publishes EndpointsUnreadable every run; a variant it cannot measure has no AtMaxCapacity, which reads OK
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    watchIn(stack);
    // THEN one alarm watches that count, and treats a silent watch as broken
    Template.fromStack(stack).hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'S-CapacityWatchBlind',
      Namespace: 'Plinth/Endpoints',
      MetricName: 'EndpointsUnreadable',
      Dimensions: [{ Name: 'Watch', Value: 'endpoint-capacity' }],
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'breaching',
      AlarmDescription: Match.stringLikeRegexp('docs/runbooks/capacity-watch-blind.md'),
    });
  });

  it('rejects a time that is not a whole number of metric periods', () => {
    const app = newApp();
    expect(() => watchIn(new Stack(app, 'S', { env: TEST_ENV }), Duration.minutes(7))).toThrow(/multiple of 5 minutes/);
  });
});
