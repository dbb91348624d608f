import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { loadEnvironments, promotionTargetAccounts } from '../../config';
import { policyFromTemplate } from '../../lib/inference/scaling-policy-template';
import { configuredPolicy, type ConfiguredScaling } from '../../lib/inference/scaling-simulation';
import { buildPlatformApp } from '../../lib/platform/platform-app';
import { newApp } from '../support/gate';

// GIVEN every environment, synthesized as `cdk synth` builds it
const app = newApp({ context: { 'aws:cdk:bundling-stacks': [] } });
const stages = buildPlatformApp(app, loadEnvironments(), (name) => promotionTargetAccounts(name));
const cases = stages.flatMap((stage) =>
  stage.config.modelRegistry.models.flatMap((model) =>
    model.endpoint.variants
      .filter((variant) => variant.scaling && variant.scaling.metric !== 'gpu-utilization' && !variant.inferenceComponent)
      .map((variant) => ({ env: stage.stageName, stage, endpointName: model.endpointName, variant })),
  ),
);

describe('the scaling simulation replays the policy that is deployed', () => {
  test('every environment has a scaled variant to compare (dev with its off-hours schedule)', () => {
    // dev serves an A/B split (primary and challenger), so it has one case per scaled variant
    expect([...new Set(cases.map((c) => c.env))].sort()).toEqual(['dev', 'prod', 'staging']);
    expect(cases.filter((c) => c.env === 'dev').map((c) => c.variant.name).sort()).toEqual(['challenger', 'primary']);
    expect(cases.find((c) => c.env === 'dev' && c.variant.name === 'primary')!.variant.scaling!.schedule).toBeDefined();
  });

  test.each(cases.map((c) => [`${c.env} ${c.endpointName}/${c.variant.name}`, c] as const))('%s: the policy read from the template is the policy derived from config', (_name, c) => {
    // WHEN the policy is read back from the synthesized scaling resources
    const deployed = policyFromTemplate(Template.fromStack(c.stage.models as Stack).toJSON(), c.endpointName, c.variant.name);
    // THEN it is the one the simulator builds from config: capacity, metric, target, cooldowns, steps and schedule
    expect(deployed).toEqual(configuredPolicy(c.variant.scaling as ConfiguredScaling));
  });

  test('the deployed steps are Application Auto Scaling\'s: 12..24 adds 2, 24 and over adds 4', () => {
    const prod = cases.find((c) => c.env === 'prod')!;
    const deployed = policyFromTemplate(Template.fromStack(prod.stage.models as Stack).toJSON(), prod.endpointName, prod.variant.name);
    expect(deployed.steps).toEqual([
      { lower: 12, upper: 24, change: 2 },
      { lower: 24, change: 4 },
    ]);
  });

  test('an unknown variant fails naming it', () => {
    const dev = cases.find((c) => c.env === 'dev')!;
    expect(() => policyFromTemplate(Template.fromStack(dev.stage.models as Stack).toJSON(), dev.endpointName, 'nope')).toThrow(/no scalable target for endpoint fraud-detector-dev variant nope/);
  });
});
