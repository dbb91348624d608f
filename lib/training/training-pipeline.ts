import * as path from 'path';
import { Arn, ArnFormat, Aws, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { acknowledgeFinding, wildcardResourceFinding } from '../compliance/acknowledge';
import { createVpcFunction } from '../compute/vpc-function';
import { PlinthError } from '../errors';
import { servedModelsWildcards } from '../inference/inference-endpoint';
import { describeInstanceType } from '../inference/instance-types';
import { ARTIFACT_PIN_KEYS, PIPELINE_OUTPUTS_PREFIX } from '../model-registry/model-registry';
import { failureModeAlarm } from '../monitoring/failure-modes';
import { referenceEvaluationImage } from './evaluation-images';
import * as perms from './perms';
import {
  checkPipelineDefinition,
  executionRef,
  join,
  jsonGet,
  parameterRef,
  PIPELINE_DEFINITION_VERSION,
  stepRef,
  type PipelineDefinition,
  type PipelineStep,
} from './pipeline-definition';
import type { TrainingPipelineProps } from './training-pipeline-props';
import { SecureQueue } from '../storage/secure-queue';
import { PLATFORM_WAIVER } from '../compliance/platform-waiver';

const ACK = PLATFORM_WAIVER;

/** The pipeline's step names (the alarms and the docs name them too). */
export const TRAINING_STEPS = {
  trainingSet: 'TrainingSet',
  train: 'Train',
  pin: 'PinArtifact',
  evaluate: 'Evaluate',
  gate: 'Gate',
  register: 'Register',
  reject: 'RejectGate',
} as const;

/** The parameters every Plinth training pipeline declares (retrain-trigger sets them). */
export const TRAINING_PIPELINE_PARAMETERS = ['WindowStart', 'WindowEnd', 'TriggeredBy', 'Cause', 'DriftEvidence'] as const;

/** Event the training-set callback adapter puts for the bridge state machine. */
export const TRAINING_SET_REQUESTED = { source: 'plinth.training', detailType: 'Training Set Requested' } as const;

/** CloudWatch namespace of SageMaker Pipelines' execution and step metrics. */
export const PIPELINE_METRIC_NAMESPACE = 'AWS/Sagemaker/ModelBuildingPipeline';

const [PIN_SHA256, PIN_VERSION] = ARTIFACT_PIN_KEYS;

const HIGHER_IS_BETTER = new Set(['auc', 'precision', 'recall']);
const CLASSIFICATION_METRICS = new Set(['auc', 'precision', 'recall']);
const NAME = /^[a-z0-9](-*[a-z0-9])*$/;

/**
 * The model's retraining pipeline, defined from its typed config: a SageMaker Pipeline whose steps
 * build a point-in-time training set split by time (through the features capability's job, via a
 * callback step), train in the VPC with network isolation, score the new model and the champion
 * (the package the model's endpoint serves, else visibly the latest Approved one; see
 * `TrainingPipelineProps.endpoint`) on the same holdout, gate on an absolute floor and a tolerance
 * against the champion, and register the new model as PendingManualApproval with its evaluation
 * report, training sample, training-set manifest and lineage. A rejected gate ends the execution
 * with the reason and registers nothing. The definition is checked at synth.
 */
export class TrainingPipeline extends Construct {
  public readonly pipeline: sagemaker.CfnPipeline;
  public readonly pipelineName: string;
  public readonly pipelineArn: string;
  /** The definition as rendered (tokens unresolved). */
  public readonly definition: PipelineDefinition;
  /** Runs the pipeline; passes only the training and processing roles. */
  public readonly role: iam.Role;
  public readonly trainingRole: iam.Role;
  public readonly processingRole: iam.Role;
  public readonly securityGroup: ec2.ISecurityGroup;
  /** Receives the training-set step's callback tokens. */
  public readonly callbackQueue: SecureQueue;
  public readonly deadLetterQueue: SecureQueue;
  /** Runs the training-set job for a callback and reports the result to the pipeline. */
  public readonly bridge: sfn.StateMachine;
  public readonly callbackFunction: lambda.IFunction;
  /** The `PinArtifact` step: pins the trained model.tar.gz (S3 version id + SHA-256) for deploy-model. */
  public readonly pinFunction: lambda.IFunction;
  /**
   * The bridge's `FindChampion` state (lambdas/find-champion): the package the model's endpoint
   * serves (heaviest production variant; ties: the most recently approved), else, visibly, the
   * latest Approved package.
   */
  public readonly championFunction: lambda.IFunction;
  public readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: TrainingPipelineProps) {
    super(scope, id);
    validate(props, this.node.path);
    const stack = Stack.of(this);
    const model = props.modelName;
    const groupArn = props.registry.groupArn(model);
    const packagesArn = props.registry.packagesArn(model);
    // Lower case: pipeline ARNs carry the name in lower case, so the name and the ARN agree.
    this.pipelineName = `plinth-${props.environmentName}-${model}-training`.toLowerCase().slice(0, 256);

    const modelsPrefix = `models/${model}/`;
    // Under the prefix the registry denies to human roles: the drift baseline trusts the sample here.
    const evaluationsPrefix = `${PIPELINE_OUTPUTS_PREFIX}${model}/`;
    const checkpointsPrefix = `training-checkpoints/${model}/`;
    const noChampionKey = `training-pipelines/${model}/no-champion/NONE`;
    const trainingSetObjects = props.trainingSetJob.outputBucket.arnForObjects(`${props.trainingSetJob.outputPrefix}${props.trainingSet.name}/*`);
    const trainingSetKey = props.trainingSetKey ?? props.lakeKey;

    // Network: HTTPS to AWS endpoints; distributed training also talks to itself.
    if (props.securityGroup) {
      this.securityGroup = props.securityGroup;
    } else {
      const sg = new ec2.SecurityGroup(this, 'SecurityGroup', {
        vpc: props.vpc,
        description: `Plinth training of ${model}: HTTPS to AWS endpoints only`,
        allowAllOutbound: false,
      });
      sg.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to VPC endpoints (no internet route exists)');
      if ((props.training.instanceCount ?? 1) > 1) {
        sg.addIngressRule(sg, ec2.Port.allTcp(), 'Distributed training between the job\'s own instances (encrypted)');
        sg.addEgressRule(sg, ec2.Port.allTcp(), 'Distributed training between the job\'s own instances (encrypted)');
      }
      this.securityGroup = sg;
    }
    const subnets = props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED }).subnetIds;
    const vpcConfig = { SecurityGroupIds: [this.securityGroup.securityGroupId], Subnets: subnets };

    // Images.
    const evaluationImage = props.evaluation.image ?? referenceEvaluationImage(stack.region).uri;
    const script = props.evaluation.image
      ? undefined
      : new s3assets.Asset(this, 'EvaluationScript', { path: path.join(__dirname, 'evaluation', 'evaluate.py') });

    // Roles of the jobs.
    const repositories = (account: string) => stack.formatArn({ service: 'ecr', resource: 'repository', resourceName: '*', account });
    const jobLogs = stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: '/aws/sagemaker/*' });
    const jobBasics = (extraRegistries: string[]) => [
      new iam.PolicyStatement({ sid: 'EcrToken', actions: perms.ECR_TOKEN, resources: ['*'] }),
      new iam.PolicyStatement({ sid: 'PullImages', actions: perms.ECR_PULL, resources: [repositories(Aws.ACCOUNT_ID), ...extraRegistries.map(repositories)] }),
      new iam.PolicyStatement({ sid: 'RunInVpc', actions: perms.SAGEMAKER_VPC, resources: ['*'] }),
      new iam.PolicyStatement({ sid: 'WriteJobLogs', actions: perms.JOB_LOGS, resources: [jobLogs] }),
      new iam.PolicyStatement({
        sid: 'PublishJobMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringLike: { 'cloudwatch:namespace': ['/aws/sagemaker/*'] } },
      }),
      new iam.PolicyStatement({ sid: 'ReadTrainingSet', actions: perms.S3_READ, resources: [trainingSetObjects] }),
      new iam.PolicyStatement({
        sid: 'ListTrainingSet',
        actions: perms.S3_LIST,
        resources: [props.trainingSetJob.outputBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${props.trainingSetJob.outputPrefix}${props.trainingSet.name}/*`] } },
      }),
      new iam.PolicyStatement({ sid: 'DecryptTrainingSet', actions: perms.KMS_DECRYPT, resources: [trainingSetKey.keyArn] }),
    ];
    const jobAcks = (policy: iam.ManagedPolicy, extra: ReadonlyArray<readonly [string, string]>) => {
      acknowledgeFinding(policy, {
        rule: 'AwsSolutions-IAM5[Resource::*]',
        reason: 'ECR tokens, VPC network interfaces and PutMetricData take no resource scoping; metrics are limited by a namespace condition.',
        ...ACK,
      });
      for (const [resource, reason] of [
        [repositories(Aws.ACCOUNT_ID), 'Jobs pull from this account\'s ECR; the training image comes from config.'],
        [jobLogs, 'SageMaker names job log groups itself under /aws/sagemaker/.'],
        [trainingSetObjects, 'Training sets are written per run id; read-only and limited to this model\'s training-set prefix.'],
        ...extra,
      ] as const) {
        acknowledgeFinding(policy, { rule: wildcardResourceFinding(this, resource), reason, ...ACK });
      }
    };

    this.trainingRole = new iam.Role(this, 'TrainingRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Training jobs of ${model}: read its training set, write its model artifacts and checkpoints`,
    });
    const modelObjects = props.artifactsBucket.arnForObjects(`${modelsPrefix}*`);
    const checkpointObjects = props.lakeBucket.arnForObjects(`${checkpointsPrefix}*`);
    const trainingPolicy = new iam.ManagedPolicy(this, 'TrainingPolicy', {
      roles: [this.trainingRole],
      statements: [
        ...jobBasics([]),
        new iam.PolicyStatement({ sid: 'WriteModelArtifacts', actions: perms.S3_WRITE, resources: [modelObjects] }),
        new iam.PolicyStatement({ sid: 'Checkpoints', actions: [...perms.S3_READ, ...perms.S3_WRITE], resources: [checkpointObjects] }),
        new iam.PolicyStatement({
          sid: 'ListCheckpoints',
          actions: perms.S3_LIST,
          resources: [props.lakeBucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${checkpointsPrefix}*`] } },
        }),
        new iam.PolicyStatement({ sid: 'EncryptOutputsAndVolumes', actions: perms.KMS_JOB, resources: [props.modelsKey.keyArn, props.lakeKey.keyArn] }),
      ],
    });
    jobAcks(trainingPolicy, [
      [modelObjects, 'SageMaker names model artifacts by training job; write-only and limited to this model\'s prefix.'],
      [checkpointObjects, 'Spot checkpoints are written per execution; limited to this model\'s checkpoint prefix.'],
    ]);

    this.processingRole = new iam.Role(this, 'ProcessingRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Evaluation jobs of ${model}: read its training set and models, write its evaluation reports`,
    });
    const evaluationObjects = props.artifactsBucket.arnForObjects(`${evaluationsPrefix}*`);
    const allArtifacts = props.artifactsBucket.arnForObjects('*');
    const noChampion = props.lakeBucket.arnForObjects(noChampionKey);
    const imageRegistry = props.evaluation.image ? [] : [referenceEvaluationImage(stack.region).account];
    const processingPolicy = new iam.ManagedPolicy(this, 'ProcessingPolicy', {
      roles: [this.processingRole],
      statements: [
        ...jobBasics(imageRegistry),
        // The champion's artifact may sit anywhere in the registry's bucket (it may predate this pipeline).
        new iam.PolicyStatement({ sid: 'ReadModels', actions: perms.S3_READ, resources: [allArtifacts, noChampion] }),
        new iam.PolicyStatement({ sid: 'ListModels', actions: perms.S3_LIST, resources: [props.artifactsBucket.bucketArn, props.lakeBucket.bucketArn] }),
        ...(script
          ? [new iam.PolicyStatement({ sid: 'ReadEvaluationScript', actions: perms.S3_READ, resources: [script.bucket.arnForObjects(script.s3ObjectKey)] })]
          : []),
        new iam.PolicyStatement({ sid: 'WriteEvaluations', actions: perms.S3_WRITE, resources: [evaluationObjects] }),
        new iam.PolicyStatement({ sid: 'EncryptOutputsAndVolumes', actions: perms.KMS_JOB, resources: [props.modelsKey.keyArn, props.lakeKey.keyArn] }),
      ],
    });
    jobAcks(processingPolicy, [
      [allArtifacts, 'Evaluation scores the new model and the champion, whose artifact may be anywhere in the registry bucket; read-only.'],
      [evaluationObjects, 'Evaluation reports are written per execution; write-only and limited to this model\'s prefix.'],
      ...imageRegistry.map((account) => [repositories(account), 'The AWS-published scikit-learn processing image (lib/training/evaluation-images.ts).'] as const),
    ]);

    // The training-set step: a callback. SageMaker sends its token to the queue; an adapter turns
    // it into an event; the bridge state machine runs the training-set job and reports back.
    this.deadLetterQueue = new SecureQueue(this, 'DeadLetterQueue', { encryptionKey: props.modelsKey, isDeadLetterQueue: true, removalPolicy: props.removalPolicy });
    this.callbackQueue = new SecureQueue(this, 'CallbackQueue', {
      encryptionKey: props.modelsKey,
      visibilityTimeout: Duration.minutes(2),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: 5 },
      removalPolicy: props.removalPolicy,
    });
    const busArn = stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' });
    const adapter = createVpcFunction(this, {
      handlerFolder: 'training-set-callback',
      description: `Plinth training-set-callback of ${model}: turns the pipeline's callback token into a training-set request`,
      statements: [
        new iam.PolicyStatement({ sid: 'ConsumeCallbacks', actions: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'], resources: [this.callbackQueue.queueArn] }),
        new iam.PolicyStatement({ sid: 'UseQueueKey', actions: perms.KMS_DECRYPT, resources: [props.modelsKey.keyArn] }),
        new iam.PolicyStatement({ sid: 'RequestTrainingSet', actions: perms.EVENTS_PUT, resources: [busArn] }),
      ],
      environment: { EVENT_SOURCE: TRAINING_SET_REQUESTED.source, DETAIL_TYPE: TRAINING_SET_REQUESTED.detailType, PLINTH_ENV: props.environmentName },
      vpc: props.vpc,
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      timeout: Duration.seconds(30),
      reservedConcurrency: 2,
      deadLetterQueue: this.deadLetterQueue,
      ids: { function: 'CallbackFunction', logGroup: 'CallbackLogs', role: 'CallbackRole', policy: 'CallbackPolicy', securityGroup: 'CallbackSecurityGroup' },
    });
    adapter.policy.addStatements(new iam.PolicyStatement({ sid: 'UseDeadLetterKey', actions: perms.KMS_ENCRYPT_DECRYPT, resources: [props.modelsKey.keyArn] }));
    this.callbackFunction = adapter.function;
    adapter.function.addEventSource(new lambdaEventSources.SqsEventSource(this.callbackQueue, { batchSize: 5, reportBatchItemFailures: true }));

    // The PinArtifact step (lambdas/pin-artifact): the trained artifact's version id and SHA-256,
    // which Register records as the pin deploy-model checks (contract F). Read-only on this model's
    // artifacts; SageMaker invokes it synchronously as the pipeline role.
    const pin = createVpcFunction(this, {
      handlerFolder: 'pin-artifact',
      description: `Plinth pin-artifact of ${model}: pins the trained model artifact (S3 version id and SHA-256) before it is evaluated and registered`,
      statements: [
        new iam.PolicyStatement({ sid: 'ReadTrainedArtifacts', actions: perms.S3_READ, resources: [modelObjects] }),
        new iam.PolicyStatement({ sid: 'DecryptArtifacts', actions: perms.KMS_DECRYPT, resources: [props.modelsKey.keyArn] }),
      ],
      wildcardResources: [[modelObjects, 'Training jobs name their artifacts at run time; read-only and limited to this model\'s prefix.']],
      environment: { ARTIFACT_BUCKET: props.artifactsBucket.bucketName, MODELS_PREFIX: modelsPrefix, PLINTH_ENV: props.environmentName },
      vpc: props.vpc,
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      // Hashing streams the artifact: about a minute per few GB from S3 through a gateway endpoint.
      timeout: Duration.minutes(10),
      memorySize: 1024,
      reservedConcurrency: 2,
      deadLetterQueue: this.deadLetterQueue,
      ids: { function: 'PinFunction', logGroup: 'PinLogs', role: 'PinRole', policy: 'PinPolicy', securityGroup: 'PinSecurityGroup' },
    });
    pin.policy.addStatements(new iam.PolicyStatement({ sid: 'UseDeadLetterKey', actions: perms.KMS_ENCRYPT_DECRYPT, resources: [props.modelsKey.keyArn] }));
    this.pinFunction = pin.function;

    // The champion lookup (lambdas/find-champion): the package the endpoint serves (contract B),
    // else the latest Approved package, with the source and the reason. Read-only.
    const champion = createVpcFunction(this, {
      handlerFolder: 'find-champion',
      description: `Plinth find-champion of ${model}: the package its endpoint serves, the champion a retrained model must beat`,
      statements: [
        new iam.PolicyStatement({ sid: 'FindLatestApproved', actions: perms.LIST_PACKAGES, resources: [groupArn, packagesArn] }),
        new iam.PolicyStatement({ sid: 'DescribeChampion', actions: perms.DESCRIBE_PACKAGE, resources: [packagesArn] }),
        new iam.PolicyStatement({ sid: 'UseDeadLetterKey', actions: perms.KMS_ENCRYPT_DECRYPT, resources: [props.modelsKey.keyArn] }),
      ],
      wildcardResources: [[packagesArn, 'Package versions are numbered by SageMaker; list and describe only, this model\'s group, to find the champion and its artifact.']],
      environment: {
        MODEL_PACKAGE_GROUP: model,
        PACKAGE_ARN_PREFIX: stack.formatArn({ service: 'sagemaker', resource: 'model-package', resourceName: `${model.toLowerCase()}/` }),
        // Without an endpoint the variable is absent and the lookup records "latest-approved".
        ...(props.endpoint ? { ENDPOINT_NAME: props.endpoint.endpointName } : {}),
        PLINTH_ENV: props.environmentName,
      },
      vpc: props.vpc,
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      timeout: Duration.minutes(1),
      reservedConcurrency: 2,
      deadLetterQueue: this.deadLetterQueue,
      ids: { function: 'ChampionFunction', logGroup: 'ChampionLogs', role: 'ChampionRole', policy: 'ChampionPolicy', securityGroup: 'ChampionSecurityGroup' },
    });
    if (props.endpoint) {
      props.endpoint.grantReadServedModels(champion.function);
      for (const [resource, reason] of servedModelsWildcards(this)) {
        acknowledgeFinding(champion.role.grantsPolicy!, { rule: wildcardResourceFinding(this, resource), reason, ...ACK });
      }
    }
    this.championFunction = champion.function;

    // The pipeline.
    this.definition = this.buildDefinition(props, { vpcConfig, evaluationImage, script, modelsPrefix, evaluationsPrefix, checkpointsPrefix, noChampionKey });
    checkPipelineDefinition(this.pipelineName, this.definition);

    this.role = new iam.Role(this, 'PipelineRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Runs ${model}'s training pipeline: starts its jobs as their own roles and registers the result for approval`,
    });
    const jobArn = (resource: string) => stack.formatArn({ service: 'sagemaker', resource, resourceName: 'pipelines-*' });
    const pipelinePolicy = new iam.ManagedPolicy(this, 'PipelinePolicy', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({ sid: 'RunTraining', actions: [...perms.RUN_TRAINING_JOB, ...perms.TAG_JOBS], resources: [jobArn('training-job')] }),
        new iam.PolicyStatement({ sid: 'RunEvaluation', actions: [...perms.RUN_PROCESSING_JOB, ...perms.TAG_JOBS], resources: [jobArn('processing-job')] }),
        new iam.PolicyStatement({
          sid: 'PassJobRolesOnly',
          actions: ['iam:PassRole'],
          resources: [this.trainingRole.roleArn, this.processingRole.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
        }),
        new iam.PolicyStatement({ sid: 'RegisterForApproval', actions: perms.REGISTER_MODEL, resources: [groupArn, packagesArn] }),
        new iam.PolicyStatement({
          sid: 'NeverApprove',
          effect: iam.Effect.DENY,
          actions: perms.REGISTER_MODEL,
          resources: ['*'],
          conditions: { StringEquals: { 'sagemaker:ModelApprovalStatus': 'Approved' } },
        }),
        new iam.PolicyStatement({ sid: 'SendCallbackTokens', actions: ['sqs:SendMessage'], resources: [this.callbackQueue.queueArn] }),
        new iam.PolicyStatement({ sid: 'PinTrainedArtifact', actions: perms.INVOKE_STEP_FUNCTION, resources: [pin.function.functionArn] }),
        new iam.PolicyStatement({ sid: 'ReadEvaluationReports', actions: perms.S3_READ, resources: [evaluationObjects] }),
        new iam.PolicyStatement({ sid: 'UseModelsKey', actions: perms.KMS_ENCRYPT_DECRYPT, resources: [props.modelsKey.keyArn] }),
      ],
    });
    for (const [resource, reason] of [
      [jobArn('training-job'), 'SageMaker Pipelines names its jobs pipelines-<execution>-<step>-<hash> at run time.'],
      [jobArn('processing-job'), 'SageMaker Pipelines names its jobs pipelines-<execution>-<step>-<hash> at run time.'],
      [packagesArn, 'Package versions are numbered by SageMaker at registration; limited to this model\'s group, never Approved.'],
      [evaluationObjects, 'The gate reads the evaluation report of each execution; read-only, limited to this model\'s prefix.'],
    ] as const) {
      acknowledgeFinding(pipelinePolicy, { rule: wildcardResourceFinding(this, resource), reason, ...ACK });
    }
    acknowledgeFinding(pipelinePolicy, {
      rule: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'The only "*" is an explicit Deny: the pipeline may never register a model as Approved.',
      ...ACK,
      // cdk-nag flags the Deny only in some compositions (a stand-in training-set job); silent elsewhere.
      ifPresent: true,
    });

    this.pipeline = new sagemaker.CfnPipeline(this, 'Resource', {
      pipelineName: this.pipelineName,
      pipelineDisplayName: this.pipelineName.slice(0, 256),
      pipelineDescription: `Plinth retraining of ${model}: point-in-time training set, train, evaluate against the champion, gate, register for approval`,
      roleArn: this.role.roleArn,
      pipelineDefinition: { PipelineDefinitionBody: stack.toJsonString(this.definition) },
    });
    this.pipeline.node.addDependency(pipelinePolicy, trainingPolicy, processingPolicy);
    // From the resource (Ref is the name), so whoever starts the pipeline references it, not a name string.
    this.pipelineArn = stack.formatArn({ service: 'sagemaker', resource: 'pipeline', resourceName: this.pipeline.ref });

    this.bridge = this.buildBridge(props, noChampionKey);
    const startBridgeRole = new iam.Role(this, 'StartBridgeRole', {
      assumedBy: new iam.ServicePrincipal('events.amazonaws.com'),
      description: `Starts ${model}'s training-set bridge for a Training Set Requested event`,
    });
    new iam.ManagedPolicy(this, 'StartBridgePolicy', {
      roles: [startBridgeRole],
      statements: [new iam.PolicyStatement({ sid: 'StartBridge', actions: ['states:StartExecution'], resources: [this.bridge.stateMachineArn] })],
    });
    new events.Rule(this, 'OnTrainingSetRequested', {
      description: `A training-set request of ${model}'s pipeline starts its bridge`,
      eventPattern: {
        source: [TRAINING_SET_REQUESTED.source],
        detailType: [TRAINING_SET_REQUESTED.detailType],
        account: [Aws.ACCOUNT_ID],
        detail: { arguments: { modelPackageGroupName: [model] } },
      },
      targets: [
        new targets.SfnStateMachine(this.bridge, {
          input: events.RuleTargetInput.fromEventPath('$.detail'),
          role: startBridgeRole.withoutPolicyUpdates(),
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 8,
          maxEventAge: Duration.hours(24),
        }),
      ],
    });


    this.addAlarms(props);
  }

  /** Lets `grantee` start this pipeline and follow its executions (not approve what it registers). */
  public grantStart(grantee: iam.IGrantable): iam.Grant {
    const statement = this.startStatement();
    return iam.Grant.addToPrincipal({ grantee, actions: statement.actions, resourceArns: statement.resources });
  }

  /** ARN pattern of this pipeline's executions. */
  public get executionsArn(): string {
    return `${this.pipelineArn}/execution/*`;
  }

  /** The statement {@link grantStart} adds, for callers that keep permissions in managed policies. */
  public startStatement(): iam.PolicyStatement {
    return new iam.PolicyStatement({ sid: 'StartAndFollowRetraining', actions: [...perms.START_PIPELINE, ...perms.READ_PIPELINE], resources: [this.pipelineArn, this.executionsArn] });
  }

  /** A SageMaker Pipelines metric of this pipeline (namespace AWS/Sagemaker/ModelBuildingPipeline). */
  public metric(metricName: string, step?: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: PIPELINE_METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { PipelineName: this.pipelineName, ...(step ? { StepName: step } : {}) },
      statistic: cloudwatch.Stats.SUM,
      ...props,
    });
  }

  private buildDefinition(
    props: TrainingPipelineProps,
    x: {
      vpcConfig: { SecurityGroupIds: string[]; Subnets: string[] };
      evaluationImage: string;
      script?: s3assets.Asset;
      modelsPrefix: string;
      evaluationsPrefix: string;
      checkpointsPrefix: string;
      noChampionKey: string;
    },
  ): PipelineDefinition {
    const { training, evaluation, trainingSet } = props;
    const S = TRAINING_STEPS;
    const artifacts = `s3://${props.artifactsBucket.bucketName}`;
    const instance = describeInstanceType(training.instanceType) as { nvme: boolean };
    const spot = training.spot;
    const callbackOutputs = ['trainUri', 'validationUri', 'holdoutUri', 'manifestUri', 'rowCount', 'championModelPackageArn', 'championModelUri', 'championSource', 'championReason'];
    const out = (name: string) => stepRef(S.trainingSet, `OutputParameters['${name}']`);
    const pinned = (name: string) => stepRef(S.pin, `OutputParameters['${name}']`);
    const s3Input = (uri: unknown) => ({ S3DataSource: { S3DataType: 'S3Prefix', S3Uri: uri, S3DataDistributionType: 'FullyReplicated' } });
    const evaluationUri = join('/', [`${artifacts}/${x.evaluationsPrefix.replace(/\/$/, '')}`, executionRef('PipelineExecutionId')]);
    const evaluationOutput = stepRef(S.evaluate, "ProcessingOutputConfig.Outputs['evaluation'].S3Output.S3Uri");
    const higher = HIGHER_IS_BETTER.has(evaluation.primaryMetric);
    const compare = higher ? 'GreaterThanOrEqualTo' : 'LessThanOrEqualTo';
    const gateValue = jsonGet(S.evaluate, 'Gate', 'value');
    const championBar = jsonGet(S.evaluate, 'Gate', 'championBar');

    const trainingSetStep: PipelineStep = {
      Name: S.trainingSet,
      Type: 'Callback',
      Description: 'Point-in-time training set for the window, split by time (holdout latest); finds the champion',
      SqsQueueUrl: this.callbackQueue.queueUrl,
      OutputParameters: callbackOutputs.map((OutputName) => ({ OutputName, OutputType: 'String' as const })),
      Arguments: {
        modelPackageGroupName: props.modelName,
        name: trainingSet.name,
        runId: executionRef('PipelineExecutionId'),
        windowEnd: parameterRef('WindowEnd'),
        windowMillis: String(trainingSet.window.toMilliseconds()),
        validationMillis: String(trainingSet.validation.toMilliseconds()),
        holdoutMillis: String(trainingSet.holdout.toMilliseconds()),
        labelDelayMillis: String((trainingSet.labelDelay ?? Duration.seconds(0)).toMilliseconds()),
        labels: JSON.stringify(trainingSet.labels),
        featureGroups: JSON.stringify(trainingSet.featureGroups),
        noChampionUri: `s3://${props.lakeBucket.bucketName}/${x.noChampionKey.replace(/NONE$/, '')}`,
      },
    };

    const train: PipelineStep = {
      Name: S.train,
      Type: 'Training',
      Description: 'Train on the training split; validation split for early stopping',
      Arguments: {
        AlgorithmSpecification: { TrainingImage: training.image, TrainingInputMode: 'File' },
        HyperParameters: { ...(training.hyperparameters ?? {}) },
        RoleArn: this.trainingRole.roleArn,
        InputDataConfig: [
          { ChannelName: 'train', DataSource: s3Input(out('trainUri')) },
          { ChannelName: 'validation', DataSource: s3Input(out('validationUri')) },
        ],
        OutputDataConfig: { S3OutputPath: `${artifacts}/${x.modelsPrefix}`, KmsKeyId: props.modelsKey.keyArn },
        ResourceConfig: {
          InstanceType: training.instanceType,
          InstanceCount: training.instanceCount ?? 1,
          VolumeSizeInGB: training.volumeSizeGb ?? 50,
          // Instances with local NVMe storage refuse a volume key; their storage is hardware-encrypted.
          ...(instance.nvme ? {} : { VolumeKmsKeyId: props.modelsKey.keyArn }),
        },
        StoppingCondition: {
          MaxRuntimeInSeconds: training.maxRuntime.toSeconds(),
          ...(spot ? { MaxWaitTimeInSeconds: spot.maxWait.toSeconds() } : {}),
        },
        EnableManagedSpotTraining: spot !== undefined,
        ...(spot
          ? { CheckpointConfig: { S3Uri: join('/', [`s3://${props.lakeBucket.bucketName}/${x.checkpointsPrefix.replace(/\/$/, '')}`, executionRef('PipelineExecutionId')]) } }
          : {}),
        VpcConfig: x.vpcConfig,
        EnableNetworkIsolation: true,
        EnableInterContainerTrafficEncryption: true,
      },
    };

    // Pinned before evaluation: the bytes evaluated and registered are the bytes pinned; a later
    // replacement changes the object's version, and deploy-model refuses it.
    const pinStep: PipelineStep = {
      Name: S.pin,
      Type: 'Lambda',
      Description: 'Pin the trained artifact: its S3 version id and SHA-256, recorded on the registered package for deploy-model',
      FunctionArn: this.pinFunction.functionArn,
      Arguments: { artifactUri: stepRef(S.train, 'ModelArtifacts.S3ModelArtifacts') },
      OutputParameters: ['artifactUri', 'artifactVersionId', 'artifactSha256', 'artifactBytes'].map((OutputName) => ({ OutputName, OutputType: 'String' as const })),
    };

    const code = '/opt/ml/processing/input/code';
    const evaluate: PipelineStep = {
      Name: S.evaluate,
      Type: 'Processing',
      DependsOn: [S.pin],
      Description: 'Score the new model and the champion on the same holdout; write evaluation.json, gate.json and the training sample',
      PropertyFiles: [
        { PropertyFileName: 'Evaluation', OutputName: 'evaluation', FilePath: 'evaluation.json' },
        { PropertyFileName: 'Gate', OutputName: 'evaluation', FilePath: 'gate.json' },
      ],
      Arguments: {
        ProcessingResources: {
          ClusterConfig: { InstanceType: evaluation.instanceType ?? 'ml.m5.xlarge', InstanceCount: 1, VolumeSizeInGB: 30, VolumeKmsKeyId: props.modelsKey.keyArn },
        },
        AppSpecification: {
          ImageUri: x.evaluationImage,
          ...(x.script
            ? { ContainerEntrypoint: ['python3', `${code}/${x.script.s3ObjectKey}`] }
            : evaluation.entrypoint
              ? { ContainerEntrypoint: [...evaluation.entrypoint] }
              : {}),
          ContainerArguments: [
            '--problem-type', evaluation.problemType,
            '--primary-metric', evaluation.primaryMetric,
            '--threshold', String(evaluation.threshold ?? 0.5),
            '--tolerance', String(evaluation.tolerance),
            '--label-column', trainingSet.labels.labelColumn,
            '--champion-arn', out('championModelPackageArn'),
          ],
        },
        // How the champion was chosen, on the evaluation job's record (DescribeProcessingJob) too.
        Environment: { PLINTH_CHAMPION_SOURCE: out('championSource'), PLINTH_CHAMPION_REASON: out('championReason') },
        RoleArn: this.processingRole.roleArn,
        ProcessingInputs: [
          ...(x.script ? [{ InputName: 'code', S3Input: { S3Uri: x.script.s3ObjectUrl, LocalPath: code, S3DataType: 'S3Prefix', S3InputMode: 'File' } }] : []),
          { InputName: 'holdout', S3Input: { S3Uri: out('holdoutUri'), LocalPath: '/opt/ml/processing/holdout', S3DataType: 'S3Prefix', S3InputMode: 'File' } },
          { InputName: 'train', S3Input: { S3Uri: out('trainUri'), LocalPath: '/opt/ml/processing/train', S3DataType: 'S3Prefix', S3InputMode: 'File' } },
          { InputName: 'model', S3Input: { S3Uri: stepRef(S.train, 'ModelArtifacts.S3ModelArtifacts'), LocalPath: '/opt/ml/processing/model', S3DataType: 'S3Prefix', S3InputMode: 'File' } },
          { InputName: 'champion', S3Input: { S3Uri: out('championModelUri'), LocalPath: '/opt/ml/processing/champion', S3DataType: 'S3Prefix', S3InputMode: 'File' } },
        ],
        ProcessingOutputConfig: {
          Outputs: [{ OutputName: 'evaluation', S3Output: { S3Uri: evaluationUri, LocalPath: '/opt/ml/processing/evaluation', S3UploadMode: 'EndOfJob' } }],
          KmsKeyId: props.modelsKey.keyArn,
        },
        NetworkConfig: { EnableNetworkIsolation: true, EnableInterContainerTrafficEncryption: true, VpcConfig: x.vpcConfig },
        StoppingCondition: { MaxRuntimeInSeconds: 3600 },
      },
    };

    const register: PipelineStep = {
      Name: S.register,
      Type: 'RegisterModel',
      Description: 'Register the new model for approval, with its evaluation, training sample, training set and lineage',
      Arguments: {
        ModelPackageGroupName: props.modelName,
        ModelPackageDescription: join('', ['Retrained by ', executionRef('PipelineExecutionArn'), ' (cause ', parameterRef('Cause'), ', ', parameterRef('TriggeredBy'), ')']),
        ModelApprovalStatus: 'PendingManualApproval',
        InferenceSpecification: {
          // The URL the pin was computed for, so the package names exactly the pinned object.
          Containers: [{ Image: props.servingImage, ModelDataUrl: pinned('artifactUri') }],
          SupportedContentTypes: ['application/json'],
          SupportedResponseMIMETypes: ['application/json'],
        },
        ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: join('/', [evaluationOutput, 'evaluation.json']) } } },
        MetadataProperties: { GeneratedBy: executionRef('PipelineExecutionArn') },
        CustomerMetadataProperties: {
          'plinth:training-sample': join('/', [evaluationOutput, 'training-sample.jsonl']),
          'plinth:training-set-manifest': out('manifestUri'),
          'plinth:evaluation': join('/', [evaluationOutput, 'evaluation.json']),
          'plinth:champion': out('championModelPackageArn'),
          // served | latest-approved | none, and why (lambdas/find-champion).
          'plinth:champion-source': out('championSource'),
          'plinth:champion-reason': out('championReason'),
          'plinth:pipeline-execution': executionRef('PipelineExecutionArn'),
          'plinth:cause': parameterRef('Cause'),
          'plinth:triggered-by': parameterRef('TriggeredBy'),
          'plinth:window-end': parameterRef('WindowEnd'),
          // The training set's window ends this long before WindowEnd (labels still arriving).
          'plinth:label-delay-hours': String((props.trainingSet.labelDelay ?? Duration.seconds(0)).toHours({ integral: false })),
          // The artifact pin deploy-model verifies (contract F).
          [PIN_SHA256]: pinned('artifactSha256'),
          [PIN_VERSION]: pinned('artifactVersionId'),
        },
      },
    };

    const reject: PipelineStep = {
      Name: S.reject,
      Type: 'Fail',
      Description: 'The new model did not clear the gate; nothing is registered',
      Arguments: {
        ErrorMessage: join('', [
          `evaluation gate rejected: ${evaluation.primaryMetric} `,
          gateValue,
          ` must be ${higher ? '>=' : '<='} floor ${evaluation.floor} and ${higher ? '>=' : '<='} champion bar `,
          championBar,
          ` (champion `,
          out('championModelPackageArn'),
          `, chosen as `,
          out('championSource'),
          `, tolerance ${evaluation.tolerance})`,
        ]),
      },
    };

    const gate: PipelineStep = {
      Name: S.gate,
      Type: 'Condition',
      Description: `${evaluation.primaryMetric} clears the floor ${evaluation.floor} and is within ${evaluation.tolerance} of the champion (floor only without a champion)`,
      Arguments: {
        Conditions: [
          { Type: compare, LeftValue: gateValue, RightValue: evaluation.floor },
          { Type: compare, LeftValue: gateValue, RightValue: championBar },
        ],
        IfSteps: [register],
        ElseSteps: [reject],
      },
    };

    return {
      Version: PIPELINE_DEFINITION_VERSION,
      Metadata: {},
      Parameters: [
        { Name: 'WindowStart', Type: 'String', DefaultValue: '' },
        { Name: 'WindowEnd', Type: 'String', DefaultValue: '' },
        { Name: 'TriggeredBy', Type: 'String', DefaultValue: 'manual' },
        { Name: 'Cause', Type: 'String', DefaultValue: 'manual' },
        { Name: 'DriftEvidence', Type: 'String', DefaultValue: '{}' },
      ],
      Steps: [trainingSetStep, train, pinStep, evaluate, gate],
    };
  }

  /**
   * The bridge between the pipeline's callback step and the training-set job (JSONata): work out
   * the time split from WindowEnd, find the champion (lambdas/find-champion: the package the
   * endpoint serves, else the latest Approved one, with its source), run the job to completion, and
   * send the step its outputs or the failure.
   */
  private buildBridge(props: TrainingPipelineProps, noChampionKey: string): sfn.StateMachine {
    const stack = Stack.of(this);
    const job = props.trainingSetJob;
    const role = new iam.Role(this, 'BridgeRole', {
      assumedBy: new iam.ServicePrincipal('states.amazonaws.com'),
      description: `Runs the training-set job for ${props.modelName}'s pipeline and reports back to it`,
    });
    const executions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${Arn.split(job.stateMachine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const pipelineExecutions = this.executionsArn;
    const managedRule = stack.formatArn({ service: 'events', resource: 'rule', resourceName: 'StepFunctionsGetEventsForStepFunctionsExecutionRule' });
    const policy = new iam.ManagedPolicy(this, 'BridgePolicy', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({ sid: 'FindChampion', actions: perms.INVOKE_STEP_FUNCTION, resources: [this.championFunction.functionArn] }),
        new iam.PolicyStatement({ sid: 'ReportToPipeline', actions: perms.REPORT_CALLBACK, resources: [this.pipelineArn, pipelineExecutions] }),
        new iam.PolicyStatement({ sid: 'MarkNoChampion', actions: perms.S3_WRITE, resources: [props.lakeBucket.arnForObjects(noChampionKey)] }),
        new iam.PolicyStatement({ sid: 'UseLakeKey', actions: perms.KMS_ENCRYPT_DECRYPT, resources: [props.lakeKey.keyArn] }),
        new iam.PolicyStatement({ sid: 'RunTrainingSetJob', actions: ['states:StartExecution'], resources: [job.stateMachine.stateMachineArn] }),
        new iam.PolicyStatement({ sid: 'FollowTrainingSetJob', actions: perms.NESTED_EXECUTION, resources: [executions] }),
        new iam.PolicyStatement({ sid: 'WatchNestedExecution', actions: perms.NESTED_EXECUTION_EVENTS, resources: [managedRule] }),
        new iam.PolicyStatement({
          sid: 'DeliverExecutionLogs',
          actions: ['logs:CreateLogDelivery', 'logs:GetLogDelivery', 'logs:UpdateLogDelivery', 'logs:DeleteLogDelivery', 'logs:ListLogDeliveries', 'logs:PutResourcePolicy', 'logs:DescribeResourcePolicies', 'logs:DescribeLogGroups'],
          resources: ['*'],
        }),
        new iam.PolicyStatement({ sid: 'Trace', actions: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'], resources: ['*'] }),
      ],
    });
    acknowledgeFinding(policy, {
      rule: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Step Functions log delivery and X-Ray tracing calls accept no resource scoping (AWS documents Resource "*").',
      ...ACK,
    });
    for (const [resource, reason] of [
      [executions, 'Executions of the training-set job are named per pipeline run; describe and stop only.'],
      [pipelineExecutions, 'Callback answers go to the execution that sent the token; limited to this pipeline\'s executions.'],
    ] as const) {
      acknowledgeFinding(policy, { rule: wildcardResourceFinding(this, resource), reason, ...ACK });
    }

    const sdk = (service: string, action: string) => `arn:${Aws.PARTITION}:states:::aws-sdk:${service}:${action}`;
    const fail = { ErrorEquals: ['States.ALL'], Next: 'ReportFailure', Output: '{% $merge([$states.input, {"error": $states.errorOutput}]) %}' };
    const asl = {
      Comment: `Training set for ${props.modelName}'s pipeline: time split, champion, job, callback`,
      QueryLanguage: 'JSONata',
      StartAt: 'Split',
      States: {
        Split: {
          Type: 'Pass',
          Comment: 'Window [end - window, end), end = WindowEnd (or the start) less the label delay; holdout is the latest slice, validation the one before',
          Assign: {
            token: '{% $states.input.token %}',
            args: '{% $states.input.arguments %}',
            // labels of the last labelDelay have not all arrived: the window ends before them
            endMs:
              '{% $toMillis($states.input.arguments.windowEnd != "" ? $states.input.arguments.windowEnd : $states.context.Execution.StartTime) - $number($states.input.arguments.labelDelayMillis) %}',
          },
          Next: 'FindChampion',
        },
        FindChampion: {
          Type: 'Task',
          Comment: 'The package the endpoint serves (heaviest variant; ties: most recently approved), else the latest Approved one, with how it was chosen (lambdas/find-champion)',
          Resource: `arn:${Aws.PARTITION}:states:::lambda:invoke`,
          Arguments: { FunctionName: this.championFunction.functionArn, Payload: { execution: '{% $states.context.Execution.Name %}' } },
          Assign: {
            championArn: '{% $states.result.Payload.championArn %}',
            championUri: '{% $states.result.Payload.championUri %}',
            championSource: '{% $states.result.Payload.championSource %}',
            championReason: '{% $states.result.Payload.championReason %}',
          },
          Retry: [
            {
              ErrorEquals: ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException', 'ThrottlingException', 'States.Timeout'],
              MaxAttempts: 3,
              IntervalSeconds: 5,
              BackoffRate: 2,
            },
          ],
          Catch: [fail],
          Next: 'HasChampion',
        },
        HasChampion: {
          Type: 'Choice',
          Choices: [{ Condition: '{% $championArn != "none" %}', Next: 'BuildTrainingSet' }],
          Default: 'MarkNoChampion',
        },
        MarkNoChampion: {
          Type: 'Task',
          Comment: 'The evaluation step needs an input even without a champion: an empty marker',
          Resource: sdk('s3', 'putObject'),
          Arguments: { Bucket: props.lakeBucket.bucketName, Key: noChampionKey, Body: 'no champion' },
          Assign: { championUri: '{% $args.noChampionUri %}' },
          Catch: [fail],
          Next: 'BuildTrainingSet',
        },
        BuildTrainingSet: {
          Type: 'Task',
          Resource: `arn:${Aws.PARTITION}:states:::states:startExecution.sync:2`,
          Arguments: {
            StateMachineArn: job.stateMachine.stateMachineArn,
            Name: '{% $substring($args.modelPackageGroupName & "-" & $args.runId, 0, 80) %}',
            Input: {
              name: '{% $args.name %}',
              runId: '{% $args.runId %}',
              labels: '{% $parse($args.labels) %}',
              featureGroups: '{% $parse($args.featureGroups) %}',
              windowStart: '{% $fromMillis($endMs - $number($args.windowMillis)) %}',
              windowEnd: '{% $fromMillis($endMs) %}',
              split: {
                validationFrom: '{% $fromMillis($endMs - $number($args.holdoutMillis) - $number($args.validationMillis)) %}',
                holdoutFrom: '{% $fromMillis($endMs - $number($args.holdoutMillis)) %}',
              },
            },
          },
          Output: '{% $states.result.Output %}',
          Catch: [fail],
          Next: 'ReportSuccess',
        },
        ReportSuccess: {
          Type: 'Task',
          Resource: sdk('sagemaker', 'sendPipelineExecutionStepSuccess'),
          Arguments: {
            CallbackToken: '{% $token %}',
            OutputParameters: [
              { Name: 'trainUri', Value: '{% $states.input.trainingSetUri & "train/" %}' },
              { Name: 'validationUri', Value: '{% $states.input.trainingSetUri & "validation/" %}' },
              { Name: 'holdoutUri', Value: '{% $states.input.trainingSetUri & "holdout/" %}' },
              { Name: 'manifestUri', Value: '{% $states.input.manifestUri %}' },
              { Name: 'rowCount', Value: '{% $string($states.input.rowCount) %}' },
              { Name: 'championModelPackageArn', Value: '{% $championArn %}' },
              { Name: 'championModelUri', Value: '{% $championUri %}' },
              { Name: 'championSource', Value: '{% $championSource %}' },
              { Name: 'championReason', Value: '{% $championReason %}' },
            ],
          },
          Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 3, IntervalSeconds: 5, BackoffRate: 2 }],
          End: true,
        },
        ReportFailure: {
          Type: 'Task',
          Resource: sdk('sagemaker', 'sendPipelineExecutionStepFailure'),
          Arguments: {
            CallbackToken: '{% $token %}',
            FailureReason: '{% $substring("training set failed: " & $string($states.input.error), 0, 256) %}',
          },
          Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 3, IntervalSeconds: 5, BackoffRate: 2 }],
          Next: 'Failed',
        },
        Failed: { Type: 'Fail', Error: 'TrainingSetFailed', Cause: 'The training-set job or the champion lookup failed; the pipeline step was failed with the reason' },
      },
    };
    const logGroup = new logs.LogGroup(this, 'BridgeLogs', { encryptionKey: props.logsKey, retention: props.logRetention, removalPolicy: props.removalPolicy });
    const machine = new sfn.StateMachine(this, 'Bridge', {
      comment: asl.Comment,
      definitionBody: sfn.DefinitionBody.fromString(stack.toJsonString(asl)),
      role: role.withoutPolicyUpdates(),
      timeout: Duration.days(2),
      tracingEnabled: true,
      logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    machine.node.addDependency(policy);
    return machine;
  }

  private addAlarms(props: TrainingPipelineProps): void {
    const common = { alarmAction: props.alarmAction, runbookBaseUrl: props.runbookBaseUrl, subject: props.modelName };
    const S = TRAINING_STEPS;
    const period = Duration.minutes(5);
    const once = {
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    };
    const e = props.evaluation;
    const higher = HIGHER_IS_BETTER.has(e.primaryMetric);
    this.alarms.push(
      failureModeAlarm(this, 'TrainingFailed', 'training-failed', {
        ...common,
        description: `${this.pipelineName}: the training set, training, artifact pin or evaluation step failed (the execution's FailureReason says which), or the training-set bridge failed.`,
        metric: new cloudwatch.MathExpression({
          expression: 'FILL(ts, 0) + FILL(tr, 0) + FILL(pa, 0) + FILL(ev, 0) + FILL(br, 0)',
          usingMetrics: {
            ts: this.metric('StepFailed', S.trainingSet),
            tr: this.metric('StepFailed', S.train),
            pa: this.metric('StepFailed', S.pin),
            ev: this.metric('StepFailed', S.evaluate),
            br: this.bridge.metricFailed({ statistic: cloudwatch.Stats.SUM }),
          },
          period,
          label: 'Failed training steps',
        }),
        ...once,
      }),
      failureModeAlarm(this, 'EvaluationGateRejected', 'evaluation-gate-rejected', {
        ...common,
        description:
          `${this.pipelineName}: a retrained model was rejected by the evaluation gate and nothing was registered. ` +
          `Gate: ${e.primaryMetric} ${higher ? '>=' : '<='} ${e.floor} and within ${e.tolerance} of the champion. ` +
          `The execution's FailureReason reads "evaluation gate rejected: ${e.primaryMetric} <value> must be ... champion bar <bar> (champion <arn>, chosen as <served | latest-approved | none>, ...)".`,
        metric: this.metric('StepFailed', S.reject, { period }),
        ...once,
      }),
      failureModeAlarm(this, 'PipelineStuck', 'pipeline-stuck', {
        ...common,
        description: `${this.pipelineName}: an execution started but none finished within the stuck window, or a callback could not be delivered (dead-letter queue).`,
        metric: new cloudwatch.MathExpression({
          expression: 'MAX([FILL(started, 0) - FILL(succeeded, 0) - FILL(failed, 0) - FILL(stopped, 0), FILL(dlq, 0)])',
          usingMetrics: {
            started: this.metric('ExecutionStarted'),
            succeeded: this.metric('ExecutionSucceeded'),
            failed: this.metric('ExecutionFailed'),
            stopped: this.metric('ExecutionStopped'),
            dlq: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ statistic: cloudwatch.Stats.MAXIMUM }),
          },
          period: props.stuckAfter ?? defaultStuckAfter(props),
          label: 'Executions not finished in the window, or undelivered callbacks',
        }),
        ...once,
      }),
    );
  }
}

function defaultStuckAfter(props: TrainingPipelineProps): Duration {
  const longest = props.training.spot?.maxWait ?? props.training.maxRuntime;
  const hours = Math.ceil((2 * longest.toSeconds()) / 3600) + 6;
  // CloudWatch alarm periods above a day are not accepted.
  return Duration.hours(Math.min(hours, 24));
}

function validate(props: TrainingPipelineProps, where: string): void {
  const fail = (field: string, what: string) => {
    throw new PlinthError(`TrainingPipeline ${where}: ${field} ${what}`);
  };
  if (!NAME.test(props.trainingSet.name)) fail('trainingSet.name', `"${props.trainingSet.name}" must be lower-case letters, digits and hyphens`);
  if (props.trainingSet.featureGroups.length === 0) fail('trainingSet.featureGroups', 'is empty; name at least one feature group');
  const { window, holdout, validation } = props.trainingSet;
  if (holdout.toMilliseconds() <= 0 || validation.toMilliseconds() <= 0) fail('trainingSet.holdout/validation', 'must be longer than zero');
  const labelDelay = props.trainingSet.labelDelay;
  if (labelDelay !== undefined && labelDelay.toMilliseconds() > Duration.days(90).toMilliseconds()) {
    fail('trainingSet.labelDelay', `(${labelDelay.toHumanString()}) must be at most 90 days`);
  }
  if (holdout.toMilliseconds() + validation.toMilliseconds() >= window.toMilliseconds()) {
    fail('trainingSet.window', `(${window.toHumanString()}) must be longer than holdout + validation (${holdout.toHumanString()} + ${validation.toHumanString()}), so some data is left to train on`);
  }
  const instance = describeInstanceType(props.training.instanceType);
  if (typeof instance === 'string') fail('training.instanceType', `${instance}`);
  const count = props.training.instanceCount ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > 20) fail('training.instanceCount', `must be a whole number 1-20 (got ${count})`);
  const runtime = props.training.maxRuntime.toSeconds();
  if (runtime < 60 || runtime > 28 * 24 * 3600) fail('training.maxRuntime', 'must be between 1 minute and 28 days');
  if (props.training.spot && props.training.spot.maxWait.toSeconds() < runtime) {
    fail('training.spot.maxWait', `(${props.training.spot.maxWait.toHumanString()}) must be at least training.maxRuntime (${props.training.maxRuntime.toHumanString()})`);
  }
  const e = props.evaluation;
  const classification = CLASSIFICATION_METRICS.has(e.primaryMetric);
  if (classification !== (e.problemType === 'binary_classification')) {
    fail('evaluation.primaryMetric', `"${e.primaryMetric}" does not fit problemType "${e.problemType}"; use auc, precision or recall for binary_classification, mae or rmse for regression`);
  }
  if (e.tolerance < 0) fail('evaluation.tolerance', 'cannot be negative');
  if (classification && (e.floor < 0 || e.floor > 1)) fail('evaluation.floor', `must be 0-1 for ${e.primaryMetric}`);
  if (e.threshold !== undefined && (e.threshold <= 0 || e.threshold >= 1)) fail('evaluation.threshold', 'must be between 0 and 1');
  if (e.entrypoint && !e.image) fail('evaluation.entrypoint', 'only applies to your own evaluation.image');
  if (e.instanceType !== undefined) {
    const ev = describeInstanceType(e.instanceType);
    if (typeof ev === 'string') fail('evaluation.instanceType', ev);
  }
}
