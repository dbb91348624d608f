import { Validations } from 'aws-cdk-lib';
import type { Stage } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';

/** Options for {@link applyComplianceGate}. */
export interface ComplianceGateOptions {
  /**
   * Print each rule's full explanation next to its findings.
   *
   * @default false
   */
  readonly verbose?: boolean;
}

/**
 * Puts the compliance gate on a Stage or App: the cdk-nag packs AwsSolutions, NIST 800-53 R5,
 * HIPAA Security and PCI DSS 3.2.1. Any unacknowledged error fails synth.
 *
 * The CloudFormation validator is the other half of the gate. CDK starts it once per process
 * when the `@aws-cdk/core:validateAgainstDefaultRules` feature flag is on (see `cdk.json`);
 * `CDK_VALIDATION=false` turns it off for unit tests that do not test the gate.
 */
export function applyComplianceGate(stage: Stage, options: ComplianceGateOptions = {}): void {
  const props = { verbose: options.verbose ?? false };
  Validations.of(stage).addPlugins(
    new AwsSolutionsChecks(stage, props),
    new NIST80053R5Checks(stage, props),
    new HIPAASecurityChecks(stage, props),
    new PCIDSS321Checks(stage, props),
  );
}

/** The feature flag that makes the CloudFormation validator's errors fail synth. */
export const VALIDATE_AGAINST_DEFAULT_RULES = '@aws-cdk/core:validateAgainstDefaultRules';
