/**
 * The local deploy's emulator: moto_server started through scripts/local/moto_emulator.py. Each
 * test shows one fix the launcher makes to moto 5's CloudFormation, or one gap it reports, with
 * CloudFormation calls made the way `cdk deploy` makes them (change sets) where that matters.
 */
import {
  DescribeEndpointCommand,
  DescribePipelineCommand,
  ListPipelineExecutionsCommand,
  ListPipelineParametersForExecutionCommand,
  DescribePipelineExecutionCommand,
  SageMakerClient,
  StartPipelineExecutionCommand,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { type StackResourceSummary, listStackResources } from '../../cli/aws/cloudformation';
import { CreateChangeSetCommand, DescribeStacksCommand, ExecuteChangeSetCommand } from '@aws-sdk/client-cloudformation';
import { type AwsCallContext, controlPlaneClients } from '../../cli/aws/connection';
import { findMoto } from '../../cli/moto';
import { type RunningEmulator, startEmulator } from '../../scripts/local/emulator';
import { SKIP_MESSAGE } from '../support/moto';

const TAGS = [{ Key: 'owner', Value: 'ml-platform' }];
const python = findMoto()?.python;

async function deployWithChangeSet(context: AwsCallContext, stackName: string, template: object): Promise<StackResourceSummary[]> {
  const body = { StackName: stackName, ChangeSetName: `${stackName}-cs`, ChangeSetType: 'CREATE' as const, TemplateBody: JSON.stringify(template) };
  const { cloudFormation } = controlPlaneClients(context);
  await cloudFormation.send(new CreateChangeSetCommand(body));
  await cloudFormation.send(new ExecuteChangeSetCommand({ StackName: stackName, ChangeSetName: body.ChangeSetName }));
  return (await listStackResources(context, stackName)).filter((r) => r.logicalId.length > 0);
}

if (!python) {
  describe('local deploy emulator', () => {
    it('requires moto_server', () => {
      console.warn(`${SKIP_MESSAGE} — suite "local deploy emulator"`);
      if (process.env.CI) throw new Error("moto_server is required on CI: pip install 'moto[server]'");
    });
  });
} else {
  describe('local deploy emulator (moto_server through scripts/local/moto_emulator.py)', () => {
    let emulator: RunningEmulator;
    let context: AwsCallContext;
    const client = () => ({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });

    beforeAll(async () => {
      emulator = await startEmulator(python);
      context = { region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, endpoint: emulator.endpoint };
    }, 60_000);
    afterAll(async () => {
      await emulator?.stop();
    });

    it('creates what moto can, skips and reports what it cannot, and never aborts the change set', async () => {
      // GIVEN a template with a tagged KMS key (moto cannot read CloudFormation tags on keys), an unnamed
      // FIFO queue, a type moto has no model for, a custom resource and an endpoint config moto rejects
      const template = {
        Resources: {
          Key: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: { Version: '2012-10-17', Statement: [] }, Tags: TAGS } },
          Fifo: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true } },
          Budget: { Type: 'AWS::Budgets::Budget', Properties: { Budget: { BudgetType: 'COST', TimeUnit: 'MONTHLY' } } },
          Custom: { Type: 'Custom::Anything', Properties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:x' } },
          BadConfig: { Type: 'AWS::SageMaker::EndpointConfig', Properties: { ProductionVariants: [{ VariantName: 'a', ModelName: 'm', InstanceType: 'ml.x9.huge', InitialInstanceCount: 1 }] } },
        },
      };
      // WHEN it is deployed through a change set
      const listed = await deployWithChangeSet(context, 'fixes', template);
      // THEN the key and the queue exist (the queue's name ends in .fifo, as CloudFormation names it)
      expect(listed.map((r) => r.logicalId).sort()).toEqual(['Fifo', 'Key']);
      expect(listed.find((r) => r.logicalId === 'Fifo')!.physicalId).toMatch(/\.fifo$/);
      // AND the custom resource and the rejected config are reported with their reasons; the budget is simply absent
      const skipped = emulator.skips();
      expect(skipped).toContainEqual({ logicalId: 'Custom', type: 'Custom::Anything', reason: expect.stringContaining('Lambda-backed custom resource') });
      expect(skipped).toContainEqual({ logicalId: 'BadConfig', type: 'AWS::SageMaker::EndpointConfig', reason: expect.stringContaining('ml.x9.huge') });
      expect(skipped.map((s) => s.logicalId)).not.toContain('Budget');
    });

    it('evaluates outputs after a change set and resolves Fn::GetStackOutput across stacks', async () => {
      // GIVEN a producer stack exporting its key's ARN as an output (a CDK weak reference)
      await deployWithChangeSet(context, 'producer', {
        Resources: { Key: { Type: 'AWS::KMS::Key', Properties: { KeyPolicy: { Version: '2012-10-17', Statement: [] }, Tags: TAGS } } },
        Outputs: { KeyArn: { Value: { 'Fn::GetAtt': ['Key', 'Arn'] } } },
      });
      const described = await controlPlaneClients(context).cloudFormation.send(new DescribeStacksCommand({ StackName: 'producer' }));
      const keyArn = described.Stacks?.[0]?.Outputs?.[0]?.OutputValue;
      expect(keyArn).toMatch(/^arn:aws:kms:us-east-1:123456789012:key\//);
      // WHEN a consumer stack encrypts a queue with it through Fn::GetStackOutput
      const listed = await deployWithChangeSet(context, 'consumer', {
        Resources: {
          Queue: { Type: 'AWS::SQS::Queue', Properties: { KmsMasterKeyId: { 'Fn::GetStackOutput': { StackName: 'producer', Region: 'us-east-1', OutputName: 'KeyArn' } } } },
        },
      });
      // THEN the queue exists and carries the producer's key
      const queueUrl = listed.find((r) => r.logicalId === 'Queue')!.physicalId;
      const sqs = new SQSClient({ ...client(), useQueueUrlAsEndpoint: false });
      const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['KmsMasterKeyId'] }));
      expect(attributes.Attributes?.KmsMasterKeyId).toBe(keyArn);
    });

    it('registers exported outputs after a change set, so a later stack resolves Fn::ImportValue', async () => {
      // GIVEN a stack that exports a queue name (as the DataLake stack exports its curated bucket)
      await deployWithChangeSet(context, 'exporter', {
        Resources: { Named: { Type: 'AWS::SQS::Queue' } },
        Outputs: { QueueName: { Value: { 'Fn::GetAtt': ['Named', 'QueueName'] }, Export: { Name: 'exporter-QueueName' } } },
      });
      // WHEN a later stack imports it
      const listed = await deployWithChangeSet(context, 'importer', {
        Resources: { Topic: { Type: 'AWS::SNS::Topic', Properties: { DisplayName: { 'Fn::ImportValue': 'exporter-QueueName' } } } },
      });
      // THEN the importing resource was created, not skipped for a missing export
      expect(listed.find((r) => r.logicalId === 'Topic')?.physicalId).toMatch(/^arn:aws:sns:/);
      expect(emulator.skips().filter((skip) => skip.logicalId === 'Topic')).toEqual([]);
    });

    it('accepts the GPU instance types Plinth deploys and keeps the endpoint name the template gives', async () => {
      await deployWithChangeSet(context, 'serving', {
        Resources: {
          Model: { Type: 'AWS::SageMaker::Model', Properties: { ExecutionRoleArn: 'arn:aws:iam::123456789012:role/r', PrimaryContainer: { Image: 'i' } } },
          Config: {
            Type: 'AWS::SageMaker::EndpointConfig',
            Properties: { ProductionVariants: [{ VariantName: 'primary', ModelName: { 'Fn::GetAtt': ['Model', 'ModelName'] }, InstanceType: 'ml.g5.xlarge', InitialInstanceCount: 1 }] },
          },
          Endpoint: { Type: 'AWS::SageMaker::Endpoint', Properties: { EndpointName: 'fraud-detector-local', EndpointConfigName: { 'Fn::GetAtt': ['Config', 'EndpointConfigName'] } } },
        },
      });
      const endpoint = await new SageMakerClient(client()).send(new DescribeEndpointCommand({ EndpointName: 'fraud-detector-local' }));
      expect(endpoint.EndpointStatus).toBe('InService');
    });

    it('creates AWS::SageMaker::Pipeline through moto\'s CreatePipeline, which its CloudFormation skipped', async () => {
      // GIVEN a pipeline whose definition is built with Fn::Join around a reference (as CDK renders it)
      const definition = (queue: string) => ({
        Version: '2020-12-01',
        Parameters: [{ Name: 'WindowEnd', Type: 'String', DefaultValue: '' }],
        Steps: [{ Name: 'TrainingSet', Type: 'Callback', SqsQueueUrl: queue, Arguments: { windowEnd: { Get: 'Parameters.WindowEnd' } }, OutputParameters: [] }],
      });
      const [before, after] = JSON.stringify(definition('QUEUE')).split('QUEUE');
      const listed = await deployWithChangeSet(context, 'training', {
        Resources: {
          Queue: { Type: 'AWS::SQS::Queue' },
          Pipeline: {
            Type: 'AWS::SageMaker::Pipeline',
            Properties: {
              PipelineName: 'plinth-local-fraud-detector-training',
              PipelineDescription: 'retraining',
              RoleArn: 'arn:aws:iam::123456789012:role/pipeline',
              PipelineDefinition: { PipelineDefinitionBody: { 'Fn::Join': ['', [before, { Ref: 'Queue' }, after]] } },
            },
          },
          // Ref of the pipeline is its name, as in CloudFormation
          Name: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: { Ref: 'Pipeline' } } },
        },
      });
      // THEN it is listed with its name as physical id, and DescribePipeline returns the resolved definition
      expect(listed.find((r) => r.logicalId === 'Pipeline')?.physicalId).toBe('plinth-local-fraud-detector-training');
      const sagemaker = new SageMakerClient(client());
      const described = await sagemaker.send(new DescribePipelineCommand({ PipelineName: 'plinth-local-fraud-detector-training' }));
      const queueUrl = listed.find((r) => r.logicalId === 'Queue')!.physicalId;
      expect(JSON.parse(described.PipelineDefinition!)).toEqual(definition(queueUrl));
      expect(described.RoleArn).toBe('arn:aws:iam::123456789012:role/pipeline');
      expect(described.PipelineDescription).toBe('retraining');
      // AND an execution started on it is recorded with its parameters
      const started = await sagemaker.send(
        new StartPipelineExecutionCommand({ PipelineName: 'plinth-local-fraud-detector-training', PipelineParameters: [{ Name: 'WindowEnd', Value: '2031-03-01T00:00:00Z' }] }),
      );
      const executions = await sagemaker.send(new ListPipelineExecutionsCommand({ PipelineName: 'plinth-local-fraud-detector-training' }));
      expect(executions.PipelineExecutionSummaries?.map((e) => e.PipelineExecutionArn)).toEqual([started.PipelineExecutionArn]);
      const recorded = await sagemaker.send(new ListPipelineParametersForExecutionCommand({ PipelineExecutionArn: started.PipelineExecutionArn }));
      expect(recorded.PipelineParameters).toEqual([{ Name: 'WindowEnd', Value: '2031-03-01T00:00:00Z' }]);
      const execution = await sagemaker.send(new DescribePipelineExecutionCommand({ PipelineExecutionArn: started.PipelineExecutionArn }));
      expect(execution.PipelineArn).toBe(described.PipelineArn);
      // AND it is found by its ARN too, as SageMaker finds it (retrain-trigger starts pipelines by ARN)
      const byArn = await sagemaker.send(new StartPipelineExecutionCommand({ PipelineName: described.PipelineArn, PipelineParameters: [] }));
      expect(byArn.PipelineExecutionArn).toMatch(/^arn:aws:sagemaker:us-east-1:123456789012:pipeline\/plinth-local-fraud-detector-training\/execution\//);
      // but not by the ARN of another account's pipeline of the same name
      const otherAccount = described.PipelineArn!.replace(':123456789012:', ':999999999999:');
      await expect(sagemaker.send(new DescribePipelineCommand({ PipelineName: otherAccount }))).rejects.toThrow(/Could not find pipeline/);
      expect(emulator.skips().filter((skip) => skip.logicalId === 'Pipeline')).toEqual([]);
    });

    it('refuses (and reports) a pipeline whose definition is not JSON, as SageMaker does', async () => {
      const listed = await deployWithChangeSet(context, 'bad-training', {
        Resources: {
          Broken: {
            Type: 'AWS::SageMaker::Pipeline',
            Properties: { PipelineName: 'broken', RoleArn: 'arn:aws:iam::123456789012:role/pipeline', PipelineDefinition: { PipelineDefinitionBody: '{"Version": ' } },
          },
        },
      });
      expect(listed.map((r) => r.logicalId)).toEqual([]);
      expect(emulator.skips()).toContainEqual({ logicalId: 'Broken', type: 'AWS::SageMaker::Pipeline', reason: expect.stringContaining('not valid JSON') });
    });

    it('reports an API action moto does not implement', async () => {
      const sagemaker = new SageMakerClient({ ...client(), maxAttempts: 1 });
      await expect(sagemaker.send(new UpdateEndpointCommand({ EndpointName: 'fraud-detector-local', EndpointConfigName: 'x' }))).rejects.toThrow();
      // The emulator logs the gap on stderr, which can reach this process after the HTTP answer.
      for (let waited = 0; waited < 5000 && !emulator.unimplemented().includes('sagemaker UpdateEndpoint'); waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(emulator.unimplemented()).toContain('sagemaker UpdateEndpoint');
    });

    it('delivers no event to a scheduled rule and does not fail PutEvents on a target it cannot reach', async () => {
      // GIVEN a scheduled rule with a Lambda target (moto would match every event to it, then fail)
      const events = new EventBridgeClient({ ...client(), maxAttempts: 1 });
      await events.send(new PutRuleCommand({ Name: 'every-5-minutes', ScheduleExpression: 'rate(5 minutes)' }));
      await events.send(new PutTargetsCommand({ Rule: 'every-5-minutes', Targets: [{ Id: 'fn', Arn: 'arn:aws:lambda:us-east-1:123456789012:function:expiry' }] }));
      // WHEN a handler puts an event on the default bus THEN it is accepted
      const put = await events.send(new PutEventsCommand({ Entries: [{ Source: 'plinth.test', DetailType: 'Smoke', Detail: '{}' }] }));
      expect(put.FailedEntryCount).toBe(0);
    });
  });
}
