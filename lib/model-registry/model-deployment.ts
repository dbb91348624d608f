import { Aws, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { PlinthError } from '../errors';
import { failureModeAlarm } from '../monitoring/failure-modes';
import { SQS_CONSUME } from '../data-lake/perms';
import { VpcFunction } from '../compute/vpc-function';
import type { IInferenceEndpoint } from '../inference/inference-endpoint-props';
import type { ModelExecution } from '../inference/model-execution';
import type { ModelRegistry } from './model-registry';
import type { PlatformServiceProps } from '../compute/platform-service-props';
import * as perms from './perms';
import { SecureQueue } from '../storage/secure-queue';

/** Key prefix of the approved artifact copies models are built from (lambdas/deploy-model/artifact-pin.ts). */
export const APPROVED_ARTIFACT_PREFIX = 'approved/';
/** What no one but the deployer may do under the approved prefix. */
const APPROVED_COPY_WRITES = ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:PutObjectAcl', 's3:PutObjectVersionAcl', 's3:RestoreObject'];

/** How long the old fleet stays up after traffic has shifted, for a quick manual rollback. */
const TERMINATION_WAIT = Duration.minutes(5);

/** A model whose approved versions roll onto its endpoint: all ModelDeployment needs of it. */
export interface DeployedModel {
  /** Its model package group in the registry. */
  readonly name: string;
  /** The endpoint its approved versions roll onto. */
  readonly endpointName: string;
  /**
   * The production variant a deployment replaces.
   *
   * @default 'primary'
   */
  readonly variantName?: string;
  /**
   * Names of further alarms that roll a canary back, beyond `rollbackAlarms` (SageMaker takes 10 in all).
   *
   * @default - none
   */
  readonly rollbackAlarmNames?: readonly string[];
}

/** Properties for {@link ModelDeployment}. */
export interface ModelDeploymentProps extends PlatformServiceProps {
  readonly registry: ModelRegistry;
  /** The models whose approved versions roll onto their endpoints. */
  readonly models: readonly DeployedModel[];
  /** The role and security group models run with. */
  readonly modelExecution: ModelExecution;
  /** Per model name: the alarms whose ALARM state rolls a canary back (the endpoint's 5xx and latency alarms). */
  readonly rollbackAlarms: Readonly<Record<string, readonly cloudwatch.IAlarm[]>>;
  /**
   * Per model name: the endpoint its versions roll onto. The deployment reads from it which
   * inference component serves the model's variant; those models roll out by updating the
   * component (rolling update) instead of the endpoint (blue/green canary).
   *
   * @default - no model is served by an inference component
   */
  readonly endpoints?: Readonly<Record<string, IInferenceEndpoint>>;
  /**
   * @default - the isolated subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /** Encrypts endpoint volumes, data capture and the deployment queues. */
  readonly modelsKey: kms.IKey;
  /** Notified when a package cannot be deployed; its alarm action also takes the stuck-deployment alarm. */
  readonly alarmTopic: sns.ITopic;
  /** Share of capacity the canary gets first, in percent. */
  readonly canaryPercent: number;
  /** How long the canary serves before the rest shifts. */
  readonly canaryWait: Duration;
  /**
   * ECR registry hosts that inference images may come from.
   *
   * @default - this account's ECR registry in this region
   */
  readonly allowedImageRegistries?: readonly string[];
}

/**
 * The approval-driven promotion workflow: a model package approved in the registry is rolled onto
 * its endpoint through a blue/green canary that rolls itself back on the endpoint's alarms.
 *
 * Approval event → EventBridge → encrypted SQS queue (so an approval that arrives while the
 * endpoint is updating waits and retries, never lost) → the `deploy-model` function.
 */
export class ModelDeployment extends Construct {
  public readonly queue: SecureQueue;
  public readonly deadLetterQueue: SecureQueue;
  /** Approval events EventBridge could not deliver, and failed asynchronous invocations. */
  public readonly eventDeadLetterQueue: SecureQueue;
  public readonly function: lambda.Function;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ModelDeploymentProps) {
    super(scope, id);
    const stack = Stack.of(this);
    for (const model of props.models) {
      if ((props.rollbackAlarms[model.name] ?? []).length === 0) {
        throw new PlinthError(`ModelDeployment ${this.node.path}: model "${model.name}" has no rollback alarms; pass its endpoint's errorAlarm and latencyAlarm`);
      }
    }
    const vpcSubnets = props.vpcSubnets ?? { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

    const queueProps = { encryptionKey: props.modelsKey, removalPolicy: props.removalPolicy };
    this.deadLetterQueue = new SecureQueue(this, 'DeadLetterQueue', { ...queueProps, isDeadLetterQueue: true, fifo: true });
    // EventBridge target and Lambda async dead letters must go to a standard queue.
    this.eventDeadLetterQueue = new SecureQueue(this, 'EventDeadLetterQueue', { ...queueProps, isDeadLetterQueue: true });
    const functionTimeout = Duration.minutes(2);
    // FIFO, one message group: approvals deploy one at a time, in the order they were made.
    this.queue = new SecureQueue(this, 'Queue', {
      ...queueProps,
      fifo: true,
      contentBasedDeduplication: true,
      visibilityTimeout: Duration.seconds(functionTimeout.toSeconds() * 6),
      // An endpoint update can take an hour; retries every 12 minutes for up to ~5 hours before the DLQ.
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 25 },
    });
    const approvedRule = new events.Rule(this, 'PackageApproved', {
      description: 'A model package approved in this account goes to the deployment queue',
      eventPattern: {
        source: ['aws.sagemaker'],
        detailType: ['SageMaker Model Package State Change'],
        account: [Aws.ACCOUNT_ID],
        detail: {
          ModelPackageGroupName: props.models.map((m) => m.name),
          ModelApprovalStatus: ['Approved'],
        },
      },
      targets: [
        new targets.SqsQueue(this.queue, {
          messageGroupId: 'model-deployments',
          deadLetterQueue: this.eventDeadLetterQueue,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });

    // CDK scopes EventBridge's send permission on an encrypted queue to the account only; any rule
    // in the account could then queue forged approvals. This queue takes messages from its own rule.
    this.queue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheApprovalRuleSends',
        effect: iam.Effect.DENY,
        principals: [new iam.ServicePrincipal('events.amazonaws.com')],
        actions: perms.DEPLOYMENT_QUEUE_SEND,
        resources: [this.queue.queueArn],
        conditions: { ArnNotEquals: { 'aws:SourceArn': approvedRule.ruleArn } },
      }),
    );

    const endpointNames = props.models.map((m) => m.endpointName);
    const inferenceComponentNames: Record<string, string> = {};
    for (const m of props.models) {
      const endpoint = props.endpoints?.[m.name];
      if (!endpoint) continue;
      if (endpoint.endpointName !== m.endpointName) {
        throw new PlinthError(
          `ModelDeployment ${this.node.path}: endpoints["${m.name}"] is endpoint "${endpoint.endpointName}" but models[].endpointName of "${m.name}" is "${m.endpointName}"; pass the endpoint the model rolls onto`,
        );
      }
      const component = endpoint.inferenceComponentNameOf(m.variantName ?? 'primary');
      if (component) inferenceComponentNames[m.name] = component;
    }
    const sagemakerArn = (resource: string, name: string) =>
      stack.formatArn({ service: 'sagemaker', resource, resourceName: name.toLowerCase() });
    const allEndpointConfigs = stack.formatArn({ service: 'sagemaker', resource: 'endpoint-config', resourceName: '*' });
    const subnets = props.vpc.selectSubnets(vpcSubnets).subnetIds;
    const artifacts = props.registry.artifacts.bucket;
    this.function = new VpcFunction(this, 'Function', {
      handlerFolder: 'deploy-model',
      description: 'Plinth deploy-model: canary rollout of approved model versions',
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadApprovedPackages',
          actions: perms.DESCRIBE_PACKAGE,
          resources: props.models.map((m) => props.registry.packagesArn(m.name)),
        }),
        new iam.PolicyStatement({
          sid: 'CreateVersionedModelsAndConfigs',
          actions: perms.CREATE_VERSIONED_MODEL,
          resources: endpointNames.flatMap((name) => [sagemakerArn('model', `${name}-*`), sagemakerArn('endpoint-config', `${name}*`)]),
        }),
        new iam.PolicyStatement({
          // The endpoint's current config may predate Plinth's naming; reading it is harmless.
          sid: 'ReadCurrentEndpointConfigs',
          actions: perms.READ_ENDPOINT_CONFIG,
          resources: [allEndpointConfigs],
        }),
        new iam.PolicyStatement({
          sid: 'UpdateOwnEndpoints',
          actions: perms.UPDATE_ENDPOINT,
          resources: endpointNames.map((name) => sagemakerArn('endpoint', name)),
        }),
        ...(Object.keys(inferenceComponentNames).length > 0
          ? [
              new iam.PolicyStatement({
                sid: 'UpdateOwnInferenceComponents',
                actions: perms.UPDATE_INFERENCE_COMPONENT,
                resources: Object.values(inferenceComponentNames).map((name) => sagemakerArn('inference-component', name)),
              }),
            ]
          : []),
        new iam.PolicyStatement({
          sid: 'PassModelRole',
          actions: perms.PASS_ROLE,
          resources: [props.modelExecution.role.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
        }),
        new iam.PolicyStatement({
          sid: 'EncryptEndpointVolumes',
          actions: perms.KMS_ENDPOINT_VOLUMES,
          resources: [props.modelsKey.keyArn],
        }),
        new iam.PolicyStatement({ sid: 'ConsumeQueue', actions: SQS_CONSUME, resources: [this.queue.queueArn] }),
        new iam.PolicyStatement({
          sid: 'RecordDecisions',
          actions: perms.EVENTS_PUT,
          resources: [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
        }),
        new iam.PolicyStatement({ sid: 'NotifyFailures', actions: perms.SNS_PUBLISH, resources: [props.alarmTopic.topicArn] }),
        new iam.PolicyStatement({ sid: 'VerifyPinnedArtifacts', actions: perms.ARTIFACT_READ, resources: [artifacts.arnForObjects('*')] }),
        new iam.PolicyStatement({ sid: 'WriteApprovedCopies', actions: perms.ARTIFACT_WRITE, resources: [artifacts.arnForObjects(`${APPROVED_ARTIFACT_PREFIX}*`)] }),
        ...(artifacts.encryptionKey
          ? [new iam.PolicyStatement({ sid: 'ArtifactsKey', actions: perms.KMS_USE, resources: [artifacts.encryptionKey.keyArn] })]
          : []),
      ],
      wildcardResources: [
        ...props.models.map((m) => [props.registry.packagesArn(m.name), 'Package versions are numbered by SageMaker; read-only and limited to this model\'s group.'] as const),
        ...endpointNames.flatMap((name) => [
          [sagemakerArn('model', `${name}-*`), 'Each approved version becomes a model named after its endpoint and version; limited to that endpoint\'s prefix.'] as const,
          [sagemakerArn('endpoint-config', `${name}*`), 'Each deployment creates a versioned endpoint config; limited to that endpoint\'s prefix.'] as const,
        ]),
        [allEndpointConfigs, 'Read-only: the endpoint\'s current config may have any name; it is copied into the new versioned config.'],
        [artifacts.arnForObjects('*'), 'Read-only: the pinned artifact of an approved package may have any key in the registry\'s artifact bucket.'],
        [artifacts.arnForObjects(`${APPROVED_ARTIFACT_PREFIX}*`), 'Approved copies are keyed by group and version; limited to the approved prefix, which only this function may write.'],
      ],
      environment: {
        DEPLOYMENTS: stack.toJsonString(
          props.models.map((m) => ({
            modelPackageGroupName: m.name,
            endpointName: m.endpointName,
            variantName: m.variantName ?? 'primary',
            rollbackAlarmNames: [...(props.rollbackAlarms[m.name] ?? []).map((a) => a.alarmName), ...(m.rollbackAlarmNames ?? [])],
            ...(inferenceComponentNames[m.name] ? { inferenceComponentName: inferenceComponentNames[m.name] } : {}),
          })),
        ),
        MODEL_EXECUTION_ROLE_ARN: props.modelExecution.role.roleArn,
        SUBNET_IDS: subnets.join(','),
        SECURITY_GROUP_IDS: props.modelExecution.securityGroup.securityGroupId,
        MODELS_KMS_KEY_ARN: props.modelsKey.keyArn,
        ALLOWED_IMAGE_REGISTRIES: (props.allowedImageRegistries ?? [`${Aws.ACCOUNT_ID}.dkr.ecr.${Aws.REGION}.${Aws.URL_SUFFIX}`]).join(','),
        CANARY_PERCENT: String(props.canaryPercent),
        CANARY_WAIT_SECONDS: String(props.canaryWait.toSeconds()),
        TERMINATION_WAIT_SECONDS: String(TERMINATION_WAIT.toSeconds()),
        // SageMaker requires the timeout to exceed the waits; an hour on top for the rollout itself.
        MAX_EXECUTION_TIMEOUT_SECONDS: String(Math.min(28_800, props.canaryWait.toSeconds() + TERMINATION_WAIT.toSeconds() + 3600)),
        ALARM_TOPIC_ARN: props.alarmTopic.topicArn,
        ARTIFACT_BUCKET: artifacts.bucketName,
        EVENT_BUS_NAME: 'default',
        PLINTH_ENV: props.environmentName,
      },
      vpc: props.vpc,
      vpcSubnets,
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      timeout: functionTimeout,
      memorySize: 512,
      // The FIFO group already serializes deployments; this caps the function at the event source's minimum.
      reservedConcurrency: 2,
      deadLetterQueue: this.eventDeadLetterQueue,
      keepLogicalIdsOf: { function: 'Function', logGroup: 'Logs', role: 'FunctionRole', policy: 'FunctionPolicy', securityGroup: 'FunctionSecurityGroup' },
    }).function;
    // The approved copies are what models read: nobody but this function may write or remove them.
    artifacts.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'OnlyTheDeployerWritesApprovedCopies',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: APPROVED_COPY_WRITES,
        resources: [artifacts.arnForObjects(`${APPROVED_ARTIFACT_PREFIX}*`)],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': this.function.role!.roleArn } },
      }),
    );
    this.function.addEventSource(new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true, maxConcurrency: 2 }));

    const common = { alarmAction: props.alarmAction, runbookBaseUrl: props.runbookBaseUrl };
    const deadLetterAlarm = (alarmId: string, metric: cloudwatch.Metric, what: string) =>
      failureModeAlarm(this, alarmId, 'deployment-stuck', {
        ...common,
        description: what,
        metric,
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
    this.alarms.push(
      failureModeAlarm(this, 'DeploymentStuck', 'deployment-stuck', {
        ...common,
        description: 'An approved model version has waited over an hour to deploy (endpoint busy or failing).',
        metric: this.metricOldestApprovalAge(),
        threshold: 3600,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      deadLetterAlarm('DeploymentDeadLetters', this.metricFailedDeployments(), 'An approved model version could not be deployed after every retry.'),
      deadLetterAlarm('ApprovalsUndelivered', this.metricUndeliveredApprovals(), 'An approval event could not be delivered to the deployment queue.'),
    );
  }

  /** Age (s) of the oldest approved version waiting to deploy: what the deployment-stuck alarm watches. Maximum over 5 minutes. */
  public metricOldestApprovalAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }
  /** Approved versions waiting to deploy. Maximum over 5 minutes. */
  public metricPendingApprovals(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.queue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }
  /** Approved versions that could not be deployed after every retry (in the dead-letter queue). Maximum over 5 minutes. */
  public metricFailedDeployments(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }
  /** Approval events EventBridge could not deliver to the deployment queue. Maximum over 5 minutes. */
  public metricUndeliveredApprovals(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.eventDeadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM, ...props });
  }
}
