/**
 * The champion a retrained model is gated against is the package the model's endpoint serves
 * (lambdas/find-champion), not the group's latest Approved package: the bridge's FindChampion state
 * runs that lookup, the pipeline records how the champion was chosen, and the lookup's IAM is the
 * endpoint's grant, scoped to the endpoint.
 */
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { InferenceEndpoint } from '../../lib/inference/inference-endpoint';
import { allSteps, type PipelineDefinition } from '../../lib/training/pipeline-definition';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';
import { bridgeDefinition, renderedDefinition, trainingPipelineIn } from '../support/training';

const json = (x: unknown): string => JSON.stringify(x) ?? '';

function statementsOf(template: Template, roleId: string): any[] {
  return Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
    .filter((p) => json(p.Properties.Roles) === json([{ Ref: roleId }]))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as any[]);
}

describe('TrainingPipeline champion: the package the endpoint serves', () => {
  let template: Template;
  let findings: unknown[];
  let def: PipelineDefinition;
  let championFnId: string;
  beforeAll(() => {
    const result = synthAloneThroughGate((stack) => {
      const endpoint = InferenceEndpoint.fromEndpointAttributes(stack, 'Endpoint', { endpointName: 'fraud-detector-dev', productionVariantNames: ['primary', 'challenger'] });
      trainingPipelineIn(stack, { endpoint });
    });
    template = Template.fromStack(result.stack);
    findings = result.findings;
    def = renderedDefinition(template);
    championFnId = Object.keys(template.findResources('AWS::Lambda::Function')).find((id) => id.startsWith('TrainingChampionFunction'))!;
  });

  it('passes every nag pack and the validator with the endpoint lookup granted', () => {
    expect(findings).toEqual([]);
  });

  it('FindChampion runs the champion lookup, not a ListModelPackages of the latest Approved package', () => {
    const { States } = bridgeDefinition(template);
    expect(Object.keys(States)).toEqual(['Split', 'FindChampion', 'HasChampion', 'MarkNoChampion', 'BuildTrainingSet', 'ReportSuccess', 'ReportFailure', 'Failed']);
    expect(States.FindChampion.Resource).toBe('arn:TOKEN:states:::lambda:invoke');
    expect(json(template.findResources('AWS::StepFunctions::StateMachine'))).toContain(json({ 'Fn::GetAtt': [championFnId, 'Arn'] }));
    expect(json(States)).not.toContain('listModelPackages');
    expect(States.FindChampion.Assign).toEqual({
      championArn: '{% $states.result.Payload.championArn %}',
      championUri: '{% $states.result.Payload.championUri %}',
      championSource: '{% $states.result.Payload.championSource %}',
      championReason: '{% $states.result.Payload.championReason %}',
    });
    // a failed lookup fails the step (TrainingFailed), never a quiet default
    expect(States.FindChampion.Catch).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'], Next: 'ReportFailure' })]);
    // "none" (no served and no Approved package) still writes the empty marker the evaluation needs
    expect(States.HasChampion).toEqual({ Type: 'Choice', Choices: [{ Condition: '{% $championArn != "none" %}', Next: 'BuildTrainingSet' }], Default: 'MarkNoChampion' });
    // the pipeline learns how the champion was chosen
    const outputs = States.ReportSuccess.Arguments.OutputParameters.map((o: { Name: string; Value: string }) => [o.Name, o.Value]);
    expect(outputs).toEqual(
      expect.arrayContaining([
        ['championModelPackageArn', '{% $championArn %}'],
        ['championModelUri', '{% $championUri %}'],
        ['championSource', '{% $championSource %}'],
        ['championReason', '{% $championReason %}'],
      ]),
    );
  });

  it('the champion function looks at this endpoint and this model group', () => {
    const fn = template.findResources('AWS::Lambda::Function')[championFnId];
    const env = fn.Properties.Environment.Variables;
    expect(env.ENDPOINT_NAME).toBe('fraud-detector-dev');
    expect(env.MODEL_PACKAGE_GROUP).toBe('fraud-detector');
    expect(json(env.PACKAGE_ARN_PREFIX)).toContain(':model-package/fraud-detector/');
  });

  it('IAM: the endpoint only by its own ARN; configs and models describe-only; the registry read-only; the bridge only invokes', () => {
    const fn = template.findResources('AWS::Lambda::Function')[championFnId];
    const statements = statementsOf(template, fn.Properties.Role['Fn::GetAtt'][0]);
    const byAction = (action: string) => statements.filter((s) => [s.Action].flat().includes(action));
    expect(byAction('sagemaker:DescribeEndpoint')).toEqual([
      expect.objectContaining({ Effect: 'Allow', Resource: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-detector-dev' }),
    ]);
    expect(byAction('sagemaker:DescribeEndpointConfig').map((s) => s.Resource)).toEqual(['arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/*']);
    const models = byAction('sagemaker:DescribeModel');
    expect(models).toHaveLength(1);
    expect(models[0].Action).toEqual(['sagemaker:DescribeModel', 'sagemaker:ListTags']);
    expect(models[0].Resource).toBe('arn:aws:sagemaker:us-east-1:123456789012:model/*');
    // the registry: list and describe this group's packages, nothing that writes or approves
    const sagemakerActions = statements.flatMap((s) => [s.Action].flat()).filter((a: string) => a.startsWith('sagemaker:')).sort();
    expect(sagemakerActions).toEqual(['sagemaker:DescribeEndpoint', 'sagemaker:DescribeEndpointConfig', 'sagemaker:DescribeModel', 'sagemaker:DescribeModelPackage', 'sagemaker:ListModelPackages', 'sagemaker:ListTags']);
    expect(json(byAction('sagemaker:DescribeModelPackage')[0].Resource)).toContain(':model-package/fraud-detector/*');
    // the bridge no longer reads the registry itself
    const bridgeRoleId = Object.keys(template.findResources('AWS::IAM::Role')).find((id) => id.startsWith('TrainingBridgeRole'))!;
    const bridge = statementsOf(template, bridgeRoleId);
    expect(bridge.flatMap((s) => [s.Action].flat()).filter((a: string) => a.startsWith('sagemaker:') && !a.startsWith('sagemaker:SendPipelineExecutionStep'))).toEqual([]);
    expect(bridge.find((s) => s.Sid === 'FindChampion')).toMatchObject({ Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [championFnId, 'Arn'] } });
  });

  it('records how the champion was chosen: lineage, the evaluation job, the gate\'s rejection message', () => {
    const [trainingSet] = def.Steps;
    expect((trainingSet.OutputParameters ?? []).map((o) => o.OutputName)).toEqual(
      expect.arrayContaining(['championModelPackageArn', 'championModelUri', 'championSource', 'championReason']),
    );
    const steps = allSteps(def.Steps);
    const register = steps.find((s) => s.Name === 'Register')!.Arguments as Record<string, any>;
    expect(register.CustomerMetadataProperties['plinth:champion']).toEqual({ Get: "Steps.TrainingSet.OutputParameters['championModelPackageArn']" });
    expect(register.CustomerMetadataProperties['plinth:champion-source']).toEqual({ Get: "Steps.TrainingSet.OutputParameters['championSource']" });
    expect(register.CustomerMetadataProperties['plinth:champion-reason']).toEqual({ Get: "Steps.TrainingSet.OutputParameters['championReason']" });
    const evaluate = steps.find((s) => s.Name === 'Evaluate')!.Arguments as Record<string, any>;
    expect(evaluate.Environment).toEqual({
      PLINTH_CHAMPION_SOURCE: { Get: "Steps.TrainingSet.OutputParameters['championSource']" },
      PLINTH_CHAMPION_REASON: { Get: "Steps.TrainingSet.OutputParameters['championReason']" },
    });
    const reject = steps.find((s) => s.Name === 'RejectGate')!.Arguments as Record<string, any>;
    expect(json(reject.ErrorMessage)).toContain(json({ Get: "Steps.TrainingSet.OutputParameters['championSource']" }));
  });
});

describe('TrainingPipeline champion without an endpoint', () => {
  it('looks up no endpoint and is granted none: the lookup records "latest-approved"', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    const pipeline = trainingPipelineIn(stack);
    const template = Template.fromStack(stack);
    const fnId = Object.keys(template.findResources('AWS::Lambda::Function')).find((id) => id.startsWith('TrainingChampionFunction'))!;
    expect(template.findResources('AWS::Lambda::Function')[fnId].Properties.Environment.Variables).not.toHaveProperty('ENDPOINT_NAME');
    expect(json(template.findResources('AWS::IAM::ManagedPolicy'))).not.toContain('sagemaker:DescribeEndpoint');
    expect(pipeline.championFunction).toBeDefined();
  });
});
