import { CfnResource, Stack, Stage } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { loadEnvironments } from '../../config';
import { applyComplianceGate } from '../../lib/compliance/compliance-gate';
import { CONTROL_TOWER_PLUGIN } from '../../lib/compliance/control-tower';
import { resolvedPropertiesOf, writtenPropertiesOf } from '../../lib/compliance/control-tower-waivers';
import { readPluginReports } from '../../lib/compliance/validation-report';
import { PlatformStage } from '../../lib/platform/platform-stage';
import { newApp, TEST_ENV } from '../support/gate';

// The Control Tower waivers decide from each resource's properties. In the main job they read
// them from the templates CDK has just written (the stacks are in Stages, synthesized before the
// App's tree is validated); elsewhere they resolve them. These tests hold the two equal, and the
// waivers working where nothing is written yet.

/** Runs `check` on every CloudFormation resource of `app` where the waivers run: the App's validation, after its Stages are synthesized. */
function duringAppValidation(app: Stage, check: (resources: CfnResource[]) => void): void {
  app.node.addValidation({
    validate: () => {
      check(app.node.findAll().filter((c): c is CfnResource => CfnResource.isCfnResource(c)));
      return [];
    },
  });
}

describe('Control Tower waivers read the properties CDK wrote', () => {
  test("the written properties equal the resolved ones for every resource of the platform's dev environment", () => {
    const app = newApp({ context: { 'aws:cdk:bundling-stacks': [] } });
    let compared = 0;
    duringAppValidation(app, (resources) => {
      for (const resource of resources) {
        const written = writtenPropertiesOf(resource);
        expect({ path: resource.node.path, properties: written }).toEqual({ path: resource.node.path, properties: resolvedPropertiesOf(resource) });
        compared++;
      }
    });
    for (const config of loadEnvironments('dev')) new PlatformStage(app, config.name, { config, promotionTargetAccounts: [] });
    app.synth();
    expect(compared).toBeGreaterThan(300);
  }, 120_000);

  test('a stack directly in the App is not written yet: its properties are resolved, and its dead-letter queue is still waived', () => {
    const app = newApp();
    applyComplianceGate(app, { nagPacks: false, plinthRules: false, templateCheckCache: false });
    const stack = new Stack(app, 'S', { env: TEST_ENV });
    const dlq = new sqs.Queue(stack, 'DeadLetters', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true });
    new sqs.Queue(stack, 'Work', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, deadLetterQueue: { queue: dlq, maxReceiveCount: 3 } });
    let unwritten = 0;
    duringAppValidation(app, (resources) => {
      for (const resource of resources) if (writtenPropertiesOf(resource) === undefined) unwritten++;
    });
    const reports = readPluginReports(app.synth().directory);
    expect(unwritten).toBeGreaterThan(0);
    const ct = reports.find((r) => r.pluginName === CONTROL_TOWER_PLUGIN) as { suppressedViolations?: Array<{ ruleName: string; acknowledgedAt?: string }> };
    expect(ct.suppressedViolations).toContainEqual(expect.objectContaining({ ruleName: 'sqs_dlq_check', acknowledgedAt: 'S/DeadLetters/Resource' }));
  }, 120_000);
});
