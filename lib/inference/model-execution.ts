import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeFinding, wildcardResourceFinding } from '../compliance/acknowledge';
import { PLATFORM_WAIVER } from '../compliance/platform-waiver';

/** Properties for {@link ModelExecution}. */
export interface ModelExecutionProps {
  readonly vpc: ec2.IVpc;
  /** Encrypts model artifacts, endpoint volumes and data capture. */
  readonly modelsKey: kms.IKey;
  /** Where model artifacts are read from. */
  readonly artifactsBucket: s3.IBucket;
  /** Where endpoints write captured requests and responses. */
  readonly captureBucket: s3.IBucket;
  /** Encrypts the capture bucket (the lake key). */
  readonly captureKey: kms.IKey;
  /** @default 'capture/' */
  readonly capturePrefix?: string;
}

/**
 * What every Plinth model runs with: a role that can pull this account's images, read artifacts,
 * write data capture, logs and metrics, and nothing else; and a security group that lets it reach
 * AWS endpoints over HTTPS only.
 */
export class ModelExecution extends Construct {
  public readonly role: iam.Role;
  public readonly securityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: ModelExecutionProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'Plinth models: HTTPS to AWS endpoints only',
      allowAllOutbound: false,
    });
    this.securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to VPC endpoints (no internet route exists)');

    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: 'Plinth models run as this role: pull the image, read artifacts, write capture, logs and metrics',
    });
    const repositories = stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: '*' });
    const capture = props.captureBucket.arnForObjects(`${props.capturePrefix ?? 'capture/'}*`);
    const logGroups = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/*' });
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({ sid: 'EcrToken', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }),
        new iam.PolicyStatement({
          sid: 'PullImagesOfThisAccount',
          actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
          resources: [repositories],
        }),
        new iam.PolicyStatement({ sid: 'ReadArtifacts', actions: ['s3:GetObject'], resources: [props.artifactsBucket.arnForObjects('*')] }),
        new iam.PolicyStatement({ sid: 'WriteCapture', actions: ['s3:PutObject', 's3:AbortMultipartUpload'], resources: [capture] }),
        new iam.PolicyStatement({
          sid: 'UseKeys',
          actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:CreateGrant', 'kms:GenerateDataKey', 'kms:Encrypt'],
          resources: [props.modelsKey.keyArn, props.captureKey.keyArn],
        }),
        new iam.PolicyStatement({
          sid: 'RunInVpc',
          actions: [
            'ec2:CreateNetworkInterface', 'ec2:CreateNetworkInterfacePermission', 'ec2:DeleteNetworkInterface',
            'ec2:DeleteNetworkInterfacePermission', 'ec2:DescribeNetworkInterfaces', 'ec2:DescribeVpcs',
            'ec2:DescribeDhcpOptions', 'ec2:DescribeSubnets', 'ec2:DescribeSecurityGroups',
          ],
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'WriteModelLogs',
          actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          resources: [logGroups],
        }),
        new iam.PolicyStatement({
          sid: 'PublishModelMetrics',
          actions: ['cloudwatch:PutMetricData'],
          resources: ['*'],
          conditions: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*', 'AWS/SageMaker'] } },
        }),
      ],
    });
    for (const [rule, reason] of [
      ['AwsSolutions-IAM5[Resource::*]', 'ECR tokens, VPC network interfaces and PutMetricData take no resource; metrics are limited by a namespace condition.'],
      [wildcardResourceFinding(this, repositories), 'Models may use any repository of this account\'s ECR; the deploy function rejects images from any other registry.'],
      [wildcardResourceFinding(this, props.artifactsBucket.arnForObjects('*')), 'Artifacts are keyed per training run; read-only and limited to the registry\'s artifact bucket.'],
      [wildcardResourceFinding(this, capture), 'SageMaker names capture files by endpoint, variant and hour; write-only and limited to the capture prefix.'],
      [wildcardResourceFinding(this, logGroups), 'SageMaker names endpoint log groups itself under /aws/sagemaker/.'],
    ] as const) {
      acknowledgeFinding(policy, { rule, reason, ...PLATFORM_WAIVER });
    }
  }
}
