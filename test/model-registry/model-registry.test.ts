import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { modelConfigSchema, type ModelConfig } from '../../config/model-registry';
import { ModelRegistry, PIPELINE_OUTPUTS_PREFIX } from '../../lib/model-registry/model-registry';
import { AccessLogsBucket } from '../../lib/storage/secure-bucket';
import { isAllowed, type Statement } from '../support/iam-simulator';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

const endpoint = { variants: [{ name: 'primary', instanceType: 'ml.g5.xlarge', image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/m:1' }] };
const MODELS: ModelConfig[] = [
  modelConfigSchema.parse({ name: 'fraud-detector', endpointName: 'fraud-detector-dev', endpoint }),
  modelConfigSchema.parse({ name: 'churn', endpointName: 'churn-dev', endpoint }),
];

function registryIn(stack: Stack, readerAccounts: string[] = ['222222222222', '333333333333']): ModelRegistry {
  return new ModelRegistry(stack, 'Registry', {
    models: MODELS,
    artifactsKey: new kms.Key(stack, 'ModelsKey', { enableKeyRotation: true }),
    serverAccessLogsBucket: new AccessLogsBucket(stack, 'AccessLogs').bucket,
    readerAccounts,
  });
}

/** Every statement of the managed policies attached to `roleLogicalId`, resolved to strings. */
function statementsOf(template: Template, roleLogicalId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::ManagedPolicy', { Properties: { Roles: [{ Ref: roleLogicalId }] } });
  return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

describe('ModelRegistry', () => {
  const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
  const registry = registryIn(stack);
  const template = Template.fromStack(stack);
  const packageArn = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud-detector/7';
  const scientist = statementsOf(template, stack.getLogicalId(registry.dataScientistRole.node.defaultChild as never));
  const approver = statementsOf(template, stack.getLogicalId(registry.approverRole.node.defaultChild as never));

  test('alone in a stack (with its key and access-log bucket) it passes every nag pack and the validator', () => {
    const { findings } = synthAloneThroughGate((s) => registryIn(s));
    expect(findings).toEqual([]);
  });

  test('creates one model package group per model, readable by the later environments\' accounts', () => {
    template.resourceCountIs('AWS::SageMaker::ModelPackageGroup', 2);
    template.hasResourceProperties('AWS::SageMaker::ModelPackageGroup', {
      ModelPackageGroupName: 'fraud-detector',
      ModelPackageGroupPolicy: {
        Statement: [
          Match.objectLike({
            Effect: 'Allow',
            Principal: { AWS: ['arn:aws:iam::222222222222:root', 'arn:aws:iam::333333333333:root'] },
            Action: ['sagemaker:DescribeModelPackage', 'sagemaker:DescribeModelPackageGroup', 'sagemaker:ListModelPackages'],
          }),
        ],
      },
    });
  });

  test('the data scientist may register a version pending approval', () => {
    // GIVEN / WHEN / THEN
    expect(
      isAllowed(scientist, { action: 'sagemaker:CreateModelPackage', resource: packageArn, context: { 'sagemaker:ModelApprovalStatus': 'PendingManualApproval' } }),
    ).toBe(true);
  });

  test('the data scientist can never approve: not by updating a version, not by registering it approved', () => {
    const approved = { 'sagemaker:ModelApprovalStatus': 'Approved' };
    expect(isAllowed(scientist, { action: 'sagemaker:UpdateModelPackage', resource: packageArn, context: approved })).toBe(false);
    expect(isAllowed(scientist, { action: 'sagemaker:CreateModelPackage', resource: packageArn, context: approved })).toBe(false);
  });

  test('the data scientist writes artifacts but never the pipelines\' evaluation outputs (the drift baseline\'s sample)', () => {
    // GIVEN the statements with the bucket's ARN resolved (logical id as its name)
    const resolve = (v: any): any =>
      typeof v !== 'object' || v === null
        ? v
        : Array.isArray(v)
          ? v.map(resolve)
          : v['Fn::Join']
            ? (v['Fn::Join'][1] as unknown[]).map(resolve).join(v['Fn::Join'][0])
            : v['Fn::GetAtt']
              ? `arn:aws:s3:::${v['Fn::GetAtt'][0]}`
              : Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x)]));
    const resolved = resolve(scientist) as Statement[];
    const bucket = `arn:aws:s3:::${stack.getLogicalId(registry.artifacts.bucket.node.defaultChild as never)}`;
    // THEN a model artifact may be written, the pipeline's sample and report may not (nor deleted)
    expect(isAllowed(resolved, { action: 's3:PutObject', resource: `${bucket}/models/fraud-detector/job-1/output/model.tar.gz` })).toBe(true);
    for (const action of ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:AbortMultipartUpload']) {
      expect(isAllowed(resolved, { action, resource: `${bucket}/${PIPELINE_OUTPUTS_PREFIX}fraud-detector/exec-1/evaluation/training-sample.jsonl` })).toBe(false);
    }
    expect(isAllowed(resolved, { action: 's3:GetObject', resource: `${bucket}/${PIPELINE_OUTPUTS_PREFIX}fraud-detector/exec-1/evaluation/evaluation.json` })).toBe(true);
  });

  test('the approver may approve or reject a version', () => {
    for (const status of ['Approved', 'Rejected']) {
      expect(isAllowed(approver, { action: 'sagemaker:UpdateModelPackage', resource: packageArn, context: { 'sagemaker:ModelApprovalStatus': status } })).toBe(true);
    }
  });

  test('approving never rewrites or removes the artifact pin that names the reviewed bytes', () => {
    const approve = { action: 'sagemaker:UpdateModelPackage', resource: packageArn };
    for (const key of ['plinth:artifact-sha256', 'plinth:artifact-version-id']) {
      expect(isAllowed(approver, { ...approve, context: { 'sagemaker:ModelApprovalStatus': 'Approved', [`sagemaker:CustomerMetadataProperties/${key}`]: 'f'.repeat(64) } })).toBe(false);
    }
    expect(isAllowed(approver, { ...approve, context: { 'sagemaker:ModelApprovalStatus': 'Approved', 'sagemaker:CustomerMetadataPropertiesToRemove': 'team,plinth:artifact-sha256' } })).toBe(false);
    // other metadata stays the approver's to write
    expect(isAllowed(approver, { ...approve, context: { 'sagemaker:ModelApprovalStatus': 'Approved', 'sagemaker:CustomerMetadataProperties/team': 'risk' } })).toBe(true);
  });

  test('the approver is the one role the approval rule accepts (tagged plinth:duty=model-approver); the data scientist is not', () => {
    template.hasResourceProperties('AWS::IAM::Role', { Tags: Match.arrayWith([{ Key: 'plinth:duty', Value: 'model-approver' }]), Description: Match.stringLikeRegexp('Approves') });
    const tagged = Object.values(template.findResources('AWS::IAM::Role')).filter((r) => JSON.stringify(r.Properties.Tags ?? []).includes('model-approver'));
    expect(tagged).toHaveLength(1);
  });

  test('the approver can never register, or delete, a version', () => {
    for (const action of ['sagemaker:CreateModelPackage', 'sagemaker:DeleteModelPackage', 'sagemaker:CreateModelPackageGroup']) {
      expect(isAllowed(approver, { action, resource: packageArn, context: { 'sagemaker:ModelApprovalStatus': 'PendingManualApproval' } })).toBe(false);
    }
  });

  test('stores artifacts in a KMS-encrypted secure bucket', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } })] },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  test('without promotion targets the groups carry no resource policy', () => {
    const alone = new Stack(newApp(), 'Alone', { env: TEST_ENV });
    registryIn(alone, []);
    Template.fromStack(alone).allResourcesProperties('AWS::SageMaker::ModelPackageGroup', { ModelPackageGroupPolicy: Match.absent() });
  });

  test('needs only a name (and an optional description) per model, as a TypeScript caller writes it', () => {
    // GIVEN a stack WHEN the registry gets bare group definitions, no endpoint or config
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    new ModelRegistry(stack, 'Registry', {
      models: [{ name: 'churn', description: 'Churn propensity' }, { name: 'ltv' }],
      artifactsKey: new kms.Key(stack, 'ModelsKey', { enableKeyRotation: true }),
      serverAccessLogsBucket: new AccessLogsBucket(stack, 'AccessLogs').bucket,
    });
    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::SageMaker::ModelPackageGroup', { ModelPackageGroupName: 'churn', ModelPackageGroupDescription: 'Churn propensity' });
    template.hasResourceProperties('AWS::SageMaker::ModelPackageGroup', { ModelPackageGroupName: 'ltv' });
  });

  test.each([
    ['a name SageMaker rejects', [{ name: 'fraud_detector' }], /models\[0\]\.name "fraud_detector" must be 1-63 letters, digits and hyphens/],
    ['a duplicate name', [{ name: 'churn' }, { name: 'churn' }], /models\[1\]\.name "churn" is declared twice/],
  ])('rejects %s at synth, naming the field', (_what, models, message) => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    const artifactsKey = new kms.Key(stack, 'ModelsKey', { enableKeyRotation: true });
    const serverAccessLogsBucket = new AccessLogsBucket(stack, 'AccessLogs').bucket;
    expect(() => new ModelRegistry(stack, 'Registry', { models, artifactsKey, serverAccessLogsBucket })).toThrow(message);
  });
});
