import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type ComplianceReport, readComplianceReport, writeComplianceReport } from '../../lib/compliance/report';
import { optionValue } from '../args';
import type { Command } from '../command';
import { packageRoot } from '../package-root';
import { type CommandContext, environmentConfig } from '../context';
import { CliError, EXIT, UsageError } from '../errors';

const ROOT = packageRoot();
/** Where `cdk synth` (bin/plinth.ts) writes each environment's report. */
export const REPORT_ROOT = join(ROOT, 'compliance');

export const reportCommand: Command = {
  name: 'report',
  summary: 'synthesize an environment through the compliance gate and write its auditor report, optionally compared with a previous one',
  usage: 'plinth report [--env dev] [--against previous.json] [--no-synth [--dir compliance]] [--json]',
  options: [
    { name: 'env', description: 'environment (config/<env>.ts); default dev' },
    { name: 'against', description: 'a previous report.json: the report shows new and resolved findings, waivers and resources since then' },
    { name: 'no-synth', flag: true, description: 'open the report the last synth wrote instead of synthesizing again' },
    { name: 'dir', description: 'with --no-synth: the report root holding <env>/report.json (default compliance/)' },
  ],
  async run(args, context) {
    const environment = environmentConfig(optionValue(args, 'env', 'dev')!).name;
    const synth = !args.options['no-synth'];
    if (synth && optionValue(args, 'dir')) throw new UsageError('--dir needs --no-synth: a synth always writes to compliance/');
    const root = resolve(optionValue(args, 'dir') ?? REPORT_ROOT);
    const directory = join(root, environment);
    if (synth) await synthesize(context, environment);
    const file = join(directory, 'report.json');
    if (!existsSync(file)) {
      throw new CliError(`no compliance report for ${environment} in ${root}`, `run plinth report --env ${environment} (it synthesizes and writes one)`);
    }
    let report = readComplianceReport(file);
    const against = optionValue(args, 'against');
    if (against) {
      if (!existsSync(against)) throw new CliError(`--against ${against} does not exist`, 'pass the report.json of an earlier synth (e.g. a CI artifact)');
      const { diff: _previousDiff, ...current } = report;
      report = writeComplianceReport(directory, current, { previous: readComplianceReport(against) });
    }
    const html = join(directory, 'index.html');
    if (context.json) context.out(JSON.stringify({ ok: true, environment, directory, html, summary: report.summary, diff: report.diff ?? null }));
    else context.out(formatReport(report, html));
    return EXIT.ok;
  },
};

function synthesize(context: CommandContext, environment: string): Promise<void> {
  context.progress(`synthesizing ${environment} through the compliance gate (about a minute)...`);
  return new Promise((resolvePromise, reject) => {
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--no-notices', '-c', `env=${environment}`], {
      cwd: ROOT,
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-8_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) return resolvePromise();
      const tail = output.split('\n').filter((l) => l.trim()).slice(-12).join('\n');
      reject(new CliError(`the synth of ${environment} failed:\n${tail}`, 'fix or acknowledge each finding listed (docs/compliance.md), then run plinth report again'));
    });
  });
}

export function formatReport(report: ComplianceReport, html: string): string {
  const s = report.summary;
  const lines = [
    `Compliance report of ${report.evidence.environment} (${report.evidence.account}/${report.evidence.region}), synthesized ${report.evidence.generatedAt}`,
    `  resources ${s.resources}, rules ${s.rules}, controls assessed ${s.controlsAssessed} (not assessed ${s.controlsNotAssessed})`,
    `  open findings ${s.openFindings}, acknowledged ${s.acknowledgedFindings}, waivers ${s.waivers} (${s.waiversExpiringSoon} expiring soon)`,
  ];
  const d = report.diff;
  if (d) {
    lines.push(
      `  since ${d.previousGeneratedAt}: ${d.newFindings.length} new and ${d.resolvedFindings.length} resolved findings, ` +
        `${d.newWaivers.length} new and ${d.removedWaivers.length} removed waivers, ${d.addedResources.length} added and ${d.removedResources.length} removed resources`,
    );
  }
  lines.push(`open ${html}`);
  return lines.join('\n');
}
