import type { RuleOutcome } from '../evidence';

/** Version of the report.json layout (docs/compliance-report.schema.json). */
export const REPORT_SCHEMA_VERSION = '1.0.0';

/** Waivers that expire within this many days are flagged. */
export const EXPIRY_WARNING_DAYS = 30;

/** Where the evidence came from: commit, time, tool versions, environment, template hashes. */
export interface EvidenceHeader {
  readonly environment: string;
  readonly account: string;
  readonly region: string;
  /** ISO timestamp of the synth the report describes. */
  readonly generatedAt: string;
  readonly git: { readonly commit: string | null; readonly dirty: boolean | null };
  readonly versions: {
    readonly awsCdkLib: string;
    readonly cdkNag: string;
    /** aws-cdk-lib's built-in CloudFormation validator (`@aws/cloudformation-validate`). */
    readonly cloudFormationValidator: string;
    /** The Control Tower proactive controls: the plugin and its cfn-guard. */
    readonly cdkValidatorCfnguard: string;
    readonly cfnGuard: string;
    readonly plinthRules: string;
  };
  /** Which parts of the gate ran. */
  readonly gate: { readonly nagPacks: boolean; readonly plinthRules: boolean; readonly controlTower: boolean };
  /** The cloud assembly directory of this environment, relative to the working directory. */
  readonly assemblyDirectory: string;
  readonly templates: ReadonlyArray<{ readonly stack: string; readonly file: string; readonly sha256: string }>;
}

export interface OutcomeCounts {
  readonly pass: number;
  readonly fail: number;
  readonly acknowledged: number;
  readonly notApplicable: number;
}

export interface ReportSummary extends OutcomeCounts {
  readonly resources: number;
  readonly rules: number;
  /** Rule × resource evaluations: pass + fail + acknowledged + notApplicable. */
  readonly evaluations: number;
  /** Unacknowledged findings (they fail the gate when their severity is error). */
  readonly openFindings: number;
  readonly acknowledgedFindings: number;
  readonly waivers: number;
  readonly waiversExpiringSoon: number;
  readonly controlsAssessed: number;
  readonly controlsNotAssessed: number;
}

/** Which tool a rule belongs to. */
export type RuleSource = 'cdk-nag' | 'plinth' | 'control-tower';

/** One resource a rule evaluated, with what it concluded (not-applicable results are only counted). */
export interface RuleResult {
  readonly path: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly outcome: Exclude<RuleOutcome, 'not-applicable'>;
  readonly findings: readonly string[];
}

/** One rule, everything it evaluated, and the controls it tests. */
export interface RuleSummary extends OutcomeCounts {
  readonly id: string;
  readonly plugin: string;
  readonly source: RuleSource;
  readonly title: string;
  readonly severity: string;
  /** Control ids from the rule's own metadata or description (Control Tower: its CT id). */
  readonly controls: readonly string[];
  /** Control ids in other frameworks, from Control Tower metadata: framework name → ids. */
  readonly frameworkMappings?: Readonly<Record<string, readonly string[]>>;
  readonly resourcesEvaluated: number;
  readonly results: readonly RuleResult[];
}

export type ControlOutcome = RuleOutcome;

export interface ControlRow extends OutcomeCounts {
  readonly id: string;
  readonly rules: readonly string[];
  /** The worst result over its rules: fail, then acknowledged, then pass; not-applicable when nothing was in scope. */
  readonly outcome: ControlOutcome;
}

/** A control no automated rule covers, and where its procedure is. */
export interface ManualControl {
  readonly id: string;
  readonly title: string;
  readonly procedure: string;
}

export interface FrameworkMatrix {
  readonly id: string;
  readonly name: string;
  readonly controls: readonly ControlRow[];
  readonly notAssessedByTooling: readonly ManualControl[];
}

export interface FindingWaiver {
  readonly id: string;
  readonly path: string;
  readonly reason: string;
  readonly owner: string;
  readonly expires: string;
}

/** One non-compliant finding, open or acknowledged. */
export interface Finding {
  readonly plugin: string;
  readonly rule: string;
  /** The finding id (`Rule` or `Rule[detail]`), as an acknowledgement names it. */
  readonly finding: string;
  readonly severity: string;
  readonly outcome: 'fail' | 'acknowledged';
  readonly path: string;
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  /** Template file, relative to the environment's assembly directory. */
  readonly templateFile: string;
  readonly message: string;
  readonly waiver?: FindingWaiver;
}

export interface Waiver {
  readonly id: string;
  readonly rule: string;
  readonly plugin: string;
  readonly path: string;
  readonly reason: string;
  readonly owner: string;
  readonly expires: string;
  readonly daysLeft: number;
  readonly expiringSoon: boolean;
  readonly findingsCovered: number;
}

export interface InventoryItem {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  readonly path: string;
  /** The key that encrypts it (`KMS <key>`, `SSE-S3`, ...), `none`, or `n/a` for types without data at rest. */
  readonly encryption: string;
  readonly publicExposure: string;
  readonly logging: string;
  readonly dataClassification: string | null;
  readonly owner: string | null;
}

export interface FindingRef {
  readonly plugin: string;
  readonly finding: string;
  readonly path: string;
}

export interface ReportDiff {
  readonly previousGeneratedAt: string;
  readonly previousCommit: string | null;
  readonly newFindings: readonly FindingRef[];
  readonly resolvedFindings: readonly FindingRef[];
  readonly newWaivers: ReadonlyArray<{ readonly id: string; readonly path: string }>;
  readonly removedWaivers: ReadonlyArray<{ readonly id: string; readonly path: string }>;
  readonly addedResources: ReadonlyArray<{ readonly stack: string; readonly logicalId: string; readonly type: string; readonly path: string }>;
  readonly removedResources: ReadonlyArray<{ readonly stack: string; readonly logicalId: string; readonly type: string; readonly path: string }>;
}

/** The compliance report of one environment, as written to report.json. */
export interface ComplianceReport {
  readonly schemaVersion: string;
  readonly evidence: EvidenceHeader;
  readonly summary: ReportSummary;
  readonly frameworks: readonly FrameworkMatrix[];
  readonly rules: readonly RuleSummary[];
  readonly findings: readonly Finding[];
  readonly waivers: readonly Waiver[];
  readonly inventory: readonly InventoryItem[];
  readonly diff?: ReportDiff;
}
