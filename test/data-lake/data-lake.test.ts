import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { datasetConfigSchema, toDatasetSchema, type DatasetConfig } from '../../config/data-lake';
import { transactions } from '../../config/datasets/transactions';
import { merchants } from '../../config/datasets/merchants';
import { PlatformAlarmTopic } from '../../lib/alerting/platform-alarm-topic';
import { DataLake } from '../../lib/data-lake/data-lake';
import { FAILURE_MODES, failureModesOf } from '../../lib/monitoring/failure-modes';
import { PlatformNetwork } from '../../lib/network/platform-network';
import type { DataLakeProps } from '../../lib/data-lake/data-lake-props';
import { AccessLogsBucket } from '../../lib/storage/secure-bucket';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

const DATASETS: DatasetConfig[] = [datasetConfigSchema.parse(transactions), datasetConfigSchema.parse(merchants)];

function dataLakeIn(stack: Stack, overrides: Partial<DataLakeProps> = {}): DataLake {
  const logsKey = new kms.Key(stack, 'LogsKey', { enableKeyRotation: true });
  const network = new PlatformNetwork(stack, 'Network', {
    vpcCidr: '10.50.0.0/16',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    logsKey,
  });
  return new DataLake(stack, 'Lake', {
    encryptionKey: new kms.Key(stack, 'LakeKey', { enableKeyRotation: true }),
    logsKey,
    serverAccessLogsBucket: new AccessLogsBucket(stack, 'AccessLogs').bucket,
    vpc: network.vpc,
    alarmAction: new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: logsKey }).alarmAction,
    datasets: DATASETS,
    lifecycle: { infrequentAccessAfterDays: 30, glacierAfterDays: 120, noncurrentVersionExpirationDays: 60 },
    athenaBytesScannedCutoffPerQuery: 5_000_000_000,
    ingestion: { maxReceiveCount: 4, reservedConcurrency: 7, batchSize: 3 },
    ...overrides,
  });
}

/** A stack that skips Lambda bundling: these tests read templates, not bundles. */
function unbundledStack(): Stack {
  return new Stack(newApp({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S', { env: TEST_ENV });
}

describe('DataLake', () => {
  test('alone in a stack (with its network, keys, alarm topic and access-log bucket) it passes every nag pack and the validator', () => {
    // GIVEN / WHEN
    const { findings } = synthAloneThroughGate((stack) => dataLakeIn(stack));
    // THEN
    expect(findings).toEqual([]);
  });

  test('has raw, curated, quarantine and query-result zones, each KMS-encrypted with the lake key and tiered by the lifecycle', () => {
    // GIVEN
    const stack = unbundledStack();
    // WHEN
    dataLakeIn(stack);
    // THEN
    const template = Template.fromStack(stack);
    const buckets = template.findResources('AWS::S3::Bucket', {
      Properties: { BucketEncryption: { ServerSideEncryptionConfiguration: [Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeKey'), 'Arn'] } } })] } },
    });
    expect(Object.keys(buckets)).toHaveLength(4);
    const tiered = template.findResources('AWS::S3::Bucket', {
      Properties: {
        LifecycleConfiguration: {
          Rules: Match.arrayWith([
            Match.objectLike({
              Id: 'TierAndExpireOldVersions',
              Transitions: [
                { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
                { StorageClass: 'GLACIER', TransitionInDays: 120 },
              ],
              NoncurrentVersionExpiration: { NoncurrentDays: 60 },
            }),
          ]),
        },
      },
    });
    expect(Object.keys(tiered)).toHaveLength(3);
  });

  test('rejects a Glacier transition that comes before infrequent access', () => {
    const stack = unbundledStack();
    expect(() =>
      dataLakeIn(stack, { lifecycle: { infrequentAccessAfterDays: 90, glacierAfterDays: 60, noncurrentVersionExpirationDays: 30 } }),
    ).toThrow(/lifecycle\.glacierAfterDays \(60\) must be later than infrequentAccessAfterDays \(90\)/);
  });

  test('sends raw object events to EventBridge without a custom-resource Lambda', () => {
    const stack = unbundledStack();
    dataLakeIn(stack);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::S3::Bucket', { NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } } });
    template.resourceCountIs('Custom::S3BucketNotifications', 0);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: ['aws.s3'], 'detail-type': ['Object Created'], detail: { bucket: { name: [Match.anyValue()] } } },
      Targets: [Match.objectLike({ DeadLetterConfig: { Arn: Match.anyValue() } })],
    });
  });

  test('ingestion queue is KMS-encrypted and dead-letters after the configured receives', () => {
    const stack = unbundledStack();
    dataLakeIn(stack);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.allResourcesProperties('AWS::SQS::Queue', { KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LakeKey'), 'Arn'] } });
    template.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: { maxReceiveCount: 4, deadLetterTargetArn: Match.anyValue() },
      VisibilityTimeout: 1800,
    });
  });

  test('the ingest function runs on Node 22+ in the VPC, reports partial batch failures, and reads schemas from SSM', () => {
    // GIVEN
    const stack = unbundledStack();
    // WHEN
    const lake = dataLakeIn(stack);
    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs24.x',
      ReservedConcurrentExecutions: 7,
      VpcConfig: Match.objectLike({ SubnetIds: Match.anyValue() }),
      DeadLetterConfig: { TargetArn: Match.anyValue() },
      Environment: {
        Variables: Match.objectLike({
          CURATED_BUCKET: Match.anyValue(),
          QUARANTINE_BUCKET: Match.anyValue(),
          SCHEMA_PARAMETER_PREFIX: lake.ingestion.schemaParameterPrefix,
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', { BatchSize: 3, FunctionResponseTypes: ['ReportBatchItemFailures'] });
    template.hasResourceProperties('AWS::Logs::LogGroup', { KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LogsKey'), 'Arn'] } });
  });

  test('stores each dataset schema in SSM exactly as the ingest function will parse it', () => {
    const stack = unbundledStack();
    const lake = dataLakeIn(stack);
    for (const dataset of DATASETS) {
      Template.fromStack(stack).hasResourceProperties('AWS::SSM::Parameter', {
        Name: `${lake.ingestion.schemaParameterPrefix}${dataset.name}`,
        Value: JSON.stringify(toDatasetSchema(dataset)),
        Type: 'String',
      });
    }
  });

  test('catalogs each dataset as a partition-projected JSON table with lineage columns, and a Glue Data Quality ruleset', () => {
    const stack = unbundledStack();
    const lake = dataLakeIn(stack);
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: lake.databaseName, CreateTableDefaultPermissions: [] } });
    template.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'transactions',
        PartitionKeys: [{ Name: 'ingest_date', Type: 'string', Comment: Match.anyValue() }],
        Parameters: Match.objectLike({ 'projection.enabled': 'true', 'projection.ingest_date.type': 'date' }),
        StorageDescriptor: Match.objectLike({
          Columns: Match.arrayWith([{ Name: 'amount', Type: 'double' }, Match.objectLike({ Name: '_source_key' })]),
          SerdeInfo: Match.objectLike({ SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe' }),
        }),
      }),
    });
    template.hasResourceProperties('AWS::Glue::DataQualityRuleset', {
      TargetTable: { DatabaseName: lake.databaseName, TableName: 'transactions' },
      Ruleset: Match.stringLikeRegexp('IsUnique "transaction_id"'),
    });
  });

  test('registers the zones with Lake Formation and grants tables to the reader and writer roles only', () => {
    const stack = unbundledStack();
    const lake = dataLakeIn(stack);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::LakeFormation::Resource', 3);
    template.allResourcesProperties('AWS::LakeFormation::Resource', { UseServiceLinkedRole: false, RoleArn: Match.anyValue() });
    const readerArn = stack.resolve(lake.readerRole.roleArn);
    template.hasResourceProperties('AWS::LakeFormation::PrincipalPermissions', {
      Principal: { DataLakePrincipalIdentifier: readerArn },
      Permissions: ['SELECT', 'DESCRIBE'],
      PermissionsWithGrantOption: [],
      Resource: { Table: Match.objectLike({ DatabaseName: lake.databaseName, Name: 'merchants' }) },
    });
    template.resourceCountIs('AWS::LakeFormation::PrincipalPermissions', 4);
  });

  test('queries run in an enforced, encrypted Athena workgroup with the configured scan limit', () => {
    const stack = unbundledStack();
    dataLakeIn(stack);
    Template.fromStack(stack).hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 5_000_000_000,
        ResultConfiguration: Match.objectLike({ EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: Match.anyValue() } }),
      }),
    });
  });

  test('alarms when a source goes silent (missing data breaches), on breaking drift, on dead letters and on backlog, each with a runbook', () => {
    // GIVEN
    const stack = unbundledStack();
    // WHEN
    const lake = dataLakeIn(stack);
    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'Plinth/Ingest',
      MetricName: 'ObjectsReceived',
      Dimensions: [{ Name: 'Dataset', Value: 'merchants' }],
      Period: 3600,
      EvaluationPeriods: 26,
      DatapointsToAlarm: 26,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'BreakingDriftRecords',
      Dimensions: [{ Name: 'Dataset', Value: 'transactions' }],
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'AdditiveDriftFields', Dimensions: [{ Name: 'Dataset', Value: 'merchants' }] });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Throttles', Namespace: 'AWS/Lambda' });
    expect(lake.alarms).toHaveLength(5 * DATASETS.length + DATASETS.filter((d) => d.recordIdField !== undefined).length + 4);
    for (const alarm of lake.alarms) {
      const modes = failureModesOf(alarm);
      expect(modes.length).toBeGreaterThan(0);
      expect(stack.resolve((alarm.node.defaultChild as any).alarmDescription)).toContain(`Runbook: ${FAILURE_MODES[modes[0]].runbook}`);
    }
  });

  test('alarms when the duplicate-id check passed its bound, for each dataset with a recordIdField and only those', () => {
    // GIVEN a lake with one dataset that has a recordIdField and one that has none
    const stack = unbundledStack();
    const withoutIds = { ...DATASETS[1]!, name: 'no_ids', recordIdField: undefined, duplicatePolicy: undefined };
    expect(DATASETS[0]!.recordIdField).toBeDefined();
    // WHEN
    dataLakeIn(stack, { datasets: [DATASETS[0]!, withoutIds] });
    // THEN one alarm on DuplicateIdsUntracked, for the first, with its failure mode's runbook
    const alarms = Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm', { Properties: { MetricName: 'DuplicateIdsUntracked' } });
    expect(Object.values(alarms).map((a: any) => a.Properties.Dimensions)).toEqual([[{ Name: 'Dataset', Value: DATASETS[0]!.name }]]);
    const [alarm] = Object.values(alarms) as Array<{ Properties: any }>;
    expect(alarm!.Properties).toMatchObject({ Namespace: 'Plinth/Ingest', Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', TreatMissingData: 'notBreaching' });
    expect(JSON.stringify(alarm!.Properties.AlarmDescription)).toContain('Runbook: docs/runbooks/data-lake-duplicate-check-truncated.md');
  });

  test('alarms on the quarantine rate per dataset, counting the lines an oversized record swallowed', () => {
    // GIVEN a lake whose quarantine-rate threshold is 2%
    const stack = unbundledStack();
    // WHEN
    dataLakeIn(stack, { quarantineRateAlarmPercent: 2 });
    // THEN the alarm divides quarantined plus spanned lines by records in, per dataset
    const alarms = Object.values(Template.fromStack(stack).findResources('AWS::CloudWatch::Alarm')) as Array<{ Properties: any }>;
    const rate = alarms.filter((a) => JSON.stringify(a.Properties.Metrics ?? []).includes('QuarantinedSpannedLines'));
    expect(rate).toHaveLength(DATASETS.length);
    for (const alarm of rate) {
      expect(alarm.Properties.Threshold).toBe(2);
      expect(alarm.Properties.ComparisonOperator).toBe('GreaterThanThreshold');
      const names = alarm.Properties.Metrics.flatMap((m: any) => (m.MetricStat ? [m.MetricStat.Metric.MetricName] : []));
      expect(names.sort()).toEqual(['QuarantinedSpannedLines', 'RecordsIn', 'RecordsQuarantined']);
      expect(alarm.Properties.Metrics.find((m: any) => m.Expression).Expression).toBe('100 * (quarantined + spanned) / MAX([records, 1])');
    }
  });

  test('alarms per dataset on an object it could not read at all: it adds no record, so the quarantine rate cannot see it', () => {
    // GIVEN a lake (a corrupt gzip, invalid UTF-8, an empty object or a CSV without a header is
    // copied whole to quarantine with ObjectsUnreadable = 1 and RecordsIn = 0, while ObjectsReceived
    // keeps the source-silent alarm quiet)
    const stack = unbundledStack();
    // WHEN
    const lake = dataLakeIn(stack);
    // THEN each dataset has an alarm on ObjectsUnreadable >= 1, with the quarantine runbook
    const template = Template.fromStack(stack);
    for (const dataset of DATASETS) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'Plinth/Ingest',
        MetricName: 'ObjectsUnreadable',
        Dimensions: [{ Name: 'Dataset', Value: dataset.name }],
        Statistic: 'Sum',
        Period: 900,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmDescription: Match.stringLikeRegexp('Runbook: docs/runbooks/data-lake-quarantine-rate.md'),
      });
    }
    const unreadable = lake.alarms.filter((a) => JSON.stringify(stack.resolve((a.node.defaultChild as any).metricName)) === '"ObjectsUnreadable"');
    expect(unreadable.map((a) => failureModesOf(a))).toEqual([...DATASETS, { name: '_unknown' }].map(() => ['quarantine-rate-high']));
    // AND objects of no configured dataset (or whose schema parameter is missing), which the ingest
    // quarantines whole under Dataset=_unknown, alarm too: no dataset alarm can see them
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ObjectsUnreadable',
      Dimensions: [{ Name: 'Dataset', Value: '_unknown' }],
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  test('refuses a quarantine-rate threshold outside (0, 100]', () => {
    expect(() => dataLakeIn(unbundledStack(), { quarantineRateAlarmPercent: 0 })).toThrow(/quarantineRateAlarmPercent 0 must be more than 0 and at most 100/);
    expect(() => dataLakeIn(unbundledStack(), { quarantineRateAlarmPercent: 150 })).toThrow(/quarantineRateAlarmPercent 150/);
  });

  test('keeps every zone by default and deletes it only when DESTROY is chosen', () => {
    const kept = unbundledStack();
    dataLakeIn(kept);
    Template.fromStack(kept).allResources('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
    const scratch = unbundledStack();
    dataLakeIn(scratch, { removalPolicy: RemovalPolicy.DESTROY });
    const buckets = Template.fromStack(scratch).findResources('AWS::S3::Bucket', { DeletionPolicy: 'Delete' });
    expect(Object.keys(buckets)).toHaveLength(4);
  });
});
