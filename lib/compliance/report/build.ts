import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import type { RecordedAcknowledgement } from '../acknowledge';
import { CLOUDFORMATION_VALIDATOR } from '../acknowledge';
import type { ComplianceGate } from '../compliance-gate';
import { CONTROL_TOWER_PLUGIN, cfnGuardVersion, controlTowerRules } from '../control-tower';
import { acknowledgementNamespace, type EvaluatedResource, type RuleEvaluation, type RuleEvaluations, type RuleOutcome } from '../evidence';
import { PLINTH_PACK, PLINTH_RULES_VERSION } from '../plinth-rules';
import { readPluginReports } from '../validation-report';
import { diffComplianceReports } from './diff';
import { FRAMEWORKS, type FrameworkDefinition } from './frameworks';
import { inventoryOfTemplate } from './inventory';
import {
  EXPIRY_WARNING_DAYS,
  REPORT_SCHEMA_VERSION,
  type ComplianceReport,
  type ControlRow,
  type EvidenceHeader,
  type Finding,
  type FindingWaiver,
  type FrameworkMatrix,
  type InventoryItem,
  type OutcomeCounts,
  type RuleResult,
  type RuleSummary,
  type Waiver,
} from './model';

/** What {@link buildComplianceReport} reads. */
export interface BuildComplianceReportInput {
  /** The environment (top-level Stage name) to report on. */
  readonly environment: string;
  /** The root cloud assembly of the synth (`app.synth()`), with its validation report. */
  readonly assembly: CloudAssembly;
  /** The gate applied to the App (`complianceGateOf(app)`): its options and the recorded evaluations. */
  readonly gate: ComplianceGate;
  /** The acknowledgement register (`collectAcknowledgements(app)`). */
  readonly acknowledgements: readonly RecordedAcknowledgement[];
  /** The report of an earlier synth, to show what changed. */
  readonly previous?: ComplianceReport;
  /** @default - now */
  readonly now?: Date;
  /** @default - read from git in the working directory */
  readonly git?: EvidenceHeader['git'];
}

const DAY_MS = 24 * 60 * 60 * 1000;

function packageVersion(name: string): string {
  return (JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string }).version;
}

/** The CloudFormation validator aws-cdk-lib ships (`@aws/cloudformation-validate`, a dependency of aws-cdk-lib). */
function cloudFormationValidatorVersion(): string {
  const cdkLib = path.dirname(require.resolve('aws-cdk-lib/package.json'));
  for (const dir of [path.join(cdkLib, 'node_modules'), path.join(cdkLib, '..')]) {
    const file = path.join(dir, '@aws', 'cloudformation-validate', 'package.json');
    if (fs.existsSync(file)) return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return 'unknown';
}

/** The commit checked out in the working directory and whether the tree has uncommitted changes. */
export function gitState(cwd: string = process.cwd()): EvidenceHeader['git'] {
  const git = (...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    return { commit: git('rev-parse', 'HEAD'), dirty: git('status', '--porcelain').length > 0 };
  } catch {
    return { commit: null, dirty: null };
  }
}

const countsOf = (outcomes: readonly RuleOutcome[]): OutcomeCounts => ({
  pass: outcomes.filter((o) => o === 'pass').length,
  fail: outcomes.filter((o) => o === 'fail').length,
  acknowledged: outcomes.filter((o) => o === 'acknowledged').length,
  notApplicable: outcomes.filter((o) => o === 'not-applicable').length,
});

const withNotApplicable = (counts: OutcomeCounts, notApplicable: number): OutcomeCounts => ({ ...counts, notApplicable: counts.notApplicable + notApplicable });

const inEnvironment = (environment: string, constructPath: string) =>
  environment === '' || constructPath === environment || constructPath.startsWith(`${environment}/`);

/** The info line without its control-id suffix. */
const titleOf = (info: string) => info.split(' - (Control IDs')[0].trim();

/** The acknowledgement that covers `finding` at `resourcePath`: the nearest one on it or an ancestor. */
function waiverFor(
  acknowledgements: readonly RecordedAcknowledgement[],
  plugin: string,
  finding: string,
  resourcePath: string,
): FindingWaiver | undefined {
  const id = `${acknowledgementNamespace(plugin)}::${finding}`;
  const covering = acknowledgements
    .filter((a) => a.id === id && (a.path === resourcePath || resourcePath.startsWith(`${a.path}/`)))
    .sort((a, b) => b.path.length - a.path.length)[0];
  return covering && { id: covering.id, path: covering.path, reason: covering.reason, owner: covering.owner, expires: covering.expires };
}

interface TemplateInfo {
  readonly artifactId: string;
  readonly displayName: string;
  readonly file: string;
  readonly template: any;
}

function ruleSummaryFromEvaluations(
  id: string,
  { evaluations, notApplicable }: RuleEvaluations,
  description: { plugin: string; info: string; severity: string; controls: readonly string[] },
  stackName: (artifactId: string) => string,
): RuleSummary {
  const results: RuleResult[] = evaluations
    .filter((e) => e.outcome !== 'not-applicable')
    .map((e) => ({
      path: e.resource.path,
      stack: stackName(e.resource.stackArtifactId),
      logicalId: e.resource.logicalId,
      outcome: e.outcome as RuleResult['outcome'],
      findings: e.findings,
    }));
  return {
    id,
    plugin: description.plugin,
    source: description.plugin === PLINTH_PACK ? 'plinth' : 'cdk-nag',
    title: titleOf(description.info),
    severity: description.severity,
    controls: description.controls,
    resourcesEvaluated: evaluations.length + notApplicable,
    ...withNotApplicable(countsOf(evaluations.map((e) => e.outcome)), notApplicable),
    results,
  };
}

function worstOutcome(counts: OutcomeCounts): RuleOutcome {
  if (counts.fail > 0) return 'fail';
  if (counts.acknowledged > 0) return 'acknowledged';
  if (counts.pass > 0) return 'pass';
  return 'not-applicable';
}

function controlsOfRule(rule: RuleSummary, framework: FrameworkDefinition): string[] {
  if (framework.rulesAreControls === 'AwsSolutions') return rule.plugin === 'AwsSolutions' ? [rule.id] : [];
  if (framework.rulesAreControls === 'plinth') return rule.source === 'plinth' ? [rule.id] : [];
  if (framework.rulesAreControls === 'control-tower') return rule.source === 'control-tower' ? [...rule.controls] : [];
  if (framework.nagPack !== undefined && rule.plugin === framework.nagPack) return [...rule.controls];
  if (framework.plinthRules && rule.source === 'plinth') return [...rule.controls];
  if (framework.controlTowerFramework && rule.source === 'control-tower') return [...(rule.frameworkMappings?.[framework.controlTowerFramework] ?? [])];
  return [];
}

/** `a.localeCompare(b, 'en', { numeric: true })`, without making a collator for every comparison. */
const CONTROL_ID_ORDER = new Intl.Collator('en', { numeric: true });

function frameworkMatrix(framework: FrameworkDefinition, rules: readonly RuleSummary[]): FrameworkMatrix {
  const rulesByControl = new Map<string, RuleSummary[]>();
  for (const rule of rules) {
    for (const control of controlsOfRule(rule, framework)) {
      const controlRules = rulesByControl.get(control);
      if (controlRules) controlRules.push(rule);
      else rulesByControl.set(control, [rule]);
    }
  }
  const controls: ControlRow[] = [...rulesByControl.entries()]
    .sort(([a], [b]) => CONTROL_ID_ORDER.compare(a, b))
    .map(([id, controlRules]) => {
      const counts: OutcomeCounts = {
        pass: controlRules.reduce((n, r) => n + r.pass, 0),
        fail: controlRules.reduce((n, r) => n + r.fail, 0),
        acknowledged: controlRules.reduce((n, r) => n + r.acknowledged, 0),
        notApplicable: controlRules.reduce((n, r) => n + r.notApplicable, 0),
      };
      return { id, rules: controlRules.map((r) => r.id), ...counts, outcome: worstOutcome(counts) };
    });
  return {
    id: framework.id,
    name: framework.name,
    controls,
    notAssessedByTooling: framework.manualControls.filter((m) => !rulesByControl.has(m.id)),
  };
}

/**
 * Names the environment's KMS keys by construct path in the encryption column: a key reference
 * is a logical id, or a cross-stack output whose name contains it.
 */
function namePlatformKeys(inventory: InventoryItem[]): InventoryItem[] {
  const keys = inventory.filter((i) => i.type === 'AWS::KMS::Key');
  return inventory.map((item) => {
    if (!item.encryption.startsWith('KMS ')) return item;
    const encryption = item.encryption
      .split('; ')
      .map((reference) => {
        const key = keys.find((k) => reference.includes(k.logicalId));
        return key ? `KMS key ${key.path}` : reference;
      })
      .join('; ');
    return { ...item, encryption };
  });
}

/**
 * Builds the compliance report of one environment from the gate's recorded evaluations, the
 * synthesized templates and validation report, and the acknowledgement register.
 */
/** One row of a plugin's report (Control Tower, the CloudFormation validator) in this environment. */
interface ReportedRow {
  readonly rule: string;
  readonly severity: string;
  readonly message: string;
  readonly outcome: 'fail' | 'acknowledged';
  readonly constructPath: string;
  readonly file: string;
  readonly logicalId: string;
  readonly waiverId?: string;
  readonly waiverPath?: string;
}

// The report is built by the small functions below rather than in one body: V8 optimises a hot
// loop by compiling its whole function, and one function of many loops was compiled seven times
// (once per loop that got hot), about a second of compiler-thread CPU per main job.

/** Each evaluated resource's construct path, by `stackArtifactId|logicalId`. */
function pathsOfEvaluatedResources(resources: readonly EvaluatedResource[]): Map<string, string> {
  const pathByResource = new Map<string, string>();
  for (const resource of resources) pathByResource.set(`${resource.stackArtifactId}|${resource.logicalId}`, resource.path);
  return pathByResource;
}

function inventoryByTemplateFile(templates: readonly TemplateInfo[], inventory: readonly InventoryItem[]): Map<string, InventoryItem> {
  const inventoryByFile = new Map<string, InventoryItem>();
  for (const t of templates) {
    for (const i of inventory) if (i.stack === t.displayName) inventoryByFile.set(`${t.file}|${i.logicalId}`, i);
  }
  return inventoryByFile;
}

/** The findings of one rule of the nag packs or Plinth's, appended to `findings`. */
function addRuleFindings(
  findings: Finding[],
  id: string,
  ruleEvaluations: readonly RuleEvaluation[],
  description: { readonly severity: string; readonly info: string },
  acknowledgements: readonly RecordedAcknowledgement[],
  stackName: (artifactId: string) => string,
): void {
  for (const e of ruleEvaluations) {
    for (const finding of e.findings) {
      const acknowledged = e.acknowledgedFindings.includes(finding);
      const waiver = acknowledged ? waiverFor(acknowledgements, e.plugin, finding, e.resource.path) : undefined;
      findings.push({
        plugin: e.plugin,
        rule: id,
        finding,
        severity: description.severity,
        outcome: acknowledged ? 'acknowledged' : 'fail',
        path: e.resource.path,
        stack: stackName(e.resource.stackArtifactId),
        logicalId: e.resource.logicalId,
        type: e.resource.type,
        templateFile: `${e.resource.stackArtifactId}.template.json`,
        message: e.error ? `${titleOf(description.info)} (the rule could not evaluate: ${e.error})` : titleOf(description.info),
        ...(waiver ? { waiver } : {}),
      });
    }
  }
}

/** The rows of `plugin`'s report (violations, then acknowledged ones) that belong to this environment. */
function reportedRows(
  reports: ReturnType<typeof readPluginReports>,
  plugin: string,
  environment: string,
  templates: readonly TemplateInfo[],
): ReportedRow[] {
  const report = reports.find((r) => r.pluginName === plugin);
  const rows: ReportedRow[] = [];
  addReportedRows(rows, report?.violations, 'fail', environment, templates);
  addReportedRows(rows, report?.suppressedViolations, 'acknowledged', environment, templates);
  return rows;
}

function addReportedRows(
  rows: ReportedRow[],
  violations: readonly any[] | undefined,
  outcome: 'fail' | 'acknowledged',
  environment: string,
  templates: readonly TemplateInfo[],
): void {
  for (const v of violations ?? []) {
    for (const c of v.violatingConstructs ?? []) {
      const constructPath: string = c.constructPath ?? '';
      const file = c.cloudFormationResource?.templatePath ? path.basename(c.cloudFormationResource.templatePath) : '';
      const inThisEnvironment = constructPath ? inEnvironment(environment, constructPath) : file !== '' && templates.some((t) => t.file === file);
      if (!inThisEnvironment && !(constructPath === '' && file === '')) continue;
      rows.push({
        rule: v.ruleName,
        severity: v.severity ?? 'error',
        message: v.description,
        outcome,
        constructPath,
        file,
        logicalId: c.cloudFormationResource?.logicalId ?? '',
        waiverId: v.acknowledgedId,
        waiverPath: v.acknowledgedAt,
      });
    }
  }
}

function reportedFinding(
  plugin: string,
  row: ReportedRow,
  acknowledgements: readonly RecordedAcknowledgement[],
  inventoryByFile: ReadonlyMap<string, InventoryItem>,
): Finding {
  const ack = row.waiverId ? acknowledgements.find((a) => a.id === row.waiverId && a.path === row.waiverPath) : undefined;
  const item = inventoryByFile.get(`${row.file}|${row.logicalId}`);
  return {
    plugin,
    rule: row.rule,
    finding: row.rule,
    severity: row.severity,
    outcome: row.outcome,
    path: row.constructPath || item?.path || '(not attributed to a resource by the plugin)',
    stack: item?.stack ?? '',
    logicalId: row.logicalId,
    type: item?.type ?? 'unknown',
    templateFile: row.file,
    message: row.message,
    ...(ack ? { waiver: { id: ack.id, path: ack.path, reason: ack.reason, owner: ack.owner, expires: ack.expires } } : {}),
  };
}

/** Each Control Tower rule's summary: every resource of its types in each template, pass unless a row says otherwise. */
function controlTowerRuleSummaries(rows: readonly ReportedRow[], templates: readonly TemplateInfo[], inventory: readonly InventoryItem[]): RuleSummary[] {
  // Each template's resources, and each rule's rows, looked up once instead of once per rule and template.
  const inventoryOfStack = templates.map((t) => inventory.filter((i) => i.stack === t.displayName));
  const rowsOfRule = new Map<string, ReportedRow[]>();
  for (const row of rows) {
    if (row.logicalId === '') continue;
    const ruleRows = rowsOfRule.get(row.rule);
    if (ruleRows) ruleRows.push(row);
    else rowsOfRule.set(row.rule, [row]);
  }
  return controlTowerRules().map((ct) => controlTowerRuleSummary(ct, rowsOfRule.get(ct.ruleName) ?? [], templates, inventoryOfStack));
}

function controlTowerRuleSummary(
  ct: ReturnType<typeof controlTowerRules>[number],
  ruleRows: readonly ReportedRow[],
  templates: readonly TemplateInfo[],
  inventoryOfStack: ReadonlyArray<readonly InventoryItem[]>,
): RuleSummary {
  const outcomeByResource = new Map<string, 'fail' | 'acknowledged'>();
  for (const row of ruleRows) {
    const key = `${row.file}|${row.logicalId}`;
    if (outcomeByResource.get(key) !== 'fail') outcomeByResource.set(key, row.outcome);
  }
  const outcomes: RuleOutcome[] = [];
  const results: RuleResult[] = [];
  templates.forEach((t, i) => {
    for (const item of inventoryOfStack[i]) {
      if (!ct.resourceTypes.includes(item.type)) {
        outcomes.push('not-applicable');
        continue;
      }
      const outcome = outcomeByResource.get(`${t.file}|${item.logicalId}`) ?? 'pass';
      outcomes.push(outcome);
      results.push({ path: item.path, stack: item.stack, logicalId: item.logicalId, outcome, findings: outcome === 'pass' ? [] : [ct.ruleName] });
    }
  });
  return {
    id: ct.ruleName,
    plugin: CONTROL_TOWER_PLUGIN,
    source: 'control-tower',
    title: `[${ct.controlId}] ${ct.title}`,
    severity: ct.severity.toLowerCase(),
    controls: [ct.controlId],
    frameworkMappings: ct.frameworkMappings,
    resourcesEvaluated: outcomes.length,
    ...countsOf(outcomes),
    results,
  };
}

function waiverSummaries(acknowledgements: readonly RecordedAcknowledgement[], findings: readonly Finding[], now: Date): Waiver[] {
  const today = Date.parse(`${now.toISOString().slice(0, 10)}T00:00:00Z`);
  return acknowledgements.map((a) => {
    const daysLeft = Math.round((Date.parse(`${a.expires}T00:00:00Z`) - today) / DAY_MS);
    return {
      id: a.id,
      rule: a.rule,
      plugin: a.plugin ?? '',
      path: a.path,
      reason: a.reason,
      owner: a.owner,
      expires: a.expires,
      daysLeft,
      expiringSoon: daysLeft < EXPIRY_WARNING_DAYS,
      findingsCovered: findings.filter((f) => f.waiver?.id === a.id && f.waiver.path === a.path).length,
    };
  });
}

export function buildComplianceReport(input: BuildComplianceReportInput): ComplianceReport {
  const { environment, gate } = input;
  const now = input.now ?? new Date();
  const envAssembly = environment === '' ? input.assembly : input.assembly.getNestedAssembly(`assembly-${environment}`);
  // Outside any Stage, only the App's own stacks; an environment includes its nested Stages' stacks.
  const stacks = environment === '' ? input.assembly.stacks : envAssembly.stacksRecursively;
  const templates: TemplateInfo[] = stacks.map((s) => ({
    artifactId: s.id,
    displayName: s.hierarchicalId,
    file: path.basename(s.templateFullPath),
    template: s.template,
  }));
  const stackName = (artifactId: string) => templates.find((t) => t.artifactId === artifactId)?.displayName ?? artifactId;

  // Evaluations recorded by the nag packs and Plinth's rules, for this environment.
  const evaluated = gate.evidence.evaluationsByRuleIn(environment);
  const pathByResource = pathsOfEvaluatedResources(evaluated.resources);
  const inventory: InventoryItem[] = namePlatformKeys(
    templates.flatMap((t) => inventoryOfTemplate(t.displayName, t.template, (logicalId) => pathByResource.get(`${t.artifactId}|${logicalId}`))),
  );
  const inventoryByFile = inventoryByTemplateFile(templates, inventory);

  const acknowledgements = input.acknowledgements.filter((a) => inEnvironment(environment, a.path));
  const findings: Finding[] = [];

  // cdk-nag packs and Plinth's rules.
  const descriptions = new Map(gate.evidence.rules.map((r) => [r.rule, r]));
  const rules: RuleSummary[] = [];
  for (const [id, ruleEvaluations] of evaluated.byRule) {
    const description = descriptions.get(id);
    if (!description) continue;
    rules.push(ruleSummaryFromEvaluations(id, ruleEvaluations, description, stackName));
    addRuleFindings(findings, id, ruleEvaluations.evaluations, description, acknowledgements, stackName);
  }

  // Findings the validation report holds: Control Tower and the CloudFormation validator.
  const reports = readPluginReports(input.assembly.directory);
  if (gate.options.controlTower) {
    const rows = reportedRows(reports, CONTROL_TOWER_PLUGIN, environment, templates);
    for (const row of rows) findings.push(reportedFinding(CONTROL_TOWER_PLUGIN, row, acknowledgements, inventoryByFile));
    rules.push(...controlTowerRuleSummaries(rows, templates, inventory));
  }
  for (const row of reportedRows(reports, CLOUDFORMATION_VALIDATOR, environment, templates)) {
    findings.push(reportedFinding(CLOUDFORMATION_VALIDATOR, row, acknowledgements, inventoryByFile));
  }

  const waivers = waiverSummaries(acknowledgements, findings, now);
  rules.sort((a, b) => a.plugin.localeCompare(b.plugin) || a.id.localeCompare(b.id));
  const frameworks = FRAMEWORKS.map((f) => frameworkMatrix(f, rules));
  const totals = rules.reduce(
    (sum, r) => ({ pass: sum.pass + r.pass, fail: sum.fail + r.fail, acknowledged: sum.acknowledged + r.acknowledged, notApplicable: sum.notApplicable + r.notApplicable }),
    { pass: 0, fail: 0, acknowledged: 0, notApplicable: 0 },
  );
  const environmentOfStacks = stacks[0]?.environment;
  const report: ComplianceReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    evidence: {
      environment,
      account: environmentOfStacks?.account ?? 'unknown',
      region: environmentOfStacks?.region ?? 'unknown',
      generatedAt: now.toISOString(),
      git: input.git ?? gitState(),
      versions: {
        awsCdkLib: packageVersion('aws-cdk-lib'),
        cdkNag: packageVersion('cdk-nag'),
        cloudFormationValidator: cloudFormationValidatorVersion(),
        cdkValidatorCfnguard: packageVersion('@cdklabs/cdk-validator-cfnguard'),
        cfnGuard: cfnGuardVersion(),
        plinthRules: PLINTH_RULES_VERSION,
      },
      gate: { nagPacks: gate.options.nagPacks, plinthRules: gate.options.plinthRules, controlTower: gate.options.controlTower },
      assemblyDirectory: path.relative(process.cwd(), envAssembly.directory) || '.',
      templates: stacks.map((s) => ({
        stack: s.hierarchicalId,
        file: path.basename(s.templateFullPath),
        sha256: createHash('sha256').update(fs.readFileSync(s.templateFullPath)).digest('hex'),
      })),
    },
    summary: {
      resources: inventory.length,
      rules: rules.length,
      evaluations: totals.pass + totals.fail + totals.acknowledged + totals.notApplicable,
      ...totals,
      openFindings: findings.filter((f) => f.outcome === 'fail').length,
      acknowledgedFindings: findings.filter((f) => f.outcome === 'acknowledged').length,
      waivers: waivers.length,
      waiversExpiringSoon: waivers.filter((w) => w.expiringSoon).length,
      controlsAssessed: frameworks.reduce((n, f) => n + f.controls.length, 0),
      controlsNotAssessed: frameworks.reduce((n, f) => n + f.notAssessedByTooling.length, 0),
    },
    frameworks,
    rules,
    findings,
    waivers,
    inventory,
  };
  return input.previous ? { ...report, diff: diffComplianceReports(input.previous, report) } : report;
}
