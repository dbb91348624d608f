import * as fs from 'fs';
import * as path from 'path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type { IPolicyValidationContextBeta1, IPolicyValidationPluginBeta1, PolicyValidationPluginReportBeta1 } from 'aws-cdk-lib';

/** The name the Control Tower guard plugin reports under (and acknowledgements use as `plugin`). */
export const CONTROL_TOWER_PLUGIN = 'cdk-validator-cfnguard';

/** One Control Tower proactive control, as the guard plugin ships it. */
export interface ControlTowerRule {
  /** The guard rule name the plugin reports a violation under, e.g. `s3_bucket_logging_enabled_check`. */
  readonly ruleName: string;
  /** The Control Tower control id, e.g. `CT.S3.PR.2`. */
  readonly controlId: string;
  readonly title: string;
  readonly severity: string;
  /** The CloudFormation resource types the rule evaluates. */
  readonly resourceTypes: readonly string[];
  /** Control ids in other frameworks, from the control's metadata: framework name → ids. */
  readonly frameworkMappings: Readonly<Record<string, readonly string[]>>;
  /** The guard file, relative to the plugin's rules folder. */
  readonly file: string;
}

const VALIDATOR_ROOT = path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json'));
const RULES_DIR = path.join(VALIDATOR_ROOT, 'rules', 'control-tower');

function guardFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => (entry.isDirectory() ? guardFiles(path.join(dir, entry.name)) : entry.name.endsWith('.guard') ? [path.join(dir, entry.name)] : []))
    .sort();
}

interface ControlMetadata {
  readonly Id: string;
  readonly DisplayName?: string;
  readonly Severity?: string;
  readonly EvaluatedResourceTypes?: string[];
  readonly ComplianceFrameworkMappings?: Array<{ ComplianceFramework: string; Ids: string[] }>;
}

let catalogue: ControlTowerRule[] | undefined;

/** Every Control Tower guard file the plugin ships, sorted. */
export function controlTowerGuardFiles(): string[] {
  return guardFiles(path.join(RULES_DIR, 'cfn-guard'));
}

/**
 * Every Control Tower rule the plugin ships, read from its guard files and their metadata:
 * the rule name from the guard file, the control id, title, evaluated resource types and
 * framework mappings from the control's metadata JSON.
 */
export function controlTowerRules(): readonly ControlTowerRule[] {
  if (catalogue) return catalogue;
  const guardRoot = path.join(RULES_DIR, 'cfn-guard');
  catalogue = guardFiles(guardRoot).map((file) => {
    const relative = path.relative(guardRoot, file);
    const source = fs.readFileSync(file, 'utf8');
    const ruleName = /^rule\s+(\w+)\s+when\s+is_cfn_template/m.exec(source)?.[1];
    const metadataFile = path.join(RULES_DIR, 'metadata', path.dirname(relative), `${path.basename(file, '.guard')}.metadata.json`);
    const metadata = JSON.parse(fs.readFileSync(metadataFile, 'utf8')) as ControlMetadata;
    if (!ruleName) throw new Error(`Control Tower rule file ${relative} declares no template rule`);
    const frameworkMappings: Record<string, string[]> = {};
    for (const mapping of metadata.ComplianceFrameworkMappings ?? []) frameworkMappings[mapping.ComplianceFramework] = mapping.Ids;
    return {
      ruleName,
      controlId: metadata.Id,
      title: metadata.DisplayName ?? ruleName,
      severity: metadata.Severity ?? 'UNKNOWN',
      resourceTypes: metadata.EvaluatedResourceTypes ?? [],
      frameworkMappings,
      file: relative,
    };
  });
  return catalogue;
}

/** The version of the cfn-guard binary the plugin ships. */
export function cfnGuardVersion(): string {
  return (JSON.parse(fs.readFileSync(path.join(VALIDATOR_ROOT, 'guard-version.json'), 'utf8')) as { version: string }).version;
}

/**
 * The Control Tower guard rules as a validation plugin (`cdk-validator-cfnguard`), running only the
 * rule files whose evaluated resource types occur in the templates. A rule without such a resource
 * can only skip, so the findings are the same as running every rule; cfn-guard takes about a
 * fifth of the time.
 */
export class ControlTowerGuard implements IPolicyValidationPluginBeta1 {
  readonly name = CONTROL_TOWER_PLUGIN;
  readonly version = (JSON.parse(fs.readFileSync(path.join(VALIDATOR_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

  /** @param maxBuffer cfn-guard's output limit in bytes (its JSON grows with the templates) */
  constructor(private readonly maxBuffer = 64 * 1024 * 1024) {}

  validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const types = new Set<string>();
    for (const file of context.templatePaths) {
      const template = JSON.parse(fs.readFileSync(file, 'utf8')) as { Resources?: Record<string, { Type: string }> };
      for (const resource of Object.values(template.Resources ?? {})) types.add(resource.Type);
    }
    const rules = controlTowerRules();
    const disabledRules = rules.filter((r) => !r.resourceTypes.some((t) => types.has(t))).map((r) => path.basename(r.file, '.guard'));
    if (disabledRules.length === rules.length) return { success: true, violations: [] };
    return new CfnGuardValidator({ disabledRules, maxBuffer: this.maxBuffer }).validate(context);
  }
}
