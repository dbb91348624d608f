import { Annotations, Token } from 'aws-cdk-lib';
import type { IAspect } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import type { IConstruct } from 'constructs';

/** The instance-count range any SageMaker variant in an environment may scale within. */
export interface EndpointInstanceLimits {
  readonly minPerVariant: number;
  readonly maxPerVariant: number;
}

/**
 * Cost cap: fails synth when a SageMaker scalable target may scale above the environment's
 * `maxPerVariant`, or is allowed below its `minPerVariant` availability floor.
 */
export class EndpointInstanceLimitsGuard implements IAspect {
  constructor(private readonly limits: EndpointInstanceLimits) {}

  public visit(node: IConstruct): void {
    if (!(node instanceof appscaling.CfnScalableTarget) || node.serviceNamespace !== 'sagemaker') return;
    const { minCapacity, maxCapacity } = node;
    if (!Token.isUnresolved(maxCapacity) && maxCapacity > this.limits.maxPerVariant) {
      Annotations.of(node).addError(
        `maxCapacity ${maxCapacity} exceeds this environment's endpointInstanceLimits.maxPerVariant ` +
          `(${this.limits.maxPerVariant}); lower the variant's max or raise the limit in config.`,
      );
    }
    if (!Token.isUnresolved(minCapacity) && minCapacity < this.limits.minPerVariant) {
      Annotations.of(node).addError(
        `minCapacity ${minCapacity} is below this environment's endpointInstanceLimits.minPerVariant ` +
          `(${this.limits.minPerVariant}); raise the variant's min or lower the limit in config.`,
      );
    }
  }
}

