/**
 * `plinth models list|approve|reject|promote` against moto_server (moto 5), with the real SDK
 * clients. What moto emulates here: SageMaker model package groups and packages (create, list,
 * describe, update approval), CloudFormation stacks with an IAM role, STS GetCallerIdentity and
 * AssumeRole (the assumed-role ARN names the role). Rollback needs UpdateEndpoint, which moto
 * lacks: see rollback.mock.test.ts.
 */
import { CreateModelPackageCommand, CreateModelPackageGroupCommand, DescribeModelPackageCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { CreateStackCommand, DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { controlPlaneClients } from '../../cli/aws/connection';
import { describeWithMoto, motoClientConfig } from '../support/moto';
import { runCli, useEmulatorEnvironment } from './cli-harness';

const GROUP = 'fraud-detector';
const DEV_REGISTRY = '111111111111.dkr.ecr.us-east-1.amazonaws.com';

describeWithMoto('plinth models (moto)', (moto) => {
  let restore: () => void;
  let sagemaker: SageMakerClient;
  let approverRole: string;

  beforeAll(async () => {
    restore = useEmulatorEnvironment(moto.endpoint);
    sagemaker = new SageMakerClient(motoClientConfig(moto.endpoint));
    await sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: GROUP }));
    // The dev Models stack as far as approval needs it: the registry's approver role.
    const context = { region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, endpoint: moto.endpoint };
    const template = { Resources: { RegistryApproverRole995569B9: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] } } } } };
    await controlPlaneClients(context).cloudFormation.send(new CreateStackCommand({ StackName: 'dev-Models', TemplateBody: JSON.stringify(template) }));
    const resources = await controlPlaneClients(context).cloudFormation.send(new DescribeStackResourcesCommand({ StackName: 'dev-Models' }));
    approverRole = resources.StackResources![0]!.PhysicalResourceId!;
  });
  afterAll(() => restore());

  async function registerVersion(): Promise<string> {
    const created = await sagemaker.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName: GROUP,
        ModelApprovalStatus: 'PendingManualApproval',
        InferenceSpecification: { Containers: [{ Image: `${DEV_REGISTRY}/fraud-detector-serving:2.0.0` }], SupportedContentTypes: ['application/json'], SupportedResponseMIMETypes: ['application/json'] },
      }),
    );
    return created.ModelPackageArn!;
  }

  async function approvalOf(arn: string): Promise<string | undefined> {
    return (await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }))).ModelApprovalStatus;
  }

  async function asApprover<T>(run: () => Promise<T>): Promise<T> {
    const context = { region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, endpoint: moto.endpoint };
    const { Credentials: assumed } = await controlPlaneClients(context).sts.send(new AssumeRoleCommand({ RoleArn: `arn:aws:iam::123456789012:role/${approverRole}`, RoleSessionName: 'alice' }));
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: assumed!.AccessKeyId!,
      AWS_SECRET_ACCESS_KEY: assumed!.SecretAccessKey!,
      AWS_SESSION_TOKEN: assumed!.SessionToken!,
    });
    try {
      return await run();
    } finally {
      process.env = saved;
    }
  }

  it('lists the versions of the environment\'s groups as JSON', async () => {
    // GIVEN a registered version WHEN listing dev's models
    const arn = await registerVersion();
    const run = await runCli('models', 'list', '--env', 'dev', '--json');
    // THEN the version is there with its approval status
    expect(run.code).toBe(0);
    const versions = run.json<{ versions: Array<{ arn: string; approval: string; group: string }> }>().versions;
    expect(versions).toContainEqual(expect.objectContaining({ arn, group: GROUP, approval: 'PendingManualApproval' }));
  });

  it('refuses to approve without the approver role, naming both identities, and changes nothing', async () => {
    // GIVEN moto's default user (not the approver role)
    const arn = await registerVersion();
    // WHEN approving
    const run = await runCli('models', 'approve', arn);
    // THEN exit 1, cause and next step, and the version is still pending
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`refused: approving needs the approver role ${approverRole}`);
    expect(run.stderr).toContain('next step: assume the approver role');
    expect(await approvalOf(arn)).toBe('PendingManualApproval');
  });

  it('approves GROUP/VERSION as the approver role', async () => {
    const arn = await registerVersion();
    const version = arn.slice(arn.lastIndexOf('/') + 1);
    const run = await asApprover(() => runCli('models', 'approve', `${GROUP}/${version}`, '--note', 'offline eval ok', '--json'));
    expect(run.code).toBe(0);
    expect(run.json()).toEqual({ ok: true, modelPackageArn: arn, approval: 'Approved' });
    expect(await approvalOf(arn)).toBe('Approved');
  });

  it('rejects a version', async () => {
    const arn = await registerVersion();
    const run = await runCli('models', 'reject', arn, '--note', 'AUC regression');
    expect(run.code).toBe(0);
    expect(await approvalOf(arn)).toBe('Rejected');
  });

  it('fails with the next step when GROUP/VERSION does not exist', async () => {
    const run = await runCli('models', 'reject', `${GROUP}/999`);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`model package ${GROUP}/999 does not exist`);
    expect(run.stderr).toContain('plinth models list --group fraud-detector');
  });

  it('promotes an approved version to staging, pending approval there, from staging\'s registry', async () => {
    // GIVEN an approved dev version
    const arn = await registerVersion();
    await asApprover(() => runCli('models', 'approve', arn));
    // WHEN promoting it dev → staging (one emulator account plays both)
    const run = await runCli('models', 'promote', arn, '--from', 'dev', '--to', 'staging', '--json');
    // THEN staging gets a new version awaiting its own approval, with the image from staging's ECR
    expect(run.code).toBe(0);
    const promoted = run.json<{ to: string }>().to;
    const described = await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: promoted }));
    expect(described.ModelApprovalStatus).toBe('PendingManualApproval');
    expect(described.InferenceSpecification?.Containers?.[0]?.Image).toBe('222222222222.dkr.ecr.us-east-1.amazonaws.com/fraud-detector-serving:2.0.0');
  });

  it('refuses to promote a version that is not approved', async () => {
    const arn = await registerVersion();
    const run = await runCli('models', 'promote', arn, '--from', 'dev', '--to', 'staging');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('is PendingManualApproval in dev');
    expect(run.stderr).toContain(`plinth models approve ${arn} --env dev`);
  });
});
