import { CfnResource, Stack, Stage, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { NagMessageLevel, NagRuleCompliance } from 'cdk-nag';
import type { IApplyRule, NagRuleResult } from 'cdk-nag';

/** What one rule concluded about one resource. */
export type RuleOutcome = 'pass' | 'fail' | 'acknowledged' | 'not-applicable';
export const RULE_OUTCOMES: readonly RuleOutcome[] = ['pass', 'fail', 'acknowledged', 'not-applicable'];

/** The resource a rule looked at. */
export interface EvaluatedResource {
  /** Construct path, e.g. `dev/Foundation/Keys/DataLakeKey/Resource`. */
  readonly path: string;
  /** The environment (top-level Stage) it belongs to, or `''` outside any Stage. */
  readonly environment: string;
  /** The stack's artifact id, which names its template: `<stackArtifactId>.template.json`. */
  readonly stackArtifactId: string;
  readonly logicalId: string;
  readonly type: string;
}

/** One rule evaluated against one resource. */
export interface RuleEvaluation {
  /** The validation plugin that ran the rule, e.g. `NIST.800.53.R5`. */
  readonly plugin: string;
  /** The rule id as the plugin reports it, e.g. `NIST.800.53.R5-S3DefaultEncryptionKMS`. */
  readonly rule: string;
  readonly outcome: RuleOutcome;
  /** The ids of the non-compliant findings (`Rule` or `Rule[finding]`); empty on pass and not-applicable. */
  readonly findings: readonly string[];
  /** The subset of `findings` that an acknowledgement covers. */
  readonly acknowledgedFindings: readonly string[];
  /** The rule threw instead of answering (nag reports that as a finding). */
  readonly error?: string;
  readonly resource: EvaluatedResource;
}

/** What a rule is for, as its pack describes it. */
export interface RuleDescription {
  readonly plugin: string;
  readonly rule: string;
  /** The rule's one-line summary (cdk-nag `info`). */
  readonly info: string;
  readonly explanation: string;
  readonly severity: 'error' | 'warning' | 'info';
  /** Control ids read from the rule's own text, `(Control IDs: ...)`; empty when it names none. */
  readonly controls: readonly string[];
}

/**
 * The control ids a rule names in its description, as NIST, HIPAA and PCI packs (and Plinth's)
 * write them: `... - (Control IDs: AC-4(21), SC-7b, SC-28(1)).`
 */
export function controlIdsIn(text: string): string[] {
  const marker = '(Control IDs:';
  const start = text.indexOf(marker);
  if (start < 0) return [];
  // The list ends at the parenthesis that closes the marker's; ids such as AC-4(21) nest their own.
  let depth = 1;
  let end = start + marker.length;
  for (; end < text.length && depth > 0; end++) {
    if (text[end] === '(') depth++;
    else if (text[end] === ')') depth--;
  }
  const list = text.slice(start + marker.length, depth === 0 ? end - 1 : end);
  return [...new Set(list.split(',').map((id) => id.trim()).filter((id) => id.length > 0))];
}

/** The namespace CDK's validation engine files a plugin's acknowledgements under. */
export function acknowledgementNamespace(plugin: string): string {
  return plugin.replace(/ /g, '-');
}

/**
 * Whether `ruleId` is acknowledged on `node` or an ancestor: the same metadata lookup cdk-nag
 * makes (`Validations.ACKNOWLEDGED_RULES_METADATA_KEY` up the construct tree), accepting the
 * plain id and the namespaced `Plugin::Rule` id that `acknowledgeFinding` writes.
 */
export function isAcknowledged(node: IConstruct, plugin: string, ruleId: string): boolean {
  const accepted = new Set([ruleId, `${acknowledgementNamespace(plugin)}::${ruleId}`]);
  for (let current: IConstruct | undefined = node; current; current = current.node.scope) {
    for (const entry of current.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      const ids = Object.keys(entry.data as Record<string, string>).map((id) => id.replace(/^annotation::/i, ''));
      if (ids.some((id) => accepted.has(id))) return true;
    }
  }
  return false;
}

/** The top-level Stage (the environment) a construct belongs to, or `''` outside any Stage. */
export function environmentOf(node: IConstruct): string {
  let environment = '';
  for (let stage = Stage.of(node); stage?.parentStage; stage = stage.parentStage) environment = stage.stageName;
  return environment;
}

const describedResources = new WeakMap<CfnResource, EvaluatedResource>();

/** The resource as the report names it; computed once per resource, since every rule of every pack asks. */
function describeResource(node: CfnResource): EvaluatedResource {
  let described = describedResources.get(node);
  if (described === undefined) {
    const stack = Stack.of(node);
    described = {
      path: node.node.path,
      environment: environmentOf(node),
      stackArtifactId: stack.artifactId,
      logicalId: stack.resolve(node.logicalId) as string,
      type: node.cfnResourceType,
    };
    describedResources.set(node, described);
  }
  return described;
}

const NO_FINDINGS: readonly string[] = Object.freeze([]);

/** A rule that threw: kept so every pack that asks gets the same error. */
class RuleThrew {
  constructor(readonly error: unknown) {}
}

function severityOf(level: NagMessageLevel): RuleDescription['severity'] {
  if (level === NagMessageLevel.ERROR) return 'error';
  return level === NagMessageLevel.WARN ? 'warning' : 'info';
}

/** A rule's evaluations in one environment: the applicable ones in the order they ran, and how many were not applicable. */
export interface RuleEvaluations {
  readonly evaluations: RuleEvaluation[];
  notApplicable: number;
}

/** The evaluations of one environment, by rule in the order each rule was first evaluated there, and every resource evaluated. */
export interface EnvironmentEvaluations {
  readonly byRule: Map<string, RuleEvaluations>;
  readonly resources: EvaluatedResource[];
}

/** Not-applicable evaluations are kept as `rule * RESOURCE_SLOTS + resource`: both indexes must fit. */
const RESOURCE_SLOTS = 2 ** 21;
const MAX_RULE_INDEX = 2 ** 31 / RESOURCE_SLOTS - 1;

/**
 * One plugin's evaluations in the order they ran. About 98% of them are "not applicable" (every
 * rule of every pack is asked about every resource: 433,000 of 440,000 in the main job), and all
 * of those are alike but for the rule and the resource. So an applicable evaluation is kept as an
 * object, and a not-applicable one as one small integer (a rule index and a resource index) in the
 * same sequence: the evaluations, their order and their content are what they were, without half
 * a million objects for the garbage collector to copy and promote.
 */
class EvaluationLog {
  private readonly rules: string[] = [];
  private readonly ruleIndex = new Map<string, number>();
  private readonly resources: EvaluatedResource[] = [];
  private readonly resourceIndex = new Map<EvaluatedResource, number>();
  private readonly applicable: RuleEvaluation[] = [];
  /** In order: n >= 0 a not-applicable evaluation (rule, resource); n < 0 applicable[-n - 1]. */
  private readonly order: number[] = [];

  constructor(private readonly plugin: string) {}

  add(evaluation: RuleEvaluation): void {
    this.applicable.push(evaluation);
    this.order.push(-this.applicable.length);
  }

  addNotApplicable(rule: string, resource: EvaluatedResource): void {
    let r = this.ruleIndex.get(rule);
    if (r === undefined) {
      r = this.rules.length;
      this.rules.push(rule);
      this.ruleIndex.set(rule, r);
    }
    let x = this.resourceIndex.get(resource);
    if (x === undefined) {
      x = this.resources.length;
      this.resources.push(resource);
      this.resourceIndex.set(resource, x);
    }
    if (r > MAX_RULE_INDEX || x >= RESOURCE_SLOTS) {
      this.add(notApplicable(this.plugin, rule, resource));
      return;
    }
    this.order.push(r * RESOURCE_SLOTS + x);
  }

  /** Calls `visit` with each evaluation in order; a not-applicable one as its rule and resource only. */
  forEach(visit: (rule: string, resource: EvaluatedResource, applicable: RuleEvaluation | undefined) => void): void {
    for (const n of this.order) {
      if (n < 0) {
        const evaluation = this.applicable[-n - 1];
        visit(evaluation.rule, evaluation.resource, evaluation);
      } else {
        visit(this.rules[Math.floor(n / RESOURCE_SLOTS)], this.resources[n % RESOURCE_SLOTS], undefined);
      }
    }
  }
}

function notApplicable(plugin: string, rule: string, resource: EvaluatedResource): RuleEvaluation {
  return { plugin, rule, outcome: 'not-applicable', findings: NO_FINDINGS, acknowledgedFindings: NO_FINDINGS, resource };
}

/**
 * Every rule evaluation of the nag packs in one synth, passes included: the evidence
 * cdk-nag 3 does not keep (it reports violations only).
 */
export class ComplianceEvidence {
  private readonly logsByPlugin = new Map<string, EvaluationLog>();
  private readonly descriptions = new Map<string, RuleDescription>();
  private answers = new WeakMap<CfnResource, Map<IApplyRule['rule'], NagRuleResult | RuleThrew>>();
  private readonly pluginsThisRun = new Set<string>();
  private rootThisRun: IConstruct | undefined;
  private readonly wrappers = new Map<
    IApplyRule['rule'],
    Array<{ readonly plugin: string; readonly packName: string; readonly override: string | undefined; readonly recording: IApplyRule['rule'] }>
  >();

  /** Every evaluation recorded, in the order the packs ran. */
  get evaluations(): RuleEvaluation[] {
    const all: RuleEvaluation[] = [];
    for (const [plugin, log] of this.logsByPlugin) log.forEach((rule, resource, applicable) => all.push(applicable ?? notApplicable(plugin, rule, resource)));
    return all;
  }

  /** The evaluations of resources in one environment (`''`: outside any Stage), in the order the packs ran. */
  evaluationsIn(environment: string): RuleEvaluation[] {
    const found: RuleEvaluation[] = [];
    for (const [plugin, log] of this.logsByPlugin) {
      log.forEach((rule, resource, applicable) => {
        if (resource.environment === environment) found.push(applicable ?? notApplicable(plugin, rule, resource));
      });
    }
    return found;
  }

  /**
   * The evaluations of one environment as the report reads them: by rule, in the order each rule
   * was first evaluated there (as grouping {@link evaluationsIn} by rule gives), the applicable ones
   * in order and the others counted; and every resource evaluated, in the order first evaluated.
   */
  evaluationsByRuleIn(environment: string): EnvironmentEvaluations {
    const byRule = new Map<string, RuleEvaluations>();
    const resources: EvaluatedResource[] = [];
    const seen = new Set<EvaluatedResource>();
    for (const log of this.logsByPlugin.values()) {
      log.forEach((rule, resource, applicable) => {
        if (resource.environment !== environment) return;
        if (!seen.has(resource)) {
          seen.add(resource);
          resources.push(resource);
        }
        let forRule = byRule.get(rule);
        if (forRule === undefined) {
          forRule = { evaluations: [], notApplicable: 0 };
          byRule.set(rule, forRule);
        }
        if (applicable === undefined) forRule.notApplicable += 1;
        else forRule.evaluations.push(applicable);
      });
    }
    return { byRule, resources };
  }

  /** Every rule that ran, with its description and control ids. */
  get rules(): RuleDescription[] {
    return [...this.descriptions.values()];
  }

  /** The plugins that recorded evaluations. */
  get plugins(): string[] {
    return [...this.logsByPlugin.keys()];
  }

  /**
   * Forgets a plugin's evaluations; each validation run starts afresh, as cdk-nag's own report does.
   *
   * The packs apply many of the same rule functions (NIST, HIPAA and PCI share most of theirs with
   * each other and with AwsSolutions). A rule is a function of the resource and the tree it is in,
   * and the tree does not change while the validation plugins of one synth run, so a rule's answer
   * for a resource is computed once and reused by every pack that applies the same function to it
   * within that synth. The synth's run of the packs ends when a pack starts again, or a pack starts
   * on another tree: every answer is then forgotten.
   */
  startRun(plugin: string, root?: IConstruct): void {
    if (this.pluginsThisRun.has(plugin) || root !== this.rootThisRun) {
      this.answers = new WeakMap();
      this.pluginsThisRun.clear();
      this.rootThisRun = root;
    }
    this.pluginsThisRun.add(plugin);
    this.logsByPlugin.set(plugin, new EvaluationLog(plugin));
  }

  /** `rule`'s answer for `node` in this run of the packs: computed by the first pack that asks. */
  private answerOf(rule: IApplyRule['rule'], node: CfnResource): NagRuleResult {
    let forNode = this.answers.get(node);
    if (forNode === undefined) {
      forNode = new Map();
      this.answers.set(node, forNode);
    }
    // The answer itself is kept (no wrapper object per answer: there are hundreds of thousands).
    let answer = forNode.get(rule);
    if (answer === undefined) {
      try {
        answer = rule(node);
      } catch (error) {
        answer = new RuleThrew(error);
      }
      forNode.set(rule, answer);
    }
    if (answer instanceof RuleThrew) throw answer.error;
    return answer;
  }

  /**
   * Wraps one `applyRule` call so its result is recorded, then handed back to cdk-nag unchanged
   * (an error is rethrown, so nag reports it as before). The wrapper keeps the rule's `name`,
   * from which nag derives the rule id.
   */
  recordingRule(plugin: string, packName: string, params: IApplyRule): IApplyRule {
    const override = params.ruleSuffixOverride;
    // Every resource gets the same wrapper for a rule of a plugin: found without building the rule id.
    const known = this.wrappers.get(params.rule)?.find((w) => w.plugin === plugin && w.packName === packName && w.override === override);
    if (known !== undefined) return { ...params, rule: known.recording };
    const ruleId = `${packName}-${override ? override : params.rule.name}`;
    if (!this.descriptions.has(ruleId)) {
      this.descriptions.set(ruleId, {
        plugin,
        rule: ruleId,
        info: params.info,
        explanation: params.explanation,
        severity: severityOf(params.level),
        controls: controlIdsIn(params.info).length > 0 ? controlIdsIn(params.info) : controlIdsIn(params.explanation),
      });
    }
    const original = params.rule;
    const recording = (node: CfnResource): NagRuleResult => {
      let result: NagRuleResult;
      try {
        result = this.answerOf(original, node);
      } catch (error) {
        this.record(plugin, ruleId, node, undefined, error as Error);
        throw error;
      }
      this.record(plugin, ruleId, node, result);
      return result;
    };
    Object.defineProperty(recording, 'name', { value: original.name });
    const forRule = this.wrappers.get(original) ?? [];
    forRule.push({ plugin, packName, override, recording });
    this.wrappers.set(original, forRule);
    return { ...params, rule: recording };
  }

  private record(plugin: string, ruleId: string, node: CfnResource, result: NagRuleResult | undefined, error?: Error): void {
    let findings: readonly string[];
    if (error !== undefined || result === NagRuleCompliance.NON_COMPLIANT) findings = [ruleId];
    else if (Array.isArray(result)) findings = result.length > 0 ? result.map((finding) => `${ruleId}[${finding}]`) : NO_FINDINGS;
    else findings = NO_FINDINGS;
    const acknowledgedFindings = findings.length > 0 ? findings.filter((finding) => isAcknowledged(node, plugin, finding)) : NO_FINDINGS;
    let outcome: RuleOutcome;
    if (result === NagRuleCompliance.NOT_APPLICABLE) outcome = 'not-applicable';
    else if (findings.length === 0) outcome = 'pass';
    else outcome = acknowledgedFindings.length === findings.length ? 'acknowledged' : 'fail';
    let log = this.logsByPlugin.get(plugin);
    if (log === undefined) {
      log = new EvaluationLog(plugin);
      this.logsByPlugin.set(plugin, log);
    }
    if (outcome === 'not-applicable' && error === undefined) {
      log.addNotApplicable(ruleId, describeResource(node));
      return;
    }
    log.add({
      plugin,
      rule: ruleId,
      outcome,
      findings,
      acknowledgedFindings,
      ...(error !== undefined ? { error: error.message } : {}),
      resource: describeResource(node),
    });
  }
}
