import { Aws, Names, RemovalPolicy, type Duration } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { acknowledgeFinding } from '../compliance/acknowledge';
import * as perms from './perms';

export const FEATURE_ACK = { owner: 'ml-platform', expires: '2027-06-30' } as const;

/**
 * The lake's workgroup pattern (see `DataLake`, `ModelDriftMonitor`): engine v3, enforced
 * configuration, SSE-KMS results in the job's own bucket, and a per-query scan limit.
 */
export function encryptedWorkGroup(
  scope: Construct,
  props: { description: string; bucket: s3.IBucket; prefix: string; key: kms.IKey; bytesScannedCutoffPerQuery: number; removalPolicy: RemovalPolicy },
): athena.CfnWorkGroup {
  const workGroup = new athena.CfnWorkGroup(scope, 'WorkGroup', {
    name: Names.uniqueResourceName(scope, { maxLength: 128, separator: '-' }),
    description: props.description,
    recursiveDeleteOption: props.removalPolicy === RemovalPolicy.DESTROY,
    state: 'ENABLED',
    workGroupConfiguration: {
      enforceWorkGroupConfiguration: true,
      publishCloudWatchMetricsEnabled: true,
      bytesScannedCutoffPerQuery: props.bytesScannedCutoffPerQuery,
      engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
      resultConfiguration: {
        outputLocation: props.bucket.s3UrlForObject(props.prefix),
        encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.key.keyArn },
        expectedBucketOwner: Aws.ACCOUNT_ID,
      },
    },
  });
  workGroup.applyRemovalPolicy(props.removalPolicy);
  return workGroup;
}

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
