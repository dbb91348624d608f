import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { featureStoreConfigSchema, type FeatureGroupConfig } from '../../config/feature-store';
import { accountFeatures } from '../../config/feature-groups/account-features';
import { FeatureStore } from '../../lib/feature-store/feature-store';
import { AccessLogsBucket } from '../../lib/storage/secure-bucket';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

const GROUP: FeatureGroupConfig = featureStoreConfigSchema.parse({ featureGroups: [accountFeatures] }).featureGroups[0];

function storeIn(stack: Stack, groups: FeatureGroupConfig[] = [GROUP], onlineStorageType: 'Standard' | 'InMemory' = 'Standard'): FeatureStore {
  return new FeatureStore(stack, 'Features', {
    featureGroups: groups,
    onlineStorageType,
    onlineStoreKey: new kms.Key(stack, 'ModelsKey', { enableKeyRotation: true }),
    offlineStoreKey: new kms.Key(stack, 'LakeKey', { enableKeyRotation: true }),
    serverAccessLogsBucket: new AccessLogsBucket(stack, 'AccessLogs').bucket,
  });
}

const newStack = () => new Stack(newApp(), 'S', { env: TEST_ENV });
const variant = (change: Partial<FeatureGroupConfig>): FeatureGroupConfig => ({ ...GROUP, ...change });

describe('FeatureStore', () => {
  test('alone in a stack (with its keys and access-log bucket) it passes every nag pack and the validator', () => {
    const { findings } = synthAloneThroughGate((stack) => storeIn(stack));
    expect(findings).toEqual([]);
  });

  test('creates a feature group with a KMS online store, a TTL, and a KMS Iceberg offline store in the catalog', () => {
    // GIVEN
    const stack = newStack();
    // WHEN
    storeIn(stack);
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::FeatureGroup', {
      FeatureGroupName: 'account-spend',
      RecordIdentifierFeatureName: 'account_id',
      EventTimeFeatureName: 'event_time',
      FeatureDefinitions: Match.arrayWith([{ FeatureName: 'amount_sum_24h', FeatureType: 'Fractional' }]),
      OnlineStoreConfig: {
        EnableOnlineStore: true,
        SecurityConfig: { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ModelsKey'), 'Arn'] } },
        StorageType: 'Standard',
        TtlDuration: { Unit: 'Hours', Value: 72 },
      },
      OfflineStoreConfig: {
        S3StorageConfig: { S3Uri: Match.anyValue(), KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeKey'), 'Arn'] } },
        TableFormat: 'Iceberg',
        DisableGlueTableCreation: false,
        DataCatalogConfig: { Catalog: 'AwsDataCatalog', Database: 'sagemaker_featurestore', TableName: 'account_spend' },
      },
      RoleArn: Match.anyValue(),
    });
  });

  test('the in-memory tier is used when asked for, without a TTL', () => {
    const stack = newStack();
    storeIn(stack, [variant({ onlineTtlHours: undefined })], 'InMemory');
    Template.fromStack(stack).hasResourceProperties('AWS::SageMaker::FeatureGroup', {
      OnlineStoreConfig: Match.objectLike({ StorageType: 'InMemory', TtlDuration: Match.absent() }),
    });
  });

  test.each<[string, FeatureGroupConfig[], RegExp]>([
    ['a duplicate group name', [GROUP, GROUP], /feature group "account-spend": declared twice/],
    ['a missing record identifier', [variant({ recordIdentifier: 'customer_id' })], /recordIdentifier "customer_id" is not one of its features/],
    ['an unsupported type', [variant({ features: [...GROUP.features, { name: 'score', type: 'Decimal' as 'String' /* what a JavaScript caller could pass */ }] })], /feature "score" has unsupported type "Decimal"; use one of String, Integral, Fractional/],
    ['a group name that violates SageMaker naming', [variant({ name: 'account_spend!' })], /name must be 1-64 letters, digits and hyphens/],
    ['a feature name that violates SageMaker naming', [variant({ features: [...GROUP.features, { name: '_bad', type: 'String' }] })], /feature "_bad" must be 1-64 letters and digits/],
    ['a reserved feature name', [variant({ features: [...GROUP.features, { name: 'write_time', type: 'String' }] })], /feature "write_time" is reserved by the offline store/],
    ['an Integral event time', [variant({ eventTime: 'txn_count_24h' })], /eventTime "txn_count_24h" must be String \(ISO 8601\) or Fractional/],
    ['a TTL on the in-memory tier', [GROUP], /onlineTtlHours needs a Standard online store/],
  ])('rejects %s at synth with a clear message', (what, groups, message) => {
    const stack = newStack();
    const tier = what === 'a TTL on the in-memory tier' ? 'InMemory' : 'Standard';
    expect(() => storeIn(stack, groups, tier)).toThrow(message);
  });

  test('grantWrite and grantRead give least privilege on the groups only', () => {
    // GIVEN
    const stack = newStack();
    const store = storeIn(stack);
    const writer = new iam.Role(stack, 'Writer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const reader = new iam.Role(stack, 'Reader', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    // WHEN
    store.grantWrite(writer);
    store.grantRead(reader);
    // THEN
    const template = Template.fromStack(stack);
    const groupArn = 'arn:aws:sagemaker:us-east-1:123456789012:feature-group/account-spend';
    // Customer-managed policies on the grantees' roles: an inline one would fail three nag packs.
    template.resourceCountIs('AWS::IAM::Policy', 0);
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: stack.getLogicalId(writer.node.defaultChild as never) }],
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['sagemaker:DeleteRecord', 'sagemaker:DescribeFeatureGroup', 'sagemaker:PutRecord'], Resource: groupArn }] },
    });
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      Roles: [{ Ref: stack.getLogicalId(reader.node.defaultChild as never) }],
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['sagemaker:BatchGetRecord', 'sagemaker:DescribeFeatureGroup', 'sagemaker:GetRecord'], Resource: groupArn }] },
    });
  });
});
