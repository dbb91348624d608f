/**
 * Smoke step: `plinth models promote` from the locally deployed dev to a second emulator account
 * playing staging (config/staging.ts's account, reached by AssumeRole: moto keeps accounts apart
 * by access key). Staging's registry there is the minimum promote needs: the model package group
 * and a `staging-Models` stack holding the registry's artifact bucket.
 */
import { createHash, randomBytes } from 'node:crypto';
import { CreateStackCommand, DescribeStackResourcesCommand } from '@aws-sdk/client-cloudformation';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeModelPackageCommand,
  SageMakerClient,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { type AwsCallContext, clientSettings, controlPlaneClients } from '../../cli/aws/connection';
import { processContext } from '../../cli/context';
import { main } from '../../cli/main';
import { DECLARED_ENVIRONMENTS } from '../../config';
import type { DeployedEnvironment, SmokeStep } from './smoke';

const GROUP = 'fraud-detector';

export async function promoteToSecondAccount(deployed: DeployedEnvironment): Promise<Omit<SmokeStep, 'name'>> {
  const dev = deployed.context;
  const devBucket = deployed.stacks.get('dev-Models')?.find((r) => r.type === 'AWS::S3::Bucket' && /^RegistryArtifacts/.test(r.logicalId))?.physicalId;
  if (!devBucket) throw new Error('dev-Models has no registry artifact bucket (RegistryArtifacts) in the emulator');
  const stagingAccount = DECLARED_ENVIRONMENTS.staging.account;
  const role = `arn:aws:iam::${stagingAccount}:role/PlinthSmokePromotion`;

  // dev: an approved version whose model data is pinned by its SHA-256
  const model = randomBytes(4096);
  const sha256 = createHash('sha256').update(model).digest('hex');
  const devS3 = new S3Client({ ...clientSettings(dev), forcePathStyle: true });
  await devS3.send(new PutObjectCommand({ Bucket: devBucket, Key: 'smoke/promote/model.tar.gz', Body: model }));
  await devS3.send(new PutObjectCommand({ Bucket: devBucket, Key: 'smoke/promote/sample.jsonl', Body: '{"amount":1}\n' }));
  const devSageMaker = new SageMakerClient(clientSettings(dev));
  await devSageMaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: GROUP })).catch(() => undefined);
  const metadata = { 'plinth:artifact-sha256': sha256, 'plinth:training-sample': `s3://${devBucket}/smoke/promote/sample.jsonl` };
  const created = await devSageMaker.send(
    new CreateModelPackageCommand({
      ModelPackageGroupName: GROUP,
      ModelApprovalStatus: 'PendingManualApproval',
      InferenceSpecification: {
        Containers: [{ Image: `${deployed.account}.dkr.ecr.${dev.region}.amazonaws.com/fraud-detector-serving:smoke`, ModelDataUrl: `s3://${devBucket}/smoke/promote/model.tar.gz` }],
        SupportedContentTypes: ['application/json'],
        SupportedResponseMIMETypes: ['application/json'],
      },
      CustomerMetadataProperties: metadata,
    }),
  );
  const arn = created.ModelPackageArn!;
  // (moto replaces metadata on update; SageMaker merges it)
  await devSageMaker.send(new UpdateModelPackageCommand({ ModelPackageArn: arn, ModelApprovalStatus: 'Approved', CustomerMetadataProperties: metadata }));

  // the second account: staging's group and artifact bucket
  const { Credentials: c } = await controlPlaneClients(dev).sts.send(new AssumeRoleCommand({ RoleArn: role, RoleSessionName: 'plinth-smoke' }));
  const staging: AwsCallContext = { ...dev, credentials: { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken } };
  const stagingSageMaker = new SageMakerClient(clientSettings(staging));
  await stagingSageMaker.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: GROUP })).catch(() => undefined);
  const template = { Resources: { RegistryArtifactsSmoke: { Type: 'AWS::S3::Bucket', Properties: {} } } };
  await controlPlaneClients(staging).cloudFormation.send(new CreateStackCommand({ StackName: 'staging-Models', TemplateBody: JSON.stringify(template) })).catch(() => undefined);
  const stagingBucket = (await controlPlaneClients(staging).cloudFormation.send(new DescribeStackResourcesCommand({ StackName: 'staging-Models' }))).StackResources?.[0]?.PhysicalResourceId;
  if (!stagingBucket) throw new Error('the second account has no staging-Models artifact bucket');

  // the CLI, exactly as an operator runs it with the session's exports
  let stdout = '';
  let stderr = '';
  const vars: Record<string, string> = {
    AWS_ENDPOINT_URL: dev.endpoint ?? '',
    AWS_ACCESS_KEY_ID: dev.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: dev.credentials.secretAccessKey,
    AWS_REGION: dev.region,
    PLINTH_DEV_ACCOUNT: deployed.account,
  };
  const saved = Object.fromEntries([...Object.keys(vars), 'AWS_PROFILE', 'AWS_SESSION_TOKEN'].map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  delete process.env.AWS_PROFILE;
  delete process.env.AWS_SESSION_TOKEN;
  let code: number;
  try {
    code = await main(['models', 'promote', arn, '--from', 'dev', '--to', 'staging', '--to-role', role, '--json'], (json) => ({
      ...processContext(json),
      out: (text) => void (stdout += text),
      progress: (text) => void (stderr += `${text}\n`),
    }));
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  if (code !== 0) throw new Error(`plinth models promote exited ${code}: ${stderr.trim().split('\n').slice(-2).join(' ')}`);
  const promoted = JSON.parse(stdout) as { to: string };
  const described = await stagingSageMaker.send(new DescribeModelPackageCommand({ ModelPackageName: promoted.to }));
  const url = described.InferenceSpecification?.Containers?.[0]?.ModelDataUrl ?? '';
  const key = url.replace(`s3://${stagingBucket}/`, '');
  const copy = await new S3Client({ ...clientSettings(staging), forcePathStyle: true }).send(new GetObjectCommand({ Bucket: stagingBucket, Key: key }));
  const copied = createHash('sha256').update(Buffer.from(await copy.Body!.transformToByteArray())).digest('hex');
  if (!url.startsWith(`s3://${stagingBucket}/`) || copied !== sha256) throw new Error(`the promoted model data ${url} is not the dev artifact (SHA-256 ${copied})`);
  if (described.CustomerMetadataProperties?.['plinth:promoted-from'] !== arn) throw new Error('the promoted version does not record plinth:promoted-from');
  return {
    status: 'ok',
    detail: `${arn} (dev, account ${deployed.account}) → ${promoted.to} (${described.ModelApprovalStatus}); model data copied to ${url}, SHA-256 verified; plinth:promoted-from recorded`,
  };
}
