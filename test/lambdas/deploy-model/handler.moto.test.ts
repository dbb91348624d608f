/**
 * deploy-model handler end to end, over loopback, with the real AWS SDK v3
 * clients built by the Lambda itself (maxAttempts 3) pointed at moto_server.
 *
 * What is EMULATED BY MOTO (moto 5.2.1, checked against its source and by probing):
 *   SageMaker CreateModelPackageGroup, CreateModelPackage, UpdateModelPackage
 *   (approval), DescribeModelPackage, CreateModel, DescribeModel,
 *   CreateEndpointConfig, DescribeEndpointConfig, CreateEndpoint,
 *   DescribeEndpoint, DeleteEndpoint, AddTags, ListTags; EventBridge
 *   (custom bus, rule → SQS target), SNS (topic → SQS raw subscription), SQS.
 *
 * What is MOCKED (aws-sdk-client-mock on the Lambda's SageMaker client; every
 * other command passes through to moto):
 *   - UpdateEndpoint, always: moto 5.2.1 has no UpdateEndpoint (it answers
 *     HTTP 500 with an HTML page). The mock records the request and, unless a
 *     test says otherwise, emulates a completed blue/green deployment by
 *     re-creating the moto endpoint on the new endpoint config.
 *
 * Known moto gaps, worked around and labelled in the tests that depend on them:
 *   - CreateModel ignores EnableNetworkIsolation (DescribeModel always says
 *     false): asserted on the request the Lambda sent.
 *   - CreateEndpointConfig drops ShadowProductionVariants and ExplainerConfig:
 *     the seeded "current" config's DescribeEndpointConfig answer from moto is
 *     augmented with them (augmented passthrough), and the copy is asserted on
 *     the CreateEndpointConfig request the Lambda sent.
 *   - CreateModel / CreateEndpointConfig never fail with "already existing"
 *     (moto overwrites): that answer is mocked where a test needs it.
 *   - Endpoint status is always InService: "Updating" is mocked on DescribeEndpoint.
 *   - Throttling is injected by an SDK middleware *inside* the retry loop, so
 *     the SDK's real retry strategy (3 attempts) runs against it.
 */

import {
  AddTagsCommand,
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DeleteEndpointCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelCommand,
  DescribeModelPackageCommand,
  ListTagsCommand,
  UpdateEndpointCommand,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import type {
  CreateEndpointConfigInput,
  InferenceSpecification,
  ProductionVariant,
  SageMakerClient,
  SageMakerClientResolvedConfig,
  ServiceInputTypes,
  ServiceOutputTypes,
  UpdateEndpointInput,
} from '@aws-sdk/client-sagemaker';
import { CreateEventBusCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateTopicCommand, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateBucketCommand, GetObjectCommand, PutBucketVersioningCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';
import type { AwsStub } from 'aws-sdk-client-mock';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { describeWithMoto, motoClientConfig } from '../../support/moto';
import { handler } from '../../../lambdas/deploy-model/index';
import { clients as handlerClients, createClients } from '../../../lambdas/deploy-model/clients';
import { routeTo } from '../../support/sdk-clients';
import type { DeployClients } from '../../../lambdas/deploy-model/clients';
import { SUBMITTED_TAG_KEY } from '../../../lambdas/deploy-model/endpoint-config';
import { PIN_SHA256_KEY, PIN_VERSION_KEY } from '../../../lambdas/deploy-model/artifact-pin';

const ACCOUNT = '123456789012';
const REGISTRY = `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`;
const GROUP = 'fraud';
const ENDPOINT = 'fraud-dev';
const VARIANT = 'primary';
const BASE_CONFIG = 'fraud-dev-initial';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/plinth-model-execution`;
const KMS_KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/11111111-2222-3333-4444-555555555555`;
const BASE_KMS_KEY = `arn:aws:kms:us-east-1:${ACCOUNT}:key/existing-volume-key`;
const ALARMS = ['fraud-dev-5xx', 'fraud-dev-p99-latency'];
const BUS = 'plinth-dev';
const ARTIFACT_BUCKET = 'plinth-dev-models';

const BASE_VARIANTS: ProductionVariant[] = [
  {
    VariantName: VARIANT,
    ModelName: 'fraud-baseline',
    InstanceType: 'ml.m5.large',
    InitialInstanceCount: 2,
    InitialVariantWeight: 0.8,
    VolumeSizeInGB: 30,
    ModelDataDownloadTimeoutInSeconds: 900,
    ContainerStartupHealthCheckTimeoutInSeconds: 600,
    RoutingConfig: { RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' },
  },
  { VariantName: 'challenger', ModelName: 'fraud-challenger', InstanceType: 'ml.c5.xlarge', InitialInstanceCount: 1, InitialVariantWeight: 0.2 },
];
const BASE_SHADOW: ProductionVariant[] = [
  { VariantName: 'shadow', ModelName: 'fraud-shadow', InstanceType: 'ml.m5.large', InitialInstanceCount: 1, InitialVariantWeight: 1 },
];
const BASE_EXPLAINER = { ClarifyExplainerConfig: { ShapConfig: { ShapBaselineConfig: { MimeType: 'text/csv', ShapBaseline: '1,2,3' } } } };
const BASE_DATA_CAPTURE = {
  EnableCapture: true,
  InitialSamplingPercentage: 25,
  DestinationS3Uri: 's3://plinth-dev-capture/fraud',
  CaptureOptions: [{ CaptureMode: 'Input' as const }, { CaptureMode: 'Output' as const }],
  CaptureContentTypeHeader: { CsvContentTypes: ['text/csv'] },
};

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Harness {
  clients: DeployClients;
  /** Pass-through send of the real (moto) SageMaker client, bypassing the mock. */
  moto: SageMakerClient['send'];
  sm: AwsStub<ServiceInputTypes, ServiceOutputTypes, SageMakerClientResolvedConfig>;
  sqs: SQSClient;
  eventsQueueUrl: string;
  alarmsQueueUrl: string;
  logs: Json[];
  /** ARN of model package v1 (Approved, valid image). */
  v1Arn: string;
}

function sdkError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status } });
}

function approvalBody(arn: string, version: number, status = 'Approved', group = GROUP): string {
  return JSON.stringify({
    version: '0',
    id: `evt-${group}-${version}-${status}`,
    'detail-type': 'SageMaker Model Package State Change',
    source: 'aws.sagemaker',
    account: ACCOUNT,
    time: '2024-05-06T10:00:00Z',
    region: 'us-east-1',
    resources: [arn],
    detail: { ModelPackageGroupName: group, ModelPackageVersion: version, ModelPackageArn: arn, ModelApprovalStatus: status, ModelPackageStatus: 'Completed' },
  });
}

let messageCounter = 0;
function sqsRecord(body: string, messageId = `msg-${++messageCounter}`): SQSRecord {
  return {
    messageId,
    receiptHandle: `rh-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1715000000000',
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: '1715000000000',
    },
    messageAttributes: {},
    md5OfBody: 'x',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:us-east-1:${ACCOUNT}:plinth-deploy-model`,
    awsRegion: 'us-east-1',
  };
}

function sqsEvent(...records: SQSRecord[]): SQSEvent {
  return { Records: records };
}

async function drain(h: Harness, queueUrl: string): Promise<string[]> {
  const bodies: string[] = [];
  for (;;) {
    const r = await h.sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, VisibilityTimeout: 300 }));
    if (!r.Messages?.length) return bodies;
    bodies.push(...r.Messages.map((m) => m.Body ?? ''));
  }
}

/** Events the Lambda put on the bus (delivered by moto's rule to an SQS queue). */
async function busEvents(h: Harness): Promise<Json[]> {
  return (await drain(h, h.eventsQueueUrl)).map((b) => JSON.parse(b) as Json);
}

/** Messages the Lambda published to the alarm topic (moto SNS → SQS, raw delivery). */
async function alarmMessages(h: Harness): Promise<Json[]> {
  return (await drain(h, h.alarmsQueueUrl)).map((b) => JSON.parse(b) as Json);
}

function inputsOf<T>(h: Harness, command: Parameters<Harness['sm']['commandCalls']>[0]): T[] {
  return h.sm.commandCalls(command).map((c) => c.args[0].input as T);
}

/**
 * Registers a package as the registration step does: the artifact is uploaded to the versioned
 * artifact bucket and pinned (S3 version id + SHA-256 in the package's customer metadata).
 */
async function createPackage(h: Harness, spec: InferenceSpecification | undefined, status = 'Approved', pin: 'pin' | 'no-pin' = 'pin'): Promise<string> {
  let metadata: Record<string, string> | undefined;
  const url = spec?.Containers?.[0]?.ModelDataUrl;
  if (url && pin === 'pin') {
    const key = url.replace(`s3://${ARTIFACT_BUCKET}/`, '');
    const bytes = `weights of ${key}`;
    const put = await h.clients.s3.send(new PutObjectCommand({ Bucket: ARTIFACT_BUCKET, Key: key, Body: bytes }));
    metadata = { [PIN_SHA256_KEY]: createHash('sha256').update(bytes).digest('hex'), [PIN_VERSION_KEY]: put.VersionId! };
  }
  const out = await h.moto(
    new CreateModelPackageCommand({
      ModelPackageGroupName: GROUP,
      ModelApprovalStatus: 'PendingManualApproval',
      ...(spec ? { InferenceSpecification: spec } : {}),
      ...(metadata ? { CustomerMetadataProperties: metadata } : {}),
    }),
  );
  if (status !== 'PendingManualApproval') {
    // Moto gap: its UpdateModelPackage replaces the customer metadata with the request's (SageMaker
    // merges), so the approval repeats it.
    await h.moto(
      new UpdateModelPackageCommand({ ModelPackageArn: out.ModelPackageArn, ModelApprovalStatus: status as 'Approved', ...(metadata ? { CustomerMetadataProperties: metadata } : {}) }),
    );
  }
  return out.ModelPackageArn!;
}

function goodSpec(tag = '1'): InferenceSpecification {
  return {
    Containers: [{ Image: `${REGISTRY}/fraud-inference:${tag}`, ModelDataUrl: `s3://${ARTIFACT_BUCKET}/fraud/${tag}/model.tar.gz` }],
    SupportedContentTypes: ['text/csv'],
    SupportedResponseMIMETypes: ['text/csv'],
  };
}

function setEnv(overrides: Record<string, string> = {}): void {
  Object.assign(process.env, {
    PLINTH_ENV: 'dev',
    DEPLOYMENTS: JSON.stringify([{ modelPackageGroupName: GROUP, endpointName: ENDPOINT, variantName: VARIANT, rollbackAlarmNames: ALARMS }]),
    MODEL_EXECUTION_ROLE_ARN: ROLE_ARN,
    SUBNET_IDS: 'subnet-0aaa1111,subnet-0bbb2222',
    SECURITY_GROUP_IDS: 'sg-0ccc3333',
    MODELS_KMS_KEY_ARN: KMS_KEY,
    ARTIFACT_BUCKET,
    ALLOWED_IMAGE_REGISTRIES: REGISTRY,
    CANARY_PERCENT: '10',
    CANARY_WAIT_SECONDS: '600',
    TERMINATION_WAIT_SECONDS: '300',
    MAX_EXECUTION_TIMEOUT_SECONDS: '3600',
    ALARM_TOPIC_ARN: `arn:aws:sns:us-east-1:${ACCOUNT}:plinth-alarms`,
    EVENT_BUS_NAME: BUS,
    ...overrides,
  });
}

const ENV_KEYS = [
  'PLINTH_ENV',
  'DEPLOYMENTS',
  'MODEL_EXECUTION_ROLE_ARN',
  'SUBNET_IDS',
  'SECURITY_GROUP_IDS',
  'MODELS_KMS_KEY_ARN',
  'ARTIFACT_BUCKET',
  'ALLOWED_IMAGE_REGISTRIES',
  'CANARY_PERCENT',
  'CANARY_WAIT_SECONDS',
  'TERMINATION_WAIT_SECONDS',
  'MAX_EXECUTION_TIMEOUT_SECONDS',
  'ALARM_TOPIC_ARN',
  'EVENT_BUS_NAME',
];

/** Default UpdateEndpoint mock: record + emulate a completed blue/green deployment in moto. */
function completeDeployment(h: Harness) {
  return async (input: UpdateEndpointInput) => {
    await h.moto(new DeleteEndpointCommand({ EndpointName: input.EndpointName }));
    await h.moto(new CreateEndpointCommand({ EndpointName: input.EndpointName, EndpointConfigName: input.EndpointConfigName }));
    return { EndpointArn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:endpoint/${input.EndpointName}` };
  };
}

/** Routes and output captures of the current test, undone after it. */
const routes: Array<{ restore(): void }> = [];

async function createHarness(endpoint: string): Promise<Harness> {
  const cfg = motoClientConfig(endpoint);
  // The Lambda's own client factory (maxAttempts 3), pointed at moto.
  const clients = createClients(cfg);
  const realSend = clients.sagemaker.send.bind(clients.sagemaker) as SageMakerClient['send'];
  // The Lambda's own SageMaker client, stubbed (aws-sdk-client-mock).
  const sm = mockClient(handlerClients.sagemaker);
  // Default behaviour of the stub: pass every command through to moto.
  sm.send.callsFake((command) => (realSend as (c: unknown) => Promise<ServiceOutputTypes>)(command));

  const sqs = new SQSClient(cfg);
  const queue = async (name: string) => {
    const url = (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
    const arn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
    return { url, arn };
  };
  const eventsQueue = await queue('captured-events');
  const alarmsQueue = await queue('captured-alarms');
  await clients.eventBridge.send(new CreateEventBusCommand({ Name: BUS }));
  await clients.eventBridge.send(new PutRuleCommand({ Name: 'capture', EventBusName: BUS, EventPattern: JSON.stringify({ source: ['plinth.deploy-model'] }) }));
  await clients.eventBridge.send(new PutTargetsCommand({ Rule: 'capture', EventBusName: BUS, Targets: [{ Id: 'q', Arn: eventsQueue.arn }] }));
  const topicArn = (await clients.sns.send(new CreateTopicCommand({ Name: 'plinth-alarms' }))).TopicArn!;
  await clients.sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: alarmsQueue.arn, Attributes: { RawMessageDelivery: 'true' } }));

  const h: Harness = { clients, moto: realSend, sm, sqs, eventsQueueUrl: eventsQueue.url, alarmsQueueUrl: alarmsQueue.url, logs: [], v1Arn: '' };

  // The registry's artifact bucket, versioned as SecureBucket makes it.
  await clients.s3.send(new CreateBucketCommand({ Bucket: ARTIFACT_BUCKET }));
  await clients.s3.send(new PutBucketVersioningCommand({ Bucket: ARTIFACT_BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));

  // Registry: group + version 1 (approved, image from the allowed registry).
  await realSend(new CreateModelPackageGroupCommand({ ModelPackageGroupName: GROUP }));
  h.v1Arn = await createPackage(h, goodSpec('1'));

  // The endpoint as the CDK side leaves it: three models, a config with two
  // variants, shadow variant, data capture (no key of its own), a volume key, tags.
  for (const name of ['fraud-baseline', 'fraud-challenger', 'fraud-shadow']) {
    await realSend(new CreateModelCommand({ ModelName: name, ExecutionRoleArn: ROLE_ARN, PrimaryContainer: { Image: `${REGISTRY}/${name}:0` } }));
  }
  await realSend(
    new CreateEndpointConfigCommand({
      EndpointConfigName: BASE_CONFIG,
      ProductionVariants: BASE_VARIANTS,
      ShadowProductionVariants: BASE_SHADOW,
      ExplainerConfig: BASE_EXPLAINER,
      DataCaptureConfig: BASE_DATA_CAPTURE,
      KmsKeyId: BASE_KMS_KEY,
      Tags: [
        { Key: 'team', Value: 'risk' },
        { Key: 'plinth:env', Value: 'dev' },
      ],
    }),
  );
  await realSend(new CreateEndpointCommand({ EndpointName: ENDPOINT, EndpointConfigName: BASE_CONFIG }));

  // Augmented pass-through (moto drops these two on CreateEndpointConfig): the
  // seeded config's answer gets back the fields it was created with.
  sm.on(DescribeEndpointConfigCommand, { EndpointConfigName: BASE_CONFIG }).callsFake(async (input: Json) => ({
    ...(await realSend(new DescribeEndpointConfigCommand({ EndpointConfigName: input.EndpointConfigName }))),
    ShadowProductionVariants: BASE_SHADOW,
    ExplainerConfig: BASE_EXPLAINER,
  }));
  // UpdateEndpoint is not implemented by moto: mocked.
  sm.on(UpdateEndpointCommand).callsFake(completeDeployment(h));

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

describeWithMoto('deploy-model handler (moto_server + mocked UpdateEndpoint)', (moto) => {
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

  it('happy path: deploys v1 as a canary with a faithful copy of the endpoint config [moto: all but UpdateEndpoint; mocked: UpdateEndpoint]', async () => {
    // GIVEN model package v1 approved in the registry (moto) and the endpoint on its initial config (moto)
    const record = sqsRecord(approvalBody(h.v1Arn, 1));

    // WHEN the approval is delivered
    const res = await handler(sqsEvent(record));

    // THEN the message is acknowledged
    expect(res.batchItemFailures).toEqual([]);

    // AND the model runs the package with network isolation in the VPC, as the execution role
    const [createModel] = inputsOf<Json>(h, CreateModelCommand);
    expect(createModel).toEqual({
      ModelName: 'fraud-dev-primary-v1',
      ExecutionRoleArn: ROLE_ARN,
      // the package's container, its model data the approved copy (never the package ARN, whose artifact can be overwritten)
      PrimaryContainer: { Image: `${REGISTRY}/fraud-inference:1`, ModelDataUrl: `s3://${ARTIFACT_BUCKET}/approved/${GROUP}/1/model.tar.gz` },
      EnableNetworkIsolation: true, // request-level assertion: moto does not store this flag
      VpcConfig: { Subnets: ['subnet-0aaa1111', 'subnet-0bbb2222'], SecurityGroupIds: ['sg-0ccc3333'] },
      Tags: [{ Key: 'plinth:model-package', Value: h.v1Arn }],
    });
    const model = await h.moto(new DescribeModelCommand({ ModelName: 'fraud-dev-primary-v1' }));
    expect(model.VpcConfig).toEqual({ Subnets: ['subnet-0aaa1111', 'subnet-0bbb2222'], SecurityGroupIds: ['sg-0ccc3333'] });
    expect(model.PrimaryContainer?.ModelDataUrl).toBe(`s3://${ARTIFACT_BUCKET}/approved/${GROUP}/1/model.tar.gz`);
    // AND the approved copy holds exactly the pinned bytes
    const copy = await h.clients.s3.send(new GetObjectCommand({ Bucket: ARTIFACT_BUCKET, Key: `approved/${GROUP}/1/model.tar.gz` }));
    expect(await copy.Body!.transformToString()).toBe('weights of fraud/1/model.tar.gz');

    // AND the new endpoint config copies every setting, only the primary variant's model changes
    const createConfigs = inputsOf<CreateEndpointConfigInput>(h, CreateEndpointConfigCommand);
    expect(createConfigs).toHaveLength(1);
    const sent = createConfigs[0]!;
    expect(sent.EndpointConfigName).toMatch(/^fraud-dev-v1-[0-9a-f]{8}$/);
    expect(sent.ProductionVariants).toEqual([{ ...BASE_VARIANTS[0], ModelName: 'fraud-dev-primary-v1' }, BASE_VARIANTS[1]]);
    expect(sent.ShadowProductionVariants).toEqual(BASE_SHADOW);
    expect(sent.ExplainerConfig).toEqual(BASE_EXPLAINER);
    expect(sent.KmsKeyId).toBe(BASE_KMS_KEY); // the config's own volume key is kept
    expect(sent.DataCaptureConfig).toEqual({ ...BASE_DATA_CAPTURE, KmsKeyId: KMS_KEY }); // capture had no key: MODELS_KMS_KEY_ARN
    expect(sent.Tags).toEqual(expect.arrayContaining([{ Key: 'team', Value: 'risk' }, { Key: 'plinth:env', Value: 'dev' }]));
    // ... and moto stored what it supports of it
    const stored = await h.moto(new DescribeEndpointConfigCommand({ EndpointConfigName: sent.EndpointConfigName }));
    expect(stored.ProductionVariants).toEqual(sent.ProductionVariants);
    expect(stored.DataCaptureConfig).toEqual(sent.DataCaptureConfig);
    expect(stored.KmsKeyId).toBe(BASE_KMS_KEY);

    // AND UpdateEndpoint carries the canary policy and the rollback alarms
    const updates = inputsOf<UpdateEndpointInput>(h, UpdateEndpointCommand);
    expect(updates).toEqual([
      {
        EndpointName: ENDPOINT,
        EndpointConfigName: sent.EndpointConfigName,
        DeploymentConfig: {
          BlueGreenUpdatePolicy: {
            TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 }, WaitIntervalInSeconds: 600 },
            TerminationWaitInSeconds: 300,
            MaximumExecutionTimeoutInSeconds: 3600,
          },
          AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'fraud-dev-5xx' }, { AlarmName: 'fraud-dev-p99-latency' }] },
        },
      },
    ]);
    expect(updates[0]).not.toHaveProperty('RetainAllVariantProperties');

    // AND the promotion decision is recorded on the bus, no failure and no alarm
    const events = await busEvents(h);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ source: 'plinth.deploy-model', 'detail-type': 'Model Deployment Started' });
    expect(events[0]!.detail).toEqual({
      env: 'dev',
      modelPackageArn: h.v1Arn,
      group: GROUP,
      version: 1,
      endpointName: ENDPOINT,
      variantName: VARIANT,
      modelName: 'fraud-dev-primary-v1',
      endpointConfigName: sent.EndpointConfigName,
      previousEndpointConfigName: BASE_CONFIG,
      canaryPercent: 10,
    });
    expect(await alarmMessages(h)).toEqual([]);

    // AND the new config is marked as submitted (rollback guard), in moto
    const tags = await h.moto(new ListTagsCommand({ ResourceArn: stored.EndpointConfigArn }));
    expect(tags.Tags).toEqual(expect.arrayContaining([{ Key: SUBMITTED_TAG_KEY, Value: 'true' }]));
  });

  it('weights replaced after approval → the deploy refuses, records artifact-mismatch and the alarm names the artifact; nothing is created [moto: S3, registry, bus, SNS]', async () => {
    // GIVEN v1 approved with its artifact pinned, THEN the registrant overwrites model.tar.gz (a new S3 version)
    await h.clients.s3.send(new PutObjectCommand({ Bucket: ARTIFACT_BUCKET, Key: 'fraud/1/model.tar.gz', Body: 'unreviewed weights' }));

    // WHEN v1's approval is delivered
    const res = await handler(sqsEvent(sqsRecord(approvalBody(h.v1Arn, 1))));

    // THEN it is acked as a clear failure, no model, config or endpoint update is made
    expect(res.batchItemFailures).toEqual([]);
    expect(h.sm.commandCalls(CreateModelCommand)).toHaveLength(0);
    expect(h.sm.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
    // AND the failure event and the alarm name the artifact and both versions
    const [failed] = (await busEvents(h)).map((e) => e.detail);
    expect(failed).toMatchObject({ reason: 'artifact-mismatch', version: 1 });
    expect(failed.message).toMatch(/s3:\/\/plinth-dev-models\/fraud\/1\/model\.tar\.gz was replaced after it was pinned/);
    const [alarm] = await alarmMessages(h);
    expect(alarm).toMatchObject({ reason: 'artifact-mismatch' });
    expect(alarm.message).toContain('fraud/1/model.tar.gz');
  });

  it('pinned version whose bytes differ from the pinned SHA-256 → artifact-mismatch [moto: S3]', async () => {
    // GIVEN a package whose pin names the right version but another checksum
    const put = await h.clients.s3.send(new PutObjectCommand({ Bucket: ARTIFACT_BUCKET, Key: 'fraud/2/model.tar.gz', Body: 'weights v2' }));
    const pin = { [PIN_SHA256_KEY]: createHash('sha256').update('other bytes').digest('hex'), [PIN_VERSION_KEY]: put.VersionId! };
    const out = await h.moto(
      new CreateModelPackageCommand({ ModelPackageGroupName: GROUP, ModelApprovalStatus: 'PendingManualApproval', InferenceSpecification: goodSpec('2'), CustomerMetadataProperties: pin }),
    );
    // (moto gap: the approval repeats the metadata, see createPackage)
    await h.moto(new UpdateModelPackageCommand({ ModelPackageArn: out.ModelPackageArn, ModelApprovalStatus: 'Approved', CustomerMetadataProperties: pin }));

    // WHEN its approval is delivered
    const res = await handler(sqsEvent(sqsRecord(approvalBody(out.ModelPackageArn!, 2))));

    // THEN nothing is deployed and the mismatch is recorded with both checksums
    expect(res.batchItemFailures).toEqual([]);
    expect(h.sm.commandCalls(CreateModelCommand)).toHaveLength(0);
    const [failed] = (await busEvents(h)).map((e) => e.detail);
    expect(failed.reason).toBe('artifact-mismatch');
    expect(failed.message).toContain(createHash('sha256').update('weights v2').digest('hex'));
  });

  it('an artifact without a pin is never deployed [moto]', async () => {
    // GIVEN v2 registered and approved without the pin metadata
    const v2 = await createPackage(h, goodSpec('2'), 'Approved', 'no-pin');
    await h.clients.s3.send(new PutObjectCommand({ Bucket: ARTIFACT_BUCKET, Key: 'fraud/2/model.tar.gz', Body: 'weights v2' }));

    // WHEN its approval is delivered
    const res = await handler(sqsEvent(sqsRecord(approvalBody(v2, 2))));

    // THEN it is refused as unpinned
    expect(res.batchItemFailures).toEqual([]);
    expect(h.sm.commandCalls(CreateModelCommand)).toHaveLength(0);
    expect((await busEvents(h)).map((e) => [e.detail.reason, /no artifact pin/.test(e.detail.message)])).toEqual([['artifact-mismatch', true]]);
  });

  it('throttling on CreateEndpointConfig: SDK retries 3 times, then the message is a batch item failure; the SQS retry succeeds [moto + injected ThrottlingException; mocked: UpdateEndpoint]', async () => {
    // GIVEN SageMaker throttles CreateEndpointConfig for the next 3 attempts (injected inside the SDK retry loop)
    let throttlesLeft = 3;
    let attempts = 0;
    h.clients.sagemaker.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'CreateEndpointConfigCommand') {
          attempts++;
          if (throttlesLeft > 0) {
            throttlesLeft--;
            throw sdkError('ThrottlingException', 'Rate exceeded');
          }
        }
        return next(args);
      },
      { step: 'deserialize', name: 'injectThrottling' },
    );
    // AND the batch also holds an approval of a group this env does not deploy
    const approval = sqsRecord(approvalBody(h.v1Arn, 1));
    const unrelated = sqsRecord(approvalBody(`arn:aws:sagemaker:us-east-1:${ACCOUNT}:model-package/churn/4`, 4, 'Approved', 'churn'));

    // WHEN the batch is delivered
    const first = await handler(sqsEvent(approval, unrelated));

    // THEN only the throttled approval is reported for retry, after 3 SDK attempts
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: approval.messageId }]);
    expect(attempts).toBe(3);
    expect(h.sm.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
    expect(await busEvents(h)).toEqual([]);
    expect(await alarmMessages(h)).toEqual([]); // transient: no alarm, no failure event

    // WHEN SQS redelivers it (throttling is over)
    const second = await handler(sqsEvent(approval));

    // THEN it is deployed exactly once
    expect(second.batchItemFailures).toEqual([]);
    expect(attempts).toBe(4);
    expect(h.sm.commandCalls(UpdateEndpointCommand)).toHaveLength(1);
    const endpoint = await h.moto(new DescribeEndpointCommand({ EndpointName: ENDPOINT }));
    expect(endpoint.EndpointConfigName).toMatch(/^fraud-dev-v1-/);
    expect((await busEvents(h)).map((e) => e['detail-type'])).toEqual(['Model Deployment Started']);
  });

  it('conflict: UpdateEndpoint answers "Cannot update in-progress endpoint" → batch item failure, nothing lost, the retry reuses the config [moto + mocked UpdateEndpoint]', async () => {
    // GIVEN the endpoint gets updated by someone else between our DescribeEndpoint and UpdateEndpoint
    h.sm
      .on(UpdateEndpointCommand)
      .callsFakeOnce(async () => {
        throw sdkError('ValidationException', `Cannot update in-progress endpoint "arn:aws:sagemaker:us-east-1:${ACCOUNT}:endpoint/${ENDPOINT}".`);
      })
      .callsFake(completeDeployment(h));
    const record = sqsRecord(approvalBody(h.v1Arn, 1));

    // WHEN the approval is delivered
    const first = await handler(sqsEvent(record));

    // THEN it is reported for retry, with no failure event or alarm
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(await busEvents(h)).toEqual([]);
    expect(await alarmMessages(h)).toEqual([]);

    // WHEN SQS redelivers it
    const second = await handler(sqsEvent(record));

    // THEN the deployment happens, reusing the endpoint config created by the first attempt
    expect(second.batchItemFailures).toEqual([]);
    expect(h.sm.commandCalls(CreateEndpointConfigCommand)).toHaveLength(1);
    const updates = inputsOf<UpdateEndpointInput>(h, UpdateEndpointCommand);
    expect(updates).toHaveLength(2);
    expect(updates[1]!.EndpointConfigName).toBe(updates[0]!.EndpointConfigName);
    expect((await busEvents(h)).map((e) => e['detail-type'])).toEqual(['Model Deployment Started']);
  });

  it('endpoint already Updating → batch item failure without creating anything; deploys once it is InService [moto; mocked: DescribeEndpoint status, UpdateEndpoint]', async () => {
    // GIVEN DescribeEndpoint reports Updating (moto endpoints are always InService: the status is overridden once)
    h.sm.on(DescribeEndpointCommand).callsFakeOnce(async (input: Json) => ({
      ...(await h.moto(new DescribeEndpointCommand({ EndpointName: input.EndpointName }))),
      EndpointStatus: 'Updating',
    }));
    const record = sqsRecord(approvalBody(h.v1Arn, 1));

    // WHEN the approval is delivered
    const first = await handler(sqsEvent(record));

    // THEN it is retried later and nothing was created yet
    expect(first.batchItemFailures).toEqual([{ itemIdentifier: record.messageId }]);
    expect(h.sm.commandCalls(CreateModelCommand)).toHaveLength(0);
    expect(h.sm.commandCalls(CreateEndpointConfigCommand)).toHaveLength(0);
    expect(h.sm.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
    expect(h.logs.some((l) => l.msg === 'message will be retried' && /is Updating/.test(String(l.errorMessage)))).toBe(true);

    // WHEN it is redelivered and the endpoint is InService again
    const second = await handler(sqsEvent(record));

    // THEN it is deployed
    expect(second.batchItemFailures).toEqual([]);
    expect(h.sm.commandCalls(UpdateEndpointCommand)).toHaveLength(1);
  });

  it('missing package → Model Deployment Failed (package-not-found) + alarm topic, acked [moto]', async () => {
    // GIVEN an approval for version 99, which the registry (moto) does not have
    const arn = `arn:aws:sagemaker:us-east-1:${ACCOUNT}:model-package/${GROUP}/99`;
    const record = sqsRecord(approvalBody(arn, 99));

    // WHEN it is delivered
    const res = await handler(sqsEvent(record));

    // THEN it is acked, recorded as failed, and the alarm topic is notified; nothing is deployed
    expect(res.batchItemFailures).toEqual([]);
    const events = await busEvents(h);
    expect(events).toHaveLength(1);
    expect(events[0]!['detail-type']).toBe('Model Deployment Failed');
    expect(events[0]!.detail).toMatchObject({ env: 'dev', reason: 'package-not-found', modelPackageArn: arn, group: GROUP, version: 99, sqsMessageId: record.messageId });
    const alarms = await alarmMessages(h);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({ reason: 'package-not-found', modelPackageArn: arn });
    expect(h.sm.commandCalls(CreateModelCommand)).toHaveLength(0);
    expect(h.sm.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
  });

  it('replayed approval (twice in one batch, then again later) → exactly one deployment [moto; mocked: UpdateEndpoint, emulating completion]', async () => {
    // GIVEN the same approval delivered twice in one batch (EventBridge/SQS at-least-once)
    const body = approvalBody(h.v1Arn, 1);

    // WHEN both are processed, and the approval is delivered once more later
    const first = await handler(sqsEvent(sqsRecord(body), sqsRecord(body)));
    const later = await handler(sqsEvent(sqsRecord(body)));

    // THEN all are acked, and only one model, one endpoint config, one update and one Started event exist
    expect(first.batchItemFailures).toEqual([]);
    expect(later.batchItemFailures).toEqual([]);
    expect(h.sm.commandCalls(CreateModelCommand)).toHaveLength(1);
    expect(h.sm.commandCalls(CreateEndpointConfigCommand)).toHaveLength(1);
    expect(h.sm.commandCalls(UpdateEndpointCommand)).toHaveLength(1);
    expect((await busEvents(h)).map((e) => e['detail-type'])).toEqual(['Model Deployment Started']);
    expect(h.logs.filter((l) => l.msg === 'already deployed: variant already runs this model version')).toHaveLength(2);
  });

  it('replay after the canary was rolled back → not redeployed, recorded as previously-rolled-back [moto; mocked: UpdateEndpoint without effect]', async () => {
    // GIVEN UpdateEndpoint is accepted but the endpoint ends up back on its initial config (auto-rollback)
    h.sm.on(UpdateEndpointCommand).callsFake(async (input: Json) => ({ EndpointArn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:endpoint/${input.EndpointName}` }));
    const body = approvalBody(h.v1Arn, 1);
    expect((await handler(sqsEvent(sqsRecord(body)))).batchItemFailures).toEqual([]);
    expect((await busEvents(h)).map((e) => e['detail-type'])).toEqual(['Model Deployment Started']);

    // WHEN the same approval is replayed
    const replay = await handler(sqsEvent(sqsRecord(body)));

    // THEN it is acked without a second UpdateEndpoint, and a human is told why
    expect(replay.batchItemFailures).toEqual([]);
    expect(h.sm.commandCalls(UpdateEndpointCommand)).toHaveLength(1);
    const events = await busEvents(h);
    expect(events.map((e) => [e['detail-type'], e.detail.reason])).toEqual([['Model Deployment Failed', 'previously-rolled-back']]);
    expect(await alarmMessages(h)).toHaveLength(1);
  });

  it('the rollback guard tag cannot be written → the deployment goes on, and the alarm topic is told the guard is off [moto; mocked: AddTags throttled, UpdateEndpoint]', async () => {
    // GIVEN AddTags is throttled past the SDK's retries
    h.sm.on(AddTagsCommand).rejects(sdkError('ThrottlingException', 'Rate exceeded'));
    // WHEN v1's approval is delivered
    const res = await handler(sqsEvent(sqsRecord(approvalBody(h.v1Arn, 1))));
    // THEN the rollout (already in flight) is not failed
    expect(res.batchItemFailures).toEqual([]);
    expect(h.sm.commandCalls(UpdateEndpointCommand)).toHaveLength(1);
    expect((await busEvents(h)).map((e) => e['detail-type'])).toEqual(['Model Deployment Started']);
    // AND a person learns that a replay after a rollback would redeploy it (before: one error log line, nothing else)
    const alarms = await alarmMessages(h);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]).toMatchObject({
      problem: 'rollback guard not set: a replayed approval after a rollback of this rollout would deploy it again',
      endpointName: ENDPOINT,
      error: 'Rate exceeded',
    });
  });

  it('unapproved packages are never deployed: event status Pending, and event Approved but registry Rejected [moto]', async () => {
    // GIVEN an event saying PendingManualApproval, and version 2 whose approval was revoked (Rejected in moto)
    const v2 = await createPackage(h, goodSpec('2'), 'Rejected');
    const pending = sqsRecord(approvalBody(h.v1Arn, 1, 'PendingManualApproval'));
    const stale = sqsRecord(approvalBody(v2, 2, 'Approved'));

    // WHEN both are delivered
    const res = await handler(sqsEvent(pending, stale));

    // THEN both are acked and skipped: nothing is created or updated, no event, no alarm
    expect(res.batchItemFailures).toEqual([]);
    expect(h.sm.commandCalls(DescribeModelPackageCommand)).toHaveLength(1); // only the "Approved" one is re-checked live
    expect(h.sm.commandCalls(CreateModelCommand)).toHaveLength(0);
    expect(h.sm.commandCalls(CreateEndpointConfigCommand)).toHaveLength(0);
    expect(h.sm.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
    expect(await busEvents(h)).toEqual([]);
    expect(await alarmMessages(h)).toEqual([]);
    const skips = h.logs.filter((l) => l.msg === 'skipped: not approved');
    expect(skips.map((l) => [l.status, l.source])).toEqual([
      ['PendingManualApproval', 'event'],
      ['Rejected', 'DescribeModelPackage'],
    ]);
  });

  it('malformed events → Model Deployment Failed (malformed-event) + alarm topic, acked, no SageMaker call [moto: EventBridge, SNS]', async () => {
    // GIVEN a body that is not JSON and one that is JSON but not a model package event
    const garbage = sqsRecord('{"detail-type": "SageMaker Model Package State Change", ');
    const wrongShape = sqsRecord(JSON.stringify({ 'detail-type': 'SageMaker Model Package State Change', source: 'aws.sagemaker', detail: { ModelPackageGroupName: GROUP } }));

    // WHEN they are delivered
    const res = await handler(sqsEvent(garbage, wrongShape));

    // THEN both are acked (never retried), recorded and notified; SageMaker is not called
    expect(res.batchItemFailures).toEqual([]);
    const events = await busEvents(h);
    expect(events.map((e) => [e['detail-type'], e.detail.reason, e.detail.sqsMessageId])).toEqual([
      ['Model Deployment Failed', 'malformed-event', garbage.messageId],
      ['Model Deployment Failed', 'malformed-event', wrongShape.messageId],
    ]);
    expect(await alarmMessages(h)).toHaveLength(2);
    expect(h.sm.calls()).toHaveLength(0);
  });

  it('image from a disallowed registry → invalid-package + alarm topic, acked, nothing deployed [moto]', async () => {
    // GIVEN version 2 approved in moto with an image from another account's registry
    const v2 = await createPackage(h, { Containers: [{ Image: '999999999999.dkr.ecr.us-east-1.amazonaws.com/fraud-inference:2' }] });

    // WHEN its approval is delivered
    const res = await handler(sqsEvent(sqsRecord(approvalBody(v2, 2))));

    // THEN it is acked and recorded as an invalid package with the reason
    expect(res.batchItemFailures).toEqual([]);
    const [event, ...rest] = await busEvents(h);
    expect(rest).toEqual([]);
    expect(event!.detail).toMatchObject({ reason: 'invalid-package', version: 2 });
    expect(event!.detail.message).toContain('999999999999.dkr.ecr.us-east-1.amazonaws.com/fraud-inference:2 is not from an allowed registry');
    expect(await alarmMessages(h)).toHaveLength(1);
    expect(h.sm.commandCalls(CreateModelCommand)).toHaveLength(0);
    expect(h.sm.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
  });

  it('package without an inference specification → invalid-package + alarm topic, acked [moto]', async () => {
    // GIVEN version 2 approved in moto without InferenceSpecification
    const v2 = await createPackage(h, undefined);

    // WHEN its approval is delivered
    const res = await handler(sqsEvent(sqsRecord(approvalBody(v2, 2))));

    // THEN it is acked and recorded as an invalid package
    expect(res.batchItemFailures).toEqual([]);
    const events = await busEvents(h);
    expect(events.map((e) => [e.detail.reason, e.detail.message])).toEqual([['invalid-package', 'model package has no InferenceSpecification']]);
    expect(await alarmMessages(h)).toHaveLength(1);
    expect(h.sm.commandCalls(CreateModelCommand)).toHaveLength(0);
  });

  it('unknown variant → unknown-variant failure, acked, no model created [moto]', async () => {
    // GIVEN DEPLOYMENTS points the group at a variant the endpoint config does not have
    setEnv({ DEPLOYMENTS: JSON.stringify([{ modelPackageGroupName: GROUP, endpointName: ENDPOINT, variantName: 'blue', rollbackAlarmNames: ALARMS }]) });

    // WHEN v1's approval is delivered
    const res = await handler(sqsEvent(sqsRecord(approvalBody(h.v1Arn, 1))));

    // THEN it is acked and recorded with the endpoint and variant
    expect(res.batchItemFailures).toEqual([]);
    const events = await busEvents(h);
    expect(events.map((e) => e.detail)).toEqual([
      expect.objectContaining({ reason: 'unknown-variant', endpointName: ENDPOINT, variantName: 'blue', version: 1 }),
    ]);
    expect(await alarmMessages(h)).toHaveLength(1);
    expect(h.sm.commandCalls(CreateModelCommand)).toHaveLength(0);
  });

  it('a model name already taken by another package → name-collision, never deploys the wrong model [moto; mocked: CreateModel "already existing"]', async () => {
    // GIVEN a model named like ours already exists in moto, created from another package
    await h.moto(new CreateModelCommand({ ModelName: 'fraud-dev-primary-v1', ExecutionRoleArn: ROLE_ARN, PrimaryContainer: { Image: `${REGISTRY}/other:1`, ModelDataUrl: `s3://${ARTIFACT_BUCKET}/other/model.tar.gz` } }));
    // AND CreateModel answers like real SageMaker (moto would silently overwrite)
    h.sm.on(CreateModelCommand).rejects(sdkError('ValidationException', `Cannot create already existing model "arn:aws:sagemaker:us-east-1:${ACCOUNT}:model/fraud-dev-primary-v1".`));

    // WHEN v1's approval is delivered
    const res = await handler(sqsEvent(sqsRecord(approvalBody(h.v1Arn, 1))));

    // THEN it is acked as a name collision and the endpoint is not updated
    expect(res.batchItemFailures).toEqual([]);
    expect((await busEvents(h)).map((e) => e.detail.reason)).toEqual(['name-collision']);
    expect(h.sm.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
  });

  it('sagemaker:ListTags denied → still deploys, without copied tags, and logs the missing permission [moto; mocked: ListTags AccessDenied, UpdateEndpoint]', async () => {
    // GIVEN the function's role may not list tags
    h.sm.on(ListTagsCommand).rejects(sdkError('AccessDeniedException', 'User is not authorized to perform: sagemaker:ListTags'));

    // WHEN v1's approval is delivered
    const res = await handler(sqsEvent(sqsRecord(approvalBody(h.v1Arn, 1))));

    // THEN the deployment still happens, the new config simply has no copied tags
    expect(res.batchItemFailures).toEqual([]);
    const [sent] = inputsOf<CreateEndpointConfigInput>(h, CreateEndpointConfigCommand);
    expect(sent!.Tags).toBeUndefined();
    expect(h.sm.commandCalls(UpdateEndpointCommand)).toHaveLength(1);
    expect(h.logs.some((l) => l.level === 'error' && String(l.msg).startsWith('sagemaker:ListTags denied'))).toBe(true);
  });

  it('an approval of a group this environment does not deploy is acked without any call [no AWS call]', async () => {
    // GIVEN an approval for group "churn", absent from DEPLOYMENTS
    const record = sqsRecord(approvalBody(`arn:aws:sagemaker:us-east-1:${ACCOUNT}:model-package/churn/4`, 4, 'Approved', 'churn'));

    // WHEN delivered
    const res = await handler(sqsEvent(record));

    // THEN acked, logged, and nothing else happens
    expect(res.batchItemFailures).toEqual([]);
    expect(h.sm.calls()).toHaveLength(0);
    expect(await busEvents(h)).toEqual([]);
    expect(h.logs.some((l) => l.msg === 'skipped: group not deployed by this environment' && l.group === 'churn')).toBe(true);
  });

  it('an invalid environment fails the whole invocation (messages stay queued) [no AWS call]', async () => {
    // GIVEN CANARY_PERCENT above the 50% SageMaker allows
    setEnv({ CANARY_PERCENT: '80' });

    // WHEN a batch is delivered
    // THEN the invocation fails and nothing is called
    await expect(handler(sqsEvent(sqsRecord(approvalBody(h.v1Arn, 1))))).rejects.toThrow('CANARY_PERCENT');
    expect(h.sm.calls()).toHaveLength(0);
  });
});
