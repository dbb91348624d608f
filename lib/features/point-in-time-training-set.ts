import { Aws, Duration, Names, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lakeformation from 'aws-cdk-lib/aws-lakeformation';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledgeFinding, wildcardResourceFinding } from '../compliance/acknowledge';
import { VpcFunction } from '../compute/vpc-function';
import * as lakePerms from '../data-lake/perms';
import { PlinthError } from '../errors';
import { failureModeAlarm } from '../monitoring/failure-modes';
import { SecureBucket } from '../storage/secure-bucket';
import { FEATURE_ACK, stepFunctionsJob } from './athena-job';
import { SecureAthenaWorkgroup } from '../storage/secure-athena-workgroup';
import { offlineTableName } from './feature-group-definition';
import type { PointInTimeTrainingSetProps } from './point-in-time-training-set-props';
import * as perms from './perms';

/**
 * Builds point-in-time training sets (contract A, docs/features.md): a Step Functions job that takes
 * a label table and feature groups, joins each label row to each group's latest offline record strictly
 * before the label's time (not deleted, within the TTL) in Athena, UNLOADs Parquet under
 * `training-sets/<name>/<runId>/{train,validation,holdout}/` (or `data/`), and writes `manifest.json`.
 * Execution output: `{ manifestUri, trainingSetUri, rowCount }`.
 */
export class PointInTimeTrainingSet extends Construct {
  public readonly stateMachine: sfn.IStateMachine;
  public readonly outputBucket: s3.IBucket;
  public readonly outputPrefix = 'training-sets/';
  public readonly planFunction: lambda.IFunction;
  public readonly workGroup: SecureAthenaWorkgroup;
  public readonly jobFailedAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: PointInTimeTrainingSetProps) {
    super(scope, id);
    const where = `PointInTimeTrainingSet ${this.node.path}`;
    if (props.featureGroups.length === 0) throw new PlinthError(`${where}: featureGroups is empty; pass the feature groups training sets may use`);
    for (const g of props.featureGroups) {
      if (g.offlineStore === false) throw new PlinthError(`${where}: feature group "${g.name}" has no offline store; training sets read it (set offlineStore: true)`);
    }
    const stack = Stack.of(this);
    const offlineDb = props.offlineDatabaseName ?? 'sagemaker_featurestore';
    const output = new SecureBucket(this, 'Output', { encryptionKey: props.encryptionKey, serverAccessLogsBucket: props.serverAccessLogsBucket, removalPolicy: props.removalPolicy,
      lifecycleRules: [{ id: 'ExpireQueryResults', prefix: 'athena-results/', expiration: Duration.days(7), noncurrentVersionExpiration: Duration.days(1) }] });
    this.outputBucket = output.bucket;
    this.workGroup = new SecureAthenaWorkgroup(this, 'WorkGroup', {
      // The name it had as a plain CfnWorkGroup: a new name would replace the workgroup.
      workGroupName: Names.uniqueResourceName(this, { maxLength: 128, separator: '-' }),
      description: 'Point-in-time training sets: encrypted results, scan limit enforced',
      resultsBucket: output.bucket,
      resultsPrefix: 'athena-results/',
      encryptionKey: props.encryptionKey,
      bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
      removalPolicy: props.removalPolicy,
    });
    const workGroupArn = this.workGroup.workGroupArn;
    const trainingObjects = output.bucket.arnForObjects(`${this.outputPrefix}*`);
    const resultObjects = output.bucket.arnForObjects('athena-results/*');

    const fn = new VpcFunction(this, 'Function', {
      handlerFolder: 'training-set',
      description: 'Plinth training-set: renders the point-in-time SQL and writes the manifest',
      statements: [
        new iam.PolicyStatement({ sid: 'ReadStatistics', actions: ['athena:GetQueryResults', 'athena:GetQueryExecution'], resources: [workGroupArn] }),
        new iam.PolicyStatement({ sid: 'ReadQueryResults', actions: lakePerms.S3_READ_OBJECT, resources: [resultObjects] }),
        new iam.PolicyStatement({ sid: 'WriteManifest', actions: lakePerms.S3_WRITE_OBJECT, resources: [trainingObjects] }),
        new iam.PolicyStatement({ sid: 'UseLakeKey', actions: lakePerms.KMS_ENCRYPT_DECRYPT, resources: [props.encryptionKey.keyArn] }),
      ],
      wildcardResources: [
        [resultObjects, 'Athena names each result object by query id at run time; read-only and limited to the results prefix.'],
        [trainingObjects, 'Manifests are written under training-sets/<name>/<runId>/, named at run time; limited to that prefix.'],
      ],
      environment: {
        FEATURE_GROUPS: JSON.stringify(props.featureGroups),
        OUTPUT_BUCKET: output.bucket.bucketName,
        OUTPUT_PREFIX: this.outputPrefix,
        OFFLINE_DATABASE: offlineDb,
        PLINTH_ENV: props.environmentName,
      },
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      timeout: Duration.minutes(2),
      reservedConcurrency: 2,
      keepLogicalIdsOf: { function: 'Function', logGroup: 'Logs', role: 'Role', policy: 'Policy', securityGroup: 'SecurityGroup' },
    });
    this.planFunction = fn.function;
    for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
      acknowledgeFinding(fn.function, { rule: `${pack}-LambdaDLQ`, reason: 'Invoked synchronously by the training-set job, which retries it and records failures as failed executions (TrainingSetFailed alarm).', ...FEATURE_ACK });
    }

    const glueArn = (resource: string, name?: string) => stack.formatArn({ service: 'glue', resource, resourceName: name });
    const labelTables = glueArn('table', `${props.labelsDatabaseName}/*`);
    const offlineTables = props.featureGroups.map((g) => glueArn('table', `${offlineDb}/${offlineTableName(g.name)}`));
    const offlineObjects = props.offlineStoreBucket.arnForObjects('feature-groups/*');
    const athenaTask = (comment: string, query: string, output: string) => ({
      Type: 'Task',
      Comment: comment,
      Resource: `arn:${Aws.PARTITION}:states:::athena:startQueryExecution.sync`,
      Arguments: { QueryString: query, WorkGroup: this.workGroup.workGroupName },
      Output: output,
      TimeoutSeconds: 3600,
      Retry: [{ ErrorEquals: ['Athena.TooManyRequestsException', 'Athena.InternalServerException'], IntervalSeconds: 10, MaxAttempts: 4, BackoffRate: 2, JitterStrategy: 'FULL' }],
    });
    const lambdaRetry = [
      { ErrorEquals: ['TrainingSetInputError'], MaxAttempts: 0 },
      { ErrorEquals: ['States.ALL'], IntervalSeconds: 5, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' },
    ];
    const definition = {
      Comment: 'Point-in-time training set (contract A)',
      QueryLanguage: 'JSONata',
      StartAt: 'Plan',
      States: {
        Plan: {
          Type: 'Task',
          Comment: 'Validate the input; render the point-in-time SQL, the UNLOADs per split and the statistics query',
          Resource: `arn:${Aws.PARTITION}:states:::lambda:invoke`,
          Arguments: { FunctionName: fn.function.functionArn, Payload: { action: 'plan', input: '{% $states.input %}' } },
          Output: '{% $states.result.Payload %}',
          Retry: lambdaRetry,
          Next: 'Export',
        },
        Export: {
          Type: 'Map',
          Comment: 'UNLOAD each split as Parquet',
          Items: '{% $states.input.statements %}',
          MaxConcurrency: 3,
          ItemProcessor: {
            ProcessorConfig: { Mode: 'INLINE' },
            StartAt: 'Unload',
            States: { Unload: { ...athenaTask('UNLOAD one split', '{% $states.input.sql %}', '{% $states.result.QueryExecution.QueryExecutionId %}'), End: true } },
          },
          Output: '{% $states.input %}',
          Next: 'Statistics',
        },
        Statistics: {
          ...athenaTask('Rows, labels and missing features per split', '{% $states.input.statsSql %}', '{% { "plan": $states.input, "statsQueryExecutionId": $states.result.QueryExecution.QueryExecutionId } %}'),
          Next: 'Manifest',
        },
        Manifest: {
          Type: 'Task',
          Comment: 'Write manifest.json; output { manifestUri, trainingSetUri, rowCount }',
          Resource: `arn:${Aws.PARTITION}:states:::lambda:invoke`,
          Arguments: { FunctionName: fn.function.functionArn, Payload: { action: 'manifest', plan: '{% $states.input.plan %}', statsQueryExecutionId: '{% $states.input.statsQueryExecutionId %}' } },
          Output: '{% $states.result.Payload %}',
          Retry: lambdaRetry,
          End: true,
        },
      },
    };
    const job = stepFunctionsJob(this, {
      description: 'Point-in-time training sets: Athena join of labels and offline feature records, Parquet and a manifest',
      stateMachineName: Names.uniqueResourceName(this, { maxLength: 80, separator: '-' }),
      definition,
      statements: [
        new iam.PolicyStatement({ sid: 'RunQueries', actions: perms.ATHENA_RUN, resources: [workGroupArn] }),
        new iam.PolicyStatement({
          sid: 'ReadTables',
          actions: lakePerms.GLUE_CATALOG_READ,
          resources: [glueArn('catalog'), glueArn('database', props.labelsDatabaseName), glueArn('database', offlineDb), labelTables, ...offlineTables],
        }),
        new iam.PolicyStatement({ sid: 'GetLakeFormationCredentials', actions: lakePerms.LAKEFORMATION_DATA_ACCESS, resources: ['*'] }),
        new iam.PolicyStatement({ sid: 'ReadOfflineStore', actions: lakePerms.S3_READ_OBJECT, resources: [offlineObjects] }),
        new iam.PolicyStatement({ sid: 'ListBuckets', actions: lakePerms.S3_LIST, resources: [props.labelsBucket.bucketArn, props.offlineStoreBucket.bucketArn, output.bucket.bucketArn] }),
        new iam.PolicyStatement({ sid: 'WriteTrainingSetsAndResults', actions: [...lakePerms.S3_READ_OBJECT, ...lakePerms.S3_WRITE_OBJECT], resources: [trainingObjects, resultObjects] }),
        new iam.PolicyStatement({ sid: 'UseLakeKey', actions: lakePerms.KMS_ENCRYPT_DECRYPT, resources: [props.encryptionKey.keyArn] }),
        new iam.PolicyStatement({ sid: 'InvokeSteps', actions: ['lambda:InvokeFunction'], resources: [fn.function.functionArn] }),
      ],
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      timeout: Duration.hours(4),
    });
    this.stateMachine = job.stateMachine;
    for (const [resource, reason] of [
      [labelTables, 'Label tables are named per execution input; read-only and limited to the lake database.'],
      [offlineObjects, 'SageMaker names offline-store files at run time; read-only and limited to the feature-store prefix.'],
      [trainingObjects, 'Athena UNLOAD names Parquet files at run time; limited to training-sets/.'],
      [resultObjects, 'Athena names each result object by query id at run time; limited to the results prefix.'],
    ] as const) {
      acknowledgeFinding(job.policy, { rule: wildcardResourceFinding(this, resource), reason, ...FEATURE_ACK });
    }
    new lakeformation.CfnPrincipalPermissions(this, 'LabelTablesGrant', {
      principal: { dataLakePrincipalIdentifier: job.role.roleArn },
      resource: { table: { catalogId: Aws.ACCOUNT_ID, databaseName: props.labelsDatabaseName, tableWildcard: {} } },
      permissions: lakePerms.LF_TABLE_READ,
      permissionsWithGrantOption: [],
    });
    this.jobFailedAlarm = failureModeAlarm(this, 'TrainingSetFailed', 'feature-pipeline-failed', {
      alarmAction: props.alarmAction,
      runbookBaseUrl: props.runbookBaseUrl,
      description: 'A point-in-time training-set job failed, timed out or was aborted; its caller (the training pipeline) gets no training set.',
      metric: new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: {
          failed: job.stateMachine.metricFailed({ statistic: cloudwatch.Stats.SUM }),
          timedOut: job.stateMachine.metricTimedOut({ statistic: cloudwatch.Stats.SUM }),
          aborted: job.stateMachine.metricAborted({ statistic: cloudwatch.Stats.SUM }),
        },
        period: Duration.hours(1),
        label: 'Training-set executions that did not succeed',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Lets `grantee` start a training-set build. */
  public grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }

  /** Lets `grantee` read the training sets and manifests. */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.outputBucket.grantRead(grantee, `${this.outputPrefix}*`);
  }
}
