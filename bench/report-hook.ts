/**
 * Times the auditor report after a synth, as the main job makes it: `writeComplianceReports`
 * (lib/compliance/report) for every environment, into a temporary directory. Loaded dynamically,
 * so the bench still runs (and says so) where the report module does not exist.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { App } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';

const REPORT_INDEX = path.join(__dirname, '..', 'lib', 'compliance', 'report', 'index.ts');

type WriteReports = (app: App, assembly: CloudAssembly, outRoot: string) => Map<string, unknown>;

export function generateReport(app: App, assemblyDirectory: string): { ms?: number; note: string } {
  if (!fs.existsSync(REPORT_INDEX)) return { note: 'lib/compliance/report/index.ts not present: report not measured' };
  const write = (require(REPORT_INDEX) as { writeComplianceReports?: WriteReports }).writeComplianceReports;
  if (typeof write !== 'function') return { note: 'writeComplianceReports not exported: report not measured' };
  const outRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-bench-report-'));
  const start = process.hrtime.bigint();
  const written = write(app, new CloudAssembly(assemblyDirectory), outRoot);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const files = fs.readdirSync(outRoot, { recursive: true, encoding: 'utf8' }).filter((f) => fs.statSync(path.join(outRoot, f)).isFile());
  fs.rmSync(outRoot, { recursive: true, force: true });
  return { ms, note: `writeComplianceReports: ${written.size} environment(s), ${files.length} files` };
}
