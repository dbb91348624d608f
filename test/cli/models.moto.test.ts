/**
 * `plinth models list|approve|reject|promote` against moto_server (moto 5), with the real SDK
 * clients. What moto emulates here: SageMaker model package groups and packages (create, list,
 * describe, update approval), CloudFormation stacks with an IAM role, STS GetCallerIdentity and
 * AssumeRole (the assumed-role ARN names the role). Rollback needs UpdateEndpoint, which moto
 * lacks: see rollback.mock.test.ts.
 */
import { createHash } from 'node:crypto';
import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeModelPackageCommand,
  ListModelPackagesCommand,
  SageMakerClient,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { CloudFormationClient, CreateStackCommand, DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
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

  it('approving in an environment that is not deployed says to deploy it first', async () => {
    // GIVEN no staging-Models stack in this account
    const arn = await registerVersion();
    const run = await runCli('models', 'approve', arn, '--env', 'staging');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('staging is not deployed here: no stack staging-Models');
    expect(run.stderr).toContain("next step: deploy staging first (npx cdk deploy -c env=staging 'staging/*')");
    expect(run.stderr).not.toContain('check the name or ARN');
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

  describe('promote across accounts (dev 111111111111 → staging 222222222222, as config/ says)', () => {
    // moto keeps accounts apart by access key: credentials from AssumeRole into a role ARN of another
    // account act in that account (moto 5.2.1 iam.models.get_account_id_from).
    const DEV_ROLE = 'arn:aws:iam::111111111111:role/PlinthPromotion';
    const STAGING_ROLE = 'arn:aws:iam::222222222222:role/PlinthPromotion';
    const MODEL = Buffer.from('model weights v2 '.repeat(1000));
    const SAMPLE = '{"amount":12.5,"currency":"EUR"}\n{"amount":99,"currency":"USD"}\n';
    let devSageMaker: SageMakerClient;
    let stagingSageMaker: SageMakerClient;
    let stagingS3: S3Client;
    let stagingBucket: string;

    async function clientsIn(roleArn: string) {
      const base = { region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, endpoint: moto.endpoint };
      const { Credentials: c } = await controlPlaneClients(base).sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'setup' }));
      const config = { ...motoClientConfig(moto.endpoint), credentials: { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken! } };
      return { sagemaker: new SageMakerClient(config), s3: new S3Client(config), cloudFormation: new CloudFormationClient(config), sts: new STSClient(config) };
    }

    beforeAll(async () => {
      const dev = await clientsIn(DEV_ROLE);
      const staging = await clientsIn(STAGING_ROLE);
      expect((await dev.sts.send(new GetCallerIdentityCommand({}))).Account).toBe('111111111111');
      expect((await staging.sts.send(new GetCallerIdentityCommand({}))).Account).toBe('222222222222');
      devSageMaker = dev.sagemaker;
      stagingSageMaker = staging.sagemaker;
      stagingS3 = staging.s3;
      // dev: a registry group and the artifacts of a version, in dev's account only
      await dev.sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: GROUP }));
      await dev.s3.send(new CreateBucketCommand({ Bucket: 'dev-artifacts' }));
      await dev.s3.send(new PutObjectCommand({ Bucket: 'dev-artifacts', Key: 'models/fraud/model.tar.gz', Body: MODEL }));
      await dev.s3.send(new PutObjectCommand({ Bucket: 'dev-artifacts', Key: 'samples/fraud/train.jsonl', Body: SAMPLE }));
      // staging: its group, and its Models stack with the registry's artifact bucket
      await staging.sagemaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: GROUP }));
      const template = { Resources: { RegistryArtifactsF1E5F2C1: { Type: 'AWS::S3::Bucket', Properties: {} } } };
      await staging.cloudFormation.send(new CreateStackCommand({ StackName: 'staging-Models', TemplateBody: JSON.stringify(template) }));
      const resources = await staging.cloudFormation.send(new DescribeStackResourcesCommand({ StackName: 'staging-Models' }));
      stagingBucket = resources.StackResources![0]!.PhysicalResourceId!;
    });

    async function approvedDevVersion(sha256: string): Promise<string> {
      const metadata = {
        'plinth:training-sample': 's3://dev-artifacts/samples/fraud/train.jsonl',
        'plinth:artifact-sha256': sha256,
        'plinth:artifact-version-id': 'dev-version',
        'plinth:evaluation': 's3://dev-artifacts/evaluations/7/evaluation.json',
        'plinth:drift-baseline': 's3://dev-capture/drift-baselines/fraud-detector-dev/v1.json',
      };
      const created = await devSageMaker.send(
        new CreateModelPackageCommand({
          ModelPackageGroupName: GROUP,
          ModelApprovalStatus: 'PendingManualApproval',
          InferenceSpecification: {
            Containers: [{ Image: `${DEV_REGISTRY}/fraud-detector-serving:2.0.0`, ModelDataUrl: 's3://dev-artifacts/models/fraud/model.tar.gz' }],
            SupportedContentTypes: ['application/json'],
            SupportedResponseMIMETypes: ['application/json'],
          },
          CustomerMetadataProperties: metadata,
        }),
      );
      // (moto replaces the metadata on update where SageMaker merges it: send it again)
      await devSageMaker.send(new UpdateModelPackageCommand({ ModelPackageArn: created.ModelPackageArn!, ModelApprovalStatus: 'Approved', CustomerMetadataProperties: metadata }));
      return created.ModelPackageArn!;
    }

    async function stagingVersions(): Promise<number> {
      return (await stagingSageMaker.send(new ListModelPackagesCommand({ ModelPackageGroupName: GROUP }))).ModelPackageSummaryList?.length ?? 0;
    }

    it('reads GROUP/VERSION in dev\'s account and registers it in staging\'s, artifacts copied and verified', async () => {
      // GIVEN an approved dev version whose artifact is pinned by its SHA-256
      const sha = createHash('sha256').update(MODEL).digest('hex');
      const arn = await approvedDevVersion(sha);
      expect(arn).toContain(':111111111111:');
      const version = arn.slice(arn.lastIndexOf('/') + 1);
      // WHEN promoting it by GROUP/VERSION with a role in each account
      const run = await runCli('models', 'promote', `${GROUP}/${version}`, '--from', 'dev', '--to', 'staging', '--from-role', DEV_ROLE, '--to-role', STAGING_ROLE, '--json');
      // THEN staging's registry (not the caller's, not dev's) holds a version pending approval
      expect([run.code, run.stderr]).toEqual([0, expect.stringContaining('SHA-256')]);
      const result = run.json<{ to: string; notes: string[] }>();
      expect(result.to).toContain(':222222222222:');
      const promoted = await stagingSageMaker.send(new DescribeModelPackageCommand({ ModelPackageName: result.to }));
      expect(promoted.ModelApprovalStatus).toBe('PendingManualApproval');
      // the image: staging allows only its own ECR, so it is rewritten there, and the output says so
      const container = promoted.InferenceSpecification!.Containers![0]!;
      expect(container.Image).toBe('222222222222.dkr.ecr.us-east-1.amazonaws.com/fraud-detector-serving:2.0.0');
      expect(result.notes.join('\n')).toMatch(/image rewritten to staging's own ECR/);
      // the model data: in staging's artifact bucket, byte for byte
      expect(container.ModelDataUrl).toBe(`s3://${stagingBucket}/promoted/dev/${GROUP}/v${version}/models/fraud/model.tar.gz`);
      const copy = await stagingS3.send(new GetObjectCommand({ Bucket: stagingBucket, Key: `promoted/dev/${GROUP}/v${version}/models/fraud/model.tar.gz` }));
      expect(createHash('sha256').update(Buffer.from(await copy.Body!.transformToByteArray())).digest('hex')).toBe(sha);
      // the metadata: every plinth:* key kept, the sample copied, the source recorded; dev's own baseline not carried over
      const metadata = promoted.CustomerMetadataProperties!;
      expect(metadata['plinth:promoted-from']).toBe(arn);
      expect(metadata['plinth:artifact-sha256']).toBe(sha);
      expect(metadata['plinth:evaluation']).toBe('s3://dev-artifacts/evaluations/7/evaluation.json');
      expect(metadata['plinth:training-sample']).toBe(`s3://${stagingBucket}/promoted/dev/${GROUP}/v${version}/samples/fraud/train.jsonl`);
      expect(metadata['plinth:drift-baseline']).toBeUndefined();
      const sample = await stagingS3.send(new GetObjectCommand({ Bucket: stagingBucket, Key: `promoted/dev/${GROUP}/v${version}/samples/fraud/train.jsonl` }));
      expect(await sample.Body!.transformToString()).toBe(SAMPLE);
    });

    it('refuses an artifact that no longer matches its pin, and registers nothing', async () => {
      const arn = await approvedDevVersion('0'.repeat(64));
      const before = await stagingVersions();
      const run = await runCli('models', 'promote', arn, '--from', 'dev', '--to', 'staging', '--from-role', DEV_ROLE, '--to-role', STAGING_ROLE);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`but the version pins ${'0'.repeat(64)}: the artifact changed after approval`);
      expect(await stagingVersions()).toBe(before);
    });

    it('with the caller\'s own credentials in another account, says which account dev is and how to reach it', async () => {
      const arn = await approvedDevVersion(createHash('sha256').update(MODEL).digest('hex'));
      const run = await runCli('models', 'promote', arn, '--from', 'dev', '--to', 'staging');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('your current credentials reach account 123456789012, but dev is account 111111111111');
      expect(run.stderr).toContain('next step: pass --from-profile PROFILE (a profile in 111111111111) or --from-role arn:aws:iam::111111111111:role/NAME');
    });

    it('refuses to promote a version that is not approved', async () => {
      const created = await devSageMaker.send(
        new CreateModelPackageCommand({
          ModelPackageGroupName: GROUP,
          ModelApprovalStatus: 'PendingManualApproval',
          InferenceSpecification: { Containers: [{ Image: `${DEV_REGISTRY}/fraud-detector-serving:2.0.0` }], SupportedContentTypes: ['application/json'], SupportedResponseMIMETypes: ['application/json'] },
        }),
      );
      const arn = created.ModelPackageArn!;
      const run = await runCli('models', 'promote', arn, '--from', 'dev', '--to', 'staging', '--from-role', DEV_ROLE, '--to-role', STAGING_ROLE);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('is PendingManualApproval in dev');
      expect(run.stderr).toContain(`plinth models approve ${arn} --env dev`);
    });
  });
});
