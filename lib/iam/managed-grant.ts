import { Names } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';

/** Properties for {@link grantWithManagedPolicy}. */
export interface ManagedGrantOptions {
  readonly grantee: iam.IGrantable;
  readonly actions: readonly string[];
  readonly resourceArns: readonly string[];
  /** Names the grant in the policy's construct id, e.g. `Read`. */
  readonly name: string;
}

/**
 * Grants through a customer-managed policy attached to the grantee's role, created under
 * `grantor`. `iam.Grant.addToPrincipal` would add an inline policy, which three nag packs reject
 * (IAMNoInlinePolicy), so a grant onto a role of the same app would fail the gate. A grantee that
 * is not such a role (an imported role, a user) gets CDK's ordinary grant.
 */
export function grantWithManagedPolicy(grantor: Construct, options: ManagedGrantOptions): iam.Grant {
  const principal = options.grantee.grantPrincipal;
  if (!(principal instanceof iam.Role)) {
    return iam.Grant.addToPrincipal({ grantee: options.grantee, actions: [...options.actions], resourceArns: [...options.resourceArns] });
  }
  const id = `Grant${options.name}${Names.uniqueId(principal as IConstruct)}`;
  const statement = new iam.PolicyStatement({ actions: [...options.actions], resources: [...options.resourceArns] });
  const existing = grantor.node.tryFindChild(id);
  if (existing instanceof iam.ManagedPolicy) existing.addStatements(statement);
  else new iam.ManagedPolicy(grantor, id, { roles: [principal], statements: [statement], description: `${grantor.node.path}: ${options.name}` });
  return iam.Grant.drop(options.grantee, `${options.name} through a managed policy`);
}
