import { Duration, RemovalPolicy, type Stack, Token } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { modelConfigSchema } from '../../config/model-registry';
import { PlatformAlarmTopic } from '../../lib/alerting/platform-alarm-topic';
import { PlatformKeys } from '../../lib/keys/platform-keys';
import { ModelRegistry } from '../../lib/model-registry/model-registry';
import { PlatformNetwork } from '../../lib/network/platform-network';
import { AccessLogsBucket, SecureBucket } from '../../lib/storage/secure-bucket';
import type { PipelineDefinition } from '../../lib/training/pipeline-definition';
import { TrainingPipeline } from '../../lib/training/training-pipeline';
import type { TrainingPipelineProps } from '../../lib/training/training-pipeline-props';
import { TestTrainingSetJob } from './training-set-job';

/** Helpers for the training pipeline tests: a pipeline alone in a stack, and its rendered definition. */

const MODEL = modelConfigSchema.parse({
  name: 'fraud-detector',
  endpointName: 'fraud-detector-dev',
  endpoint: { variants: [{ name: 'primary', instanceType: 'ml.g5.xlarge', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud:1.0.0' }] },
});

export type Overrides = Partial<Omit<TrainingPipelineProps, 'training' | 'evaluation'>> & {
  training?: Partial<TrainingPipelineProps['training']>;
  evaluation?: Partial<TrainingPipelineProps['evaluation']>;
};

/** The training set trainingPipelineIn builds with: 90 days, the last 7 held out, the 7 before for validation. */
export const TRAINING_SET: TrainingPipelineProps['trainingSet'] = {
  name: 'fraud-detector',
  labels: { database: 'plinth_lake', table: 'transactions_labels', entityKeyColumn: 'account_id', eventTimeColumn: 'event_time', labelColumn: 'is_fraud' },
  featureGroups: ['account-features'],
  window: Duration.days(90),
  validation: Duration.days(7),
  holdout: Duration.days(7),
};

export function trainingPipelineIn(stack: Stack, overrides: Overrides = {}): TrainingPipeline {
  const keys = new PlatformKeys(stack, 'Keys');
  // Zones of the stack's own region (PlatformNetwork refuses zones of another region).
  const region = Token.isUnresolved(stack.region) ? 'us-east-1' : stack.region;
  const network = new PlatformNetwork(stack, 'Network', { vpcCidr: '10.62.0.0/16', availabilityZones: [`${region}a`, `${region}b`], logsKey: keys.logs });
  const accessLogs = new AccessLogsBucket(stack, 'AccessLogs').bucket;
  const lake = new SecureBucket(stack, 'Lake', { encryptionKey: keys.dataLake, serverAccessLogsBucket: accessLogs });
  const registry = new ModelRegistry(stack, 'Registry', { models: [MODEL], artifactsKey: keys.models, serverAccessLogsBucket: accessLogs });
  const alarms = new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: keys.logs });
  const job = new TestTrainingSetJob(stack, 'TrainingSets', { bucket: lake.bucket, logsKey: keys.logs });
  const { training, evaluation, ...rest } = overrides;
  return new TrainingPipeline(stack, 'Training', {
    modelName: MODEL.name,
    registry,
    trainingSetJob: job,
    trainingSet: TRAINING_SET,
    training: {
      image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud-detector-training:1.0.0',
      hyperparameters: { max_depth: '6', eta: '0.2' },
      instanceType: 'ml.m5.xlarge',
      maxRuntime: Duration.hours(2),
      spot: { maxWait: Duration.hours(4) },
      ...training,
    },
    evaluation: { problemType: 'binary_classification', primaryMetric: 'auc', floor: 0.75, tolerance: 0.01, ...evaluation },
    servingImage: '123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud-detector-serving:1.0.0',
    artifactsBucket: registry.artifacts.bucket,
    modelsKey: keys.models,
    lakeBucket: lake.bucket,
    lakeKey: keys.dataLake,
    vpc: network.vpc,
    logsKey: keys.logs,
    logRetention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.DESTROY,
    alarmAction: alarms,
    environmentName: 'test',
    ...rest,
  });
}

/** The pipeline definition as CloudFormation will deploy it (tokens left as intrinsics). */
export function renderedDefinition(template: Template): PipelineDefinition {
  const pipelines = Object.values(template.findResources('AWS::SageMaker::Pipeline'));
  if (pipelines.length !== 1) throw new Error(`expected one AWS::SageMaker::Pipeline, found ${pipelines.length}`);
  const body = pipelines[0].Properties.PipelineDefinition.PipelineDefinitionBody;
  // Fn::Join of literal strings and intrinsics: replace each intrinsic by a placeholder string.
  const parts: unknown[] = body['Fn::Join'][1];
  const text = parts.map((p) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text);
}

/** The training pipeline bridge's ASL (the state machine that answers the callback), with tokens replaced by "TOKEN". */
export function bridgeDefinition(template: Template): { States: Record<string, any> } {
  const machines = Object.values(template.findResources('AWS::StepFunctions::StateMachine')).filter((m) =>
    JSON.stringify(m.Properties.DefinitionString).includes('sendPipelineExecutionStepSuccess'),
  );
  if (machines.length !== 1) throw new Error(`expected one training bridge state machine, found ${machines.length}`);
  const body = machines[0].Properties.DefinitionString;
  const text = typeof body === 'string' ? body : body['Fn::Join'][1].map((p: unknown) => (typeof p === 'string' ? p : 'TOKEN')).join('');
  return JSON.parse(text);
}
