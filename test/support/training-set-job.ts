import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../../lib/compliance/acknowledge';
import { restrictGrantsToAwsServices } from '../../lib/keys/platform-keys';
import type { ITrainingSetJob } from '../../lib/training/training-pipeline-props';

/**
 * A minimal real training-set job for tests: a state machine that answers the documented output
 * contract (`{ manifestUri, trainingSetUri, rowCount }`) for its input, without building data.
 * The features capability's PointInTimeTrainingSet satisfies the same interface.
 */
export class TestTrainingSetJob extends Construct implements ITrainingSetJob {
  public readonly stateMachine: sfn.StateMachine;
  public readonly outputBucket: s3.IBucket;
  public readonly outputPrefix = 'training-sets/';

  constructor(scope: Construct, id: string, props: { bucket: s3.IBucket; logsKey?: kms.IKey }) {
    super(scope, id);
    this.outputBucket = props.bucket;
    const base = `s3://${props.bucket.bucketName}/${this.outputPrefix}`;
    const answer = new sfn.Pass(this, 'Answer', {
      queryLanguage: sfn.QueryLanguage.JSONATA,
      outputs: {
        manifestUri: `{% "${base}" & $states.input.name & "/" & $states.input.runId & "/manifest.json" %}`,
        trainingSetUri: `{% "${base}" & $states.input.name & "/" & $states.input.runId & "/" %}`,
        rowCount: 0,
      },
    });
    const logsKey = props.logsKey ?? new kms.Key(this, 'LogsKey', { enableKeyRotation: true, removalPolicy: RemovalPolicy.DESTROY });
    if (!props.logsKey) {
      const key = logsKey as kms.Key;
      restrictGrantsToAwsServices(key);
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
          principals: [new iam.ServicePrincipal('logs.amazonaws.com')],
          resources: ['*'],
        }),
      );
    }
    const logGroup = new logs.LogGroup(this, 'Logs', { encryptionKey: logsKey, retention: logs.RetentionDays.ONE_YEAR, removalPolicy: RemovalPolicy.DESTROY });
    const role = new iam.Role(this, 'Role', { assumedBy: new iam.ServicePrincipal('states.amazonaws.com') });
    const policy = new iam.ManagedPolicy(this, 'Policy', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          actions: ['logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups', 'xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'],
          resources: ['*'],
        }),
      ],
    });
    acknowledgeFinding(policy, {
      rule: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Test stand-in for the training-set job: log delivery and X-Ray calls take no resource.',
      owner: 'ml-platform',
      expires: '2027-06-30',
    });
    this.stateMachine = new sfn.StateMachine(this, 'Resource', {
      role: role.withoutPolicyUpdates(),
      definitionBody: sfn.DefinitionBody.fromChainable(answer),
      queryLanguage: sfn.QueryLanguage.JSONATA,
      timeout: Duration.minutes(5),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
  }

  public grantStartExecution(grantee: iam.IGrantable): iam.Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }
}
