import * as fs from 'fs';
import * as path from 'path';
import type { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { PlinthError } from '../errors';
import { collectAcknowledgements } from './acknowledge';
import { gateFailureMessage, missingContextOf } from './gate-messages';
import { readPluginReports, unacknowledgedFindings, unregisteredAcknowledgements, unusedAcknowledgements } from './validation-report';

/** Synth failed the compliance gate; the message lists each unacknowledged finding. */
export class ComplianceGateError extends PlinthError {}

/** The gate's verdict, written into the assembly and each nested assembly. */
export const GATE_VERDICT_FILE = 'plinth-gate-verdict.json';
/** What `manifest.json` becomes in an assembly that failed the gate: no CDK tool can deploy it. */
export const QUARANTINED_MANIFEST = 'manifest.gate-failed.json';

export interface GateVerdict {
  readonly passed: boolean;
  /** Unacknowledged (or unregistered) findings that failed the gate. */
  readonly findings: number;
  readonly at: string;
}

/** The assembly directory and every nested assembly (one per Stage) below it. */
function assemblyDirectories(root: string): string[] {
  const dirs = [root];
  for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name.startsWith('assembly-')) dirs.push(...assemblyDirectories(path.join(root, entry.name)));
  }
  return dirs;
}

/**
 * Records the verdict in every (nested) assembly. A failed one is also quarantined: its
 * manifest.json is renamed, so `cdk deploy --app <assembly>` finds no cloud assembly to deploy,
 * while the templates and reports stay for reading.
 */
function recordVerdict(root: string, verdict: GateVerdict): void {
  for (const dir of assemblyDirectories(root)) {
    fs.writeFileSync(path.join(dir, GATE_VERDICT_FILE), `${JSON.stringify(verdict, null, 2)}\n`);
    const manifest = path.join(dir, 'manifest.json');
    const quarantined = path.join(dir, QUARANTINED_MANIFEST);
    if (!verdict.passed && fs.existsSync(manifest)) fs.renameSync(manifest, quarantined);
    if (verdict.passed && fs.existsSync(quarantined)) fs.rmSync(quarantined);
  }
}

/**
 * Reads the gate's verdict on an assembly directory.
 *
 * @throws PlinthError unless the gate passed it
 */
export function assertPassingVerdict(directory: string): void {
  const file = path.join(directory, GATE_VERDICT_FILE);
  if (!fs.existsSync(file)) {
    throw new PlinthError(`${directory} carries no compliance gate verdict (${GATE_VERDICT_FILE}): synthesize it through the gate (npm run synth) before deploying`);
  }
  const verdict = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<GateVerdict>;
  if (verdict.passed !== true) {
    throw new PlinthError(`${directory} failed the compliance gate (${verdict.findings ?? '?'} finding(s), ${verdict.at ?? 'unknown time'}): fix them and synthesize again; it will not be deployed`);
  }
}

/**
 * Synthesizes `app` and fails on any unacknowledged error in the validation report.
 *
 * The CDK CLI lets `cdk synth` pass when no top-level stack is selected, and every Plinth stack
 * is inside a Stage; so the gate reads the report itself instead of trusting the CLI.
 *
 * On failure the assembly is quarantined (see {@link recordVerdict}): its reports stay, nothing in
 * it can be deployed. Acknowledgements outside the waiver register fail the gate too.
 *
 * @param afterSynth runs on the assembly before the gate judges it (Plinth writes the compliance report there)
 * @throws ComplianceGateError listing each finding by kind: compliance findings say how to fix or
 *   acknowledge them; CloudFormation template errors and unanswered context lookups only how to fix them
 */
export function synthesizeThroughGate(
  app: App,
  warn: (message: string) => void = (m) => process.stderr.write(m),
  afterSynth: (assembly: CloudAssembly) => void = () => {},
): CloudAssembly {
  let assembly: CloudAssembly;
  try {
    assembly = app.synth();
  } catch (error) {
    // With CDK's default `failSynthOnValidationErrors`, synth itself throws on a finding and its
    // message suggests acknowledging everything; give the gate's message, which says what kind each is.
    const report = path.join(app.outdir, 'validation-report.json');
    const errors = fs.existsSync(report) ? unacknowledgedFindings(readPluginReports(app.outdir), { errorsOnly: true }) : [];
    if (errors.length === 0) throw error;
    recordVerdict(app.outdir, { passed: false, findings: errors.length, at: new Date().toISOString() });
    throw new ComplianceGateError(gateFailureMessage(errors, missingContextOf(app)));
  }
  // Before the verdict, so a failing synth still leaves its evidence (the compliance report).
  afterSynth(assembly);
  const reports = readPluginReports(assembly.directory);
  // Acknowledgements scoped to a construct (`ifPresent`) are not the app's register to clean up.
  const stale = unusedAcknowledgements(reports, collectAcknowledgements(app).filter((ack) => !ack.ifPresent));
  if (stale.length > 0) {
    warn(
      `Compliance gate: ${stale.length} acknowledgement(s) matched no finding; remove them from the waiver register:\n` +
        `${stale.map((a) => `  - ${a.id} at ${a.path}`).join('\n')}\n`,
    );
  }
  const errors = [...unacknowledgedFindings(reports, { errorsOnly: true }), ...unregisteredAcknowledgements(reports, collectAcknowledgements(app))];
  recordVerdict(assembly.directory, { passed: errors.length === 0, findings: errors.length, at: new Date().toISOString() });
  const missing = missingContextOf(app);
  if (errors.length > 0) throw new ComplianceGateError(gateFailureMessage(errors, missing));
  if (missing.length > 0) warn(`${gateFailureMessage([], missing)}\n`);
  return assembly;
}
