/**
 * The smoke check's feature block against the emulator (scripts/local/features-smoke.ts): the
 * pipeline's statement run in DuckDB and staged, the real feature-ingest handler writing into the
 * emulator's Feature Store (conservation, a dead-lettered row), then the real gateway looking the
 * entity up and sending the online features to InvokeEndpoint; a new entity takes the fallback.
 */
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateFeatureGroupCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerFeatureStoreRuntimeClient } from '@aws-sdk/client-sagemaker-featurestore-runtime';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Duration } from 'aws-cdk-lib';
import { findMoto } from '../../cli/moto';
import { featureStoreConfigSchema } from '../../config/feature-store';
import { accountFeatures } from '../../config/feature-groups/account-features';
import type { FeatureGroupDefinition } from '../../lib/feature-store/feature-group';
import { exportStatement, materializationSelect, WINDOW_END_TOKEN, WINDOW_START_TOKEN } from '../../lib/features/sql';
import { onlineFeaturesEnvironment } from '../../lib/inference/inference-gateway';
import { clients as featureIngestClients } from '../../lambdas/feature-ingest/index';
import { clients as gatewayClients } from '../../lambdas/infer/clients';
import { collectLogLines } from '../../scripts/local/in-process';
import { routeTo, unrouteAll } from '../support/sdk-clients';
import { setOnlineFeatureClient } from '../../lambdas/infer/online-features';
import { type RunningEmulator, startEmulator } from '../../scripts/local/emulator';
import { callGatewayReadingModelInput, configureEndpointAnswer, definitionFromTemplate, materialize, pipelineWiringOf, type LakeTable, type PipelineWiring } from '../../scripts/local/features-smoke';
import { CreateChangeSetCommand, ExecuteChangeSetCommand, GetTemplateCommand, CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { listStackResources } from '../../cli/aws/cloudformation';
import { SKIP_MESSAGE } from '../support/moto';

const python = findMoto()?.python;
const GROUP = featureStoreConfigSchema.parse({ featureGroups: [accountFeatures] }).featureGroups[0] as FeatureGroupDefinition;
const INPUTS = [
  { name: 'account_id', type: 'string' as const, required: true },
  { name: 'amount', type: 'number' as const, required: true },
  { name: 'currency', type: 'string' as const, required: true },
  { name: 'card_present', type: 'boolean' as const, required: true },
];
const FIELDS: LakeTable['fields'] = [
  { name: 'transaction_id', type: 'string' },
  { name: 'account_id', type: 'string' },
  { name: 'amount', type: 'number' },
  { name: 'merchant_category', type: 'string' },
  { name: 'occurred_at', type: 'timestamp' },
];

if (!python) {
  describe('smoke feature block', () => {
    it('requires moto_server', () => {
      console.warn(`${SKIP_MESSAGE} — suite "smoke feature block"`);
      if (process.env.CI) throw new Error("moto_server is required on CI: pip install 'moto[server]'");
    });
  });
} else {
  describe('smoke feature block (emulator)', () => {
    let emulator: RunningEmulator;
    let config: { region: string; endpoint: string; credentials: { accessKeyId: string; secretAccessKey: string }; forcePathStyle: boolean };
    const saved = { ...process.env };

    beforeAll(async () => {
      emulator = await startEmulator(python);
      config = { region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, forcePathStyle: true };
      await new S3Client(config).send(new CreateBucketCommand({ Bucket: 'feature-staging' }));
      await new SageMakerClient(config).send(
        new CreateFeatureGroupCommand({
          FeatureGroupName: GROUP.name,
          RecordIdentifierFeatureName: GROUP.recordIdentifier,
          EventTimeFeatureName: GROUP.eventTime,
          FeatureDefinitions: GROUP.features.map((f) => ({ FeatureName: f.name, FeatureType: f.type })),
          OnlineStoreConfig: { EnableOnlineStore: true },
          OfflineStoreConfig: { S3StorageConfig: { S3Uri: 's3://feature-staging/offline/' } },
          RoleArn: 'arn:aws:iam::123456789012:role/fs',
        }),
      );
      await new DynamoDBClient(config).send(
        new CreateTableCommand({ TableName: 'breaker', KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }], AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }], BillingMode: 'PAY_PER_REQUEST' }),
      );
      await new SQSClient(config).send(new CreateQueueCommand({ QueueName: 'review' }));
    }, 60_000);

    /** Log collection of the handlers run in this process (their output is read, not printed). */
    const collecting: Array<{ stop(): void }> = [];

    afterAll(async () => {
      process.env = saved;
      unrouteAll();
      setOnlineFeatureClient(undefined);
      for (const collected of collecting.splice(0)) collected.stop();
      await emulator?.stop();
    });

    it('reads the Unload statement and staging bucket back from a state machine deployed by change set, as the smoke does', async () => {
      // GIVEN a stack, deployed as cdk deploy does, whose state machine definition joins in its bucket's Ref
      const unload = exportStatement('athena', 'SELECT 1 AS x', 's3://BUCKET/staging/account-spend/{{run_id}}/', 'json');
      const [before, after] = JSON.stringify(unload).split('BUCKET');
      const definition = {
        'Fn::Join': [
          '',
          [
            `{"States":{"Unload":{"Arguments":{"QueryString":"{% $replace($replace($replace(${before!.replace(/"/g, '\\"')}`,
            { Ref: 'Staging' },
            `${after!.replace(/"/g, '\\"')}, \\"{{window_start}}\\", $states.input.windowStart), \\"{{window_end}}\\", $states.input.windowEnd), \\"{{run_id}}\\", $states.input.runId) %}"}},` +
              '"Ingest":{"ItemReader":{"Arguments":{"Bucket":"',
            { Ref: 'Staging' },
            '","Prefix":"{% \\"staging/account-spend/\\" & $states.input.runId & \\"/\\" %}"}},"ItemProcessor":{"Arn":"',
            { 'Fn::GetAtt': ['Staging', 'Arn'] },
            '"}}}}',
          ],
        ],
      };
      const template = {
        Resources: {
          Staging: { Type: 'AWS::S3::Bucket' },
          Job: { Type: 'AWS::StepFunctions::StateMachine', Properties: { RoleArn: 'arn:aws:iam::123456789012:role/job', DefinitionString: definition } },
        },
      };
      const context = { region: 'us-east-1', endpoint: emulator.endpoint, credentials: config.credentials };
      const cloudFormation = new CloudFormationClient(context);
      await cloudFormation.send(new CreateChangeSetCommand({ StackName: 'features', ChangeSetName: 'cs', ChangeSetType: 'CREATE', TemplateBody: JSON.stringify(template) }));
      await cloudFormation.send(new ExecuteChangeSetCommand({ StackName: 'features', ChangeSetName: 'cs' }));
      const listed = await listStackResources(context, 'features');
      const bucket = listed.find((r) => r.logicalId === 'Staging')!.physicalId;
      // WHEN the smoke reads it back
      const body = (await cloudFormation.send(new GetTemplateCommand({ StackName: 'features' }))).TemplateBody!;
      const wiring = pipelineWiringOf(definitionFromTemplate(body, 'Job', new Map(listed.map((r) => [r.logicalId, r.physicalId]))));
      // THEN
      expect(wiring).toEqual({ unloadTemplate: unload.replace('BUCKET', bucket), stagingBucket: bucket, stagingPrefix: 'staging/account-spend/' });
    }, 60_000);

    it('lake rows → pipeline SQL → feature-ingest → Feature Store → the gateway sends the online features to the model', async () => {
      // GIVEN a1's three transactions (10 A, 20 B, 5 A) and one whose 7-day max is out of the group's range, each curated a minute later
      const s3 = new S3Client(config);
      const tables: LakeTable[] = [
        {
          name: 'transactions',
          fields: FIELDS,
          rows: [
            { transaction_id: 't1', account_id: 'a1', amount: 10, merchant_category: 'A', occurred_at: '2026-03-01T08:00:00Z', ingest_date: '2026-03-01', $file_modified_time: '2026-03-01T08:01:00Z' },
            { transaction_id: 't2', account_id: 'a1', amount: 20, merchant_category: 'B', occurred_at: '2026-03-01T09:00:00Z', ingest_date: '2026-03-01', $file_modified_time: '2026-03-01T09:01:00Z' },
            { transaction_id: 't3', account_id: 'a1', amount: 5, merchant_category: 'A', occurred_at: '2026-03-01T10:00:00Z', ingest_date: '2026-03-01', $file_modified_time: '2026-03-01T10:01:00Z' },
            { transaction_id: 't4', account_id: 'big', amount: 2_000_000, merchant_category: 'Z', occurred_at: '2026-03-01T10:00:00Z', ingest_date: '2026-03-01', $file_modified_time: '2026-03-01T10:01:00Z' },
          ],
        },
      ];
      const wiring: PipelineWiring = {
        unloadTemplate: exportStatement('athena', materializationSelect(GROUP, { start: WINDOW_START_TOKEN, end: WINDOW_END_TOKEN }), 's3://feature-staging/staging/account-spend/{{run_id}}/', 'json'),
        stagingBucket: 'feature-staging',
        stagingPrefix: 'staging/account-spend/',
      };
      Object.assign(process.env, {
        AWS_REGION: 'us-east-1',
        FEATURE_GROUP: JSON.stringify({ name: GROUP.name, recordIdentifier: GROUP.recordIdentifier, eventTime: GROUP.eventTime, features: GROUP.features }),
        DEAD_LETTER_BUCKET: 'feature-staging',
        DEAD_LETTER_PREFIX: 'dead-letters/account-spend/',
        MAX_CONCURRENCY: '4',
      });
      routeTo(featureIngestClients.s3, s3);
      routeTo(featureIngestClients.featureStore, new SageMakerFeatureStoreRuntimeClient({ ...config, maxAttempts: 1 }));
      const ingestLogs: string[] = [];
      collecting.push(collectLogLines(ingestLogs));

      // WHEN one pipeline run over what arrived that day is materialized
      const run = await materialize(s3, wiring, tables, { start: '2026-03-01T00:00:00Z', end: '2026-03-02T00:00:00Z' }, 'run-1');

      // THEN 4 rows staged: 3 written, the out-of-range one dead-lettered with its reason
      expect(run.rowsStaged).toBe(4);
      expect(run.stagedKeys).toEqual(['staging/account-spend/run-1/smoke-part-00000.gz']);
      expect(run.ingested).toEqual([expect.objectContaining({ rowsRead: 4, recordsWritten: 3, recordsRejected: 1, rejectedByReason: expect.objectContaining({ 'out-of-range': 1 }) })]);

      // GIVEN the gateway's environment as the construct renders it (a budget the emulator meets on a loaded machine), and moto's endpoint answer
      Object.assign(process.env, {
        ENDPOINT_NAME: 'fraud-detector-smoke',
        FALLBACK: JSON.stringify({ type: 'default', prediction: { label: 'review' }, confidence: 0 }),
        BREAKER_TABLE: 'breaker',
        CONFIDENCE_THRESHOLD: '0.8',
        REVIEW_QUEUE_URL: `${emulator.endpoint}/123456789012/review`,
        INPUT_SCHEMA: JSON.stringify({ features: INPUTS }),
        ONLINE_FEATURES: onlineFeaturesEnvironment('test', { group: GROUP, entityKeyField: 'account_id', timeout: Duration.millis(1500), onlineStoreKey: undefined as never /* the key is not part of the environment */ }, INPUTS, Duration.millis(2000)),
      });
      const runtime = new SageMakerRuntimeClient({ ...config, maxAttempts: 1 });
      routeTo(gatewayClients.sagemaker, runtime);
      routeTo(gatewayClients.dynamodb, new DynamoDBClient(config));
      routeTo(gatewayClients.sqs, new SQSClient(config));
      setOnlineFeatureClient(new SageMakerFeatureStoreRuntimeClient({ ...config, maxAttempts: 1 }));
      for (const collected of collecting.splice(0)) collected.stop();
      const logs: string[] = [];
      collecting.push(collectLogLines(logs));
      await configureEndpointAnswer(emulator.endpoint, '123456789012', 'us-east-1', { body: JSON.stringify({ label: 'legitimate', confidence: 0.97 }) });

      // WHEN the gateway is called with a1's key and the transaction's own fields only
      const known = await callGatewayReadingModelInput(runtime, { account_id: 'a1', amount: 42, currency: 'EUR', card_present: true });

      // THEN the model input holds a1's latest record (by hand: 3 in 24 h, 35 in sum, max 20, categories A and B)
      expect(known.response.statusCode).toBe(200);
      expect(JSON.parse(String(known.response.body))).toMatchObject({ label: 'legitimate', model: 'primary', degraded: false });
      expect(known.modelInputs).toEqual([{ account_id: 'a1', amount: 42, currency: 'EUR', card_present: true, txn_count_24h: 3, amount_sum_24h: 35, amount_max_7d: 20, distinct_categories_7d: 2 }]);

      // WHEN a new account (and the dead-lettered one) is looked up THEN the default policy applies: the fallback answers, degraded, and the model is not called
      for (const account of ['nobody', 'big']) {
        const unknown = await callGatewayReadingModelInput(runtime, { account_id: account, amount: 42, currency: 'EUR', card_present: true });
        expect(unknown.response.statusCode).toBe(200);
        expect(JSON.parse(String(unknown.response.body))).toMatchObject({ label: 'review', model: 'fallback', degraded: true });
        expect(unknown.modelInputs).toEqual([]);
      }
      expect(logs.map((l) => JSON.parse(l)).filter((l) => l.msg === 'inference request').map((l) => l.onlineFeatures)).toEqual(['found', 'missing', 'missing']);
    }, 60_000);
  });
}
