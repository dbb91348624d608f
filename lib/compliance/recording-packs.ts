import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import type { IApplyRule, NagPack, NagPackProps } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { ComplianceEvidence } from './evidence';
import { PlinthMlChecks } from './plinth-rules';

// cdk-nag 3 reports violations only. Each pack below is the pack unchanged, except that every
// rule evaluation (passes and not-applicable included) is also recorded in `evidence`.
// `applyRule` is protected, so recording is a subclass of each pack, made by one mixin.

// TypeScript's mixin rule requires the `any[]` constructor.
type PackClass = abstract new (...args: any[]) => NagPack;

/** A pack that records every rule evaluation into the evidence it is given. */
export interface RecordingPack extends NagPack {
  readonly evidence: ComplianceEvidence;
}

/**
 * The recording subclass of `Pack`, constructed with the stage, the pack's props and the evidence.
 * Abstract only to the type checker: every pack passed in is concrete.
 */
function recordingPack<T extends PackClass>(Pack: T) {
  abstract class Recording extends Pack implements RecordingPack {
    readonly evidence: ComplianceEvidence;

    constructor(...args: any[]) {
      super(args[0], args[1]);
      this.evidence = args[2] as ComplianceEvidence;
    }

    override validateScope(root: IConstruct) {
      this.evidence.startRun(this.name);
      return super.validateScope(root);
    }

    protected override applyRule(params: IApplyRule): void {
      super.applyRule(this.evidence.recordingRule(this.name, this.readPackName, params));
    }
  }
  return Recording as unknown as new (scope: IConstruct, props: NagPackProps, evidence: ComplianceEvidence) => RecordingPack;
}

export const RecordingAwsSolutionsChecks = recordingPack(AwsSolutionsChecks);
export const RecordingNIST80053R5Checks = recordingPack(NIST80053R5Checks);
export const RecordingHIPAASecurityChecks = recordingPack(HIPAASecurityChecks);
export const RecordingPCIDSS321Checks = recordingPack(PCIDSS321Checks);
export const RecordingPlinthMlChecks = recordingPack(PlinthMlChecks);
