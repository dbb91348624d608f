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
