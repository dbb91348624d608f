import { Aspects, CfnResource, Names, Stack, Stage, type IAspect } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct, type IConstruct } from 'constructs';
import { acknowledgeFinding, wildcardResourceFinding } from '../compliance/acknowledge';
import { BOUNDARY_DESCRIPTION_PREFIX } from '../compliance/plinth-rules';
import { NVME_INSTANCE_TYPE_PATTERNS } from './instance-storage';
import { PLATFORM_WAIVER } from '../compliance/platform-waiver';

/** The services Plinth's roles may use at most. The boundary caps; each role's own policy grants. */
export const BOUNDARY_ALLOWED_SERVICES = [
  'application-autoscaling', 'athena', 'cloudwatch', 'dynamodb', 'ec2', 'ecr', 'events', 'glue', 'kms',
  'lakeformation', 'lambda', 'logs', 'sagemaker', 's3', 'sns', 'sqs', 'ssm', 'states', 'sts', 'xray',
] as const;

/**
 * Roles no platform role may assume: the model approver (separation of duties) and the CDK
 * bootstrap roles (deploying is the pipeline's duty), as name patterns.
 */
export const GUARD_ROLE_NAMES = ['*ApproverRole*', 'cdk-*'] as const;

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
 * otherwise perform: models without network isolation or a VPC, endpoint configs (serverless
 * too) and jobs without KMS keys, notebooks with direct internet access. It also guards the
 * guardrails: no assuming the approver or CDK's roles, passing only the platform's own roles,
 * no key deletion, disabling or re-policy, no alarm deletion or silencing, and no removing or
 * editing the boundary itself.
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

    const roleArn = (name: string) => stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: name });
    // Every Plinth role is named by CloudFormation after its stack, and every stack of an
    // environment after its stage: `<stage>-<Stack>-<Role>-<suffix>`.
    const stage = Stage.of(this);
    const prefix = stage !== undefined && stage.stageName !== '' ? stage.stageName : stack.stackName;
    const platformRoles = roleArn(`${prefix}-*`);
    const deny = (sid: string, actions: string[], conditions?: Record<string, Record<string, unknown>>, resources = ['*']) =>
      new iam.PolicyStatement({ sid, effect: iam.Effect.DENY, actions, resources, conditions });

    this.policy = new iam.ManagedPolicy(this, 'Resource', {
      managedPolicyName: policyName,
      description: `${BOUNDARY_DESCRIPTION_PREFIX}: caps every platform role, forbids insecure SageMaker creation and guards the guardrails`,
      statements: [
        new iam.PolicyStatement({
          sid: 'CapToPlatformServices',
          actions: BOUNDARY_ALLOWED_SERVICES.map((service) => `${service}:*`),
          resources: ['*'],
        }),
        new iam.PolicyStatement({
          // Only the platform's own roles (named after its stacks), and only to the services that run them.
          sid: 'AllowPassingPlatformRolesToPlatformServices',
          actions: ['iam:PassRole'],
          resources: [platformRoles],
          conditions: {
            StringEquals: {
              'iam:PassedToService': ['sagemaker.amazonaws.com', 'lambda.amazonaws.com', 'states.amazonaws.com', 'glue.amazonaws.com'],
            },
          },
        }),
        // Every SageMaker condition key below is one the Service Authorization Reference lists for the
        // action it is applied to (docs.aws.amazon.com/service-authorization/latest/reference/
        // list_amazonsagemaker.html, checked 2026-12-04): a Deny keyed on a condition the action never
        // sends would be a silent hole (a Null: true test) or deny every call (a Null: false test).
        //   CreateModel: NetworkIsolation, VpcSecurityGroupIds, VpcSubnets.
        //   CreateEndpointConfig: AcceleratorTypes, InstanceTypes, ModelArn, VolumeKmsKey,
        //     ServerlessMaxConcurrency, ServerlessMemorySize.
        //   CreateTrainingJob, CreateProcessingJob, CreateHyperParameterTuningJob: OutputKmsKey,
        //     VolumeKmsKey, VpcSubnets (among others).
        //   CreateTransformJob: InstanceTypes, ModelArn, OutputKmsKey, VolumeKmsKey (no VpcSubnets).
        //   CreateNotebookInstance: DirectInternetAccess (among others).
        deny('DenyModelWithoutNetworkIsolation', ['sagemaker:CreateModel'], { Bool: { 'sagemaker:NetworkIsolation': 'false' } }),
        deny('DenyModelWithNetworkIsolationUnset', ['sagemaker:CreateModel'], { Null: { 'sagemaker:NetworkIsolation': 'true' } }),
        deny('DenyModelOutsideVpc', ['sagemaker:CreateModel'], { Null: { 'sagemaker:VpcSubnets': 'true' } }),
        // Endpoint configs without a KMS key, in every form: any instance type without local NVMe
        // storage (those take no volume key: hardware-encrypted) ...
        deny('DenyEndpointConfigWithoutVolumeKey', ['sagemaker:CreateEndpointConfig'], {
          Null: { 'sagemaker:VolumeKmsKey': 'true' },
          'ForAnyValue:StringNotLike': { 'sagemaker:InstanceTypes': NVME_INSTANCE_TYPE_PATTERNS },
        }),
        deny('DenyJobsWithoutVolumeKey', SAGEMAKER_JOB_CREATIONS, { Null: { 'sagemaker:VolumeKmsKey': 'true' } }),
        deny('DenyJobsWithoutOutputKey', SAGEMAKER_JOB_CREATIONS, { Null: { 'sagemaker:OutputKmsKey': 'true' } }),
        // CreateTransformJob has no sagemaker:VpcSubnets key (a transform runs in its model's VPC, which
        // DenyModelOutsideVpc requires), so a Null test on it would deny every batch transform.
        deny('DenyJobsOutsideVpc', SAGEMAKER_JOB_CREATIONS.filter((a) => a !== 'sagemaker:CreateTransformJob'), { Null: { 'sagemaker:VpcSubnets': 'true' } }),
        // ... a config with no instance types at all (serverless: the ForAnyValue condition above
        // never matches an absent key) ...
        deny('DenyServerlessEndpointConfigWithoutKey', ['sagemaker:CreateEndpointConfig'], {
          Null: { 'sagemaker:VolumeKmsKey': 'true', 'sagemaker:InstanceTypes': 'true' },
        }),
        // ... and any serverless variant without a key, even next to NVMe instance variants (whose
        // instance types satisfy both conditions above): a serverless variant sends ServerlessMaxConcurrency.
        deny('DenyServerlessVariantWithoutKey', ['sagemaker:CreateEndpointConfig'], {
          Null: { 'sagemaker:VolumeKmsKey': 'true', 'sagemaker:ServerlessMaxConcurrency': 'false' },
        }),
        deny('DenyNotebookInternetAccess', ['sagemaker:CreateNotebookInstance'], { StringNotEquals: { 'sagemaker:DirectInternetAccess': 'Disabled' } }),
        // The guardrails guard themselves: no role reaches the approver or CDK's deploy roles, ...
        deny('DenyAssumingGuardRoles', ['sts:AssumeRole', 'sts:TagSession', 'sts:SetSourceIdentity'], undefined, GUARD_ROLE_NAMES.map((name) => roleArn(name))),
        // ... destroys or re-keys a key, ...
        deny('DenyKeyDestruction', ['kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:PutKeyPolicy']),
        // ... or silences an alarm (the canary rollback and every failure mode rely on them).
        deny('DenyAlarmTampering', ['cloudwatch:DeleteAlarms', 'cloudwatch:DisableAlarmActions', 'cloudwatch:SetAlarmState', 'cloudwatch:PutMetricAlarm', 'cloudwatch:PutCompositeAlarm']),
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
    const capReason =
      'A permissions boundary grants nothing; service-wide actions here only cap what each role\'s own ' +
      'least-privilege policy may grant, and the explicit denies below hold regardless.';
    for (const service of BOUNDARY_ALLOWED_SERVICES) {
      acknowledgeFinding(this.policy, { rule: `AwsSolutions-IAM5[Action::${service}:*]`, reason: capReason, ...PLATFORM_WAIVER });
    }
    acknowledgeFinding(this.policy, { rule: 'AwsSolutions-IAM5[Resource::*]', reason: capReason, ...PLATFORM_WAIVER });
    acknowledgeFinding(this.policy, {
      rule: wildcardResourceFinding(this.policy, platformRoles),
      reason: 'Caps iam:PassRole to the roles of this environment\'s own stacks (CloudFormation names them after the stack), passed only to the services that run them.',
      ...PLATFORM_WAIVER,
    });
    for (const pack of ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321']) {
      acknowledgeFinding(this.policy, { rule: `${pack}-IAMPolicyNoStatementsWithFullAccess`, reason: capReason, ...PLATFORM_WAIVER });
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
