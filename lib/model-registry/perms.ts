/** IAM actions of the model registry and the promotion workflow, in one place. */

/** What registering a model version needs. */
export const REGISTER_MODEL = ['sagemaker:CreateModelPackage'];
/** Reading the registry. */
export const READ_REGISTRY = [
  'sagemaker:DescribeModelPackage',
  'sagemaker:DescribeModelPackageGroup',
  'sagemaker:ListModelPackages',
];
/** Changing a version's approval status (and its description). */
export const APPROVE_MODEL = ['sagemaker:UpdateModelPackage'];
/** What an approver must never do: register or remove versions. */
export const REGISTRY_WRITES = [
  'sagemaker:CreateModelPackage',
  'sagemaker:CreateModelPackageGroup',
  'sagemaker:DeleteModelPackage',
  'sagemaker:DeleteModelPackageGroup',
];
/** Another account reading a group to promote its approved versions. */
export const CROSS_ACCOUNT_READ = ['sagemaker:DescribeModelPackageGroup', 'sagemaker:DescribeModelPackage', 'sagemaker:ListModelPackages'];

export const ARTIFACT_READ = ['s3:GetObject', 's3:GetObjectVersion'];
export const ARTIFACT_WRITE = ['s3:PutObject', 's3:AbortMultipartUpload'];
export const KMS_USE = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'];

/** What the deployment workflow needs, besides the registry and artifact lists above. */
/** The approval rule sending to the deployment queue (the only sender its policy allows). */
export const DEPLOYMENT_QUEUE_SEND = ['sqs:SendMessage'];
/** Reading an approved package. */
export const DESCRIBE_PACKAGE = ['sagemaker:DescribeModelPackage'];
/** Creating the versioned model and endpoint config of a rollout, and tagging them. */
export const CREATE_VERSIONED_MODEL = ['sagemaker:CreateModel', 'sagemaker:DescribeModel', 'sagemaker:CreateEndpointConfig', 'sagemaker:AddTags', 'sagemaker:ListTags'];
/** Reading the endpoint's current config, to copy it. */
export const READ_ENDPOINT_CONFIG = ['sagemaker:DescribeEndpointConfig', 'sagemaker:ListTags'];
/** Rolling the endpoint onto a new config (blue/green canary). */
export const UPDATE_ENDPOINT = ['sagemaker:DescribeEndpoint', 'sagemaker:UpdateEndpoint'];
/** Rolling an inference component onto a new model (rolling update). */
export const UPDATE_INFERENCE_COMPONENT = ['sagemaker:DescribeInferenceComponent', 'sagemaker:UpdateInferenceComponent'];
/** Handing the models' role to SageMaker. */
export const PASS_ROLE = ['iam:PassRole'];
/** Encrypting endpoint volumes with the models key (SageMaker takes a grant). */
export const KMS_ENDPOINT_VOLUMES = ['kms:CreateGrant', 'kms:DescribeKey', 'kms:Decrypt', 'kms:GenerateDataKey'];
/** Recording deployment decisions on the default bus. */
export const EVENTS_PUT = ['events:PutEvents'];
/** Notifying the alarm topic of failures. */
export const SNS_PUBLISH = ['sns:Publish'];
