import * as fs from 'fs';
import * as path from 'path';
import { CloudFormationValidatePlugin } from 'aws-cdk-lib';
import type {
  IPolicyValidationContext,
  IPolicyValidationContextBeta1,
  IPolicyValidationPluginBeta1,
  PolicyValidationPluginReport,
  PolicyValidationPluginReportBeta1,
  PolicyViolation,
} from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { CONTROL_TOWER_PLUGIN, ControlTowerGuard, cfnGuardVersion, controlTowerGuardFiles, type RuleGroupResultCache } from './control-tower';
import {
  DEFAULT_TEMPLATE_CHECK_CACHE_DIRECTORY,
  TemplateCheckCache,
  filesSha256,
  sha256,
  templateCheckLog,
  type TemplateCheckKey,
} from './template-check-cache';
import { EngineStartPredictions, runInputsFingerprint } from './engine-start-prediction';
import { backgroundValidatorEngine, startValidatorEngine, stopValidatorEngine, validatorEngineHosted } from './validator-engine';

// The template-level checks of the gate (the Control Tower guard and CDK's CloudFormation
// validator) judge each template on its own, so their result for a template depends only on the
// template, what the checker is told about it, and the versions of the tool and its rules. These
// plugins check only the templates whose result is not in the cache, and put the report together
// from per-template results in one fixed order, so a report made from the cache is the report a
// fresh check makes.

/** A violation as stored per template: `templatePath` stands in for the template's path of the run. */
type StoredViolation = PolicyViolation;

/** One template's part of a plugin report. */
interface TemplateResult {
  readonly violations: StoredViolation[];
}

/** Written in place of a template's path in a stored result; the path differs between runs. */
const THIS_TEMPLATE = '<this template>';

function isTemplateResult(value: unknown): value is TemplateResult {
  if (value === null || typeof value !== 'object' || !Array.isArray((value as TemplateResult).violations)) return false;
  return (value as TemplateResult).violations.every(
    (v) =>
      v !== null &&
      typeof v === 'object' &&
      typeof v.ruleName === 'string' &&
      typeof v.description === 'string' &&
      Array.isArray(v.violatingResources) &&
      v.violatingResources.every((r) => r !== null && typeof r === 'object' && Array.isArray(r.locations) && r.templatePath === THIS_TEMPLATE),
  );
}

/** `violations` as stored: plain JSON, each resource's template path replaced by the placeholder. */
function toStored(violations: readonly PolicyViolation[]): TemplateResult {
  const stored = violations.map((v) => ({ ...v, violatingResources: v.violatingResources.map((r) => ({ ...r, templatePath: THIS_TEMPLATE })) }));
  return JSON.parse(JSON.stringify({ violations: stored })) as TemplateResult;
}

/** A stored result, for the template at `templatePath` in this run. */
function fromStored(result: TemplateResult, templatePath: string): PolicyViolation[] {
  const copy = JSON.parse(JSON.stringify(result.violations)) as Array<PolicyViolation & { violatingResources: Array<{ templatePath?: string }> }>;
  for (const v of copy) for (const r of v.violatingResources) r.templatePath = templatePath;
  return copy;
}

function fileSha256(file: string): string {
  return sha256(fs.readFileSync(file));
}

/** Each template path, in the order given, with the SHA-256 of its content. */
function templateContents(templatePaths: readonly string[]): Array<readonly [string, string]> {
  return templatePaths.map((file) => [path.resolve(file), fileSha256(file)] as const);
}

function resourceTypes(templateFiles: readonly string[]): Set<string> {
  const types = new Set<string>();
  for (const file of templateFiles) {
    const template = JSON.parse(fs.readFileSync(file, 'utf8')) as { Resources?: Record<string, { Type?: unknown }> };
    for (const resource of Object.values(template.Resources ?? {})) if (typeof resource?.Type === 'string') types.add(resource.Type);
  }
  return types;
}

// ------------------------------------------------------------------------------ Control Tower

let controlTowerTooling: Record<string, string> | undefined;

/**
 * Plinth's own modules that shape what a checker is given or what its stored result holds, as the
 * files this process loaded them from (`.ts` from source, `.js` from the package). Their hash is
 * part of every key: a change to how templates are reduced or results are read (the IAM action
 * step runs after the reduced template is hashed, for one) must not reuse results stored by the
 * code before it.
 */
export function plinthCheckModules(checker: 'control-tower' | 'validator'): string[] {
  const ext = path.extname(__filename);
  const own = fs
    .readdirSync(__dirname)
    .filter((f) => f.endsWith(ext) && !f.endsWith(`.d${ext}`))
    .filter((f) => (checker === 'control-tower' ? f.startsWith('control-tower') : f.startsWith('validator-engine')) || f === `template-checks${ext}`)
    .sort();
  return own.map((f) => path.join(__dirname, f));
}

/** The guard plugin's version, cfn-guard's version, a hash of every Control Tower rule file, and of Plinth's guard code. */
function controlTowerToolingKey(plugin: { readonly version?: string }): Record<string, string> {
  controlTowerTooling ??= {
    plugin: plugin.version ?? 'unknown',
    cfnGuard: cfnGuardVersion(),
    rules: filesSha256(controlTowerGuardFiles(), path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json'))),
    plinthCode: filesSha256(plinthCheckModules('control-tower'), __dirname),
  };
  return controlTowerTooling;
}

/** Options for {@link CachedControlTowerGuard}. */
export interface CachedControlTowerGuardOptions {
  /**
   * Where results are cached between runs; `false` checks every template every time.
   *
   * @default node_modules/.cache/plinth-template-checks
   */
  readonly cacheDirectory?: string | false;
  /**
   * cfn-guard's output limit in bytes (its JSON grows with the templates).
   *
   * @default 64 MiB
   */
  readonly maxBuffer?: number;
}

/**
 * The Control Tower guard ({@link ControlTowerGuard}) with each template's result cached. One
 * cfn-guard process checks every template that is not in the cache (see docs/performance.md for
 * the groupings measured); the report lists the templates in the order CDK gives them, and each
 * template's violations in rule-name order, whether they come from the cache or from cfn-guard.
 */
export class CachedControlTowerGuard implements IPolicyValidationPluginBeta1 {
  readonly name = CONTROL_TOWER_PLUGIN;
  readonly version: string;
  private readonly guard: ControlTowerGuard;
  private readonly cache: TemplateCheckCache;

  constructor(options: CachedControlTowerGuardOptions = {}) {
    this.cache = new TemplateCheckCache(options.cacheDirectory === false ? undefined : (options.cacheDirectory ?? DEFAULT_TEMPLATE_CHECK_CACHE_DIRECTORY));
    this.guard = new ControlTowerGuard({ maxBuffer: options.maxBuffer, resultCache: this.cache.directory ? ruleGroupResultCache(this.cache, () => controlTowerToolingKey(this)) : undefined });
    this.version = this.guard.version;
  }

  private ahead:
    | { readonly templates: ReadonlyArray<readonly [string, string]>; readonly report?: PolicyValidationPluginReportBeta1; readonly error?: unknown }
    | undefined;

  /**
   * Checks `context`'s templates now; the next `validate` given the same templates, with the same
   * contents, returns this report (or throws this error) instead of checking them again. The gate
   * calls it while the CloudFormation validator's worker thread validates: CDK runs this plugin
   * after the validator and the packs, on the same templates, so cfn-guard's processes can run
   * beside the validator's engine instead of after it.
   */
  runAhead(context: IPolicyValidationContextBeta1): void {
    let templates: Array<readonly [string, string]> | undefined;
    try {
      templates = templateContents(context.templatePaths);
      this.ahead = { templates, report: this.check(context) };
    } catch (error) {
      // A template that cannot be read is left to `validate`, which meets the same error.
      this.ahead = templates ? { templates, error } : undefined;
    }
  }

  validate(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const ahead = this.ahead;
    this.ahead = undefined;
    if (ahead !== undefined) {
      const now = templateContents(context.templatePaths);
      if (now.length === ahead.templates.length && now.every(([file, sha], i) => ahead.templates[i][0] === file && ahead.templates[i][1] === sha)) {
        if (ahead.report === undefined) throw ahead.error;
        return ahead.report;
      }
    }
    return this.check(context);
  }

  private check(context: IPolicyValidationContextBeta1): PolicyValidationPluginReportBeta1 {
    const tooling = controlTowerToolingKey(this);
    const templates = [...new Set(context.templatePaths)];
    const keys = new Map(templates.map((t) => [t, { checker: this.name, tooling, templateSha256: fileSha256(t), context: {} } satisfies TemplateCheckKey]));
    const results = new Map<string, TemplateResult>();
    for (const template of templates) {
      const cached = this.cache.lookup(keys.get(template) as TemplateCheckKey, isTemplateResult);
      if (cached) results.set(template, cached);
    }
    const unchecked = templates.filter((t) => !results.has(t));
    if (unchecked.length > 0) {
      const fresh = this.guard.validate({ ...context, templatePaths: unchecked });
      const byTemplate = new Map<string, PolicyViolation[]>(unchecked.map((t) => [t, []]));
      for (const violation of fresh.violations) {
        const owners = new Set(violation.violatingResources.map((r) => r.templatePath));
        const owner = owners.size === 1 ? byTemplate.get([...owners][0]) : undefined;
        // A violation not attributable to exactly one template cannot be split: report this run uncached.
        if (!owner) return fresh;
        owner.push(violation);
      }
      if (!fresh.success && fresh.violations.length === 0) return fresh;
      for (const template of unchecked) {
        // cfn-guard's order of rules depends on which ran together; rule-name order does not.
        const violations = stableSortBy(byTemplate.get(template) as PolicyViolation[], (v) => v.ruleName);
        const stored = toStored(violations);
        this.cache.store(keys.get(template) as TemplateCheckKey, stored);
        results.set(template, stored);
      }
    }
    const violations: PolicyViolation[] = [];
    for (const template of templates) {
      templateCheckLog.push({ checker: this.name, template: path.basename(template), source: unchecked.includes(template) ? 'checked' : 'cached' });
      violations.push(...fromStored(results.get(template) as TemplateResult, template));
    }
    return { success: violations.length === 0, violations: violations as PolicyValidationPluginReportBeta1['violations'] };
  }
}

/**
 * The guard's findings per group of rules and reduced template, in the same cache as the
 * per-template results. A template that changed is checked again only by the groups of rules
 * whose reduced template changed with it: one changed Lambda function re-runs the rules that
 * read Lambda functions, not the bucket or IAM rules.
 */
function ruleGroupResultCache(cache: TemplateCheckCache, tooling: () => Record<string, string>): RuleGroupResultCache {
  const keyFor = (ruleFiles: readonly string[], reducedTemplate: string): TemplateCheckKey => ({
    checker: `${CONTROL_TOWER_PLUGIN}.rule-group`,
    tooling: tooling(),
    templateSha256: sha256(reducedTemplate),
    context: { rules: ruleFiles.map((f) => path.basename(f, '.guard')).join(' ') },
  });
  return {
    lookup: (ruleFiles, reducedTemplate) => {
      const stored = cache.lookup(keyFor(ruleFiles, reducedTemplate), isTemplateResult);
      // Stored from the guard's own Beta1 violations, and checked by isTemplateResult on the way out.
      return stored ? (fromStored(stored, THIS_TEMPLATE) as PolicyValidationPluginReportBeta1['violations']) : undefined;
    },
    store: (ruleFiles, reducedTemplate, violations) => cache.store(keyFor(ruleFiles, reducedTemplate), toStored(violations)),
  };
}

function stableSortBy<T>(items: readonly T[], key: (item: T) => string): T[] {
  return items
    .map((item, index) => ({ item, index, k: key(item) }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.index - b.index))
    .map((x) => x.item);
}

// ------------------------------------------------------------------- CloudFormation validator

const CDK_ROOT = path.dirname(require.resolve('aws-cdk-lib/package.json'));
const VALIDATE_PACKAGE_JSON = require.resolve('@aws/cloudformation-validate/package.json', { paths: [CDK_ROOT] });
const CDK_RULES_DIR = path.join(CDK_ROOT, 'core', 'lib', 'validation', 'rules');

/** What CDK's plugin keeps private and this subclass relies on; checked before each use. */
interface EngineInternals {
  engine?: unknown;
  engineResourceTypes?: Set<string>;
  initializeEngine?: (types: Set<string>) => unknown;
}

interface RuleIndex {
  readonly rules: ReadonlyArray<{ readonly file: string; readonly types: readonly string[] | null }>;
}

let validatorTooling: Record<string, string> | undefined;
let ruleIndex: RuleIndex | undefined;

function builtinRuleIndex(): RuleIndex {
  ruleIndex ??= JSON.parse(fs.readFileSync(path.join(CDK_RULES_DIR, 'index.generated.json'), 'utf8')) as RuleIndex;
  return ruleIndex;
}

/** aws-cdk-lib's version (it maps diagnostics to findings), the engine's version, a hash of the built-in rules, and of Plinth's validator code. */
function validatorToolingKey(): Record<string, string> {
  validatorTooling ??= {
    awsCdkLib: (JSON.parse(fs.readFileSync(path.join(CDK_ROOT, 'package.json'), 'utf8')) as { version: string }).version,
    engine: engineVersion(),
    rules: filesSha256(
      fs
        .readdirSync(CDK_RULES_DIR)
        .sort()
        .map((f) => path.join(CDK_RULES_DIR, f)),
      CDK_RULES_DIR,
    ),
    plinthCode: filesSha256(plinthCheckModules('validator'), __dirname),
  };
  return validatorTooling;
}

function engineVersion(): string {
  return (JSON.parse(fs.readFileSync(VALIDATE_PACKAGE_JSON, 'utf8')) as { version: string }).version;
}

/**
 * The process's one CloudFormation validator engine: CDK's own default plugin instance (the one
 * CDK registers when the gate does not), so Apps with and without the gate share it too.
 */
function sharedValidator(): CloudFormationValidatePlugin {
  const singleton = (CloudFormationValidatePlugin as unknown as { _singletonInstance?: () => CloudFormationValidatePlugin })._singletonInstance;
  if (typeof singleton === 'function') return singleton.call(CloudFormationValidatePlugin);
  fallbackValidator ??= new CloudFormationValidatePlugin();
  return fallbackValidator;
}
let fallbackValidator: CloudFormationValidatePlugin | undefined;

/**
 * Starts `plugin`'s engine once for every resource type about to be checked. CDK restarts it
 * whenever a template brings a type it was not started with, although only a built-in rule for
 * that type would change it; types no built-in rule names are added without a restart.
 */
function prepareEngine(plugin: CloudFormationValidatePlugin, types: Set<string>): void {
  const internals = plugin as unknown as EngineInternals;
  if (typeof internals.initializeEngine !== 'function') return; // CDK manages the engine itself: correct, only slower
  const known = internals.engine && internals.engineResourceTypes instanceof Set ? internals.engineResourceTypes : undefined;
  const added = [...types].filter((t) => !known?.has(t));
  if (known && added.length === 0) return;
  if (known && !builtinRuleIndex().rules.some((r) => r.types?.some((t) => added.includes(t)))) {
    for (const t of added) known.add(t);
    return;
  }
  internals.initializeEngine.call(plugin, new Set([...(known ?? []), ...types]));
}

/**
 * When the validator's engine in a worker thread was started in this process (for the benchmark
 * and the tests): `early` with the gate, `not early` when the run's inputs predicted every template
 * cached, `on demand` when a template was then found not cached.
 */
export const validatorEngineStartLog: Array<'early' | 'not early' | 'on demand'> = [];

/**
 * CDK's CloudFormation validator (`CloudFormationValidatePlugin`, the "CloudFormation Validate"
 * plugin) with each template's result cached. Registered on the App, it takes the place of the
 * default instance CDK would add, so it is one and the same validator, with the same name, rules
 * and severities. Templates not in the cache are checked one at a time by CDK's own code, on the
 * process's one engine (CDK's default instance, {@link sharedValidator}), and the per-template
 * results are merged the way CDK merges them (one violation per rule, severity and message, its
 * resources in template order). When every template is cached the engine is not started at all.
 */
export class CachedCloudFormationValidator extends CloudFormationValidatePlugin {
  private readonly cache: TemplateCheckCache;

  private readonly whileValidating: ((context: IPolicyValidationContext) => void) | undefined;

  /** Set by {@link startEngineInWorker}: validate on an engine in a worker thread. */
  private engineInWorker = false;

  /** This run's inputs, remembered when every template's result is in the cache. */
  private inputsFingerprint: string | undefined;

  /**
   * @param cacheDirectory where results are cached between runs; `false` checks every template every time
   * @param whileValidating work to do on this thread while the engine's worker thread validates
   *   (the gate runs the nag packs ahead there); not called when the engine runs in-process or
   *   every template is cached
   */
  constructor(cacheDirectory: string | false = DEFAULT_TEMPLATE_CHECK_CACHE_DIRECTORY, whileValidating?: (context: IPolicyValidationContext) => void) {
    super();
    this.cache = new TemplateCheckCache(cacheDirectory === false ? undefined : cacheDirectory);
    this.whileValidating = whileValidating;
  }

  /**
   * Validates on an engine in a worker thread (lib/compliance/validator-engine.ts), started now so
   * that it starts while the app is built, unless an earlier run with the same inputs left every
   * template's result in the cache (lib/compliance/engine-start-prediction.ts): then the engine is
   * likely not needed, and starting it would only take CPU from building the app. Not started now,
   * it starts the moment the validator finds a template that is not cached.
   *
   * @param scope the App (its context is one of the inputs)
   * @returns whether the engine was started now
   */
  startEngineInWorker(scope: IConstruct): boolean {
    this.engineInWorker = true;
    if (this.cache.directory) {
      this.inputsFingerprint = runInputsFingerprint(scope);
      if (new EngineStartPredictions(this.cache.directory).predictsEveryTemplateCached(this.inputsFingerprint)) {
        validatorEngineStartLog.push('not early');
        return false;
      }
    }
    startValidatorEngine();
    validatorEngineStartLog.push('early');
    return true;
  }

  /** The engine's version, read from its package instead of loading the engine to ask it. */
  override get version(): string {
    return engineVersion();
  }

  override validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const tooling = validatorToolingKey();
    const stacks = context.stackTemplates;
    const keys = stacks.map(
      (s): TemplateCheckKey => ({
        checker: this.name,
        tooling,
        templateSha256: fileSha256(s.templatePath),
        context: { stackConstructPath: s.stackConstructPath, accountId: s.accountId, region: s.region },
      }),
    );
    const results = stacks.map((_, i) => this.cache.lookup(keys[i], isTemplateResult));
    const unchecked = stacks.filter((_, i) => !results[i]);
    if (unchecked.length > 0) {
      const fresh = this.checkEach(context, unchecked);
      let next = 0;
      stacks.forEach((_, i) => {
        if (results[i]) return;
        const stored = toStored(fresh[next++]);
        this.cache.store(keys[i], stored);
        results[i] = stored;
      });
    } else {
      // Every template came from the cache: the engine started for this run is not needed.
      stopValidatorEngine();
    }
    if (this.inputsFingerprint && this.cache.directory) new EngineStartPredictions(this.cache.directory).recordEveryTemplateCached(this.inputsFingerprint);
    // Merged as CDK merges the diagnostics of several templates: by rule, severity and message.
    const violations: PolicyViolation[] = [];
    stacks.forEach((stack, i) => {
      templateCheckLog.push({ checker: this.name, template: path.basename(stack.templatePath), source: unchecked.includes(stack) ? 'checked' : 'cached' });
      for (const v of fromStored(results[i] as TemplateResult, stack.templatePath)) {
        const existing = violations.find((e) => e.ruleName === v.ruleName && e.severity === v.severity && e.description === v.description);
        if (existing) existing.violatingResources.push(...v.violatingResources);
        else violations.push(v);
      }
    });
    return { success: violations.every((v) => v.severity !== 'error' && v.severity !== 'fatal'), violations };
  }

  /**
   * Each template's violations, each template validated on its own: on the engine in a worker
   * thread when there is one, {@link startEngineInWorker} asked for one, or a host shares its
   * engine (`validatorEngineHosted`; started now if it was not started early), else on the
   * process's one in-process engine. Both run CDK's plugin with the same rules on the same
   * templates.
   */
  private checkEach(context: IPolicyValidationContext, stacks: IPolicyValidationContext['stackTemplates']): PolicyViolation[][] {
    let worker = backgroundValidatorEngine();
    if (!worker && (this.engineInWorker || validatorEngineHosted())) {
      worker = startValidatorEngine();
      validatorEngineStartLog.push('on demand');
    }
    if (worker) {
      const pending = worker.submit(stacks);
      this.whileValidating?.(context);
      return pending.wait();
    }
    const engine = sharedValidator();
    prepareEngine(engine, resourceTypes(stacks.map((s) => s.templatePath)));
    return stacks.map((stack) => engine.validate({ ...context, templatePaths: [stack.templatePath], stackTemplates: [stack] }).violations);
  }
}
