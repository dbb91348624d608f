/**
 * The rendered pipeline definition against moto's SageMaker: CreatePipeline accepts it,
 * DescribePipeline returns it unchanged, and an execution started the way retrain-trigger starts
 * one records the parameters. (moto stores definitions and parameters; it does not run steps, and
 * it looks pipelines up by name only.)
 */
import { CreatePipelineCommand, DescribePipelineCommand, ListPipelineParametersForExecutionCommand, SageMakerClient, StartPipelineExecutionCommand } from '@aws-sdk/client-sagemaker';
import { Template } from 'aws-cdk-lib/assertions';
import { Stack } from 'aws-cdk-lib';
import { newApp, TEST_ENV } from '../support/gate';
import { describeWithMoto, motoClientConfig } from '../support/moto';
import { renderedDefinition, trainingPipelineIn } from '../support/training';

describeWithMoto('training pipeline definition (moto)', (moto) => {
  let sagemaker: SageMakerClient;
  let body: string;
  beforeAll(() => {
    sagemaker = new SageMakerClient(motoClientConfig(moto.endpoint));
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    trainingPipelineIn(stack);
    body = JSON.stringify(renderedDefinition(Template.fromStack(stack)));
  });

  it('round-trips through CreatePipeline and DescribePipeline, and records an execution\'s parameters', async () => {
    await sagemaker.send(
      new CreatePipelineCommand({
        PipelineName: 'plinth-test-fraud-detector-training',
        PipelineDefinition: body,
        RoleArn: 'arn:aws:iam::123456789012:role/pipeline',
        ClientRequestToken: 'create-plinth-test-fraud-detector-training-0001',
      }),
    );
    const described = await sagemaker.send(new DescribePipelineCommand({ PipelineName: 'plinth-test-fraud-detector-training' }));
    expect(JSON.parse(described.PipelineDefinition!)).toEqual(JSON.parse(body));

    const params = [
      { Name: 'DriftEvidence', Value: '{"features":[{"name":"amount","psi":0.31}],"omitted":0}' },
      { Name: 'TriggeredBy', Value: 'evt-1' },
      { Name: 'WindowEnd', Value: '2031-03-01T09:00:00Z' },
      { Name: 'WindowStart', Value: '2031-02-28T09:00:00Z' },
      { Name: 'Cause', Value: 'drift' },
    ];
    const started = await sagemaker.send(
      // By name: SageMaker takes a name or an ARN here (retrain-trigger sends the ARN), moto only a name.
      new StartPipelineExecutionCommand({ PipelineName: described.PipelineName!, PipelineParameters: params, ClientRequestToken: 'a'.repeat(64) }),
    );
    const recorded = await sagemaker.send(new ListPipelineParametersForExecutionCommand({ PipelineExecutionArn: started.PipelineExecutionArn! }));
    expect(recorded.PipelineParameters).toEqual(params);
  });
});
