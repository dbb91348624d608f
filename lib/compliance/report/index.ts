import * as fs from 'fs';
import * as path from 'path';
import { Stack, Stage } from 'aws-cdk-lib';
import type { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { PlinthError } from '../../errors';
import { collectAcknowledgements } from '../acknowledge';
import { complianceGateOf } from '../compliance-gate';
import { buildComplianceReport, gitState } from './build';
import { diffComplianceReports } from './diff';
import { renderHtml } from './html';
import { REPORT_SCHEMA_VERSION, type ComplianceReport } from './model';
import { renderFindingsCsv, renderMarkdown, renderSarif } from './render';

export { buildComplianceReport, gitState } from './build';
export type { BuildComplianceReportInput } from './build';
export { diffComplianceReports } from './diff';
export { renderHtml } from './html';
export * from './model';
export { FINDINGS_CSV_HEADER, renderFindingsCsv, renderMarkdown, renderSarif, summaryCounts } from './render';

/** The files {@link writeComplianceReport} writes into its directory. */
export const REPORT_FILES = ['index.html', 'report.md', 'report.json', 'findings.csv', 'findings.sarif'] as const;

/** A report.json that cannot be read back. */
export class ComplianceReportError extends PlinthError {}

/**
 * Writes the report in every form: index.html, report.md, report.json, findings.csv and
 * findings.sarif. Given a previous report, the diff against it is included.
 *
 * @returns the report as written (with its diff)
 */
export function writeComplianceReport(
  outDir: string,
  report: ComplianceReport,
  options: { readonly previous?: ComplianceReport } = {},
): ComplianceReport {
  const written = options.previous ? { ...report, diff: diffComplianceReports(options.previous, report) } : report;
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'report.json'), `${JSON.stringify(written, undefined, 2)}\n`);
  fs.writeFileSync(path.join(outDir, 'report.md'), renderMarkdown(written));
  fs.writeFileSync(path.join(outDir, 'index.html'), renderHtml(written));
  fs.writeFileSync(path.join(outDir, 'findings.csv'), renderFindingsCsv(written));
  fs.writeFileSync(path.join(outDir, 'findings.sarif'), `${JSON.stringify(renderSarif(written), undefined, 2)}\n`);
  return written;
}

/** Reads a report.json written by {@link writeComplianceReport}. */
export function readComplianceReport(file: string): ComplianceReport {
  let parsed: ComplianceReport;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as ComplianceReport;
  } catch (error) {
    throw new ComplianceReportError(`Cannot read the compliance report ${file}: ${(error as Error).message}`);
  }
  if (parsed?.schemaVersion?.split('.')[0] !== REPORT_SCHEMA_VERSION.split('.')[0] || !parsed.evidence || !Array.isArray(parsed.findings)) {
    throw new ComplianceReportError(
      `${file} is not a Plinth compliance report of schema ${REPORT_SCHEMA_VERSION} (found schemaVersion ${parsed?.schemaVersion ?? 'none'})`,
    );
  }
  return parsed;
}

/** The previous report, or undefined (with a warning) when it cannot be read: a diff is not worth failing synth. */
function readPreviousReport(file: string, warn: (message: string) => void = (m) => process.stderr.write(m)): ComplianceReport | undefined {
  try {
    return readComplianceReport(file);
  } catch (error) {
    warn(`Compliance report: no diff, the previous report is unreadable: ${(error as Error).message}\n`);
    return undefined;
  }
}

/** The environments of an App: its top-level Stages. */
export function environmentsOf(app: App): string[] {
  return app.node.children.filter((c): c is Stage => Stage.isStage(c)).map((s) => s.stageName);
}

/** Where the report of an App's own stacks (outside any Stage, as a consumer's app has them) goes: `<outRoot>/app/`. */
export const TOP_LEVEL_STACKS_REPORT = 'app';

/**
 * Builds and writes `<outRoot>/<env>/` for every environment (top-level Stage) of a synthesized App,
 * and `<outRoot>/app/` for the stacks directly on the App. A report.json
 * already there is read first and becomes the previous report of the diff.
 *
 * @throws ComplianceReportError when the compliance gate was not applied to `app`
 */
export function writeComplianceReports(
  app: App,
  assembly: CloudAssembly,
  outRoot: string,
  options: { readonly now?: Date; readonly warn?: (message: string) => void } = {},
): Map<string, ComplianceReport> {
  const gate = complianceGateOf(app);
  if (!gate) throw new ComplianceReportError('The compliance report needs the gate on the App: call applyComplianceGate(app) before synth.');
  const acknowledgements = collectAcknowledgements(app);
  // One commit for every environment's report: asked of git once.
  const git = gitState();
  const written = new Map<string, ComplianceReport>();
  // A consumer's app puts its stacks straight on the App: they get a report of their own ('').
  const hasTopLevelStacks = app.node.children.some((c) => Stack.isStack(c));
  for (const environment of [...(hasTopLevelStacks ? [''] : []), ...environmentsOf(app)]) {
    const outDir = path.join(outRoot, environment === '' ? TOP_LEVEL_STACKS_REPORT : environment);
    const previousFile = path.join(outDir, 'report.json');
    const previous = fs.existsSync(previousFile) ? readPreviousReport(previousFile, options.warn) : undefined;
    const report = buildComplianceReport({ environment, assembly, gate, acknowledgements, git, ...(options.now ? { now: options.now } : {}) });
    written.set(environment, writeComplianceReport(outDir, report, previous ? { previous } : {}));
  }
  return written;
}
