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
  if (principal instanceof ManagedGrantsRole || !(principal instanceof iam.Role)) {
    // A ManagedGrantsRole (a Plinth function's role) keeps grants in its own managed policy, which its function waits for.
    return iam.Grant.addToPrincipal({ grantee: options.grantee, actions: [...options.actions], resourceArns: [...options.resourceArns] });
  }
  const id = `Grant${options.name}${Names.uniqueId(principal as IConstruct)}`;
  const statement = new iam.PolicyStatement({ actions: [...options.actions], resources: [...options.resourceArns] });
  const existing = grantor.node.tryFindChild(id);
  if (existing instanceof iam.ManagedPolicy) existing.addStatements(statement);
  else new iam.ManagedPolicy(grantor, id, { roles: [principal], statements: [statement], description: `${grantor.node.path}: ${options.name}` });
  return iam.Grant.drop(options.grantee, `${options.name} through a managed policy`);
}

/**
 * A role whose grants land in a customer-managed policy it owns, never in an inline one. CDK's
 * `grant*` methods (`queue.grantSendMessages(fn)`, Plinth's own `grantInvoke`...) add statements
 * to the grantee's role; on an ordinary `iam.Role` they become an inline `DefaultPolicy`, which
 * three nag packs reject, and on `role.withoutPolicyUpdates()` they are silently dropped. Here they
 * go into `<id>Grants`, a managed policy created at the first grant and attached to this role.
 */
export class ManagedGrantsRole extends iam.Role {
  private grantsManagedPolicy?: iam.ManagedPolicy;
  private readonly dependents: IConstruct[] = [];

  /**
   * Makes `dependent` (the function using this role) wait for the grants policy, including grants
   * made after this call: Lambda checks some permissions (the dead-letter queue) when it creates
   * the function.
   */
  public dependOnGrants(dependent: IConstruct): void {
    this.dependents.push(dependent);
    if (this.grantsManagedPolicy) dependent.node.addDependency(this.grantsManagedPolicy);
  }

  public override addToPrincipalPolicy(statement: iam.PolicyStatement): iam.AddToPrincipalPolicyResult {
    if (!this.grantsManagedPolicy) {
      const scope = this.node.scope as Construct;
      this.grantsManagedPolicy = new iam.ManagedPolicy(scope, `${this.node.id}Grants`, { roles: [this], description: `${this.node.path}: grants onto this role` });
      for (const dependent of this.dependents) dependent.node.addDependency(this.grantsManagedPolicy);
    }
    this.grantsManagedPolicy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.grantsManagedPolicy };
  }

  public override addToPolicy(statement: iam.PolicyStatement): boolean {
    return this.addToPrincipalPolicy(statement).statementAdded;
  }

  /** The managed policy grants onto this role landed in, if any grant was made. */
  public get grantsPolicy(): iam.ManagedPolicy | undefined {
    return this.grantsManagedPolicy;
  }
}
