import { ArnFormat, Aws, Duration, Names, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lakeformation from 'aws-cdk-lib/aws-lakeformation';
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
import { featureSourceProblems, ratePeriodMinutes } from './feature-group-definition';
import type { FeaturePipelineProps } from './feature-pipeline-props';
import * as perms from './perms';
import { DEFAULT_MAX_LATENESS_MINUTES, exportStatement, materializationSelect, WINDOW_END_TOKEN, WINDOW_START_TOKEN } from './sql';

/** Where feature-ingest publishes (EMF). */
export const FEATURE_METRIC_NAMESPACE = 'Plinth/Features';
const RUN_TOKEN = '{{run_id}}';

/**
 * Materializes one feature group from the lake into Feature Store, at lake scale: a Step Functions
 * job on the group's refresh (a rate, or after each raw object of its source dataset) runs the
 * group's SQL in Athena (encrypted workgroup, scan limit) for the rows that ARRIVED in the curated
 * zone during the refresh window (however long after their event; see `materializationSelect`),
 * reading only the ingest partitions that can hold them and their history, and UNLOADs the rows to
 * an encrypted staging prefix; a Distributed Map hands each staged object to `feature-ingest`,
 * which writes the records (PutRecord, bounded concurrency, jittered retries) and dead-letters the
 * rest with their reason (rows too late for the run's history among them). Rows sharing a record id
 * and event time are resolved in the SQL by a stated tie-break, one kept, the rest counted
 * (DuplicatesDropped). Re-runs are idempotent (record id + event time).
 * Alarms: features stale (no record written in twice the refresh period, whether no run succeeded or
 * the runs materialized nothing), dead letters (too-late rows included), job failed.
 */
export class FeaturePipeline extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  public readonly ingestFunction: lambda.IFunction;
  /** Staged query results (`staging/`), Athena's own results (`athena-results/`) and dead letters (`dead-letters/`). */
  public readonly staging: SecureBucket;
  public readonly workGroup: SecureAthenaWorkgroup;
  /** Time between runs: the schedule's rate, or the source's ingestion period. */
  public readonly refreshPeriod: Duration;
  public readonly staleAlarm: cloudwatch.Alarm;
  public readonly deadLetterAlarm: cloudwatch.Alarm;
  public readonly jobFailedAlarm: cloudwatch.Alarm;
  /** Where rejected rows go: `s3://<staging>/<deadLetterPrefix><runId>/…jsonl`. */
  public readonly deadLetterPrefix: string;
  /** The feature group this pipeline fills. */
  public readonly groupName: string;

  constructor(scope: Construct, id: string, props: FeaturePipelineProps) {
    super(scope, id);
    const { group, lake } = props;
    const where = `FeaturePipeline ${this.node.path}`;
    const problems = featureSourceProblems(group, lake.datasetNames);
    if (!group.source || !group.refresh) problems.unshift(`feature group "${group.name}": a pipeline needs source and refresh; set both in its definition`);
    if (problems.length > 0) throw new PlinthError(`${where}: invalid feature group:\n  - ${[...new Set(problems)].join('\n  - ')}`);
    const source = group.source!;
    const refresh = group.refresh!;
    if ('afterIngestion' in refresh) {
      if (!lake.rawBucket) throw new PlinthError(`${where}: refresh afterIngestion needs lake.rawBucket (its Object Created events start the run); pass the lake's raw bucket`);
      if (!props.ingestionPeriod) throw new PlinthError(`${where}: refresh afterIngestion needs ingestionPeriod (the source dataset's freshness) to judge staleness`);
    }
    this.refreshPeriod = 'schedule' in refresh ? Duration.minutes(ratePeriodMinutes(refresh.schedule)!) : props.ingestionPeriod!;
    const lookback = props.lookback ?? Duration.minutes(this.refreshPeriod.toMinutes() * 2);
    if (lookback.toMinutes() < 1) throw new PlinthError(`${where}: lookback must be at least one minute`);
    const maxLatenessMinutes = (props.maxLateness ?? Duration.minutes(DEFAULT_MAX_LATENESS_MINUTES)).toMinutes({ integral: false });
    if (!Number.isInteger(maxLatenessMinutes) || maxLatenessMinutes < 0 || maxLatenessMinutes > 366 * 24 * 60) {
      throw new PlinthError(`${where}: maxLateness must be a whole number of minutes from 0 to 366 days, got ${maxLatenessMinutes} minutes`);
    }
    const maxConcurrentObjects = props.maxConcurrentObjects ?? 10;
    if (!Number.isInteger(maxConcurrentObjects) || maxConcurrentObjects < 1 || maxConcurrentObjects > 1000) {
      throw new PlinthError(`${where}: maxConcurrentObjects must be a whole number from 1 to 1000, got ${maxConcurrentObjects}`);
    }
    const stack = Stack.of(this);
    this.groupName = group.name;

    this.staging = new SecureBucket(this, 'Staging', {
      encryptionKey: lake.encryptionKey,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      removalPolicy: props.removalPolicy,
      lifecycleRules: [
        { id: 'ExpireStaging', prefix: 'staging/', expiration: Duration.days(7), noncurrentVersionExpiration: Duration.days(1) },
        { id: 'ExpireQueryResults', prefix: 'athena-results/', expiration: Duration.days(7), noncurrentVersionExpiration: Duration.days(1) },
        { id: 'ExpireDeadLetters', prefix: 'dead-letters/', expiration: Duration.days(90), noncurrentVersionExpiration: Duration.days(7) },
      ],
    });
    const bucket = this.staging.bucket;
    const stagingPrefix = `staging/${group.name}/`;
    this.deadLetterPrefix = `dead-letters/${group.name}/`;
    this.workGroup = new SecureAthenaWorkgroup(this, 'WorkGroup', {
      // The name it had as a plain CfnWorkGroup: a new name would replace the workgroup.
      workGroupName: Names.uniqueResourceName(this, { maxLength: 128, separator: '-' }),
      description: `Feature pipeline of ${group.name}: encrypted results, scan limit enforced`,
      resultsBucket: bucket,
      resultsPrefix: 'athena-results/',
      encryptionKey: lake.encryptionKey,
      bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
      removalPolicy: props.removalPolicy,
    });
    const workGroupArn = this.workGroup.workGroupArn;
    const groupArn = stack.formatArn({ service: 'sagemaker', resource: 'feature-group', resourceName: group.name.toLowerCase() });

    const stagedObjects = bucket.arnForObjects(`${stagingPrefix}*`);
    const deadLetterObjects = bucket.arnForObjects(`${this.deadLetterPrefix}*`);
    const ingest = new VpcFunction(this, 'IngestFunction', {
      handlerFolder: 'feature-ingest',
      description: `Plinth feature-ingest: writes staged ${group.name} rows to Feature Store`,
      statements: [
        new iam.PolicyStatement({ sid: 'ReadStaged', actions: lakePerms.S3_READ_OBJECT, resources: [stagedObjects] }),
        new iam.PolicyStatement({ sid: 'WriteDeadLetters', actions: lakePerms.S3_WRITE_OBJECT, resources: [deadLetterObjects] }),
        new iam.PolicyStatement({ sid: 'PutRecords', actions: perms.FEATURE_PUT, resources: [groupArn] }),
        new iam.PolicyStatement({ sid: 'UseKeys', actions: lakePerms.KMS_ENCRYPT_DECRYPT, resources: [lake.encryptionKey.keyArn, props.onlineStoreKey.keyArn] }),
      ],
      wildcardResources: [
        [stagedObjects, 'Athena UNLOAD names staged objects at run time; read-only and limited to this group\'s staging prefix.'],
        [deadLetterObjects, 'Dead-letter objects are named per run and staged object; write-only and limited to this group\'s dead-letter prefix.'],
      ],
      environment: {
        FEATURE_GROUP: JSON.stringify({ name: group.name, recordIdentifier: group.recordIdentifier, eventTime: group.eventTime, features: group.features }),
        DEAD_LETTER_BUCKET: bucket.bucketName,
        DEAD_LETTER_PREFIX: this.deadLetterPrefix,
        MAX_CONCURRENCY: String(props.putConcurrency ?? 10),
        PLINTH_ENV: props.environmentName,
      },
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      timeout: Duration.minutes(15),
      memorySize: 512,
      reservedConcurrency: maxConcurrentObjects,
      keepLogicalIdsOf: { function: 'IngestFunction', logGroup: 'IngestLogs', role: 'IngestRole', policy: 'IngestPolicy', securityGroup: 'IngestSecurityGroup' },
    });
    this.ingestFunction = ingest.function;
    for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
      acknowledgeFinding(ingest.function, {
        rule: `${pack}-LambdaDLQ`,
        reason: 'Invoked synchronously by the Distributed Map, which retries it and fails the run on a lasting error (FeaturePipelineFailed alarm); rejected rows go to the dead-letter prefix.',
        ...FEATURE_ACK,
      });
    }

    // The SQL is rendered here, once, from the definition; the job only fills in the window and run id.
    const template = exportStatement('athena', materializationSelect(group, { start: WINDOW_START_TOKEN, end: WINDOW_END_TOKEN }, { maxLatenessMinutes }), `s3://${bucket.bucketName}/${stagingPrefix}${RUN_TOKEN}/`, 'json');
    const stateMachineName = Names.uniqueResourceName(this, { maxLength: 80, separator: '-' });
    const machineArn = stack.formatArn({ service: 'states', resource: 'stateMachine', resourceName: stateMachineName, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const executionArns = stack.formatArn({ service: 'states', resource: 'execution', resourceName: `${stateMachineName}/*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const glueArn = (resource: string, name?: string) => stack.formatArn({ service: 'glue', resource, resourceName: name });
    const lakeTable = glueArn('table', `${lake.databaseName}/${source.dataset}`);
    // The curated zone is a Lake Formation location: Athena reads it with credentials Lake Formation
    // vends for the table grant below, so the role needs no S3 read on it (as the lake's reader role).
    const job = stepFunctionsJob(this, {
      description: `Feature pipeline of ${group.name}: Athena UNLOAD of its SQL, then feature-ingest per staged object`,
      stateMachineName,
      definition: this.definition({ template, lookback, refreshIsIngestion: 'afterIngestion' in refresh, delay: props.afterIngestionDelay ?? Duration.minutes(5), maxConcurrentObjects, lakeDatabase: lake.databaseName, stagingPrefix }),
      statements: [
        new iam.PolicyStatement({ sid: 'RunQuery', actions: perms.ATHENA_RUN, resources: [workGroupArn] }),
        new iam.PolicyStatement({ sid: 'ReadSourceTable', actions: lakePerms.GLUE_CATALOG_READ, resources: [glueArn('catalog'), glueArn('database', lake.databaseName), lakeTable] }),
        new iam.PolicyStatement({ sid: 'GetLakeFormationCredentials', actions: lakePerms.LAKEFORMATION_DATA_ACCESS, resources: ['*'] }),
        new iam.PolicyStatement({ sid: 'ListBuckets', actions: lakePerms.S3_LIST, resources: [lake.curatedBucket.bucketArn, bucket.bucketArn] }),
        new iam.PolicyStatement({
          sid: 'WriteStagingAndResults',
          actions: [...lakePerms.S3_READ_OBJECT, ...lakePerms.S3_WRITE_OBJECT],
          resources: [stagedObjects, bucket.arnForObjects('athena-results/*')],
        }),
        new iam.PolicyStatement({ sid: 'UseLakeKey', actions: lakePerms.KMS_ENCRYPT_DECRYPT, resources: [lake.encryptionKey.keyArn] }),
        new iam.PolicyStatement({ sid: 'IngestObjects', actions: ['lambda:InvokeFunction'], resources: [ingest.function.functionArn] }),
        new iam.PolicyStatement({ sid: 'RunMapItems', actions: perms.SFN_DISTRIBUTED_MAP, resources: [machineArn, executionArns] }),
      ],
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      timeout: Duration.hours(6),
    });
    this.stateMachine = job.stateMachine;
    for (const [resource, reason] of [
      [stagedObjects, 'Athena UNLOAD names staged objects at run time; limited to this group\'s staging prefix.'],
      [bucket.arnForObjects('athena-results/*'), 'Athena names each result object by query id at run time; limited to the results prefix.'],
      [executionArns, 'Distributed Map child executions are named at run time; limited to this state machine\'s executions.'],
    ] as const) {
      acknowledgeFinding(job.policy, { rule: wildcardResourceFinding(this, resource), reason, ...FEATURE_ACK });
    }
    new lakeformation.CfnPrincipalPermissions(this, 'SourceTableGrant', {
      principal: { dataLakePrincipalIdentifier: job.role.roleArn },
      resource: { table: { catalogId: Aws.ACCOUNT_ID, databaseName: lake.databaseName, name: source.dataset } },
      permissions: lakePerms.LF_TABLE_READ,
      permissionsWithGrantOption: [],
    });

    const startRole = new iam.Role(this, 'StartRole', { assumedBy: new iam.ServicePrincipal('events.amazonaws.com'), description: `Starts the feature pipeline of ${group.name}` });
    new iam.ManagedPolicy(this, 'StartPolicy', {
      roles: [startRole],
      statements: [new iam.PolicyStatement({ sid: 'StartPipeline', actions: ['states:StartExecution'], resources: [this.stateMachine.stateMachineArn] })],
    });
    const target = new targets.SfnStateMachine(this.stateMachine, { input: events.RuleTargetInput.fromObject({}), role: startRole.withoutPolicyUpdates() });
    if ('schedule' in refresh) {
      new events.Rule(this, 'Refresh', { description: `Materializes ${group.name} ${refresh.schedule}`, schedule: events.Schedule.expression(refresh.schedule), targets: [target] });
    } else {
      new events.Rule(this, 'Refresh', {
        description: `Materializes ${group.name} after each ${source.dataset} object arrives`,
        eventPattern: {
          source: ['aws.s3'],
          detailType: ['Object Created'],
          detail: { bucket: { name: [lake.rawBucket!.bucketName] }, object: { key: [{ prefix: `${source.dataset}/` }] } },
        },
        targets: [target],
      });
    }

    const alarmCommon = { alarmAction: props.alarmAction, runbookBaseUrl: props.runbookBaseUrl, subject: group.name };
    // Records written at least every refresh period are expected; none in two periods is stale.
    // Counted in records feature-ingest wrote, not in runs that succeeded: a run whose window holds
    // no row (an empty UNLOAD stages no object, so feature-ingest never runs) or whose rows were all
    // rejected succeeds too, and would read as fresh while nothing reaches the store.
    const staleMinutes = Math.min(this.refreshPeriod.toMinutes() * 2, 7 * 24 * 60);
    const period = Math.min(60, staleMinutes);
    const periods = Math.max(1, Math.floor(staleMinutes / period));
    this.staleAlarm = failureModeAlarm(this, 'FeaturesStale', 'features-stale', {
      ...alarmCommon,
      description: `No ${group.name} record written in ${staleMinutes} minutes (twice its refresh period): no run, failed runs, or runs that materialized nothing (no row in the window, or every row rejected); online features and training sets are going stale.`,
      metric: this.metric('RecordsWritten', { period: Duration.minutes(period) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: periods,
      datapointsToAlarm: periods,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.deadLetterAlarm = failureModeAlarm(this, 'FeatureDeadLetters', 'feature-ingest-dead-letters', {
      ...alarmCommon,
      description: `feature-ingest dead-lettered ${group.name} rows (missing key, wrong type, out of range, refused by Feature Store, or too late: arrived more than the lateness allowance after their event); see s3://<staging>/${this.deadLetterPrefix}.`,
      metric: this.metric('RecordsRejected', { period: Duration.minutes(15) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.jobFailedAlarm = failureModeAlarm(this, 'FeaturePipelineFailed', 'feature-pipeline-failed', {
      ...alarmCommon,
      description: `The feature pipeline of ${group.name} failed, timed out or was aborted.`,
      metric: new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: {
          failed: this.stateMachine.metricFailed({ statistic: cloudwatch.Stats.SUM }),
          timedOut: this.stateMachine.metricTimedOut({ statistic: cloudwatch.Stats.SUM }),
          aborted: this.stateMachine.metricAborted({ statistic: cloudwatch.Stats.SUM }),
        },
        period: Duration.hours(1),
        label: 'Feature pipeline executions that did not succeed',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** A metric feature-ingest publishes for this group (`RowsRead`, `RecordsWritten`, `RecordsRejected`, `DuplicatesDropped`, `PutThrottles`, `PutRetries`). */
  public metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: FEATURE_METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { FeatureGroup: this.groupName },
      statistic: cloudwatch.Stats.SUM,
      ...props,
    });
  }

  /**
   * Lets `grantee` start a run. For a backfill, pass `{ "windowStart": ISO, "windowEnd": ISO }`: the
   * ARRIVAL window (when the rows' curated objects were written); rows that arrived in it are
   * featurized if their event time is no more than `maxLateness` before windowStart.
   */
  public grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }

  private definition(o: {
    template: string;
    lookback: Duration;
    refreshIsIngestion: boolean;
    delay: Duration;
    maxConcurrentObjects: number;
    lakeDatabase: string;
    stagingPrefix: string;
  }): Record<string, unknown> {
    const lookbackMs = o.lookback.toMilliseconds();
    // Window bounds go through $toMillis/$fromMillis: anything that is not a timestamp fails the run
    // instead of reaching the SQL; the run id is reduced to characters safe in a key and a literal.
    // The window is in arrival time and ends when this state is entered: after an afterIngestion
    // run's Settle wait, so the object that started the run (curated during the wait) is in it.
    const end = '($exists($states.input.windowEnd) ? $toMillis($states.input.windowEnd) : $toMillis($states.context.State.EnteredTime))';
    const window = {
      Type: 'Pass',
      Comment: 'The refresh window, in arrival time: [windowStart, windowEnd) from the input (backfill), else the lookback before now',
      Output: {
        windowEnd: `{% $fromMillis(${end}) %}`,
        windowStart: `{% $exists($states.input.windowStart) ? $fromMillis($toMillis($states.input.windowStart)) : $fromMillis(${end} - ${lookbackMs}) %}`,
        runId: "{% $replace($states.context.Execution.Name, /[^A-Za-z0-9_-]/, '_') %}",
      },
      Next: 'CheckWindow',
    };
    const query = `$replace($replace($replace(${JSON.stringify(o.template)}, ${JSON.stringify(WINDOW_START_TOKEN)}, $states.input.windowStart), ${JSON.stringify(WINDOW_END_TOKEN)}, $states.input.windowEnd), ${JSON.stringify(RUN_TOKEN)}, $states.input.runId)`;
    const states: Record<string, unknown> = {
      Window: window,
      // A window with start >= end (a backfill's reversed bounds, a windowStart after the start time)
      // selects no row: the run would succeed having written nothing, and read as a done backfill.
      CheckWindow: {
        Type: 'Choice',
        Comment: 'The window must not be empty: windowStart before windowEnd',
        Choices: [{ Condition: '{% $toMillis($states.input.windowStart) < $toMillis($states.input.windowEnd) %}', Next: 'Unload' }],
        Default: 'WindowEmpty',
      },
      WindowEmpty: {
        Type: 'Fail',
        Comment: 'Fails the run (FeaturePipelineFailed) rather than succeed with nothing materialized',
        Error: 'FeatureWindowEmpty',
        Cause: '{% "the window [" & $states.input.windowStart & ", " & $states.input.windowEnd & ") is empty: windowStart must be before windowEnd" %}',
      },
      Unload: {
        Type: 'Task',
        Comment: "Run the group's SQL for the rows that arrived in the window in Athena and UNLOAD them (gzip JSON) to the staging prefix",
        Resource: `arn:${Aws.PARTITION}:states:::athena:startQueryExecution.sync`,
        Arguments: {
          QueryString: `{% ${query} %}`,
          QueryExecutionContext: { Database: o.lakeDatabase },
          WorkGroup: this.workGroup.workGroupName,
        },
        Output: '{% $merge([$states.input, { "queryExecutionId": $states.result.QueryExecution.QueryExecutionId }]) %}',
        TimeoutSeconds: 3600,
        Retry: [{ ErrorEquals: ['Athena.TooManyRequestsException', 'Athena.InternalServerException'], IntervalSeconds: 10, MaxAttempts: 4, BackoffRate: 2, JitterStrategy: 'FULL' }],
        Next: 'Ingest',
      },
      Ingest: {
        Type: 'Map',
        Comment: 'feature-ingest once per staged object',
        ItemReader: {
          Resource: `arn:${Aws.PARTITION}:states:::s3:listObjectsV2`,
          Arguments: { Bucket: this.staging.bucket.bucketName, Prefix: `{% ${JSON.stringify(o.stagingPrefix)} & $states.input.runId & "/" %}` },
        },
        ItemSelector: { bucket: this.staging.bucket.bucketName, key: '{% $states.context.Map.Item.Value.Key %}', runId: '{% $states.input.runId %}' },
        MaxConcurrency: o.maxConcurrentObjects,
        ToleratedFailurePercentage: 0,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
          StartAt: 'IngestObject',
          States: {
            IngestObject: {
              Type: 'Task',
              Resource: `arn:${Aws.PARTITION}:states:::lambda:invoke`,
              Arguments: { FunctionName: this.ingestFunction.functionArn, Payload: '{% $states.input %}' },
              Output: '{% $states.result.Payload %}',
              Retry: [
                { ErrorEquals: ['FeatureIngestInputError', 'FeatureIngestConfigError'], MaxAttempts: 0 },
                { ErrorEquals: ['States.ALL'], IntervalSeconds: 5, MaxAttempts: 3, BackoffRate: 2, JitterStrategy: 'FULL' },
              ],
              End: true,
            },
          },
        },
        Output:
          '{% { "windowStart": $states.input.windowStart, "windowEnd": $states.input.windowEnd, "runId": $states.input.runId, "objects": $count($states.result), ' +
          '"rowsRead": $sum($states.result.rowsRead), "recordsWritten": $sum($states.result.recordsWritten), "recordsRejected": $sum($states.result.recordsRejected), ' +
          '"duplicatesDropped": $sum($states.result.duplicatesDropped), "rowsTooLate": $sum([0, $states.result.rejectedByReason.`too-late`]) } %}',
        End: true,
      },
    };
    if (o.refreshIsIngestion) {
      states.Settle = { Type: 'Wait', Comment: 'Let the ingest function curate the new object first', Seconds: o.delay.toSeconds(), Next: 'Window' };
    }
    return { Comment: 'Feature pipeline', QueryLanguage: 'JSONata', StartAt: o.refreshIsIngestion ? 'Settle' : 'Window', States: states };
  }
}
