import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lakeformation from 'aws-cdk-lib/aws-lakeformation';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import { acknowledgeFinding, wildcardResourceFinding } from '../compliance/acknowledge';
import { createVpcFunction } from '../compute/vpc-function';
import * as lakePerms from '../data-lake/perms';
import { PlinthError } from '../errors';
import { describeInstanceType } from '../inference/instance-types';
import { failureModeAlarm } from '../monitoring/failure-modes';
import type { BatchInferenceProps } from './batch-inference-props';
import * as perms from './perms';
import { SecureTable } from '../storage/secure-table';
import { PLATFORM_WAIVER } from '../compliance/platform-waiver';

const ACK = PLATFORM_WAIVER;
/** lambdas/batch-inference's METRIC_NAMESPACE (dimension `Model`). */
export const BATCH_INFERENCE_METRIC_NAMESPACE = 'Plinth/BatchInference';
const NAME = /^[a-z0-9](-*[a-z0-9])*$/;
const PREFIX = /^([a-zA-Z0-9!_.*'()-]+\/)+$/;

/** Where a model's predictions land in the lake. */
export function predictionsPrefix(modelName: string): string {
  return `predictions/${modelName}/`;
}

/** The predictions table's columns (the partition column `input_partition` is the scored day). */
export const PREDICTION_COLUMNS: readonly glue.CfnTable.ColumnProperty[] = [
  { name: 'input_record', type: 'string', comment: 'the scored input row, as read (one JSON line)' },
  { name: 'prediction', type: 'string', comment: 'the model\'s output for that row, as returned' },
  { name: 'model_package_arn', type: 'string', comment: 'the Approved model package that scored it' },
  { name: 'model_package_version', type: 'bigint', comment: 'that package\'s version in its group' },
  { name: 'run_id', type: 'string', comment: 'the batch inference run (its Step Functions execution name)' },
  { name: 'input_key', type: 'string', comment: 'the source object the row came from' },
  { name: 'input_line', type: 'bigint', comment: 'the row\'s position in that object (1-based, non-empty lines)' },
];

/**
 * Batch scoring of one model over the lake. On a schedule, a Step Functions job
 * (1) resolves the model package group's latest Approved package at run time and claims the
 * source dataset's day partitions that have ended and were never scored (a DynamoDB conditional
 * write per partition; bounded to the lookback window and a per-run maximum), (2) creates a
 * SageMaker model from that package (VPC, network isolation), (3) runs one Batch Transform per
 * partition (KMS on volumes and output), and (4) checks that every input row has exactly one
 * output row before writing the predictions with their lineage to `predictions/<model>/`, which a
 * Glue table under Lake Formation exposes. A partition that fails is released for the next run and
 * fails the execution, which alarms (`batch-inference-failed`). Each run also sweeps the
 * `lateArrivalHorizon` before the window for objects that arrived after their day had left it (a
 * dead-letter redrive) and scores those partitions too; late objects it cannot claim alarm
 * (`batch-inference-late-input`).
 */
export class BatchInference extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly function: lambda.IFunction;
  /** One item per source partition: CLAIMED, SCORED or FAILED, with the run and row counts. */
  public readonly trackingTable: SecureTable;
  public readonly predictionsTable: glue.CfnTable;
  /** The SageMaker model's execution role: reads the source partitions and artifacts, writes the transform output. */
  public readonly modelRole: iam.Role;
  public readonly securityGroup: ec2.ISecurityGroup;
  public readonly failedAlarm: cloudwatch.Alarm;
  /** Objects that arrived after their day left the lookback window and the last run did not claim. */
  public readonly lateInputAlarm: cloudwatch.Alarm;
  /** Prefix of the SageMaker model and transform job names of this job. */
  public readonly resourcePrefix: string;
  /** The model (its package group) this job scores with. */
  public readonly modelName: string;

  constructor(scope: Construct, id: string, props: BatchInferenceProps) {
    super(scope, id);
    validate(props, this.node.path);
    const stack = Stack.of(this);
    const model = props.modelName;
    this.modelName = model;
    const partitionKey = props.source.partitionKey ?? 'ingest_date';
    const maxPartitions = props.maxPartitionsPerRun ?? 4;
    const partitionTimeout = props.partitionTimeout ?? Duration.hours(1);
    const lookbackDays = Math.round((props.lookback ?? Duration.days(7)).toDays());
    const lateHorizonDays = (props.lateArrivalHorizon ?? Duration.days(30)).toDays();
    // The job times out after every partition could have used its full timeout; a claim older than that is abandoned.
    const jobTimeout = Duration.minutes(partitionTimeout.toMinutes() * maxPartitions + 30);
    const outputPrefix = predictionsPrefix(model);
    const stagingPrefix = `batch-inference-staging/${model}/`;
    const contentType = props.contentType ?? 'application/jsonlines';
    // SageMaker names: <prefix>-<yyyymmdd>-<12 hex> must fit 63 characters.
    this.resourcePrefix = `bi-${model}`.slice(0, 20).replace(/-+$/, '');

    const sourceObjects = props.source.bucket.arnForObjects(`${props.source.prefix}*`);
    const stagingObjects = props.outputBucket.arnForObjects(`${stagingPrefix}*`);
    const predictionObjects = props.outputBucket.arnForObjects(`${outputPrefix}*`);
    const modelArtifacts = props.artifactsBucket.arnForObjects(`models/${model}/*`);

    if (props.securityGroup) {
      this.securityGroup = props.securityGroup;
    } else {
      const sg = new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc: props.vpc,
        description: `Plinth batch inference of ${model}: HTTPS to AWS endpoints only`,
        allowAllOutbound: false,
      });
      sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to VPC endpoints (no internet route exists)');
      this.securityGroup = sg;
    }
    const subnets = props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnetIds;

    this.trackingTable = new SecureTable(this, 'Partitions', {
      partitionKey: { name: 'partition', type: dynamodb.AttributeType.STRING },
      encryptionKey: props.outputKey,
      withoutBackupPlanBecause:
        'Losing the table costs only a rescore of the lookback window: predictions have one fixed key per partition, so a rescore replaces them instead of duplicating.',
      removalPolicy: props.removalPolicy,
    });

    // The SageMaker model's role: what the transform job may touch.
    this.modelRole = new iam.Role(this, 'ModelRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Batch transform of ${model}: reads its source partitions and model artifacts, writes its staging output`,
    });
    const repositories = stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: '*' });
    const jobLogs = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/*' });
    const modelPolicy = new iam.ManagedPolicy(this, 'ModelPolicy', {
      roles: [this.modelRole],
      statements: [
        new iam.PolicyStatement({ sid: 'EcrToken', actions: perms.ECR_TOKEN, resources: ['*'] }),
        new iam.PolicyStatement({ sid: 'PullImages', actions: perms.ECR_PULL, resources: [repositories] }),
        new iam.PolicyStatement({ sid: 'RunInVpc', actions: perms.SAGEMAKER_VPC, resources: ['*'] }),
        new iam.PolicyStatement({ sid: 'WriteJobLogs', actions: perms.JOB_LOGS, resources: [jobLogs] }),
        new iam.PolicyStatement({
          sid: 'PublishJobMetrics',
          actions: ['cloudwatch:PutMetricData'],
          resources: ['*'],
          conditions: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*'] } },
        }),
        new iam.PolicyStatement({ sid: 'ReadModelArtifacts', actions: perms.S3_READ, resources: [modelArtifacts] }),
        new iam.PolicyStatement({ sid: 'ReadSource', actions: perms.S3_READ, resources: [sourceObjects] }),
        new iam.PolicyStatement({
          sid: 'ListSource',
          actions: perms.S3_LIST,
          resources: [props.source.bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${props.source.prefix}*`] } },
        }),
        new iam.PolicyStatement({ sid: 'WriteStaging', actions: perms.S3_WRITE, resources: [stagingObjects] }),
        new iam.PolicyStatement({ sid: 'DecryptInputs', actions: perms.KMS_DECRYPT, resources: [props.source.key.keyArn, props.modelsKey.keyArn] }),
        new iam.PolicyStatement({ sid: 'EncryptOutputAndVolumes', actions: perms.KMS_JOB, resources: [props.outputKey.keyArn] }),
      ],
    });
    acknowledgeFinding(modelPolicy, {
      rule: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'ECR tokens, VPC network interfaces and PutMetricData take no resource scoping; metrics are limited by a namespace condition.',
      ...ACK,
    });
    for (const [resource, reason] of [
      [repositories, 'The package\'s serving image comes from this account\'s ECR; pull only.'],
      [jobLogs, 'SageMaker names job log groups itself under /aws/sagemaker/.'],
      [modelArtifacts, 'Artifacts are written per training job; read-only and limited to this model\'s prefix.'],
      [sourceObjects, 'Source objects are named per ingest at run time; read-only and limited to the scored dataset\'s prefix.'],
      [stagingObjects, 'Batch Transform names its output after each input object; write-only and limited to this model\'s staging prefix.'],
    ] as const) {
      acknowledgeFinding(modelPolicy, { rule: wildcardResourceFinding(this, resource), reason, ...ACK });
    }

    this.function = createVpcFunction(this, {
      handlerFolder: 'batch-inference',
      description: `Plinth batch-inference: claims, checks and publishes the batch predictions of ${model}`,
      statements: [
        new iam.PolicyStatement({ sid: 'FindApprovedPackage', actions: ['sagemaker:ListModelPackages'], resources: [props.registry.groupArn(props.modelName), props.registry.packagesArn(props.modelName)] }),
        new iam.PolicyStatement({ sid: 'TrackPartitions', actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], resources: [this.trackingTable.tableArn] }),
        new iam.PolicyStatement({ sid: 'ListSourceAndStaging', actions: perms.S3_LIST, resources: [props.source.bucket.bucketArn, props.outputBucket.bucketArn] }),
        new iam.PolicyStatement({ sid: 'ReadSource', actions: perms.S3_READ, resources: [sourceObjects] }),
        new iam.PolicyStatement({ sid: 'ReadAndRemoveStaging', actions: [...perms.S3_READ, 's3:DeleteObject'], resources: [stagingObjects] }),
        new iam.PolicyStatement({ sid: 'WritePredictions', actions: perms.S3_WRITE, resources: [predictionObjects] }),
        new iam.PolicyStatement({ sid: 'DecryptSource', actions: perms.KMS_DECRYPT, resources: [props.source.key.keyArn] }),
        new iam.PolicyStatement({ sid: 'UseLakeKey', actions: perms.KMS_ENCRYPT_DECRYPT, resources: [props.outputKey.keyArn] }),
      ],
      wildcardResources: [
        [sourceObjects, 'Source objects are named per ingest at run time; read-only and limited to the scored dataset\'s prefix.'],
        [stagingObjects, 'Batch Transform names its output after each input object; limited to this model\'s staging prefix.'],
        [predictionObjects, 'One predictions object per scored day; write-only and limited to this model\'s predictions prefix.'],
        [props.registry.packagesArn(props.modelName), 'The Approved version is found at run time; list only, limited to this model\'s package group.'],
      ],
      environment: {
        TRACKING_TABLE: this.trackingTable.tableName,
        MODEL_PACKAGE_GROUP: model,
        RESOURCE_PREFIX: this.resourcePrefix,
        SOURCE_BUCKET: props.source.bucket.bucketName,
        SOURCE_PREFIX: props.source.prefix,
        PARTITION_KEY: partitionKey,
        LOOKBACK_DAYS: String(lookbackDays),
        LATE_HORIZON_DAYS: String(lateHorizonDays),
        MAX_PARTITIONS: String(maxPartitions),
        CLAIM_TIMEOUT_MINUTES: String(jobTimeout.toMinutes()),
        OUTPUT_BUCKET: props.outputBucket.bucketName,
        OUTPUT_PREFIX: outputPrefix,
        STAGING_PREFIX: stagingPrefix,
        PLINTH_ENV: props.environmentName,
      },
      timeout: Duration.minutes(15),
      memorySize: 2048,
      reservedConcurrency: 2,
      vpc: props.vpc,
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      ids: { function: 'Function', logGroup: 'FunctionLogs', role: 'FunctionRole', policy: 'FunctionPolicy', securityGroup: 'FunctionSecurityGroup' },
    }).function;
    for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
      acknowledgeFinding(this.function, {
        rule: `${pack}-LambdaDLQ`,
        reason: 'Invoked synchronously by the batch inference job (Step Functions), which retries it and records every failure as a failed execution; the BatchInferenceFailed alarm watches those.',
        ...ACK,
      });
    }

    // The predictions table: JSON lines, one day partition per scored source partition.
    const tableName = `predictions_${model.replace(/-/g, '_')}`;
    const location = props.outputBucket.s3UrlForObject(outputPrefix);
    this.predictionsTable = new glue.CfnTable(this, 'PredictionsTable', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: props.database.databaseName,
      tableInput: {
        name: tableName,
        description: `Batch predictions of ${model}, one partition per scored source day, with lineage`,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'json',
          'projection.enabled': 'true',
          'projection.input_partition.type': 'date',
          'projection.input_partition.format': 'yyyy-MM-dd',
          'projection.input_partition.range': '2024-01-01,NOW',
          'projection.input_partition.interval': '1',
          'projection.input_partition.interval.unit': 'DAYS',
          'storage.location.template': `${location}input_partition=\${input_partition}/`,
        },
        partitionKeys: [{ name: 'input_partition', type: 'string', comment: 'the scored source partition (UTC day)' }],
        storageDescriptor: {
          location,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', parameters: { 'ignore.malformed.json': 'false' } },
          columns: [...PREDICTION_COLUMNS],
        },
      },
    });
    this.predictionsTable.applyRemovalPolicy(props.removalPolicy);
    (props.readers ?? []).forEach((reader, i) => {
      new lakeformation.CfnPrincipalPermissions(this, `PredictionsReader${i}`, {
        principal: { dataLakePrincipalIdentifier: reader.roleArn },
        resource: { table: { catalogId: Aws.ACCOUNT_ID, databaseName: props.database.databaseName, name: tableName } },
        permissions: lakePerms.LF_TABLE_READ,
        permissionsWithGrantOption: [],
      }).addResourceDependency(this.predictionsTable);
    });

    this.stateMachine = this.buildStateMachine(props, {
      stagingObjects,
      jobTimeout,
      partitionTimeout,
      contentType,
      subnets,
    });

    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: `Starts the batch inference job of ${model} on its schedule`,
    });
    new iam.ManagedPolicy(this, 'SchedulePolicy', {
      roles: [scheduleRole],
      statements: [new iam.PolicyStatement({ sid: 'StartBatchInference', actions: ['states:StartExecution'], resources: [this.stateMachine.stateMachineArn] })],
    });
    new events.Rule(this, 'Schedule', {
      description: `Scores ${model}'s new day partitions of ${props.source.prefix} with its Approved model`,
      schedule: props.schedule,
      targets: [new targets.SfnStateMachine(this.stateMachine, { input: events.RuleTargetInput.fromObject({}), role: scheduleRole.withoutPolicyUpdates() })],
    });

    this.failedAlarm = failureModeAlarm(this, 'BatchInferenceFailed', 'batch-inference-failed', {
      alarmAction: props.alarmAction,
      runbookBaseUrl: props.runbookBaseUrl,
      subject: model,
      description: `Batch inference of ${model} failed, timed out or was aborted (a transform job failed, or input and output rows differ); the failed partitions are released and retried on the next run, nothing partial was published.`,
      metric: new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: {
          failed: this.stateMachine.metricFailed({ statistic: cloudwatch.Stats.SUM }),
          timedOut: this.stateMachine.metricTimedOut({ statistic: cloudwatch.Stats.SUM }),
          aborted: this.stateMachine.metricAborted({ statistic: cloudwatch.Stats.SUM }),
        },
        period: Duration.hours(1),
        label: 'Batch inference executions that did not succeed',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.lateInputAlarm = failureModeAlarm(this, 'BatchInferenceLateInput', 'batch-inference-late-input', {
      alarmAction: props.alarmAction,
      runbookBaseUrl: props.runbookBaseUrl,
      subject: model,
      description: `Batch inference of ${model} found objects that arrived after their day partition left the ${lookbackDays}-day lookback window (a late ingest or a dead-letter redrive) and did not claim them in its last run (over the per-run maximum, or a partition scored before input fingerprints were recorded); they have no predictions yet.`,
      metric: this.metricLateObjectsUnscored(),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // A run emits the metric once (when it ran with an Approved package); between runs there is no
      // datapoint, and the late objects the last run left unscored are still unscored. So missing
      // data keeps the alarm as the last run left it: in alarm until a run claims them and reports
      // 0, rather than back to OK an hour after the run that found them.
      treatMissingData: cloudwatch.TreatMissingData.IGNORE,
    });
  }

  /** Late objects (arrived after their day left the lookback window) a run did not claim; emitted by every run that found an Approved package. */
  public metricLateObjectsUnscored(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: BATCH_INFERENCE_METRIC_NAMESPACE,
      metricName: 'LateObjectsUnscored',
      dimensionsMap: { Model: this.modelName },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.hours(1),
      ...props,
    });
  }

  /** Late objects a run claimed (their partitions are scored whole by that run). */
  public metricLateObjectsClaimed(props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: BATCH_INFERENCE_METRIC_NAMESPACE,
      metricName: 'LateObjectsClaimed',
      dimensionsMap: { Model: this.modelName },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.hours(1),
      ...props,
    });
  }

  /**
   * Lets `grantee` start a run on demand (a backfill, or a rescore after deleting a partition's
   * tracking item) and follow it; the run claims partitions exactly as a scheduled one does.
   */
  public grantStartRun(grantee: iam.IGrantable): iam.Grant {
    const start = this.stateMachine.grantStartExecution(grantee);
    this.stateMachine.grantRead(grantee);
    return start;
  }

  private buildStateMachine(
    props: BatchInferenceProps,
    ctx: { stagingObjects: string; jobTimeout: Duration; partitionTimeout: Duration; contentType: string; subnets: string[] },
  ): sfn.StateMachine {
    const stack = Stack.of(this);
    const model = props.modelName;
    const sagemakerArn = (resource: string) => stack.formatArn({ service: 'sagemaker', resource, resourceName: `${this.resourcePrefix}-*` });
    const models = sagemakerArn('model');
    const transformJobs = sagemakerArn('transform-job');
    const syncRule = stack.formatArn({ service: 'events', resource: 'rule', resourceName: 'StepFunctionsGetEventsForSageMakerTransformJobsRule' });
    const role = new iam.Role(this, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: `Runs the batch inference job of ${model}: its function, the SageMaker model and transform jobs`,
    });
    const policy = new iam.ManagedPolicy(this, 'JobPolicy', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({ sid: 'InvokeFunction', actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn] }),
        new iam.PolicyStatement({ sid: 'ModelFromPackage', actions: ['sagemaker:CreateModel', 'sagemaker:DeleteModel', 'sagemaker:DescribeModel', 'sagemaker:AddTags'], resources: [models] }),
        new iam.PolicyStatement({ sid: 'ReadApprovedPackage', actions: ['sagemaker:DescribeModelPackage'], resources: [props.registry.packagesArn(props.modelName)] }),
        new iam.PolicyStatement({
          sid: 'RunTransformJobs',
          actions: ['sagemaker:CreateTransformJob', 'sagemaker:DescribeTransformJob', 'sagemaker:StopTransformJob', 'sagemaker:AddTags'],
          resources: [transformJobs],
        }),
        new iam.PolicyStatement({ sid: 'WatchTransformJobs', actions: perms.NESTED_EXECUTION_EVENTS, resources: [syncRule] }),
        new iam.PolicyStatement({
          sid: 'PassModelRole',
          actions: ['iam:PassRole'],
          resources: [this.modelRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
        }),
        new iam.PolicyStatement({
          sid: 'DeliverExecutionLogs',
          actions: [
            'logs:CreateLogDelivery',
            'logs:GetLogDelivery',
            'logs:UpdateLogDelivery',
            'logs:DeleteLogDelivery',
            'logs:ListLogDeliveries',
            'logs:PutResourcePolicy',
            'logs:DescribeResourcePolicies',
            'logs:DescribeLogGroups',
          ],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'Trace',
          actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
          resources: ['*'],
        }),
      ],
    });
    acknowledgeFinding(policy, {
      rule: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Step Functions log delivery and X-Ray tracing calls accept no resource scoping (AWS documents Resource "*").',
      ...ACK,
    });
    for (const [resource, reason] of [
      [models, 'The job names its model per run; limited to this job\'s name prefix.'],
      [transformJobs, 'The job names its transform jobs per run and partition; limited to this job\'s name prefix.'],
      [props.registry.packagesArn(props.modelName), 'The Approved version is found at run time; describe only, limited to this model\'s package group.'],
    ] as const) {
      acknowledgeFinding(policy, { rule: wildcardResourceFinding(this, resource), reason, ...ACK });
    }

    const retryLambda = (task: tasks.LambdaInvoke) => {
      task.addRetry({ errors: ['BatchInferenceInputError', 'ConservationError', 'ClaimLostError'], maxAttempts: 0 });
      task.addRetry({ errors: [sfn.Errors.ALL], maxAttempts: 3, interval: Duration.seconds(5), backoffRate: 2 });
      return task;
    };
    const plan = retryLambda(
      new tasks.LambdaInvoke(this, 'Plan', {
        lambdaFunction: this.function,
        payload: sfn.TaskInput.fromObject({ action: 'plan', runId: sfn.JsonPath.stringAt('$$.Execution.Name'), time: sfn.JsonPath.stringAt('$$.Execution.StartTime') }),
        payloadResponseOnly: true,
        resultPath: '$.plan',
        comment: 'Resolve the Approved package; claim the new day partitions',
      }),
    );

    const createModel = new sfn.CustomState(this, 'CreateModel', {
      stateJson: {
        Type: 'Task',
        Comment: 'A SageMaker model from the Approved package, in the VPC, network-isolated',
        Resource: `arn:${Aws.PARTITION}:states:::sagemaker:createModel`,
        Parameters: {
          'ModelName.$': '$.plan.modelName',
          PrimaryContainer: { 'ModelPackageName.$': '$.plan.modelPackageArn' },
          ExecutionRoleArn: this.modelRole.roleArn,
          EnableNetworkIsolation: true,
          VpcConfig: { SecurityGroupIds: [this.securityGroup.securityGroupId], Subnets: ctx.subnets },
          Tags: [{ Key: 'plinth:batch-inference', Value: model }],
        },
        ResultPath: null,
        Retry: [{ ErrorEquals: ['SageMaker.AmazonSageMakerException'], IntervalSeconds: 10, MaxAttempts: 3, BackoffRate: 2 }],
      },
    });

    const transform = new sfn.CustomState(this, 'Transform', {
      stateJson: {
        Type: 'Task',
        Comment: 'Batch Transform of one partition: one output line per input line, KMS on volume and output',
        Resource: `arn:${Aws.PARTITION}:states:::sagemaker:createTransformJob.sync`,
        Parameters: {
          'TransformJobName.$': '$.partition.transformJobName',
          'ModelName.$': '$.modelName',
          BatchStrategy: 'MultiRecord',
          MaxPayloadInMB: props.maxPayloadMb ?? 6,
          TransformInput: {
            DataSource: { S3DataSource: { S3DataType: 'S3Prefix', 'S3Uri.$': '$.partition.inputUri' } },
            ContentType: ctx.contentType,
            SplitType: 'Line',
            CompressionType: 'None',
          },
          TransformOutput: { 'S3OutputPath.$': '$.partition.stagingUri', Accept: ctx.contentType, AssembleWith: 'Line', KmsKeyId: props.outputKey.keyArn },
          TransformResources: { InstanceType: props.instanceType, InstanceCount: props.instanceCount ?? 1, VolumeKmsKeyId: props.outputKey.keyArn },
          Tags: [{ Key: 'plinth:batch-inference', Value: model }],
        },
        ResultPath: null,
        TimeoutSeconds: ctx.partitionTimeout.toSeconds(),
      },
    });
    const publish = retryLambda(
      new tasks.LambdaInvoke(this, 'Publish', {
        lambdaFunction: this.function,
        payload: sfn.TaskInput.fromObject({
          action: 'publish',
          runId: sfn.JsonPath.stringAt('$.runId'),
          modelPackageArn: sfn.JsonPath.stringAt('$.modelPackageArn'),
          modelPackageVersion: sfn.JsonPath.numberAt('$.modelPackageVersion'),
          partition: sfn.JsonPath.objectAt('$.partition'),
        }),
        payloadResponseOnly: true,
        resultPath: '$.published',
        comment: 'Input rows = output rows, or fail; then write the predictions with lineage and mark the partition SCORED',
      }),
    );
    const release = retryLambda(
      new tasks.LambdaInvoke(this, 'Release', {
        lambdaFunction: this.function,
        payload: sfn.TaskInput.fromObject({
          action: 'release',
          runId: sfn.JsonPath.stringAt('$.runId'),
          partition: sfn.JsonPath.objectAt('$.partition'),
          error: sfn.JsonPath.objectAt('$.error'),
        }),
        payloadResponseOnly: true,
        resultPath: sfn.JsonPath.DISCARD,
        comment: 'Mark the partition FAILED so the next run claims it again',
      }),
    );
    const scored = new sfn.Pass(this, 'Scored', { result: sfn.Result.fromString('scored') });
    const failed = new sfn.Pass(this, 'PartitionFailed', { result: sfn.Result.fromString('failed') });
    // The state after `Transform`/`Publish` carries the error next to the partition.
    const catchProps = { resultPath: '$.error', errors: [sfn.Errors.ALL] };
    transform.addCatch(release, catchProps);
    publish.addCatch(release, catchProps);
    release.next(failed);

    // A model that cannot be created scores nothing: give the run's claims back at once and fail.
    const releaseClaim = retryLambda(
      new tasks.LambdaInvoke(this, 'ReleaseClaim', {
        lambdaFunction: this.function,
        payload: sfn.TaskInput.fromObject({
          action: 'release',
          runId: sfn.JsonPath.stringAt('$.runId'),
          partition: sfn.JsonPath.objectAt('$.partition'),
          error: sfn.JsonPath.objectAt('$.error'),
        }),
        payloadResponseOnly: true,
        comment: 'Mark the partition FAILED so the next run claims it again',
      }),
    );
    const releaseClaims = new sfn.Map(this, 'ReleaseClaims', {
      comment: 'CreateModel failed: release every partition this run claimed',
      itemsPath: '$.plan.partitions',
      maxConcurrency: 1,
      itemSelector: { 'partition.$': '$$.Map.Item.Value', 'runId.$': '$.plan.runId', 'error.$': '$.error' },
      resultPath: sfn.JsonPath.DISCARD,
    });
    releaseClaims.itemProcessor(releaseClaim);
    releaseClaims.next(
      new sfn.Fail(this, 'ModelNotCreated', { error: 'BatchInferenceFailed', cause: 'CreateModel failed for the Approved package; the claimed partitions were released for the next run.' }),
    );
    createModel.addCatch(releaseClaims, { errors: [sfn.Errors.ALL], resultPath: '$.error' });

    const scoreEach = new sfn.Map(this, 'ScorePartitions', {
      comment: 'One partition at a time: transform, check conservation, publish',
      itemsPath: '$.plan.partitions',
      maxConcurrency: 1,
      itemSelector: {
        'partition.$': '$$.Map.Item.Value',
        'runId.$': '$.plan.runId',
        'modelName.$': '$.plan.modelName',
        'modelPackageArn.$': '$.plan.modelPackageArn',
        'modelPackageVersion.$': '$.plan.modelPackageVersion',
      },
      resultPath: '$.results',
    });
    scoreEach.itemProcessor(transform.next(publish).next(scored));

    const deleteModel = new sfn.CustomState(this, 'DeleteModel', {
      stateJson: {
        Type: 'Task',
        Comment: 'The model was only for this run',
        Resource: `arn:${Aws.PARTITION}:states:::aws-sdk:sagemaker:deleteModel`,
        Parameters: { 'ModelName.$': '$.plan.modelName' },
        ResultPath: null,
      },
    });
    const countFailures = new sfn.Pass(this, 'CountFailures', {
      parameters: { 'anyFailed.$': "States.ArrayContains($.results, 'failed')", 'results.$': '$.results', 'plan.$': '$.plan' },
    });
    // A model left behind costs nothing and does not change the outcome.
    deleteModel.addRetry({ errors: [sfn.Errors.ALL], maxAttempts: 3, interval: Duration.seconds(5), backoffRate: 2 });
    deleteModel.addCatch(countFailures, { errors: [sfn.Errors.ALL], resultPath: '$.deleteModelError' });
    const outcome = new sfn.Choice(this, 'AllScored')
      .when(
        sfn.Condition.booleanEquals('$.anyFailed', true),
        new sfn.Fail(this, 'PartitionsFailed', { error: 'BatchInferenceFailed', cause: 'At least one partition was not scored (see the Release steps); it was released for the next run.' }),
      )
      .otherwise(new sfn.Succeed(this, 'Done'));

    const hasWork = new sfn.Choice(this, 'AnythingToScore')
      .when(sfn.Condition.stringEquals('$.plan.status', 'ready'), createModel.next(scoreEach).next(deleteModel).next(countFailures).next(outcome))
      .otherwise(new sfn.Succeed(this, 'NothingToScore', { comment: 'No Approved package, or no new partition' }));

    const logGroup = new logs.LogGroup(this, 'JobLogs', {
      encryptionKey: props.logsKey,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const machine = new sfn.StateMachine(this, 'Job', {
      comment: `Batch inference of ${model}`,
      definitionBody: sfn.DefinitionBody.fromChainable(plan.next(hasWork)),
      role: role.withoutPolicyUpdates(),
      timeout: ctx.jobTimeout,
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    machine.node.addDependency(policy);
    return machine;
  }
}

function validate(props: BatchInferenceProps, path: string): void {
  const fail = (field: string, message: string) => {
    throw new PlinthError(`BatchInference ${path}: ${field} ${message}`);
  };
  if (!NAME.test(props.modelName)) fail('modelName', `"${props.modelName}" must be lower-case letters, digits and hyphens`);
  if (!PREFIX.test(props.source.prefix)) fail('source.prefix', `"${props.source.prefix}" must be a key prefix ending in "/", e.g. "transactions/"`);
  if (props.source.partitionKey !== undefined && !/^[a-z_][a-z0-9_]*$/.test(props.source.partitionKey)) fail('source.partitionKey', `"${props.source.partitionKey}" must be a Hive partition column name`);
  const instance = describeInstanceType(props.instanceType);
  if (typeof instance === 'string') fail('instanceType', instance);
  const count = props.instanceCount ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 20) fail('instanceCount', `must be an integer 1-20 (got ${count})`);
  const max = props.maxPartitionsPerRun ?? 4;
  if (!Number.isInteger(max) || max < 1 || max > 40) fail('maxPartitionsPerRun', `must be an integer 1-40 (got ${max})`);
  const payload = props.maxPayloadMb ?? 6;
  if (!Number.isInteger(payload) || payload < 1 || payload > 100) fail('maxPayloadMb', `must be an integer 1-100 (got ${payload})`);
  if (props.lookback && (props.lookback.toDays({ integral: false }) < 1 || props.lookback.toDays({ integral: false }) > 400)) fail('lookback', 'must be 1-400 days');
  if (props.lateArrivalHorizon) {
    const days = props.lateArrivalHorizon.toDays({ integral: false });
    if (!Number.isInteger(days) || days < 1 || days > 400) fail('lateArrivalHorizon', `must be whole days, 1-400 (got ${days})`);
  }
  if (props.partitionTimeout && (props.partitionTimeout.toMinutes({ integral: false }) < 5 || props.partitionTimeout.toHours({ integral: false }) > 48)) {
    fail('partitionTimeout', 'must be 5 minutes to 48 hours');
  }
}
