import * as fs from 'fs';
import * as path from 'path';
import { type CfnElement, CfnResource, Stack, TagManager } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { loadEnvironments, promotionTargetAccounts } from '../../config';
import { STATEFUL_RESOURCE_TYPES } from '../../lib/guardrails/removal-policy-guard';
import { REQUIRED_TAG_KEYS } from '../../lib/guardrails/required-tags';
import { readPluginReports, unacknowledgedFindings } from '../../lib/compliance/validation-report';
import { buildPlatformApp } from '../../lib/platform/platform-app';
import type { PlatformStage } from '../../lib/platform/platform-stage';
import { newApp } from '../support/gate';

// One synth of the whole app (every environment) through the full gate, shared by the tests below.
const app = newApp({ validator: true });
const stages = buildPlatformApp(app, loadEnvironments(), (name) => promotionTargetAccounts(name));
const assembly = app.synth();
const stageNamed = (name: string): PlatformStage => stages.find((s) => s.stageName === name) as PlatformStage;
const stacksOf = (stage: PlatformStage): Stack[] => stage.node.findAll().filter((c): c is Stack => Stack.isStack(c));
const templateOf = (stack: Stack) => Template.fromStack(stack).toJSON();

describe('the platform app', () => {
  test('every environment passes every nag pack and the validator with zero unacknowledged findings', () => {
    expect(unacknowledgedFindings(readPluginReports(assembly.directory))).toEqual([]);
  });

  test('writes one cloud assembly per environment', () => {
    const assemblies = fs.readdirSync(assembly.directory).filter((name) => name.startsWith('assembly-')).sort();
    expect(assemblies).toEqual(['assembly-dev', 'assembly-prod', 'assembly-staging']);
    for (const name of assemblies) {
      const templates = fs.readdirSync(path.join(assembly.directory, name)).filter((f) => f.endsWith('.template.json'));
      expect(templates.length).toBeGreaterThan(0);
    }
  });

  test.each(['dev', 'staging', 'prod'])('%s: every IAM role carries the Plinth permissions boundary', (env) => {
    const stage = stageNamed(env);
    let roles = 0;
    for (const stack of stacksOf(stage)) {
      for (const [id, resource] of Object.entries<any>(templateOf(stack).Resources)) {
        if (resource.Type !== 'AWS::IAM::Role') continue;
        roles += 1;
        expect([id, stack.resolve(resource.Properties.PermissionsBoundary)]).toEqual([
          id,
          stack.resolve(stage.guardrails.permissionsBoundary.policyArn),
        ]);
      }
    }
    expect(roles).toBeGreaterThan(0);
  });

  test.each(['dev', 'staging', 'prod'])('%s: every taggable resource carries owner, cost-center and data-classification', (env) => {
    const stage = stageNamed(env);
    const config = stage.config;
    let tagged = 0;
    for (const node of stage.node.findAll()) {
      if (!(node instanceof CfnResource) || !TagManager.isTaggable(node)) continue;
      tagged += 1;
      expect([node.node.path, node.tags.tagValues()]).toEqual([
        node.node.path,
        expect.objectContaining({
          [REQUIRED_TAG_KEYS.owner]: config.tags.owner,
          [REQUIRED_TAG_KEYS.costCenter]: config.tags.costCenter,
          [REQUIRED_TAG_KEYS.dataClassification]: config.tags.dataClassification,
          [REQUIRED_TAG_KEYS.environment]: env,
        }),
      ]);
    }
    expect(tagged).toBeGreaterThan(10);
  });

  test.each(['staging', 'prod'])('%s: every stateful resource (buckets, keys, log groups) is RETAIN', (env) => {
    let stateful = 0;
    for (const stack of stacksOf(stageNamed(env))) {
      for (const [id, resource] of Object.entries<any>(templateOf(stack).Resources)) {
        if (!STATEFUL_RESOURCE_TYPES.has(resource.Type)) continue;
        stateful += 1;
        expect([id, resource.DeletionPolicy, resource.UpdateReplacePolicy]).toEqual([id, 'Retain', 'Retain']);
      }
    }
    expect(stateful).toBeGreaterThanOrEqual(5);
  });

  test('dev deletes its disposable data only because its config opts in', () => {
    const dev = stageNamed('dev');
    expect(dev.config.removalPolicy).toBe('destroy');
    for (const stack of [dev.foundation, dev.dataLake]) {
      const buckets = Object.values<any>(templateOf(stack).Resources).filter((r) => r.Type === 'AWS::S3::Bucket');
      expect(buckets.length).toBeGreaterThan(0);
      expect(new Set(buckets.map((b) => b.DeletionPolicy))).toEqual(new Set(['Delete']));
    }
  });

  const PINNED_DATA_LAKE_IDS = [
  'AWS::DynamoDB::Table ReviewfrauddetectorCasesCD0454DC',
  'AWS::Glue::Database DataLakeDatabase9214E306',
  'AWS::Glue::Table DataLakeTablefrauddetectorgroundtruth6E6BCF20',
  'AWS::Glue::Table DataLakeTablemerchantsF4BA7F69',
  'AWS::Glue::Table DataLakeTabletransactionsACBD8563',
  'AWS::Glue::Table DataLakeTabletransactionslabels455E53F9',
  'AWS::Logs::LogGroup DataLakeIngestionLogsEEAA7C48',
  'AWS::Logs::LogGroup ReviewfrauddetectorApiLogsE191C11F',
  'AWS::Logs::LogGroup ReviewfrauddetectorExpiryLogsCF81EB4B',
  'AWS::Logs::LogGroup ReviewfrauddetectorIntakeLogs59293CB3',
  'AWS::S3::Bucket DataLakeCuratedBBB12155',
  'AWS::S3::Bucket DataLakeQuarantine622AD19F',
  'AWS::S3::Bucket DataLakeQueryResultsC03F240C',
  'AWS::S3::Bucket DataLakeRawA452C0AC',
  'AWS::SQS::Queue DataLakeIngestionDeadLetterQueue2A44C1F4',
  'AWS::SQS::Queue DataLakeIngestionQueue2DA39566',
  'AWS::SQS::Queue ReviewfrauddetectorDeadLetterQueueA6B7CCD7',
  'AWS::SQS::Queue ReviewfrauddetectorQueue207699DF',
];

const PINNED_MODELS_IDS = [
  'AWS::DynamoDB::Table BatchfrauddetectorPartitions7FEC0AFB',
  'AWS::DynamoDB::Table DriftRetrainingDebounceLocks56A8296C',
  'AWS::DynamoDB::Table GatewayfrauddetectorBreakerEF35F80A',
  'AWS::Glue::Table BatchfrauddetectorPredictionsTable19AA3814',
  'AWS::Glue::Table DriftfrauddetectorCaptureTableE92B3FB7',
  'AWS::Glue::Table QualityfrauddetectorCaptureTable8F32B02B',
  'AWS::Glue::Table QualityfrauddetectorReviewLabelsTable367984AA',
  'AWS::Logs::LogGroup BatchfrauddetectorFunctionLogs13B16A8A',
  'AWS::Logs::LogGroup BatchfrauddetectorJobLogs30195923',
  'AWS::Logs::LogGroup CapacityWatchLogs8AA1FDCC',
  'AWS::Logs::LogGroup DeploymentLogs3DAF60BB',
  'AWS::Logs::LogGroup DriftRetrainingBaselineLogsA4D65B46',
  'AWS::Logs::LogGroup DriftRetrainingRetrainLogs739C252D',
  'AWS::Logs::LogGroup DriftfrauddetectorJobLogs1205688F',
  'AWS::Logs::LogGroup DriftfrauddetectorQueryLogs549CC293',
  'AWS::Logs::LogGroup DriftfrauddetectorStatisticsLogs4B8AE916',
  'AWS::Logs::LogGroup FeaturesaccountspendIngestLogs5C44FB8F',
  'AWS::Logs::LogGroup FeaturesaccountspendJobLogsFBA49EE0',
  'AWS::Logs::LogGroup GatewayfrauddetectorLogs3B76627A',
  'AWS::Logs::LogGroup QualityfrauddetectorJobLogsF279AFCF',
  'AWS::Logs::LogGroup QualityfrauddetectorQualityLogsC7BAA529',
  'AWS::Logs::LogGroup TrainingSetsJobLogsE609699F',
  'AWS::Logs::LogGroup TrainingSetsLogs49BC7BD6',
  'AWS::Logs::LogGroup TrainingfrauddetectorBridgeLogsB6498D23',
  'AWS::Logs::LogGroup TrainingfrauddetectorCallbackLogsA92B942E',
  'AWS::Logs::LogGroup TrainingfrauddetectorChampionLogs6D645891',
  'AWS::Logs::LogGroup TrainingfrauddetectorPinLogs31B76C31',
  'AWS::S3::Bucket Capture7E7C0655',
  'AWS::S3::Bucket FeatureStoreOfflineStore64628179',
  'AWS::S3::Bucket FeaturesaccountspendStaging3B336EBD',
  'AWS::S3::Bucket RegistryArtifacts021C3BD9',
  'AWS::S3::Bucket TrainingSetsOutput353C4528',
  'AWS::SQS::Queue DeploymentDeadLetterQueueF4815DFE',
  'AWS::SQS::Queue DeploymentEventDeadLetterQueue5E30235C',
  'AWS::SQS::Queue DeploymentQueueB8D001EB',
  'AWS::SQS::Queue DriftRetrainingDeadLetterQueue6750D48E',
  'AWS::SQS::Queue TrainingfrauddetectorCallbackQueue7DCC4638',
  'AWS::SQS::Queue TrainingfrauddetectorDeadLetterQueue07C5E3FF',
  'AWS::SageMaker::FeatureGroup FeatureStoreGroupaccountspend375D84C5',
  'AWS::SageMaker::ModelPackageGroup RegistryGroupfrauddetector62B0C015',
];

// Stateful logical IDs are a contract: a change replaces the resource and loses (or orphans) its data.
  test.each(['dev', 'staging', 'prod'])('%s: logical IDs of stateful resources stay put', (env) => {
    const statefulIds = (stack: Stack) =>
      Object.entries<any>(templateOf(stack).Resources)
        .filter(([, r]) => STATEFUL_RESOURCE_TYPES.has(r.Type))
        .map(([id, r]) => `${r.Type} ${id}`)
        .sort();
    expect(statefulIds(stageNamed(env).dataLake)).toEqual(PINNED_DATA_LAKE_IDS);
    expect(statefulIds(stageNamed(env).models)).toEqual(PINNED_MODELS_IDS);
    expect(statefulIds(stageNamed(env).foundation)).toEqual([
      'AWS::KMS::Key KeysDataLakeKey0C32AF12',
      'AWS::KMS::Key KeysLogsKeyD24E82DB',
      'AWS::KMS::Key KeysModelsKeyBBEE4091',
      'AWS::Logs::LogGroup NetworkFlowLogs2BEC3212',
      'AWS::S3::Bucket AccessLogs247031D9',
    ]);
  });

  test('dev: the fraud-detector scores the curated transactions nightly with its Approved model, into the lake', () => {
    const dev = stageNamed('dev');
    const batch = dev.models.batchInference['fraud-detector'];
    expect(batch).toBeDefined();
    const models = Template.fromStack(dev.models);
    models.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'cron(30 1 * * ? *)', Targets: [Match.objectLike({ Arn: { Ref: dev.models.getLogicalId(batch.stateMachine.node.defaultChild as CfnElement) } })] });
    const fn = Object.values<any>(templateOf(dev.models).Resources).find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables?.MODEL_PACKAGE_GROUP === 'fraud-detector' && r.Properties.Environment.Variables.SOURCE_PREFIX !== undefined);
    const vars = fn.Properties.Environment.Variables;
    expect(vars.SOURCE_PREFIX).toBe('transactions/');
    expect(vars.OUTPUT_PREFIX).toBe('predictions/fraud-detector/');
    // Source and output are the lake's curated zone, by its exported name; no package name is configured.
    expect(vars.SOURCE_BUCKET).toEqual({ 'Fn::ImportValue': `${dev.dataLake.stackName}-CuratedBucketName` });
    expect(vars.OUTPUT_BUCKET).toEqual(vars.SOURCE_BUCKET);
    expect(Object.keys(vars)).not.toContain('MODEL_PACKAGE_ARN');
  });
});
