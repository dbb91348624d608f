/** IAM actions of the training pipeline, in one place. */

/** What the pipeline's role does to run its steps. */
export const RUN_TRAINING_JOB = ['sagemaker:CreateTrainingJob', 'sagemaker:DescribeTrainingJob', 'sagemaker:StopTrainingJob'];
export const RUN_PROCESSING_JOB = ['sagemaker:CreateProcessingJob', 'sagemaker:DescribeProcessingJob', 'sagemaker:StopProcessingJob'];
export const TAG_JOBS = ['sagemaker:AddTags'];
/** The register step. */
export const REGISTER_MODEL = ['sagemaker:CreateModelPackage'];
/** The PinArtifact step: SageMaker invokes its function as the pipeline's role. */
export const INVOKE_STEP_FUNCTION = ['lambda:InvokeFunction'];
/**
 * The champion lookup (lambdas/find-champion): the latest Approved package of the group, and the
 * champion's artifact. Which package the endpoint serves is the endpoint's grant
 * (`IInferenceEndpoint.grantReadServedModels`: DescribeEndpoint, DescribeEndpointConfig,
 * DescribeModel, ListTags).
 */
export const LIST_PACKAGES = ['sagemaker:ListModelPackages'];
export const DESCRIBE_PACKAGE = ['sagemaker:DescribeModelPackage'];
/** The training-set bridge: run the champion lookup, report back to the pipeline. */
export const REPORT_CALLBACK = ['sagemaker:SendPipelineExecutionStepSuccess', 'sagemaker:SendPipelineExecutionStepFailure'];
/** Who may start the pipeline (retrain-trigger, the data-scientist role). */
export const START_PIPELINE = ['sagemaker:StartPipelineExecution'];
export const READ_PIPELINE = ['sagemaker:DescribePipeline', 'sagemaker:ListPipelineExecutions', 'sagemaker:DescribePipelineExecution', 'sagemaker:ListPipelineExecutionSteps'];

/** Pulling images. */
export const ECR_TOKEN = ['ecr:GetAuthorizationToken'];
export const ECR_PULL = ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'];

/** SageMaker jobs in a VPC create and remove their own network interfaces. */
export const SAGEMAKER_VPC = [
  'ec2:CreateNetworkInterface',
  'ec2:CreateNetworkInterfacePermission',
  'ec2:DeleteNetworkInterface',
  'ec2:DeleteNetworkInterfacePermission',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeVpcs',
  'ec2:DescribeDhcpOptions',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
];
export const JOB_LOGS = ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'];

export const S3_READ = ['s3:GetObject', 's3:GetObjectVersion'];
export const S3_WRITE = ['s3:PutObject', 's3:AbortMultipartUpload'];
export const S3_LIST = ['s3:ListBucket'];
export const KMS_DECRYPT = ['kms:Decrypt', 'kms:DescribeKey'];
/** SageMaker jobs encrypt volumes and outputs with grants on the key. */
export const KMS_JOB = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey', 'kms:CreateGrant'];
export const KMS_ENCRYPT_DECRYPT = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'];

/** `startExecution.sync:2` from a state machine: the nested execution and the managed rule that watches it. */
export const NESTED_EXECUTION_EVENTS = ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'];
export const NESTED_EXECUTION = ['states:DescribeExecution', 'states:StopExecution'];
export const EVENTS_PUT = ['events:PutEvents'];
