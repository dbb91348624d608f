import { RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { CLOUDFORMATION_VALIDATOR, acknowledgeFinding } from '../compliance/acknowledge';
import { PlinthError } from '../errors';
import type { PlatformNetworkProps } from './platform-network-props';
import { PLATFORM_WAIVER } from '../compliance/platform-waiver';

/** Every AWS API the platform calls from inside the VPC, reached through an interface endpoint. */
export const PLATFORM_INTERFACE_ENDPOINTS: Record<string, ec2.InterfaceVpcEndpointAwsService> = {
  SageMakerApi: ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_API,
  SageMakerRuntime: ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_RUNTIME,
  SageMakerFeatureStoreRuntime: ec2.InterfaceVpcEndpointAwsService.SAGEMAKER_FEATURESTORE_RUNTIME,
  Sts: ec2.InterfaceVpcEndpointAwsService.STS,
  Kms: ec2.InterfaceVpcEndpointAwsService.KMS,
  CloudWatchLogs: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
  CloudWatchMonitoring: ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_MONITORING,
  Ecr: ec2.InterfaceVpcEndpointAwsService.ECR,
  EcrDocker: ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
  Sqs: ec2.InterfaceVpcEndpointAwsService.SQS,
  EventBridge: ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE,
  Glue: ec2.InterfaceVpcEndpointAwsService.GLUE,
  Athena: ec2.InterfaceVpcEndpointAwsService.ATHENA,
  Ssm: ec2.InterfaceVpcEndpointAwsService.SSM,
};

/**
 * The platform's VPC: isolated private subnets only (no internet gateway, no NAT), every AWS API
 * reached through VPC endpoints, and flow logs of all traffic in a KMS-encrypted log group.
 */
export class PlatformNetwork extends Construct {
  public readonly vpc: ec2.Vpc;
  /** The security group on the interface endpoints; it admits HTTPS from inside the VPC only. */
  public readonly endpointSecurityGroup: ec2.SecurityGroup;
  public readonly flowLogGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PlatformNetworkProps) {
    super(scope, id);
    validateAvailabilityZones(this, props.availabilityZones);
    answerAvailabilityZoneLookup(Stack.of(this), props.availabilityZones);
    this.vpc = new ec2.Vpc(this, 'Resource', {
      ipAddresses: ec2.IpAddresses.cidr(props.vpcCidr),
      availabilityZones: [...props.availabilityZones],
      natGateways: 0,
      createInternetGateway: false,
      subnetConfiguration: [{ name: 'Isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 }],
      restrictDefaultSecurityGroup: true,
    });
    acknowledgeFinding(this.vpc, {
      rule: 'W3010',
      plugin: CLOUDFORMATION_VALIDATOR,
      reason: 'Zones are a prop on purpose: synth needs no AWS credentials, and the platform team picks the zones its capacity is in.',
      ...PLATFORM_WAIVER,
      ifPresent: true,
    });

    this.flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
      encryptionKey: props.logsKey,
      retention: props.flowLogRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    // The flow-log service role gets a customer-managed policy (no inline policy), and CDK may not add more.
    const flowLogRole = new iam.Role(this, 'FlowLogRole', {
      assumedBy: new iam.ServicePrincipal('vpc-flow-logs.amazonaws.com'),
      description: 'VPC flow logs delivery to the encrypted flow-log group',
    });
    new iam.ManagedPolicy(this, 'FlowLogDeliveryPolicy', {
      roles: [flowLogRole],
      statements: [
        new iam.PolicyStatement({
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          resources: [this.flowLogGroup.logGroupArn],
        }),
      ],
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(this.flowLogGroup, flowLogRole.withoutPolicyUpdates()),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });

    this.vpc.addGatewayEndpoint('S3Endpoint', { service: ec2.GatewayVpcEndpointAwsService.S3 });
    this.vpc.addGatewayEndpoint('DynamoDbEndpoint', { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB });

    this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: this.vpc,
      description: 'Plinth interface endpoints: HTTPS from inside the VPC only',
      allowAllOutbound: false,
    });
    this.endpointSecurityGroup.addIngressRule(
      ec2.Peer.ipv4(props.vpcCidr),
      ec2.Port.tcp(443),
      'HTTPS from inside the VPC',
    );
    const endpoints = { ...PLATFORM_INTERFACE_ENDPOINTS, ...(props.additionalInterfaceEndpoints ?? {}) };
    for (const [name, service] of Object.entries(endpoints)) {
      this.vpc.addInterfaceEndpoint(`${name}Endpoint`, {
        service,
        privateDnsEnabled: true,
        securityGroups: [this.endpointSecurityGroup],
        open: false,
        subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      });
    }
  }

  /** The isolated subnets that workloads (Lambda, SageMaker) run in. */
  public get isolatedSubnets(): ec2.SubnetSelection {
    return { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
  }
}

/** Zones every PlatformNetwork in a stack was given. */
const GIVEN_ZONES = new WeakMap<Stack, Set<string>>();

/**
 * `ec2.Vpc` checks given zones against `Stack.availabilityZones`, which for a stack with a concrete
 * account and region is a context lookup: without an answer in cdk.context.json, `cdk synth` calls
 * AWS with credentials. Context cannot be set on a stack that already has children, so the stack's
 * zones are answered here from the prop instead, unless the app's context already answers them.
 */
function answerAvailabilityZoneLookup(stack: Stack, zones: readonly string[]): void {
  if (Token.isUnresolved(stack.account) || Token.isUnresolved(stack.region)) return;
  if (stack.node.tryGetContext(`availability-zones:account=${stack.account}:region=${stack.region}`) !== undefined) return;
  let given = GIVEN_ZONES.get(stack);
  if (!given) {
    const known = new Set<string>();
    given = known;
    GIVEN_ZONES.set(stack, known);
    Object.defineProperty(stack, 'availabilityZones', { configurable: true, get: () => [...known].sort() });
  }
  for (const zone of zones) given.add(zone);
}

/**
 * Zones are a prop, never looked up: a lookup needs AWS credentials at synth. Fails with what to
 * pass when they are missing or belong to another region than the stack's.
 */
function validateAvailabilityZones(scope: Construct, zones: readonly string[] | undefined): void {
  const region = Stack.of(scope).region;
  const example = Token.isUnresolved(region) ? "['eu-west-1a', 'eu-west-1b']" : `['${region}a', '${region}b']`;
  if (zones === undefined || zones.length === 0) {
    throw new PlinthError(
      `PlatformNetwork ${scope.node.path}: availabilityZones is missing; pass the zones to spread the subnets over, e.g. ${example}. ` +
        'Plinth never looks zones up, so synth needs no AWS credentials.',
    );
  }
  if (!Token.isUnresolved(region)) {
    const foreign = zones.filter((zone) => !zone.startsWith(region));
    if (foreign.length > 0) {
      throw new PlinthError(`PlatformNetwork ${scope.node.path}: availabilityZones ${foreign.join(', ')} are not in the stack's region ${region}; use zones like ${example}`);
    }
  }
}
