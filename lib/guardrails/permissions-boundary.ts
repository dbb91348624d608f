import { Aspects, CfnResource, Names, Stack, type IAspect } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';
import { acknowledgeFinding } from '../compliance/acknowledge';
import { NVME_INSTANCE_TYPE_PATTERNS } from './instance-storage';

/** The services Plinth's roles may use at most. The boundary caps; each role's own policy grants. */
export const BOUNDARY_ALLOWED_SERVICES = [
  'application-autoscaling', 'athena', 'cloudwatch', 'dynamodb', 'ec2', 'ecr', 'events', 'glue', 'kms',
  'lakeformation', 'lambda', 'logs', 'sagemaker', 's3', 'sns', 'sqs', 'ssm', 'states', 'sts', 'xray',
] as const;

/** SageMaker calls that create jobs, which must encrypt their volumes and outputs with a KMS key. */
const SAGEMAKER_JOB_CREATIONS = [
  'sagemaker:CreateTrainingJob',
  'sagemaker:CreateProcessingJob',
  'sagemaker:CreateTransformJob',
  'sagemaker:CreateHyperParameterTuningJob',
];

/**
 * The permissions boundary on every Plinth role. Besides capping what a role may do, it denies,
 * through SageMaker's IAM condition keys, insecure creation that an over-granted role could
 * otherwise perform: models without network isolation or a VPC, endpoint configs and jobs
 * without KMS keys, and any attempt to remove or edit the boundary itself.
 */
export class PlatformPermissionsBoundary extends Construct {
  public readonly policy: iam.ManagedPolicy;
  /** The policy's ARN, computed from its generated name, so other stacks need no export. */
  public readonly policyArn: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    const stack = Stack.of(this);
    const policyName = Names.uniqueResourceName(this, { maxLength: 128, separator: '-' });
    this.policyArn = stack.formatArn({ service: 'iam', region: '', resource: 'policy', resourceName: policyName });

    const deny = (sid: string, actions: string[], conditions?: Record<string, Record<string, unknown>>, resources = ['*']) =>
      new iam.PolicyStatement({ sid, effect: iam.Effect.DENY, actions, resources, conditions });

    this.policy = new iam.ManagedPolicy(this, 'Resource', {
      managedPolicyName: policyName,
      description: 'Plinth permissions boundary: caps every platform role and forbids insecure SageMaker creation',
      statements: [
        new iam.PolicyStatement({
          sid: 'CapToPlatformServices',
          actions: BOUNDARY_ALLOWED_SERVICES.map((service) => `${service}:*`),
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          sid: 'AllowPassingPlatformRolesToPlatformServices',
          actions: ['iam:PassRole'],
          resources: ['*'],
          conditions: {
            StringEquals: {
              'iam:PassedToService': ['sagemaker.amazonaws.com', 'lambda.amazonaws.com', 'states.amazonaws.com', 'glue.amazonaws.com'],
            },
          },
        }),
        deny('DenyModelWithoutNetworkIsolation', ['sagemaker:CreateModel'], { Bool: { 'sagemaker:NetworkIsolation': 'false' } }),
        deny('DenyModelWithNetworkIsolationUnset', ['sagemaker:CreateModel'], { Null: { 'sagemaker:NetworkIsolation': 'true' } }),
        deny('DenyModelOutsideVpc', ['sagemaker:CreateModel'], { Null: { 'sagemaker:VpcSubnets': 'true' } }),
        // Instance types with local NVMe storage take no volume key (hardware-encrypted); every other one must have one.
        deny('DenyEndpointConfigWithoutVolumeKey', ['sagemaker:CreateEndpointConfig'], {
          Null: { 'sagemaker:VolumeKmsKey': 'true' },
          'ForAnyValue:StringNotLike': { 'sagemaker:InstanceTypes': NVME_INSTANCE_TYPE_PATTERNS },
        }),
        deny('DenyJobsWithoutVolumeKey', SAGEMAKER_JOB_CREATIONS, { Null: { 'sagemaker:VolumeKmsKey': 'true' } }),
        deny('DenyJobsWithoutOutputKey', SAGEMAKER_JOB_CREATIONS, { Null: { 'sagemaker:OutputKmsKey': 'true' } }),
        deny('DenyJobsOutsideVpc', SAGEMAKER_JOB_CREATIONS, { Null: { 'sagemaker:VpcSubnets': 'true' } }),
        deny('DenyBoundaryRemoval', ['iam:DeleteRolePermissionsBoundary', 'iam:DeleteUserPermissionsBoundary']),
        deny(
          'DenyBoundaryReplacement',
          ['iam:PutRolePermissionsBoundary', 'iam:PutUserPermissionsBoundary', 'iam:CreateRole', 'iam:CreateUser'],
          { StringNotEquals: { 'iam:PermissionsBoundary': this.policyArn } },
        ),
        deny(
          'DenyBoundaryEdits',
          ['iam:CreatePolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion', 'iam:SetDefaultPolicyVersion'],
          undefined,
          [this.policyArn],
        ),
      ],
    });
    const ack = { owner: 'ml-platform', expires: '2027-06-30' };
    const capReason =
      'A permissions boundary grants nothing; service-wide actions here only cap what each role\'s own ' +
      'least-privilege policy may grant, and the explicit denies below hold regardless.';
    for (const service of BOUNDARY_ALLOWED_SERVICES) {
      acknowledgeFinding(this.policy, { rule: `AwsSolutions-IAM5[Action::${service}:*]`, reason: capReason, ...ack });
    }
    acknowledgeFinding(this.policy, { rule: 'AwsSolutions-IAM5[Resource::*]', reason: capReason, ...ack });
    for (const pack of ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321']) {
      acknowledgeFinding(this.policy, { rule: `${pack}-IAMPolicyNoStatementsWithFullAccess`, reason: capReason, ...ack });
    }
  }

  /** Puts this boundary on every IAM role (and user) under `scope`, including ones CDK creates itself. */
  public applyTo(scope: IConstruct): void {
    iam.PermissionsBoundary.of(scope).apply(this.reference);
    // CDK's custom-resource providers declare roles as plain CfnResources, which the aspect above skips.
    Aspects.of(scope).add(new ProviderRoleBoundary(this.policyArn));
  }

  private get reference(): iam.IManagedPolicy {
    const existing = this.node.tryFindChild('Reference') as iam.IManagedPolicy | undefined;
    return existing ?? iam.ManagedPolicy.fromManagedPolicyArn(this, 'Reference', this.policyArn);
  }
}

/** Sets the boundary on roles that CDK declares as untyped `CfnResource`s (custom-resource providers). */
class ProviderRoleBoundary implements IAspect {
  constructor(private readonly policyArn: string) {}

  public visit(node: IConstruct): void {
    if (node instanceof CfnResource && !(node instanceof iam.CfnRole) && node.cfnResourceType === 'AWS::IAM::Role') {
      node.addPropertyOverride('PermissionsBoundary', this.policyArn);
    }
  }
}
