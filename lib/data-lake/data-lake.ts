import { Aws, Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lakeformation from 'aws-cdk-lib/aws-lakeformation';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PlinthError } from '../errors';
import { failureModeAlarm, type FailureModeAlarmProps, type FailureModeId } from '../monitoring/failure-modes';
import { datasetProblems, toDatasetSchema, type DatasetDefinition } from './dataset';
import { acknowledgeFinding, wildcardResourceFinding } from '../compliance/acknowledge';
import { SecureBucket } from '../storage/secure-bucket';
import type { DataLakeLifecycle, DataLakeProps, ILakeDatabase } from './data-lake-props';
import { renderDqdlRuleset } from './dqdl';
import { IngestionPipeline } from './ingestion-pipeline';
import * as perms from './perms';
import { SecureAthenaWorkgroup } from '../storage/secure-athena-workgroup';
import { PLATFORM_WAIVER } from '../compliance/platform-waiver';

const DEFAULT_LIFECYCLE: DataLakeLifecycle = { infrequentAccessAfterDays: 90, glacierAfterDays: 365, noncurrentVersionExpirationDays: 365 };
const GLUE_TYPES: Record<string, string> = { string: 'string', integer: 'bigint', number: 'double', boolean: 'boolean', timestamp: 'string' };
/** Columns the ingest function adds to every curated record. */
const LINEAGE_COLUMNS: glue.CfnTable.ColumnProperty[] = [
  { name: '_source_key', type: 'string', comment: 'raw object key the record came from' },
  { name: '_source_etag', type: 'string', comment: 'ETag of that raw object' },
  { name: '_line', type: 'bigint', comment: 'record position in the raw object' },
];

/** A dataset given to {@link DataLake} that the ingest function would reject. */
export class InvalidDatasetError extends PlinthError {}

/**
 * Plinth's data lake: raw, curated and quarantine zones on secure buckets, a Glue catalog with one
 * table (and one Glue Data Quality ruleset) per dataset, Lake Formation permissions instead of
 * IAMAllowedPrincipals, an encrypted Athena workgroup with a scan limit, and the ingestion
 * pipeline with freshness, drift and dead-letter alarms.
 */
export class DataLake extends Construct implements ILakeDatabase {
  public readonly raw: SecureBucket;
  public readonly curated: SecureBucket;
  public readonly quarantine: SecureBucket;
  public readonly queryResults: SecureBucket;
  public readonly database: glue.CfnDatabase;
  public readonly databaseName: string;
  public readonly tables: Record<string, glue.CfnTable> = {};
  public readonly qualityRulesets: Record<string, glue.CfnDataQualityRuleset> = {};
  public readonly workGroup: SecureAthenaWorkgroup;
  /** May query every curated table through Athena (Lake Formation SELECT, DESCRIBE). */
  public readonly readerRole: iam.Role;
  /** May change curated tables (Lake Formation SELECT, INSERT, DELETE, DESCRIBE, ALTER). */
  public readonly writerRole: iam.Role;
  public readonly ingestion: IngestionPipeline;
  /** Every alarm of the lake; each names its failure mode (`lib/monitoring/failure-modes.ts`). */
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: DataLakeProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const lifecycle = props.lifecycle ?? DEFAULT_LIFECYCLE;
    const problems = datasetProblems(props.datasets ?? []);
    if (problems.length > 0) {
      throw new InvalidDatasetError(
        `DataLake ${this.node.path}: invalid datasets; fix each and synthesize again:\n${problems.map((p) => `  - datasets[${p.path[0]}]: ${p.message}`).join('\n')}`,
      );
    }
    if (lifecycle.glacierAfterDays <= lifecycle.infrequentAccessAfterDays) {
      throw new PlinthError(
        `DataLake ${this.node.path}: lifecycle.glacierAfterDays (${lifecycle.glacierAfterDays}) must be later than ` +
          `infrequentAccessAfterDays (${lifecycle.infrequentAccessAfterDays})`,
      );
    }
    const zone = (zoneId: string, extra: { eventBridgeEnabled?: boolean } = {}) =>
      new SecureBucket(this, zoneId, {
        encryptionKey: props.encryptionKey,
        serverAccessLogsBucket: props.serverAccessLogsBucket,
        removalPolicy,
        lifecycleRules: [
          {
            id: 'TierAndExpireOldVersions',
            transitions: [
              { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(lifecycle.infrequentAccessAfterDays) },
              { storageClass: s3.StorageClass.GLACIER, transitionAfter: Duration.days(lifecycle.glacierAfterDays) },
            ],
            noncurrentVersionExpiration: Duration.days(lifecycle.noncurrentVersionExpirationDays),
          },
        ],
        ...extra,
      });
    this.raw = zone('Raw', { eventBridgeEnabled: true });
    this.curated = zone('Curated');
    this.quarantine = zone('Quarantine');
    this.queryResults = new SecureBucket(this, 'QueryResults', {
      encryptionKey: props.encryptionKey,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      removalPolicy,
      lifecycleRules: [{ id: 'ExpireQueryResults', expiration: Duration.days(30), noncurrentVersionExpiration: Duration.days(1) }],
    });

    // Catalog. New tables get no IAMAllowedPrincipals grant: Lake Formation decides who reads what.
    this.databaseName = Names.uniqueResourceName(this, { maxLength: 64, separator: '_' }).toLowerCase();
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: Aws.ACCOUNT_ID,
      databaseInput: {
        name: this.databaseName,
        description: 'Plinth curated datasets',
        createTableDefaultPermissions: [],
      },
    });
    this.database.applyRemovalPolicy(removalPolicy);

    this.readerRole = new iam.Role(this, 'ReaderRole', {
      assumedBy: new iam.AccountPrincipal(Aws.ACCOUNT_ID),
      description: 'Plinth data lake reader: queries curated tables through Athena',
    });
    this.writerRole = new iam.Role(this, 'WriterRole', {
      assumedBy: new iam.AccountPrincipal(Aws.ACCOUNT_ID),
      description: 'Plinth data lake writer: maintains curated tables',
    });

    for (const dataset of props.datasets) this.addDataset(dataset);
    this.registerWithLakeFormation();

    this.workGroup = new SecureAthenaWorkgroup(this, 'WorkGroup', {
      // The name it had as a plain CfnWorkGroup: a new name would replace the workgroup.
      workGroupName: Names.uniqueResourceName(this, { maxLength: 128, separator: '-' }),
      description: 'Plinth data lake queries: encrypted results, scan limit enforced',
      resultsBucket: this.queryResults.bucket,
      resultsPrefix: 'results/',
      encryptionKey: props.encryptionKey,
      bytesScannedCutoffPerQuery: props.athenaBytesScannedCutoffPerQuery,
      removalPolicy,
    });
    this.grantQueryAccess(this.readerRole, props);
    this.grantQueryAccess(this.writerRole, props);

    const ingestion = props.ingestion ?? { maxReceiveCount: 5, reservedConcurrency: 10, batchSize: 5 };
    this.ingestion = new IngestionPipeline(this, 'Ingestion', {
      raw: this.raw.bucket,
      curated: this.curated.bucket,
      quarantine: this.quarantine.bucket,
      encryptionKey: props.encryptionKey,
      logsKey: props.logsKey,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      datasets: props.datasets,
      maxReceiveCount: ingestion.maxReceiveCount,
      reservedConcurrency: ingestion.reservedConcurrency,
      batchSize: ingestion.batchSize,
      logRetention: props.logRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
      environmentName: props.environmentName ?? stack.stackName,
    });
    this.addAlarms(props);
  }

  private addDataset(dataset: DatasetDefinition): void {
    const location = this.curated.bucket.s3UrlForObject(`${dataset.name}/`);
    const table = new glue.CfnTable(this, `Table-${dataset.name}`, {
      catalogId: Aws.ACCOUNT_ID,
      databaseName: this.databaseName,
      tableInput: {
        name: dataset.name,
        description: `Curated ${dataset.name} (schema v${dataset.version}); one JSON record per line`,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'json',
          'plinth:schema-version': String(dataset.version),
          'projection.enabled': 'true',
          'projection.ingest_date.type': 'date',
          'projection.ingest_date.format': 'yyyy-MM-dd',
          'projection.ingest_date.range': '2024-01-01,NOW',
          'projection.ingest_date.interval': '1',
          'projection.ingest_date.interval.unit': 'DAYS',
          'storage.location.template': `${location}ingest_date=\${ingest_date}/`,
        },
        partitionKeys: [{ name: 'ingest_date', type: 'string', comment: 'UTC day the raw object arrived' }],
        storageDescriptor: {
          location,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: {
            serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
            parameters: { 'ignore.malformed.json': 'false', 'case.insensitive': 'false' },
          },
          columns: [
            ...dataset.fields.map((field) => ({ name: field.name, type: GLUE_TYPES[field.type] })),
            ...LINEAGE_COLUMNS,
          ],
        },
      },
    });
    table.addResourceDependency(this.database);
    this.tables[dataset.name] = table;

    const ruleset = new glue.CfnDataQualityRuleset(this, `QualityRules-${dataset.name}`, {
      name: `${this.databaseName}_${dataset.name}_v${dataset.version}`,
      description: `Batch validation of a ${dataset.name} partition with the ingest schema v${dataset.version}`,
      ruleset: renderDqdlRuleset(toDatasetSchema(dataset)),
      targetTable: { databaseName: this.databaseName, tableName: dataset.name },
    });
    ruleset.addResourceDependency(table);
    this.qualityRulesets[dataset.name] = ruleset;
  }

  private registerWithLakeFormation(): void {
    const zones = [this.raw, this.curated, this.quarantine];
    const accessRole = new iam.Role(this, 'LakeFormationAccessRole', {
      assumedBy: new iam.ServicePrincipal('lakeformation.amazonaws.com'),
      description: 'Lake Formation data access to the Plinth lake zones',
    });
    const policy = new iam.ManagedPolicy(this, 'LakeFormationAccessPolicy', {
      roles: [accessRole],
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadWriteZones',
          actions: [...perms.S3_READ_OBJECT, ...perms.S3_WRITE_OBJECT, 's3:DeleteObject'],
          resources: zones.map((z) => z.bucket.arnForObjects('*')),
        }),
        new iam.PolicyStatement({ sid: 'ListZones', actions: perms.S3_LIST, resources: zones.map((z) => z.bucket.bucketArn) }),
        new iam.PolicyStatement({
          sid: 'UseLakeKey',
          actions: perms.KMS_ENCRYPT_DECRYPT,
          resources: [(this.curated.bucket.encryptionKey as { keyArn: string }).keyArn],
        }),
      ],
    });
    for (const zone of zones) {
      acknowledgeFinding(policy, {
        rule: wildcardResourceFinding(this, zone.bucket.arnForObjects('*')),
        reason: 'Lake Formation vends access to any object of a registered location; limited to the lake\'s own zones.',
        ...PLATFORM_WAIVER,
      });
    }
    for (const [zoneId, zone] of [['Raw', this.raw], ['Curated', this.curated], ['Quarantine', this.quarantine]] as const) {
      new lakeformation.CfnResource(this, `Location-${zoneId}`, {
        resourceArn: zone.bucket.bucketArn,
        roleArn: accessRole.roleArn,
        useServiceLinkedRole: false,
      });
    }

    const grant = (id: string, role: iam.IRole, permissions: string[], tableName: string) =>
      new lakeformation.CfnPrincipalPermissions(this, id, {
        principal: { dataLakePrincipalIdentifier: role.roleArn },
        resource: { table: { catalogId: Aws.ACCOUNT_ID, databaseName: this.databaseName, name: tableName } },
        permissions,
        permissionsWithGrantOption: [],
      });
    for (const [tableName, table] of Object.entries(this.tables)) {
      grant(`ReaderGrant-${tableName}`, this.readerRole, perms.LF_TABLE_READ, tableName).addResourceDependency(table);
      grant(`WriterGrant-${tableName}`, this.writerRole, perms.LF_TABLE_WRITE, tableName).addResourceDependency(table);
    }
  }

  private grantQueryAccess(role: iam.Role, props: DataLakeProps): void {
    const stack = Stack.of(this);
    const policy = new iam.ManagedPolicy(this, `${role.node.id}QueryPolicy`, {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          sid: 'UseWorkGroup',
          actions: perms.ATHENA_QUERY,
          resources: [this.workGroup.workGroupArn],
        }),
        new iam.PolicyStatement({
          sid: 'ReadCatalog',
          actions: perms.GLUE_CATALOG_READ,
          resources: [
            stack.formatArn({ service: 'glue', resource: 'catalog' }),
            stack.formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName }),
            ...Object.keys(this.tables).map((table) =>
              stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${this.databaseName}/${table}` }),
            ),
          ],
        }),
        new iam.PolicyStatement({ sid: 'GetLakeFormationCredentials', actions: perms.LAKEFORMATION_DATA_ACCESS, resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'QueryResults',
          actions: [...perms.S3_READ_OBJECT, ...perms.S3_WRITE_OBJECT],
          resources: [this.queryResults.bucket.arnForObjects('results/*')],
        }),
        new iam.PolicyStatement({ sid: 'ListQueryResults', actions: perms.S3_LIST, resources: [this.queryResults.bucket.bucketArn] }),
        new iam.PolicyStatement({ sid: 'UseLakeKey', actions: perms.KMS_ENCRYPT_DECRYPT, resources: [props.encryptionKey.keyArn] }),
      ],
    });
    acknowledgeFinding(policy, {
      rule: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'lakeformation:GetDataAccess takes no resource; Lake Formation grants decide which tables are readable.',
      ...PLATFORM_WAIVER,
    });
    acknowledgeFinding(policy, {
      rule: wildcardResourceFinding(this, this.queryResults.bucket.arnForObjects('results/*')),
      reason: 'Athena names each result object by query id at run time; the statement is limited to the results/ prefix.',
      ...PLATFORM_WAIVER,
    });
  }

  private addAlarms(props: DataLakeProps): void {
    const common = { alarmAction: props.alarmAction, runbookBaseUrl: props.runbookBaseUrl };
    const add = (id: string, mode: FailureModeId, alarmProps: Omit<FailureModeAlarmProps, 'alarmAction'>) =>
      this.alarms.push(failureModeAlarm(this, id, mode, { ...common, ...alarmProps }));
    const quarantinePercent = props.quarantineRateAlarmPercent ?? 5;
    if (!(quarantinePercent > 0 && quarantinePercent <= 100)) {
      throw new PlinthError(`DataLake ${this.node.path}: quarantineRateAlarmPercent ${quarantinePercent} must be more than 0 and at most 100, for example 5`);
    }
    for (const dataset of props.datasets) {
      // A source that sends nothing produces no datapoints at all: missing data is the breach.
      const period = Math.min(dataset.freshnessMinutes, 60);
      const periods = Math.ceil(dataset.freshnessMinutes / period);
      add(`SourceSilent-${dataset.name}`, 'source-offline', {
        description: `No ${dataset.name} object arrived in ${dataset.freshnessMinutes} minutes: the source may be offline.`,
        metric: this.metricObjectsReceived(dataset.name, { period: Duration.minutes(period) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        evaluationPeriods: periods,
        datapointsToAlarm: periods,
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      });
      add(`BreakingDrift-${dataset.name}`, 'schema-drift-breaking', {
        description: `${dataset.name} records broke the schema (missing required field or type change) and were quarantined.`,
        metric: this.ingestion.metric('BreakingDriftRecords', dataset.name, { period: Duration.minutes(5) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      const window = { period: Duration.minutes(15) };
      add(`QuarantineRate-${dataset.name}`, 'quarantine-rate-high', {
        description:
          `More than ${quarantinePercent}% of ${dataset.name} records went to quarantine in 15 minutes ` +
          '(lines swallowed by an oversized record count as quarantined; the ingestion manifest flags such objects).',
        metric: new cloudwatch.MathExpression({
          expression: '100 * (quarantined + spanned) / MAX([records, 1])',
          usingMetrics: {
            quarantined: this.ingestion.metric('RecordsQuarantined', dataset.name, window),
            spanned: this.ingestion.metric('QuarantinedSpannedLines', dataset.name, window),
            records: this.ingestion.metric('RecordsIn', dataset.name, window),
          },
          label: `${dataset.name} quarantine rate (%)`,
          period: window.period,
        }),
        threshold: quarantinePercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      // A wholly unreadable object adds no record, so the quarantine rate cannot see it, and it
      // still counts as received, so the source-silent alarm stays quiet.
      add(`Unreadable-${dataset.name}`, 'quarantine-rate-high', {
        description:
          `An object of ${dataset.name} could not be read at all (corrupt gzip, invalid UTF-8, empty, CSV without a header) ` +
          'and was quarantined whole: none of its records reached curated.',
        metric: this.ingestion.metric('ObjectsUnreadable', dataset.name, window),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      if (dataset.recordIdField !== undefined) {
        // Past its bound the duplicate check stores no more ids: a repeat of one it could not store is curated.
        add(`DuplicateCheckTruncated-${dataset.name}`, 'duplicate-check-truncated', {
          description:
            `An object of ${dataset.name} held more distinct ${dataset.recordIdField} values than the duplicate check stores: ` +
            'repeats of the ids it could not store were curated. The manifest marks the object (duplicates.trackingTruncated).',
          metric: this.ingestion.metric('DuplicateIdsUntracked', dataset.name, { period: Duration.minutes(15) }),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
      }
      add(`AdditiveDrift-${dataset.name}`, 'schema-drift-additive', {
        description: `${dataset.name} records carry columns its schema does not declare; they were kept. Update the schema (config/datasets/).`,
        metric: this.ingestion.metric('AdditiveDriftFields', dataset.name, { period: Duration.hours(1) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    }
    // Objects of no configured dataset, or whose schema parameter is missing, are quarantined whole
    // under Dataset=_unknown (the ingest keeps arbitrary prefixes out of the metric's dimensions).
    add('Unreadable-unknown-dataset', 'quarantine-rate-high', {
      description: 'An object arrived under a prefix with no dataset schema (an undeclared dataset, or its SSM schema parameter is missing) and was quarantined whole.',
      metric: this.ingestion.metric('ObjectsUnreadable', '_unknown', { period: Duration.minutes(15) }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    add('IngestDeadLetters', 'ingestion-dead-letters', {
      description: 'Ingestion messages exhausted their retries and wait in the dead-letter queue.',
      metric: this.ingestion.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    add('IngestBacklog', 'throttling', {
      description: 'The oldest ingestion message is over 30 minutes old: ingestion is falling behind or stuck.',
      metric: this.ingestion.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 30 * 60,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    add('IngestThrottles', 'throttling', {
      description: 'The ingest function is throttled at its reserved concurrency for 15 minutes.',
      metric: this.ingestion.function.metricThrottles({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /**
   * A metric the ingest function publishes for one dataset: `RecordsIn`, `RecordsCurated`,
   * `RecordsQuarantined`, `AdditiveDriftFields`, `BreakingDriftRecords` or `ObjectsReceived`.
   * Sum over 5 minutes unless `props` says otherwise.
   */
  public metricIngest(metricName: string, dataset: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    if (!this.tables[dataset]) {
      throw new PlinthError(`DataLake ${this.node.path}: no dataset "${dataset}" (datasets: ${Object.keys(this.tables).join(', ')}); name one of the lake's datasets`);
    }
    return this.ingestion.metric(metricName, dataset, { period: Duration.minutes(5), ...props });
  }
  /** Records read from the dataset's incoming objects. */
  public metricRecordsIn(dataset: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricIngest('RecordsIn', dataset, props);
  }
  /** Records that passed validation into the curated zone. */
  public metricRecordsCurated(dataset: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricIngest('RecordsCurated', dataset, props);
  }
  /** Records that failed validation and went to the quarantine zone. */
  public metricRecordsQuarantined(dataset: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricIngest('RecordsQuarantined', dataset, props);
  }
  /** Objects received for the dataset: what its freshness alarm watches. */
  public metricObjectsReceived(dataset: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metricIngest('ObjectsReceived', dataset, props);
  }
}
