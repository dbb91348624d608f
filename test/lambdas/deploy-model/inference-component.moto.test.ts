/**
 * deploy-model handler on a variant served by an inference component (scale-to-zero endpoints),
 * end to end over loopback with the Lambda's own SDK clients.
 *
 * EMULATED BY MOTO (moto 5.2.1): the registry (model package group, package, approval,
 * DescribeModelPackage), CreateModel, DescribeModel, AddTags, ListTags, CreateEndpointConfig,
 * CreateEndpoint, DescribeEndpoint; EventBridge (bus, rule → SQS), SNS (topic → SQS), SQS.
 *
 * MOCKED (aws-sdk-client-mock on the Lambda's SageMaker client; every other command passes
 * through to moto): DescribeInferenceComponent and UpdateInferenceComponent, always. moto 5.2.1
 * has no inference components at all. The mock keeps one component in memory; unless a test
 * says otherwise, UpdateInferenceComponent emulates a completed rolling update by switching the
 * component's model.
 */

import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeInferenceComponentCommand,
  DescribeModelCommand,
  ListTagsCommand,
  UpdateEndpointCommand,
  UpdateInferenceComponentCommand,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import type {
  DescribeInferenceComponentCommandOutput,
  SageMakerClient,
  SageMakerClientResolvedConfig,
  ServiceInputTypes,
  ServiceOutputTypes,
  UpdateInferenceComponentInput,
} from '@aws-sdk/client-sagemaker';
import { CreateEventBusCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import type { AwsStub } from 'aws-sdk-client-mock';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describeWithMoto, motoClientConfig } from '../../support/moto';
import { handler } from '../../../lambdas/deploy-model/index';
import { clients as handlerClients, createClients } from '../../../lambdas/deploy-model/clients';
import { routeTo } from '../../support/sdk-clients';
import { SUBMITTED_TAG_KEY } from '../../../lambdas/deploy-model/endpoint-config';

const ACCOUNT = '123456789012';
const REGISTRY = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`;
const GROUP = 'fraud';
const ENDPOINT = 'fraud-dev';
const VARIANT = 'primary';
const COMPONENT = 'fraud-dev-primary';
const BASE_MODEL = 'fraud-baseline';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/plinth-model-execution`;
const ALARMS = ['fraud-dev-5xx', 'fraud-dev-p99-latency'];
const BUS = 'plinth-dev';
const COMPUTE = { NumberOfAcceleratorDevicesRequired: 1, MinMemoryRequiredInMb: 8192 };
const STARTUP = { ModelDataDownloadTimeoutInSeconds: 900, ContainerStartupHealthCheckTimeoutInSeconds: 600 };

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Harness {
  moto: SageMakerClient['send'];
  sm: AwsStub<ServiceInputTypes, ServiceOutputTypes, SageMakerClientResolvedConfig>;
  sqs: SQSClient;
  eventsQueueUrl: string;
  alarmsQueueUrl: string;
  logs: Json[];
  v1Arn: string;
  /** The inference component as the mock answers it. */
  component: DescribeInferenceComponentCommandOutput;
}

function sdkError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

function approvalBody(arn: string, version: number): string {
  return JSON.stringify({
    version: '0',
    id: `evt-${GROUP}-${version}`,
    'detail-type': 'SageMaker Model Package State Change',
    source: 'aws.sagemaker',
    account: ACCOUNT,
    time: '2026-11-22T10:00:00Z',
    region: 'us-east-1',
    resources: [arn],
    detail: { ModelPackageGroupName: GROUP, ModelPackageVersion: version, ModelPackageArn: arn, ModelApprovalStatus: 'Approved', ModelPackageStatus: 'Completed' },
  });
}

let counter = 0;
function record(body: string): SQSRecord {
  const messageId = `ic-msg-${++counter}`;
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1', SenderId: 'x', ApproximateFirstReceiveTimestamp: '1' },
    messageAttributes: {},
    md5OfBody: 'x',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:${ACCOUNT}:plinth-deploy-model`,
    awsRegion: 'us-east-1',
  };
}
const event = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

async function drain(h: Harness, queueUrl: string): Promise<Json[]> {
  const bodies: Json[] = [];
  for (;;) {
    const r = await h.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 300 }));
    if (!r.Messages?.length) return bodies;
    bodies.push(...r.Messages.map((m) => JSON.parse(m.Body ?? '{}') as Json));
  }
}

function updatesOf(h: Harness): UpdateInferenceComponentInput[] {
  return h.sm.commandCalls(UpdateInferenceComponentCommand).map((c) => c.args[0].input as UpdateInferenceComponentInput);
}

function setEnv(): void {
  Object.assign(process.env, {
    PLINTH_ENV: 'dev',
    DEPLOYMENTS: JSON.stringify([{ modelPackageGroupName: GROUP, endpointName: ENDPOINT, variantName: VARIANT, rollbackAlarmNames: ALARMS, inferenceComponentName: COMPONENT }]),
    MODEL_EXECUTION_ROLE_ARN: ROLE_ARN,
    SUBNET_IDS: 'subnet-0aaa1111,subnet-0bbb2222',
    SECURITY_GROUP_IDS: 'sg-0ccc3333',
    MODELS_KMS_KEY_ARN: `arn:aws:kms:us-east-1:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`,
    ARTIFACT_BUCKET: 'plinth-dev-models',
    ALLOWED_IMAGE_REGISTRIES: REGISTRY,
    CANARY_PERCENT: '10',
    CANARY_WAIT_SECONDS: '600',
    TERMINATION_WAIT_SECONDS: '300',
    MAX_EXECUTION_TIMEOUT_SECONDS: '3600',
    ALARM_TOPIC_ARN: `arn:aws:sns:us-east-1:${ACCOUNT}:plinth-alarms`,
    EVENT_BUS_NAME: BUS,
  });
}
const ENV_KEYS = ['PLINTH_ENV', 'DEPLOYMENTS', 'MODEL_EXECUTION_ROLE_ARN', 'SUBNET_IDS', 'SECURITY_GROUP_IDS', 'MODELS_KMS_KEY_ARN', 'ARTIFACT_BUCKET', 'ALLOWED_IMAGE_REGISTRIES', 'CANARY_PERCENT', 'CANARY_WAIT_SECONDS', 'TERMINATION_WAIT_SECONDS', 'MAX_EXECUTION_TIMEOUT_SECONDS', 'ALARM_TOPIC_ARN', 'EVENT_BUS_NAME'];

/** Default UpdateInferenceComponent mock: the rolling update completes and the component runs the new model. */
function completeRollingUpdate(h: Harness) {
  return async (input: UpdateInferenceComponentInput) => {
    h.component = { ...h.component, Specification: { ...h.component.Specification, ModelName: input.Specification?.ModelName } };
    return { InferenceComponentArn: h.component.InferenceComponentArn };
  };
}

/** Routes and output captures of the current test, undone after it. */
const routes: Array<{ restore(): void }> = [];

async function createHarness(endpoint: string): Promise<Harness> {
  const cfg = motoClientConfig(endpoint);
  const clients = createClients(cfg);
  const realSend = clients.sagemaker.send.bind(clients.sagemaker) as SageMakerClient['send'];
  // The Lambda's own SageMaker client, stubbed (aws-sdk-client-mock).
  const sm = mockClient(handlerClients.sagemaker);
  sm.send.callsFake((command) => (realSend as (c: unknown) => Promise<ServiceOutputTypes>)(command));
  const sqs = new SQSClient(cfg);
  const queue = async (name: string) => {
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    return { url, arn };
  };
  const eventsQueue = await queue('ic-events');
  const alarmsQueue = await queue('ic-alarms');
  await clients.eventBridge.send(new CreateEventBusCommand({ Name: BUS }));
  await clients.eventBridge.send(new PutRuleCommand({ Name: 'capture', EventBusName: BUS, EventPattern: JSON.stringify({ source: ['plinth.deploy-model'] }) }));
  await clients.eventBridge.send(new PutTargetsCommand({ Rule: 'capture', EventBusName: BUS, Targets: [{ Id: 'q', Arn: eventsQueue.arn }] }));
  const topicArn = (await clients.sns.send(new CreateTopicCommand({ Name: 'plinth-alarms' }))).TopicArn!;
  await clients.sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: alarmsQueue.arn, Attributes: { RawMessageDelivery: 'true' } }));

  await realSend(new CreateModelPackageGroupCommand({ ModelPackageGroupName: GROUP }));
  const pkg = await realSend(
    new CreateModelPackageCommand({
      ModelPackageGroupName: GROUP,
      ModelApprovalStatus: 'PendingManualApproval',
      InferenceSpecification: { Containers: [{ Image: `${REGISTRY}/fraud-inference:1` }], SupportedContentTypes: ['application/json'], SupportedResponseMIMETypes: ['application/json'] },
    }),
  );
  await realSend(new UpdateModelPackageCommand({ ModelPackageArn: pkg.ModelPackageArn, ModelApprovalStatus: 'Approved' }));

  // The endpoint itself lives in moto (only its status is read); moto cannot hold an
  // inference-component config, so it runs a plain one (on g4dn: moto's instance list has no g5).
  await realSend(new CreateModelCommand({ ModelName: BASE_MODEL, ExecutionRoleArn: ROLE_ARN, PrimaryContainer: { Image: `${REGISTRY}/fraud-inference:0` } }));
  await realSend(new CreateEndpointConfigCommand({ EndpointConfigName: 'fraud-dev-initial', ProductionVariants: [{ VariantName: VARIANT, ModelName: BASE_MODEL, InstanceType: 'ml.g4dn.xlarge', InitialInstanceCount: 1 }] }));
  await realSend(new CreateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: 'fraud-dev-initial' }));

  const h: Harness = {
    moto: realSend,
    sm,
    sqs,
    eventsQueueUrl: eventsQueue.url,
    alarmsQueueUrl: alarmsQueue.url,
    logs: [],
    v1Arn: pkg.ModelPackageArn!,
    component: {
      InferenceComponentName: COMPONENT,
      InferenceComponentArn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:inference-component/${COMPONENT}`,
      EndpointName: ENDPOINT,
      EndpointArn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:endpoint/${ENDPOINT}`,
      VariantName: VARIANT,
      Specification: { ModelName: BASE_MODEL, ComputeResourceRequirements: COMPUTE, StartupParameters: STARTUP },
      RuntimeConfig: { DesiredCopyCount: 0, CurrentCopyCount: 0 },
      InferenceComponentStatus: 'InService',
      CreationTime: new Date(),
      LastModifiedTime: new Date(),
      $metadata: {},
    },
  };
  sm.on(DescribeInferenceComponentCommand).callsFake(async () => structuredClone(h.component));
  sm.on(UpdateInferenceComponentCommand).callsFake(completeRollingUpdate(h));
  // The Lambda's other clients send to moto; what it logs (stdout and stderr) is kept.
  routes.push(routeTo(handlerClients.eventBridge, clients.eventBridge), routeTo(handlerClients.sns, clients.sns), routeTo(handlerClients.s3, clients.s3));
  const grab = (chunk: unknown): boolean => {
    for (const line of String(chunk).split('\n')) {
      if (line.startsWith('{')) h.logs.push(JSON.parse(line) as Json);
    }
    return true;
  };
  for (const stream of [process.stdout, process.stderr]) {
    const spy = jest.spyOn(stream, 'write').mockImplementation(grab as never);
    routes.push({ restore: () => spy.mockRestore() });
  }
  setEnv();
  return h;
}

describeWithMoto('deploy-model handler: variant served by an inference component (moto + mocked inference components)', (moto) => {
  let h: Harness;
  const savedEnv: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const k of ENV_KEYS) savedEnv[k] = process.env[k];
  });
  beforeEach(async () => {
    await moto.server.reset();
    h = await createHarness(moto.endpoint);
  });
  afterEach(() => {
    h?.sm.restore();
    for (const route of routes.splice(0)) route.restore();
    for (const k of ENV_KEYS) {
      if (savedEnv[k] === undefined) delete process.env[k];
      else process.env[k] = savedEnv[k];
    }
  });

  it('happy path: rolls v1 onto the inference component with the rollback alarms, never touching the endpoint [moto: registry, model, tags, bus, SNS; mocked: inference component]', async () => {
    // GIVEN v1 approved (moto) and the component serving the baseline model at zero copies (mock)
    // WHEN the approval is delivered
    const res = await handler(event(record(approvalBody(h.v1Arn, 1))));

    // THEN it is acknowledged, and the model runs the package network-isolated in the VPC (moto)
    expect(res.batchItemFailures).toEqual([]);
    const model = await h.moto(new DescribeModelCommand({ ModelName: 'fraud-dev-primary-v1' }));
    // the package's container itself (image-only: no artifact to pin), never the package ARN
    expect(model.PrimaryContainer?.Image).toBe(`${REGISTRY}/fraud-inference:1`);
    expect(model.VpcConfig).toEqual({ Subnets: ['subnet-0aaa1111', 'subnet-0bbb2222'], SecurityGroupIds: ['sg-0ccc3333'] });
    expect(h.sm.commandCalls(CreateModelCommand)[0]!.args[0].input).toMatchObject({ EnableNetworkIsolation: true }); // moto does not store the flag

    // AND the component gets the new model with its compute carried over, one copy per batch, the canary wait, and the rollback alarms
    expect(updatesOf(h)).toEqual([
      {
        InferenceComponentName: COMPONENT,
        Specification: { ModelName: 'fraud-dev-primary-v1', ComputeResourceRequirements: COMPUTE, StartupParameters: STARTUP },
        DeploymentConfig: {
          RollingUpdatePolicy: { MaximumBatchSize: { Type: 'COPY_COUNT', Value: 1 }, WaitIntervalInSeconds: 600, MaximumExecutionTimeoutInSeconds: 3600 },
          AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'fraud-dev-5xx' }, { AlarmName: 'fraud-dev-p99-latency' }] },
        },
      },
    ]);
    expect(updatesOf(h)[0]).not.toHaveProperty('RuntimeConfig'); // the copy count stays with autoscaling (it may be 0)

    // AND the endpoint is left alone: no endpoint config, no UpdateEndpoint
    expect(h.sm.commandCalls(CreateEndpointConfigCommand)).toHaveLength(0);
    expect(h.sm.commandCalls(UpdateEndpointCommand)).toHaveLength(0);

    // AND the decision is on the bus, nothing on the alarm topic, and the model is tagged as submitted (moto)
    const events = await drain(h, h.eventsQueueUrl);
    expect(events.map((e) => e['detail-type'])).toEqual(['Model Deployment Started']);
    expect(events[0]!.detail).toEqual({
      env: 'dev',
      modelPackageArn: h.v1Arn,
      group: GROUP,
      version: 1,
      endpointName: ENDPOINT,
      variantName: VARIANT,
      modelName: 'fraud-dev-primary-v1',
      inferenceComponentName: COMPONENT,
      previousModelName: BASE_MODEL,
      copiesPerBatch: 1,
    });
    expect(await drain(h, h.alarmsQueueUrl)).toEqual([]);
    const tags = await h.moto(new ListTagsCommand({ ResourceArn: model.ModelArn }));
    expect(tags.Tags).toEqual(expect.arrayContaining([{ Key: SUBMITTED_TAG_KEY, Value: 'true' }]));
  });

  it('replayed approval after the rollout → exactly one update, the replay is a logged no-op [moto; mocked: inference component]', async () => {
    // GIVEN the same approval delivered twice in one batch, then once more later
    const body = approvalBody(h.v1Arn, 1);
    const first = await handler(event(record(body), record(body)));
    const later = await handler(event(record(body)));

    // THEN every delivery is acked and the component was updated once
    expect([...first.batchItemFailures, ...later.batchItemFailures]).toEqual([]);
    expect(updatesOf(h)).toHaveLength(1);
    expect((await drain(h, h.eventsQueueUrl)).map((e) => e['detail-type'])).toEqual(['Model Deployment Started']);
    expect(h.logs.filter((l) => l.msg === 'already deployed: inference component already runs this model version')).toHaveLength(2);
  });

  it('replay after the rolling update was rolled back → not redeployed, previously-rolled-back + alarm topic [moto; mocked: update accepted without effect]', async () => {
    // GIVEN UpdateInferenceComponent is accepted but the component ends up back on the baseline (auto-rollback)
    h.sm.on(UpdateInferenceComponentCommand).callsFake(async () => ({ InferenceComponentArn: h.component.InferenceComponentArn }));
    const body = approvalBody(h.v1Arn, 1);
    expect((await handler(event(record(body)))).batchItemFailures).toEqual([]);
    await drain(h, h.eventsQueueUrl);

    // WHEN the same approval is replayed
    const replay = await handler(event(record(body)));

    // THEN it is acked without a second update, and a human is told why
    expect(replay.batchItemFailures).toEqual([]);
    expect(updatesOf(h)).toHaveLength(1);
    const events = await drain(h, h.eventsQueueUrl);
    expect(events.map((e) => [e['detail-type'], e.detail.reason])).toEqual([['Model Deployment Failed', 'previously-rolled-back']]);
    expect(events[0]!.detail.message).toContain(`back on ${BASE_MODEL}`);
    expect(await drain(h, h.alarmsQueueUrl)).toHaveLength(1);
  });

  it('component Updating → batch item failure without creating anything; deploys once it is InService [moto; mocked: inference component status]', async () => {
    // GIVEN the component is being updated (for instance scaling out from zero)
    h.component = { ...h.component, InferenceComponentStatus: 'Updating' };
    const msg = record(approvalBody(h.v1Arn, 1));

    // WHEN the approval is delivered
    const first = await handler(event(msg));

    // THEN it is kept for an SQS retry and nothing was created
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: msg.messageId }]);
    expect(h.sm.commandCalls(CreateModelCommand)).toHaveLength(0);
    expect(updatesOf(h)).toHaveLength(0);
    expect(await drain(h, h.alarmsQueueUrl)).toEqual([]);

    // WHEN it is redelivered after the component is InService again
    h.component = { ...h.component, InferenceComponentStatus: 'InService' };
    const second = await handler(event(msg));

    // THEN it is deployed once
    expect(second.batchItemFailures).toEqual([]);
    expect(updatesOf(h)).toHaveLength(1);
  });

  it('UpdateInferenceComponent conflict, then throttling → retried by SQS each time, nothing lost, the third delivery deploys [moto; mocked: inference component errors]', async () => {
    // GIVEN the component is updated by someone else between our describe and update, then SageMaker throttles
    h.sm
      .on(UpdateInferenceComponentCommand)
      .rejectsOnce(sdkError('ValidationException', `Cannot update in-progress inference component "${h.component.InferenceComponentArn}".`))
      .rejectsOnce(sdkError('ThrottlingException', 'Rate exceeded'))
      .callsFake(completeRollingUpdate(h));
    const msg = record(approvalBody(h.v1Arn, 1));

    // WHEN it is delivered three times
    const results = [await handler(event(msg)), await handler(event(msg)), await handler(event(msg))];

    // THEN the first two are retried without a failure event or alarm, and the third deploys
    expect(results.map((r) => r.batchItemFailures.length)).toEqual([1, 1, 0]);
    expect(updatesOf(h)).toHaveLength(3);
    expect((await drain(h, h.eventsQueueUrl)).map((e) => e['detail-type'])).toEqual(['Model Deployment Started']);
    expect(await drain(h, h.alarmsQueueUrl)).toEqual([]);
    expect(h.component.Specification?.ModelName).toBe('fraud-dev-primary-v1');
  });

  it.each<[string, (h: Harness) => void, string, string]>([
    [
      'SageMaker rejects the update',
      (x) => x.sm.on(UpdateInferenceComponentCommand).rejects(sdkError('ValidationException', 'MaximumBatchSize is invalid for this inference component')),
      'sagemaker-rejected',
      'UpdateInferenceComponent fraud-dev-primary was rejected: MaximumBatchSize is invalid',
    ],
    [
      'the component does not exist',
      (x) => x.sm.on(DescribeInferenceComponentCommand).rejects(sdkError('ValidationException', `Could not find inference component "${COMPONENT}".`)),
      'endpoint-not-found',
      'inference component fraud-dev-primary does not exist',
    ],
    [
      'the component serves another endpoint',
      (x) => (x.component = { ...x.component, EndpointName: 'churn-dev' }),
      'unknown-variant',
      'inference component fraud-dev-primary serves churn-dev/primary, not fraud-dev/primary',
    ],
    [
      'the component failed',
      (x) => (x.component = { ...x.component, InferenceComponentStatus: 'Failed', FailureReason: 'CUDA out of memory' }),
      'endpoint-not-updatable',
      'inference component fraud-dev-primary is Failed (CUDA out of memory)',
    ],
    [
      'the component adapts another one',
      (x) => (x.component = { ...x.component, Specification: { BaseInferenceComponentName: 'llm-base', ModelName: BASE_MODEL } }),
      'endpoint-not-updatable',
      'has no model of its own (it adapts llm-base)',
    ],
  ])('%s → recorded failure + alarm topic, acked, the component keeps its model [moto; mocked: inference component]', async (_what, arrange, reason, message) => {
    // GIVEN the arrangement
    arrange(h);

    // WHEN v1's approval is delivered
    const res = await handler(event(record(approvalBody(h.v1Arn, 1))));

    // THEN it is acked, recorded with the reason and the variant, and notified; the component keeps the baseline
    expect(res.batchItemFailures).toEqual([]);
    const events = await drain(h, h.eventsQueueUrl);
    expect(events.map((e) => e.detail.reason)).toEqual([reason]);
    expect(events[0]!.detail).toMatchObject({ endpointName: ENDPOINT, variantName: VARIANT, version: 1 });
    expect(events[0]!.detail.message).toContain(message);
    expect(await drain(h, h.alarmsQueueUrl)).toHaveLength(1);
    expect(h.component.Specification?.ModelName).toBe(BASE_MODEL);
  });
});
