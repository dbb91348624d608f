import { IAM_ACTION_RULES, isRecord } from './control-tower-iam-actions';
import { isExactlyRuleFiles } from './control-tower-rule-files';

// cfn-guard's time grows with every value of every resource its rules walk, and some Control
// Tower rules read one or two properties of resources that carry many: CT.IAM.PR.4 reads only
// `Users` of each customer-managed policy, whose policy documents are most of the platform's
// templates; CT.LAMBDA.PR.3 reads only a function's `VpcConfig`, and of the subnets and security
// groups it names only their `Type`; CT.IAM.PR.1/PR.5 read a role's inline `Policies`, not its
// trust policy or managed policy ARNs. For the groups of rules below, each resource of a listed
// type is given to cfn-guard with its `Type` and only the listed keys of its `Properties` (none
// when the list is empty); nothing else of it (other properties, `Metadata`, `DependsOn`...). The
// paths of what is kept do not change, so the findings' locations are the template's own.
//
// Each projection holds for its rule files as shipped, and only for them: it is used only when a
// group's rule files are exactly these, with these contents (SHA-256). A plugin upgrade that
// changes one of them turns that projection off, and test/compliance/control-tower-projections.test.ts,
// which compares the plugin's findings on whole and projected resources (random resources through
// the real cfn-guard), fails until the new rules are reviewed.

/** A group of rule files, and the properties of each resource type they read. */
export interface RuleGroupProjection {
  /** The rule files, relative to the plugin's Control Tower guard folder, and their SHA-256. */
  readonly ruleFiles: Readonly<Record<string, string>>;
  /** Resource type → the keys of its `Properties` the rules read. */
  readonly properties: Readonly<Record<string, readonly string[]>>;
}

export const RULE_GROUP_PROJECTIONS: readonly RuleGroupProjection[] = [
  {
    // check_policy: `Users not exists or exists_and_is_empty_list(Users)`; IAM users are kept whole.
    ruleFiles: { 'identityandaccessmanagement/ct-iam-pr-4.guard': '20059c241fd5d7179327bf017c9d62469c13138446e31b8db2304dae3949fef9' },
    properties: { 'AWS::IAM::ManagedPolicy': ['Users'], 'AWS::IAM::Policy': ['Users'] },
  },
  {
    // check: `VpcConfig` and its SubnetIds and SecurityGroupIds; a local reference is looked up
    // by logical id and only its `Type` compared.
    ruleFiles: { 'lambda/ct-lambda-pr-3.guard': '00b9d0a3643ad3c3e6df51a862be0e1f630d978c30368d8d48bd7da37fda2a09' },
    properties: { 'AWS::Lambda::Function': ['VpcConfig'], 'AWS::EC2::SecurityGroup': [], 'AWS::EC2::Subnet': [] },
  },
  {
    // check: `AlarmActions exists / is_list / not empty` (PR.1); `ActionsEnabled not exists or == true` (PR.4).
    ruleFiles: {
      'cloudwatch/ct-cloudwatch-pr-1.guard': '2438b1824a65e23037e43e2eeb6f87388c93c2e9b00630c07ff1dde232b26993',
      'cloudwatch/ct-cloudwatch-pr-4.guard': '469a444b0ab7991829de69af49321b76ad1cade378cee42dc4917e9ae8f0d6af',
    },
    properties: { 'AWS::CloudWatch::Alarm': ['AlarmActions', 'ActionsEnabled'] },
  },
  {
    // check_principal: `Policies` (exists, is a list, not empty; each one's PolicyDocument);
    // check_policy: `PolicyDocument` and its statements.
    ruleFiles: {
      'identityandaccessmanagement/ct-iam-pr-1.guard': '6ce699f4751dd34f500bd02da6d96135c8a93b0c3a152795f48ba663ad196820',
      'identityandaccessmanagement/ct-iam-pr-5.guard': 'd4b8025b12d50b62952eb0ba370968ed30ddb02bddfd07fac34b956564221935',
    },
    properties: { 'AWS::IAM::Role': ['Policies'], 'AWS::IAM::User': ['Policies'], 'AWS::IAM::Group': ['Policies'], 'AWS::IAM::Policy': ['PolicyDocument'] },
  },
  {
    // check: `PolicyDocument` and its statements (control-tower-iam-actions.ts then leaves out the
    // actions neither rule can match).
    ruleFiles: IAM_ACTION_RULES,
    properties: { 'AWS::IAM::ManagedPolicy': ['PolicyDocument'] },
  },
];

/** The projection proven for exactly these rule files, if any. */
export function projectionFor(ruleFiles: readonly string[], guardRulesDirectory: string): RuleGroupProjection['properties'] | undefined {
  return RULE_GROUP_PROJECTIONS.find((projection) => isExactlyRuleFiles(ruleFiles, guardRulesDirectory, projection.ruleFiles))?.properties;
}

/**
 * `resource` as the projection gives it to cfn-guard: its `Type`, and of its `Properties` only
 * `keep` (in their order). A resource whose `Properties` is missing or not an object keeps it as
 * written.
 */
export function projectedResource(resource: Record<string, unknown>, keep: readonly string[]): Record<string, unknown> {
  const properties = resource.Properties;
  if (properties !== undefined && !isRecord(properties)) return { Type: resource.Type, Properties: properties };
  if (properties === undefined) return { Type: resource.Type };
  const kept: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(properties)) if (keep.includes(key)) kept[key] = value;
  return { Type: resource.Type, Properties: kept };
}
