import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { featureStoreConfigSchema } from '../../config/feature-store';
import { accountFeatures } from '../../config/feature-groups/account-features';
import { PlatformAlarmTopic } from '../../lib/alerting/platform-alarm-topic';
import type { FeatureGroupDefinition } from '../../lib/feature-store/feature-group';
import { PointInTimeTrainingSet } from '../../lib/features/point-in-time-training-set';
import { PlatformKeys } from '../../lib/keys/platform-keys';
import { PlatformNetwork } from '../../lib/network/platform-network';
import { AccessLogsBucket, SecureBucket } from '../../lib/storage/secure-bucket';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

const GROUP = featureStoreConfigSchema.parse({ featureGroups: [accountFeatures] }).featureGroups[0] as FeatureGroupDefinition;

function jobIn(stack: Stack, groups: FeatureGroupDefinition[] = [GROUP]): PointInTimeTrainingSet {
  const keys = new PlatformKeys(stack, 'Keys');
  const network = new PlatformNetwork(stack, 'Network', { vpcCidr: '10.63.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'], logsKey: keys.logs });
  const accessLogs = new AccessLogsBucket(stack, 'AccessLogs').bucket;
  const bucket = (id: string) => new SecureBucket(stack, id, { encryptionKey: keys.dataLake, serverAccessLogsBucket: accessLogs }).bucket;
  return new PointInTimeTrainingSet(stack, 'TrainingSets', {
    featureGroups: groups,
    offlineStoreBucket: bucket('Offline'),
    labelsDatabaseName: 'plinth_lake',
    labelsBucket: bucket('Curated'),
    encryptionKey: keys.dataLake,
    serverAccessLogsBucket: accessLogs,
    bytesScannedCutoffPerQuery: 1_000_000_000,
    vpc: network.vpc,
    logsKey: keys.logs,
    logRetention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.DESTROY,
    alarmAction: new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: keys.logs }),
    environmentName: 'test',
  });
}

describe('PointInTimeTrainingSet (contract A)', () => {
  test('alone in a stack it passes every nag pack and the validator', () => {
    const { findings } = synthAloneThroughGate((stack) => jobIn(stack));
    expect(findings).toEqual([]);
  });

  test('exposes the state machine, the output bucket and training-sets/, and grants starting it', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    const job = jobIn(stack);
    expect(job.outputPrefix).toBe('training-sets/');
    const role = new (require('aws-cdk-lib/aws-iam').Role)(stack, 'Trainer', { assumedBy: new (require('aws-cdk-lib/aws-iam').ServicePrincipal)('sagemaker.amazonaws.com') });
    job.grantStartExecution(role);
    const t = Template.fromStack(stack);
    t.hasResourceProperties('AWS::IAM::Policy', { PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: 'states:StartExecution' })]) } });
    const [machine] = Object.values(t.findResources('AWS::StepFunctions::StateMachine'));
    const text = JSON.stringify(machine.Properties.DefinitionString);
    for (const state of ['Plan', 'Export', 'Statistics', 'Manifest']) expect(text).toContain(`\\"${state}\\":{`);
    t.hasResourceProperties('AWS::Lambda::Function', { Environment: { Variables: Match.objectLike({ OUTPUT_PREFIX: 'training-sets/', OFFLINE_DATABASE: 'sagemaker_featurestore' }) } });
    t.hasResourceProperties('AWS::LakeFormation::PrincipalPermissions', { Resource: { Table: Match.objectLike({ DatabaseName: 'plinth_lake', TableWildcard: {} }) } });
  });

  test('refuses no groups, or a group without an offline store, naming the field', () => {
    expect(() => jobIn(new Stack(newApp(), 'S1', { env: TEST_ENV }), [])).toThrow(/featureGroups is empty/);
    expect(() => jobIn(new Stack(newApp(), 'S2', { env: TEST_ENV }), [{ ...GROUP, offlineStore: false }])).toThrow(/has no offline store/);
  });
});
