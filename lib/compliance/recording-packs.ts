import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import type { IPolicyValidationContext } from 'aws-cdk-lib';
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
  /**
   * Runs the pack over `scope` now; the pack's next `validate` on that same scope returns this
   * run's report (or throws its error) instead of running again. The gate calls it while the
   * CloudFormation validator's worker thread validates, which CDK calls just before the packs,
   * with the construct tree final: the report is the one `validate` would make.
   */
  runAhead(scope: IConstruct): void;
}

type Report = ReturnType<NagPack['validateScope']>;

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

    private ahead: { readonly scope: IConstruct; readonly report?: Report; readonly error?: unknown } | undefined;

    override validateScope(root: IConstruct) {
      this.evidence.startRun(this.name, root);
      return super.validateScope(root);
    }

    runAhead(scope: IConstruct): void {
      try {
        this.ahead = { scope, report: this.validateScope(scope) };
      } catch (error) {
        this.ahead = { scope, error };
      }
    }

    override validate(context: IPolicyValidationContext): Report {
      const ahead = this.ahead;
      this.ahead = undefined;
      if (ahead === undefined || ahead.scope !== (context as { appConstruct?: IConstruct }).appConstruct) return super.validate(context);
      if (ahead.report === undefined) throw ahead.error;
      return ahead.report;
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
