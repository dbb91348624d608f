import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { PlinthError } from '../errors';
import { grantWithManagedPolicy } from '../iam/managed-grant';
import { featureGroupProblems } from './feature-group';
import { acknowledgeFinding, wildcardResourceFinding } from '../compliance/acknowledge';
import { SecureBucket } from '../storage/secure-bucket';
import { offlineTableName } from '../features/feature-group-definition';
import type { FeatureStoreProps } from './feature-store-props';
import * as perms from './perms';
import { PLATFORM_WAIVER } from '../compliance/platform-waiver';

/**
 * SageMaker Feature Groups from typed definitions: a KMS-encrypted online store (with TTL where
 * the tier allows) and an Iceberg offline store encrypted with the data-lake key, registered in the Glue catalog.
 * Definitions are checked at synth; `grantWrite` and `grantRead` give least privilege.
 */
export class FeatureStore extends Construct {
  public readonly featureGroups: Record<string, sagemaker.CfnFeatureGroup> = {};
  /** The offline store: Iceberg tables in the lake, encrypted with the lake key. */
  public readonly offlineStore: SecureBucket;
  /** The role SageMaker uses to write the offline store. */
  public readonly offlineStoreRole: iam.Role;
  /** May put and delete records in every group. */
  public readonly ingestionRole: iam.Role;
  /** May read records from every group. */
  public readonly readRole: iam.Role;

  constructor(scope: Construct, id: string, props: FeatureStoreProps) {
    super(scope, id);
    const storageType = props.onlineStorageType ?? 'Standard';
    const problems = featureGroupProblems(props.featureGroups, storageType);
    if (problems.length > 0) {
      throw new PlinthError(`FeatureStore ${this.node.path}: invalid feature groups:\n  - ${problems.join('\n  - ')}`);
    }
    const stack = Stack.of(this);
    const prefix = 'feature-groups/';
    this.offlineStore = new SecureBucket(this, 'OfflineStore', {
      encryptionKey: props.offlineStoreKey,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const offlineBucket = this.offlineStore.bucket;
    const featureStoreTables = stack.formatArn({ service: 'glue', resource: 'table', resourceName: 'sagemaker_featurestore/*' });

    this.offlineStoreRole = new iam.Role(this, 'OfflineStoreRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: 'SageMaker Feature Store writes the offline store into the data lake',
    });
    const offlinePolicy = new iam.ManagedPolicy(this, 'OfflineStorePolicy', {
      roles: [this.offlineStoreRole],
      statements: [
        new iam.PolicyStatement({ sid: 'WriteOfflineStore', actions: perms.OFFLINE_STORE_S3, resources: [offlineBucket.arnForObjects(`${prefix}*`)] }),
        new iam.PolicyStatement({ sid: 'BucketAcl', actions: ['s3:GetBucketAcl'], resources: [offlineBucket.bucketArn] }),
        new iam.PolicyStatement({ sid: 'UseKeys', actions: perms.KMS_USE, resources: [props.offlineStoreKey.keyArn, props.onlineStoreKey.keyArn] }),
        new iam.PolicyStatement({
          sid: 'RegisterInCatalog',
          actions: perms.OFFLINE_STORE_GLUE,
          resources: [
            stack.formatArn({ service: 'glue', resource: 'catalog' }),
            stack.formatArn({ service: 'glue', resource: 'database', resourceName: 'sagemaker_featurestore' }),
            featureStoreTables,
          ],
        }),
      ],
    });
    acknowledgeFinding(offlinePolicy, {
      rule: wildcardResourceFinding(this, offlineBucket.arnForObjects(`${prefix}*`)),
      reason: 'SageMaker names offline-store files by account, group and time; the statement is limited to the feature-store prefix.',
      ...PLATFORM_WAIVER,
    });
    acknowledgeFinding(offlinePolicy, {
      rule: wildcardResourceFinding(this, featureStoreTables),
      reason: 'SageMaker creates one Glue table per feature group with a generated name in its own sagemaker_featurestore database.',
      ...PLATFORM_WAIVER,
    });

    for (const group of props.featureGroups) {
      // These two properties are untyped in the L1, so they take CloudFormation's own casing.
      const onlineStoreConfig = (group.onlineStore ?? true)
        ? {
            EnableOnlineStore: true,
            SecurityConfig: { KmsKeyId: props.onlineStoreKey.keyArn },
            StorageType: storageType,
            TtlDuration: group.onlineTtlHours !== undefined ? { Unit: 'Hours', Value: group.onlineTtlHours } : undefined,
          }
        : undefined;
      const offlineStoreConfig = (group.offlineStore ?? true)
        ? {
            S3StorageConfig: { S3Uri: offlineBucket.s3UrlForObject(prefix), KmsKeyId: props.offlineStoreKey.keyArn },
            TableFormat: 'Iceberg',
            DisableGlueTableCreation: false,
            // A fixed table name, so training-set SQL can name it at synth (SageMaker's default adds the creation time).
            DataCatalogConfig: { Catalog: 'AwsDataCatalog', Database: 'sagemaker_featurestore', TableName: offlineTableName(group.name) },
          }
        : undefined;
      const featureGroup = new sagemaker.CfnFeatureGroup(this, `Group-${group.name}`, {
        featureGroupName: group.name,
        description: group.description,
        recordIdentifierFeatureName: group.recordIdentifier,
        eventTimeFeatureName: group.eventTime,
        featureDefinitions: group.features.map((f) => ({ featureName: f.name, featureType: f.type })),
        onlineStoreConfig,
        offlineStoreConfig,
        roleArn: (group.offlineStore ?? true) ? this.offlineStoreRole.roleArn : undefined,
      });
      featureGroup.node.addDependency(offlinePolicy);
      this.featureGroups[group.name] = featureGroup;
    }

    this.ingestionRole = new iam.Role(this, 'IngestionRole', {
      assumedBy: new iam.AccountPrincipal(stack.account),
      description: 'Writes records into the Plinth feature groups',
    });
    this.readRole = new iam.Role(this, 'ReadRole', {
      assumedBy: new iam.AccountPrincipal(stack.account),
      description: 'Reads records from the Plinth feature groups',
    });
    this.attachGrant(this.ingestionRole, 'IngestionPolicy', perms.FEATURE_WRITE, props);
    this.attachGrant(this.readRole, 'ReadPolicy', perms.FEATURE_READ, props);
  }

  /** The ARNs of every feature group. */
  public get featureGroupArns(): string[] {
    // SageMaker lower-cases the name in a feature group's ARN.
    return Object.keys(this.featureGroups).map((name) =>
      Stack.of(this).formatArn({ service: 'sagemaker', resource: 'feature-group', resourceName: name.toLowerCase() }),
    );
  }

  /** Lets `grantee` put and delete records in every feature group. */
  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    return grantWithManagedPolicy(this, { grantee, actions: perms.FEATURE_WRITE, resourceArns: this.featureGroupArns, name: 'Write' });
  }

  /** Lets `grantee` read records from every feature group. */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return grantWithManagedPolicy(this, { grantee, actions: perms.FEATURE_READ, resourceArns: this.featureGroupArns, name: 'Read' });
  }

  private attachGrant(role: iam.Role, id: string, actions: string[], props: FeatureStoreProps): void {
    new iam.ManagedPolicy(this, id, {
      roles: [role],
      statements: [
        new iam.PolicyStatement({ sid: 'FeatureGroups', actions, resources: this.featureGroupArns }),
        new iam.PolicyStatement({ sid: 'OnlineStoreKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [props.onlineStoreKey.keyArn] }),
      ],
    });
  }
}
