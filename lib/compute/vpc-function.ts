import { createHash } from 'crypto';
import { Stack, type CfnElement, type Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type IConstruct } from 'constructs';
import { PlinthError } from '../errors';
import { acknowledgeFinding, wildcardResourceFinding } from '../compliance/acknowledge';
import { ManagedGrantsRole } from '../iam/managed-grant';
import { handlerBundleCode } from './lambda-bundle';
import { PLATFORM_WAIVER } from '../compliance/platform-waiver';

/** EC2 calls a Lambda in a VPC makes for its network interfaces; AWS allows no resource scoping. */
const VPC_NETWORK_INTERFACE_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];


/**
 * Construct IDs the pieces of a function had when `createVpcFunction` built them beside each
 * other on the caller's scope.
 */
export interface VpcFunctionIds {
  readonly function: string;
  readonly logGroup: string;
  readonly role: string;
  readonly policy: string;
  /** Ignored when a security group is passed in. */
  readonly securityGroup: string;
}

/** Properties for {@link VpcFunction}. */
export interface VpcFunctionProps {
  /** The handler's folder under `lambdas/`. */
  readonly handlerFolder: string;
  readonly description: string;
  /** The function's own permissions; log writing, VPC interfaces and the DLQ are added. */
  readonly statements: iam.PolicyStatement[];
  /**
   * Wildcard resources in `statements`, each with why it is acceptable (becomes an acknowledgement).
   *
   * @default - none besides the function's own log streams
   */
  readonly wildcardResources?: ReadonlyArray<readonly [resource: string, reason: string]>;
  readonly environment: Record<string, string>;
  readonly vpc: ec2.IVpc;
  /** @default - the isolated subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default - a new group allowing HTTPS out only */
  readonly securityGroup?: ec2.ISecurityGroup;
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly timeout: Duration;
  /** @default 256 */
  readonly memorySize?: number;
  readonly reservedConcurrency: number;
  /** Where failed asynchronous invocations go. @default - none (synchronous callers get the error) */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * Bundle the AWS SDK into the function (pinned versions, and `@aws-sdk/lib-storage`, which the
   * runtime lacks). False leaves `@aws-sdk/*` and `@smithy/*` to the Lambda runtime's copy: a
   * smaller bundle and a faster cold start, at the runtime's SDK version.
   *
   * @default true
   */
  readonly bundleAwsSdk?: boolean;
  /**
   * For functions first deployed by `createVpcFunction`: the construct ids its pieces had beside
   * this construct. Each piece keeps the logical ID it had there, so the update replaces nothing;
   * above all the log group keeps its history. Only the policy that grants land in (created at
   * the first grant, `<role>Grants`, whose description names the role's path) is replaced:
   * CloudFormation creates the new one, attached to the same role, before it deletes the old, so
   * no permission lapses. New functions leave it unset.
   *
   * @default - logical IDs from this construct's own path
   */
  readonly keepLogicalIdsOf?: VpcFunctionIds;
}

/**
 * A Plinth Lambda: `lambdas/<handlerFolder>/index.ts` bundled with the local esbuild exactly as
 * `NodejsFunction` would (SDK included by default, so versions are pinned; handler `index.handler`),
 * once per process and reused across runs while its inputs are unchanged (see `lambda-bundle.ts`),
 * Node 24 on ARM, in the VPC's isolated subnets with HTTPS out only, an encrypted log group with
 * retention, and its own role with customer-managed policies only: its statements, and the grants
 * made onto it later (`grantX(fn)`), which land in a second managed policy (see `ManagedGrantsRole`).
 *
 * Children: `Resource` (the function), `Logs`, `Role`, `Policy` and `SecurityGroup`.
 */
export class VpcFunction extends Construct {
  public readonly function: lambda.Function;
  /** Grants onto the function (or its role) land in a managed policy of this role (see {@link ManagedGrantsRole}). */
  public readonly role: ManagedGrantsRole;
  public readonly policy: iam.ManagedPolicy;
  public readonly logGroup: logs.LogGroup;
  public readonly securityGroup: ec2.ISecurityGroup;

  constructor(scope: Construct, id: string, props: VpcFunctionProps) {
    super(scope, id);
    if (!Number.isInteger(props.reservedConcurrency) || props.reservedConcurrency < 0) {
      throw new PlinthError(`VpcFunction ${this.node.path}: reservedConcurrency must be a whole number (0 stops the function), got ${props.reservedConcurrency}`);
    }
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      encryptionKey: props.logsKey,
      retention: props.logRetention,
      removalPolicy: props.removalPolicy,
    });
    let securityGroup = props.securityGroup;
    if (!securityGroup) {
      const created = new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc: props.vpc,
        description: securityGroupDescription(`${props.description}: HTTPS to AWS endpoints only`),
        allowAllOutbound: false,
      });
      created.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to VPC endpoints (no internet route exists)');
      securityGroup = created;
    }
    this.securityGroup = securityGroup;
    this.role = new ManagedGrantsRole(this, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: props.description });
    const logStreams = `${this.logGroup.logGroupArn}:*`;
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      roles: [this.role],
      statements: [
        ...props.statements,
        new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logStreams] }),
        new iam.PolicyStatement({ sid: 'RunInVpc', actions: VPC_NETWORK_INTERFACE_ACTIONS, resources: ['*'] }),
        ...(props.deadLetterQueue
          ? [new iam.PolicyStatement({ sid: 'DeadLetterAsyncFailures', actions: ['sqs:SendMessage'], resources: [props.deadLetterQueue.queueArn] })]
          : []),
      ],
    });
    this.function = new lambda.Function(this, 'Resource', {
      code: handlerBundleCode(props.handlerFolder, { bundleAwsSdk: props.bundleAwsSdk ?? true }),
      handler: 'index.handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 256,
      timeout: props.timeout,
      description: props.description,
      role: this.role,
      logGroup: this.logGroup,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [securityGroup],
      reservedConcurrentExecutions: props.reservedConcurrency,
      deadLetterQueueEnabled: props.deadLetterQueue !== undefined ? true : undefined,
      deadLetterQueue: props.deadLetterQueue,
      environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
    });
    this.function.node.addDependency(this.policy);
    this.role.dependOnGrants(this.function);

    const legacy = props.keepLogicalIdsOf;
    if (legacy) {
      const keep = (piece: IConstruct | undefined, siblingId: string) => {
        if (piece) (piece.node.defaultChild as CfnElement).overrideLogicalId(siblingLogicalId(piece.node.defaultChild as CfnElement, this, siblingId));
      };
      keep(this.function, legacy.function);
      keep(this.logGroup, legacy.logGroup);
      keep(this.role, legacy.role);
      keep(this.policy, legacy.policy);
      keep(props.securityGroup ? undefined : this.securityGroup, legacy.securityGroup);
    }
    // After the logical IDs are settled: a wildcard finding names the resource by its logical ID.
    acknowledgeFinding(this.policy, {
      rule: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'EC2 network-interface calls for a VPC Lambda accept no resource scoping (AWS documents Resource "*").',
      ...PLATFORM_WAIVER,
    });
    const wildcards: ReadonlyArray<readonly [string, string]> = [
      [logStreams, 'Lambda names its log streams at run time; limited to the function\'s own log group.'],
      ...(props.wildcardResources ?? []),
    ];
    for (const [resource, reason] of wildcards) {
      acknowledgeFinding(this.policy, { rule: wildcardResourceFinding(this, resource), reason, ...PLATFORM_WAIVER });
    }
  }
}

/**
 * The logical ID `element` would have if the construct holding it (a direct child of `owner`)
 * stood beside `owner` under `siblingId`: CDK's own algorithm (human-readable path, then an MD5 of
 * the path), which a test checks against `Stack.getLogicalId` so a change in CDK is caught.
 */
export function siblingLogicalId(element: CfnElement, owner: IConstruct, siblingId: string): string {
  const stack = Stack.of(element);
  const scopes = element.node.scopes;
  const below = scopes.slice(scopes.indexOf(stack) + 1).map((c) => c.node.id);
  const ownerDepth = owner.node.scopes.length - scopes.indexOf(stack) - 1;
  // below = [...owner's path, owner, piece, ...inside piece]: drop owner, name the piece siblingId.
  const components = [...below.slice(0, ownerDepth - 1), siblingId, ...below.slice(ownerDepth + 1)];
  return cdkUniqueId(components);
}

/** aws-cdk-lib's `makeUniqueId` (core/lib/private/uniqueid), which the package does not export. */
function cdkUniqueId(path: string[]): string {
  const components = path.filter((c) => c !== 'Default');
  const alphanumeric = (s: string) => s.replace(/[^A-Za-z0-9]/g, '');
  if (components.length === 1 && alphanumeric(components[0]).length <= 255) return alphanumeric(components[0]);
  const hash = createHash('md5').update(components.join('/')).digest('hex').slice(0, 8).toUpperCase();
  const deduped: string[] = [];
  for (const c of components) if (deduped.length === 0 || !deduped[deduped.length - 1].endsWith(c)) deduped.push(c);
  return deduped.filter((c) => c !== 'Resource').map(alphanumeric).join('').slice(0, 240) + hash;
}

/**
 * Builds a {@link VpcFunction} whose pieces keep the logical IDs they had when this function
 * created them on `scope` under `props.ids`.
 *
 * @deprecated use `new VpcFunction(scope, id, { ...props, keepLogicalIdsOf: ids })`
 */
export function createVpcFunction(scope: Construct, props: VpcFunctionProps & { readonly ids: VpcFunctionIds }): VpcFunction {
  const { ids, ...rest } = props;
  return new VpcFunction(scope, ids.function, { ...rest, keepLogicalIdsOf: ids });
}

/**
 * EC2 accepts only a-zA-Z0-9, spaces and ._-:/()#,@[]+=&;{}!$* in a security group description
 * (an apostrophe in a function's description would fail the deploy), so other characters are dropped.
 */
export function securityGroupDescription(text: string): string {
  return text.replace(/[^a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]/g, '').slice(0, 255);
}
