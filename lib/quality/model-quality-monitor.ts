import { Aws, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
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
import { VpcFunction } from '../compute/vpc-function';
import { servedModelsWildcards } from '../inference/inference-endpoint';
import * as lakePerms from '../data-lake/perms';
import { PlinthError } from '../errors';
import { ratePeriodMinutes } from '../features/feature-group-definition';
import { failureModeAlarm } from '../monitoring/failure-modes';
import type { ModelQualityMonitorProps } from './model-quality-monitor-props';
import * as perms from './perms';
import { SecureAthenaWorkgroup } from '../storage/secure-athena-workgroup';
import { PLATFORM_WAIVER } from '../compliance/platform-waiver';

export type { ModelQualityMonitorProps, QualityAbTest, QualityPrice, QualitySettings } from './model-quality-monitor-props';


/** Evidence files: `<prefix><endpoint>/runs/<run>.json` and `<prefix><endpoint>/latest.json` in the capture bucket. */
export const QUALITY_EVIDENCE_PREFIX = 'quality-evidence/';
export const QUALITY_METRIC_NAMESPACE = 'Plinth/Quality';
const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const JSON_PATH = /^\$(\.[A-Za-z_][A-Za-z0-9_]{0,63}){1,4}$/;

/**
 * Model quality from ground truth for one endpoint, the same shape as the drift job: on the
 * configured schedule a Step Functions job renders the window's SQL (`model-quality`, render),
 * runs it in Athena (encrypted workgroup, scan limit) over the endpoint's data capture joined to
 * the model's ground-truth dataset and the reviewers' labels, and hands the aggregates to
 * `model-quality` (evaluate), which writes a JSON evidence file per run, publishes metrics per
 * variant and emits `Model Quality Decayed` (to retraining) and `Model A/B Verdict`. Alarms:
 * quality decay, stale ground truth (also when the job stops reporting), job failures.
 */
export class ModelQualityMonitor extends Construct {
  public readonly endpointName: string;
  /** The production variants whose quality is measured. */
  public readonly variantNames: readonly string[];
  public readonly captureTable: glue.CfnTable;
  public readonly reviewLabelsTable?: glue.CfnTable;
  public readonly workGroup: SecureAthenaWorkgroup;
  public readonly stateMachine: sfn.StateMachine;
  public readonly qualityFunction: lambda.IFunction;
  public readonly decayAlarm: cloudwatch.Alarm;
  public readonly staleAlarm: cloudwatch.Alarm;
  public readonly jobFailedAlarm: cloudwatch.Alarm;
  /** The S3 key of the latest evidence file (read by `plinth models compare`). */
  public readonly latestEvidenceKey: string;

  constructor(scope: Construct, id: string, props: ModelQualityMonitorProps) {
    super(scope, id);
    const where = `ModelQualityMonitor ${this.node.path}`;
    const q = props.quality;
    const endpointName = props.endpoint.endpointName;
    const productionVariantNames = props.productionVariantNames ?? props.endpoint.productionVariantNames;
    const modelPackageGroupName = props.modelPackageGroupName ?? props.modelName;
    const packagesArn = props.registry.packagesArn(modelPackageGroupName);
    const databaseName = props.database.databaseName;
    if (productionVariantNames.length === 0) throw new PlinthError(`${where}: productionVariantNames is empty; list the variants users are served by`);
    // The job reads predictions from capture; with each variant's request count it tells a quiet window from missing capture.
    const captureSamplingPercent = props.endpoint.dataCaptureSamplingPercent ?? 100;
    if (!(captureSamplingPercent > 0)) {
      throw new PlinthError(
        `${where}: endpoint ${endpointName} records no requests (dataCaptureSamplingPercent ${captureSamplingPercent}: data capture off, or an inference component, which capture does not record); ` +
          'the quality job reads predictions from capture: turn capture on, or do not declare quality for this model',
      );
    }
    if (!Token.isUnresolved(endpointName) && !SAGEMAKER_NAME.test(endpointName)) throw new PlinthError(`${where}: endpoint name "${endpointName}" is not a SageMaker name`);
    if (!JSON_PATH.test(q.scorePath)) throw new PlinthError(`${where}: quality.scorePath "${q.scorePath}" must be a JSON path such as $.score`);
    if (!(q.windowHours >= 1)) throw new PlinthError(`${where}: quality.windowHours must be at least 1`);
    // Each run judges the predictions of its own window only: windows shorter than the time between runs leave
    // predictions no run ever judges, and the quality read from the rest says nothing of them. (A cron schedule's
    // period is not known here; docs/model-quality.md asks for the same.)
    const periodMinutes = ratePeriodMinutes(q.schedule);
    if (periodMinutes !== undefined && periodMinutes > q.windowHours * 60) {
      throw new PlinthError(
        `${where}: quality.windowHours (${q.windowHours}) is shorter than the time between runs of quality.schedule (${q.schedule}): ` +
          `the predictions between two windows would never be judged; make windowHours at least ${Math.ceil(periodMinutes / 60)}, or run the job more often`,
      );
    }
    if (q.problemType === 'binary_classification' && !q.positiveLabel) throw new PlinthError(`${where}: quality.positiveLabel is required for binary_classification`);
    if (q.abTest && !productionVariantNames.includes(q.abTest.champion)) {
      throw new PlinthError(`${where}: quality.abTest.champion "${q.abTest.champion}" is not one of productionVariantNames (${productionVariantNames.join(', ')})`);
    }
    const challengers = productionVariantNames.filter((v) => v !== q.abTest?.champion);
    if (q.abTest && challengers.length !== 1) {
      // One verdict compares the champion with ONE challenger: with none there would be no verdict, with more the rest never compared.
      throw new PlinthError(
        `${where}: quality.abTest compares the champion with exactly one other variant; productionVariantNames has ` +
          (challengers.length === 0 ? `none besides "${q.abTest.champion}": add the challenger or remove abTest` : `${challengers.length} (${challengers.join(', ')}): keep one challenger at a time`),
      );
    }
    const stack = Stack.of(this);
    const { captureBucket } = props;
    this.endpointName = endpointName;
    this.variantNames = [...productionVariantNames];
    const capturePrefix = props.capturePrefix ?? 'capture/';
    const resultsPrefix = `quality-query-results/${endpointName}/`;
    const evidencePrefix = `${QUALITY_EVIDENCE_PREFIX}${endpointName}/`;
    this.latestEvidenceKey = `${evidencePrefix}latest.json`;
    const captureObjects = captureBucket.arnForObjects(`${capturePrefix}${endpointName}/*`);
    const resultObjects = captureBucket.arnForObjects(`${resultsPrefix}*`);
    const evidenceObjects = captureBucket.arnForObjects(`${evidencePrefix}*`);
    const truthObjects = props.groundTruthBucket.arnForObjects(`${props.groundTruthTableName}/*`);
    const reviewObjects = props.reviewLabelsPrefix !== undefined ? props.groundTruthBucket.arnForObjects(`${props.reviewLabelsPrefix}${props.modelName}/*`) : undefined;
    const suffix = endpointName.replace(/-/g, '_').toLowerCase();

    // The capture, with the inference id the gateway sets (eventMetadata.inferenceId).
    const captureTableName = `quality_capture_${suffix}`;
    const location = captureBucket.s3UrlForObject(`${capturePrefix}${endpointName}/`);
    const io = 'struct<observedcontenttype:string,mode:string,data:string,encoding:string>';
    this.captureTable = new glue.CfnTable(this, 'CaptureTable', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: props.database.databaseName,
      tableInput: {
        name: captureTableName,
        description: `Data capture of endpoint ${endpointName} with inference ids, read by its quality job`,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'json',
          'projection.enabled': 'true',
          'projection.variant.type': 'enum',
          'projection.variant.values': productionVariantNames.join(','),
          'projection.capture_hour.type': 'date',
          'projection.capture_hour.format': 'yyyy/MM/dd/HH',
          'projection.capture_hour.range': '2024/01/01/00,NOW',
          'projection.capture_hour.interval': '1',
          'projection.capture_hour.interval.unit': 'HOURS',
          'storage.location.template': `${location}\${variant}/\${capture_hour}/`,
        },
        partitionKeys: [
          { name: 'variant', type: 'string' },
          { name: 'capture_hour', type: 'string' },
        ],
        storageDescriptor: {
          location,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', parameters: { 'ignore.malformed.json': 'true' } },
          columns: [
            { name: 'capturedata', type: `struct<endpointinput:${io},endpointoutput:${io}>` },
            { name: 'eventmetadata', type: 'struct<eventid:string,inferenceid:string,inferencetime:string>' },
            { name: 'eventversion', type: 'string' },
          ],
        },
      },
    });
    this.captureTable.applyRemovalPolicy(props.removalPolicy);

    const reviewTableName = `review_labels_${props.modelName.replace(/-/g, '_').toLowerCase()}`;
    if (props.reviewLabelsPrefix !== undefined) {
      const reviewLocation = props.groundTruthBucket.s3UrlForObject(`${props.reviewLabelsPrefix}${props.modelName}/`);
      this.reviewLabelsTable = new glue.CfnTable(this, 'ReviewLabelsTable', {
        catalogId: Aws.ACCOUNT_ID,
        databaseName: props.database.databaseName,
        tableInput: {
          name: reviewTableName,
          description: `Reviewer labels of ${props.modelName} (one JSON object per case), ground truth beside the dataset`,
          tableType: 'EXTERNAL_TABLE',
          parameters: {
            classification: 'json',
            'projection.enabled': 'true',
            'projection.labelled_date.type': 'date',
            'projection.labelled_date.format': 'yyyy-MM-dd',
            'projection.labelled_date.range': '2024-01-01,NOW',
            'projection.labelled_date.interval': '1',
            'projection.labelled_date.interval.unit': 'DAYS',
            'storage.location.template': `${reviewLocation}labelled_date=\${labelled_date}/`,
          },
          partitionKeys: [{ name: 'labelled_date', type: 'string' }],
          storageDescriptor: {
            location: reviewLocation,
            inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
            outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
            serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', parameters: { 'ignore.malformed.json': 'true' } },
            columns: [
              { name: 'caseid', type: 'string' },
              { name: 'inferenceid', type: 'string' },
              { name: 'variant', type: 'string' },
              { name: 'label', type: 'string' },
              { name: 'labelledat', type: 'string' },
              { name: 'predictedat', type: 'string' },
            ],
          },
        },
      });
      this.reviewLabelsTable.applyRemovalPolicy(props.removalPolicy);
    }

    this.workGroup = new SecureAthenaWorkgroup(this, 'WorkGroup', {
      // The name it had as a plain CfnWorkGroup: a new name would replace the workgroup.
      workGroupName: Names.uniqueResourceName(this, { maxLength: 128, separator: '-' }),
      description: `Quality job of ${endpointName}: encrypted results, scan limit enforced`,
      resultsBucket: captureBucket,
      resultsPrefix,
      encryptionKey: props.captureKey,
      bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
      removalPolicy: props.removalPolicy,
    });
    const workGroupArn = this.workGroup.workGroupArn;

    const ab = q.abTest;
    const job = {
      endpointName,
      modelName: props.modelName,
      modelPackageGroupName,
      variants: productionVariantNames,
      database: databaseName,
      captureTable: captureTableName,
      groundTruthTable: props.groundTruthTableName,
      ...(props.reviewLabelsPrefix !== undefined ? { reviewTable: reviewTableName } : {}),
      evidenceBucket: captureBucket.bucketName,
      evidencePrefix: QUALITY_EVIDENCE_PREFIX,
      windowHours: q.windowHours,
      labelDelayHours: q.labelDelayHours,
      problemType: q.problemType,
      primaryMetric: q.primaryMetric,
      scorePath: q.scorePath,
      ...(q.positiveLabel !== undefined ? { positiveLabel: q.positiveLabel } : {}),
      threshold: q.threshold ?? 0.5,
      minSamples: q.minSamples ?? 200,
      tolerance: q.tolerance,
      floor: q.floor,
      coverageFloor: q.coverageFloor ?? 0.05,
      captureSamplingPercent,
      ...(q.outcome ? { outcome: q.outcome } : {}),
      ...(ab
        ? {
            abTest: {
              champion: ab.champion,
              alpha: ab.alpha ?? 0.05,
              minimumEffect: ab.minimumEffect,
              guardrails: {
                p99LatencyIncrease: ab.p99LatencyIncrease ?? 0.1,
                errorRateIncrease: ab.errorRateIncrease ?? 0.005,
                costPer1000Increase: ab.costPer1000Increase ?? 0.2,
              },
            },
          }
        : {}),
      prices: props.prices ?? {},
    };
    const fn = new VpcFunction(this, 'QualityFunction', {
      handlerFolder: 'model-quality',
      description: `Plinth model-quality: quality per variant, decay and A/B verdict for ${endpointName}`,
      statements: [
        new iam.PolicyStatement({ sid: 'ReadQueryResults', actions: perms.QUALITY_READ_RESULTS, resources: [workGroupArn] }),
        new iam.PolicyStatement({ sid: 'ReadResultObjects', actions: lakePerms.S3_READ_OBJECT, resources: [resultObjects] }),
        new iam.PolicyStatement({ sid: 'WriteEvidence', actions: lakePerms.S3_WRITE_OBJECT, resources: [evidenceObjects] }),
        // The previous run's A/B totals, which this run adds its window to.
        new iam.PolicyStatement({ sid: 'ReadPreviousEvidence', actions: lakePerms.S3_READ_OBJECT, resources: [captureBucket.arnForObjects(`${evidencePrefix}latest.json`)] }),
        new iam.PolicyStatement({ sid: 'UseCaptureKey', actions: lakePerms.KMS_ENCRYPT_DECRYPT, resources: [props.captureKey.keyArn] }),
        // Contract B: the baseline of each variant is the evaluation of the package it serves (which
        // package that is: the endpoint's grantReadServedModels, below).
        new iam.PolicyStatement({ sid: 'DescribeServedPackage', actions: perms.QUALITY_DESCRIBE_PACKAGE, resources: [packagesArn] }),
        new iam.PolicyStatement({ sid: 'ReadEvaluation', actions: lakePerms.S3_READ_OBJECT, resources: [props.evaluationBucket.arnForObjects('*')] }),
        new iam.PolicyStatement({ sid: 'DecryptEvaluation', actions: lakePerms.KMS_DECRYPT, resources: [props.evaluationKey.keyArn] }),
        new iam.PolicyStatement({ sid: 'ReadVariantMetrics', actions: perms.QUALITY_READ_METRICS, resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'PublishQualityEvents',
          actions: lakePerms.EVENTS_PUT,
          resources: [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
        }),
      ],
      wildcardResources: [
        [resultObjects, 'Athena names each result object by query id at run time; read-only, this endpoint\'s results prefix.'],
        [evidenceObjects, 'One evidence file per run, named by run time; write-only under this endpoint\'s evidence prefix.'],
        [packagesArn, 'Package versions are numbered by the registry at run time; describe-only, this model\'s package group.'],
        [props.evaluationBucket.arnForObjects('*'), 'The training pipeline registers evaluation.json wherever the run wrote it; read-only, the registry\'s artifact bucket.'],
      ],
      environment: { JOB: JSON.stringify(job), EVENT_BUS_NAME: 'default', PLINTH_ENV: props.environmentName },
      timeout: Duration.minutes(2),
      memorySize: 1024,
      vpc: props.vpc,
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      reservedConcurrency: 2,
      keepLogicalIdsOf: { function: 'QualityFunction', logGroup: 'QualityLogs', role: 'QualityRole', policy: 'QualityPolicy', securityGroup: 'QualitySecurityGroup' },
    });
    this.qualityFunction = fn.function;
    props.endpoint.grantReadServedModels(fn.function);
    for (const [resource, reason] of servedModelsWildcards(this)) {
      acknowledgeFinding(fn.role.grantsPolicy!, { rule: wildcardResourceFinding(this, resource), reason, ...PLATFORM_WAIVER });
    }
    acknowledgeFinding(fn.policy, {
      rule: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'cloudwatch:GetMetricData accepts no resource scoping; DescribeModelPackage is limited to the model\'s packages.',
      ...PLATFORM_WAIVER,
    });
    for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
      acknowledgeFinding(fn.function, {
        rule: `${pack}-LambdaDLQ`,
        reason: 'Invoked synchronously by the quality job (Step Functions), which retries it and records every failure as a failed execution; the QualityJobFailed alarm watches those.',
        ...PLATFORM_WAIVER,
      });
    }

    this.stateMachine = this.buildStateMachine(props, workGroupArn, [captureTableName, props.groundTruthTableName, ...(reviewObjects ? [reviewTableName] : [])], {
      captureObjects,
      resultObjects,
      truthObjects,
      reviewObjects,
    });

    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: `Starts the quality job of ${endpointName} on its schedule`,
    });
    new iam.ManagedPolicy(this, 'SchedulePolicy', {
      roles: [scheduleRole],
      statements: [new iam.PolicyStatement({ sid: 'StartQualityJob', actions: ['states:StartExecution'], resources: [this.stateMachine.stateMachineArn] })],
    });
    new events.Rule(this, 'Schedule', {
      description: `Runs the quality job of ${endpointName} over ${q.windowHours} h of predictions, ${q.labelDelayHours} h behind`,
      schedule: events.Schedule.expression(q.schedule),
      targets: [new targets.SfnStateMachine(this.stateMachine, { input: events.RuleTargetInput.fromObject({}), role: scheduleRole.withoutPolicyUpdates() })],
    });

    const alarmCommon = { alarmAction: props.alarmAction, runbookBaseUrl: props.runbookBaseUrl, subject: props.modelName };
    const metric = (name: string) =>
      new cloudwatch.Metric({ namespace: QUALITY_METRIC_NAMESPACE, metricName: name, dimensionsMap: { Endpoint: endpointName }, statistic: cloudwatch.Stats.MAXIMUM, period: Duration.days(1) });
    this.decayAlarm = failureModeAlarm(this, 'QualityDecayed', 'model-quality-decay', {
      ...alarmCommon,
      description: `A variant of ${endpointName} is worse than its baseline by more than the tolerance (with at least the minimum sample size); retraining has been started (debounced) if the model declares drift, otherwise start it by hand.`,
      metric: metric('QualityDecayed'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.staleAlarm = failureModeAlarm(this, 'GroundTruthStale', 'ground-truth-stale', {
      ...alarmCommon,
      description: `Ground truth of ${endpointName} is stale (coverage below the floor, no label for longer than the delay, or capture missing for the requests served), or the quality job has not reported for a day: quality is not being measured.`,
      metric: metric('GroundTruthStale'),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // A quality monitor that does not report is not green.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    this.jobFailedAlarm = failureModeAlarm(this, 'QualityJobFailed', 'ground-truth-stale', {
      ...alarmCommon,
      description: `The quality job of ${endpointName} failed, timed out or was aborted; quality is not being measured.`,
      metric: new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: {
          failed: this.stateMachine.metricFailed({ statistic: cloudwatch.Stats.SUM }),
          timedOut: this.stateMachine.metricTimedOut({ statistic: cloudwatch.Stats.SUM }),
          aborted: this.stateMachine.metricAborted({ statistic: cloudwatch.Stats.SUM }),
        },
        period: Duration.hours(1),
        label: 'Quality job executions that did not succeed',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Dashboard widgets: quality per variant, label coverage, cost per 1,000. */
  public widgets(variants: readonly string[]): cloudwatch.IWidget[] {
    const perVariant = (name: string) =>
      variants.map(
        (v) =>
          new cloudwatch.Metric({
            namespace: QUALITY_METRIC_NAMESPACE,
            metricName: name,
            dimensionsMap: { Endpoint: this.endpointName, Variant: v },
            statistic: cloudwatch.Stats.AVERAGE,
            period: Duration.days(1),
            label: v,
          }),
      );
    return [
      new cloudwatch.GraphWidget({ title: `${this.endpointName}: quality per variant (primary metric)`, left: perVariant('PrimaryMetric'), width: 8 }),
      new cloudwatch.GraphWidget({ title: `${this.endpointName}: label coverage`, left: perVariant('LabelCoverage'), width: 8 }),
      new cloudwatch.GraphWidget({ title: `${this.endpointName}: cost per 1,000 predictions`, left: perVariant('CostPer1000'), width: 8 }),
    ];
  }

  private buildStateMachine(
    props: ModelQualityMonitorProps,
    workGroupArn: string,
    tableNames: readonly string[],
    objects: { captureObjects: string; resultObjects: string; truthObjects: string; reviewObjects: string | undefined },
  ): sfn.StateMachine {
    const stack = Stack.of(this);
    const { captureBucket } = props;
    const endpointName = props.endpoint.endpointName;
    const role = new iam.Role(this, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: `Runs the quality job of ${endpointName}: invokes its function and joins capture to ground truth in Athena`,
    });
    const glueArn = (resource: string, name?: string) => stack.formatArn({ service: 'glue', resource, resourceName: name });
    const readable = [objects.captureObjects, objects.truthObjects, ...(objects.reviewObjects ? [objects.reviewObjects] : [])];
    const policy = new iam.ManagedPolicy(this, 'JobPolicy', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({ sid: 'InvokeQualityFunction', actions: ['lambda:InvokeFunction'], resources: [this.qualityFunction.functionArn] }),
        new iam.PolicyStatement({ sid: 'RunQualityQuery', actions: perms.QUALITY_RUN_QUERY, resources: [workGroupArn] }),
        new iam.PolicyStatement({
          sid: 'ReadTables',
          actions: lakePerms.GLUE_CATALOG_READ,
          resources: [glueArn('catalog'), glueArn('database', props.database.databaseName), ...tableNames.map((t) => glueArn('table', `${props.database.databaseName}/${t}`))],
        }),
        new iam.PolicyStatement({ sid: 'GetLakeFormationCredentials', actions: lakePerms.LAKEFORMATION_DATA_ACCESS, resources: ['*'] }),
        new iam.PolicyStatement({ sid: 'ReadCaptureAndGroundTruth', actions: lakePerms.S3_READ_OBJECT, resources: readable }),
        new iam.PolicyStatement({ sid: 'ListSources', actions: lakePerms.S3_LIST, resources: [captureBucket.bucketArn, props.groundTruthBucket.bucketArn] }),
        new iam.PolicyStatement({ sid: 'WriteQueryResults', actions: [...lakePerms.S3_READ_OBJECT, ...lakePerms.S3_WRITE_OBJECT], resources: [objects.resultObjects] }),
        new iam.PolicyStatement({ sid: 'UseLakeKeys', actions: lakePerms.KMS_ENCRYPT_DECRYPT, resources: [props.captureKey.keyArn, props.groundTruthKey.keyArn] }),
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
      reason:
        'Step Functions log delivery and X-Ray tracing calls accept no resource scoping (AWS documents Resource "*"), ' +
        'and lakeformation:GetDataAccess takes none; Lake Formation grants decide which tables are readable.',
      ...PLATFORM_WAIVER,
    });
    for (const [resource, reason] of [
      [objects.captureObjects, 'SageMaker names capture objects by variant, hour and request at run time; read-only, this endpoint\'s capture prefix.'],
      [objects.resultObjects, 'Athena names each result object by query id at run time; limited to this endpoint\'s results prefix.'],
    ] as const) {
      acknowledgeFinding(policy, { rule: wildcardResourceFinding(this, resource), reason, ...PLATFORM_WAIVER });
    }
    // The lake zone usually lives in another stack: its ARN is final (Fn::GetStackOutput) only once the
    // app is synthesized, so these two are acknowledged then, before the nag packs run (as the gate's waivers are).
    const lakeWildcards: Array<readonly [string, string]> = [
      [objects.truthObjects, 'The ingest function names curated objects by day and object id; read-only, this model\'s ground-truth dataset.'],
      ...(objects.reviewObjects ? [[objects.reviewObjects, 'The review API names label objects by day and case; read-only, this model\'s labels.'] as const] : []),
    ];
    this.node.addValidation({
      validate: () => {
        for (const [resource, reason] of lakeWildcards) acknowledgeFinding(policy, { rule: wildcardResourceFinding(this, resource), reason, ...PLATFORM_WAIVER });
        return [];
      },
    });

    tableNames.forEach((table, i) => {
      const grant = new lakeformation.CfnPrincipalPermissions(this, `TableGrant${i}`, {
        principal: { dataLakePrincipalIdentifier: role.roleArn },
        resource: { table: { catalogId: Aws.ACCOUNT_ID, databaseName: props.database.databaseName, name: table } },
        permissions: lakePerms.LF_TABLE_READ,
        permissionsWithGrantOption: [],
      });
      // The tables this construct creates must exist before the grant (the dataset's table is the lake's).
      if (i === 0) grant.addResourceDependency(this.captureTable);
      if (this.reviewLabelsTable && objects.reviewObjects && i === tableNames.length - 1) grant.addResourceDependency(this.reviewLabelsTable);
    });

    const notRetryable = ['QualityInputError'];
    const render = new tasks.LambdaInvoke(this, 'RenderQuery', {
      lambdaFunction: this.qualityFunction,
      payload: sfn.TaskInput.fromObject({ action: 'render', time: sfn.JsonPath.stringAt('$$.Execution.StartTime') }),
      payloadResponseOnly: true,
      resultPath: '$.query',
      comment: 'The window\'s join of capture to ground truth, as Athena SQL',
    });
    render.addRetry({ errors: notRetryable, maxAttempts: 0 });
    render.addRetry({ errors: [sfn.Errors.ALL], maxAttempts: 3, interval: Duration.seconds(5), backoffRate: 2 });

    const join = new sfn.CustomState(this, 'JoinGroundTruth', {
      stateJson: {
        Type: 'Task',
        Comment: 'Capture joined to ground truth, aggregated per variant, in Athena',
        Resource: `arn:${Aws.PARTITION}:states:::athena:startQueryExecution.sync`,
        Parameters: { 'QueryString.$': '$.query.queryString', WorkGroup: this.workGroup.workGroupName },
        ResultSelector: { 'queryExecutionId.$': '$.QueryExecution.QueryExecutionId' },
        ResultPath: '$.athena',
        TimeoutSeconds: 900,
        Retry: [{ ErrorEquals: ['Athena.TooManyRequestsException', 'Athena.InternalServerException'], IntervalSeconds: 10, MaxAttempts: 4, BackoffRate: 2 }],
      },
    });

    const evaluate = new tasks.LambdaInvoke(this, 'Evaluate', {
      lambdaFunction: this.qualityFunction,
      payload: sfn.TaskInput.fromObject({
        action: 'evaluate',
        queryExecutionId: sfn.JsonPath.stringAt('$.athena.queryExecutionId'),
        window: sfn.JsonPath.objectAt('$.query.window'),
        labelsUntil: sfn.JsonPath.stringAt('$.query.labelsUntil'),
        runAt: sfn.JsonPath.stringAt('$.query.runAt'),
      }),
      payloadResponseOnly: true,
      resultPath: '$.result',
      comment: 'Quality per variant, decay, staleness and the A/B verdict; evidence file, metrics, events',
    });
    evaluate.addRetry({ errors: notRetryable, maxAttempts: 0 });
    evaluate.addRetry({ errors: [sfn.Errors.ALL], maxAttempts: 3, interval: Duration.seconds(5), backoffRate: 2 });

    const logGroup = new logs.LogGroup(this, 'JobLogs', { encryptionKey: props.logsKey, retention: props.logRetention, removalPolicy: props.removalPolicy });
    const machine = new sfn.StateMachine(this, 'Job', {
      comment: `Quality job of ${endpointName}`,
      definitionBody: sfn.DefinitionBody.fromChainable(render.next(join).next(evaluate)),
      role: role.withoutPolicyUpdates(),
      timeout: Duration.hours(1),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    machine.node.addDependency(policy);
    return machine;
  }
}
