import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { listStackResources } from './cloudformation';
import { type AwsCallContext, controlPlaneClients } from './connection';

/** STS GetCallerIdentity: the ARN and account of the credentials in use. */
export async function callerIdentity(context: AwsCallContext): Promise<{ arn: string; account: string }> {
  const identity = await controlPlaneClients(context).sts.send(new GetCallerIdentityCommand({}));
  return { arn: identity.Arn ?? '', account: identity.Account ?? '' };
}

/**
 * The IAM role name behind a caller ARN: `arn:aws:sts::A:assumed-role/NAME/session` or
 * `arn:aws:iam::A:role/path/NAME`; undefined for users and root.
 */
export function roleNameOf(callerArn: string): string | undefined {
  const assumed = /^arn:[^:]+:sts::\d{12}:assumed-role\/([^/]+)\/[^/]+$/.exec(callerArn);
  if (assumed) return assumed[1];
  const role = /^arn:[^:]+:iam::\d{12}:role\/(?:.*\/)?([^/]+)$/.exec(callerArn);
  return role?.[1];
}

/**
 * The physical name of the environment's model approver role: the AWS::IAM::Role whose logical ID
 * the ModelRegistry construct gives it (`Registry...ApproverRole...`) in the `<env>-Models` stack.
 */
export async function approverRoleName(context: AwsCallContext, environment: string): Promise<string | undefined> {
  const resources = await listStackResources(context, `${environment}-Models`);
  return resources.find((r) => r.type === 'AWS::IAM::Role' && /^Registry.*ApproverRole/.test(r.logicalId))?.physicalId;
}
