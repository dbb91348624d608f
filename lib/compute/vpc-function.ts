import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
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


/** Construct IDs of the pieces, so callers keep their logical IDs stable. */
export interface VpcFunctionIds {
  readonly function: string;
  readonly logGroup: string;
  readonly role: string;
  readonly policy: string;
  /** Ignored when a security group is passed in. */
  readonly securityGroup: string;
}

/** Properties for {@link createVpcFunction}. */
export interface VpcFunctionProps {
  /** The handler's folder under `lambdas/`. */
  readonly handlerFolder: string;
  readonly description: string;
  /** The function's own permissions; log writing, VPC interfaces and the DLQ are added. */
  readonly statements: iam.PolicyStatement[];
  /** Wildcard resources in `statements`, each with why it is acceptable (becomes an acknowledgement). */
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
  readonly ids: VpcFunctionIds;
}

/** What {@link createVpcFunction} made. */
export interface VpcFunction {
  readonly function: lambda.Function;
  /** Grants onto the function (or its role) land in a managed policy of this role (see {@link ManagedGrantsRole}). */
  readonly role: ManagedGrantsRole;
  readonly policy: iam.ManagedPolicy;
  readonly logGroup: logs.LogGroup;
  readonly securityGroup: ec2.ISecurityGroup;
}

/**
 * A Plinth Lambda: `lambdas/<handlerFolder>/index.ts` bundled with the local esbuild exactly as
 * `NodejsFunction` would (SDK included by default, so versions are pinned; handler `index.handler`),
 * once per process and reused across runs while its inputs are unchanged (see `lambda-bundle.ts`),
 * Node 24 on ARM, in the VPC's isolated subnets with HTTPS out only, an encrypted log group with
 * retention, and its own role with customer-managed policies only: its statements, and the grants
 * made onto it later (`grantX(fn)`), which land in a second managed policy (see `ManagedGrantsRole`). Creates its pieces on `scope` under the given IDs.
 */
export function createVpcFunction(scope: Construct, props: VpcFunctionProps): VpcFunction {
  const { ids } = props;
  const logGroup = new logs.LogGroup(scope, ids.logGroup, {
    encryptionKey: props.logsKey,
    retention: props.logRetention,
    removalPolicy: props.removalPolicy,
  });
  let securityGroup = props.securityGroup;
  if (!securityGroup) {
    const created = new ec2.SecurityGroup(scope, ids.securityGroup, {
      vpc: props.vpc,
      description: securityGroupDescription(`${props.description}: HTTPS to AWS endpoints only`),
      allowAllOutbound: false,
    });
    created.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to VPC endpoints (no internet route exists)');
    securityGroup = created;
  }
  const role = new ManagedGrantsRole(scope, ids.role, { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'), description: props.description });
  const logStreams = `${logGroup.logGroupArn}:*`;
  const policy = new iam.ManagedPolicy(scope, ids.policy, {
    roles: [role],
    statements: [
      ...props.statements,
      new iam.PolicyStatement({ sid: 'WriteOwnLogs', actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logStreams] }),
      new iam.PolicyStatement({ sid: 'RunInVpc', actions: VPC_NETWORK_INTERFACE_ACTIONS, resources: ['*'] }),
      ...(props.deadLetterQueue
        ? [new iam.PolicyStatement({ sid: 'DeadLetterAsyncFailures', actions: ['sqs:SendMessage'], resources: [props.deadLetterQueue.queueArn] })]
        : []),
    ],
  });
  acknowledgeFinding(policy, {
    rule: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'EC2 network-interface calls for a VPC Lambda accept no resource scoping (AWS documents Resource "*").',
    ...PLATFORM_WAIVER,
  });
  const wildcards: ReadonlyArray<readonly [string, string]> = [
    [logStreams, 'Lambda names its log streams at run time; limited to the function\'s own log group.'],
    ...(props.wildcardResources ?? []),
  ];
  for (const [resource, reason] of wildcards) {
    acknowledgeFinding(policy, { rule: wildcardResourceFinding(scope, resource), reason, ...PLATFORM_WAIVER });
  }
  const fn = new lambda.Function(scope, ids.function, {
    code: handlerBundleCode(props.handlerFolder, { bundleAwsSdk: props.bundleAwsSdk ?? true }),
    handler: 'index.handler',
    runtime: lambda.Runtime.NODEJS_24_X,
    architecture: lambda.Architecture.ARM_64,
    memorySize: props.memorySize ?? 256,
    timeout: props.timeout,
    description: props.description,
    role,
    logGroup,
    vpc: props.vpc,
    vpcSubnets: props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    securityGroups: [securityGroup],
    reservedConcurrentExecutions: props.reservedConcurrency,
    deadLetterQueueEnabled: props.deadLetterQueue !== undefined ? true : undefined,
    deadLetterQueue: props.deadLetterQueue,
    environment: { ...props.environment, NODE_OPTIONS: '--enable-source-maps' },
  });
  fn.node.addDependency(policy);
  role.dependOnGrants(fn);
  return { function: fn, role, policy, logGroup, securityGroup };
}


/**
 * EC2 accepts only a-zA-Z0-9, spaces and ._-:/()#,@[]+=&;{}!$* in a security group description
 * (an apostrophe in a function's description would fail the deploy), so other characters are dropped.
 */
export function securityGroupDescription(text: string): string {
  return text.replace(/[^a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]/g, '').slice(0, 255);
}
