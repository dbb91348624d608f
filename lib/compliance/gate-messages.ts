import { Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { CLOUDFORMATION_VALIDATOR } from './acknowledge';
import { formatFindings, PLUGIN_FAILED, type UnacknowledgedFinding } from './validation-report';

/**
 * What kind of problem a gate finding is, which decides what its message may suggest.
 * - `finding`: a compliance rule; fix it or acknowledge it with a reason, owner and expiry.
 * - `template-error`: CloudFormation would reject the template (the validator's E- and F-rules, a
 *   schema error); no acknowledgement makes a deploy work, so the message only says how to fix it.
 * - `check-failed`: a check (validation plugin) threw instead of reporting; what it would have
 *   found is unknown, so nothing can acknowledge it.
 */
export type GateFindingKind = 'finding' | 'template-error' | 'check-failed';

/** A context lookup synth could not answer, so CDK used a placeholder (`dummy1a`, ...). */
export interface MissingContext {
  readonly key: string;
  readonly provider: string;
}

/** The kind of one unacknowledged finding. */
export function gateFindingKind(finding: UnacknowledgedFinding): GateFindingKind {
  if (finding.rule === PLUGIN_FAILED) return 'check-failed';
  return finding.plugin === CLOUDFORMATION_VALIDATOR && /^[EF]\d+$/.test(finding.rule) ? 'template-error' : 'finding';
}

/**
 * The context lookups every stack under `root` asked for and did not get: each needs AWS
 * credentials at synth, and until answered CDK builds with placeholders.
 */
export function missingContextOf(root: IConstruct): MissingContext[] {
  const missing = new Map<string, MissingContext>();
  for (const node of root.node.findAll()) {
    if (!Stack.isStack(node)) continue;
    // Stack records each unanswered lookup here (what becomes `missing` in manifest.json).
    const reported = (node as unknown as { _missingContext?: Array<{ key: string; provider: string }> })._missingContext ?? [];
    for (const entry of reported) missing.set(entry.key, { key: entry.key, provider: entry.provider });
  }
  return [...missing.values()];
}

/**
 * The gate's verdict as a message, one part per kind of problem. Only compliance findings
 * suggest an acknowledgement; missing lookups and template errors say how to fix them.
 */
export function gateFailureMessage(errors: readonly UnacknowledgedFinding[], missingContext: readonly MissingContext[] = []): string {
  const parts: string[] = [];
  if (missingContext.length > 0) {
    parts.push(
      `Synth needs ${missingContext.length} context lookup(s) that call AWS with credentials, and built with placeholders ` +
        `instead: ${missingContext.map((m) => m.key).join(', ')}. Findings on placeholder values are not real. Fix: give the ` +
        'values instead of looking them up (PlatformNetwork takes availabilityZones as a prop; put any other value in the ' +
        "app's context, cdk.json), or run cdk synth once with credentials to fill cdk.context.json. This cannot be acknowledged.",
    );
  }
  const failedChecks = errors.filter((f) => gateFindingKind(f) === 'check-failed');
  if (failedChecks.length > 0) {
    parts.push(
      `Compliance gate failed: ${failedChecks.length} check(s) failed to run, so what they would find is unknown. ` +
        `This cannot be acknowledged; fix the cause and synthesize again:\n${failedChecks.map((f) => `  - ${f.plugin}: ${f.description}`).join('\n')}`,
    );
  }
  const templateErrors = errors.filter((f) => gateFindingKind(f) === 'template-error');
  const findings = errors.filter((f) => gateFindingKind(f) === 'finding');
  if (templateErrors.length > 0) {
    parts.push(
      `Compliance gate failed: ${templateErrors.length} CloudFormation template error(s): CloudFormation would reject the ` +
        'template, so these cannot be acknowledged. Fix the property each names (in your props, or report it against the ' +
        `construct that wrote it):\n${formatFindings(templateErrors)}`,
    );
  }
  if (findings.length > 0) {
    parts.push(
      `Compliance gate failed: ${findings.length} unacknowledged finding(s). Fix each, or acknowledge it with ` +
        `acknowledgeFinding() giving a reason, owner and expiry (docs/compliance.md):\n${formatFindings(findings)}`,
    );
  }
  return parts.join('\n\n');
}
