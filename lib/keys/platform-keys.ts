import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';

/** Properties for {@link PlatformKeys}. */
export interface PlatformKeysProps {
  /**
   * What happens to the keys when they leave the stack. Deleting a key makes its data unreadable,
   * so anything but RETAIN needs an explicit opt-in.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Waiting period before a scheduled key deletion takes effect.
   *
   * @default Duration.days(30)
   */
  readonly pendingWindow?: Duration;
}

/**
 * Lets only AWS services create grants on `key`, and only for their own resources
 * (AWS Control Tower CT.KMS.PR.3): SageMaker, Lambda and CloudWatch Logs still can.
 */
export function restrictGrantsToAwsServices(key: kms.Key): void {
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'GrantsOnlyForAwsResources',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    }),
  );
}

/**
 * Customer-managed KMS keys, one per data domain, each with yearly rotation.
 *
 * - `dataLake` encrypts the lake's zones, catalog and query results;
 * - `models` encrypts model artifacts, endpoint volumes and data capture;
 * - `logs` encrypts CloudWatch log groups (its policy lets CloudWatch Logs in this account use it).
 */
export class PlatformKeys extends Construct {
  public readonly dataLake: kms.Key;
  public readonly models: kms.Key;
  public readonly logs: kms.Key;

  constructor(scope: Construct, id: string, props: PlatformKeysProps = {}) {
    super(scope, id);
    const common: kms.KeyProps = {
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
      pendingWindow: props.pendingWindow ?? Duration.days(30),
    };
    this.dataLake = new kms.Key(this, 'DataLakeKey', { ...common, description: 'Plinth data lake' });
    this.models = new kms.Key(this, 'ModelsKey', { ...common, description: 'Plinth models and inference' });
    this.logs = new kms.Key(this, 'LogsKey', { ...common, description: 'Plinth CloudWatch logs' });

    for (const key of [this.dataLake, this.models, this.logs]) restrictGrantsToAwsServices(key);

    const stack = Stack.of(this);
    this.logs.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchLogsInThisAccount',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
  }
}
