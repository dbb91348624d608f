import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { isAllowed, type Statement } from '../support/iam-simulator';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import { PlatformAlarmTopic } from '../../lib/alerting/platform-alarm-topic';
import { PlatformNetwork } from '../../lib/network/platform-network';
import { HumanReviewQueue } from '../../lib/review/human-review-queue';
import { AccessLogsBucket, SecureBucket } from '../../lib/storage/secure-bucket';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

function reviewIn(stack: Stack): HumanReviewQueue {
  const logsKey = new kms.Key(stack, 'LogsKey', { enableKeyRotation: true });
  const lakeKey = new kms.Key(stack, 'LakeKey', { enableKeyRotation: true });
  const network = new PlatformNetwork(stack, 'Network', { vpcCidr: '10.80.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'], logsKey });
  const lake = new SecureBucket(stack, 'Curated', { encryptionKey: lakeKey, serverAccessLogsBucket: new AccessLogsBucket(stack, 'AccessLogs').bucket });
  return new HumanReviewQueue(stack, 'Review', {
    modelName: 'fraud-detector',
    allowedLabels: ['fraud', 'legitimate'],
    sla: Duration.hours(4),
    groundTruthBucket: lake.bucket,
    encryptionKey: lakeKey,
    logsKey,
    vpc: network.vpc,
    alarmAction: new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: logsKey }).alarmAction,
    logRetention: logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.RETAIN,
    environmentName: 'dev',
  });
}

describe('HumanReviewQueue', () => {
  const stack = new Stack(newApp({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S', { env: TEST_ENV });
  reviewIn(stack);
  const template = Template.fromStack(stack);

  test('alone (with its network, keys, lake bucket and alarm topic) it passes every nag pack and the validator', () => {
    const { findings } = synthAloneThroughGate((s) => reviewIn(s));
    expect(findings).toEqual([]);
  });

  test('keeps cases in a KMS-encrypted, point-in-time-recoverable, backed-up table indexed by status and age', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'caseId', KeyType: 'HASH' }],
      SSESpecification: Match.objectLike({ SSEEnabled: true, SSEType: 'KMS' }),
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      GlobalSecondaryIndexes: [Match.objectLike({ IndexName: 'status-createdAt', Projection: { ProjectionType: 'ALL' } })],
    });
    template.resourceCountIs('AWS::Backup::BackupSelection', 1);
  });

  test('cases arrive on an encrypted queue that dead-letters, and the intake reports partial batch failures', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { KmsMasterKeyId: Match.anyValue(), RedrivePolicy: Match.objectLike({ maxReceiveCount: 5 }) });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { FunctionResponseTypes: ['ReportBatchItemFailures'] });
  });

  test('the expiry job runs every 5 minutes and alarms on expired cases and on a backlog near its SLA', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(5 minutes)' });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { Namespace: 'Plinth/Review', MetricName: 'CasesExpired', Dimensions: [{ Name: 'Model', Value: 'fraud-detector' }] });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'OldestPendingAgeSeconds', Threshold: 4 * 3600 * 0.8, TreatMissingData: 'breaching' });
  });

  test('labels go to the lake under the ground-truth prefix, and only the review API may write them', () => {
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).map((p) => JSON.stringify(p.Properties.PolicyDocument));
    const writers = policies.filter((doc) => doc.includes('"s3:PutObject"'));
    expect(writers).toHaveLength(1);
    expect(writers[0]).toContain('/ground-truth/*');
  });

  test('grantEnqueue lets a producer send cases and nothing else', () => {
    const other = new Stack(newApp({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Other', { env: TEST_ENV });
    const queue = reviewIn(other);
    const producer = new iam.Role(other, 'Producer', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    queue.grantEnqueue(producer);
    Template.fromStack(other).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['sqs:GetQueueAttributes', 'sqs:SendMessage'], Resource: Match.anyValue() }] },
    });
  });

  test('reviewers sign requests to an IAM-auth function URL and may invoke only through it, as themselves', () => {
    // GIVEN the review function's URL and the reviewer role
    template.hasResourceProperties('AWS::Lambda::Url', { AuthType: 'AWS_IAM' });
    const role = Object.values(template.findResources('AWS::IAM::Role')).find((r) => /^Reviews/.test(r.Properties.Description));
    // THEN the role's session name must be the caller's own user name (it becomes the reviewer id)
    expect(role!.Properties.AssumeRolePolicyDocument.Statement[0].Condition).toEqual({ StringEquals: { 'sts:RoleSessionName': '${aws:username}' } });
    // AND a direct invoke (which could forge the request context) is not allowed, only the URL
    const statements: Statement[] = Object.values(template.findResources('AWS::IAM::ManagedPolicy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes('ReviewerRole'))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const fn = JSON.stringify(statements[0]!.Resource);
    expect(fn).toContain('Arn');
    const resource = '*';
    const loose = statements.map((s) => ({ ...s, Resource: resource }));
    expect(isAllowed(loose, { action: 'lambda:InvokeFunction', resource })).toBe(false);
    expect(isAllowed(loose, { action: 'lambda:InvokeFunction', resource, context: { 'lambda:InvokedViaFunctionUrl': 'true' } })).toBe(true);
    expect(isAllowed(loose, { action: 'lambda:InvokeFunctionUrl', resource, context: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } })).toBe(true);
    expect(isAllowed(loose, { action: 'lambda:InvokeFunctionUrl', resource, context: { 'lambda:FunctionUrlAuthType': 'NONE' } })).toBe(false);
  });
});
