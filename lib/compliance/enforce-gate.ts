import type { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { PlinthError } from '../errors';
import * as fs from 'fs';
import * as path from 'path';
import { collectAcknowledgements } from './acknowledge';
import { gateFailureMessage, missingContextOf } from './gate-messages';
import { readPluginReports, unacknowledgedFindings, unusedAcknowledgements } from './validation-report';

/** Synth failed the compliance gate; the message lists each unacknowledged finding. */
export class ComplianceGateError extends PlinthError {}

/**
 * Synthesizes `app` and fails on any unacknowledged error in the validation report.
 *
 * The CDK CLI lets `cdk synth` pass when no top-level stack is selected, and every Plinth stack
 * is inside a Stage; so the gate reads the report itself instead of trusting the CLI.
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
  const errors = unacknowledgedFindings(reports, { errorsOnly: true });
  const missing = missingContextOf(app);
  if (errors.length > 0) throw new ComplianceGateError(gateFailureMessage(errors, missing));
  if (missing.length > 0) warn(`${gateFailureMessage([], missing)}\n`);
  return assembly;
}
