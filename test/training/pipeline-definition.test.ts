import { checkPipelineDefinition, definitionProblems, jsonGet, parameterRef, PIPELINE_DEFINITION_VERSION, stepRef, type PipelineDefinition, type PipelineStep } from '../../lib/training/pipeline-definition';

// GIVEN a small definition that uses every kind of reference
function definition(overrides: { steps?: PipelineStep[]; parameters?: PipelineDefinition['Parameters'] } = {}): PipelineDefinition {
  const steps: PipelineStep[] = overrides.steps ?? [
    { Name: 'Data', Type: 'Callback', Arguments: { end: parameterRef('WindowEnd') }, OutputParameters: [{ OutputName: 'trainUri', OutputType: 'String' }] },
    { Name: 'Train', Type: 'Training', Arguments: { HyperParameters: { eta: '0.2' }, Input: stepRef('Data', "OutputParameters['trainUri']") } },
    {
      Name: 'Evaluate',
      Type: 'Processing',
      PropertyFiles: [{ PropertyFileName: 'Gate', OutputName: 'evaluation', FilePath: 'gate.json' }],
      Arguments: { Model: stepRef('Train', 'ModelArtifacts.S3ModelArtifacts'), ProcessingOutputConfig: { Outputs: [{ OutputName: 'evaluation' }] } },
    },
    {
      Name: 'Gate',
      Type: 'Condition',
      Arguments: {
        Conditions: [{ Type: 'GreaterThanOrEqualTo', LeftValue: jsonGet('Evaluate', 'Gate', 'value'), RightValue: 0.7 }],
        IfSteps: [{ Name: 'Register', Type: 'RegisterModel', Arguments: { Uri: stepRef('Evaluate', "ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri"), By: { Get: 'Execution.PipelineExecutionArn' } } }],
        ElseSteps: [{ Name: 'Reject', Type: 'Fail', Arguments: { ErrorMessage: 'no' } }],
      },
    },
  ];
  return { Version: PIPELINE_DEFINITION_VERSION, Metadata: {}, Parameters: overrides.parameters ?? [{ Name: 'WindowEnd', Type: 'String', DefaultValue: '' }], Steps: steps };
}

const withStep = (index: number, patch: Partial<PipelineStep>) => {
  const steps = [...definition().Steps];
  steps[index] = { ...steps[index], ...patch };
  return definition({ steps });
};

describe('pipeline definition checker', () => {
  it('accepts a definition whose references all resolve', () => {
    expect(definitionProblems(definition())).toEqual([]);
    expect(() => checkPipelineDefinition('p', definition())).not.toThrow();
  });

  it('names a reference to a step that does not exist', () => {
    const bad = withStep(1, { Arguments: { Input: stepRef('Dataa', "OutputParameters['trainUri']") } });
    expect(() => checkPipelineDefinition('p', bad)).toThrow(/pipeline p: .*step "Train": "Steps\.Dataa\.OutputParameters\['trainUri'\]": no step "Dataa"/s);
  });

  it('names a property the step does not have', () => {
    expect(definitionProblems(withStep(1, { Arguments: { Input: stepRef('Data', "OutputParameters['testUri']") } }))).toEqual([
      `step "Train": "Steps.Data.OutputParameters['testUri']": callback step "Data" declares no output "testUri" (outputs: trainUri)`,
    ]);
    expect(definitionProblems(withStep(2, { Arguments: { Model: stepRef('Train', 'ModelArtifacts.S3Uri'), ProcessingOutputConfig: { Outputs: [] } } }))[0]).toMatch(/a training step has TrainingJobName/);
    expect(definitionProblems(withStep(1, { Arguments: { HyperParameters: {}, X: stepRef('Data', "OutputParameters['trainUri']"), Y: stepRef('Train', "HyperParameters['eta']") } }))).toEqual([
      `step "Train": "Steps.Train.HyperParameters['eta']": a step cannot read its own properties`,
    ]);
  });

  it('checks processing outputs and property files, including those read inside condition branches', () => {
    const steps = [...definition().Steps];
    steps[2] = { ...steps[2], PropertyFiles: [] };
    const problems = definitionProblems(definition({ steps }));
    expect(problems).toEqual([`step "Gate": "Steps.Evaluate.PropertyFiles.Gate": processing step "Evaluate" declares no property file "Gate" (files: none)`]);
    steps[2] = { ...definition().Steps[2], Arguments: { ProcessingOutputConfig: { Outputs: [{ OutputName: 'report' }] } } };
    expect(definitionProblems(definition({ steps }))).toEqual([
      `step "Register": "Steps.Evaluate.ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri": processing step "Evaluate" has no output "evaluation" (outputs: report)`,
    ]);
  });

  it('needs parameters with a type and a default of that type, and references to declared ones', () => {
    expect(definitionProblems(definition({ parameters: [{ Name: 'WindowEnd', Type: 'Integer', DefaultValue: 'x' }] }))).toEqual([
      'parameter "WindowEnd" is Integer but its default "x" is not',
    ]);
    expect(definitionProblems(definition({ parameters: [{ Name: 'WindowEnd', Type: 'Text' as never, DefaultValue: '' }] }))).toEqual([
      'parameter "WindowEnd" has type "Text"; use String, Integer, Float or Boolean',
    ]);
    expect(definitionProblems(definition({ parameters: [{ Name: 'WindowEnd', Type: 'String' } as never] }))).toEqual(['parameter "WindowEnd" has no DefaultValue; give it one']);
    expect(definitionProblems(definition({ parameters: [] }))).toEqual(['step "Data": "Parameters.WindowEnd": no parameter "WindowEnd" (parameters: none)']);
  });

  it('rejects unknown execution properties, duplicate steps and dangling DependsOn', () => {
    const steps = [...definition().Steps, { Name: 'Train', Type: 'Fail' as const, DependsOn: ['Nope'], Arguments: { M: { Get: 'Execution.StartTime' } } }];
    expect(definitionProblems(definition({ steps }))).toEqual([
      'step "Train" is declared twice',
      'step "Train" depends on "Nope", which is not a step',
      'step "Train": "Execution.StartTime": no execution property "StartTime" (ExecutionId, PipelineExecutionId, PipelineExecutionArn, PipelineName, PipelineArn, CurrentDateTime)',
    ]);
  });
});
