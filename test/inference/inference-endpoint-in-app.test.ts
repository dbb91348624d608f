import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DECLARED_ENVIRONMENTS, parseEnvironmentConfig, promotionTargetAccounts } from '../../config';
import { readPluginReports, unacknowledgedFindings } from '../../lib/compliance/validation-report';
import { buildPlatformApp } from '../../lib/platform/platform-app';
import { newApp } from '../support/gate';

/**
 * Scale-to-zero composed into a real environment: dev plus a second model whose only variant is
 * served by an inference component, synthesized through the whole gate. (fraud-detector itself
 * keeps a plain variant: its gateway and drift job need what an inference component lacks.)
 */
const dev = structuredClone(DECLARED_ENVIRONMENTS.dev);
dev.modelRegistry.models.push({
  name: 'fraud-lite',
  endpointName: 'fraud-lite-dev',
  endpoint: {
    variants: [
      {
        name: 'primary',
        instanceType: 'ml.g5.xlarge',
        image: '111111111111.dkr.ecr.us-east-1.amazonaws.com/fraud-lite-serving:1.0.0',
        scaling: { minCapacity: 0, maxCapacity: 2, target: 4, schedule: { scaleDownCron: '0 19 ? * MON-FRI *', scaleUpCron: '0 7 ? * MON-FRI *', offHoursCapacity: 1 } },
        inferenceComponent: { acceleratorsPerCopy: 1, memoryPerCopyMiB: 8192 },
      },
    ],
  },
});
const app = newApp({ validator: true, context: { 'aws:cdk:bundling-stacks': [] } });
const [stage] = buildPlatformApp(app, [parseEnvironmentConfig(dev, 'config/dev.ts')], (name) => promotionTargetAccounts(name));
const assembly = app.synth();
const models = Template.fromStack(stage!.models as Stack);

describe('scale-to-zero in the dev environment', () => {
  test('the environment still passes every nag pack and the validator, and no guardrail objects', () => {
    expect(unacknowledgedFindings(readPluginReports(assembly.directory))).toEqual([]);
    const errors = assembly.nestedAssemblies.flatMap((nested) => nested.assembly.stacks.flatMap((s) => s.messages.filter((m) => m.level === 'error')));
    expect(errors).toEqual([]);
  });

  test('the model scales from 0 copies, and fraud-detector keeps its plain variant', () => {
    models.hasResourceProperties('AWS::SageMaker::InferenceComponent', { InferenceComponentName: 'fraud-lite-dev-primary' });
    models.resourceCountIs('AWS::SageMaker::InferenceComponent', 1);
    models.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { ResourceId: 'inference-component/fraud-lite-dev-primary', MinCapacity: 0, MaxCapacity: 2 });
    models.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { ResourceId: 'endpoint/fraud-detector-dev/variant/primary', MinCapacity: 1 });
  });

  test('the deploy function rolls fraud-lite through its inference component, and fraud-detector through its endpoint', () => {
    const [fn] = Object.values(models.findResources('AWS::Lambda::Function', { Properties: { Description: 'Plinth deploy-model: canary rollout of approved model versions' } }));
    const raw = JSON.stringify(fn!.Properties.Environment.Variables.DEPLOYMENTS);
    expect(raw).toContain('\\"endpointName\\":\\"fraud-lite-dev\\",\\"variantName\\":\\"primary\\"');
    expect(raw).toContain('\\"inferenceComponentName\\":\\"fraud-lite-dev-primary\\"');
    expect(raw.match(/inferenceComponentName/g)).toHaveLength(1);
  });
});
