import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AccessLogsBucket, SecureBucket } from '../../lib/storage/secure-bucket';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

function secureBucketIn(stack: Stack, removalPolicy?: RemovalPolicy): SecureBucket {
  const logs = new AccessLogsBucket(stack, 'AccessLogs');
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  return new SecureBucket(stack, 'Data', {
    encryptionKey: key,
    serverAccessLogsBucket: logs.bucket,
    removalPolicy,
  });
}

describe('SecureBucket', () => {
  test('alone (with its key and access-log bucket) it passes every nag pack and the validator', () => {
    // GIVEN / WHEN
    const { findings } = synthAloneThroughGate((stack) => secureBucketIn(stack));
    // THEN
    expect(findings).toEqual([]);
  });

  test('AccessLogsBucket alone passes every nag pack and the validator', () => {
    const { findings } = synthAloneThroughGate((stack) => new AccessLogsBucket(stack, 'AccessLogs'));
    expect(findings).toEqual([]);
  });

  test('encrypts with the customer key, blocks public access, versions, and logs access', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    // WHEN
    secureBucketIn(stack);
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            BucketKeyEnabled: true,
            ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() },
          },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: { DestinationBucketName: Match.anyValue(), LogFilePrefix: 'S/Data/' },
    });
  });

  test('denies every request that does not use TLS 1.2 or later', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    // WHEN
    secureBucketIn(stack);
    // THEN
    const policies = Template.fromStack(stack).findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      expect(policy.Properties.PolicyDocument.Statement).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          expect.objectContaining({ Effect: 'Deny', Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      );
    }
  });

  test('is retained by default and warns when DESTROY is opted into', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    // WHEN
    secureBucketIn(stack);
    const destroyed = new SecureBucket(stack, 'Scratch', {
      encryptionKey: new kms.Key(stack, 'ScratchKey', { enableKeyRotation: true }),
      serverAccessLogsBucket: (stack.node.findChild('AccessLogs') as AccessLogsBucket).bucket,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // THEN
    const template = Template.fromStack(stack);
    const dataId = stack.getLogicalId((stack.node.findChild('Data') as SecureBucket).bucket.node.defaultChild as never);
    const scratchId = stack.getLogicalId(destroyed.bucket.node.defaultChild as never);
    expect(template.toJSON().Resources[dataId].DeletionPolicy).toBe('Retain');
    expect(template.toJSON().Resources[scratchId].DeletionPolicy).toBe('Delete');
    Annotations.fromStack(stack).hasWarning('/S/Scratch', Match.stringLikeRegexp('explicit DESTROY opt-in'));
    Annotations.fromStack(stack).hasNoWarning('/S/Data', Match.anyValue());
  });
});
