import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { acknowledgeFinding } from '../../lib/compliance/acknowledge';
import { NAG_PACKS } from '../../lib/compliance/acknowledge';
import { Stack, Stage, Validations } from 'aws-cdk-lib';
import { applyComplianceGate } from '../../lib/compliance/compliance-gate';
import { assertPassingVerdict, synthesizeThroughGate } from '../../lib/compliance/enforce-gate';
import { AccessLogsBucket } from '../../lib/storage/secure-bucket';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

/** An expiry the register accepts whenever the suite runs (at most 12 months from synth). */
const IN_SIX_MONTHS = new Date(Date.now() + 182 * 86_400_000).toISOString().slice(0, 10);

describe('compliance gate', () => {
  test('reports an unencrypted, unlogged bucket under every pack and the CloudFormation validator', () => {
    // GIVEN / WHEN
    const { findings } = synthAloneThroughGate((stack) => new s3.CfnBucket(stack, 'Leaky'));
    // THEN
    const plugins = new Set(findings.map((f) => f.plugin));
    for (const pack of NAG_PACKS) expect(plugins).toContain(pack);
    expect(findings.map((f) => f.rule)).toEqual(
      expect.arrayContaining(['AwsSolutions-S1', 'NIST.800.53.R5-S3DefaultEncryptionKMS', 'HIPAA.Security-S3BucketSSLRequestsOnly']),
    );
  });

  test('the CloudFormation validator is part of the gate and reports template errors', () => {
    // GIVEN a queue whose retention period is outside what CloudFormation accepts
    const { findings } = synthAloneThroughGate((stack) => {
      const bucket = new s3.Bucket(stack, 'Bucket');
      (bucket.node.defaultChild as s3.CfnBucket).addPropertyOverride('NotAProperty', true);
    });
    // THEN
    expect(findings.filter((f) => f.plugin === 'CloudFormation Validate').length).toBeGreaterThan(0);
  });

  test('an acknowledged finding stays in the report, acknowledged, under its namespaced id', () => {
    // GIVEN
    const { findings, reports } = synthAloneThroughGate((stack) => {
      const bucket = new s3.CfnBucket(stack, 'Leaky');
      acknowledgeFinding(bucket, {
        rule: 'AwsSolutions-S1',
        reason: 'Fixture: proves the acknowledgement is recorded with its reason.',
        owner: 'ml-platform',
        expires: IN_SIX_MONTHS,
      });
    });
    // THEN it no longer counts against the gate ...
    expect(findings.map((f) => f.rule)).not.toContain('AwsSolutions-S1');
    // ... but the report still shows it, with who accepted it and until when.
    const aws = reports.find((r) => r.pluginName === 'AwsSolutions') as any;
    expect(aws.suppressedViolations).toContainEqual(
      expect.objectContaining({
        ruleName: 'AwsSolutions-S1',
        acknowledgedId: 'AwsSolutions::AwsSolutions-S1',
        reason: expect.stringContaining(`[owner: ml-platform; expires: ${IN_SIX_MONTHS}]`),
      }),
    );
  });

  test('warns about an acknowledgement that matched no finding (a stale waiver)', () => {
    // GIVEN a compliant bucket carrying a waiver for a finding it does not have
    const app = newApp();
    applyComplianceGate(app);
    const stack = new Stack(new Stage(app, 'dev', { env: TEST_ENV }), 'S');
    const logs = new AccessLogsBucket(stack, 'Logs');
    acknowledgeFinding(logs.bucket, { rule: 'AwsSolutions-SQS3', reason: 'Stale: no queue lives here any more.', owner: 'ml-platform', expires: IN_SIX_MONTHS });
    const warnings: string[] = [];
    // WHEN
    synthesizeThroughGate(app, (message) => warnings.push(message));
    // THEN
    expect(warnings.join('')).toContain('1 acknowledgement(s) matched no finding');
    expect(warnings.join('')).toContain('AwsSolutions::AwsSolutions-SQS3 at dev/S/Logs/Resource');
  });

  test('a non-compliant app inside a Stage exits 1 with the findings listed', () => {
    // GIVEN a bucket with no encryption, logging or TLS policy
    const root = path.join(__dirname, '..', '..');
    // WHEN
    const result = spawnSync(process.execPath, ['-r', './scripts/ts-register.js', 'test/fixtures/noncompliant-app.ts'], {
      cwd: root,
      env: { ...process.env, CDK_OUTDIR: path.join(root, 'test-output', 'noncompliant') },
      encoding: 'utf8',
    });
    // THEN
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/Compliance gate failed: \d+ unacknowledged finding\(s\)/);
    expect(result.stderr).toContain('AwsSolutions-S1 at dev/Leaky/Bucket/Resource');
  });

  // A failed gate leaves nothing deployable: test/compliance/failed-gate-refusal.test.ts (pinned CLI, no credentials).

  test('a passing gate says so in every assembly, and a local deploy accepts only that', () => {
    // GIVEN a compliant app
    const app = newApp();
    applyComplianceGate(app);
    new AccessLogsBucket(new Stack(new Stage(app, 'dev', { env: TEST_ENV }), 'S'), 'Logs');
    // WHEN it is synthesized through the gate
    const assembly = synthesizeThroughGate(app, () => {});
    // THEN its verdict passes, top-level and nested
    expect(() => assertPassingVerdict(assembly.directory)).not.toThrow();
    expect(() => assertPassingVerdict(path.join(assembly.directory, 'assembly-dev'))).not.toThrow();
    // AND an assembly without a verdict (made outside the gate) is refused
    const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-bare-'));
    expect(() => assertPassingVerdict(bare)).toThrow(/carries no compliance gate verdict/);
  });

  test('an acknowledgement outside the register (raw Validations.acknowledge) fails the gate, naming each finding it hid', () => {
    // GIVEN a leaky bucket whose findings are suppressed without acknowledgeFinding()
    const app = newApp();
    applyComplianceGate(app);
    const stack = new Stack(new Stage(app, 'dev', { env: TEST_ENV }), 'S');
    const bucket = new s3.CfnBucket(stack, 'Leaky');
    new AccessLogsBucket(stack, 'Logs');
    // every finding of the bucket, by every id the gate reports it under, acknowledged raw
    const { reports } = synthAloneThroughGate((s) => new s3.CfnBucket(s, 'Leaky'));
    const ids = new Set<string>();
    for (const report of reports) {
      for (const v of report.violations) ids.add(`${report.pluginName.replace(/ /g, '-')}::${v.ruleName}`);
    }
    for (const id of ids) Validations.of(bucket).acknowledge({ id, reason: '' });
    // WHEN
    let failure: Error | undefined;
    try {
      synthesizeThroughGate(app, () => {});
    } catch (error) {
      failure = error as Error;
    }
    // THEN the hidden findings fail the gate, each named
    expect(failure?.message).toMatch(/outside the waiver register/);
    expect(failure?.message).toMatch(/AwsSolutions-S1 at dev\/S\/Leaky/);
  });
});
