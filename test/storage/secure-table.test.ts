import { Template } from 'aws-cdk-lib/assertions';
import { CfnElement, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../../lib/compliance/acknowledge';
import { PLATFORM_WAIVER } from '../../lib/compliance/platform-waiver';
import { SecureTable } from '../../lib/storage/secure-table';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

const partitionKey = { name: 'pk', type: dynamodb.AttributeType.STRING };

describe('SecureTable', () => {
  test('alone, with a reason it needs no backup plan, it passes every nag pack and the validator', () => {
    const { findings } = synthAloneThroughGate((stack) => {
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      new SecureTable(stack, 'Locks', { encryptionKey: key, partitionKey, withoutBackupPlanBecause: 'Locks expire within minutes; a restore could only bring back stale ones.' });
    });
    expect(findings).toEqual([]);
  });

  test('alone, in a daily backup plan, it passes every nag pack with no acknowledgement of its own', () => {
    const { findings, reports } = synthAloneThroughGate((stack) => {
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      const table = new SecureTable(stack, 'Cases', { encryptionKey: key, partitionKey });
      const vault = new backup.BackupVault(stack, 'Vault', { encryptionKey: key });
      const plan = new backup.BackupPlan(stack, 'Plan', { backupVault: vault });
      plan.addRule(backup.BackupPlanRule.daily(vault));
      const selection = plan.addSelection('Cases', { resources: [backup.BackupResource.fromDynamoDbTable(table)] });
      acknowledgeFinding(selection, {
        rule: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
        reason: 'AWS Backup\'s own service-role policy, as HumanReviewQueue uses it.',
        ...PLATFORM_WAIVER,
      });
    });
    expect(findings).toEqual([]);
    const acknowledged = reports.flatMap((r) => r.suppressedViolations ?? []).map((s) => s.ruleName);
    expect(acknowledged.filter((rule) => /DynamoDBInBackupPlan/.test(rule))).toEqual([]);
  });

  test('without a backup plan and without a reason, the NIST and HIPAA packs flag it', () => {
    const { findings } = synthAloneThroughGate((stack) => {
      const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
      new SecureTable(stack, 'Cases', { encryptionKey: key, partitionKey });
    });
    expect(findings.map((f) => f.rule).sort()).toEqual(['HIPAA.Security-DynamoDBInBackupPlan', 'NIST.800.53.R5-DynamoDBInBackupPlan']);
  });

  test('customer key, on-demand, point-in-time recovery, deletion protection and RETAIN by default', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    const key = new kms.Key(stack, 'Key');
    new SecureTable(stack, 'Cases', { encryptionKey: key, partitionKey, timeToLiveAttribute: 'expiresAt' });
    Template.fromStack(stack).hasResource('AWS::DynamoDB::Table', {
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [stack.getLogicalId(key.node.defaultChild as CfnElement), 'Arn'] } },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
      DeletionPolicy: 'Retain',
    });
  });

  test('DESTROY (dev) drops deletion protection with the retention', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    new SecureTable(stack, 'Cases', { encryptionKey: new kms.Key(stack, 'Key'), partitionKey, removalPolicy: RemovalPolicy.DESTROY });
    const [table] = Object.values<any>(Template.fromStack(stack).findResources('AWS::DynamoDB::Table'));
    expect(table.DeletionPolicy).toBe('Delete');
    expect(table.Properties.DeletionProtectionEnabled).toBe(false);
  });

  test('keeps the logical ID a plain dynamodb.Table had under the same id', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    const table = new SecureTable(new Construct(stack, 'Review-fraud-detector'), 'Cases', { encryptionKey: new kms.Key(stack, 'Key'), partitionKey });
    expect(stack.getLogicalId(table.node.defaultChild as CfnElement)).toBe('ReviewfrauddetectorCasesCD0454DC');
  });

  test('a reason too short to say anything is refused', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    expect(() => new SecureTable(stack, 'T', { encryptionKey: new kms.Key(stack, 'Key'), partitionKey, withoutBackupPlanBecause: 'n/a' })).toThrow(/withoutBackupPlanBecause must say why/);
  });
});
