import { Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { toDatasetSchema, type DatasetDefinition } from './dataset';
import { VpcFunction } from '../compute/vpc-function';
import * as perms from './perms';
import { SecureQueue } from '../storage/secure-queue';

/** Where the ingest function's metrics live (EMF, written by `lambdas/ingest/metrics.ts`). */
export const INGEST_METRIC_NAMESPACE = 'Plinth/Ingest';

/** Properties for {@link IngestionPipeline}. */
export interface IngestionPipelineProps {
  readonly raw: s3.IBucket;
  readonly curated: s3.IBucket;
  readonly quarantine: s3.IBucket;
  readonly encryptionKey: kms.IKey;
  readonly logsKey: kms.IKey;
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly datasets: readonly DatasetDefinition[];
  readonly maxReceiveCount: number;
  readonly reservedConcurrency: number;
  readonly batchSize: number;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
  readonly environmentName: string;
}

const FUNCTION_TIMEOUT = Duration.minutes(5);

/**
 * Raw object created → EventBridge → encrypted SQS queue (DLQ after N receives) → the `ingest`
 * function, which routes every record to curated or quarantine. Dataset schemas live in SSM, so
 * a schema change is a config deploy, not a code deploy.
 */
export class IngestionPipeline extends Construct {
  public readonly queue: SecureQueue;
  public readonly deadLetterQueue: SecureQueue;
  public readonly function: lambda.Function;
  public readonly logGroup: logs.LogGroup;
  /** SSM path under which each dataset's schema is stored (`<prefix><dataset>`). */
  public readonly schemaParameterPrefix: string;
  public readonly schemaParameters: Record<string, ssm.StringParameter> = {};

  constructor(scope: Construct, id: string, props: IngestionPipelineProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.deadLetterQueue = new SecureQueue(this, 'DeadLetterQueue', { encryptionKey: props.encryptionKey, isDeadLetterQueue: true, removalPolicy: props.removalPolicy });
    this.queue = new SecureQueue(this, 'Queue', {
      encryptionKey: props.encryptionKey,
      // AWS's guidance for Lambda sources: at least six times the function timeout.
      visibilityTimeout: Duration.seconds(FUNCTION_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
      removalPolicy: props.removalPolicy,
    });

    new events.Rule(this, 'RawObjectCreated', {
      description: 'Every object created in the raw zone goes to the ingestion queue',
      eventPattern: {
        source: ['aws.s3'],
        detailType: ['Object Created'],
        detail: { bucket: { name: [props.raw.bucketName] } },
      },
      targets: [new targets.SqsQueue(this.queue, { deadLetterQueue: this.deadLetterQueue, maxEventAge: Duration.hours(24) })],
    });

    this.schemaParameterPrefix = `/plinth/${stack.stackName}/${this.node.addr.slice(0, 8)}/datasets/`;
    for (const dataset of props.datasets) {
      const value = JSON.stringify(toDatasetSchema(dataset));
      this.schemaParameters[dataset.name] = new ssm.StringParameter(this, `Schema-${dataset.name}`, {
        parameterName: `${this.schemaParameterPrefix}${dataset.name}`,
        description: `Plinth ingest schema for dataset ${dataset.name} (v${dataset.version})`,
        stringValue: value,
        tier: value.length > 4096 ? ssm.ParameterTier.ADVANCED : ssm.ParameterTier.STANDARD,
      });
    }

    // The whole prefix, not only the declared datasets: for an undeclared dataset the function must
    // see ParameterNotFound (and quarantine the object), not AccessDenied (and retry it into the DLQ).
    const schemaParametersArn = stack.formatArn({
      service: 'ssm',
      resource: 'parameter',
      resourceName: `${this.schemaParameterPrefix.slice(1)}*`,
    });
    const objectKeysReason =
      'Object keys are data: any object may land in raw, and outputs are keyed by dataset, date and object id. ' +
      'The statement is limited to the lake\'s own zones and their key.';
    const made = new VpcFunction(this, 'Function', {
      handlerFolder: 'ingest',
      description: 'Plinth ingest: validates raw records into curated or quarantine',
      statements: [
        new iam.PolicyStatement({ sid: 'ReadRaw', actions: perms.S3_READ_OBJECT, resources: [props.raw.arnForObjects('*')] }),
        new iam.PolicyStatement({
          sid: 'WriteZonesAndReadManifests',
          actions: [...perms.S3_WRITE_OBJECT, ...perms.S3_READ_OBJECT],
          resources: [props.curated.arnForObjects('*'), props.quarantine.arnForObjects('*')],
        }),
        new iam.PolicyStatement({ sid: 'ListZonesForHeadObject', actions: ['s3:ListBucket'], resources: [props.curated.bucketArn, props.quarantine.bucketArn] }),
        new iam.PolicyStatement({ sid: 'UseLakeKey', actions: perms.KMS_ENCRYPT_DECRYPT, resources: [props.encryptionKey.keyArn] }),
        new iam.PolicyStatement({ sid: 'ConsumeQueue', actions: perms.SQS_CONSUME, resources: [this.queue.queueArn] }),
        new iam.PolicyStatement({ sid: 'ReadDatasetSchemas', actions: perms.SSM_READ_PARAMETER, resources: [schemaParametersArn] }),
        new iam.PolicyStatement({
          sid: 'PublishDriftEvents',
          actions: perms.EVENTS_PUT,
          resources: [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
        }),
      ],
      wildcardResources: [
        ...[props.raw, props.curated, props.quarantine].map((bucket) => [bucket.arnForObjects('*'), objectKeysReason] as const),
        [schemaParametersArn, 'Reads any schema under the lake\'s own parameter prefix, so an undeclared dataset is quarantined rather than retried.'],
      ],
      environment: {
        RAW_BUCKET: props.raw.bucketName,
        CURATED_BUCKET: props.curated.bucketName,
        QUARANTINE_BUCKET: props.quarantine.bucketName,
        SCHEMA_PARAMETER_PREFIX: this.schemaParameterPrefix,
        SCHEMA_CACHE_SECONDS: '60',
        EVENT_BUS_NAME: 'default',
        PLINTH_ENV: props.environmentName,
      },
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      timeout: FUNCTION_TIMEOUT,
      memorySize: 1024,
      reservedConcurrency: props.reservedConcurrency,
      // SQS failures redrive to this queue; async invocations (manual replays) land here too.
      deadLetterQueue: this.deadLetterQueue,
      keepLogicalIdsOf: { function: 'Function', logGroup: 'Logs', role: 'Role', policy: 'Policy', securityGroup: 'SecurityGroup' },
    });
    this.function = made.function;
    this.logGroup = made.logGroup;
    this.function.addEventSource(
      new SqsEventSource(this.queue, { batchSize: props.batchSize, reportBatchItemFailures: true, maxConcurrency: Math.max(2, props.reservedConcurrency) }),
    );
  }

  /** A metric the ingest function publishes, per dataset. */
  public metric(metricName: string, dataset: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: INGEST_METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { Dataset: dataset },
      statistic: cloudwatch.Stats.SUM,
      ...props,
    });
  }
}
