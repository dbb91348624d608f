import { Template } from 'aws-cdk-lib/assertions';
import { loadEnvironments, promotionTargetAccounts } from '../../config';
import { buildPlatformApp } from '../../lib/platform/platform-app';
import { newApp } from '../support/gate';

// The dashboard is built from the whole environment, so it is tested on the app's dev stage.
const app = newApp({ context: { 'aws:cdk:bundling-stacks': [] } });
const [dev] = buildPlatformApp(app, loadEnvironments('dev'), (name) => promotionTargetAccounts(name));
const template = Template.fromStack(dev.monitoring);
const body = JSON.stringify(Object.values(template.findResources('AWS::CloudWatch::Dashboard'))[0].Properties.DashboardBody);

describe('PlatformMonitoring', () => {
  test('creates one dashboard for the environment and no alarms of its own', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: 'plinth-dev' });
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });

  test.each([
    ['each endpoint\'s traffic, latency, GPU and concurrency', ['Endpoint fraud-detector-dev', 'Invocation5XXErrors', 'ModelLatency', 'GPUUtilization', 'GPUMemoryUtilization', 'ConcurrentRequestsPerModel']],
    ['the gateway\'s degraded and needs-review answers', ['Plinth/Inference', 'Degraded', 'NeedsReview', 'BreakerOpen']],
    ['ingestion records, drift and freshness per dataset', ['Plinth/Ingest', 'RecordsQuarantined', 'BreakingDriftRecords', 'ObjectsReceived', 'transactions', 'merchants']],
    ['the review backlog and its age', ['Plinth/Review', 'PendingCases', 'OldestPendingAgeSeconds']],
    ['deployments and cost', ['Model deployments', 'Failed deployments, undelivered approvals', 'ApproximateAgeOfOldestMessage', 'EstimatedCharges']],
    ['each drift job\'s drifting, insufficient and unbaselined features, its blind runs and the capture hours it skipped', ['Plinth/Drift', 'FeaturesDrifting', 'FeaturesInsufficient', 'FeaturesUnbaselined', 'DriftBlind', 'CaptureHoursSkipped']],
  ])('shows %s', (_what, needles) => {
    for (const needle of needles) expect(body).toContain(needle);
  });

  test('the constructs\' metric methods name the series their alarms watch', () => {
    const lake = dev.dataLake.dataLake;
    const quarantined = lake.metricRecordsQuarantined('transactions');
    expect([quarantined.namespace, quarantined.metricName, quarantined.dimensions, quarantined.statistic, quarantined.period.toMinutes()]).toEqual(['Plinth/Ingest', 'RecordsQuarantined', { Dataset: 'transactions' }, 'Sum', 5]);
    expect(() => lake.metricRecordsIn('no-such-dataset')).toThrow(/no dataset "no-such-dataset" \(datasets: .*transactions/);

    const drift = Object.values(dev.models.driftMonitors)[0];
    const drifting = drift.metricFeaturesDrifting();
    expect([drifting.namespace, drifting.metricName, drifting.dimensions, drifting.statistic, drifting.period.toHours()]).toEqual(['Plinth/Drift', 'FeaturesDrifting', { Endpoint: drift.endpointName }, 'Maximum', 1]);
    expect(drift.driftAlarm.metric).toEqual(drifting);
    expect(drift.blindAlarm.metric).toEqual(drift.metricDriftBlind());
    expect(drift.windowGapAlarm.metric).toEqual(drift.metricCaptureHoursSkipped());

    const deployment = dev.models.deployment;
    const models = dev.models;
    const [stuck, deadLetters, undelivered] = deployment.alarms;
    expect(stuck.metric).toEqual(deployment.metricOldestApprovalAge());
    expect(deadLetters.metric).toEqual(deployment.metricFailedDeployments());
    expect(undelivered.metric).toEqual(deployment.metricUndeliveredApprovals());
    const failed = deployment.metricFailedDeployments();
    expect(models.resolve(failed.dimensions)).toEqual({ QueueName: models.resolve(deployment.deadLetterQueue.queueName) });
  });
});
