import { Aws, Duration, Names, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lakeformation from 'aws-cdk-lib/aws-lakeformation';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { Construct } from 'constructs';
import {
  DEFAULT_DRIFT_CAPTURE_SETTLE_MINUTES,
  DEFAULT_DRIFT_MIN_SAMPLES,
  DEFAULT_DRIFT_THRESHOLDS,
  MAX_DRIFT_CAPTURE_SETTLE_MINUTES,
  type DriftFeatureDefinition as DriftFeature,
  type DriftSettings as DriftConfig,
} from './drift-props';
import { acknowledgeFinding, wildcardResourceFinding } from '../compliance/acknowledge';
import type { PlatformServiceProps } from '../compute/platform-service-props';
import { VpcFunction } from '../compute/vpc-function';
import * as perms from '../data-lake/perms';
import * as driftPerms from './perms';
import { PlinthError } from '../errors';
import { failureModeAlarm } from '../monitoring/failure-modes';
import type { ILakeDatabase } from '../data-lake/data-lake-props';
import type { IInferenceEndpoint } from '../inference/inference-endpoint-props';
import { SecureAthenaWorkgroup } from '../storage/secure-athena-workgroup';
import { PLATFORM_WAIVER } from '../compliance/platform-waiver';
import { ratePeriodMinutes } from '../features/feature-group-definition';


const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/**
 * Where drift baselines live in the capture bucket: `<prefix><endpoint>/<group>-v<version>.json` per
 * approved version, and `current.json`, the newest version approved (it never moves back to an older
 * one). With `servedModel` the job compares against the served version's; without it, against
 * `current.json`.
 */
export const DRIFT_BASELINE_PREFIX = 'drift-baselines/';
/** Where, in the capture bucket, each endpoint's drift job records the end of the last window it evaluated. */
export const DRIFT_COVERAGE_PREFIX = 'drift-coverage/';
/** The metric namespace of the drift Lambdas. */
export const DRIFT_METRIC_NAMESPACE = 'Plinth/Drift';

/** Properties for {@link ModelDriftMonitor}. */
export interface ModelDriftMonitorProps extends PlatformServiceProps {
  /** The endpoint whose captured traffic is compared with its baseline. */
  readonly endpoint: IInferenceEndpoint;
  /**
   * The production variants whose capture is compared (shadow variants are not what users were served).
   *
   * @default - every production variant of `endpoint`
   */
  readonly productionVariantNames?: readonly string[];
  readonly features: readonly DriftFeature[];
  readonly drift: DriftConfig;
  /** The bucket the endpoint's data capture writes to; baselines and query results live there too. */
  readonly captureBucket: s3.IBucket;
  /** The capture prefix the endpoint config writes under. @default 'capture/' */
  readonly capturePrefix?: string;
  /** The key of the capture bucket. */
  readonly captureKey: kms.IKey;
  /** The lake whose Glue database the capture table is registered in, under Lake Formation. */
  readonly database: ILakeDatabase;
  /** Athena stops any drift query that would scan more than this. */
  readonly bytesScannedCutoffPerQuery: number;
  /**
   * The model package group whose approved versions deploy-model rolls onto `variantName` (it tags
   * each model it creates with its package). When set, each run compares traffic with the baseline
   * of the version that variant serves now (`drift-baselines/<endpoint>/<group>-v<version>.json`),
   * found from the endpoint's config in service; a variant that serves no registered version, or a
   * served version without a baseline, fails the run (`BaselineMissing`).
   *
   * @default - `current.json`: the baseline of the newest version approved, which a canary SageMaker
   * rolled back, or a rollback by hand, leaves on a model that no longer serves
   */
  readonly servedModel?: { readonly modelPackageGroupName: string; readonly variantName: string };
}

/**
 * Data drift detection for one endpoint, without SageMaker Model Monitor: on the configured
 * schedule a Step Functions job renders the window's bin-count SQL from the stored training
 * baseline (`drift-query`), runs it in Athena over the endpoint's data capture (the heavy part,
 * on a distributed engine), and hands the counts to `drift-stats`, which computes PSI, KS, the
 * missing-rate change and unseen categories, publishes them as metrics and emits
 * `Model Drift Detected` when a feature passes its threshold.
 */
export class ModelDriftMonitor extends Construct {
  public readonly endpointName: string;
  public readonly captureTable: glue.CfnTable;
  public readonly workGroup: SecureAthenaWorkgroup;
  public readonly stateMachine: sfn.StateMachine;
  public readonly queryFunction: lambda.IFunction;
  public readonly statisticsFunction: lambda.IFunction;
  /** The S3 key of `current.json`, the baseline of the newest version approved (what the job compares against without `servedModel`). */
  public readonly baselineKey: string;
  /** In the capture bucket: the end of the last window evaluated, so the next run starts there (lambdas/drift-query). */
  public readonly coverageKey: string;
  public readonly driftAlarm: cloudwatch.Alarm;
  public readonly jobFailedAlarm: cloudwatch.Alarm;
  /** No evaluation in twice the schedule's period: the job is not running, so "no drift" means nothing. */
  public readonly jobSilentAlarm: cloudwatch.Alarm;
  /** Every feature lacked data while the endpoint served enough requests: capture is broken, so "no drift" means nothing. */
  public readonly blindAlarm: cloudwatch.Alarm;
  /** CaptureHoursSkipped >= 1: capture hours no drift run evaluated, and none will. */
  public readonly windowGapAlarm: cloudwatch.Alarm;
  /** Each window ends at the last full hour at least this many minutes before the run (late capture uploads). */
  public readonly captureSettleMinutes: number;
  /** The percentage of requests the endpoint's data capture records, as the job scales the request count. */
  public readonly captureSamplingPercent: number;

  constructor(scope: Construct, id: string, props: ModelDriftMonitorProps) {
    super(scope, id);
    const productionVariantNames = props.productionVariantNames ?? props.endpoint.productionVariantNames;
    if (productionVariantNames.length === 0) throw new PlinthError(`ModelDriftMonitor ${this.node.path}: the endpoint has no production variants to watch`);
    if (props.features.length === 0) throw new PlinthError(`ModelDriftMonitor ${this.node.path}: declare at least one feature to watch`);
    // An endpoint that captures nothing gives the job no rows, ever: every run would read "too little data".
    this.captureSamplingPercent = props.endpoint.dataCaptureSamplingPercent ?? 100;
    if (!(this.captureSamplingPercent > 0)) {
      throw new PlinthError(
        `ModelDriftMonitor ${this.node.path}: endpoint ${props.endpoint.endpointName} records no requests (dataCaptureSamplingPercent ${this.captureSamplingPercent}: ` +
          'data capture off, or an inference component, which capture does not record); turn capture on, or do not declare drift for this model',
      );
    }
    const captureSettleMinutes = props.drift.captureSettleMinutes ?? DEFAULT_DRIFT_CAPTURE_SETTLE_MINUTES;
    if (!Number.isInteger(captureSettleMinutes) || captureSettleMinutes < 0 || captureSettleMinutes > MAX_DRIFT_CAPTURE_SETTLE_MINUTES) {
      throw new PlinthError(`ModelDriftMonitor ${this.node.path}: drift.captureSettleMinutes must be a whole number of minutes, 0 to ${MAX_DRIFT_CAPTURE_SETTLE_MINUTES} (got ${captureSettleMinutes})`);
    }
    this.captureSettleMinutes = captureSettleMinutes;
    const served = props.servedModel;
    if (served !== undefined) {
      if (!SAGEMAKER_NAME.test(served.modelPackageGroupName)) {
        throw new PlinthError(`ModelDriftMonitor ${this.node.path}: servedModel.modelPackageGroupName "${served.modelPackageGroupName}" is not a SageMaker name (1-63 letters, digits and hyphens)`);
      }
      if (!props.endpoint.productionVariantNames.includes(served.variantName)) {
        throw new PlinthError(
          `ModelDriftMonitor ${this.node.path}: servedModel.variantName "${served.variantName}" is not a production variant of ${props.endpoint.endpointName} (${props.endpoint.productionVariantNames.join(', ')})`,
        );
      }
    }
    const stack = Stack.of(this);
    const { captureBucket } = props;
    const endpointName = props.endpoint.endpointName;
    const databaseName = props.database.databaseName;
    this.endpointName = endpointName;
    const capturePrefix = props.capturePrefix ?? 'capture/';
    this.baselineKey = `${DRIFT_BASELINE_PREFIX}${endpointName}/current.json`;
    this.coverageKey = `${DRIFT_COVERAGE_PREFIX}${endpointName}.json`;
    const coverageObject = captureBucket.arnForObjects(this.coverageKey);
    const resultsPrefix = `drift-query-results/${endpointName}/`;
    const captureObjects = captureBucket.arnForObjects(`${capturePrefix}${endpointName}/*`);
    const resultObjects = captureBucket.arnForObjects(`${resultsPrefix}*`);
    const baselineFolder = `${DRIFT_BASELINE_PREFIX}${endpointName}/`;
    // With servedModel, the baseline read is the served version's, named at run time in this folder.
    const baselineObject = captureBucket.arnForObjects(served ? `${baselineFolder}*` : this.baselineKey);
    const baselineReadReason = 'The baseline of the version the endpoint serves is chosen at run time (drift-baselines/<endpoint>/<group>-v<version>.json); read-only, this endpoint\'s baseline folder.';
    const endpointConfigsArn = stack.formatArn({ service: 'sagemaker', resource: 'endpoint-config', resourceName: '*' });
    const modelsArn = stack.formatArn({ service: 'sagemaker', resource: 'model', resourceName: '*' });

    // SageMaker writes <prefix><endpoint>/<variant>/yyyy/mm/dd/hh/<file>.jsonl; projection finds the partitions.
    const tableName = `capture_${endpointName.replace(/-/g, '_').toLowerCase()}`;
    const location = captureBucket.s3UrlForObject(`${capturePrefix}${endpointName}/`);
    const ioStruct = 'struct<observedcontenttype:string,mode:string,data:string,encoding:string>';
    this.captureTable = new glue.CfnTable(this, 'CaptureTable', {
      catalogId: Aws.ACCOUNT_ID,
      databaseName,
      tableInput: {
        name: tableName,
        description: `SageMaker data capture of endpoint ${endpointName}, read by its drift job`,
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
          { name: 'variant', type: 'string', comment: 'production variant that served the request' },
          { name: 'capture_hour', type: 'string', comment: 'UTC hour of capture, yyyy/MM/dd/HH' },
        ],
        storageDescriptor: {
          location,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', parameters: { 'ignore.malformed.json': 'true' } },
          columns: [
            { name: 'capturedata', type: `struct<endpointinput:${ioStruct},endpointoutput:${ioStruct}>` },
            { name: 'eventmetadata', type: 'struct<eventid:string,inferencetime:string>' },
            { name: 'eventversion', type: 'string' },
          ],
        },
      },
    });
    this.captureTable.applyRemovalPolicy(props.removalPolicy);

    this.workGroup = new SecureAthenaWorkgroup(this, 'WorkGroup', {
      // The name it had as a plain CfnWorkGroup: a new name would replace the workgroup.
      workGroupName: Names.uniqueResourceName(this, { maxLength: 128, separator: '-' }),
      description: `Drift job of ${endpointName}: encrypted results, scan limit enforced`,
      resultsBucket: captureBucket,
      resultsPrefix,
      encryptionKey: props.captureKey,
      bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
      removalPolicy: props.removalPolicy,
    });
    const workGroupArn = this.workGroup.workGroupArn;

    const common = {
      vpc: props.vpc,
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      reservedConcurrency: 2,
    };
    const readBaseline = new iam.PolicyStatement({ sid: 'ReadBaseline', actions: perms.S3_READ_OBJECT, resources: [baselineObject] });
    const decryptCapture = new iam.PolicyStatement({ sid: 'DecryptLake', actions: perms.KMS_DECRYPT, resources: [props.captureKey.keyArn] });
    this.queryFunction = new VpcFunction(this, 'QueryFunction', {
      handlerFolder: 'drift-query',
      description: `Plinth drift-query: bin-count SQL for ${endpointName} from its baseline`,
      statements: [
        readBaseline,
        decryptCapture,
        // Without ListBucket, S3 answers a missing baseline with AccessDenied instead of NoSuchKey.
        new iam.PolicyStatement({
          sid: 'TellMissingBaseline',
          actions: driftPerms.S3_LIST_BUCKET,
          resources: [captureBucket.bucketArn],
          conditions: served ? { StringLike: { 's3:prefix': `${baselineFolder}*` } } : { StringEquals: { 's3:prefix': this.baselineKey } },
        }),
        // Where the last window evaluated ended; none yet (NoSuchKey, hence ListBucket) is the first run.
        new iam.PolicyStatement({ sid: 'ReadCoverage', actions: perms.S3_READ_OBJECT, resources: [coverageObject] }),
        new iam.PolicyStatement({
          sid: 'TellMissingCoverage',
          actions: driftPerms.S3_LIST_BUCKET,
          resources: [captureBucket.bucketArn],
          conditions: { StringEquals: { 's3:prefix': this.coverageKey } },
        }),
        // The package the variant serves: the model in the endpoint's config in service, and deploy-model's tag on it.
        ...(served
          ? [
              new iam.PolicyStatement({ sid: 'FindServedModel', actions: driftPerms.DESCRIBE_ENDPOINT, resources: [props.endpoint.endpointArn] }),
              new iam.PolicyStatement({ sid: 'ReadServedConfig', actions: driftPerms.DESCRIBE_ENDPOINT_CONFIG, resources: [endpointConfigsArn] }),
              new iam.PolicyStatement({ sid: 'FindServedPackage', actions: driftPerms.DESCRIBE_MODEL, resources: [modelsArn] }),
            ]
          : []),
      ],
      wildcardResources: served
        ? [
            [baselineObject, baselineReadReason],
            [endpointConfigsArn, 'deploy-model names each endpoint config at run time; describe-only, to find the model the variant serves.'],
            [modelsArn, 'deploy-model names each model at run time; describe and list tags only, to find the package a served model was built from.'],
          ]
        : [],
      environment: {
        ENDPOINT_NAME: endpointName,
        CAPTURE_DATABASE: databaseName,
        CAPTURE_TABLE: tableName,
        CAPTURE_VARIANTS: productionVariantNames.join(','),
        WINDOW_HOURS: String(props.drift.windowHours),
        CAPTURE_SETTLE_MINUTES: String(captureSettleMinutes),
        BASELINE_BUCKET: captureBucket.bucketName,
        BASELINE_KEY: this.baselineKey,
        COVERAGE_KEY: this.coverageKey,
        ...(served ? { MODEL_PACKAGE_GROUP: served.modelPackageGroupName, MODEL_VARIANT: served.variantName } : {}),
        PLINTH_ENV: props.environmentName,
      },
      timeout: Duration.minutes(1),
      ...common,
      keepLogicalIdsOf: { function: 'QueryFunction', logGroup: 'QueryLogs', role: 'QueryRole', policy: 'QueryPolicy', securityGroup: 'QuerySecurityGroup' },
    }).function;
    const statistics = new VpcFunction(this, 'StatisticsFunction', {
      handlerFolder: 'drift-stats',
      description: `Plinth drift-stats: PSI, KS, missing rate and unseen categories for ${endpointName}`,
      statements: [
        readBaseline,
        decryptCapture,
        new iam.PolicyStatement({ sid: 'ReadBinCounts', actions: driftPerms.ATHENA_READ_RESULTS, resources: [workGroupArn] }),
        new iam.PolicyStatement({ sid: 'ReadQueryResults', actions: perms.S3_READ_OBJECT, resources: [resultObjects] }),
        new iam.PolicyStatement({
          sid: 'PublishDriftEvents',
          actions: perms.EVENTS_PUT,
          resources: [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
        }),
        // The end of each window evaluated, for the next run to start from (drift-query reads it).
        new iam.PolicyStatement({ sid: 'RecordCoverage', actions: perms.S3_WRITE_OBJECT, resources: [coverageObject] }),
        new iam.PolicyStatement({ sid: 'EncryptCoverage', actions: perms.KMS_ENCRYPT_DECRYPT, resources: [props.captureKey.keyArn] }),
        // A window without enough data is compared with the endpoint's request count (DriftBlind).
        new iam.PolicyStatement({ sid: 'CountEndpointRequests', actions: driftPerms.CLOUDWATCH_READ_METRICS, resources: ['*'] }),
      ],
      wildcardResources: [
        [resultObjects, 'Athena names each result object by query id at run time; read-only and limited to this endpoint\'s results prefix.'],
        ...(served ? [[baselineObject, baselineReadReason] as const] : []),
      ],
      environment: { EVENT_BUS_NAME: 'default', PLINTH_ENV: props.environmentName },
      timeout: Duration.minutes(2),
      memorySize: 512,
      ...common,
      keepLogicalIdsOf: { function: 'StatisticsFunction', logGroup: 'StatisticsLogs', role: 'StatisticsRole', policy: 'StatisticsPolicy', securityGroup: 'StatisticsSecurityGroup' },
    });
    acknowledgeFinding(statistics.policy, {
      rule: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'cloudwatch:GetMetricData accepts no resource scoping (AWS documents Resource "*"); read-only, to count the endpoint\'s requests in a window without enough capture.',
      ...PLATFORM_WAIVER,
    });
    this.statisticsFunction = statistics.function;

    for (const fn of [this.queryFunction, this.statisticsFunction]) {
      for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
        acknowledgeFinding(fn, {
          rule: `${pack}-LambdaDLQ`,
          reason: 'Invoked synchronously by the drift job (Step Functions), which retries it and records every failure as a failed execution; the DriftJobFailed alarm watches those.',
          ...PLATFORM_WAIVER,
        });
      }
    }
    this.stateMachine = this.buildStateMachine(props, workGroupArn, tableName, captureObjects, resultObjects);

    // The schedule starts the job; the execution's start time ends the window.
    const scheduleRole = new iam.Role(this, 'ScheduleRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: `Starts the drift job of ${endpointName} on its schedule`,
    });
    new iam.ManagedPolicy(this, 'SchedulePolicy', {
      roles: [scheduleRole],
      statements: [new iam.PolicyStatement({ sid: 'StartDriftJob', actions: driftPerms.STATES_START, resources: [this.stateMachine.stateMachineArn] })],
    });
    new events.Rule(this, 'Schedule', {
      description: `Runs the drift job of ${endpointName} over the last ${props.drift.windowHours} h of capture`,
      schedule: events.Schedule.expression(props.drift.schedule),
      targets: [new targets.SfnStateMachine(this.stateMachine, { input: events.RuleTargetInput.fromObject({}), role: scheduleRole.withoutPolicyUpdates() })],
    });

    const alarmCommon = { alarmAction: props.alarmAction, runbookBaseUrl: props.runbookBaseUrl, subject: endpointName };
    this.driftAlarm = failureModeAlarm(this, 'DriftDetected', 'drift-detected', {
      ...alarmCommon,
      description: `Features of ${endpointName}'s traffic drifted from the training baseline; retraining has been started (debounced).`,
      metric: this.metricFeaturesDrifting(),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    this.jobFailedAlarm = failureModeAlarm(this, 'DriftJobFailed', 'drift-loop-broken', {
      ...alarmCommon,
      description: `The drift job of ${endpointName} failed, timed out or was aborted (a missing baseline fails it too); drift is not being watched.`,
      metric: new cloudwatch.MathExpression({
        expression: 'failed + timedOut + aborted',
        usingMetrics: {
          failed: this.stateMachine.metricFailed({ statistic: cloudwatch.Stats.SUM }),
          timedOut: this.stateMachine.metricTimedOut({ statistic: cloudwatch.Stats.SUM }),
          aborted: this.stateMachine.metricAborted({ statistic: cloudwatch.Stats.SUM }),
        },
        period: Duration.hours(1),
        label: 'Drift job executions that did not succeed',
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // DriftDetected treats missing data as "no drift"; this is what makes missing data loud. A cron
    // schedule's period is not known here: a run at least weekly (the longest an alarm can look back).
    const scheduleMinutes = ratePeriodMinutes(props.drift.schedule) ?? 7 * 24 * 60;
    const silentMinutes = Math.min(2 * scheduleMinutes, 7 * 24 * 60);
    const silentPeriod = Math.min(60, silentMinutes);
    const silentPeriods = Math.max(1, Math.floor(silentMinutes / silentPeriod));
    this.jobSilentAlarm = failureModeAlarm(this, 'DriftJobSilent', 'drift-loop-broken', {
      ...alarmCommon,
      description: `The drift job of ${endpointName} has not evaluated a window in ${silentMinutes} minutes (twice its schedule): drift is not being watched, whatever DriftDetected says.`,
      metric: this.metric('DriftEvaluations', { statistic: cloudwatch.Stats.SUM, period: Duration.minutes(silentPeriod) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: silentPeriods,
      datapointsToAlarm: silentPeriods,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });
    // FeaturesDrifting is 0 when every feature had too little data, exactly as in a quiet window.
    // drift-stats then counts the endpoint's requests: enough of them, and capture is what broke.
    this.blindAlarm = failureModeAlarm(this, 'DriftBlind', 'drift-blind', {
      ...alarmCommon,
      description:
        `The drift job of ${endpointName} found too little capture to judge any feature although the endpoint served at least twice ` +
        `the minimum sample in requests capture should have recorded (${this.captureSamplingPercent}% sampling): data capture is broken, and "no drift" means nothing.`,
      metric: this.metricDriftBlind(),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // A run that did not happen is DriftJobSilent's; a run that was not blind publishes 0.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    // Each window starts where the last one evaluated ended (lambdas/drift-query), reaching back up
    // to a week; hours older than that were never evaluated, and "no drift" says nothing of them.
    this.windowGapAlarm = failureModeAlarm(this, 'DriftWindowGap', 'drift-loop-broken', {
      ...alarmCommon,
      description: `The drift job of ${endpointName} skipped capture hours no run evaluated (the job stopped or failed for longer than the week a window may reach back): drift in those hours was never judged.`,
      metric: this.metricCaptureHoursSkipped(),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      // Every evaluation publishes the count (0 when the windows tile); no run is DriftJobSilent's.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /**
   * Capture hours before the last window that no run evaluated and none will (older than the
   * week a window may reach back): 0 while the runs tile the capture.
   */
  public metricCaptureHoursSkipped(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('CaptureHoursSkipped', props);
  }

  /**
   * A metric the drift job publishes for this endpoint (`FeaturesDrifting`, `FeaturesInsufficient`,
   * or a per-feature statistic): maximum over an hour unless `props` says otherwise.
   */
  public metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: DRIFT_METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { Endpoint: this.endpointName },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.hours(1),
      ...props,
    });
  }
  /** Features past their drift threshold in the last run: what the drift alarm watches. */
  public metricFeaturesDrifting(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('FeaturesDrifting', props);
  }
  /** 1 for a run where every feature lacked data while the endpoint served enough requests: capture is broken. */
  public metricDriftBlind(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('DriftBlind', props);
  }
  /** Features with too few samples in the window to judge. */
  public metricFeaturesInsufficient(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('FeaturesInsufficient', props);
  }
  /**
   * Configured features the served version's baseline has no distribution for (its training sample
   * lacked them, e.g. fields only the request carries): not watched at all, whatever the run says.
   */
  public metricFeaturesUnbaselined(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric('FeaturesUnbaselined', props);
  }

  private buildStateMachine(
    props: ModelDriftMonitorProps,
    workGroupArn: string,
    tableName: string,
    captureObjects: string,
    resultObjects: string,
  ): sfn.StateMachine {
    const stack = Stack.of(this);
    const { captureBucket } = props;
    const endpointName = props.endpoint.endpointName;
    const databaseName = props.database.databaseName;
    // The role is ours, with one managed policy; CDK's generated grants are not attached.
    const role = new iam.Role(this, 'JobRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: `Runs the drift job of ${endpointName}: invokes its two functions and queries the capture in Athena`,
    });
    const glueArn = (resource: string, name?: string) => stack.formatArn({ service: 'glue', resource, resourceName: name });
    const policy = new iam.ManagedPolicy(this, 'JobPolicy', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          sid: 'InvokeDriftFunctions',
          actions: driftPerms.LAMBDA_INVOKE,
          resources: [this.queryFunction.functionArn, this.statisticsFunction.functionArn],
        }),
        new iam.PolicyStatement({
          sid: 'RunDriftQuery',
          actions: driftPerms.ATHENA_RUN_QUERY,
          resources: [workGroupArn],
        }),
        new iam.PolicyStatement({
          sid: 'ReadCaptureTable',
          actions: perms.GLUE_CATALOG_READ,
          resources: [glueArn('catalog'), glueArn('database', databaseName), glueArn('table', `${databaseName}/${tableName}`)],
        }),
        new iam.PolicyStatement({ sid: 'GetLakeFormationCredentials', actions: perms.LAKEFORMATION_DATA_ACCESS, resources: ['*'] }),
        new iam.PolicyStatement({ sid: 'ReadCapture', actions: perms.S3_READ_OBJECT, resources: [captureObjects] }),
        new iam.PolicyStatement({
          sid: 'ListCaptureAndResults',
          actions: perms.S3_LIST,
          resources: [captureBucket.bucketArn],
        }),
        new iam.PolicyStatement({ sid: 'WriteQueryResults', actions: [...perms.S3_READ_OBJECT, ...perms.S3_WRITE_OBJECT], resources: [resultObjects] }),
        new iam.PolicyStatement({ sid: 'UseLakeKey', actions: perms.KMS_ENCRYPT_DECRYPT, resources: [props.captureKey.keyArn] }),
        new iam.PolicyStatement({
          sid: 'DeliverExecutionLogs',
          actions: driftPerms.SFN_LOG_DELIVERY,
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'Trace',
          actions: driftPerms.XRAY_TRACE,
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
      [captureObjects, 'SageMaker names capture objects by variant, hour and request at run time; read-only and limited to this endpoint\'s capture prefix.'],
      [resultObjects, 'Athena names each result object by query id at run time; limited to this endpoint\'s results prefix.'],
    ] as const) {
      acknowledgeFinding(policy, { rule: wildcardResourceFinding(this, resource), reason, ...PLATFORM_WAIVER });
    }

    new lakeformation.CfnPrincipalPermissions(this, 'CaptureTableGrant', {
      principal: { dataLakePrincipalIdentifier: role.roleArn },
      resource: { table: { catalogId: Aws.ACCOUNT_ID, databaseName, name: tableName } },
      permissions: perms.LF_TABLE_READ,
      permissionsWithGrantOption: [],
    }).addResourceDependency(this.captureTable);

    const notRetryable = ['DriftInputError', 'BaselineMissing'];
    const buildQuery = new tasks.LambdaInvoke(this, 'BuildQuery', {
      lambdaFunction: this.queryFunction,
      payload: sfn.TaskInput.fromObject({ time: sfn.JsonPath.stringAt('$$.Execution.StartTime') }),
      payloadResponseOnly: true,
      resultPath: '$.query',
      comment: 'Read the baseline and render the window\'s bin-count SQL',
    });
    buildQuery.addRetry({ errors: notRetryable, maxAttempts: 0 });
    buildQuery.addRetry({ errors: [sfn.Errors.ALL], maxAttempts: 3, interval: Duration.seconds(5), backoffRate: 2 });

    const countBins = new sfn.CustomState(this, 'CountBins', {
      stateJson: {
        Type: 'Task',
        Comment: 'Bin counts per feature over the capture window, in Athena',
        Resource: `arn:${Aws.PARTITION}:states:::athena:startQueryExecution.sync`,
        Parameters: { 'QueryString.$': '$.query.queryString', WorkGroup: this.workGroup.workGroupName },
        ResultSelector: { 'queryExecutionId.$': '$.QueryExecution.QueryExecutionId' },
        ResultPath: '$.athena',
        TimeoutSeconds: 900,
        Retry: [
          { ErrorEquals: ['Athena.TooManyRequestsException', 'Athena.InternalServerException'], IntervalSeconds: 10, MaxAttempts: 4, BackoffRate: 2 },
        ],
      },
    });

    const evaluate = new tasks.LambdaInvoke(this, 'Evaluate', {
      lambdaFunction: this.statisticsFunction,
      payload: sfn.TaskInput.fromObject({
        endpointName,
        windowStart: sfn.JsonPath.stringAt('$.query.windowStart'),
        windowEnd: sfn.JsonPath.stringAt('$.query.windowEnd'),
        baseline: sfn.JsonPath.objectAt('$.query.baseline'),
        window: { athena: { queryExecutionId: sfn.JsonPath.stringAt('$.athena.queryExecutionId') } },
        thresholds: { ...DEFAULT_DRIFT_THRESHOLDS, ...props.drift.thresholds },
        minSamples: props.drift.minSamples ?? DEFAULT_DRIFT_MIN_SAMPLES,
        traffic: { variants: [...(props.productionVariantNames ?? props.endpoint.productionVariantNames)], samplingPercent: this.captureSamplingPercent },
        coverage: sfn.JsonPath.objectAt('$.query.coverage'),
      }),
      payloadResponseOnly: true,
      resultSelector: { 'status.$': '$.status', 'drifting.$': '$.drifting', 'insufficient.$': '$.insufficient', 'eventPublished.$': '$.eventPublished' },
      resultPath: '$.result',
      comment: 'PSI, KS, missing rate and unseen categories against the baseline; emits Model Drift Detected',
    });
    evaluate.addRetry({ errors: notRetryable, maxAttempts: 0 });
    evaluate.addRetry({ errors: [sfn.Errors.ALL], maxAttempts: 3, interval: Duration.seconds(5), backoffRate: 2 });

    const logGroup = new logs.LogGroup(this, 'JobLogs', {
      encryptionKey: props.logsKey,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    const machine = new sfn.StateMachine(this, 'Job', {
      comment: `Drift job of ${endpointName}`,
      definitionBody: sfn.DefinitionBody.fromChainable(buildQuery.next(countBins).next(evaluate)),
      role: role.withoutPolicyUpdates(),
      timeout: Duration.hours(1),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    machine.node.addDependency(policy);
    return machine;
  }
}
