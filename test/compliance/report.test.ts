import * as fs from 'fs';
import * as path from 'path';
import '@microsoft/jest-sarif';
import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { collectAcknowledgements } from '../../lib/compliance/acknowledge';
import { complianceGateOf } from '../../lib/compliance/compliance-gate';
import { controlIdsIn } from '../../lib/compliance/evidence';
import {
  buildComplianceReport,
  ComplianceReportError,
  diffComplianceReports,
  FINDINGS_CSV_HEADER,
  readComplianceReport,
  writeComplianceReport,
  REPORT_FILES,
  writeComplianceReports,
  type ComplianceReport,
} from '../../lib/compliance/report';
import { readPluginReports } from '../../lib/compliance/validation-report';
import {
  buildNoncompliantApp,
  EXPECTED_ACKNOWLEDGED,
  EXPECTED_OPEN_FINDINGS,
  FIXTURE_ENVIRONMENT,
  WAIVER_DAYS_LEFT,
} from './noncompliant-fixture';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace jest {
    interface Matchers<R> {
      toBeValidSarifLog(): R;
    }
  }
}

const ROOT = path.join(__dirname, '..', '..');
const OUT_DIR = path.join(ROOT, 'test-output', 'compliance-report', FIXTURE_ENVIRONMENT);

// One synth of the non-compliant fixture through the whole gate (nag packs, Plinth, Control Tower).
const today = new Date();
const app = buildNoncompliantApp(today);
const assembly = app.synth();
const gate = complianceGateOf(app)!;
const report = buildComplianceReport({
  environment: FIXTURE_ENVIRONMENT,
  assembly,
  gate,
  acknowledgements: collectAcknowledgements(app),
  now: today,
  git: { commit: '0123456789abcdef0123456789abcdef01234567', dirty: true },
});
fs.rmSync(OUT_DIR, { recursive: true, force: true });
writeComplianceReport(OUT_DIR, report);
const read = (file: string) => fs.readFileSync(path.join(OUT_DIR, file), 'utf8');
const findingKey = (f: { plugin: string; finding: string; path: string }) => `${f.plugin} ${f.finding} ${f.path}`;

describe('the compliance report', () => {
  test('its numbers are consistent: every resource once, and outcomes add up to rules × resources', () => {
    const templateResources = report.evidence.templates.flatMap((t) => {
      const template = JSON.parse(fs.readFileSync(path.join(assembly.directory, `assembly-${FIXTURE_ENVIRONMENT}`, t.file), 'utf8'));
      return Object.keys(template.Resources).map((id) => `${t.stack}|${id}`);
    });
    const inventoryKeys = report.inventory.map((i) => `${i.stack}|${i.logicalId}`);
    expect(new Set(inventoryKeys).size).toBe(inventoryKeys.length);
    expect([...inventoryKeys].sort()).toEqual([...templateResources].sort());

    const inventoryPaths = new Set(report.inventory.map((i) => i.path));
    for (const rule of report.rules) {
      expect([rule.id, rule.pass + rule.fail + rule.acknowledged + rule.notApplicable]).toEqual([rule.id, rule.resourcesEvaluated]);
      expect([rule.id, rule.resourcesEvaluated]).toEqual([rule.id, report.inventory.length]);
      for (const result of rule.results) expect(inventoryPaths).toContain(result.path);
    }
    const s = report.summary;
    expect(s.pass + s.fail + s.acknowledged + s.notApplicable).toBe(s.evaluations);
    expect(s.evaluations).toBe(s.rules * s.resources);
    expect(s.rules).toBe(report.rules.length);
    expect(new Set(report.rules.map((r) => r.source))).toEqual(new Set(['cdk-nag', 'plinth', 'control-tower']));
  });

  test('records passes as evidence, and exactly the failures cdk-nag reported', () => {
    const s1 = report.rules.find((r) => r.id === 'AwsSolutions-S1')!;
    expect(s1.results).toContainEqual(expect.objectContaining({ path: 'dev/Data/Leaky', outcome: 'fail' }));
    const sqs4 = report.rules.find((r) => r.id === 'AwsSolutions-SQS4')!;
    expect(sqs4.results).toContainEqual(expect.objectContaining({ path: 'dev/Data/Queue' }));
    // What the recording saw fail is what cdk-nag put in the validation report, per rule and resource.
    const recorded = gate.evidence.evaluations
      .filter((e) => e.outcome === 'fail')
      .flatMap((e) => e.findings.filter((f) => !e.acknowledgedFindings.includes(f)).map((f) => `${e.plugin} ${f} ${e.resource.path}`));
    const reported = readPluginReports(assembly.directory)
      .filter((r) => ['AwsSolutions', 'NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321', 'Plinth'].includes(r.pluginName))
      .flatMap((r) => r.violations.flatMap((v) => v.violatingConstructs.map((c) => `${r.pluginName} ${v.ruleName} ${c.constructPath}`)));
    expect(recorded.sort()).toEqual(reported.sort());
  });

  test('takes control ids from the rules themselves, and lists what no tool assesses', () => {
    expect(controlIdsIn('Bucket is not encrypted - (Control IDs: AU-9(3), CP-9d, SC-28(1)). Ports (20, 21) stay closed.')).toEqual(['AU-9(3)', 'CP-9d', 'SC-28(1)']);
    const nistIds = report.frameworks.find((f) => f.id === 'NIST.800.53.R5')!.controls.map((c) => c.id);
    expect(nistIds.filter((id) => /^\d+$/.test(id))).toEqual([]);
    const nist = report.frameworks.find((f) => f.id === 'NIST.800.53.R5')!;
    const nagRule = report.rules.find((r) => r.id === 'NIST.800.53.R5-S3DefaultEncryptionKMS')!;
    for (const control of nagRule.controls) expect(nist.controls.find((c) => c.id === control)?.rules).toContain(nagRule.id);
    const ct = report.frameworks.find((f) => f.id === 'ControlTower')!;
    expect(ct.controls.find((c) => c.id === 'CT.S3.PR.2')).toMatchObject({ rules: ['s3_bucket_logging_enabled_check'], outcome: 'fail' });
    expect(nist.notAssessedByTooling.length).toBeGreaterThan(0);
    for (const manual of nist.notAssessedByTooling) expect(manual.procedure).toContain('docs/compliance.md');
    const plinth = report.frameworks.find((f) => f.id === 'Plinth')!;
    expect(plinth.controls.map((c) => c.id)).toContain('Plinth-ModelApproverSeparateFromRegistrar');
  });

  test('the evidence header names commit, tools, environment and a hash per template', () => {
    expect(report.evidence).toMatchObject({
      environment: 'dev',
      account: '123456789012',
      region: 'us-east-1',
      git: { commit: '0123456789abcdef0123456789abcdef01234567', dirty: true },
      versions: { awsCdkLib: '2.276.0', cdkNag: '3.0.2', cloudFormationValidator: expect.stringMatching(/^\d+\.\d+\.\d+/), cdkValidatorCfnguard: '0.0.62', plinthRules: expect.any(String) },
    });
    expect(report.evidence.templates).toEqual([{ stack: 'dev/Data', file: expect.stringMatching(/\.template\.json$/), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
  });

  test('the fixture produces the expected failures in report.json, report.md, index.html, findings.csv and findings.sarif', () => {
    const json = readComplianceReport(path.join(OUT_DIR, 'report.json'));
    const open = json.findings.filter((f) => f.outcome === 'fail').map(findingKey);
    expect(open).toEqual(expect.arrayContaining([...EXPECTED_OPEN_FINDINGS]));
    expect(json.findings.filter((f) => f.outcome === 'acknowledged').map(findingKey)).toContain(EXPECTED_ACKNOWLEDGED);

    const csv = read('findings.csv').trim().split('\r\n');
    expect(csv[0]).toBe(FINDINGS_CSV_HEADER.join(','));
    const csvKeys = csv.slice(1).map((line) => line.split(',')).map((c) => `${c[0]} ${c[1]} ${c[3]} ${c[9]}`);
    for (const expected of EXPECTED_OPEN_FINDINGS) expect(csvKeys).toContain(`fail ${expected}`);
    expect(csvKeys).toContain(`acknowledged ${EXPECTED_ACKNOWLEDGED}`);
    expect(csv.length - 1).toBe(json.findings.length);

    const sarif = JSON.parse(read('findings.sarif'));
    const results = sarif.runs[0].results as any[];
    const sarifKeys = results.map((r) => `${r.partialFingerprints.plinthFinding.replace(/\|/g, ' ')} ${r.suppressions ? 'suppressed' : 'open'}`);
    for (const expected of EXPECTED_OPEN_FINDINGS) expect(sarifKeys).toContain(`${expected} open`);
    expect(sarifKeys).toContain(`${EXPECTED_ACKNOWLEDGED} suppressed`);

    const markdown = read('report.md');
    const html = read('index.html');
    for (const expected of EXPECTED_OPEN_FINDINGS) {
      const [, finding, where] = expected.split(' ');
      expect(markdown).toContain(`| FAIL | ${expected.split(' ')[0]} | ${finding.replace(/\|/g, '\\|')} | ${where} |`);
      expect(html).toContain(`<code>${finding.replace(/&/g, '&amp;')}</code>`);
      expect(html).toContain(`<code>${where}</code>`);
    }
  });

  test('findings.sarif is valid SARIF 2.1.0', () => {
    expect(JSON.parse(read('findings.sarif'))).toBeValidSarifLog();
  });

  test('report.json validates against the published schema', () => {
    const ajv = new Ajv({ allErrors: true, strict: true });
    addFormats(ajv);
    const validate = ajv.compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'docs', 'compliance-report.schema.json'), 'utf8')));
    const valid = validate(JSON.parse(read('report.json')));
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  test('the waiver register flags a waiver that expires within 30 days', () => {
    const waiver = report.waivers.find((w) => w.id === 'AwsSolutions::AwsSolutions-SQS3')!;
    expect(waiver).toMatchObject({ path: 'dev/Data/Queue', owner: 'ml-platform', daysLeft: WAIVER_DAYS_LEFT, expiringSoon: true, findingsCovered: 1 });
    expect(report.summary.waiversExpiringSoon).toBe(1);
    expect(read('index.html')).toContain(`${WAIVER_DAYS_LEFT} (expires within 30 days)`);
    expect(read('report.md')).toContain(`${WAIVER_DAYS_LEFT} ⚠ expires within 30 days`);
  });

  test('the inventory says how each resource is encrypted, exposed, logged and tagged', () => {
    const leaky = report.inventory.find((i) => i.path === 'dev/Data/Leaky')!;
    expect(leaky).toMatchObject({ type: 'AWS::S3::Bucket', encryption: 'S3 default (SSE-S3)', publicExposure: 'possible (public access not fully blocked)', logging: 'no access logs', dataClassification: null, owner: null });
    expect(report.inventory.find((i) => i.path === 'dev/Data/Queue')).toMatchObject({ encryption: 'SSE-SQS (SQS-managed key)' });
  });

  test('a previous report.json gives the diff: new and resolved findings, waivers and resources', () => {
    const previous: ComplianceReport = JSON.parse(JSON.stringify(report));
    const dropped = previous.findings.find((f) => f.outcome === 'fail' && f.path === 'dev/Data/OpenModel')!;
    (previous as any).findings = [
      ...previous.findings.filter((f) => f !== dropped),
      { ...dropped, finding: 'AwsSolutions-Gone', plugin: 'AwsSolutions', path: 'dev/Data/Removed' },
    ];
    (previous as any).waivers = previous.waivers.filter((w) => w.id !== 'AwsSolutions::AwsSolutions-SQS3');
    (previous as any).inventory = [
      ...previous.inventory.filter((i) => i.path !== 'dev/Data/Leaky'),
      { ...previous.inventory[0], logicalId: 'RemovedThing', path: 'dev/Data/Removed' },
    ];
    const diff = diffComplianceReports(previous, report);
    expect(diff.newFindings).toContainEqual({ plugin: 'Plinth', finding: 'Plinth-SageMakerModelIsolatedInVpc', path: 'dev/Data/OpenModel' });
    expect(diff.resolvedFindings).toEqual([{ plugin: 'AwsSolutions', finding: 'AwsSolutions-Gone', path: 'dev/Data/Removed' }]);
    expect(diff.newWaivers).toEqual([{ id: 'AwsSolutions::AwsSolutions-SQS3', path: 'dev/Data/Queue' }]);
    expect(diff.addedResources.map((r) => r.path)).toEqual(['dev/Data/Leaky']);
    expect(diff.removedResources.map((r) => r.path)).toEqual(['dev/Data/Removed']);

    const withDiff = path.join(OUT_DIR, '..', 'with-diff');
    writeComplianceReport(withDiff, report, { previous });
    expect(readComplianceReport(path.join(withDiff, 'report.json')).diff?.resolvedFindings).toEqual(diff.resolvedFindings);
    expect(fs.readFileSync(path.join(withDiff, 'report.md'), 'utf8')).toContain('| resolved finding | AwsSolutions-Gone at dev/Data/Removed |');
  });

  test('writeComplianceReports writes <root>/<env>/ in every form, and diffs against the report already there', () => {
    const root = path.join(OUT_DIR, '..', 'per-environment');
    fs.rmSync(root, { recursive: true, force: true });
    const first = writeComplianceReports(app, assembly, root, { now: today });
    expect([...first.keys()]).toEqual([FIXTURE_ENVIRONMENT]);
    expect(fs.readdirSync(path.join(root, FIXTURE_ENVIRONMENT)).sort()).toEqual([...REPORT_FILES].sort());
    expect(first.get(FIXTURE_ENVIRONMENT)?.diff).toBeUndefined();
    const second = writeComplianceReports(app, assembly, root, { now: today }).get(FIXTURE_ENVIRONMENT)!;
    expect(second.diff).toMatchObject({ newFindings: [], resolvedFindings: [], newWaivers: [], addedResources: [], removedResources: [] });
  });

  test('stacks outside any Stage are reported as environment "" without the staged ones', () => {
    const rootApp = buildNoncompliantApp(today, { controlTower: false });
    new s3.CfnBucket(new Stack(rootApp, 'Root'), 'Loose');
    const rootReport = buildComplianceReport({
      environment: '',
      assembly: rootApp.synth(),
      gate: complianceGateOf(rootApp)!,
      acknowledgements: collectAcknowledgements(rootApp),
      now: today,
      git: { commit: null, dirty: null },
    });
    expect(rootReport.inventory.map((i) => i.path)).toEqual(['Root/Loose']);
    for (const rule of rootReport.rules) expect(rule.resourcesEvaluated).toBe(1);
    expect(rootReport.findings.map((f) => f.path)).not.toContain('dev/Data/Leaky');
  });

  test('reading something that is not a report says so', () => {
    const bogus = path.join(OUT_DIR, '..', 'bogus.json');
    fs.writeFileSync(bogus, JSON.stringify({ schemaVersion: '0.1' }));
    expect(() => readComplianceReport(bogus)).toThrow(ComplianceReportError);
  });
});
