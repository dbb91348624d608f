/**
 * `plinth report --no-synth [--against]` on reports of the non-compliant fixture app (the one
 * test/compliance uses), written to test-output/. No AWS. The synth path is the main job's
 * `cdk synth`, covered by test/platform and by `npm start`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { collectAcknowledgements } from '../../lib/compliance/acknowledge';
import { complianceGateOf } from '../../lib/compliance/compliance-gate';
import { buildComplianceReport, writeComplianceReport } from '../../lib/compliance/report';
import { buildNoncompliantApp, FIXTURE_ENVIRONMENT } from '../compliance/noncompliant-fixture';
import { runCli } from './cli-harness';

const ROOT = path.join(__dirname, '..', '..', 'test-output', 'cli-report');
// The CLI only reads and rewrites reports: the CloudFormation validator adds nothing here (~6 s).
const savedValidation = process.env.CDK_VALIDATION;
process.env.CDK_VALIDATION = 'false';
const app = buildNoncompliantApp(new Date());
const report = buildComplianceReport({
  environment: FIXTURE_ENVIRONMENT,
  assembly: app.synth(),
  gate: complianceGateOf(app)!,
  acknowledgements: collectAcknowledgements(app),
});
if (savedValidation === undefined) delete process.env.CDK_VALIDATION;
else process.env.CDK_VALIDATION = savedValidation;

describe('plinth report', () => {
  const previousFile = path.join(ROOT, 'previous.json');

  beforeAll(() => {
    fs.rmSync(ROOT, { recursive: true, force: true });
    writeComplianceReport(path.join(ROOT, FIXTURE_ENVIRONMENT), report);
    // A previous report that lacked the first finding: the current one has 1 new finding since then.
    fs.writeFileSync(previousFile, JSON.stringify({ ...report, findings: report.findings.slice(1), evidence: { ...report.evidence, generatedAt: '2026-01-01T00:00:00.000Z' } }));
  });

  it('opens the report the last synth wrote and summarises it', async () => {
    const run = await runCli('report', '--env', FIXTURE_ENVIRONMENT, '--no-synth', '--dir', ROOT);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`open findings ${report.summary.openFindings}, acknowledged ${report.summary.acknowledgedFindings}`);
    expect(run.stdout).toContain(`open ${path.join(ROOT, FIXTURE_ENVIRONMENT, 'index.html')}`);
  });

  it('rewrites the report with the diff against a previous one', async () => {
    const run = await runCli('report', '--env', FIXTURE_ENVIRONMENT, '--no-synth', '--dir', ROOT, '--against', previousFile, '--json');
    expect(run.code).toBe(0);
    const out = run.json<{ diff: { newFindings: Array<{ finding: string; path: string }>; previousGeneratedAt: string } }>();
    expect(out.diff.previousGeneratedAt).toBe('2026-01-01T00:00:00.000Z');
    expect(out.diff.newFindings).toEqual([expect.objectContaining({ finding: report.findings[0]!.finding, path: report.findings[0]!.path })]);
    // and the files on disk carry it
    const written = JSON.parse(fs.readFileSync(path.join(ROOT, FIXTURE_ENVIRONMENT, 'report.json'), 'utf8'));
    expect(written.diff.newFindings).toHaveLength(1);
  });

  it('fails with the next step when there is no report yet', async () => {
    const run = await runCli('report', '--env', 'prod', '--no-synth', '--dir', ROOT);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`no compliance report for prod in ${ROOT}`);
    expect(run.stderr).toContain('next step: run plinth report --env prod');
  });

  it('fails when --against names a file that is not a report', async () => {
    const bogus = path.join(ROOT, 'bogus.json');
    fs.writeFileSync(bogus, '{"hello": 1}');
    const run = await runCli('report', '--env', FIXTURE_ENVIRONMENT, '--no-synth', '--dir', ROOT, '--against', bogus);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('is not a Plinth compliance report');
  });

  it('refuses --dir without --no-synth', async () => {
    const run = await runCli('report', '--dir', ROOT);
    expect(run.code).toBe(2);
  });
});
