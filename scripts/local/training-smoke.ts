/**
 * The retraining part of the local smoke check: a drift event reaches the real retrain-trigger
 * handler (with the deployed function's environment), which starts an execution of the platform's
 * own TrainingPipeline, by the ARN CDK gave it; the emulator records that execution with its
 * parameters. The deployed definition is read back with DescribePipeline, checked with the same
 * checker synth uses, and round-tripped through CreatePipeline/DescribePipeline unchanged. A second
 * drift event for the same endpoint is debounced.
 *
 * moto stores the definition and records the execution; it runs no step (no training set, no
 * training job, no pin, no evaluation, nothing registered). That is why the smoke step reports
 * `limited`.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  CreatePipelineCommand,
  DeletePipelineCommand,
  DescribePipelineCommand,
  DescribePipelineExecutionCommand,
  ListPipelineExecutionsCommand,
  ListPipelineParametersForExecutionCommand,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { clients as retrainClients, handler as retrainHandler, loadConfig, type DriftEvent } from '../../lambdas/retrain-trigger/index';
import { collectLogLines, routeClient } from './in-process';
import { ARTIFACT_PIN_KEYS } from '../../lib/model-registry/model-registry';
import { allSteps, definitionProblems, type PipelineDefinition } from '../../lib/training/pipeline-definition';
import { TRAINING_PIPELINE_PARAMETERS, TRAINING_STEPS } from '../../lib/training/training-pipeline';

export interface RetrainSmokeResult {
  readonly endpointName: string;
  readonly pipelineArn: string;
  readonly pipelineExecutionArn: string;
  /** The execution's parameters as the emulator recorded them. */
  readonly parameters: Readonly<Record<string, string>>;
  readonly steps: readonly string[];
  /** What retrain-trigger answered a second drift event for the same endpoint. */
  readonly secondEvent: string;
}

/**
 * Runs the check with `process.env` already set to retrain-trigger's environment (and the
 * emulator's endpoint). Fails, naming the problem, when PIPELINES names no platform pipeline, the
 * deployed definition does not resolve or lacks a step, the round trip changes it, the execution
 * was not started by ARN with the event's window and evidence, or the second event was not debounced.
 */
export async function retrainOnDriftEvent(clients: { sagemaker: SageMakerClient; dynamodb: DynamoDBClient }, now: Date): Promise<RetrainSmokeResult> {
  const config = loadConfig(process.env);
  const platform = Object.entries(config.pipelines).find(([, target]) => target.platform);
  if (!platform) throw new Error(`retrain-trigger's PIPELINES names no platform pipeline (by ARN): ${process.env.PIPELINES}`);
  const [endpointName, target] = platform;
  const pipelineArn = target.pipelineName;

  // The deployed definition, as SageMaker describes it, resolves as synth checked it.
  const described = await clients.sagemaker.send(new DescribePipelineCommand({ PipelineName: pipelineArn }));
  if (described.PipelineArn !== pipelineArn) throw new Error(`DescribePipeline(${pipelineArn}) answered for ${described.PipelineArn}`);
  const definition = JSON.parse(described.PipelineDefinition ?? '{}') as PipelineDefinition;
  const problems = definitionProblems(definition);
  if (problems.length > 0) throw new Error(`the deployed definition does not resolve: ${problems.join('; ')}`);
  const steps = allSteps(definition.Steps).map((s) => s.Name);
  const missing = Object.values(TRAINING_STEPS).filter((s) => !steps.includes(s));
  if (missing.length > 0) throw new Error(`the deployed definition lacks the steps ${missing.join(', ')} (has ${steps.join(', ')})`);
  const parameters = definition.Parameters.map((p) => p.Name);
  const undeclared = TRAINING_PIPELINE_PARAMETERS.filter((p) => !parameters.includes(p));
  if (undeclared.length > 0) throw new Error(`the deployed definition does not declare the parameters ${undeclared.join(', ')}`);
  const register = allSteps(definition.Steps).find((s) => s.Type === 'RegisterModel')!;
  const metadata = (register.Arguments.CustomerMetadataProperties ?? {}) as Record<string, unknown>;
  if (register.Arguments.ModelApprovalStatus !== 'PendingManualApproval' || ARTIFACT_PIN_KEYS.some((k) => !(k in metadata))) {
    throw new Error(`the Register step must register PendingManualApproval with ${ARTIFACT_PIN_KEYS.join(' and ')}`);
  }

  // Round trip: the same document through CreatePipeline and DescribePipeline comes back unchanged.
  const copyName = `${described.PipelineName}-roundtrip`.slice(0, 256);
  await clients.sagemaker.send(
    new CreatePipelineCommand({ PipelineName: copyName, PipelineDefinition: described.PipelineDefinition, RoleArn: described.RoleArn, ClientRequestToken: randomUUID() }),
  );
  try {
    const copy = await clients.sagemaker.send(new DescribePipelineCommand({ PipelineName: copyName }));
    if (JSON.stringify(JSON.parse(copy.PipelineDefinition ?? '{}')) !== JSON.stringify(definition)) {
      throw new Error('the definition changed on its way through CreatePipeline and DescribePipeline');
    }
  } finally {
    await clients.sagemaker.send(new DeletePipelineCommand({ PipelineName: copyName, ClientRequestToken: randomUUID() }));
  }

  // A drift event, as drift-stats publishes it, through the real retrain-trigger.
  const start = new Date(now.getTime() - 24 * 3600_000).toISOString();
  const end = now.toISOString();
  const drift = (id: string): DriftEvent => ({
    id,
    source: 'plinth.drift',
    'detail-type': 'Model Drift Detected',
    time: end,
    detail: { endpointName, window: { start, end }, features: [{ name: 'amount', psi: 0.3127, ks: 0.21, reasons: ['psi'] }], baselineVersion: 1 },
  });
  const eventId = `smoke-drift-${randomUUID()}`;
  const before = await executionsOf(clients.sagemaker, pipelineArn);
  const unroute = [routeClient(retrainClients.sagemaker, clients.sagemaker), routeClient(retrainClients.dynamodb, clients.dynamodb)];
  const silenced = collectLogLines([]);
  let started;
  let second;
  try {
    started = await retrainHandler(drift(eventId));
    second = await retrainHandler(drift(`smoke-drift-${randomUUID()}`));
  } finally {
    silenced.stop();
    for (const undo of unroute) undo();
  }
  if (started.outcome !== 'started') throw new Error(`retrain-trigger did not start the pipeline: ${JSON.stringify(started)}`);
  if (started.pipelineName !== pipelineArn) throw new Error(`retrain-trigger started ${started.pipelineName}, not the platform pipeline ${pipelineArn}`);
  if (second.outcome !== 'debounced') throw new Error(`a second drift event was not debounced: ${JSON.stringify(second)}`);

  // The execution the emulator recorded: on this pipeline, with the event's window, cause and evidence.
  const execution = await clients.sagemaker.send(new DescribePipelineExecutionCommand({ PipelineExecutionArn: started.pipelineExecutionArn }));
  if (execution.PipelineArn !== pipelineArn) throw new Error(`the execution belongs to ${execution.PipelineArn}, not ${pipelineArn}`);
  const after = await executionsOf(clients.sagemaker, pipelineArn);
  if (after.length !== before.length + 1) throw new Error(`expected exactly one new execution, found ${after.length - before.length}`);
  const recorded = await clients.sagemaker.send(new ListPipelineParametersForExecutionCommand({ PipelineExecutionArn: started.pipelineExecutionArn }));
  const params = Object.fromEntries((recorded.PipelineParameters ?? []).map((p) => [p.Name ?? '', p.Value ?? '']));
  const expected: Record<string, string> = { TriggeredBy: eventId, WindowStart: start, WindowEnd: end, Cause: 'drift' };
  const wrong = Object.entries(expected).filter(([k, v]) => params[k] !== v);
  if (wrong.length > 0) throw new Error(`the execution's parameters are wrong: ${wrong.map(([k, v]) => `${k}=${JSON.stringify(params[k])} (expected ${JSON.stringify(v)})`).join(', ')}`);
  const evidence = JSON.parse(params.DriftEvidence ?? '{}') as { features?: Array<{ name: string; psi?: number }> };
  if (evidence.features?.[0]?.name !== 'amount' || evidence.features[0].psi !== 0.3127) throw new Error(`DriftEvidence does not carry the drifting feature: ${params.DriftEvidence}`);
  const undeclaredParams = Object.keys(params).filter((k) => !parameters.includes(k));
  if (undeclaredParams.length > 0) throw new Error(`the execution sets parameters the pipeline does not declare: ${undeclaredParams.join(', ')}`);
  return { endpointName, pipelineArn, pipelineExecutionArn: started.pipelineExecutionArn, parameters: params, steps, secondEvent: second.outcome };
}

async function executionsOf(sagemaker: SageMakerClient, pipeline: string): Promise<string[]> {
  const listed = await sagemaker.send(new ListPipelineExecutionsCommand({ PipelineName: pipeline }));
  return (listed.PipelineExecutionSummaries ?? []).map((e) => e.PipelineExecutionArn ?? '');
}
