import { Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PIN_SHA256_KEY, PIN_VERSION_KEY } from '../../lambdas/deploy-model/artifact-pin';
import { allSteps, type PipelineDefinition } from '../../lib/training/pipeline-definition';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';
import { renderedDefinition, trainingPipelineIn, type Overrides } from '../support/training';

describe('TrainingPipeline', () => {
  let template: Template;
  let findings: unknown[];
  let def: PipelineDefinition;
  beforeAll(() => {
    const result = synthAloneThroughGate((stack) => trainingPipelineIn(stack));
    template = Template.fromStack(result.stack);
    findings = result.findings;
    def = renderedDefinition(template);
  });

  it('passes every nag pack and the CloudFormation validator alone in a stack', () => {
    expect(findings).toEqual([]);
  });

  it('renders the steps in order: training set, train, pin, evaluate, gate → register | reject', () => {
    expect(def.Steps.map((s) => `${s.Name}:${s.Type}`)).toEqual(['TrainingSet:Callback', 'Train:Training', 'PinArtifact:Lambda', 'Evaluate:Processing', 'Gate:Condition']);
    const gate = def.Steps[4].Arguments as { IfSteps: Array<{ Name: string; Type: string }>; ElseSteps: Array<{ Name: string; Type: string }> };
    expect(gate.IfSteps.map((s) => `${s.Name}:${s.Type}`)).toEqual(['Register:RegisterModel']);
    expect(gate.ElseSteps.map((s) => `${s.Name}:${s.Type}`)).toEqual(['RejectGate:Fail']);
    expect(def.Parameters.map((p) => [p.Name, p.Type, p.DefaultValue])).toEqual([
      ['WindowStart', 'String', ''],
      ['WindowEnd', 'String', ''],
      ['TriggeredBy', 'String', 'manual'],
      ['Cause', 'String', 'manual'],
      ['DriftEvidence', 'String', '{}'],
    ]);
  });

  it('trains in the VPC, isolated, encrypted, on Spot with checkpoints in the lake and a max runtime', () => {
    const a = def.Steps[1].Arguments as Record<string, any>;
    expect(a.EnableNetworkIsolation).toBe(true);
    expect(a.EnableInterContainerTrafficEncryption).toBe(true);
    expect(a.VpcConfig.Subnets.length).toBeGreaterThan(0);
    expect(a.ResourceConfig).toEqual({ InstanceType: 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 50, VolumeKmsKeyId: 'TOKEN' });
    expect(a.OutputDataConfig.KmsKeyId).toBe('TOKEN');
    expect(a.StoppingCondition).toEqual({ MaxRuntimeInSeconds: 7200, MaxWaitTimeInSeconds: 14400 });
    expect(a.EnableManagedSpotTraining).toBe(true);
    expect(JSON.stringify(a.CheckpointConfig)).toContain('training-checkpoints/fraud-detector');
    expect(a.HyperParameters).toEqual({ max_depth: '6', eta: '0.2' });
    expect(a.InputDataConfig.map((c: any) => c.DataSource.S3DataSource.S3Uri.Get)).toEqual([
      "Steps.TrainingSet.OutputParameters['trainUri']",
      "Steps.TrainingSet.OutputParameters['validationUri']",
    ]);
  });

  it('evaluates the new model and the champion on the same holdout, isolated and encrypted', () => {
    const a = def.Steps[3].Arguments as Record<string, any>;
    const inputs = Object.fromEntries(a.ProcessingInputs.map((i: any) => [i.InputName, i.S3Input.S3Uri]));
    expect(inputs.holdout).toEqual({ Get: "Steps.TrainingSet.OutputParameters['holdoutUri']" });
    expect(inputs.model).toEqual({ Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' });
    expect(inputs.champion).toEqual({ Get: "Steps.TrainingSet.OutputParameters['championModelUri']" });
    expect(a.NetworkConfig).toMatchObject({ EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true });
    expect(a.ProcessingOutputConfig.KmsKeyId).toBe('TOKEN');
    expect(a.AppSpecification.ImageUri).toBe('683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-scikit-learn:1.2-1-cpu-py3');
    expect(a.AppSpecification.ContainerArguments).toEqual(expect.arrayContaining(['--primary-metric', 'auc', '--tolerance', '0.01']));
  });

  it('gates on the floor and on the champion bar, and fails with the reason otherwise', () => {
    const gate = def.Steps[4].Arguments as Record<string, any>;
    expect(gate.Conditions).toEqual([
      { Type: 'GreaterThanOrEqualTo', LeftValue: { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Evaluate.PropertyFiles.Gate' }, Path: 'value' } }, RightValue: 0.75 },
      {
        Type: 'GreaterThanOrEqualTo',
        LeftValue: { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Evaluate.PropertyFiles.Gate' }, Path: 'value' } },
        RightValue: { 'Std:JsonGet': { PropertyFile: { Get: 'Steps.Evaluate.PropertyFiles.Gate' }, Path: 'championBar' } },
      },
    ]);
    const reject = gate.ElseSteps[0];
    expect(JSON.stringify(reject.Arguments.ErrorMessage)).toContain('evaluation gate rejected: auc');
  });

  it('registers PendingManualApproval with the evaluation report, training sample, manifest and lineage', () => {
    const register = allSteps(def.Steps).find((s) => s.Name === 'Register')!;
    const a = register.Arguments as Record<string, any>;
    expect(a.ModelApprovalStatus).toBe('PendingManualApproval');
    expect(a.ModelPackageGroupName).toBe('fraud-detector');
    expect(a.ModelMetrics.ModelQuality.Statistics.ContentType).toBe('application/json');
    expect(JSON.stringify(a.ModelMetrics.ModelQuality.Statistics.S3Uri)).toContain('evaluation.json');
    expect(Object.keys(a.CustomerMetadataProperties)).toEqual(
      expect.arrayContaining(['plinth:training-sample', 'plinth:training-set-manifest', 'plinth:pipeline-execution', 'plinth:triggered-by', 'plinth:cause']),
    );
    expect(a.CustomerMetadataProperties['plinth:pipeline-execution']).toEqual({ Get: 'Execution.PipelineExecutionArn' });
    expect(a.MetadataProperties).toEqual({ GeneratedBy: { Get: 'Execution.PipelineExecutionArn' } });
  });

  it('pins the trained artifact before evaluation and records the pin where deploy-model reads it', () => {
    const pin = def.Steps.find((s) => s.Name === 'PinArtifact')!;
    // the step hashes what Train wrote, and runs the pin-artifact handler of this construct
    expect(pin.Arguments).toEqual({ artifactUri: { Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' } });
    const fns = template.findResources('AWS::Lambda::Function');
    const pinFnId = Object.keys(fns).find((id) => id.startsWith('TrainingPinFunction'))!;
    expect(pin.FunctionArn).toBe('TOKEN');
    expect(JSON.stringify(template.findResources('AWS::SageMaker::Pipeline'))).toContain(JSON.stringify({ 'Fn::GetAtt': [pinFnId, 'Arn'] }));
    expect(fns[pinFnId].Properties.Environment.Variables.MODELS_PREFIX).toBe('models/fraud-detector/');
    // the evaluation waits for the pin, so the bytes evaluated are the bytes pinned
    expect(def.Steps.find((s) => s.Name === 'Evaluate')!.DependsOn).toEqual(['PinArtifact']);
    // Register records the pin under exactly the keys deploy-model checks, and names the pinned object
    const register = allSteps(def.Steps).find((s) => s.Name === 'Register')!.Arguments as Record<string, any>;
    expect(register.CustomerMetadataProperties[PIN_SHA256_KEY]).toEqual({ Get: "Steps.PinArtifact.OutputParameters['artifactSha256']" });
    expect(register.CustomerMetadataProperties[PIN_VERSION_KEY]).toEqual({ Get: "Steps.PinArtifact.OutputParameters['artifactVersionId']" });
    expect(register.InferenceSpecification.Containers[0].ModelDataUrl).toEqual({ Get: "Steps.PinArtifact.OutputParameters['artifactUri']" });
    // the pipeline role may invoke that function and nothing else of Lambda (the bridge invokes only the champion lookup);
    // the function only reads this model's artifacts
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy'));
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement as any[]);
    const invoke = statements.filter((st) => [st.Action].flat().some((a: string) => a.startsWith('lambda:Invoke')));
    const championFnId = Object.keys(fns).find((id) => id.startsWith('TrainingChampionFunction'))!;
    expect(invoke).toEqual([
      expect.objectContaining({ Sid: 'PinTrainedArtifact', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [pinFnId, 'Arn'] } }),
      expect.objectContaining({ Sid: 'FindChampion', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [championFnId, 'Arn'] } }),
    ]);
    const read = statements.find((st) => st.Sid === 'ReadTrainedArtifacts');
    expect(read.Action).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
    expect(JSON.stringify(read.Resource)).toContain('/models/fraud-detector/*');
  });

  it('lets the pipeline role pass only the training and processing roles, and never register Approved', () => {
    const roles = template.findResources('AWS::IAM::Role');
    const logical = (prefix: string) => Object.keys(roles).find((id) => id.startsWith(prefix))!;
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: logical('TrainingPipelineRole') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'PassJobRolesOnly',
            // CDK sorts a statement's resources; these two are all of them.
            Resource: [{ 'Fn::GetAtt': [logical('TrainingProcessingRole'), 'Arn'] }, { 'Fn::GetAtt': [logical('TrainingTrainingRole'), 'Arn'] }],
            Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
          }),
          Match.objectLike({ Sid: 'NeverApprove', Effect: 'Deny', Condition: { StringEquals: { 'sagemaker:ModelApprovalStatus': 'Approved' } } }),
        ]),
      },
    });
  });

  it('has the three failure-mode alarms', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a) => String(a.Properties.AlarmDescription));
    expect(alarms.some((d) => d.includes('training-failed.md'))).toBe(true);
    expect(alarms.some((d) => d.includes('evaluation-gate-rejected.md') && d.includes('auc >= 0.75'))).toBe(true);
    expect(alarms.some((d) => d.includes('pipeline-stuck.md'))).toBe(true);
  });

  it('counts a failed PinArtifact step as a failed training (no pin, nothing registered)', () => {
    const [failed] = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((a) => String(a.Properties.AlarmDescription).includes('training-failed.md'));
    const steps = (failed.Properties.Metrics as any[]).map((m) => m.MetricStat?.Metric?.Dimensions?.find((d: any) => d.Name === 'StepName')?.Value).filter(Boolean);
    expect(steps.sort()).toEqual(['Evaluate', 'PinArtifact', 'Train', 'TrainingSet']);
    const expression = (failed.Properties.Metrics as any[]).find((m) => m.Expression)?.Expression;
    for (const m of failed.Properties.Metrics as any[]) if (m.MetricStat) expect(expression).toContain(m.Id);
  });
});

describe('TrainingPipeline validation', () => {
  const build = (o: Overrides) => () => trainingPipelineIn(new Stack(newApp(), 'S', { env: TEST_ENV }), o);

  it('checks the training instance type against the instance table', () => {
    expect(build({ training: { instanceType: 'ml.z9.huge' } })).toThrow(/training\.instanceType .*instance table/);
  });

  it('needs Spot max wait at least the max runtime', () => {
    expect(build({ training: { spot: { maxWait: Duration.hours(1) } } })).toThrow(/training\.spot\.maxWait .* must be at least training\.maxRuntime/);
  });

  it('refuses a metric that does not fit the problem type', () => {
    expect(build({ evaluation: { primaryMetric: 'mae' } })).toThrow(/evaluation\.primaryMetric "mae" does not fit problemType "binary_classification"/);
  });

  it('refuses a region without a recorded evaluation image unless one is given', () => {
    expect(() => trainingPipelineIn(new Stack(newApp(), 'S', { env: { account: '123456789012', region: 'xx-mars-1' } }))).toThrow(/no AWS scikit-learn processing image is recorded for xx-mars-1/);
  });
});
