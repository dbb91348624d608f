import { Tags } from 'aws-cdk-lib';
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

/** Tags every taggable resource under `scope` (CDK's tag Aspect) with the required keys. */
export function applyRequiredTags(scope: IConstruct, values: RequiredTagValues): void {
  const tags = Tags.of(scope);
  tags.add(REQUIRED_TAG_KEYS.owner, values.owner);
  tags.add(REQUIRED_TAG_KEYS.costCenter, values.costCenter);
  tags.add(REQUIRED_TAG_KEYS.dataClassification, values.dataClassification);
  tags.add(REQUIRED_TAG_KEYS.environment, values.environment);
}
