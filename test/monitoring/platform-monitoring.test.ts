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
    ['deployments and cost', ['Model deployments', 'EstimatedCharges']],
  ])('shows %s', (_what, needles) => {
    for (const needle of needles) expect(body).toContain(needle);
  });
});
