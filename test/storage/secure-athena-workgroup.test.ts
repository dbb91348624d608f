import { Template } from 'aws-cdk-lib/assertions';
import { CfnElement, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { SecureAthenaWorkgroup } from '../../lib/storage/secure-athena-workgroup';
import { AccessLogsBucket, SecureBucket } from '../../lib/storage/secure-bucket';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

function workgroupIn(scope: Construct, stack: Stack, props: { bytesScannedCutoffPerQuery?: number; removalPolicy?: RemovalPolicy } = {}) {
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const results = new SecureBucket(stack, 'Results', { encryptionKey: key, serverAccessLogsBucket: new AccessLogsBucket(stack, 'AccessLogs').bucket });
  return { key, workgroup: new SecureAthenaWorkgroup(scope, 'WorkGroup', { resultsBucket: results.bucket, encryptionKey: key, ...props }) };
}

describe('SecureAthenaWorkgroup', () => {
  test('alone (with its results bucket and key) it passes every nag pack and the validator', () => {
    const { findings } = synthAloneThroughGate((stack) => workgroupIn(stack, stack));
    expect(findings).toEqual([]);
  });

  test('enforces engine 3, SSE-KMS results in this account, the scan limit, and is retained', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    const { key } = workgroupIn(stack, stack, { bytesScannedCutoffPerQuery: 50_000_000 });
    Template.fromStack(stack).hasResource('AWS::Athena::WorkGroup', {
      Properties: {
        RecursiveDeleteOption: false,
        WorkGroupConfiguration: {
          EnforceWorkGroupConfiguration: true,
          PublishCloudWatchMetricsEnabled: true,
          BytesScannedCutoffPerQuery: 50_000_000,
          EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
          ResultConfiguration: {
            EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as CfnElement), 'Arn'] } },
            ExpectedBucketOwner: { Ref: 'AWS::AccountId' },
          },
        },
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('DESTROY deletes it with what is saved in it', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    workgroupIn(stack, stack, { removalPolicy: RemovalPolicy.DESTROY });
    const [wg] = Object.values<any>(Template.fromStack(stack).findResources('AWS::Athena::WorkGroup'));
    expect(wg.DeletionPolicy).toBe('Delete');
    expect(wg.Properties.RecursiveDeleteOption).toBe(true);
  });

  test('keeps the logical ID a CfnWorkGroup had under the same id', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    const { workgroup } = workgroupIn(new Construct(stack, 'Drift-fraud-detector'), stack);
    const plain = new Stack(newApp(), 'S', { env: TEST_ENV });
    const old = new athena.CfnWorkGroup(new Construct(plain, 'Drift-fraud-detector'), 'WorkGroup', { name: 'x' });
    expect(stack.getLogicalId(workgroup.resource)).toBe(plain.getLogicalId(old));
  });

  test('grantQuery lets a role run queries in this workgroup only', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    const { workgroup } = workgroupIn(stack, stack);
    const role = new iam.Role(stack, 'Reader', { assumedBy: new iam.AccountRootPrincipal() });
    workgroup.grantQuery(role);
    const [policy] = Object.values<any>(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    const statement = policy.Properties.PolicyDocument.Statement[0];
    expect(statement.Action).toEqual(expect.arrayContaining(['athena:StartQueryExecution', 'athena:GetQueryResults']));
    expect(JSON.stringify(statement.Resource)).toContain(':workgroup/');
    expect(JSON.stringify(statement.Resource)).toContain(stack.getLogicalId(workgroup.resource));
  });

  test.each([0, 9_999_999, 1.5e7 + 0.5])('refuses a scan limit of %p with the minimum named', (cutoff) => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    expect(() => workgroupIn(stack, stack, { bytesScannedCutoffPerQuery: cutoff })).toThrow(/bytesScannedCutoffPerQuery must be a whole number of bytes of at least 10000000/);
  });
});
