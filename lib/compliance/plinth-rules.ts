import { CfnResource, Stack } from 'aws-cdk-lib';
import { CfnRole } from 'aws-cdk-lib/aws-iam';
import { NagMessageLevel, NagPack, NagRuleCompliance } from 'cdk-nag';
import type { NagPackProps, NagRuleResult } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { APPROVE_MODEL, REGISTER_MODEL } from '../model-registry/perms';

/** Version of Plinth's own rules; bump it when a rule changes what it accepts. */
export const PLINTH_RULES_VERSION = '1.1.0';
/** The pack name Plinth's rules report under: `Plinth-<Rule>`. */
export const PLINTH_PACK = 'Plinth';

type CloudFormationProperties = Record<string, any>;

/**
 * What one run of the pack over a tree computes once: each resource's resolved properties, and
 * each stack's IAM policies. The tree does not change while validation plugins run, and the rules
 * only read what they are given. Outside a run (a rule called on its own) nothing is kept.
 */
interface PackRun {
  readonly properties: WeakMap<CfnResource, CloudFormationProperties>;
  readonly policies: WeakMap<Stack, CfnResource[]>;
}
let currentRun: PackRun | undefined;

/** The resource's properties as they will be deployed (overrides included), tokens resolved. */
function propertiesOf(node: CfnResource): CloudFormationProperties {
  const cached = currentRun?.properties.get(node);
  if (cached !== undefined) return cached;
  const rendered = Stack.of(node).resolve(node._toCloudFormation()) as { Resources: Record<string, { Properties?: CloudFormationProperties }> };
  const properties = Object.values(rendered.Resources)[0]?.Properties ?? {};
  currentRun?.properties.set(node, properties);
  return properties;
}

/** The IAM policies (inline and managed) that belong to `stack` itself. */
function policiesIn(stack: Stack): CfnResource[] {
  const cached = currentRun?.policies.get(stack);
  if (cached !== undefined) return cached;
  const policies = stack.node
    .findAll()
    .filter(
      (node): node is CfnResource =>
        CfnResource.isCfnResource(node) &&
        (node.cfnResourceType === 'AWS::IAM::Policy' || node.cfnResourceType === 'AWS::IAM::ManagedPolicy') &&
        Stack.of(node) === stack,
    );
  currentRun?.policies.set(stack, policies);
  return policies;
}

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

const nonEmptyList = (value: unknown): boolean => Array.isArray(value) && value.length > 0 && value.every(isSet);

/** A SageMaker model runs with network isolation and inside Plinth's VPC (subnets and security groups). */
function SageMakerModelIsolatedInVpc(node: CfnResource): NagRuleResult {
  if (node.cfnResourceType !== 'AWS::SageMaker::Model') return NagRuleCompliance.NOT_APPLICABLE;
  const props = propertiesOf(node);
  const isolated = props.EnableNetworkIsolation === true || props.EnableNetworkIsolation === 'true';
  const inVpc = nonEmptyList(props.VpcConfig?.Subnets) && nonEmptyList(props.VpcConfig?.SecurityGroupIds);
  return isolated && inVpc ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}

/** An endpoint config encrypts its instance storage with a customer-managed KMS key. */
function SageMakerEndpointConfigKMS(node: CfnResource): NagRuleResult {
  if (node.cfnResourceType !== 'AWS::SageMaker::EndpointConfig') return NagRuleCompliance.NOT_APPLICABLE;
  return isSet(propertiesOf(node).KmsKeyId) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}

/** Data capture, where enabled, writes with a KMS key. */
function SageMakerDataCaptureKMS(node: CfnResource): NagRuleResult {
  if (node.cfnResourceType !== 'AWS::SageMaker::EndpointConfig') return NagRuleCompliance.NOT_APPLICABLE;
  const capture = propertiesOf(node).DataCaptureConfig;
  if (capture === undefined || capture.EnableCapture === false) return NagRuleCompliance.NOT_APPLICABLE;
  return isSet(capture.KmsKeyId) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}

/** A feature group encrypts its online store and its offline store with KMS keys. */
function FeatureGroupKMS(node: CfnResource): NagRuleResult {
  if (node.cfnResourceType !== 'AWS::SageMaker::FeatureGroup') return NagRuleCompliance.NOT_APPLICABLE;
  const props = propertiesOf(node);
  const findings: string[] = [];
  const online = props.OnlineStoreConfig;
  if (online !== undefined && online.EnableOnlineStore !== false && !isSet(online.SecurityConfig?.KmsKeyId)) findings.push('OnlineStore');
  const offline = props.OfflineStoreConfig;
  if (offline !== undefined && !isSet(offline.S3StorageConfig?.KmsKeyId)) findings.push('OfflineStore');
  if (online === undefined && offline === undefined) return NagRuleCompliance.NOT_APPLICABLE;
  return findings.length === 0 ? NagRuleCompliance.COMPLIANT : findings;
}

const IAM_ALLOWED_PRINCIPALS = 'IAM_ALLOWED_PRINCIPALS';
const grantsToIamAllowedPrincipals = (permissions: unknown): boolean =>
  Array.isArray(permissions) && permissions.some((p) => p?.Principal?.DataLakePrincipalIdentifier === IAM_ALLOWED_PRINCIPALS);

/**
 * Lake Formation, not IAM alone, decides access: databases and the account's defaults grant
 * nothing to IAM_ALLOWED_PRINCIPALS, and no permission names it.
 */
function LakeFormationReplacesIAMAllowedPrincipals(node: CfnResource): NagRuleResult {
  const props = () => propertiesOf(node);
  switch (node.cfnResourceType) {
    case 'AWS::Glue::Database': {
      const defaults = props().DatabaseInput?.CreateTableDefaultPermissions;
      return Array.isArray(defaults) && !grantsToIamAllowedPrincipals(defaults) ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
    }
    case 'AWS::LakeFormation::DataLakeSettings': {
      const { CreateDatabaseDefaultPermissions: databases, CreateTableDefaultPermissions: tables } = props();
      const explicit = Array.isArray(databases) && Array.isArray(tables);
      return explicit && !grantsToIamAllowedPrincipals(databases) && !grantsToIamAllowedPrincipals(tables)
        ? NagRuleCompliance.COMPLIANT
        : NagRuleCompliance.NON_COMPLIANT;
    }
    case 'AWS::LakeFormation::Permissions':
    case 'AWS::LakeFormation::PrincipalPermissions':
      return props().Principal?.DataLakePrincipalIdentifier === IAM_ALLOWED_PRINCIPALS
        ? NagRuleCompliance.NON_COMPLIANT
        : NagRuleCompliance.COMPLIANT;
    default:
      return NagRuleCompliance.NOT_APPLICABLE;
  }
}

/** The AWS-managed policy an ARN names, e.g. `AmazonSageMakerFullAccess`, or undefined for any other ARN. */
function awsManagedPolicyName(arn: unknown): string | undefined {
  const text = typeof arn === 'string' ? arn : JSON.stringify(arn);
  const match = /:iam::aws:policy\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]+)/.exec(text);
  return match?.[1];
}

/** No role, user or group attaches an AWS-managed `*FullAccess` policy. */
function IAMNoAwsManagedFullAccess(node: CfnResource): NagRuleResult {
  if (!['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group'].includes(node.cfnResourceType)) return NagRuleCompliance.NOT_APPLICABLE;
  const arns: unknown[] = propertiesOf(node).ManagedPolicyArns ?? [];
  const fullAccess = arns.map(awsManagedPolicyName).filter((name): name is string => name !== undefined && /FullAccess/i.test(name));
  return fullAccess.length === 0 ? NagRuleCompliance.COMPLIANT : fullAccess;
}

interface PolicyStatement {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: unknown;
  readonly NotResource?: unknown;
  readonly Condition?: unknown;
}

const asList = (value: string | string[] | undefined): string[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function actionMatches(pattern: unknown, action: string): boolean {
  if (typeof pattern !== 'string') return false;
  const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return regex.test(action);
}

function statementCovers(statement: PolicyStatement, action: string): boolean {
  if (statement.NotAction !== undefined) return !asList(statement.NotAction).some((p) => actionMatches(p, action));
  return asList(statement.Action).some((p) => actionMatches(p, action));
}

/** Whether the statements allow `action` (an unconditional Deny takes it away). */
function allows(statements: readonly PolicyStatement[], action: string): boolean {
  const allowed = statements.some((s) => s.Effect === 'Allow' && statementCovers(s, action));
  const denied = statements.some((s) => s.Effect === 'Deny' && s.Condition === undefined && statementCovers(s, action));
  return allowed && !denied;
}

/** Every statement of a role's inline policies and of the policies in its stack attached to it. */
function statementsOfRole(role: CfnResource): PolicyStatement[] {
  const stack = Stack.of(role);
  const roleProps = propertiesOf(role);
  const logicalId = stack.resolve(role.logicalId) as string;
  const refersToRole = (ref: unknown) => JSON.stringify(ref) === JSON.stringify({ Ref: logicalId });
  const documents: any[] = (roleProps.Policies ?? []).map((p: any) => p.PolicyDocument);
  for (const node of policiesIn(stack)) {
    const props = propertiesOf(node);
    const attached =
      (props.Roles ?? []).some(refersToRole) ||
      (roleProps.ManagedPolicyArns ?? []).some((arn: unknown) => JSON.stringify(arn) === JSON.stringify({ Ref: stack.resolve(node.logicalId) }));
    if (attached) documents.push(props.PolicyDocument);
  }
  return documents.flatMap((doc) => (Array.isArray(doc?.Statement) ? doc.Statement : doc?.Statement ? [doc.Statement] : []));
}

/** Tag that marks the one role whose duty is approving model versions (ModelRegistry sets it). */
export const DUTY_TAG = 'plinth:duty';
export const MODEL_APPROVER_DUTY = 'model-approver';

/**
 * A model package ARN in each partition, as a wildcard resource pattern could match it: a pattern
 * written for one partition (say GovCloud) must not slip past the rule.
 */
const SAMPLE_PACKAGE_ARNS = ['aws', 'aws-cn', 'aws-us-gov'].map((partition) => ['arn', partition, 'sagemaker:us-east-1:123456789012:model-package/any-group/1'].join(':'));

/** Whether a statement's resources may include a model package (a wildcard, a package ARN, or an unresolved ARN). */
function mayCoverPackages(statement: PolicyStatement): boolean {
  if (statement.NotResource !== undefined) return true;
  const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
  return resources.some((r) => (typeof r === 'string' ? SAMPLE_PACKAGE_ARNS.some((sample) => actionMatches(r, sample)) || r.includes('model-package/') : JSON.stringify(r).includes('model-package')));
}

/**
 * Whether a Deny takes away every change of approval status: unconditional, or conditioned only on
 * the request carrying `sagemaker:ModelApprovalStatus` (Null false) or setting it to Approved.
 */
function deniesApproval(statement: PolicyStatement, action: string): boolean {
  if (statement.Effect !== 'Deny' || !statementCovers(statement, action)) return false;
  const resources = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
  if (!resources.includes('*')) return false;
  const condition = statement.Condition as Record<string, Record<string, unknown>> | undefined;
  if (condition === undefined) return true;
  const entries = Object.entries(condition);
  if (entries.length !== 1) return false;
  const [operator, block] = entries[0];
  const keys = Object.keys(block);
  if (keys.length !== 1 || keys[0] !== 'sagemaker:ModelApprovalStatus') return false;
  const values = ([] as unknown[]).concat(block[keys[0]]);
  return (operator === 'Null' && values.includes('false')) || (operator === 'StringEquals' && values.includes('Approved'));
}

/** Whether the statements let the role set a version's approval status to Approved. */
function canApprove(statements: readonly PolicyStatement[]): boolean {
  return APPROVE_MODEL.some(
    (action) =>
      statements.some((s) => s.Effect === 'Allow' && statementCovers(s, action) && mayCoverPackages(s)) &&
      !statements.some((s) => deniesApproval(s, action)),
  );
}

/** Marks `role` as the one model approver (a tag in the template, which the rule reads). */
export function markModelApprover(role: IConstruct): void {
  const cfn = role.node.defaultChild;
  if (!(cfn instanceof CfnRole)) throw new Error(`markModelApprover: ${role.node.path} is not an IAM role`);
  cfn.tags.setTag(DUTY_TAG, MODEL_APPROVER_DUTY);
}

function dutyOf(role: CfnResource): string | undefined {
  const tags: unknown = propertiesOf(role).Tags;
  if (!Array.isArray(tags)) return undefined;
  return tags.find((t: { Key?: unknown }) => t?.Key === DUTY_TAG)?.Value as string | undefined;
}

/**
 * Exactly one role changes approval: a role that can approve a model version (through any action
 * or resource wildcard) must be the approver (tagged `plinth:duty=model-approver`), and the approver
 * must not register versions.
 */
function ModelApproverSeparateFromRegistrar(node: CfnResource): NagRuleResult {
  if (node.cfnResourceType !== 'AWS::IAM::Role') return NagRuleCompliance.NOT_APPLICABLE;
  const statements = statementsOfRole(node);
  const registers = REGISTER_MODEL.some((action) => allows(statements, action));
  const approves = canApprove(statements);
  const updates = APPROVE_MODEL.some((action) => statements.some((st) => st.Effect === 'Allow' && statementCovers(st, action)));
  if (!registers && !updates) return NagRuleCompliance.NOT_APPLICABLE;
  if (!approves) return NagRuleCompliance.COMPLIANT;
  return !registers && dutyOf(node) === MODEL_APPROVER_DUTY ? NagRuleCompliance.COMPLIANT : NagRuleCompliance.NON_COMPLIANT;
}

/** Description every Plinth permissions boundary policy starts with (lib/guardrails/permissions-boundary.ts). */
export const BOUNDARY_DESCRIPTION_PREFIX = 'Plinth permissions boundary';
/** The denies that keep a compromised or over-granted role from disarming the guardrails. */
export const BOUNDARY_GUARD_DENIES = [
  'DenyAssumingGuardRoles',
  'DenyKeyDestruction',
  'DenyAlarmTampering',
  'DenyNotebookInternetAccess',
  'DenyEndpointConfigWithoutVolumeKey',
  'DenyServerlessEndpointConfigWithoutKey',
  'DenyServerlessVariantWithoutKey',
  'DenyBoundaryRemoval',
  'DenyBoundaryReplacement',
  'DenyBoundaryEdits',
] as const;

/** The permissions boundary carries every guardrail deny (the report lists each boundary as evidence). */
function PermissionsBoundaryGuardsGuardrails(node: CfnResource): NagRuleResult {
  if (node.cfnResourceType !== 'AWS::IAM::ManagedPolicy') return NagRuleCompliance.NOT_APPLICABLE;
  const props = propertiesOf(node);
  if (typeof props.Description !== 'string' || !props.Description.startsWith(BOUNDARY_DESCRIPTION_PREFIX)) return NagRuleCompliance.NOT_APPLICABLE;
  const statements: Array<{ Sid?: string; Effect?: string }> = props.PolicyDocument?.Statement ?? [];
  const missing = BOUNDARY_GUARD_DENIES.filter((sid) => !statements.some((st) => st.Sid === sid && st.Effect === 'Deny'));
  return missing.length === 0 ? NagRuleCompliance.COMPLIANT : missing.map((sid) => `missing ${sid}`);
}

/** One of Plinth's rules, with the NIST 800-53 R5 controls it evidences. */
export interface PlinthRule {
  readonly rule: (node: CfnResource) => NagRuleResult;
  readonly info: string;
  readonly explanation: string;
}

/** Plinth's ML rules. Each `info` names its NIST 800-53 R5 controls the way the NIST pack does. */
export const PLINTH_RULES: readonly PlinthRule[] = [
  {
    rule: SageMakerModelIsolatedInVpc,
    info: 'The SageMaker model does not run with network isolation inside a VPC (EnableNetworkIsolation and VpcConfig with subnets and security groups) - (Control IDs: AC-4, SC-7, SC-7(5)).',
    explanation: 'A model container with network isolation cannot call out; the VPC config keeps its artifact and ECR traffic on private endpoints.',
  },
  {
    rule: SageMakerEndpointConfigKMS,
    info: 'The SageMaker endpoint configuration does not encrypt its instance storage with a KMS key (KmsKeyId) - (Control IDs: SC-12, SC-28, SC-28(1)).',
    explanation: 'A customer-managed key lets the platform audit and revoke access to the ML storage volumes attached to the endpoint instances.',
  },
  {
    rule: SageMakerDataCaptureKMS,
    info: 'The SageMaker endpoint configuration captures requests and responses without a KMS key (DataCaptureConfig.KmsKeyId) - (Control IDs: SC-12, SC-28, SC-28(1)).',
    explanation: 'Captured inference traffic holds production inputs and predictions; it must be encrypted with a key the platform controls.',
  },
  {
    rule: FeatureGroupKMS,
    info: 'The SageMaker feature group does not encrypt its online or offline store with a KMS key - (Control IDs: SC-12, SC-28, SC-28(1)).',
    explanation: 'Feature values are derived from customer data; both stores must use a customer-managed key.',
  },
  {
    rule: LakeFormationReplacesIAMAllowedPrincipals,
    info: 'Lake Formation access is bypassed: a database, the account defaults or a permission grant access to IAM_ALLOWED_PRINCIPALS - (Control IDs: AC-3, AC-6).',
    explanation: 'With IAM_ALLOWED_PRINCIPALS any IAM principal with Glue and S3 access reads the tables; Lake Formation grants must decide table access instead.',
  },
  {
    rule: IAMNoAwsManagedFullAccess,
    info: 'The IAM identity attaches an AWS-managed *FullAccess policy - (Control IDs: AC-6, AC-6(10)).',
    explanation: 'AWS-managed FullAccess policies grant every action of a service on every resource; Plinth scopes each role to what it uses.',
  },
  {
    rule: ModelApproverSeparateFromRegistrar,
    info: 'The IAM role can approve model versions (sagemaker:UpdateModelPackage on model packages, without a Deny on sagemaker:ModelApprovalStatus) but is not the approver (tag plinth:duty=model-approver), or it can also register them (sagemaker:CreateModelPackage) - (Control IDs: AC-5, AC-6).',
    explanation: 'Separation of duties: exactly one role approves model versions, and it cannot register them. Any other role that calls UpdateModelPackage must carry a Deny on changing sagemaker:ModelApprovalStatus.',
  },
  {
    rule: PermissionsBoundaryGuardsGuardrails,
    info: 'The permissions boundary lacks a guardrail deny (assuming the approver or CDK roles, key deletion or re-policy, alarm tampering, internet-facing notebooks, keyless endpoint configs, boundary removal or edits) - (Control IDs: AC-3, AC-6, AC-6(10), CM-5).',
    explanation: 'The boundary caps every platform role; its denies keep a compromised function or an over-granted role from disarming the approval gate, the keys, the rollback alarms or the boundary itself.',
  },
];

/**
 * Plinth's own ML rules as a cdk-nag pack (pack name `Plinth`): what the nag packs and the
 * Control Tower controls do not check for a SageMaker platform.
 */
export class PlinthMlChecks extends NagPack {
  constructor(scope?: IConstruct, props?: NagPackProps) {
    super(scope, props);
    this.packName = PLINTH_PACK;
  }

  override readonly name = PLINTH_PACK;
  override readonly version = PLINTH_RULES_VERSION;

  override validateScope(scope: IConstruct) {
    const outer = currentRun;
    currentRun = { properties: new WeakMap(), policies: new WeakMap() };
    try {
      return super.validateScope(scope);
    } finally {
      currentRun = outer;
    }
  }

  protected override checkResource(node: CfnResource): void {
    for (const { rule, info, explanation } of PLINTH_RULES) {
      this.applyRule({ rule, info, explanation, level: NagMessageLevel.ERROR, node });
    }
  }
}
