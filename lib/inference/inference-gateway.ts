import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../compliance/acknowledge';
import { VpcFunction } from '../compute/vpc-function';
import { failureModeAlarm } from '../monitoring/failure-modes';
import type { PlatformServiceProps } from '../compute/platform-service-props';
import type { IInferenceEndpoint } from './inference-endpoint-props';
import { PlinthError } from '../errors';
import type { FeatureGroupDefinition } from '../feature-store/feature-group';
import { servedFeatures } from '../features/sql';
import { SecureTable } from '../storage/secure-table';
import { PLATFORM_WAIVER } from '../compliance/platform-waiver';

/** Online features the gateway merges into the model input (#13). */
export interface GatewayOnlineFeatures {
  /** The feature group's definition: the same one its pipeline and training sets read. */
  readonly group: FeatureGroupDefinition;
  /** The key of the group's online store. */
  readonly onlineStoreKey: kms.IKey;
  /** The request field (a declared input feature) holding the record identifier. */
  readonly entityKeyField: string;
  /** The group's features the model needs. @default - every feature of the group but its key and event time */
  readonly features?: readonly string[];
  /** The lookup's own budget; must be shorter than the gateway timeout. @default Duration.millis(50) */
  readonly timeout?: Duration;
  /** A new entity: `fallback` model, per-feature `defaults`, or `reject` (400). @default 'fallback' */
  readonly onMissing?: 'fallback' | 'defaults' | 'reject';
  /** Timeout, throttling, errors: `fallback` model or per-feature `defaults`. @default 'fallback' */
  readonly onUnavailable?: 'fallback' | 'defaults';
  /** Per-feature values for the `defaults` paths. @default - none */
  readonly defaults?: Readonly<Record<string, string | number | boolean>>;
  /** Request values win over the record's. @default false */
  readonly requestWins?: boolean;
}

const ONLINE_TYPES: Record<string, string> = { Integral: 'integer', Fractional: 'number', String: 'string' };

/** The gateway's ONLINE_FEATURES value for `online`, checked against the group and the gateway's inputs. */
export function onlineFeaturesEnvironment(where: string, online: GatewayOnlineFeatures, inputFeatures: readonly GatewayInputFeature[], gatewayTimeout: Duration): string {
  const { group } = online;
  if (group.onlineStore === false) throw new PlinthError(`${where}: onlineFeatures.group "${group.name}" has no online store; enable it`);
  const served = servedFeatures(group);
  const features = online.features ?? served;
  for (const f of features) {
    if (!served.includes(f)) throw new PlinthError(`${where}: onlineFeatures.features "${f}" is not a feature of group "${group.name}" (${served.join(', ')})`);
  }
  if (!inputFeatures.some((f) => f.name === online.entityKeyField)) {
    throw new PlinthError(`${where}: onlineFeatures.entityKeyField "${online.entityKeyField}" is not one of inputFeatures; declare it as an input`);
  }
  const timeout = online.timeout ?? Duration.millis(50);
  if (timeout.toMilliseconds() >= gatewayTimeout.toMilliseconds()) {
    throw new PlinthError(`${where}: onlineFeatures.timeout (${timeout.toMilliseconds()} ms) must be shorter than the gateway timeout (${gatewayTimeout.toMilliseconds()} ms)`);
  }
  const types = Object.fromEntries(features.map((f) => [f, ONLINE_TYPES[group.features.find((d) => d.name === f)!.type] ?? 'string']));
  return JSON.stringify({
    featureGroup: group.name,
    entityKeyField: online.entityKeyField,
    features,
    types,
    timeoutMs: timeout.toMilliseconds(),
    onMissing: online.onMissing ?? 'fallback',
    onUnavailable: online.onUnavailable ?? 'fallback',
    defaults: online.defaults ?? {},
    requestWins: online.requestWins ?? false,
  });
}

/** Where the gateway's metrics live (EMF, written by `lambdas/infer/metrics.ts`). */
export const INFERENCE_METRIC_NAMESPACE = 'Plinth/Inference';

/** One input feature the gateway checks before the model sees it. */
export interface GatewayInputFeature {
  readonly name: string;
  readonly type: 'number' | 'string' | 'boolean';
  /** @default false */
  readonly required?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly enum?: readonly (string | number | boolean)[];
}

/** What the gateway answers with when the primary model fails or its breaker is open. */
export type GatewayFallback =
  | { readonly type: 'endpoint'; readonly endpointName: string }
  | { readonly type: 'default'; readonly prediction: Record<string, unknown>; readonly confidence: number };

/** Properties for {@link InferenceGateway}. */
export interface InferenceGatewayProps extends Omit<PlatformServiceProps, 'removalPolicy'> {
  readonly modelName: string;
  /** The primary endpoint the gateway invokes. */
  readonly endpoint: IInferenceEndpoint;
  readonly fallback: GatewayFallback;
  /** Time the primary gets before the fallback answers. */
  readonly timeout: Duration;
  /** @default 65536 */
  readonly maxPayloadBytes?: number;
  /** Below this confidence an answer goes to human review. */
  readonly confidenceThreshold: number;
  /** Labels that always go to human review. @default - none */
  readonly highStakesLabels?: readonly string[];
  /** The model's declared input; anything outside it gets a 400 and never reaches the model. */
  readonly inputFeatures: readonly GatewayInputFeature[];
  /** Consecutive failures that open the circuit breaker. */
  readonly breakerFailureThreshold: number;
  /** Failures older than this do not count. */
  readonly breakerWindow: Duration;
  /** How long the breaker stays open before a half-open probe. */
  readonly breakerOpenFor: Duration;
  /** The human review queue cases go to. */
  readonly reviewQueue: sqs.IQueue;
  /** The key that encrypts the review queue. */
  readonly reviewQueueKey: kms.IKey;
  readonly encryptionKey: kms.IKey;
  /** @default - the isolated subnets */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** @default 50 */
  readonly reservedConcurrency?: number;
  /** Online features looked up per request and merged into the model input. @default - none */
  readonly onlineFeatures?: GatewayOnlineFeatures;
}

/**
 * The front door applications call (a Lambda function URL with IAM auth): it validates input,
 * invokes the endpoint within a timeout, falls back to a smaller model or a rule-based default on
 * failure (`degraded: true`), keeps a circuit breaker in DynamoDB, and sends low-confidence or
 * high-stakes answers to human review (`needs_review: true`).
 */
export class InferenceGateway extends Construct {
  public readonly function: lambda.Function;
  public readonly functionUrl: lambda.FunctionUrl;
  public readonly breakerTable: SecureTable;
  public readonly alarms: cloudwatch.Alarm[] = [];
  /** The primary endpoint: the gateway's metrics are per endpoint. */
  public readonly endpointName: string;

  constructor(scope: Construct, id: string, props: InferenceGatewayProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.endpointName = props.endpoint.endpointName;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.breakerTable = new SecureTable(this, 'Breaker', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      encryptionKey: props.encryptionKey,
      withoutBackupPlanBecause: 'The breaker table holds seconds-lived circuit state that rebuilds itself from traffic; a backup could only restore a stale breaker.',
      removalPolicy,
    });
    // The primary is wired by its grant (below); a fallback endpoint is known only by name.
    const fallbackArns =
      props.fallback.type === 'endpoint' ? [stack.formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: props.fallback.endpointName.toLowerCase() })] : [];
    const online = props.onlineFeatures;
    const onlineEnv = online ? onlineFeaturesEnvironment(`InferenceGateway ${this.node.path}`, online, props.inputFeatures, props.timeout) : undefined;
    const onlineStatements = online
      ? [
          new iam.PolicyStatement({
            sid: 'ReadOnlineFeatures',
            actions: ['sagemaker:BatchGetRecord'],
            resources: [stack.formatArn({ service: 'sagemaker', resource: 'feature-group', resourceName: online.group.name.toLowerCase() })],
          }),
          new iam.PolicyStatement({ sid: 'DecryptOnlineFeatures', actions: ['kms:Decrypt'], resources: [online.onlineStoreKey.keyArn] }),
        ]
      : [];
    this.function = new VpcFunction(this, 'Function', {
      handlerFolder: 'infer',
      description: `Plinth inference gateway for ${props.modelName}`,
      statements: [
        ...(fallbackArns.length > 0 ? [new iam.PolicyStatement({ sid: 'InvokeFallbackEndpoint', actions: ['sagemaker:InvokeEndpoint'], resources: fallbackArns })] : []),
        new iam.PolicyStatement({ sid: 'KeepBreaker', actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'], resources: [this.breakerTable.tableArn] }),
        new iam.PolicyStatement({ sid: 'EnqueueReviews', actions: ['sqs:SendMessage'], resources: [props.reviewQueue.queueArn] }),
        new iam.PolicyStatement({
          sid: 'UseKeys',
          actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'],
          resources: [props.encryptionKey.keyArn, props.reviewQueueKey.keyArn],
        }),
        ...onlineStatements,
      ],
      environment: {
        ENDPOINT_NAME: props.endpoint.endpointName,
        INVOKE_TIMEOUT_MS: String(props.timeout.toMilliseconds()),
        MAX_PAYLOAD_BYTES: String(props.maxPayloadBytes ?? 65536),
        FALLBACK: JSON.stringify(props.fallback),
        BREAKER_TABLE: this.breakerTable.tableName,
        BREAKER_FAILURE_THRESHOLD: String(props.breakerFailureThreshold),
        BREAKER_WINDOW_SECONDS: String(props.breakerWindow.toSeconds()),
        BREAKER_OPEN_SECONDS: String(props.breakerOpenFor.toSeconds()),
        CONFIDENCE_THRESHOLD: String(props.confidenceThreshold),
        HIGH_STAKES_LABELS: (props.highStakesLabels ?? []).join(','),
        INPUT_SCHEMA: JSON.stringify({ features: props.inputFeatures }),
        REVIEW_QUEUE_URL: props.reviewQueue.queueUrl,
        MODEL_NAME: props.modelName,
        PLINTH_ENV: props.environmentName,
        ...(onlineEnv ? { ONLINE_FEATURES: onlineEnv } : {}),
      },
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      removalPolicy,
      // The primary's and the fallback's timeouts, plus room for breaker and queue retries.
      timeout: Duration.seconds(Math.ceil((props.timeout.toMilliseconds() * 2) / 1000) + 10),
      memorySize: 512,
      reservedConcurrency: props.reservedConcurrency ?? 50,
      keepLogicalIdsOf: { function: 'Function', logGroup: 'Logs', role: 'Role', policy: 'Policy', securityGroup: 'SecurityGroup' },
    }).function;
    props.endpoint.grantInvoke(this.function);
    // Synchronous callers get the answer or an error; there is no asynchronous invocation to dead-letter.
    for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
      acknowledgeFinding(this.function, {
        rule: `${pack}-LambdaDLQ`,
        reason: 'Called synchronously through its function URL; failed requests return an error to the caller, and review cases are not lost (the gateway answers 503 when it cannot enqueue).',
        ...PLATFORM_WAIVER,
      });
    }
    this.functionUrl = this.function.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.AWS_IAM });

    const common = { alarmAction: props.alarmAction, runbookBaseUrl: props.runbookBaseUrl, subject: props.modelName };
    const share = (metricName: string) =>
      new cloudwatch.MathExpression({
        expression: '100 * part / MAX([total, 1])',
        usingMetrics: { part: this.metric(metricName, { period: Duration.minutes(5) }), total: this.metric('Requests', { period: Duration.minutes(5) }) },
        period: Duration.minutes(5),
      });
    this.alarms.push(
      failureModeAlarm(this, 'Degraded', 'endpoint-degraded', {
        ...common,
        severity: 'warning',
        description: `The ${props.modelName} gateway answered from its fallback (degraded) for 5 minutes running.`,
        metric: this.metric('Degraded', { period: Duration.minutes(1) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 5,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      failureModeAlarm(this, 'BreakerOpen', 'endpoint-degraded', {
        ...common,
        severity: 'warning',
        description: `The ${props.modelName} gateway's circuit breaker is open: the primary model is skipped.`,
        metric: this.metric('BreakerOpen', { period: Duration.minutes(1) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      failureModeAlarm(this, 'LowConfidenceShare', 'low-confidence', {
        ...common,
        description: `Over 20% of the ${props.modelName} gateway's answers needed human review for 15 minutes.`,
        metric: share('NeedsReview'),
        threshold: 20,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      failureModeAlarm(this, 'OutOfDistributionShare', 'out-of-distribution-input', {
        ...common,
        description: `Over 5% of requests to the ${props.modelName} gateway were outside its declared input for 15 minutes.`,
        metric: share('BadRequests'),
        threshold: 5,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    );
  }

  /** Lets `grantee` call the gateway's function URL. */
  public grantInvoke(grantee: iam.IGrantable): iam.Grant {
    return this.function.grantInvokeUrl(grantee);
  }

  /** A metric the gateway publishes (`Requests`, `Degraded`, `NeedsReview`, `BadRequests`, `PrimaryFailures`, `BreakerOpen`, `LatencyMs`). */
  public metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({ namespace: INFERENCE_METRIC_NAMESPACE, metricName, dimensionsMap: { Endpoint: this.endpointName }, statistic: cloudwatch.Stats.SUM, ...props });
  }
}
