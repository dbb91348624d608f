/**
 * `plinth models rollback` with aws-sdk-client-mock on the SageMaker client: moto 5 has no
 * UpdateEndpoint (it answers HTTP 500), and its endpoints never leave InService, so the update's
 * progress cannot be observed there. Every SageMaker call here is mocked; no other service is called.
 */
import {
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  ListEndpointConfigsCommand,
  SageMakerClient,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { runCli } from './cli-harness';

const ENDPOINT = 'fraud-detector-dev';
const CURRENT = 'fraud-detector-dev-v7-aaaa';
const PREVIOUS = 'fraud-detector-dev-v6-bbbb';
const OLDER = 'fraud-detector-dev-v5-cccc';

describe('plinth models rollback (aws-sdk-client-mock)', () => {
  const sagemaker = mockClient(SageMakerClient);
  const saved = { ...process.env };

  beforeAll(() => {
    Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_ENDPOINT_URL;
  });
  afterAll(() => {
    process.env = saved;
    sagemaker.restore();
  });
  beforeEach(() => {
    sagemaker.reset();
    sagemaker.on(DescribeEndpointConfigCommand, { EndpointConfigName: CURRENT }).resolves({ EndpointConfigName: CURRENT, CreationTime: new Date('2026-11-20T10:00:00Z') });
    sagemaker.on(ListEndpointConfigsCommand).resolves({
      EndpointConfigs: [
        { EndpointConfigName: CURRENT, EndpointConfigArn: 'arn:c', CreationTime: new Date('2026-11-20T10:00:00Z') },
        { EndpointConfigName: PREVIOUS, EndpointConfigArn: 'arn:p', CreationTime: new Date('2026-11-10T10:00:00Z') },
        { EndpointConfigName: OLDER, EndpointConfigArn: 'arn:o', CreationTime: new Date('2026-11-01T10:00:00Z') },
      ],
    });
    sagemaker.on(UpdateEndpointCommand).resolves({ EndpointArn: 'arn:e' });
  });

  it('on an endpoint that does not exist, says to deploy the environment first', async () => {
    sagemaker.on(DescribeEndpointCommand).rejects(Object.assign(new Error(`Could not find endpoint "${ENDPOINT}".`), { name: 'ValidationException' }));
    const run = await runCli('models', 'rollback', '--env', 'dev', '--endpoint', ENDPOINT);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`endpoint ${ENDPOINT} does not exist in dev`);
    expect(run.stderr).toContain("next step: deploy dev first (npx cdk deploy -c env=dev 'dev/*')");
    expect(run.stderr).not.toContain('check the name or ARN');
    expect(sagemaker.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
  });

  it('returns the endpoint to the previous endpoint config and waits, showing progress', async () => {
    // GIVEN an InService endpoint that will take two polls to update
    sagemaker
      .on(DescribeEndpointCommand)
      .resolvesOnce({ EndpointName: ENDPOINT, EndpointStatus: 'InService', EndpointConfigName: CURRENT })
      .resolvesOnce({ EndpointName: ENDPOINT, EndpointStatus: 'Updating', EndpointConfigName: CURRENT })
      .resolves({ EndpointName: ENDPOINT, EndpointStatus: 'InService', EndpointConfigName: PREVIOUS });
    // WHEN rolling back
    const run = await runCli('models', 'rollback', '--env', 'dev', '--endpoint', ENDPOINT);
    // THEN UpdateEndpoint names the previous config, progress went to stderr, and the result is OK
    expect(run.code).toBe(0);
    expect(sagemaker.commandCalls(UpdateEndpointCommand)[0]!.args[0].input).toEqual({ EndpointName: ENDPOINT, EndpointConfigName: PREVIOUS });
    expect(run.stderr).toContain(`rolling ${ENDPOINT} back: ${CURRENT} → ${PREVIOUS}`);
    expect(run.stderr).toMatch(new RegExp(`${ENDPOINT}: Updating \\(\\d+ s\\)`));
    expect(run.stdout).toContain(`${ENDPOINT} is InService on ${PREVIOUS} (was ${CURRENT})`);
  });

  it('goes to the config named with --to', async () => {
    sagemaker
      .on(DescribeEndpointCommand)
      .resolvesOnce({ EndpointStatus: 'InService', EndpointConfigName: CURRENT })
      .resolves({ EndpointStatus: 'InService', EndpointConfigName: OLDER });
    const run = await runCli('models', 'rollback', '--endpoint', ENDPOINT, '--to', OLDER, '--json');
    expect(run.code).toBe(0);
    expect(run.json()).toEqual({ ok: true, endpoint: ENDPOINT, from: CURRENT, to: OLDER });
  });

  it('fails when SageMaker rolled the update back, and says where to read why', async () => {
    sagemaker
      .on(DescribeEndpointCommand)
      .resolvesOnce({ EndpointStatus: 'InService', EndpointConfigName: CURRENT })
      .resolves({ EndpointStatus: 'InService', EndpointConfigName: CURRENT });
    const run = await runCli('models', 'rollback', '--endpoint', ENDPOINT);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`is InService on ${CURRENT}, not ${PREVIOUS}`);
    expect(run.stderr).toContain('next step: read FailureReason');
  });

  it('refuses while a deployment is running, and calls no UpdateEndpoint', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'Updating', EndpointConfigName: CURRENT });
    const run = await runCli('models', 'rollback', '--endpoint', ENDPOINT);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('is Updating, not InService');
    expect(sagemaker.commandCalls(UpdateEndpointCommand)).toHaveLength(0);
  });

  it('explains an SDK error without a stack trace', async () => {
    sagemaker.on(DescribeEndpointCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    const run = await runCli('models', 'rollback', '--endpoint', ENDPOINT);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('ThrottlingException: Rate exceeded');
    expect(run.stderr).toContain('next step:');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
