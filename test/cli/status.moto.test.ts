/**
 * `plinth status` against moto_server. Emulated by moto: SageMaker endpoints (CreateModel,
 * CreateEndpointConfig, CreateEndpoint, DescribeEndpoint), CloudFormation stacks of SQS queues
 * (ListStackResources), SQS depth, CloudWatch PutMetricData/GetMetricStatistics and DescribeAlarms.
 * Not covered here: alarm ownership, because moto's CloudFormation cannot create
 * AWS::CloudWatch::Alarm, so no alarm can belong to an emulated stack.
 */
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { listStackResources } from '../../cli/aws/cloudformation';
import { CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { controlPlaneClients } from '../../cli/aws/connection';
import { describeWithMoto, motoClientConfig } from '../support/moto';
import { runCli, useEmulatorEnvironment } from './cli-harness';

describeWithMoto('plinth status (moto)', (moto) => {
  let restore: () => void;
  const context = () => ({ region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, endpoint: moto.endpoint });

  beforeAll(async () => {
    restore = useEmulatorEnvironment(moto.endpoint);
    // GIVEN dev's endpoint, its ingestion DLQ with 2 messages, a review queue with 1, and a day of ingestion metrics
    const sagemaker = new SageMakerClient(motoClientConfig(moto.endpoint));
    await sagemaker.send(new CreateModelCommand({ ModelName: 'm', ExecutionRoleArn: 'arn:aws:iam::123456789012:role/r', PrimaryContainer: { Image: 'i' } }));
    await sagemaker.send(
      new CreateEndpointConfigCommand({ EndpointConfigName: 'c', ProductionVariants: [{ VariantName: 'primary', ModelName: 'm', InstanceType: 'ml.m5.large', InitialInstanceCount: 2 }] }),
    );
    await sagemaker.send(new CreateEndpointCommand({ EndpointName: 'fraud-detector-dev', EndpointConfigName: 'c' }));
    const queue = { Type: 'AWS::SQS::Queue' };
    const template = { Resources: { DataLakeIngestionDeadLetterQueue2A44C1F4: queue, ReviewfrauddetectorQueue207699DF: queue, ReviewfrauddetectorDeadLetterQueueA6B7CCD7: queue } };
    await controlPlaneClients(context()).cloudFormation.send(new CreateStackCommand({ StackName: 'dev-DataLake', TemplateBody: JSON.stringify(template) }));
    const resources = await listStackResources(context(), 'dev-DataLake');
    const url = (prefix: string) => resources.find((r) => r.logicalId.startsWith(prefix))!.physicalId;
    const sqs = new SQSClient({ ...motoClientConfig(moto.endpoint), useQueueUrlAsEndpoint: false });
    for (const body of ['a', 'b']) await sqs.send(new SendMessageCommand({ QueueUrl: url('DataLakeIngestionDeadLetterQueue'), MessageBody: body }));
    await sqs.send(new SendMessageCommand({ QueueUrl: url('ReviewfrauddetectorQueue'), MessageBody: 'case' }));
    const at = new Date(Date.now() - 2 * 3_600_000);
    const datum = (name: string, value: number) => ({ MetricName: name, Value: value, Timestamp: at, Dimensions: [{ Name: 'Dataset', Value: 'transactions' }] });
    await controlPlaneClients(context()).cloudWatch.send(
      new PutMetricDataCommand({
        Namespace: 'Plinth/Ingest',
        MetricData: [datum('ObjectsReceived', 1), datum('RecordsCurated', 8), datum('RecordsQuarantined', 2)],
      }),
    );
  });
  afterAll(() => restore());

  it('reports endpoints, pipelines, DLQ depth and review backlog as JSON', async () => {
    // WHEN asking for dev's status
    const run = await runCli('status', '--env', 'dev', '--json');
    // THEN every section reflects what the account holds
    expect(run.code).toBe(0);
    const status = run.json<Record<string, any>>();
    expect(status.endpoints).toEqual([
      expect.objectContaining({ name: 'fraud-detector-dev', status: 'InService', variants: [expect.objectContaining({ name: 'primary', desiredInstances: 2, maxInstances: 2 })] }),
    ]);
    const transactions = status.pipelines.find((p: { dataset: string }) => p.dataset === 'transactions');
    expect(transactions).toMatchObject({ recordsCurated: 8, recordsQuarantined: 2, quarantineRate: 0.2, lastIngestion: expect.any(String) });
    expect(status.pipelines.find((p: { dataset: string }) => p.dataset === 'merchants')).toEqual(expect.objectContaining({ recordsCurated: 0, recordsQuarantined: 0 }));
    expect(status.pipelines.find((p: { dataset: string }) => p.dataset === 'merchants').lastIngestion).toBeUndefined();
    expect(status.ingestionDlqDepth).toBe(2);
    expect(status.review).toEqual([expect.objectContaining({ backlog: 1, dlqDepth: 0 })]);
    expect(status.alarmsInAlarm).toEqual([]);
  });

  it('prints the same as a readable report', async () => {
    const run = await runCli('status', '--env', 'dev');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/fraud-detector-dev\s+InService\s+primary/);
    // The cost-spike runbook's check: instances against the variant's maxCapacity (config/dev.ts: 2).
    expect(run.stdout).toMatch(/primary \S+\/2 of max 2 w/);
    expect(run.stdout).toMatch(/transactions\s+hour of .*\s+8\s+2\s+20\.0%/);
    expect(run.stdout).toContain('ingestion DLQ depth: 2');
    expect(run.stderr).toContain('reading dev (us-east-1)');
  });

  it('names the cause and the next step when AWS cannot be reached', async () => {
    const saved = process.env.AWS_ENDPOINT_URL;
    process.env.AWS_ENDPOINT_URL = 'http://localhost:1';
    try {
      const run = await runCli('status', '--env', 'dev');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('cannot reach AWS');
      expect(run.stderr).toContain('next step: check the network, or AWS_ENDPOINT_URL');
    } finally {
      process.env.AWS_ENDPOINT_URL = saved;
    }
  });
});
