import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import { PlinthError } from '../errors';
import { acknowledgeFinding } from '../compliance/acknowledge';
import { PLATFORM_WAIVER } from '../compliance/platform-waiver';

/** Properties for {@link SecureTable}. */
export interface SecureTableProps {
  /** The customer-managed key that encrypts the table, its indexes and its backups. */
  readonly encryptionKey: kms.IKey;
  readonly partitionKey: dynamodb.Attribute;
  /**
   * @default - none (a partition key only)
   */
  readonly sortKey?: dynamodb.Attribute;
  /**
   * The attribute holding each item's expiry (epoch seconds).
   *
   * @default - items do not expire
   */
  readonly timeToLiveAttribute?: string;
  /**
   * Why this table needs no AWS Backup plan, for a table whose content is short-lived or can be
   * rebuilt (point-in-time recovery stays on either way). At least 20 characters. Leave it unset
   * for a table of records (put it in a backup plan: `BackupPlan.addSelection`); the NIST and HIPAA
   * packs flag it until it is in one.
   *
   * @default - none: the table goes into a backup plan
   */
  readonly withoutBackupPlanBecause?: string;
  /**
   * RETAIN keeps the table when it leaves the stack and turns deletion protection on; DESTROY is
   * the dev opt-in.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The only DynamoDB table Plinth creates: encrypted with a customer-managed key, on-demand
 * capacity, point-in-time recovery, deletion protection whenever it is retained, and RETAIN unless
 * DESTROY is explicitly chosen.
 *
 * It is a `dynamodb.Table`, so grants, indexes and metrics work as on any table, and the table
 * keeps the logical ID it had as a plain `dynamodb.Table` under the same construct id.
 */
export class SecureTable extends dynamodb.Table {
  constructor(scope: Construct, id: string, props: SecureTableProps) {
    const reason = props.withoutBackupPlanBecause;
    if (reason !== undefined && reason.trim().length < 20) {
      throw new PlinthError(
        `SecureTable ${scope.node.path}/${id}: withoutBackupPlanBecause must say why losing the table is acceptable (at least 20 characters), or leave it unset and add the table to a backup plan`,
      );
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    super(scope, id, {
      partitionKey: props.partitionKey,
      sortKey: props.sortKey,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: props.encryptionKey,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      timeToLiveAttribute: props.timeToLiveAttribute,
      removalPolicy,
    });
    if (reason !== undefined) {
      for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
        acknowledgeFinding(this, { rule: `${pack}-DynamoDBInBackupPlan`, reason: `${reason.trim()} Point-in-time recovery is on.`, ...PLATFORM_WAIVER });
      }
    }
  }
}
