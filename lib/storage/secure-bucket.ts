import { Annotations, Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../compliance/acknowledge';
import { PLATFORM_WAIVER } from '../compliance/platform-waiver';

/** Properties for {@link SecureBucket}. */
export interface SecureBucketProps {
  /** The customer-managed key that encrypts every object (SSE-KMS with an S3 bucket key). */
  readonly encryptionKey: kms.IKey;
  /** Where S3 server access logs go; create it with {@link AccessLogsBucket}. */
  readonly serverAccessLogsBucket: s3.IBucket;
  /**
   * Prefix for this bucket's access logs.
   *
   * @default - the construct path of this bucket followed by `/`
   */
  readonly serverAccessLogsPrefix?: string;
  /**
   * RETAIN keeps the bucket and its data when it leaves the stack. DESTROY is an explicit opt-in
   * (dev only) and adds a warning annotation. A non-empty bucket still blocks its own deletion.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Lifecycle rules, in addition to the one that aborts incomplete multipart uploads.
   *
   * @default - none
   */
  readonly lifecycleRules?: s3.LifecycleRule[];
  /**
   * Send object events to EventBridge.
   *
   * @default false
   */
  readonly eventBridgeEnabled?: boolean;
}

/** Why every Plinth bucket acknowledges the replication findings, in one place. */
const REPLICATION_ACK = {
  ...PLATFORM_WAIVER,
  reason:
    'Cross-region replication needs a destination region and a second key that the platform team has ' +
    'not chosen yet; versioning plus RETAIN protect against deletion meanwhile (backlog: DR design).',
} as const;

/**
 * The only S3 bucket Plinth creates for data: SSE-KMS with a customer-managed key and bucket keys,
 * TLS only, public access blocked, object ownership enforced, versioning, server access logs,
 * and RETAIN unless DESTROY is explicitly chosen.
 */
export class SecureBucket extends Construct {
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (removalPolicy === RemovalPolicy.DESTROY) {
      Annotations.of(this).addWarningV2(
        'plinth:bucket-destroy-opt-in',
        'This bucket is deleted with its stack (explicit DESTROY opt-in). Use it only for disposable data.',
      );
    }
    this.bucket = new s3.Bucket(this, 'Resource', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.encryptionKey,
      bucketKeyEnabled: true,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: props.serverAccessLogsPrefix ?? `${this.node.path}/`,
      removalPolicy,
      lifecycleRules: [
        { id: 'AbortIncompleteMultipartUploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
        ...(props.lifecycleRules ?? []),
      ],
    });
    if (props.eventBridgeEnabled) {
      // Set on the L1 directly: the L2 option deploys a custom-resource Lambda to do the same.
      (this.bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = {
        eventBridgeConfiguration: { eventBridgeEnabled: true },
      };
    }
    for (const rule of ['NIST.800.53.R5-S3BucketReplicationEnabled', 'HIPAA.Security-S3BucketReplicationEnabled', 'PCI.DSS.321-S3BucketReplicationEnabled']) {
      acknowledgeFinding(this.bucket, { rule, ...REPLICATION_ACK });
    }
  }
}

/** Properties for {@link AccessLogsBucket}. */
export interface AccessLogsBucketProps {
  /**
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * How long access logs are kept.
   *
   * @default Duration.days(365)
   */
  readonly retention?: Duration;
}

/**
 * The bucket that receives S3 server access logs for every {@link SecureBucket} in a stack.
 *
 * S3 delivers access logs only to buckets with SSE-S3 (AES-256) default encryption, so this is the
 * one bucket without a customer-managed key; it holds access metadata, not data. It is TLS only,
 * private, versioned and retained like the rest.
 */
export class AccessLogsBucket extends Construct {
  public readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: AccessLogsBucketProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (removalPolicy === RemovalPolicy.DESTROY) {
      Annotations.of(this).addWarningV2(
        'plinth:bucket-destroy-opt-in',
        'The access-log bucket is deleted with its stack (explicit DESTROY opt-in); audit trails go with it.',
      );
    }
    this.bucket = new s3.Bucket(this, 'Resource', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: true,
      removalPolicy,
      lifecycleRules: [
        { id: 'ExpireAccessLogs', expiration: props.retention ?? Duration.days(365), noncurrentVersionExpiration: Duration.days(30) },
        { id: 'AbortIncompleteMultipartUploads', abortIncompleteMultipartUploadAfter: Duration.days(7) },
      ],
    });
    acknowledgeFinding(this.bucket, {
      rule: 'AwsSolutions-S1',
      reason: 'This is the access-log bucket itself; logging it into itself would loop. CloudTrail data events cover it.',
      ...PLATFORM_WAIVER,
      // The packs skip a bucket other buckets log into, so whether this matches depends on the app.
      ifPresent: true,
    });
    for (const pack of ['NIST.800.53.R5', 'HIPAA.Security', 'PCI.DSS.321']) {
      acknowledgeFinding(this.bucket, {
        rule: `${pack}-S3BucketLoggingEnabled`,
        reason: 'This is the access-log bucket itself; logging it into itself would loop. CloudTrail data events cover it.',
        ...PLATFORM_WAIVER,
        ifPresent: true,
      });
      acknowledgeFinding(this.bucket, {
        rule: `${pack}-S3DefaultEncryptionKMS`,
        reason: 'S3 server access log delivery supports only SSE-S3 target buckets; the bucket holds access metadata, not data.',
        ...PLATFORM_WAIVER,
      });
      acknowledgeFinding(this.bucket, { rule: `${pack}-S3BucketReplicationEnabled`, ...REPLICATION_ACK });
    }
  }
}
