import { AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks, PCIDSS321Checks } from 'cdk-nag';
import type { IApplyRule, NagPackProps } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { ComplianceEvidence } from './evidence';
import { PlinthMlChecks } from './plinth-rules';

// cdk-nag 3 reports violations only. Each class below is its pack unchanged, except that every
// rule evaluation (passes and not-applicable included) is also recorded in `evidence`.
// `applyRule` is protected, so recording needs one subclass per pack.

export class RecordingAwsSolutionsChecks extends AwsSolutionsChecks {
  constructor(scope: IConstruct, props: NagPackProps, private readonly evidence: ComplianceEvidence) {
    super(scope, props);
  }

  override validateScope(root: IConstruct) {
    this.evidence.startRun(this.name);
    return super.validateScope(root);
  }

  protected override applyRule(params: IApplyRule): void {
    super.applyRule(this.evidence.recordingRule(this.name, this.readPackName, params));
  }
}

export class RecordingNIST80053R5Checks extends NIST80053R5Checks {
  constructor(scope: IConstruct, props: NagPackProps, private readonly evidence: ComplianceEvidence) {
    super(scope, props);
  }

  override validateScope(root: IConstruct) {
    this.evidence.startRun(this.name);
    return super.validateScope(root);
  }

  protected override applyRule(params: IApplyRule): void {
    super.applyRule(this.evidence.recordingRule(this.name, this.readPackName, params));
  }
}

export class RecordingHIPAASecurityChecks extends HIPAASecurityChecks {
  constructor(scope: IConstruct, props: NagPackProps, private readonly evidence: ComplianceEvidence) {
    super(scope, props);
  }

  override validateScope(root: IConstruct) {
    this.evidence.startRun(this.name);
    return super.validateScope(root);
  }

  protected override applyRule(params: IApplyRule): void {
    super.applyRule(this.evidence.recordingRule(this.name, this.readPackName, params));
  }
}

export class RecordingPCIDSS321Checks extends PCIDSS321Checks {
  constructor(scope: IConstruct, props: NagPackProps, private readonly evidence: ComplianceEvidence) {
    super(scope, props);
  }

  override validateScope(root: IConstruct) {
    this.evidence.startRun(this.name);
    return super.validateScope(root);
  }

  protected override applyRule(params: IApplyRule): void {
    super.applyRule(this.evidence.recordingRule(this.name, this.readPackName, params));
  }
}

export class RecordingPlinthMlChecks extends PlinthMlChecks {
  constructor(scope: IConstruct, props: NagPackProps, private readonly evidence: ComplianceEvidence) {
    super(scope, props);
  }

  override validateScope(root: IConstruct) {
    this.evidence.startRun(this.name);
    return super.validateScope(root);
  }

  protected override applyRule(params: IApplyRule): void {
    super.applyRule(this.evidence.recordingRule(this.name, this.readPackName, params));
  }
}
