import { Aws, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { PlinthError } from '../errors';
import * as perms from './perms';

/** Properties for {@link SecureAthenaWorkgroup}. */
export interface SecureAthenaWorkgroupProps {
  /** The bucket query results are written to (a {@link SecureBucket}'s). */
  readonly resultsBucket: s3.IBucket;
  /**
   * The prefix of query results in `resultsBucket`.
   *
   * @default 'results/'
   */
  readonly resultsPrefix?: string;
  /** The customer-managed key that encrypts the results (SSE-KMS). */
  readonly encryptionKey: kms.IKey;
  /**
   * The most one query may scan, in bytes; Athena cancels a query that scans more. At least
   * 10,000,000 (Athena's minimum).
   *
   * @default 10_000_000_000 (10 GB)
   */
  readonly bytesScannedCutoffPerQuery?: number;
  /**
   * @default 'Plinth queries: encrypted results, scan limit enforced'
   */
  readonly description?: string;
  /**
   * The workgroup's name. A new name replaces the workgroup.
   *
   * @default - generated from the construct path, unique in the account and region
   */
  readonly workGroupName?: string;
  /**
   * RETAIN keeps the workgroup (and any saved queries in it) when it leaves the stack; DESTROY
   * deletes it with everything saved in it.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Athena's smallest per-query scan limit (10 MB). */
const MIN_BYTES_SCANNED_CUTOFF = 10_000_000;

/**
 * The only Athena workgroup Plinth creates: engine version 3, its configuration enforced (a query
 * cannot choose another output or drop encryption), results SSE-KMS with a customer-managed key in
 * a bucket of this account, CloudWatch metrics on, and a per-query scan limit.
 *
 * The workgroup is this construct's `Default` child, so a workgroup that was a plain
 * `CfnWorkGroup` under the same construct id keeps its logical ID.
 */
export class SecureAthenaWorkgroup extends Construct {
  public readonly resource: athena.CfnWorkGroup;
  /** The name queries pass as `WorkGroup`. */
  public readonly workGroupName: string;
  public readonly workGroupArn: string;

  constructor(scope: Construct, id: string, props: SecureAthenaWorkgroupProps) {
    super(scope, id);
    const cutoff = props.bytesScannedCutoffPerQuery ?? 10_000_000_000;
    if (!Number.isInteger(cutoff) || cutoff < MIN_BYTES_SCANNED_CUTOFF) {
      throw new PlinthError(
        `SecureAthenaWorkgroup ${this.node.path}: bytesScannedCutoffPerQuery must be a whole number of bytes of at least ${MIN_BYTES_SCANNED_CUTOFF} (Athena's minimum), got ${cutoff}`,
      );
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.resource = new athena.CfnWorkGroup(this, 'Default', {
      name: props.workGroupName ?? Names.uniqueResourceName(this, { maxLength: 128, separator: '-' }),
      description: props.description ?? 'Plinth queries: encrypted results, scan limit enforced',
      recursiveDeleteOption: removalPolicy === RemovalPolicy.DESTROY,
      state: 'ENABLED',
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: cutoff,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: props.resultsBucket.s3UrlForObject(props.resultsPrefix ?? 'results/'),
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.encryptionKey.keyArn },
          expectedBucketOwner: Aws.ACCOUNT_ID,
        },
      },
    });
    this.resource.applyRemovalPolicy(removalPolicy);
    this.workGroupName = this.resource.ref;
    this.workGroupArn = Stack.of(this).formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workGroupName });
  }

  /**
   * Lets `grantee` run queries in this workgroup and read their results. Reading the tables, the
   * results bucket and the key is granted where those live.
   */
  public grantQuery(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({ grantee, actions: perms.ATHENA_QUERY, resourceArns: [this.workGroupArn] });
  }
}
