import { Annotations, CfnDeletionPolicy, CfnResource, RemovalPolicy } from 'aws-cdk-lib';
import type { IAspect } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Resource types that hold data or make data readable; their deletion loses something. */
export const STATEFUL_RESOURCE_TYPES: ReadonlySet<string> = new Set([
  'AWS::S3::Bucket',
  'AWS::KMS::Key',
  'AWS::DynamoDB::Table',
  'AWS::DynamoDB::GlobalTable',
  'AWS::Logs::LogGroup',
  'AWS::SQS::Queue',
  'AWS::Glue::Database',
  'AWS::Glue::Table',
  'AWS::SageMaker::FeatureGroup',
  'AWS::SageMaker::ModelPackageGroup',
]);

/**
 * Enforces the environment's removal policy on stateful resources.
 *
 * With `retain` (staging, prod), every stateful resource is RETAIN on delete and on replacement,
 * whatever its construct chose; a construct that asked for DESTROY is reverted and gets a warning.
 * With `destroy` (dev only; the config forbids it for prod), each construct's own choice stands,
 * because DESTROY is an opt-in made where the resource is defined.
 */
export class RemovalPolicyGuard implements IAspect {
  constructor(private readonly environmentPolicy: 'retain' | 'destroy') {}

  public visit(node: IConstruct): void {
    if (!(node instanceof CfnResource) || !STATEFUL_RESOURCE_TYPES.has(node.cfnResourceType)) return;
    if (this.environmentPolicy !== 'retain') return;
    const deletion = node.cfnOptions.deletionPolicy;
    if (deletion !== undefined && deletion !== CfnDeletionPolicy.RETAIN) {
      Annotations.of(node).addWarningV2(
        'plinth:removal-policy-reverted',
        `${node.cfnResourceType} asked for deletion policy ${deletion}; this environment retains data, so it is RETAIN.`,
      );
    }
    node.applyRemovalPolicy(RemovalPolicy.RETAIN);
  }
}
