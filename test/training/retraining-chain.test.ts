/**
 * The retraining loop in the synthesized dev app, walked over the templates:
 * drift event → OnDrift rule → retrain-trigger (PIPELINES names the pipeline by a reference to the
 * AWS::SageMaker::Pipeline resource, and its role may start exactly that) → the pipeline's
 * TrainingSet callback (queue → adapter → Training Set Requested rule → bridge → training-set job)
 * → Train → PinArtifact (version id + SHA-256 of the trained model.tar.gz) → Evaluate → Gate →
 * Register (PendingManualApproval in the model's package group, carrying the artifact pin that
 * deploy-model checks before it deploys anything).
 * And a rejected evaluation: the gate, fed the gate.json the reference script writes for a model
 * worse than its champion, takes the branch that registers nothing.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Template } from 'aws-cdk-lib/assertions';
import { loadEnvironments } from '../../config';
import { pinOf } from '../../lambdas/deploy-model/artifact-pin';
import { loadConfig as loadRetrainConfig } from '../../lambdas/retrain-trigger';
import { parseModels as parseBaselineModels } from '../../lambdas/drift-baseline/config';
import { PIPELINE_OUTPUTS_PREFIX } from '../../lib/model-registry/model-registry';
import { applyComplianceGate } from '../../lib/compliance/compliance-gate';
import { readPluginReports, unacknowledgedFindings } from '../../lib/compliance/validation-report';
import { PlatformStage } from '../../lib/platform/platform-stage';
import { allSteps, type PipelineDefinition, type PipelineStep } from '../../lib/training/pipeline-definition';
import { newApp } from '../support/gate';
import { renderedDefinition } from '../support/training';

const app = newApp({ validator: true });
applyComplianceGate(app);
const config = loadEnvironments().find((c) => c.name === 'dev')!;
// The dev stage as deployed: its training pipelines use the stage's own point-in-time training-set job.
const stage = new PlatformStage(app, 'dev', { config });
const assembly = app.synth();
const models = Template.fromStack(stage.models);
const resources = models.toJSON().Resources as Record<string, { Type: string; Properties: any }>;
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const [pipelineId, pipeline] = ofType('AWS::SageMaker::Pipeline')[0];
const def: PipelineDefinition = renderedDefinition(models);
const json = (x: unknown): string => JSON.stringify(x) ?? '';

describe('retraining chain in the dev app', () => {
  it('passes every nag pack and the validator with the training pipeline in it', () => {
    expect(unacknowledgedFindings(readPluginReports(assembly.directory))).toEqual([]);
  });

  it('fraud-detector has exactly one training pipeline', () => {
    expect(ofType('AWS::SageMaker::Pipeline')).toHaveLength(1);
    expect(pipeline.Properties.PipelineName).toBe('plinth-dev-fraud-detector-training');
  });

  it('drift → retrain-trigger → the pipeline, by reference to the pipeline resource', () => {
    // the drift rule targets retrain-trigger
    const [, onDrift] = ofType('AWS::Events::Rule').find(([, r]) => json(r.Properties.EventPattern).includes('plinth.drift'))!;
    expect(onDrift.Properties.EventPattern.detail.endpointName).toContain('fraud-detector-dev');
    const fnId = onDrift.Properties.Targets[0].Arn['Fn::GetAtt'][0];
    const fn = resources[fnId];
    expect(fn.Type).toBe('AWS::Lambda::Function');
    // its PIPELINES entry is the pipeline's ARN built from a Ref to the pipeline resource, not a name string
    const pipelinesEnv = fn.Properties.Environment.Variables.PIPELINES;
    expect(json(pipelinesEnv)).toContain(json({ Ref: pipelineId }));
    expect(json(pipelinesEnv)).toContain('\\"pipelineArn\\"');
    expect(json(pipelinesEnv)).not.toContain('pipelineName');
    // and retrain-trigger's own config loader accepts it, once CloudFormation has resolved it
    const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': 'us-east-1', 'AWS::AccountId': '111111111111' };
    const resolved = (pipelinesEnv['Fn::Join'][1] as any[])
      .map((p) => (typeof p === 'string' ? p : p.Ref === pipelineId ? pipeline.Properties.PipelineName : pseudo[p.Ref]))
      .join('');
    const cfg = loadRetrainConfig({ DEBOUNCE_TABLE: 't', DEBOUNCE_MINUTES: '60', PIPELINES: resolved });
    expect(cfg.pipelines['fraud-detector-dev']).toEqual({
      pipelineName: 'arn:aws:sagemaker:us-east-1:111111111111:pipeline/plinth-dev-fraud-detector-training',
      platform: true,
      debounceMs: 24 * 60 * 60_000,
    });
    // and its role may start that pipeline and nothing else
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const [, policy] = ofType('AWS::IAM::ManagedPolicy').find(([, p]) => json(p.Properties.Roles) === json([{ Ref: roleId }]))!;
    const start = policy.Properties.PolicyDocument.Statement.find((s: any) => s.Sid === 'StartRetraining');
    expect(start.Action).toBe('sagemaker:StartPipelineExecution');
    expect(json(start.Resource)).toContain(json({ Ref: pipelineId }));
  });

  it('the training-set step reaches the training-set job through the callback queue, adapter and bridge', () => {
    const trainingSet = def.Steps[0];
    expect(trainingSet.Type).toBe('Callback');
    // the window ends the model's label delay (quality.labelDelayHours: chargebacks, 72 h) before WindowEnd
    expect(trainingSet.Arguments.labelDelayMillis).toBe(String(72 * 3600 * 1000));
    const body = pipeline.Properties.PipelineDefinition.PipelineDefinitionBody['Fn::Join'][1];
    const queueRef = body.find((p: any) => typeof p === 'object' && p.Ref && resources[p.Ref]?.Type === 'AWS::SQS::Queue');
    expect(queueRef).toBeDefined();
    const queueId = queueRef.Ref;
    const [, mapping] = ofType('AWS::Lambda::EventSourceMapping').find(([, m]) => json(m.Properties.EventSourceArn).includes(queueId))!;
    const adapter = resources[mapping.Properties.FunctionName.Ref];
    expect(adapter.Properties.Environment.Variables.DETAIL_TYPE).toBe('Training Set Requested');
    const [, rule] = ofType('AWS::Events::Rule').find(([, r]) => json(r.Properties.EventPattern).includes('Training Set Requested'))!;
    const bridgeId = rule.Properties.Targets[0].Arn.Ref;
    const bridge = resources[bridgeId];
    expect(bridge.Type).toBe('AWS::StepFunctions::StateMachine');
    // the bridge runs the training-set job (a reference to its state machine) and answers the callback
    const jobId = Object.keys(resources).find((id) => id.startsWith('TrainingSets') && resources[id].Type === 'AWS::StepFunctions::StateMachine')!;
    expect(json(bridge.Properties.DefinitionString)).toContain(json({ Ref: jobId }));
    expect(json(bridge.Properties.DefinitionString)).toContain('sendPipelineExecutionStepSuccess');
  });

  it('the gate leads to PendingManualApproval in the model\'s own package group', () => {
    const steps = allSteps(def.Steps);
    expect(steps.map((s) => s.Name)).toEqual(['TrainingSet', 'Train', 'PinArtifact', 'Evaluate', 'Gate', 'Register', 'RejectGate']);
    const register = steps.find((s) => s.Type === 'RegisterModel')!;
    expect(register.Arguments.ModelApprovalStatus).toBe('PendingManualApproval');
    const [, group] = ofType('AWS::SageMaker::ModelPackageGroup').find(([, g]) => g.Properties.ModelPackageGroupName === 'fraud-detector')!;
    expect(register.Arguments.ModelPackageGroupName).toBe(group.Properties.ModelPackageGroupName);
    // the pipeline's own role registers, and may not approve
    const roleId = pipeline.Properties.RoleArn['Fn::GetAtt'][0];
    const [, policy] = ofType('AWS::IAM::ManagedPolicy').find(([, p]) => json(p.Properties.Roles) === json([{ Ref: roleId }]))!;
    const sids = policy.Properties.PolicyDocument.Statement.map((s: any) => `${s.Effect}:${s.Sid}`);
    expect(sids).toEqual(expect.arrayContaining(['Allow:RegisterForApproval', 'Deny:NeverApprove']));
  });

  it('Train → PinArtifact → Register: the package carries the pin deploy-model checks, on the bucket deploy-model reads', () => {
    const steps = allSteps(def.Steps);
    const pin = steps.find((s) => s.Name === 'PinArtifact')!;
    expect(pin.Type).toBe('Lambda');
    expect(pin.Arguments.artifactUri).toEqual({ Get: 'Steps.Train.ModelArtifacts.S3ModelArtifacts' });
    // the step's function is this stack's pin-artifact function (a reference, not a name)
    const body = pipeline.Properties.PipelineDefinition.PipelineDefinitionBody['Fn::Join'][1] as any[];
    const fnRefs = body.filter((p) => typeof p === 'object' && p['Fn::GetAtt'] && resources[p['Fn::GetAtt'][0]]?.Type === 'AWS::Lambda::Function');
    expect(fnRefs).toHaveLength(1);
    const pinFn = resources[fnRefs[0]['Fn::GetAtt'][0]];
    expect(pinFn.Properties.Description).toMatch(/^Plinth pin-artifact of fraud-detector/);
    // it pins in the bucket deploy-model verifies and copies from
    const [, deployFn] = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('DeploymentFunction'))!;
    expect(pinFn.Properties.Environment.Variables.ARTIFACT_BUCKET).toEqual(deployFn.Properties.Environment.Variables.ARTIFACT_BUCKET);
    // the train step writes under the prefix the pin step accepts
    const train = steps.find((s) => s.Name === 'Train')!;
    expect(json((train.Arguments.OutputDataConfig as any).S3OutputPath)).toContain(`/${pinFn.Properties.Environment.Variables.MODELS_PREFIX}`);
    // Register, with the step's outputs filled in as SageMaker would, is a package deploy-model accepts
    const register = steps.find((s) => s.Type === 'RegisterModel')!;
    const output = { artifactSha256: 'ab'.repeat(32), artifactVersionId: 'v-3', artifactUri: 's3://b/models/fraud-detector/j/output/model.tar.gz', artifactBytes: '10' };
    const fill = (v: any): any => {
      const m = typeof v === 'object' && v && typeof v.Get === 'string' ? /^Steps\.PinArtifact\.OutputParameters\['(\w+)'\]$/.exec(v.Get) : null;
      return m ? output[m[1] as keyof typeof output] : v;
    };
    const metadata = Object.fromEntries(Object.entries(register.Arguments.CustomerMetadataProperties as Record<string, unknown>).map(([k, v]) => [k, fill(v)])) as Record<string, string>;
    expect(pinOf({ CustomerMetadataProperties: metadata })).toEqual({ sha256: output.artifactSha256, versionId: output.artifactVersionId });
    expect(fill((register.Arguments.InferenceSpecification as any).Containers[0].ModelDataUrl)).toBe(output.artifactUri);
  });

  it('the champion is looked up on the model\'s own endpoint, by reference to the endpoint resource (contract B)', () => {
    const [, endpoint] = ofType('AWS::SageMaker::Endpoint').find(([, e]) => e.Properties.EndpointName === 'fraud-detector-dev')!;
    const [fnId, fn] = ofType('AWS::Lambda::Function').find(([id]) => id.startsWith('TrainingfrauddetectorChampionFunction'))!;
    expect(fn.Properties.Environment.Variables.ENDPOINT_NAME).toBe(endpoint.Properties.EndpointName);
    // the endpoint's grant: DescribeEndpoint on exactly that endpoint, onto the champion function's role
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const statements = ofType('AWS::IAM::ManagedPolicy')
      .filter(([, p]) => json(p.Properties.Roles) === json([{ Ref: roleId }]))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const describe = statements.filter((st: any) => [st.Action].flat().includes('sagemaker:DescribeEndpoint'));
    expect(describe).toHaveLength(1);
    expect(json(describe[0].Resource)).toContain(':endpoint/fraud-detector-dev');
    // the bridge's FindChampion state invokes that function
    const [, bridge] = ofType('AWS::StepFunctions::StateMachine').find(([, m]) => json(m.Properties.DefinitionString).includes('sendPipelineExecutionStepSuccess'))!;
    expect(json(bridge.Properties.DefinitionString)).toContain(json({ 'Fn::GetAtt': [fnId, 'Arn'] }));
  });

  it('every role of the training pipeline carries the permissions boundary, and only the approver may approve', () => {
    const roles = ofType('AWS::IAM::Role').filter(([id]) => id.startsWith('Trainingfrauddetector'));
    expect(roles.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual([
      'TrainingfrauddetectorBridgeRole',
      'TrainingfrauddetectorCallbackRole',
      'TrainingfrauddetectorChampionRole',
      'TrainingfrauddetectorPinRole',
      'TrainingfrauddetectorPipelineRole',
      'TrainingfrauddetectorProcessingRole',
      'TrainingfrauddetectorStartBridgeRole',
      'TrainingfrauddetectorTrainingRole',
    ]);
    for (const [id, role] of roles) expect([id, role.Properties.PermissionsBoundary]).toEqual([id, expect.anything()]);
    // No role of the pipeline holds UpdateModelPackage (the approval call); the approver role does.
    const roleIds = new Set(roles.map(([id]) => id));
    const statements = ofType('AWS::IAM::ManagedPolicy')
      .filter(([, p]) => (p.Properties.Roles ?? []).some((r: any) => roleIds.has(r.Ref)))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement)
      .filter((st: any) => st.Effect === 'Allow');
    expect(statements.flatMap((st: any) => [st.Action].flat()).filter((a: string) => a === 'sagemaker:UpdateModelPackage' || a === 'sagemaker:*')).toEqual([]);
    // The pipeline role passes exactly the training and processing roles.
    const pass = statements.find((st: any) => st.Sid === 'PassJobRolesOnly');
    expect(pass.Resource.map((r: any) => r['Fn::GetAtt'][0].replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['TrainingfrauddetectorProcessingRole', 'TrainingfrauddetectorTrainingRole']);
  });

  it('approval → drift-baseline: the sample comes from the pipeline\'s own output, which no human role may write (#20 finding 9)', () => {
    // the baseline job knows the model's pipeline by name, as its config loader reads it
    const [fnId, fn] = ofType('AWS::Lambda::Function').find(([, f]) => f.Properties.Environment?.Variables?.TRAINING_SAMPLE_BUCKET !== undefined)!;
    const env = fn.Properties.Environment.Variables;
    expect(parseBaselineModels(env.MODELS).get('fraud-detector')?.pipelineName).toBe(pipeline.Properties.PipelineName);
    // it may confirm which execution of that pipeline registered a package, and nothing wider
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const [, policy] = ofType('AWS::IAM::ManagedPolicy').find(([, p]) => json(p.Properties.Roles) === json([{ Ref: roleId }]))!;
    const verify = policy.Properties.PolicyDocument.Statement.find((st: any) => st.Sid === 'VerifyPipelineLineage');
    expect(verify.Action).toBe('sagemaker:ListPipelineExecutionSteps');
    expect(json(verify.Resource)).toContain(json({ Ref: pipelineId }));
    expect(json(verify.Resource)).toContain('/execution/*');
    expect(fnId).toMatch(/Baseline/);
    // the registered package's evaluation report and training sample sit in the Evaluate step's output folder
    const register = allSteps(def.Steps).find((st) => st.Type === 'RegisterModel')!;
    const reportJoin = (register.Arguments.ModelMetrics as any).ModelQuality.Statistics.S3Uri['Std:Join'];
    const sampleJoin = (register.Arguments.CustomerMetadataProperties as any)['plinth:training-sample']['Std:Join'];
    expect(reportJoin.Values).toEqual([sampleJoin.Values[0], 'evaluation.json']);
    expect(sampleJoin.Values[1]).toBe('training-sample.jsonl');
    const output = (def.Steps.find((st) => st.Name === 'Evaluate')!.Arguments.ProcessingOutputConfig as any).Outputs[0].S3Output.S3Uri;
    expect(json(output)).toContain(`/${PIPELINE_OUTPUTS_PREFIX}fraud-detector`);
    // that folder is in the bucket the job reads samples from, and the data scientist may not write there
    const dsRoleId = Object.keys(resources).find((id) => id.startsWith('RegistryDataScientistRole') && resources[id].Type === 'AWS::IAM::Role')!;
    const ds = ofType('AWS::IAM::ManagedPolicy')
      .filter(([, p]) => json(p.Properties.Roles).includes(json({ Ref: dsRoleId })))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const deny = ds.find((st: any) => st.Sid === 'NeverWritePipelineOutputs');
    expect(deny).toMatchObject({ Effect: 'Deny', Action: expect.arrayContaining(['s3:PutObject', 's3:DeleteObject']) });
    expect(json(deny.Resource)).toContain(json({ 'Fn::GetAtt': [env.TRAINING_SAMPLE_BUCKET.Ref, 'Arn'] }));
    expect(json(deny.Resource)).toContain(`/${PIPELINE_OUTPUTS_PREFIX}*`);
  });

  it('the data-scientist role may start the pipeline but still never approve', () => {
    const dsRoleId = Object.keys(resources).find((id) => id.startsWith('RegistryDataScientistRole') && resources[id].Type === 'AWS::IAM::Role')!;
    const policies = ofType('AWS::IAM::ManagedPolicy').filter(([, p]) => json(p.Properties.Roles).includes(json({ Ref: dsRoleId })));
    const statements = policies.flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const startStmt = statements.find((s: any) => s.Sid === 'StartAndFollowRetraining');
    expect(json(startStmt.Resource)).toContain(json({ Ref: pipelineId }));
    expect(statements.find((s: any) => s.Sid === 'NeverApprove')).toMatchObject({ Effect: 'Deny' });
  });
});

/** Evaluates a condition step's conditions against property files, as SageMaker does (all must hold). */
function gateBranch(gate: PipelineStep, files: Record<string, Record<string, unknown>>): PipelineStep[] {
  const value = (v: any): number => {
    if (typeof v === 'number') return v;
    const get = v['Std:JsonGet'];
    const file = /PropertyFiles\.(\w+)$/.exec(get.PropertyFile.Get)![1];
    return files[file][get.Path] as number;
  };
  const ops: Record<string, (a: number, b: number) => boolean> = { GreaterThanOrEqualTo: (a, b) => a >= b, LessThanOrEqualTo: (a, b) => a <= b };
  const pass = (gate.Arguments.Conditions as any[]).every((c) => ops[c.Type](value(c.LeftValue), value(c.RightValue)));
  return (pass ? gate.Arguments.IfSteps : gate.Arguments.ElseSteps) as PipelineStep[];
}

describe('a rejected evaluation registers nothing', () => {
  const gate = def.Steps.find((s) => s.Type === 'Condition')!;
  const script = path.join(__dirname, '..', '..', 'lib', 'training', 'evaluation', 'evaluate.py');

  function evaluateWith(newWeight: number, championWeight: number | undefined): Record<string, Record<string, unknown>> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-eval-'));
    // velocity separates the classes perfectly; amount only partly (AUC 0.8125 with a positive weight)
    const csv = (rows: Array<[number, number, number]>) => ['amount,velocity,is_fraud', ...rows.map((r) => r.join(','))].join('\n');
    const rows: Array<[number, number, number]> = [[2, 3, 1], [1.5, 2.5, 1], [1, 2, 1], [0.5, -1, 0], [-1, -2, 0], [-2, -3, 0], [0.2, 1.5, 1], [0.9, -0.5, 0]];
    for (const split of ['holdout', 'train']) {
      fs.mkdirSync(path.join(dir, split));
      fs.writeFileSync(path.join(dir, split, 'part.csv'), csv(rows));
    }
    const model = (name: string, coefficients: Record<string, number>) => {
      fs.mkdirSync(path.join(dir, name));
      fs.writeFileSync(path.join(dir, name, 'model.json'), JSON.stringify({ kind: 'linear', link: 'logistic', intercept: 0, coefficients }));
    };
    model('model', { amount: newWeight });
    if (championWeight !== undefined) model('champion', { velocity: championWeight });
    const args = (def.Steps.find((s) => s.Name === 'Evaluate')!.Arguments.AppSpecification as any).ContainerArguments as unknown[];
    // The step's own arguments, with the champion ARN (a run-time value) filled in.
    const literal = args.map((a) => (typeof a === 'string' ? a : championWeight === undefined ? 'none' : 'arn:aws:sagemaker:us-east-1:111111111111:model-package/fraud-detector/1'));
    const run = spawnSync('python3', [script, ...literal, ...['holdout', 'train', 'model', 'champion'].flatMap((k) => [`--${k}`, path.join(dir, k)]), '--output', path.join(dir, 'out')], {
      encoding: 'utf8',
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    // the drift baseline's input, next to evaluation.json (drift-baseline derives one from the other)
    expect(fs.existsSync(path.join(dir, 'out', 'training-sample.jsonl'))).toBe(true);
    return {
      Gate: JSON.parse(fs.readFileSync(path.join(dir, 'out', 'gate.json'), 'utf8')),
      Evaluation: JSON.parse(fs.readFileSync(path.join(dir, 'out', 'evaluation.json'), 'utf8')),
    };
  }

  it('a model worse than the champion by more than the tolerance goes to RejectGate, which registers nothing', () => {
    // the new model (amount only) ranks worse than the champion (velocity, AUC 1)
    const files = evaluateWith(0.3, 1);
    expect((files.Evaluation.champion as any).metrics.auc).toBe(1);
    expect((files.Evaluation.metrics as any).auc).toBeLessThan((files.Evaluation.champion as any).metrics.auc - 0.01);
    const branch = gateBranch(gate, files);
    expect(branch.map((s) => s.Type)).toEqual(['Fail']);
    expect(allSteps(branch).some((s) => s.Type === 'RegisterModel')).toBe(false);
  });

  it('a model below the floor is rejected even without a champion', () => {
    const files = evaluateWith(-1, undefined);
    expect(files.Gate.hasChampion).toBe(false);
    expect(gateBranch(gate, files).map((s) => s.Type)).toEqual(['Fail']);
  });

  it('a model that clears the floor without a champion is registered (the floor alone decides)', () => {
    const files = evaluateWith(1, undefined);
    expect(gateBranch(gate, files).map((s) => s.Type)).toEqual(['RegisterModel']);
  });

  it('the only RegisterModel step in the pipeline is the gate\'s pass branch', () => {
    const registers = allSteps(def.Steps).filter((s) => s.Type === 'RegisterModel');
    expect(registers).toHaveLength(1);
    expect((gate.Arguments.IfSteps as PipelineStep[])[0]).toBe(registers[0]);
    expect(def.Steps.some((s) => s.Type === 'RegisterModel')).toBe(false);
  });
});
