import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { isIamActionRuleGroup, withoutInertActions } from './control-tower-iam-actions';
import { guardLanes, runGuardJobs, type GuardJob } from './control-tower-lanes';
import { projectedResource, projectionFor } from './control-tower-projections';
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
 * The resource types a rule file reads: the types its metadata says it evaluates, and every
 * resource type its guard source names. The rules look at other resources only through queries
 * that name a type (`Resources.*[ Type == %S3_BUCKET_TYPE ]`) or by logical id followed by a check
 * of that resource's type (`check_local_references(..., "AWS::EC2::Subnet")`); both strings are
 * in the source. test/compliance/control-tower-grouping.test.ts holds every shipped rule to that
 * pattern.
 */
function typesReadBy(rule: ControlTowerRule): ReadonlySet<string> {
  const source = fs.readFileSync(path.join(RULES_DIR, 'cfn-guard', rule.file), 'utf8');
  return new Set([...rule.resourceTypes, ...(source.match(/AWS::\w+::\w+/g) ?? [])]);
}

interface CloudFormationTemplate {
  readonly Resources?: Record<string, { readonly Type?: unknown } & Record<string, unknown>>;
  readonly [section: string]: unknown;
}

/**
 * The logical ids of `template` each part of it names: every run of letters and digits in the
 * part's JSON that is one of the template's logical ids. CloudFormation logical ids are letters
 * and digits only, so every reference by logical id (`Ref`, `Fn::GetAtt` in either form, a
 * `${Id}` in `Fn::Sub`, `DependsOn`) is such a run; a run that only looks like a logical id keeps
 * a stub that nothing needed, which changes no finding.
 */
interface NamedIds {
  /** Logical id → the logical ids its resource names. */
  readonly byResource: ReadonlyMap<string, readonly string[]>;
  /** The logical ids the template's other sections (Outputs, Conditions, ...) name. */
  readonly outsideResources: readonly string[];
  /** The logical ids `part` names. */
  named(part: unknown): string[];
}

const namedIdsOf = new WeakMap<CloudFormationTemplate, NamedIds>();

function namedIds(template: CloudFormationTemplate): NamedIds {
  const known = namedIdsOf.get(template);
  if (known) return known;
  const resources = template.Resources ?? {};
  const ids = new Set(Object.keys(resources));
  const named = (part: unknown) => [...new Set(JSON.stringify(part)?.match(/[A-Za-z0-9]+/g) ?? [])].filter((token) => ids.has(token));
  const { Resources: _resources, ...outside } = template;
  const found: NamedIds = {
    byResource: new Map(Object.entries(resources).map(([logicalId, resource]) => [logicalId, named(resource)])),
    outsideResources: named(outside),
    named,
  };
  namedIdsOf.set(template, found);
  return found;
}

/**
 * `template` as one group of rules needs it, or `undefined` when it holds nothing the group
 * evaluates. Every resource of a type the group reads stays whole, or, for a group with a proven
 * projection (control-tower-projections.ts), keeps the properties its rules read. Every other
 * resource that a kept resource or another section of the template names by logical id keeps that
 * id and its `Type` and nothing else: a lookup by logical id still finds the resource and its
 * type, so a reference to the wrong kind of resource fails as it does on the whole template (and
 * the plugin, which fails on a reference to a resource the template lacks, does not). Every
 * other resource is left out: no rule of the group reads it (the group's rules select resources
 * only by a type they name, or by a logical id they are given), and cfn-guard's time grows with
 * every resource its queries walk. What is dropped, no rule of the group reads.
 */
function reducedTemplate(template: CloudFormationTemplate, group: RuleGroup): CloudFormationTemplate | undefined {
  const all = template.Resources ?? {};
  const kept = new Map<string, Record<string, unknown>>();
  let evaluated = false;
  for (const [logicalId, resource] of Object.entries(all)) {
    const type = resource?.Type;
    if (typeof type !== 'string' || !group.reads.has(type)) continue;
    const keep = group.projection?.[type];
    kept.set(logicalId, keep ? projectedResource(resource, keep) : resource);
    evaluated ||= group.evaluates.has(type);
  }
  if (!evaluated) return undefined;
  const ids = namedIds(template);
  const stubbed = new Set<string>(ids.outsideResources);
  for (const [logicalId, resource] of kept) {
    for (const named of resource === all[logicalId] ? (ids.byResource.get(logicalId) ?? []) : ids.named(resource)) stubbed.add(named);
  }
  const resources: NonNullable<CloudFormationTemplate['Resources']> = {};
  // In the template's order, as cfn-guard would meet them in the whole template.
  for (const [logicalId, resource] of Object.entries(all)) {
    const keptResource = kept.get(logicalId);
    if (keptResource) resources[logicalId] = keptResource as typeof resource;
    else if (stubbed.has(logicalId)) resources[logicalId] = { Type: resource?.Type };
  }
  return { ...template, Resources: resources };
}

/** Rule files that read the same resource types, run together. */
interface RuleGroup {
  /** What the group's rules read: the whole of each resource of these types is kept. */
  readonly reads: ReadonlySet<string>;
  /** What they evaluate: a template without any of these types gives the group nothing to do. */
  readonly evaluates: Set<string>;
  readonly ruleFiles: string[];
  /** The group is CT.IAM.PR.2 and PR.3 as shipped: policies are given to cfn-guard without the actions neither can match (control-tower-iam-actions.ts). */
  readonly leavesOutInertActions: boolean;
  /** Resource type → the properties the group's rules read, when proven for its rule files (control-tower-projections.ts). */
  readonly projection?: Readonly<Record<string, readonly string[]>>;
}

type Violation = PolicyValidationPluginReportBeta1['violations'][number];

/**
 * Where {@link ControlTowerGuard} keeps the findings of one group of rules on one reduced
 * template. The violations are stored and returned with every `templatePath` as given to `store`;
 * the guard puts the real template path back in.
 */
export interface RuleGroupResultCache {
  /** The findings stored for exactly these rule files and this reduced template text, if any can be trusted. */
  lookup(ruleFiles: readonly string[], reducedTemplate: string): Violation[] | undefined;
  /** Stores the findings of these rule files on this reduced template text (an empty list too). */
  store(ruleFiles: readonly string[], reducedTemplate: string, violations: readonly Violation[]): void;
}

/** Options for {@link ControlTowerGuard}. */
export interface ControlTowerGuardOptions {
  /**
   * cfn-guard's output limit in bytes (its JSON grows with the templates).
   *
   * @default 64 MiB
   */
  readonly maxBuffer?: number;
  /**
   * Findings per group of rules and reduced template, kept between runs: a template changed in
   * one resource is checked again only by the groups that read that resource's type.
   *
   * @default no cache
   */
  readonly resultCache?: RuleGroupResultCache;
  /**
   * How many cfn-guard processes may run at once (this thread and worker threads).
   *
   * @default the cores available to this process, at most 4
   */
  readonly lanes?: number;
}

/** One group of rules run on one template, or taken from the cache, in this process (for the tests and the benchmark). */
export interface RuleGroupCheck {
  /** The resource types the group reads. */
  readonly reads: readonly string[];
  /** The template's file name. */
  readonly template: string;
  readonly source: 'checked' | 'cached';
}

/** Every rule group check in this process, in order. */
export const ruleGroupCheckLog: RuleGroupCheck[] = [];

/** Every group of Control Tower rules, built once per process. */
let ruleGroups: RuleGroup[] | undefined;

function controlTowerRuleGroups(): RuleGroup[] {
  if (ruleGroups) return ruleGroups;
  const byReads = new Map<string, RuleGroup>();
  for (const rule of controlTowerRules()) {
    const reads = typesReadBy(rule);
    const key = [...reads].sort().join(' ');
    const group = byReads.get(key) ?? { reads, evaluates: new Set<string>(), ruleFiles: [], leavesOutInertActions: false };
    for (const type of rule.resourceTypes) group.evaluates.add(type);
    group.ruleFiles.push(path.join(RULES_DIR, 'cfn-guard', rule.file));
    byReads.set(key, group);
  }
  const guardRoot = path.join(RULES_DIR, 'cfn-guard');
  ruleGroups = [...byReads.values()].map((group) => ({
    ...group,
    leavesOutInertActions: isIamActionRuleGroup(group.ruleFiles, guardRoot),
    projection: projectionFor(group.ruleFiles, guardRoot),
  }));
  return ruleGroups;
}

/**
 * The Control Tower guard rules as a validation plugin (`cdk-validator-cfnguard`), with the same
 * findings as the plugin running every rule on every template, in a fraction of the time.
 *
 * cfn-guard's time per rule grows with the size of the whole template it is given, although each
 * rule reads only a few resource types. So the rules are grouped by the resource types they read
 * ({@link typesReadBy}); each group runs in one cfn-guard process, through the plugin's own code,
 * on each template reduced to what the group reads ({@link reducedTemplate}), and only on the
 * templates holding at least one type the group evaluates (a rule with nothing to evaluate can
 * only skip). The cfn-guard processes run in lanes, side by side when there are cores to spare
 * ({@link guardLanes}, {@link runGuardJobs}). The findings name the original template, resource and
 * property path, and come in the same order whether or not they came from the cache: group by
 * group, template by template.
 */
export class ControlTowerGuard implements IPolicyValidationPluginBeta1 {
  readonly name = CONTROL_TOWER_PLUGIN;
  readonly version = (JSON.parse(fs.readFileSync(path.join(VALIDATOR_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  private readonly maxBuffer: number;
  private readonly resultCache?: RuleGroupResultCache;
  private readonly lanes?: number;

  constructor(options: ControlTowerGuardOptions = {}) {
    this.maxBuffer = options.maxBuffer ?? 64 * 1024 * 1024;
    this.resultCache = options.resultCache;
    this.lanes = options.lanes;
  }

  validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const templates = new Map<string, CloudFormationTemplate>();
    for (const file of new Set(context.templatePaths)) templates.set(path.resolve(file), JSON.parse(fs.readFileSync(file, 'utf8')) as CloudFormationTemplate);
    const groups = controlTowerRuleGroups();

    // Each group on each template it evaluates: its findings from the cache, or a reduced file to check.
    const found = groups.map(() => new Map<string, Violation[]>());
    const toCheck: Array<{ group: number; template: string; text: string; file: string; restoreLocation?: (location: string) => string }> = [];
    let workDir: string | undefined;
    try {
      groups.forEach((group, g) => {
        for (const [template, content] of templates) {
          const reduced = reducedTemplate(content, group);
          if (!reduced) continue;
          const text = JSON.stringify(reduced);
          const cached = this.resultCache?.lookup(group.ruleFiles, text);
          ruleGroupCheckLog.push({ reads: [...group.reads].sort(), template: path.basename(template), source: cached ? 'cached' : 'checked' });
          if (cached) {
            found[g].set(template, cached.map((v) => withTemplatePath(v, template)));
            continue;
          }
          workDir ??= fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-control-tower-'));
          const file = path.join(workDir, `${toCheck.length}-${path.basename(template)}`);
          // The cache is keyed by, and keeps findings for, the reduced template as written; only cfn-guard sees fewer actions.
          const withoutInert = group.leavesOutInertActions ? withoutInertActions(reduced) : undefined;
          fs.writeFileSync(file, withoutInert ? JSON.stringify(withoutInert.template) : text);
          toCheck.push({ group: g, template, text, file, restoreLocation: withoutInert?.restoreLocation });
        }
      });

      if (workDir && toCheck.length > 0) {
        // One job per group; a group costing more than a lane's fair share is split by template.
        const jobs: Array<GuardJob & { readonly checks: typeof toCheck }> = [];
        const costOf = (g: number, checks: typeof toCheck) => groups[g].ruleFiles.length * checks.reduce((sum, c) => sum + c.text.length, 0);
        const total = groups.reduce((sum, _, g) => sum + costOf(g, toCheck.filter((c) => c.group === g)), 0);
        const lanes = this.lanes ?? guardLanes();
        groups.forEach((group, g) => {
          const checks = toCheck.filter((c) => c.group === g);
          if (checks.length === 0) return;
          const parts = lanes > 1 && costOf(g, checks) > total / (2 * lanes) ? checks.map((c) => [c]) : [checks];
          for (const part of parts) jobs.push({ ruleFiles: group.ruleFiles, templatePaths: part.map((c) => c.file), cost: costOf(g, part), checks: part });
        });
        const reports = runGuardJobs(jobs, { lanes, maxBuffer: this.maxBuffer, workDir });
        jobs.forEach((job, j) => {
          const fresh = new Map<string, Violation[]>(job.checks.map((c) => [c.file, []]));
          const restorers = new Map(job.checks.flatMap((c) => (c.restoreLocation ? [[c.file, c.restoreLocation] as const] : [])));
          for (const reported of reports[j].violations) {
            const violation = restorers.size === 0 ? reported : withLocationsRestored(reported, restorers);
            const owners = new Set(violation.violatingResources.map((r) => r.templatePath));
            const owner = owners.size === 1 ? fresh.get([...owners][0]) : undefined;
            if (!owner) throw new Error(`cfn-guard reported a ${violation.ruleName} violation not attributable to one template: ${[...owners].join(', ')}`);
            owner.push(violation);
          }
          if (!reports[j].success && reports[j].violations.length === 0) throw new Error('cfn-guard failed without reporting a violation');
          for (const check of job.checks) {
            const own = fresh.get(check.file) as Violation[];
            this.resultCache?.store(groups[check.group].ruleFiles, check.text, own);
            found[check.group].set(check.template, own.map((v) => withTemplatePath(v, check.template)));
          }
        });
      }
    } finally {
      if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
    }

    const violations: Violation[] = [];
    groups.forEach((_, g) => {
      for (const template of templates.keys()) violations.push(...(found[g].get(template) ?? []));
    });
    return { success: violations.length === 0, violations };
  }
}

/** `violation` with each resource's locations put back where the template as written has them. */
function withLocationsRestored(violation: Violation, restorers: ReadonlyMap<string, (location: string) => string>): Violation {
  return {
    ...violation,
    violatingResources: violation.violatingResources.map((r) => {
      const restore = restorers.get(r.templatePath);
      return restore ? { ...r, locations: r.locations.map(restore) } : r;
    }),
  };
}

function withTemplatePath(violation: Violation, templatePath: string): Violation {
  return { ...violation, violatingResources: violation.violatingResources.map((r) => ({ ...r, templatePath })) };
}
