import { Aspects, CfnResource, Tags, type IAspect } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Tag keys every taggable Plinth resource carries; cost allocation and data handling read them. */
export const REQUIRED_TAG_KEYS = {
  owner: 'owner',
  costCenter: 'cost-center',
  dataClassification: 'data-classification',
  environment: 'plinth:environment',
} as const;

/** Values for {@link applyRequiredTags}. */
export interface RequiredTagValues {
  readonly owner: string;
  readonly costCenter: string;
  readonly dataClassification: string;
  readonly environment: string;
}

/**
 * Resource types whose `Tags` CloudFormation accepts (the CDK L1s and the built-in validator's
 * schema have them) but the cfn-lint 1.51 schema does not yet know.
 */
export const TAGS_UNKNOWN_TO_CFN_LINT: ReadonlySet<string> = new Set([
  'AWS::ApplicationAutoScaling::ScalableTarget',
  'AWS::CloudWatch::Dashboard',
]);

/** Silences cfn-lint's E3002 (unknown property) on exactly those resource types, nothing else. */
class CfnLintTagSchemaLag implements IAspect {
  public visit(node: IConstruct): void {
    if (node instanceof CfnResource && TAGS_UNKNOWN_TO_CFN_LINT.has(node.cfnResourceType)) {
      node.addMetadata('cfn-lint', { config: { ignore_checks: ['E3002'] } });
    }
  }
}

/** Tags every taggable resource under `scope` (CDK's tag Aspect) with the required keys. */
export function applyRequiredTags(scope: IConstruct, values: RequiredTagValues): void {
  Aspects.of(scope).add(new CfnLintTagSchemaLag());
  const tags = Tags.of(scope);
  tags.add(REQUIRED_TAG_KEYS.owner, values.owner);
  tags.add(REQUIRED_TAG_KEYS.costCenter, values.costCenter);
  tags.add(REQUIRED_TAG_KEYS.dataClassification, values.dataClassification);
  tags.add(REQUIRED_TAG_KEYS.environment, values.environment);
}
