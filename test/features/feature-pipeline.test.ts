import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { featureStoreConfigSchema } from '../../config/feature-store';
import { accountFeatures } from '../../config/feature-groups/account-features';
import { PlatformAlarmTopic } from '../../lib/alerting/platform-alarm-topic';
import type { FeatureGroupDefinition } from '../../lib/feature-store/feature-group';
import { FeaturePipeline } from '../../lib/features/feature-pipeline';
import type { FeaturePipelineProps } from '../../lib/features/feature-pipeline-props';
import { PlatformKeys } from '../../lib/keys/platform-keys';
import { PlatformNetwork } from '../../lib/network/platform-network';
import { AccessLogsBucket, SecureBucket } from '../../lib/storage/secure-bucket';
import { exportStatement, materializationSelect, WINDOW_END_TOKEN, WINDOW_START_TOKEN } from '../../lib/features/sql';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';
import { definitionFromTemplate, fillUnload, pipelineWiringOf, unloadParts } from '../../scripts/local/features-smoke';
import jsonata from 'jsonata';

const GROUP = featureStoreConfigSchema.parse({ featureGroups: [accountFeatures] }).featureGroups[0] as FeatureGroupDefinition;

function pipelineIn(stack: Stack, change: Partial<FeaturePipelineProps> = {}): FeaturePipeline {
  const keys = new PlatformKeys(stack, 'Keys');
  const network = new PlatformNetwork(stack, 'Network', { vpcCidr: '10.62.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'], logsKey: keys.logs });
  const accessLogs = new AccessLogsBucket(stack, 'AccessLogs').bucket;
  const curated = new SecureBucket(stack, 'Curated', { encryptionKey: keys.dataLake, serverAccessLogsBucket: accessLogs });
  const alarms = new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: keys.logs });
  return new FeaturePipeline(stack, 'Pipeline', {
    group: GROUP,
    lake: { databaseName: 'plinth_lake', curatedBucket: curated.bucket, encryptionKey: keys.dataLake, datasetNames: ['transactions', 'merchants'] },
    onlineStoreKey: keys.models,
    serverAccessLogsBucket: accessLogs,
    bytesScannedCutoffPerQuery: 1_000_000_000,
    vpc: network.vpc,
    logsKey: keys.logs,
    logRetention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.DESTROY,
    alarmAction: alarms,
    environmentName: 'test',
    ...change,
  });
}

const newStack = () => new Stack(newApp(), 'S', { env: TEST_ENV });

function definitionOf(template: Template): Record<string, any> {
  const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
  const parts = (machine.Properties.DefinitionString['Fn::Join'] ?? ['', [machine.Properties.DefinitionString]])[1] as unknown[];
  const text = parts.map((p) => (typeof p === 'string' ? p : `<${(p as { Ref?: string }).Ref ?? 'token'}>`)).join('');
  return JSON.parse(text);
}

describe('FeaturePipeline', () => {
  test('alone in a stack it passes every nag pack and the validator', () => {
    const { findings } = synthAloneThroughGate((stack) => pipelineIn(stack));
    expect(findings).toEqual([]);
  });

  describe('template', () => {
    let template: Template;
    let definition: Record<string, any>;
    beforeAll(() => {
      const stack = newStack();
      pipelineIn(stack);
      template = Template.fromStack(stack);
      definition = definitionOf(template);
    });

    test('UNLOADs the group SQL, window-bounded, as gzip JSON to the staging prefix, through an encrypted, scan-limited workgroup', () => {
      template.hasResourceProperties('AWS::Athena::WorkGroup', {
        WorkGroupConfiguration: Match.objectLike({
          EnforceWorkGroupConfiguration: true,
          BytesScannedCutoffPerQuery: 1_000_000_000,
          ResultConfiguration: Match.objectLike({ EncryptionConfiguration: Match.objectLike({ EncryptionOption: 'SSE_KMS' }) }),
        }),
      });
      const unload = definition.States.Unload;
      expect(unload.Resource).toMatch(/states:::athena:startQueryExecution\.sync$/);
      const query: string = unload.Arguments.QueryString;
      const prefix = '{% $replace($replace($replace(';
      expect(query.startsWith(prefix)).toBe(true);
      // The JSONata string literal is exactly the SQL rendered from the definition (the one DuckDB runs).
      const literal = JSON.parse(query.slice(prefix.length, query.indexOf(', "{{window_start}}"')));
      const target = 's3://<PipelineStagingCD3BCEE4>/staging/account-spend/{{run_id}}/';
      expect(literal).toBe(exportStatement('athena', materializationSelect(GROUP, { start: WINDOW_START_TOKEN, end: WINDOW_END_TOKEN }), target, 'json'));
      expect(unload.Arguments.QueryExecutionContext).toEqual({ Database: 'plinth_lake' });
    });

    test('the local smoke check reads back the same SQL and staging location from the definition, and fills the window as the job does', () => {
      // GIVEN the template as deployed, and the staging bucket's physical name
      const [machineId] = Object.keys(template.findResources('AWS::StepFunctions::StateMachine'));
      const physicalIds = new Map([['PipelineStagingCD3BCEE4', 'staging-bucket-1']]);
      // WHEN the smoke reads the definition (scripts/local/features-smoke.ts)
      const wiring = pipelineWiringOf(definitionFromTemplate(JSON.stringify(template.toJSON()), machineId!, physicalIds));
      const window = { start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' };
      const { select, target } = unloadParts(fillUnload(wiring.unloadTemplate, window, 'run-1'));
      // THEN it runs the SELECT rendered from the one definition, for that window, and stages where the map reads
      expect(select).toBe(materializationSelect(GROUP, window));
      expect(wiring).toEqual({ unloadTemplate: expect.any(String), stagingBucket: 'staging-bucket-1', stagingPrefix: 'staging/account-spend/' });
      expect(target).toBe('s3://staging-bucket-1/staging/account-spend/run-1/');
      expect(() => definitionFromTemplate(JSON.stringify(template.toJSON()), 'PipelineStagingCD3BCEE4', physicalIds)).toThrow(/not a state machine/);
    });

    test('computes the window from the start time and a lookback of twice the refresh period, or takes a backfill window', () => {
      expect(definition.QueryLanguage).toBe('JSONata');
      expect(definition.StartAt).toBe('Window');
      expect(definition.States.Window.Output.windowStart).toContain(`- ${2 * 60 * 60 * 1000})`);
      expect(definition.States.Window.Output.windowStart).toContain('$states.input.windowStart');
    });

    test('the window ends when the Window state is entered (after an afterIngestion Settle wait), not when the execution started', async () => {
      // The window is in arrival time: an afterIngestion run starts on the raw object's event and
      // waits for it to be curated; a window ending at the execution's start would leave that
      // object out until some later object started another run.
      const evaluate = async (expression: string, states: Record<string, unknown>) => jsonata(expression.replace(/^\{%\s*/, '').replace(/\s*%\}$/, '')).evaluate({}, { states });
      const context = { Execution: { StartTime: '2026-01-05T12:00:00.000Z', Name: 'run:1' }, State: { EnteredTime: '2026-01-05T12:05:00.000Z' } };
      const output = definition.States.Window.Output;
      expect(await evaluate(output.windowEnd, { input: {}, context })).toBe('2026-01-05T12:05:00.000Z');
      expect(await evaluate(output.windowStart, { input: {}, context })).toBe('2026-01-05T10:05:00.000Z');
      // AND a backfill's bounds are taken as given
      const backfill = { windowStart: '2026-01-01T00:00:00Z', windowEnd: '2026-01-02T00:00:00Z' };
      expect(await evaluate(output.windowEnd, { input: backfill, context })).toBe('2026-01-02T00:00:00.000Z');
      expect(await evaluate(output.windowStart, { input: backfill, context })).toBe('2026-01-01T00:00:00.000Z');
    });

    test('an empty or reversed window (a backfill typo, a windowStart in the future) fails the run instead of succeeding with nothing written', () => {
      // A window [start, end) with start >= end selects no row: the Map would run over no object and
      // the execution would succeed, reading as a done backfill. The run must fail (FeaturePipelineFailed).
      expect(definition.States.Window.Next).toBe('CheckWindow');
      const check = definition.States.CheckWindow;
      expect(check.Type).toBe('Choice');
      expect(check.Choices).toEqual([{ Condition: '{% $toMillis($states.input.windowStart) < $toMillis($states.input.windowEnd) %}', Next: 'Unload' }]);
      expect(definition.States[check.Default]).toMatchObject({ Type: 'Fail', Error: 'FeatureWindowEmpty' });
      expect(definition.States[check.Default].Cause).toContain('$states.input.windowStart');
    });

    test('a Distributed Map hands each staged object to feature-ingest, bounded and retried, and sums the conservation counts', async () => {
      const map = definition.States.Ingest;
      expect(map.ItemProcessor.ProcessorConfig.Mode).toBe('DISTRIBUTED');
      expect(map.ItemReader.Resource).toMatch(/s3:listObjectsV2$/);
      expect(map.MaxConcurrency).toBe(10);
      expect(map.ItemProcessor.States.IngestObject.Retry[0]).toEqual({ ErrorEquals: ['FeatureIngestInputError', 'FeatureIngestConfigError'], MaxAttempts: 0 });
      expect(map.Output).toContain('$sum($states.result.recordsRejected)');
      // The duplicates the SQL resolved and the rows too late to featurize are in the run's output
      // too (and in DuplicatesDropped, and RecordsRejected with its alarm).
      const results = [
        { rowsRead: 5, recordsWritten: 3, recordsRejected: 1, duplicatesDropped: 1, rejectedByReason: { 'too-late': 1 } },
        { rowsRead: 4, recordsWritten: 2, recordsRejected: 2, duplicatesDropped: 0, rejectedByReason: { 'too-late': 1, 'out-of-range': 1 } },
      ];
      const input = { windowStart: 'S', windowEnd: 'E', runId: 'r' };
      const output = (result: unknown[]) => jsonata(map.Output.replace(/^\{%\s*/, '').replace(/\s*%\}$/, '')).evaluate({}, { states: { input, result } });
      expect(await output(results)).toEqual({ ...input, objects: 2, rowsRead: 9, recordsWritten: 5, recordsRejected: 3, duplicatesDropped: 1, rowsTooLate: 2 });
      expect(await output([results[0]!, { ...results[1]!, rejectedByReason: {} }])).toMatchObject({ rowsTooLate: 1 });
      expect(await output([{ ...results[1]!, rejectedByReason: {} }])).toMatchObject({ rowsTooLate: 0 });
    });

    test('feature-ingest may put records into its own group only, and read only its staging prefix', () => {
      template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Sid: 'PutRecords', Action: 'sagemaker:PutRecord', Resource: Match.stringLikeRegexp(':feature-group/account-spend$') }),
          ]),
        },
      });
      template.hasResourceProperties('AWS::Lambda::Function', {
        Environment: { Variables: Match.objectLike({ DEAD_LETTER_PREFIX: 'dead-letters/account-spend/', FEATURE_GROUP: Match.stringLikeRegexp('"recordIdentifier":"account_id"') }) },
      });
    });

    test('runs on the group schedule and has the three alarms, stale at twice the refresh period', () => {
      template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 hour)' });
      // Fresh means records written, not runs succeeded: a run whose window holds no row (an empty
      // UNLOAD, no staged object, feature-ingest never invoked) or whose rows were all rejected
      // succeeds, and must not read as a materialization.
      const stale = template.findResources('AWS::CloudWatch::Alarm', { Properties: { AlarmDescription: Match.stringLikeRegexp('Runbook: docs/runbooks/features-stale.md') } });
      expect(Object.values(stale).map((a) => a.Properties)).toEqual([
        expect.objectContaining({
          Namespace: 'Plinth/Features',
          MetricName: 'RecordsWritten',
          Dimensions: [{ Name: 'FeatureGroup', Value: 'account-spend' }],
          Statistic: 'Sum',
          ComparisonOperator: 'LessThanThreshold',
          Threshold: 1,
          Period: 3600,
          EvaluationPeriods: 2,
          DatapointsToAlarm: 2,
          TreatMissingData: 'breaching',
        }),
      ]);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'RecordsRejected', Namespace: 'Plinth/Features', Dimensions: [{ Name: 'FeatureGroup', Value: 'account-spend' }] });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', { AlarmDescription: Match.stringLikeRegexp('feature-pipeline-failed.md') });
      template.hasResourceProperties('AWS::LakeFormation::PrincipalPermissions', { Resource: { Table: Match.objectLike({ Name: 'transactions' }) }, Permissions: ['SELECT', 'DESCRIBE'] });
    });
  });

  test('afterIngestion runs on the raw bucket\'s Object Created events for the source dataset, after a settle wait', () => {
    // GIVEN a lake with a raw zone
    const stack = newStack();
    const keys = new PlatformKeys(stack, 'LakeKeys');
    const accessLogs = new AccessLogsBucket(stack, 'LakeAccessLogs').bucket;
    const raw = new SecureBucket(stack, 'Raw', { encryptionKey: keys.dataLake, serverAccessLogsBucket: accessLogs, eventBridgeEnabled: true });
    const curated = new SecureBucket(stack, 'LakeCurated', { encryptionKey: keys.dataLake, serverAccessLogsBucket: accessLogs });
    // WHEN the group refreshes after ingestion
    pipelineIn(stack, {
      group: { ...GROUP, refresh: { afterIngestion: true } },
      ingestionPeriod: Duration.hours(1),
      lake: { databaseName: 'plinth_lake', curatedBucket: curated.bucket, encryptionKey: keys.dataLake, datasetNames: ['transactions'], rawBucket: raw.bucket },
    });
    // THEN
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::Events::Rule', { EventPattern: { source: ['aws.s3'], 'detail-type': ['Object Created'], detail: Match.objectLike({ object: { key: [{ prefix: 'transactions/' }] } }) } });
    expect(definitionOf(t).StartAt).toBe('Settle');
    expect(definitionOf(t).States.Settle).toMatchObject({ Type: 'Wait', Seconds: 300, Next: 'Window' });
  });

  test('the lateness allowance is rendered into the SQL the job runs', () => {
    const stack = newStack();
    pipelineIn(stack, { maxLateness: Duration.days(10) });
    const query: string = definitionOf(Template.fromStack(stack)).States.Unload.Arguments.QueryString;
    const target = 's3://<PipelineStagingCD3BCEE4>/staging/account-spend/{{run_id}}/';
    expect(query).toContain(JSON.stringify(exportStatement('athena', materializationSelect(GROUP, { start: WINDOW_START_TOKEN, end: WINDOW_END_TOKEN }, { maxLatenessMinutes: 14_400 }), target, 'json')));
    expect(query).toContain("INTERVAL '14400' MINUTE");
  });

  test('afterIngestion without the raw bucket or the ingestion period is refused', () => {
    expect(() => pipelineIn(newStack(), { group: { ...GROUP, refresh: { afterIngestion: true } }, ingestionPeriod: Duration.hours(1) })).toThrow(/afterIngestion needs lake.rawBucket/);
  });

  test.each<[string, Partial<FeaturePipelineProps>, RegExp]>([
    ['a group without a source', { group: { ...GROUP, source: undefined, refresh: undefined } }, /needs source and refresh/],
    ['a source dataset the lake lacks', { group: { ...GROUP, source: { ...GROUP.source!, dataset: 'payments' } } }, /source.dataset "payments" is not a dataset of the lake/],
    ['an undeclared feature in the SQL contract', { group: { ...GROUP, features: [...GROUP.features, { name: 'velocity', type: 'Fractional' }] } }, /does not yield declared feature "velocity"/],
    ['a cron schedule', { group: { ...GROUP, refresh: { schedule: 'cron(0 * * * ? *)' } } }, /refresh.schedule .* must be a rate/],
    ['a bad object concurrency', { maxConcurrentObjects: 0 }, /maxConcurrentObjects must be a whole number/],
    ['a lateness allowance of part of a minute', { maxLateness: Duration.seconds(90) }, /maxLateness must be a whole number of minutes/],
    ['a lateness allowance over a year', { maxLateness: Duration.days(400) }, /maxLateness must be a whole number of minutes from 0 to 366 days/],
    ['a source SQL naming its dataset with a database', { group: { ...GROUP, source: { ...GROUP.source!, sql: GROUP.source!.sql.replace('FROM transactions', 'FROM plinth_lake.transactions') } } }, /with a database or schema/],
  ])('refuses %s at synth, naming the field', (_name, change, message) => {
    expect(() => pipelineIn(newStack(), change)).toThrow(message);
  });
});
