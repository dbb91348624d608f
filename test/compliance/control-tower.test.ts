import { Stack, Stage } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { applyComplianceGate, type ComplianceGateOptions } from '../../lib/compliance/compliance-gate';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { CONTROL_TOWER_PLUGIN, ControlTowerGuard, controlTowerRules } from '../../lib/compliance/control-tower';
import { readPluginReports, unacknowledgedFindings } from '../../lib/compliance/validation-report';
import { PlatformKeys } from '../../lib/keys/platform-keys';
import { AccessLogsBucket } from '../../lib/storage/secure-bucket';
import { newApp, TEST_ENV } from '../support/gate';

function synth(build: (stack: Stack) => void, options: ComplianceGateOptions = {}) {
  const app = newApp();
  applyComplianceGate(app, options);
  build(new Stack(new Stage(app, 'dev', { env: TEST_ENV }), 'S'));
  return readPluginReports(app.synth().directory);
}

const controlTowerFindings = (reports: ReturnType<typeof readPluginReports>) =>
  unacknowledgedFindings(reports)
    .filter((f) => f.plugin === CONTROL_TOWER_PLUGIN)
    .map((f) => `${f.rule} ${f.constructPath}`);

describe('Control Tower proactive controls in the gate', () => {
  test('the catalogue reads every rule with its CT id, resource types and framework mappings', () => {
    const rules = controlTowerRules();
    expect(rules.length).toBeGreaterThan(200);
    expect(rules.find((r) => r.ruleName === 's3_bucket_logging_enabled_check')).toMatchObject({
      controlId: 'CT.S3.PR.2',
      resourceTypes: ['AWS::S3::Bucket'],
      frameworkMappings: expect.objectContaining({ 'NIST 800-53 Rev 5': expect.arrayContaining(['AU-2']) }),
    });
    expect(new Set(rules.map((r) => r.ruleName)).size).toBe(rules.length);
  });

  test('running only the rules for the resource types present finds exactly what running all of them finds', () => {
    const app = newApp();
    const stack = new Stack(app, 'Plain', { env: TEST_ENV });
    new s3.CfnBucket(stack, 'Leaky');
    new sqs.CfnQueue(stack, 'Queue');
    const context = { templatePaths: [app.synth().getStackByName(stack.stackName).templateFullPath], appConstruct: app };
    const found = (report: { violations: ReadonlyArray<{ ruleName: string; violatingResources: ReadonlyArray<{ resourceLogicalId?: string }> }> }) =>
      report.violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.resourceLogicalId}`)).sort();
    const filtered = found(new ControlTowerGuard().validate(context));
    expect(filtered).toEqual(found(new CfnGuardValidator().validate(context)));
    expect(filtered).toContain('sqs_dlq_check Queue');
    expect(filtered).toContain('s3_bucket_logging_enabled_check Leaky');
  });

  test('a dead-letter queue is waived from CT.SQS.PR.1 with its reason; a queue without one is not', () => {
    const reports = synth((stack) => {
      const dlq = new sqs.Queue(stack, 'DeadLetters', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true });
      new sqs.Queue(stack, 'Work', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true, deadLetterQueue: { queue: dlq, maxReceiveCount: 3 } });
      new sqs.Queue(stack, 'Orphan', { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true });
    });
    const open = controlTowerFindings(reports);
    expect(open).toContain('sqs_dlq_check dev/S/Orphan/Resource');
    expect(open).not.toContain('sqs_dlq_check dev/S/DeadLetters/Resource');
    const ct = reports.find((r) => r.pluginName === CONTROL_TOWER_PLUGIN) as any;
    expect(ct.suppressedViolations).toContainEqual(
      expect.objectContaining({ ruleName: 'sqs_dlq_check', acknowledgedAt: 'dev/S/DeadLetters/Resource', reason: expect.stringContaining('CT.SQS.PR.1: This queue is itself a dead-letter queue') }),
    );
  });

  test('the access-log bucket passes through the gate with every CT finding waived for a reason', () => {
    const reports = synth((stack) => new AccessLogsBucket(stack, 'Logs'));
    expect(controlTowerFindings(reports)).toEqual([]);
    const ct = reports.find((r) => r.pluginName === CONTROL_TOWER_PLUGIN) as any;
    expect(ct.suppressedViolations.map((v: any) => v.ruleName).sort()).toEqual([
      's3_bucket_default_encryption_kms_check',
      's3_bucket_logging_enabled_check',
      's3_bucket_object_lock_enabled_check',
      's3_event_notifications_enabled_check',
    ]);
  });

  test('bucket waivers are keyed by construct path: a new bucket outside SecureBucket inherits none of them', () => {
    // GIVEN a Plinth access-log bucket and a raw bucket with the same settings next to it
    const reports = synth((stack) => {
      new AccessLogsBucket(stack, 'Logs');
      new s3.Bucket(stack, 'Raw', { encryption: s3.BucketEncryption.S3_MANAGED, enforceSSL: true, versioned: true });
    });
    // THEN the raw bucket's object-lock and event-notification findings stay open, the access-log bucket's are waived
    const open = controlTowerFindings(reports);
    expect(open).toContain('s3_bucket_object_lock_enabled_check dev/S/Raw/Resource');
    expect(open).toContain('s3_event_notifications_enabled_check dev/S/Raw/Resource');
    expect(open.filter((f) => f.includes('dev/S/Logs/'))).toEqual([]);
  });

  test('platform keys let only AWS services create grants (CT.KMS.PR.3 passes)', () => {
    const reports = synth((stack) => new PlatformKeys(stack, 'Keys'));
    expect(controlTowerFindings(reports).filter((f) => f.startsWith('kms_'))).toEqual([]);
  });

  test('each part of the gate can be switched off', () => {
    const build = (stack: Stack) => new s3.CfnBucket(stack, 'Leaky');
    const plugins = (options: ComplianceGateOptions) => new Set(synth(build, options).map((r) => r.pluginName));
    expect(plugins({})).toEqual(new Set(['AwsSolutions', 'NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321', CONTROL_TOWER_PLUGIN]));
    expect(plugins({ nagPacks: false, controlTower: false })).toEqual(new Set());
    expect(plugins({ nagPacks: false, plinthRules: true })).toEqual(new Set([CONTROL_TOWER_PLUGIN]));
  });
});
