import { Aspects, Stack } from 'aws-cdk-lib';
import { Construct, type IConstruct } from 'constructs';
import { EndpointInstanceLimitsGuard, type EndpointInstanceLimits } from './endpoint-instance-limits';
import { PlatformPermissionsBoundary } from './permissions-boundary';
import { RemovalPolicyGuard } from './removal-policy-guard';
import { applyRequiredTags, type RequiredTagValues } from './required-tags';

/** Properties for {@link PlatformGuardrails}. */
export interface PlatformGuardrailsProps {
  /** Values of the required tags. */
  readonly tags: RequiredTagValues;
  /** `retain` forces RETAIN on every stateful resource; `destroy` (dev only) honours each construct's opt-in. */
  readonly removalPolicy: 'retain' | 'destroy';
  /** Instance-count range for SageMaker variants (the cost cap). */
  readonly endpointInstanceLimits: EndpointInstanceLimits;
  /**
   * The scope the guardrails cover: a Stage to cover all its stacks.
   *
   * @default - the stack this construct is in
   */
  readonly appliesTo?: IConstruct;
}

/**
 * Plinth's guardrail Aspects in one place: the permissions boundary on every role, the required
 * tags on every taggable resource, the environment's removal policy, and the endpoint instance cap.
 */
export class PlatformGuardrails extends Construct {
  public readonly permissionsBoundary: PlatformPermissionsBoundary;

  constructor(scope: Construct, id: string, props: PlatformGuardrailsProps) {
    super(scope, id);
    const target = props.appliesTo ?? Stack.of(this);
    this.permissionsBoundary = new PlatformPermissionsBoundary(this, 'PermissionsBoundary');
    this.permissionsBoundary.applyTo(target);
    applyRequiredTags(target, props.tags);
    Aspects.of(target).add(new RemovalPolicyGuard(props.removalPolicy));
    Aspects.of(target).add(new EndpointInstanceLimitsGuard(props.endpointInstanceLimits));
  }
}
