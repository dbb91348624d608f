import { App, Validations } from 'aws-cdk-lib';
import type { IPolicyValidationPlugin, Stage } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { DEFAULT_TEMPLATE_CHECK_CACHE_DIRECTORY } from './template-check-cache';
import { acknowledgeControlTowerWaivers } from './control-tower-waivers';
import { ComplianceEvidence } from './evidence';
import {
  RecordingAwsSolutionsChecks,
  RecordingHIPAASecurityChecks,
  RecordingNIST80053R5Checks,
  RecordingPCIDSS321Checks,
  RecordingPlinthMlChecks,
  type RecordingPack,
} from './recording-packs';
import { CachedCloudFormationValidator, CachedControlTowerGuard } from './template-checks';

/** Options for {@link applyComplianceGate}. */
export interface ComplianceGateOptions {
  /**
   * Print each rule's full explanation next to its findings.
   *
   * @default false
   */
  readonly verbose?: boolean;
  /**
   * Run the cdk-nag packs AwsSolutions, NIST 800-53 R5, HIPAA Security and PCI DSS 3.2.1.
   *
   * @default true
   */
  readonly nagPacks?: boolean;
  /**
   * Run Plinth's own ML rules (pack `Plinth`).
   *
   * @default true
   */
  readonly plinthRules?: boolean;
  /**
   * Run the AWS Control Tower proactive controls (cfn-guard, through `@cdklabs/cdk-validator-cfnguard`).
   *
   * @default true
   */
  readonly controlTower?: boolean;
  /**
   * Where the results of the template-level checks (the Control Tower guard and the
   * CloudFormation validator) are cached by each template's content and the versions of the
   * tools and rules; `false` checks every template on every synth. A template that did not change
   * is not checked again, and its cached findings are reported exactly as a fresh check's.
   *
   * @default node_modules/.cache/plinth-template-checks
   */
  readonly templateCheckCache?: string | false;
  /**
   * Start the CloudFormation validator's engine now, in a worker thread, so it starts while the
   * app is built and synthesized instead of after (lib/compliance/validator-engine.ts); the
   * validator then validates on it, with the same findings. When an earlier run with the same
   * inputs left every template's result in the cache, the engine is not started now but when the
   * validator finds a template not cached (lib/compliance/engine-start-prediction.ts). For the
   * main job (bin/plinth.ts): the worker costs a thread and the engine's memory from the moment
   * it starts, which a unit test that may never reach the validator does not need.
   *
   * @default false (the engine starts in-process when the validator first needs it)
   */
  readonly validatorEngineInWorker?: boolean;
}

/** What the gate put on a Stage or App: the options it ran with and the evidence it records. */
export interface ComplianceGate {
  readonly options: Required<ComplianceGateOptions>;
  readonly evidence: ComplianceEvidence;
}

const gates = new WeakMap<IConstruct, ComplianceGate>();

/**
 * The gate applied to `stage` (the App, usually), with the evidence of its last synth.
 *
 * @returns undefined when {@link applyComplianceGate} was not called on it
 */
export function complianceGateOf(stage: IConstruct): ComplianceGate | undefined {
  return gates.get(stage);
}

/**
 * Puts the compliance gate on a Stage or App: the cdk-nag packs AwsSolutions, NIST 800-53 R5,
 * HIPAA Security and PCI DSS 3.2.1, Plinth's own ML rules, and the AWS Control Tower proactive
 * controls. Any unacknowledged error fails synth. Every nag and Plinth rule evaluation is
 * recorded for the compliance report ({@link complianceGateOf}).
 *
 * The CloudFormation validator is the other half of the gate; its errors fail synth when the
 * `@aws-cdk/core:validateAgainstDefaultRules` feature flag is on (see `cdk.json`), and
 * `CDK_VALIDATION=false` turns it off for unit tests that do not test the gate. On an App, the
 * gate registers it with its results cached per template (`templateCheckCache`), as it does the
 * Control Tower guard; its engine starts once per process, and not at all when every template is
 * cached (lib/compliance/template-checks.ts).
 */
export function applyComplianceGate(stage: Stage, options: ComplianceGateOptions = {}): ComplianceGate {
  const resolved: Required<ComplianceGateOptions> = {
    verbose: options.verbose ?? false,
    nagPacks: options.nagPacks ?? true,
    plinthRules: options.plinthRules ?? true,
    controlTower: options.controlTower ?? true,
    templateCheckCache: options.templateCheckCache ?? DEFAULT_TEMPLATE_CHECK_CACHE_DIRECTORY,
    validatorEngineInWorker: options.validatorEngineInWorker ?? false,
  };
  const evidence = new ComplianceEvidence();
  const props = { verbose: resolved.verbose };
  const plugins: IPolicyValidationPlugin[] = [];
  const packs: RecordingPack[] = [];
  // The validator with its results cached takes the place of the instance CDK would add. CDK
  // accepts it only on the App; on any other Stage, CDK's own instance runs uncached. CDK runs it
  // first and the packs right after; while its engine validates in the worker thread, this thread
  // runs the packs ahead (their reports and evidence are the ones they would make next), then
  // the Control Tower guard, whose cfn-guard processes then run beside the engine.
  const controlTower = resolved.controlTower ? new CachedControlTowerGuard({ cacheDirectory: resolved.templateCheckCache }) : undefined;
  if (App.isApp(stage) && stage._builtinCloudFormationValidation && process.env.CDK_VALIDATION !== 'false') {
    const validator = new CachedCloudFormationValidator(resolved.templateCheckCache, (context) => {
      packs.forEach((pack) => pack.runAhead(context.appConstruct));
      controlTower?.runAhead(context);
    });
    plugins.push(validator);
    if (resolved.validatorEngineInWorker) validator.startEngineInWorker(stage);
  }
  if (resolved.nagPacks) {
    packs.push(
      new RecordingAwsSolutionsChecks(stage, props, evidence),
      new RecordingNIST80053R5Checks(stage, props, evidence),
      new RecordingHIPAASecurityChecks(stage, props, evidence),
      new RecordingPCIDSS321Checks(stage, props, evidence),
    );
  }
  if (resolved.plinthRules) packs.push(new RecordingPlinthMlChecks(stage, props, evidence));
  plugins.push(...packs);
  // Control Tower's guard rules report violations only; the report derives passes from the
  // resource types each rule evaluates (see report/build.ts).
  if (controlTower) {
    plugins.push(controlTower);
    // After the stages are synthesized (cross-stack references are final) and before the
    // plugins run: CDK validates the App's own tree last, then runs the validation plugins.
    stage.node.addValidation({
      validate: () => {
        acknowledgeControlTowerWaivers(stage);
        return [];
      },
    });
  }
  if (plugins.length > 0) Validations.of(stage).addPlugins(...plugins);
  const gate = { options: resolved, evidence };
  gates.set(stage, gate);
  return gate;
}

/** The feature flag that makes the CloudFormation validator's errors fail synth. */
export const VALIDATE_AGAINST_DEFAULT_RULES = '@aws-cdk/core:validateAgainstDefaultRules';
