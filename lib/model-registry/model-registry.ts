import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { PlinthError } from '../errors';
import { acknowledgeFinding, wildcardResourceFinding } from '../compliance/acknowledge';
import { markModelApprover } from '../compliance/plinth-rules';
import { SecureBucket } from '../storage/secure-bucket';
import type { IModelRegistry, ModelRegistryProps } from './model-registry-props';
import * as perms from './perms';
import { PLATFORM_WAIVER } from '../compliance/platform-waiver';

/** SageMaker's model package group name rule. */
const MODEL_GROUP_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/** The approval status the data-scientist role may never set. */
export const APPROVED = 'Approved';

/**
 * Prefix of the training pipelines' evaluation outputs in the artifact bucket (evaluation report and
 * training sample). Only the pipelines write it: the drift baseline trusts the sample found there.
 * The drift-baseline handler keeps its own copy (lambdas/drift-baseline/sample-source.ts).
 */
export const PIPELINE_OUTPUTS_PREFIX = 'evaluations/';

/** Customer-metadata keys of the artifact pin (contract F; lambdas/deploy-model/artifact-pin.ts). */
export const ARTIFACT_PIN_KEYS = ['plinth:artifact-sha256', 'plinth:artifact-version-id'] as const;

/**
 * The Deny every role other than the approver carries when it may call UpdateModelPackage: any
 * request that sets an approval status (the `sagemaker:ModelApprovalStatus` key is present) is
 * refused, so only the approver changes approval.
 */
export function denyApprovalChanges(sid = 'NeverChangeApproval'): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid,
    effect: iam.Effect.DENY,
    actions: perms.APPROVE_MODEL,
    resources: ['*'],
    conditions: { Null: { 'sagemaker:ModelApprovalStatus': 'false' } },
  });
}

/**
 * The model registry: one SageMaker model package group per model (readable by the later
 * environments' accounts), an encrypted artifact bucket, and two roles that separate duties:
 * data scientists register versions but can never approve them; approvers approve but can never
 * register.
 */
export class ModelRegistry extends Construct implements IModelRegistry {
  public readonly groups: Record<string, sagemaker.CfnModelPackageGroup> = {};
  public readonly artifacts: SecureBucket;
  /** Registers model versions (always PendingManualApproval or Rejected); cannot approve. */
  public readonly dataScientistRole: iam.Role;
  /** Approves or rejects versions; cannot register or delete them. */
  public readonly approverRole: iam.Role;

  constructor(scope: Construct, id: string, props: ModelRegistryProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.artifacts = new SecureBucket(this, 'Artifacts', {
      encryptionKey: props.artifactsKey,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      removalPolicy,
    });

    const seen = new Set<string>();
    props.models.forEach((model, index) => {
      if (!MODEL_GROUP_NAME.test(model.name ?? '')) {
        throw new PlinthError(`ModelRegistry ${this.node.path}: models[${index}].name "${model.name}" must be 1-63 letters, digits and hyphens, starting and ending with a letter or digit (SageMaker naming)`);
      }
      if (seen.has(model.name)) throw new PlinthError(`ModelRegistry ${this.node.path}: models[${index}].name "${model.name}" is declared twice; model names must be unique`);
      seen.add(model.name);
    });
    for (const model of props.models) {
      const group = new sagemaker.CfnModelPackageGroup(this, `Group-${model.name}`, {
        modelPackageGroupName: model.name,
        modelPackageGroupDescription: model.description,
        modelPackageGroupPolicy:
          (props.readerAccounts ?? []).length > 0
            ? new iam.PolicyDocument({
                statements: [
                  new iam.PolicyStatement({
                    sid: 'PromotionTargetsRead',
                    principals: (props.readerAccounts ?? []).map((account) => new iam.AccountPrincipal(account)),
                    actions: perms.CROSS_ACCOUNT_READ,
                    resources: [this.groupArn(model.name), this.packagesArn(model.name)],
                  }),
                ],
              })
            : undefined,
      });
      group.applyRemovalPolicy(removalPolicy);
      this.groups[model.name] = group;
    }
    const groupArns = Object.keys(this.groups).flatMap((name) => [this.groupArn(name), this.packagesArn(name)]);

    this.dataScientistRole = new iam.Role(this, 'DataScientistRole', {
      assumedBy: new iam.AccountPrincipal(stack.account),
      description: 'Registers model versions for approval; can never approve them',
    });
    const scientistPolicy = new iam.ManagedPolicy(this, 'DataScientistPolicy', {
      roles: [this.dataScientistRole],
      statements: [
        new iam.PolicyStatement({ sid: 'RegisterAndReadVersions', actions: [...perms.REGISTER_MODEL, ...perms.READ_REGISTRY], resources: groupArns }),
        new iam.PolicyStatement({
          sid: 'NeverApprove',
          effect: iam.Effect.DENY,
          actions: [...perms.REGISTER_MODEL, ...perms.APPROVE_MODEL],
          resources: ['*'],
          conditions: { StringEquals: { 'sagemaker:ModelApprovalStatus': APPROVED } },
        }),
        new iam.PolicyStatement({
          sid: 'ArtifactsReadWrite',
          actions: [...perms.ARTIFACT_READ, ...perms.ARTIFACT_WRITE],
          resources: [this.artifacts.bucket.arnForObjects('*')],
        }),
        new iam.PolicyStatement({ sid: 'ArtifactsKey', actions: perms.KMS_USE, resources: [props.artifactsKey.keyArn] }),
        // What the pipelines' evaluation step wrote (the drift baseline's training sample, the
        // evaluation report) is never rewritten by hand.
        new iam.PolicyStatement({
          sid: 'NeverWritePipelineOutputs',
          effect: iam.Effect.DENY,
          actions: [...perms.ARTIFACT_WRITE, 's3:DeleteObject', 's3:DeleteObjectVersion'],
          resources: [this.artifacts.bucket.arnForObjects(`${PIPELINE_OUTPUTS_PREFIX}*`)],
        }),
      ],
    });

    this.approverRole = new iam.Role(this, 'ApproverRole', {
      assumedBy: new iam.AccountPrincipal(stack.account),
      description: 'Approves or rejects model versions; can never register them',
    });
    markModelApprover(this.approverRole);
    const approverPolicy = new iam.ManagedPolicy(this, 'ApproverPolicy', {
      roles: [this.approverRole],
      statements: [
        new iam.PolicyStatement({ sid: 'ReviewAndApprove', actions: [...perms.APPROVE_MODEL, ...perms.READ_REGISTRY], resources: groupArns }),
        new iam.PolicyStatement({ sid: 'NeverRegister', effect: iam.Effect.DENY, actions: perms.REGISTRY_WRITES, resources: ['*'] }),
        // The pin names the bytes that were reviewed: approving never rewrites or removes it.
        ...ARTIFACT_PIN_KEYS.map(
          (key, i) =>
            new iam.PolicyStatement({
              sid: `NeverRepin${i}`,
              effect: iam.Effect.DENY,
              actions: perms.APPROVE_MODEL,
              resources: ['*'],
              conditions: { Null: { [`sagemaker:CustomerMetadataProperties/${key}`]: 'false' } },
            }),
        ),
        new iam.PolicyStatement({
          sid: 'NeverUnpin',
          effect: iam.Effect.DENY,
          actions: perms.APPROVE_MODEL,
          resources: ['*'],
          conditions: { 'ForAnyValue:StringLike': { 'sagemaker:CustomerMetadataPropertiesToRemove': ['plinth:artifact-*'] } },
        }),
        new iam.PolicyStatement({ sid: 'ReadArtifacts', actions: perms.ARTIFACT_READ, resources: [this.artifacts.bucket.arnForObjects('*')] }),
        new iam.PolicyStatement({ sid: 'ArtifactsKey', actions: ['kms:Decrypt', 'kms:DescribeKey'], resources: [props.artifactsKey.keyArn] }),
      ],
    });

    for (const policy of [scientistPolicy, approverPolicy]) {
      acknowledgeFinding(policy, {
        rule: wildcardResourceFinding(this, this.artifacts.bucket.arnForObjects('*')),
        reason: 'Artifact keys are chosen per training run; the statement is limited to the registry\'s own artifact bucket.',
        ...PLATFORM_WAIVER,
      });
      for (const name of Object.keys(this.groups)) {
        acknowledgeFinding(policy, {
          rule: wildcardResourceFinding(this, this.packagesArn(name)),
          reason: 'Model package versions are numbered by SageMaker at registration; limited to this group\'s packages.',
          ...PLATFORM_WAIVER,
        });
      }
    }
  }

  /** ARN of a model package group. */
  public groupArn(name: string): string {
    return Stack.of(this).formatArn({ service: 'sagemaker', resource: 'model-package-group', resourceName: name.toLowerCase() });
  }

  /** ARN pattern of every version in a group. */
  public packagesArn(name: string): string {
    return Stack.of(this).formatArn({ service: 'sagemaker', resource: 'model-package', resourceName: `${name.toLowerCase()}/*` });
  }
}
