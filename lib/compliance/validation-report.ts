import * as fs from 'fs';
import * as path from 'path';

/** One finding that nobody acknowledged, read from `validation-report.json`. */
export interface UnacknowledgedFinding {
  readonly plugin: string;
  readonly rule: string;
  readonly severity: string;
  readonly constructPath: string;
  readonly description: string;
}

interface ReportViolation {
  readonly ruleName: string;
  readonly description: string;
  readonly severity?: string;
  readonly violatingConstructs: ReadonlyArray<{ readonly constructPath?: string; readonly resourceLogicalId?: string }>;
}

interface SuppressedViolation extends ReportViolation {
  readonly acknowledgedId: string;
  readonly acknowledgedAt: string;
  readonly reason: string;
}

interface PluginReport {
  readonly pluginName: string;
  readonly conclusion: 'success' | 'failure';
  /** CDK's `{ error }` when the plugin threw instead of reporting (its conclusion is then `failure`, with no violations). */
  readonly metadata?: { readonly error?: unknown };
  readonly violations: readonly ReportViolation[];
  readonly suppressedViolations?: readonly SuppressedViolation[];
}

/**
 * The acknowledgements (`id` at `path`) that suppressed no finding: stale waivers, which the
 * register should not carry. A waiver applies to its construct and everything below it.
 */
export function unusedAcknowledgements(
  reports: readonly PluginReport[],
  acknowledgements: ReadonlyArray<{ readonly id: string; readonly path: string }>,
): Array<{ readonly id: string; readonly path: string }> {
  const used = new Set<string>();
  for (const report of reports) {
    for (const suppressed of report.suppressedViolations ?? []) used.add(`${suppressed.acknowledgedId} ${suppressed.acknowledgedAt}`);
  }
  return acknowledgements.filter((ack) => !used.has(`${ack.id} ${ack.path}`));
}

/**
 * Findings the report lists as acknowledged that no `acknowledgeFinding()` entry accounts for: a
 * raw `Validations.of(x).acknowledge()` (or any other path) that bypassed the waiver register.
 * Each one fails the gate, because it has no reason, owner or expiry an auditor can read.
 */
/**
 * Acknowledgements aws-cdk-lib makes itself (id and its exact reason), which no Plinth code can
 * route through the register: a Stack that reads `availabilityZones` acknowledges W3010.
 */
const CDK_OWN_ACKNOWLEDGEMENTS: ReadonlyArray<{ readonly id: string; readonly reason: string }> = [
  { id: 'CloudFormation-Validate::W3010', reason: 'Literal AZs in template are the result of accessing stack.availabilityZones, this is expected and safe' },
];

export function unregisteredAcknowledgements(
  reports: readonly PluginReport[],
  register: ReadonlyArray<{ readonly id: string; readonly path: string }>,
): UnacknowledgedFinding[] {
  const registered = new Set(register.map((ack) => `${ack.id} ${ack.path}`));
  const findings: UnacknowledgedFinding[] = [];
  for (const report of reports) {
    for (const suppressed of report.suppressedViolations ?? []) {
      if (registered.has(`${suppressed.acknowledgedId} ${suppressed.acknowledgedAt}`)) continue;
      if (CDK_OWN_ACKNOWLEDGEMENTS.some((own) => own.id === suppressed.acknowledgedId && own.reason === suppressed.reason)) continue;
      for (const construct of suppressed.violatingConstructs) {
        findings.push({
          plugin: report.pluginName,
          rule: suppressed.ruleName,
          severity: 'error',
          constructPath: construct.constructPath ?? construct.resourceLogicalId ?? '(unknown)',
          description: `acknowledged as ${suppressed.acknowledgedId} at ${suppressed.acknowledgedAt || '(app)'} outside the waiver register (use acknowledgeFinding() with a reason, owner and expiry)`,
        });
      }
    }
  }
  return findings;
}

/** The plugin that reports construct annotations (warnings such as a DESTROY opt-in). */
export const ANNOTATIONS_PLUGIN = 'Construct Annotations';

/** Reads the validation report CDK writes into a cloud assembly; no report means nothing ran. */
export function readPluginReports(assemblyDirectory: string): PluginReport[] {
  const file = path.join(assemblyDirectory, 'validation-report.json');
  if (!fs.existsSync(file)) return [];
  const report = JSON.parse(fs.readFileSync(file, 'utf8')) as { pluginReports?: PluginReport[] };
  return report.pluginReports ?? [];
}

/** The rule of the finding that stands for a plugin that failed to run: nothing can acknowledge it. */
export const PLUGIN_FAILED = '(the check failed to run)';

/**
 * The findings left unacknowledged. Errors always count. Warnings count too unless
 * `errorsOnly` is set; annotation warnings (deliberate notices) count only with `includeAnnotations`.
 * A plugin that threw (CDK records its error and no violations) is an error finding
 * ({@link PLUGIN_FAILED}): a check that did not run passes nothing.
 */
export function unacknowledgedFindings(
  reports: readonly PluginReport[],
  options: { readonly errorsOnly?: boolean; readonly includeAnnotations?: boolean } = {},
): UnacknowledgedFinding[] {
  const findings: UnacknowledgedFinding[] = [];
  for (const report of reports) {
    if (report.conclusion === 'failure' && report.metadata?.error !== undefined) {
      findings.push({ plugin: report.pluginName, rule: PLUGIN_FAILED, severity: 'error', constructPath: '(every template)', description: String(report.metadata.error) });
    }
    for (const violation of report.violations) {
      const severity = violation.severity ?? 'error';
      const isError = severity === 'error' || severity === 'fatal';
      if (!isError && options.errorsOnly) continue;
      if (!isError && report.pluginName === ANNOTATIONS_PLUGIN && !options.includeAnnotations) continue;
      for (const construct of violation.violatingConstructs) {
        findings.push({
          plugin: report.pluginName,
          rule: violation.ruleName,
          severity,
          constructPath: construct.constructPath ?? construct.resourceLogicalId ?? '(unknown)',
          description: violation.description,
        });
      }
    }
  }
  return findings;
}

/** A readable list of findings, each with the id an acknowledgement would need. */
export function formatFindings(findings: readonly UnacknowledgedFinding[]): string {
  return findings
    .map((f) => `  - [${f.severity}] ${f.plugin} ${f.rule} at ${f.constructPath}: ${f.description.split(' - (Control IDs')[0]}`)
    .join('\n');
}
