import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { acknowledgeFinding } from '../compliance/acknowledge';
import * as perms from './perms';
import { PLATFORM_WAIVER } from '../compliance/platform-waiver';

/** The feature jobs' waiver owner and expiry: the platform's (kept as a name for existing callers). */
export const FEATURE_ACK = PLATFORM_WAIVER;

/**
 * A Step Functions job with its own role (one customer-managed policy: `statements` plus log
 * delivery and tracing), encrypted logs, X-Ray, and an ASL definition written out in full
 * (JSONata), so tests read exactly what runs.
 */
export function stepFunctionsJob(
  scope: Construct,
  props: {
    description: string;
    stateMachineName: string;
    definition: Record<string, unknown>;
    statements: iam.PolicyStatement[];
    logsKey: kms.IKey;
    logRetention: logs.RetentionDays;
    removalPolicy: RemovalPolicy;
    timeout: Duration;
  },
): { stateMachine: sfn.StateMachine; role: iam.Role; policy: iam.ManagedPolicy } {
  const role = new iam.Role(scope, 'JobRole', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com'), description: props.description });
  const policy = new iam.ManagedPolicy(scope, 'JobPolicy', {
    roles: [role],
    statements: [
      ...props.statements,
      new iam.PolicyStatement({ sid: 'DeliverExecutionLogs', actions: perms.SFN_LOG_DELIVERY, resources: ['*'] }),
      new iam.PolicyStatement({ sid: 'Trace', actions: perms.SFN_TRACING, resources: ['*'] }),
    ],
  });
  acknowledgeFinding(policy, {
    rule: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'Step Functions log delivery and X-Ray calls accept no resource scoping (AWS documents Resource "*"), and lakeformation:GetDataAccess takes none; Lake Formation grants decide which tables are readable.',
    ...FEATURE_ACK,
  });
  const logGroup = new logs.LogGroup(scope, 'JobLogs', { encryptionKey: props.logsKey, retention: props.logRetention, removalPolicy: props.removalPolicy });
  const stateMachine = new sfn.StateMachine(scope, 'Job', {
    stateMachineName: props.stateMachineName,
    comment: props.description,
    definitionBody: sfn.DefinitionBody.fromString(JSON.stringify({ ...props.definition, TimeoutSeconds: props.timeout.toSeconds() })),
    role: role.withoutPolicyUpdates(),
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
  });
  stateMachine.node.addDependency(policy);
  return { stateMachine, role, policy };
}
