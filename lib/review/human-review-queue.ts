import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../compliance/acknowledge';
import { VpcFunction } from '../compute/vpc-function';
import { PlinthError } from '../errors';
import { failureModeAlarm, type FailureModeAlarmProps } from '../monitoring/failure-modes';
import type { PlatformServiceProps } from '../compute/platform-service-props';
import { SecureQueue } from '../storage/secure-queue';
import { SecureTable } from '../storage/secure-table';
import { PLATFORM_WAIVER } from '../compliance/platform-waiver';

/** Where the review functions' metrics live (EMF, written by `lambdas/shared-review`). */
export const REVIEW_METRIC_NAMESPACE = 'Plinth/Review';

/** Properties for {@link HumanReviewQueue}. */
export interface HumanReviewQueueProps extends Omit<PlatformServiceProps, 'removalPolicy'> {
  /** The model whose low-confidence answers are reviewed (metric dimension, ground-truth folder). */
  readonly modelName: string;
  /** Labels a reviewer may give. */
  readonly allowedLabels: readonly string[];
  /** Cases not labelled within this time expire and alarm. */
  readonly sla: Duration;
  /**
   * How long a claim holds before another reviewer may take the case over.
   *
   * @default Duration.minutes(30)
   */
  readonly claimLease?: Duration;
  /** The lake bucket labels are written to, as ground truth for retraining. */
  readonly groundTruthBucket: s3.IBucket;
  /** @default 'ground-truth/' */
  readonly groundTruthPrefix?: string;
  /** Encrypts the queue, the table and (as the lake key) the ground truth. */
  readonly encryptionKey: kms.IKey;
  /** @default - the isolated subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Human review of low-confidence and high-stakes predictions: an encrypted queue feeding a
 * DynamoDB review table, a review function reviewers call to claim a case and submit a label
 * (written to the lake as ground truth), and an expiry job. Every enqueued case ends labelled or
 * expired-and-alarmed; none is lost.
 */
export class HumanReviewQueue extends Construct {
  /** The model whose answers this loop reviews. */
  public readonly modelName: string;
  public readonly queue: SecureQueue;
  public readonly deadLetterQueue: SecureQueue;
  public readonly table: SecureTable;
  public readonly intakeFunction: lambda.Function;
  /** Reviewers' tool calls this: `{ action: 'claim' | 'submit' | 'get', ... }`. */
  public readonly reviewFunction: lambda.Function;
  public readonly expiryFunction: lambda.Function;
  /** May claim cases and submit labels. */
  public readonly reviewerRole: iam.Role;
  /** The review function's URL (IAM auth); reviewers sign their requests to it. */
  public readonly reviewUrl: lambda.FunctionUrl;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: HumanReviewQueueProps) {
    super(scope, id);
    if (props.allowedLabels.length === 0) throw new PlinthError(`HumanReviewQueue ${this.node.path}: declare at least one allowed label`);
    const stack = Stack.of(this);
    this.modelName = props.modelName;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const prefix = props.groundTruthPrefix ?? 'ground-truth/';

    this.deadLetterQueue = new SecureQueue(this, 'DeadLetterQueue', { encryptionKey: props.encryptionKey, isDeadLetterQueue: true, removalPolicy });
    this.queue = new SecureQueue(this, 'Queue', {
      encryptionKey: props.encryptionKey,
      visibilityTimeout: Duration.minutes(3),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
      removalPolicy,
    });
    // In the daily backup plan below.
    this.table = new SecureTable(this, 'Cases', {
      partitionKey: { name: 'caseId', type: dynamodb.AttributeType.STRING },
      encryptionKey: props.encryptionKey,
      removalPolicy,
    });
    // Projects ALL attributes: claiming reads the lease and the model from the index.
    this.table.addGlobalSecondaryIndex({
      indexName: 'status-createdAt',
      projectionType: dynamodb.ProjectionType.ALL,
      partitionKey: { name: 'status', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'createdAt', type: dynamodb.AttributeType.STRING },
    });

    // Review cases and their labels are records of human decisions: back them up daily.
    const vault = new backup.BackupVault(this, 'BackupVault', { encryptionKey: props.encryptionKey, removalPolicy });
    const plan = new backup.BackupPlan(this, 'BackupPlan', { backupVault: vault });
    plan.addRule(backup.BackupPlanRule.daily(vault));
    const selection = plan.addSelection('Cases', { resources: [backup.BackupResource.fromDynamoDbTable(this.table)] });
    acknowledgeFinding(selection, {
      rule: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason: 'AWS Backup\'s own service-role policy: AWS maintains exactly the permissions Backup needs to snapshot the table.',
      ...PLATFORM_WAIVER,
    });

    // One group for the three functions: each only needs HTTPS to the VPC endpoints.
    const securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Plinth review functions: HTTPS to AWS endpoints only',
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to VPC endpoints (no internet route exists)');
    const environment = {
      REVIEW_TABLE: this.table.tableName,
      SLA_MINUTES: String(props.sla.toMinutes()),
      CLAIM_LEASE_MINUTES: String((props.claimLease ?? Duration.minutes(30)).toMinutes()),
      ALLOWED_LABELS: props.allowedLabels.join(','),
      GROUND_TRUTH_BUCKET: props.groundTruthBucket.bucketName,
      GROUND_TRUTH_PREFIX: prefix,
      // The expiry job reports zeros for these models too, so their alarms always have data.
      REVIEW_MODELS: props.modelName,
      PLINTH_ENV: props.environmentName,
      NODE_OPTIONS: '--enable-source-maps',
    };
    const indexArn = `${this.table.tableArn}/index/*`;
    const groundTruthObjects = props.groundTruthBucket.arnForObjects(`${prefix}*`);

    const makeFunction = (name: string, description: string, statements: iam.PolicyStatement[], wildcardResources: ReadonlyArray<readonly [string, string]>) =>
      new VpcFunction(this, name, {
        handlerFolder: `review-${name.toLowerCase()}`,
        description,
        statements: [
          ...statements,
          new iam.PolicyStatement({ sid: 'UseKey', actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'], resources: [props.encryptionKey.keyArn] }),
        ],
        wildcardResources,
        environment,
        vpc: props.vpc,
        vpcSubnets: props.vpcSubnets,
        securityGroup,
        logsKey: props.logsKey,
        logRetention: props.logRetention,
        removalPolicy,
        timeout: Duration.seconds(30),
        reservedConcurrency: 5,
        deadLetterQueue: this.deadLetterQueue,
        keepLogicalIdsOf: { function: name, logGroup: `${name}Logs`, role: `${name}Role`, policy: `${name}Policy`, securityGroup: 'SecurityGroup' },
      }).function;

    this.intakeFunction = makeFunction(
      'Intake',
      'Plinth review intake: queue to review table',
      [
        new iam.PolicyStatement({ sid: 'ConsumeQueue', actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'], resources: [this.queue.queueArn] }),
        new iam.PolicyStatement({ sid: 'CreateCases', actions: ['dynamodb:PutItem', 'dynamodb:GetItem'], resources: [this.table.tableArn] }),
      ],
      [],
    );
    this.intakeFunction.addEventSource(new SqsEventSource(this.queue, { batchSize: 10, reportBatchItemFailures: true, maxConcurrency: 2 }));

    this.reviewFunction = makeFunction(
      'Api',
      'Plinth review API: claim a case, submit a label (ground truth to the lake)',
      [
        new iam.PolicyStatement({ sid: 'ClaimAndLabel', actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], resources: [this.table.tableArn, indexArn] }),
        new iam.PolicyStatement({ sid: 'WriteGroundTruth', actions: ['s3:PutObject'], resources: [groundTruthObjects] }),
      ],
      [
        [indexArn, 'Queries the table\'s own index of pending cases; limited to this table.'],
        [groundTruthObjects, 'Labels are keyed by model, date and case; write-only and limited to the ground-truth prefix.'],
      ],
    );

    this.expiryFunction = makeFunction(
      'Expiry',
      'Plinth review expiry: marks cases past their SLA expired and reports the backlog',
      [new iam.PolicyStatement({ sid: 'ExpireCases', actions: ['dynamodb:Query', 'dynamodb:UpdateItem'], resources: [this.table.tableArn, indexArn] })],
      [[indexArn, 'Queries the table\'s own index of open cases; limited to this table.']],
    );
    new events.Rule(this, 'ExpirySchedule', {
      description: 'Expire review cases past their SLA, and report the backlog, every 5 minutes',
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [new targets.LambdaFunction(this.expiryFunction, { retryAttempts: 2, deadLetterQueue: this.deadLetterQueue })],
    });

    // Reviewers call a function URL with IAM auth: the review function reads who they are from
    // the verified caller on the request context. A direct invoke could forge that context, so
    // the reviewer role may invoke only through the URL.
    this.reviewUrl = this.reviewFunction.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });
    this.reviewerRole = new iam.Role(this, 'ReviewerRole', {
      // The session name is the reviewer's identity: each user assumes the role as themselves.
      assumedBy: new iam.AccountPrincipal(stack.account).withConditions({ StringEquals: { 'sts:RoleSessionName': '${aws:username}' } }),
      description: 'Reviews low-confidence predictions: claims cases and submits labels, as the IAM user who assumed it',
    });
    new iam.ManagedPolicy(this, 'ReviewerPolicy', {
      roles: [this.reviewerRole],
      statements: [
        new iam.PolicyStatement({
          sid: 'CallReviewApiUrl',
          actions: ['lambda:InvokeFunctionUrl'],
          resources: [this.reviewFunction.functionArn],
          conditions: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
        }),
        new iam.PolicyStatement({
          sid: 'InvokeOnlyThroughTheUrl',
          actions: ['lambda:InvokeFunction'],
          resources: [this.reviewFunction.functionArn],
          conditions: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } },
        }),
      ],
    });

    const metric = (metricName: string, statistic: string) =>
      new cloudwatch.Metric({ namespace: REVIEW_METRIC_NAMESPACE, metricName, dimensionsMap: { Model: props.modelName }, statistic, period: Duration.minutes(5) });
    const add = (alarmId: string, alarmProps: Omit<FailureModeAlarmProps, 'alarmAction'>) =>
      this.alarms.push(failureModeAlarm(this, alarmId, 'review-backlog', { alarmAction: props.alarmAction, runbookBaseUrl: props.runbookBaseUrl, subject: props.modelName, ...alarmProps }));
    add('CasesExpired', {
      description: `Review cases for ${props.modelName} expired unlabelled after the ${props.sla.toMinutes()}-minute SLA.`,
      metric: metric('CasesExpired', cloudwatch.Stats.SUM),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    add('BacklogAge', {
      description: `The oldest pending review case for ${props.modelName} is past 80% of its SLA.`,
      metric: metric('OldestPendingAgeSeconds', cloudwatch.Stats.MAXIMUM),
      threshold: Math.round(props.sla.toSeconds() * 0.8),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // The expiry job reports every 5 minutes; silence means it is not running.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    add('ReviewDeadLetters', {
      description: 'Review cases could not be recorded and wait in the dead-letter queue.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Lets `grantee` (the inference gateway) enqueue review cases. */
  public grantEnqueue(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], resourceArns: [this.queue.queueArn] });
  }
}
