import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { AlarmDestination } from '../monitoring/failure-modes';

/** What every Plinth construct that runs its own Lambda functions and alarms needs from the environment. */
export interface PlatformServiceProps {
  /** The functions run in its isolated subnets. */
  readonly vpc: ec2.IVpc;
  /** Encrypts the functions' log groups. */
  readonly logsKey: kms.IKey;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  /** Where the construct's alarms notify, by severity. */
  readonly alarmAction: AlarmDestination;
  /** Logged by the functions and used in descriptions. */
  readonly environmentName: string;
  /** Where alarm descriptions point for runbooks. @default 'docs/runbooks/' */
  readonly runbookBaseUrl?: string;
}
