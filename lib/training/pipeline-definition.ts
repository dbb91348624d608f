/**
 * SageMaker Pipelines definition documents (schema 2020-12-01): typed steps and expressions, and
 * the synth-time checker that every reference in a definition resolves.
 */
import { PlinthError } from '../errors';

/** The definition schema version SageMaker Pipelines reads. */
export const PIPELINE_DEFINITION_VERSION = '2020-12-01';

/** A pipeline parameter's type. */
export type PipelineParameterType = 'String' | 'Integer' | 'Float' | 'Boolean';

/** One pipeline parameter: each has a type and a default, so an execution may leave it out. */
export interface PipelineParameter {
  readonly Name: string;
  readonly Type: PipelineParameterType;
  readonly DefaultValue: string | number | boolean;
}

/** The step types Plinth renders. */
export type PipelineStepType = 'Training' | 'Processing' | 'Callback' | 'Lambda' | 'Condition' | 'RegisterModel' | 'Fail' | 'Transform' | 'Model';

/** A step of a pipeline definition. Condition steps hold their branches inline. */
export interface PipelineStep {
  readonly Name: string;
  readonly Type: PipelineStepType;
  readonly Description?: string;
  readonly DependsOn?: readonly string[];
  readonly Arguments: Record<string, unknown>;
  /** Callback steps: the queue SageMaker sends the token to. */
  readonly SqsQueueUrl?: string;
  /** Callback and Lambda steps: the outputs the step returns. */
  readonly OutputParameters?: ReadonlyArray<{ readonly OutputName: string; readonly OutputType: 'String' | 'Integer' | 'Float' | 'Boolean' }>;
  /** Lambda steps. */
  readonly FunctionArn?: string;
  /** Processing steps: JSON files in an output that later steps read with `Std:JsonGet`. */
  readonly PropertyFiles?: ReadonlyArray<{ readonly PropertyFileName: string; readonly OutputName: string; readonly FilePath: string }>;
}

/** A whole pipeline definition document. */
export interface PipelineDefinition {
  readonly Version: typeof PIPELINE_DEFINITION_VERSION;
  readonly Metadata: Record<string, unknown>;
  readonly Parameters: readonly PipelineParameter[];
  readonly Steps: readonly PipelineStep[];
}

/** An expression SageMaker resolves at run time. */
export type PipelineExpression = { readonly Get: string } | { readonly 'Std:Join': unknown } | { readonly 'Std:JsonGet': unknown };

/** `Parameters.<name>`. */
export function parameterRef(name: string): PipelineExpression {
  return { Get: `Parameters.${name}` };
}

/** `Execution.<property>`. */
export function executionRef(property: ExecutionProperty): PipelineExpression {
  return { Get: `Execution.${property}` };
}

/** `Steps.<step>.<path>`. */
export function stepRef(step: string, path: string): PipelineExpression {
  return { Get: `Steps.${step}.${path}` };
}

/** Joins values with a separator at run time. */
export function join(on: string, values: readonly unknown[]): PipelineExpression {
  return { 'Std:Join': { On: on, Values: values } };
}

/** Reads a JSON path from a processing step's property file at run time. */
export function jsonGet(step: string, propertyFile: string, path: string): PipelineExpression {
  return { 'Std:JsonGet': { PropertyFile: { Get: `Steps.${step}.PropertyFiles.${propertyFile}` }, Path: path } };
}

/** Execution properties SageMaker exposes to a definition. */
export const EXECUTION_PROPERTIES = ['ExecutionId', 'PipelineExecutionId', 'PipelineExecutionArn', 'PipelineName', 'PipelineArn', 'CurrentDateTime'] as const;
export type ExecutionProperty = (typeof EXECUTION_PROPERTIES)[number];

const NAMED = (what: string) => new RegExp(`^${what}\\['([^']+)'\\](.*)$`);

/**
 * What each step type exposes to later steps. A function returns undefined when the path is a
 * property of the step, or says what is wrong.
 */
const STEP_PROPERTIES: Record<PipelineStepType, (step: PipelineStep, path: string) => string | undefined> = {
  Training: (step, path) => {
    if (/^(TrainingJobName|TrainingJobArn|TrainingJobStatus|ModelArtifacts\.S3ModelArtifacts|OutputDataConfig\.S3OutputPath|CheckpointConfig\.S3Uri)$/.test(path)) return undefined;
    const hp = NAMED('HyperParameters').exec(path);
    if (hp && hp[2] === '') {
      const hps = (step.Arguments.HyperParameters ?? {}) as Record<string, unknown>;
      return hp[1] in hps ? undefined : `training step "${step.Name}" has no hyperparameter "${hp[1]}"`;
    }
    return `a training step has TrainingJobName, TrainingJobArn, TrainingJobStatus, ModelArtifacts.S3ModelArtifacts, OutputDataConfig.S3OutputPath, CheckpointConfig.S3Uri and HyperParameters['<name>']`;
  },
  Processing: (step, path) => {
    if (/^(ProcessingJobName|ProcessingJobArn|ProcessingJobStatus)$/.test(path)) return undefined;
    const out = NAMED('ProcessingOutputConfig\\.Outputs').exec(path);
    if (out) {
      const outputs = ((step.Arguments.ProcessingOutputConfig as { Outputs?: Array<{ OutputName: string }> } | undefined)?.Outputs ?? []).map((o) => o.OutputName);
      if (!outputs.includes(out[1])) return `processing step "${step.Name}" has no output "${out[1]}" (outputs: ${outputs.join(', ') || 'none'})`;
      return /^\.S3Output\.(S3Uri|LocalPath)$/.test(out[2]) ? undefined : `an output of a processing step has .S3Output.S3Uri and .S3Output.LocalPath, not "${out[2]}"`;
    }
    const file = /^PropertyFiles\.([A-Za-z0-9_-]+)$/.exec(path);
    if (file) {
      const files = (step.PropertyFiles ?? []).map((f) => f.PropertyFileName);
      return files.includes(file[1]) ? undefined : `processing step "${step.Name}" declares no property file "${file[1]}" (files: ${files.join(', ') || 'none'})`;
    }
    return `a processing step has ProcessingJobName, ProcessingJobArn, ProcessingJobStatus, ProcessingOutputConfig.Outputs['<name>'].S3Output.S3Uri and PropertyFiles.<name>`;
  },
  Callback: (step, path) => outputParameter(step, path),
  Lambda: (step, path) => outputParameter(step, path),
  RegisterModel: (_step, path) => (/^(ModelPackageArn|ModelPackageName|ModelApprovalStatus)$/.test(path) ? undefined : 'a register step has ModelPackageArn, ModelPackageName and ModelApprovalStatus'),
  Model: (_step, path) => (path === 'ModelName' ? undefined : 'a model step has ModelName'),
  Transform: (_step, path) => (/^(TransformJobName|TransformJobArn|TransformOutput\.S3OutputPath)$/.test(path) ? undefined : 'a transform step has TransformJobName, TransformJobArn and TransformOutput.S3OutputPath'),
  Condition: () => 'a condition step has no properties',
  Fail: () => 'a fail step has no properties',
};

function outputParameter(step: PipelineStep, path: string): string | undefined {
  const m = NAMED('OutputParameters').exec(path);
  const names = (step.OutputParameters ?? []).map((o) => o.OutputName);
  if (!m || m[2] !== '') return `a ${step.Type.toLowerCase()} step has OutputParameters['<name>'] only`;
  return names.includes(m[1]) ? undefined : `${step.Type.toLowerCase()} step "${step.Name}" declares no output "${m[1]}" (outputs: ${names.join(', ') || 'none'})`;
}

/** Every step of a definition, with the steps nested in condition branches. */
export function allSteps(steps: readonly PipelineStep[]): PipelineStep[] {
  return steps.flatMap((s) => [
    s,
    ...(s.Type === 'Condition' ? allSteps([...((s.Arguments.IfSteps as PipelineStep[]) ?? []), ...((s.Arguments.ElseSteps as PipelineStep[]) ?? [])]) : []),
  ]);
}

function collectGets(value: unknown, out: string[]): void {
  if (Array.isArray(value)) {
    for (const v of value) collectGets(v, out);
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'Get' && typeof v === 'string') out.push(v);
      else collectGets(v, out);
    }
  }
}

function parameterProblem(p: PipelineParameter): string | undefined {
  const expected: Record<PipelineParameterType, (v: unknown) => boolean> = {
    String: (v) => typeof v === 'string',
    Integer: (v) => typeof v === 'number' && Number.isInteger(v),
    Float: (v) => typeof v === 'number',
    Boolean: (v) => typeof v === 'boolean',
  };
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(p.Name ?? '')) return `parameter name "${p.Name}" must be letters and digits, starting with a letter`;
  if (!(p.Type in expected)) return `parameter "${p.Name}" has type "${p.Type}"; use String, Integer, Float or Boolean`;
  if (p.DefaultValue === undefined) return `parameter "${p.Name}" has no DefaultValue; give it one`;
  if (!expected[p.Type](p.DefaultValue)) return `parameter "${p.Name}" is ${p.Type} but its default ${JSON.stringify(p.DefaultValue)} is not`;
  return undefined;
}

/**
 * Every problem in a definition: parameters without a type or a default, duplicate step names,
 * `DependsOn` or condition branches naming no step, and property references (`Get`) that name a
 * parameter, execution property, step or step property that does not exist. A step may not
 * read its own properties.
 */
export function definitionProblems(def: PipelineDefinition): string[] {
  const problems: string[] = [];
  const params = new Map<string, PipelineParameter>();
  for (const p of def.Parameters) {
    const problem = parameterProblem(p);
    if (problem) problems.push(problem);
    if (params.has(p.Name)) problems.push(`parameter "${p.Name}" is declared twice`);
    params.set(p.Name, p);
  }
  const steps = allSteps(def.Steps);
  const byName = new Map<string, PipelineStep>();
  for (const s of steps) {
    if (byName.has(s.Name)) problems.push(`step "${s.Name}" is declared twice`);
    else byName.set(s.Name, s);
  }
  for (const s of steps) {
    for (const d of s.DependsOn ?? []) if (!byName.has(d)) problems.push(`step "${s.Name}" depends on "${d}", which is not a step`);
    const refs: string[] = [];
    // A condition's branches are steps of their own, checked on their own.
    const args = s.Type === 'Condition' ? { ...s.Arguments, IfSteps: undefined, ElseSteps: undefined } : s.Arguments;
    collectGets({ ...s, DependsOn: undefined, Arguments: args }, refs);
    for (const ref of refs) {
      const problem = referenceProblem(ref, s, params, byName);
      if (problem) problems.push(`step "${s.Name}": ${JSON.stringify(ref)}: ${problem}`);
    }
  }
  return problems;
}

function referenceProblem(ref: string, from: PipelineStep, params: Map<string, PipelineParameter>, steps: Map<string, PipelineStep>): string | undefined {
  const [root, ...rest] = ref.split('.');
  if (root === 'Parameters') {
    return params.has(rest.join('.')) ? undefined : `no parameter "${rest.join('.')}" (parameters: ${[...params.keys()].join(', ') || 'none'})`;
  }
  if (root === 'Execution') {
    return (EXECUTION_PROPERTIES as readonly string[]).includes(rest.join('.')) ? undefined : `no execution property "${rest.join('.')}" (${EXECUTION_PROPERTIES.join(', ')})`;
  }
  if (root === 'Steps') {
    const [stepName, ...path] = rest;
    const step = steps.get(stepName);
    if (!step) return `no step "${stepName}" (steps: ${[...steps.keys()].join(', ')})`;
    if (step === from) return 'a step cannot read its own properties';
    return STEP_PROPERTIES[step.Type](step, path.join('.'));
  }
  return 'a reference starts with Parameters., Execution. or Steps.';
}

/** Fails synth, naming every bad reference, when a definition has problems. */
export function checkPipelineDefinition(pipelineName: string, def: PipelineDefinition): void {
  const problems = definitionProblems(def);
  if (problems.length > 0) {
    throw new PlinthError(`pipeline ${pipelineName}: its definition does not resolve; fix these:\n  - ${problems.join('\n  - ')}`);
  }
}
