import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack, Stage } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { acknowledgeFinding, NAG_PACKS } from '../../lib/compliance/acknowledge';
import { applyComplianceGate } from '../../lib/compliance/compliance-gate';
import { CONTROL_TOWER_PLUGIN, ruleGroupCheckLog } from '../../lib/compliance/control-tower';
import { ComplianceGateError, synthesizeThroughGate } from '../../lib/compliance/enforce-gate';
import { writeComplianceReports } from '../../lib/compliance/report';
import { filesSha256, TEMPLATE_CHECK_CACHE_FORMAT, templateCheckLog } from '../../lib/compliance/template-check-cache';
import { plinthCheckModules } from '../../lib/compliance/template-checks';
import { newApp, TEST_ENV } from '../support/gate';

const VALIDATOR = 'CloudFormation Validate';
const NOW = new Date('2026-06-01T00:00:00Z');

const tempDir = (prefix: string) => fs.mkdtempSync(path.join(os.tmpdir(), prefix));

/**
 * Two environments, each with a finding of every kind: every nag pack and Control Tower (an
 * unencrypted, unlogged bucket), Plinth (a model outside a VPC), the CloudFormation validator (a
 * property CloudFormation does not have), and an acknowledged finding (the queue).
 */
function buildFixture(outdir: string, cacheDirectory: string | false, prodRetentionSeconds = 345600) {
  fs.rmSync(outdir, { recursive: true, force: true });
  fs.mkdirSync(outdir, { recursive: true });
  const app = newApp({ validator: true, outdir });
  applyComplianceGate(app, { templateCheckCache: cacheDirectory });
  for (const env of ['dev', 'prod']) {
    const stack = new Stack(new Stage(app, env, { env: TEST_ENV }), 'Data');
    new s3.CfnBucket(stack, 'Leaky');
    const odd = new s3.CfnBucket(stack, 'Odd', { bucketEncryption: { serverSideEncryptionConfiguration: [{ serverSideEncryptionByDefault: { sseAlgorithm: 'aws:kms' } }] } });
    odd.addPropertyOverride('NotAProperty', true);
    new sagemaker.CfnModel(stack, 'OpenModel', { executionRoleArn: stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: 'm' }), primaryContainer: { image: 'img' } });
    const queue = new sqs.CfnQueue(stack, 'Queue', { sqsManagedSseEnabled: true, messageRetentionPeriod: env === 'prod' ? prodRetentionSeconds : 300000 });
    acknowledgeFinding(queue, { rule: 'AwsSolutions-SQS3', reason: 'Fixture: the queue is its own dead-letter target in this test.', owner: 'ml-platform', expires: '2027-05-31' }, NOW);
  }
  return app;
}

interface Run {
  readonly validationReport: string;
  readonly complianceReports: Record<string, string>;
  /** `checker source template` for each template check in this synth. */
  readonly checks: string[];
}

function synthFixture(outdir: string, cacheDirectory: string | false, prodRetentionSeconds?: number): Run {
  const app = buildFixture(outdir, cacheDirectory, prodRetentionSeconds);
  const logStart = templateCheckLog.length;
  const assembly = app.synth();
  const checks = templateCheckLog.slice(logStart).map((c) => `${c.checker} ${c.source} ${c.template}`);
  const reportRoot = tempDir('plinth-ct-report-');
  writeComplianceReports(app, assembly, reportRoot, { now: NOW });
  const complianceReports: Record<string, string> = {};
  for (const file of fs.readdirSync(reportRoot, { recursive: true, encoding: 'utf8' }).sort()) {
    const full = path.join(reportRoot, file);
    if (fs.statSync(full).isFile()) complianceReports[file] = fs.readFileSync(full, 'utf8');
  }
  return { validationReport: fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8'), complianceReports, checks };
}

const checked = (run: Run) => run.checks.filter((c) => c.includes(' checked ')).sort();
const cached = (run: Run) => run.checks.filter((c) => c.includes(' cached ')).sort();
const cacheFiles = (dir: string) =>
  fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(dir, f))
    .filter((f) => f.endsWith('.json'))
    .sort();

describe('cached template-level checks (Control Tower guard and CloudFormation validator)', () => {
  const outdir = tempDir('plinth-ct-out-');
  const cacheDirectory = tempDir('plinth-ct-cache-');
  let fresh: Run;
  let cold: Run;
  let warm: Run;

  beforeAll(() => {
    // From one call site: the report carries each construct's creation trace.
    [fresh, cold, warm] = [false as const, cacheDirectory, cacheDirectory].map((cache) => synthFixture(outdir, cache));
  });

  test('the fixture has findings from every checker, and no timestamps in the validation report', () => {
    const plugins = (JSON.parse(fresh.validationReport) as { pluginReports: Array<{ pluginName: string; violations: unknown[] }> }).pluginReports
      .filter((r) => r.violations.length > 0)
      .map((r) => r.pluginName);
    expect(plugins).toEqual(expect.arrayContaining([...NAG_PACKS, 'Plinth', VALIDATOR, CONTROL_TOWER_PLUGIN]));
    expect(fresh.validationReport).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
  });

  test('an empty cache checks every template; a warm one checks none', () => {
    const all = (source: string) => [VALIDATOR, CONTROL_TOWER_PLUGIN].flatMap((c) => ['devData', 'prodData'].map((t) => `${c} ${source} ${t}`)).sort();
    expect(checked(cold).map((c) => c.replace(/[0-9A-F]{8}\.template\.json$/, ''))).toEqual(all('checked'));
    expect(cached(cold)).toEqual([]);
    expect(cached(warm).map((c) => c.replace(/[0-9A-F]{8}\.template\.json$/, ''))).toEqual(all('cached'));
    expect(checked(warm)).toEqual([]);
  });

  test('a run from the cache writes a byte-identical validation report and identical compliance reports', () => {
    expect(warm.validationReport).toBe(cold.validationReport);
    expect(warm.complianceReports).toEqual(cold.complianceReports);
    expect(Object.keys(cold.complianceReports)).toEqual(expect.arrayContaining(['dev/report.json', 'prod/findings.sarif']));
  });

  test('with or without the cache, the reports are the same', () => {
    expect(cold.validationReport).toBe(fresh.validationReport);
    expect(cold.complianceReports).toEqual(fresh.complianceReports);
  });

  test('changing one resource in one environment re-checks only that template, and reports as a fresh run does', () => {
    // WHEN prod's queue keeps messages one day longer
    const [changed, freshChanged] = [cacheDirectory, false as const].map((cache) => synthFixture(outdir, cache, 432000));
    // THEN
    const names = (checks: string[]) => checks.map((c) => c.replace(/[0-9A-F]{8}\.template\.json$/, '')).sort();
    expect(names(checked(changed))).toEqual(names([`${CONTROL_TOWER_PLUGIN} checked prodData`, `${VALIDATOR} checked prodData`]));
    expect(names(cached(changed))).toEqual(names([`${CONTROL_TOWER_PLUGIN} cached devData`, `${VALIDATOR} cached devData`]));
    expect(changed.validationReport).toBe(freshChanged.validationReport);
    expect(changed.complianceReports).toEqual(freshChanged.complianceReports);
    expect(changed.validationReport).not.toBe(fresh.validationReport);
  });

  test("inside a changed template, only the Control Tower rule groups that read the changed resource's type run again", () => {
    // WHEN prod's queue keeps messages two days longer (a template no earlier test produced)
    const logStart = ruleGroupCheckLog.length;
    synthFixture(outdir, cacheDirectory, 518400);
    const runs = ruleGroupCheckLog.slice(logStart);
    // THEN the groups reading SQS queues re-ran on prod's template; the bucket and model groups came from the cache
    const checkedNow = runs.filter((r) => r.source === 'checked');
    expect(checkedNow.length).toBeGreaterThan(0);
    expect(checkedNow.every((r) => r.template.startsWith('prodData') && r.reads.includes('AWS::SQS::Queue'))).toBe(true);
    const cachedNow = runs.filter((r) => r.source === 'cached');
    expect(cachedNow.some((r) => r.template.startsWith('prodData') && r.reads.includes('AWS::S3::Bucket') && !r.reads.includes('AWS::SQS::Queue'))).toBe(true);
  });

  test('on a warm cache the gate still fails on an unacknowledged finding from every pack, the validator and Control Tower', () => {
    // GIVEN a cache holding every template's result
    const app = buildFixture(outdir, cacheDirectory);
    const logStart = templateCheckLog.length;
    // WHEN / THEN
    let message = '';
    expect(() => {
      try {
        synthesizeThroughGate(app, () => {});
      } catch (error) {
        message = (error as Error).message;
        throw error;
      }
    }).toThrow(ComplianceGateError);
    expect(templateCheckLog.slice(logStart).every((c) => c.source === 'cached')).toBe(true);
    for (const plugin of [...NAG_PACKS, 'Plinth', VALIDATOR, CONTROL_TOWER_PLUGIN]) expect(message).toContain(`] ${plugin} `);
    expect(message).toContain(`${VALIDATOR} F3002 at dev/Data/Odd`);
    expect(message).toContain(`${CONTROL_TOWER_PLUGIN} s3_bucket_logging_enabled_check at prod/Data/Leaky`);
    // the acknowledged finding stays acknowledged
    expect(message).not.toContain('AwsSolutions-SQS3');
  });

  test("every entry's key holds a hash of the Plinth code that reduces the templates and reads the results", () => {
    // The IAM action step runs after the reduced template is hashed, and the stored findings are
    // what Plinth's own code read from each tool: results stored by other code are never reused.
    const compliance = path.join(__dirname, '..', '..', 'lib', 'compliance');
    const names = (checker: 'control-tower' | 'validator') => plinthCheckModules(checker).map((f) => path.relative(compliance, f));
    expect(names('control-tower')).toEqual(
      expect.arrayContaining(['control-tower.ts', 'control-tower-iam-actions.ts', 'control-tower-projections.ts', 'control-tower-rule-files.ts', 'template-checks.ts']),
    );
    expect(names('validator')).toEqual(['template-checks.ts', 'validator-engine.ts']);
    const entries = cacheFiles(cacheDirectory).map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as { key: { checker: string; tooling: Record<string, string> } });
    expect(new Set(entries.map((e) => e.key.checker))).toEqual(new Set([VALIDATOR, CONTROL_TOWER_PLUGIN, `${CONTROL_TOWER_PLUGIN}.rule-group`]));
    for (const entry of entries) {
      const modules = plinthCheckModules(entry.key.checker === VALIDATOR ? 'validator' : 'control-tower');
      expect(entry.key.tooling.plinthCode).toBe(filesSha256(modules, compliance));
    }
    expect(filesSha256(plinthCheckModules('control-tower'), compliance)).not.toBe(filesSha256(plinthCheckModules('validator'), compliance));
  });

  test('corrupted, foreign and edited cache entries are ignored and checked again', () => {
    // GIVEN a warm cache of its own, all but one of whose entries are damaged
    const ownCache = tempDir('plinth-ct-cache-');
    synthFixture(outdir, ownCache);
    const groupFiles = cacheFiles(ownCache).filter((f) => f.includes(`${CONTROL_TOWER_PLUGIN}.rule-group`));
    const files = cacheFiles(ownCache).filter((f) => !groupFiles.includes(f));
    expect(files).toHaveLength(4);
    expect(groupFiles.length).toBeGreaterThan(0);
    const contents = files.map((f) => fs.readFileSync(f, 'utf8'));
    // Validator entries sort first (upper-case C), then the Control Tower ones.
    const [validatorA, validatorB, guardA, guardB] = files;
    expect(validatorA).toContain('CloudFormation_Validate');
    expect(guardA).toContain(CONTROL_TOWER_PLUGIN);
    // truncated
    fs.writeFileSync(validatorA, contents[0].slice(0, contents[0].length / 2));
    // foreign: another template's valid entry under this one's name
    fs.writeFileSync(validatorB, contents[0]);
    // edited: its findings removed, the checksum left as it was
    const entry = JSON.parse(contents[2]);
    expect(entry.format).toBe(TEMPLATE_CHECK_CACHE_FORMAT);
    fs.writeFileSync(guardA, JSON.stringify({ ...entry, result: { violations: [] } }));
    // every per-rule-group entry of the guard edited the same way
    for (const file of groupFiles) {
      const groupEntry = JSON.parse(fs.readFileSync(file, 'utf8'));
      fs.writeFileSync(file, JSON.stringify({ ...groupEntry, result: { violations: [] } }));
    }
    // a file that is not an entry at all, next to them
    fs.writeFileSync(path.join(path.dirname(guardB), 'not-an-entry.json'), '{"hello": "world"}');
    // WHEN
    const [run, reference] = [ownCache, false as const].map((cache) => synthFixture(outdir, cache));
    // THEN every damaged entry was checked again, and the reports are the fresh ones
    expect(checked(run)).toHaveLength(3);
    expect(cached(run)).toEqual([expect.stringContaining(`${CONTROL_TOWER_PLUGIN} cached`)]);
    expect(run.validationReport).toBe(reference.validationReport);
    expect(run.complianceReports).toEqual(reference.complianceReports);
  });
});
