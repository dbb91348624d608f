/**
 * The smoke check's retraining block against the emulator (moto through scripts/local/moto_emulator.py):
 * a drift event → the real retrain-trigger → an execution of the platform's pipeline, started by
 * ARN, recorded with the event's window, cause and evidence; the definition round-trips; a second
 * event is debounced. And a deployed definition without the artifact pin step is refused.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreatePipelineCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { findMoto } from '../../cli/moto';
import { type RunningEmulator, startEmulator } from '../../scripts/local/emulator';
import { retrainOnDriftEvent } from '../../scripts/local/training-smoke';
import type { PipelineDefinition } from '../../lib/training/pipeline-definition';
import { newApp, TEST_ENV } from '../support/gate';
import { SKIP_MESSAGE } from '../support/moto';
import { renderedDefinition, trainingPipelineIn } from '../support/training';

const python = findMoto()?.python;
const ACCOUNT = '123456789012';

if (!python) {
  describe('retraining smoke block', () => {
    it('requires moto_server', () => {
      console.warn(`${SKIP_MESSAGE} — suite "retraining smoke block"`);
      if (process.env.CI) throw new Error("moto_server is required on CI: pip install 'moto[server]'");
    });
  });
} else {
  describe('retraining smoke block (emulator)', () => {
    let emulator: RunningEmulator;
    let sagemaker: SageMakerClient;
    let dynamodb: DynamoDBClient;
    let definition: PipelineDefinition;
    const saved = { ...process.env };

    beforeAll(async () => {
      emulator = await startEmulator(python);
      const config = { region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
      sagemaker = new SageMakerClient(config);
      dynamodb = new DynamoDBClient(config);
      const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
      trainingPipelineIn(stack);
      definition = renderedDefinition(Template.fromStack(stack));
    }, 120_000);
    afterAll(async () => {
      await emulator?.stop();
    });
    afterEach(() => {
      process.env = { ...saved };
    });

    async function deploy(name: string, def: PipelineDefinition, table: string): Promise<string> {
      await sagemaker.send(new CreatePipelineCommand({ PipelineName: name, PipelineDefinition: JSON.stringify(def), RoleArn: `arn:aws:iam::${ACCOUNT}:role/pipeline`, ClientRequestToken: `create-${name}`.padEnd(32, '0') }));
      await dynamodb.send(
        new CreateTableCommand({ TableName: table, KeySchema: [{ AttributeName: 'endpointName', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'endpointName', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }),
      );
      const arn = `arn:aws:sagemaker:us-east-1:${ACCOUNT}:pipeline/${name}`;
      // retrain-trigger's environment as CDK renders it (pipeline by ARN)
      Object.assign(process.env, { DEBOUNCE_TABLE: table, DEBOUNCE_MINUTES: '60', PIPELINES: JSON.stringify({ 'fraud-detector-dev': { pipelineArn: arn, debounceMinutes: 1440 } }) });
      return arn;
    }

    it('drift event → retrain-trigger → an execution of the platform pipeline with the event\'s parameters; the definition round-trips', async () => {
      const arn = await deploy('plinth-dev-fraud-detector-training', definition, 'retrain-locks');
      const now = new Date('2031-03-01T09:00:00.000Z');

      const result = await retrainOnDriftEvent({ sagemaker, dynamodb }, now);

      expect(result.pipelineArn).toBe(arn);
      expect(result.pipelineExecutionArn).toMatch(new RegExp(`^${arn.replace(/[/.]/g, '\\$&')}/execution/`));
      expect(result.parameters).toEqual({
        DriftEvidence: '{"features":[{"name":"amount","psi":0.3127,"ks":0.21,"reasons":["psi"]}],"omitted":0}',
        TriggeredBy: expect.stringMatching(/^smoke-drift-/),
        WindowEnd: '2031-03-01T09:00:00.000Z',
        WindowStart: '2031-02-28T09:00:00.000Z',
        Cause: 'drift',
      });
      expect(result.steps).toEqual(['TrainingSet', 'Train', 'PinArtifact', 'Evaluate', 'Gate', 'Register', 'RejectGate']);
      expect(result.secondEvent).toBe('debounced');
    });

    it('refuses a deployed definition without the artifact pin step, before any drift event is sent', async () => {
      const withoutPin: PipelineDefinition = {
        ...definition,
        Steps: definition.Steps.filter((s) => s.Name !== 'PinArtifact').map((s) => (s.Name === 'Evaluate' ? { ...s, DependsOn: undefined } : s)),
      };
      await deploy('plinth-dev-old-training', JSON.parse(JSON.stringify(withoutPin)), 'retrain-locks-old');
      // The Register step still reads the pin step's outputs: the checker names those references first.
      await expect(retrainOnDriftEvent({ sagemaker, dynamodb }, new Date())).rejects.toThrow(/does not resolve: .*no step "PinArtifact"/);
    });
  });
}
