/** IAM actions the feature store grants, in one place. */
export const FEATURE_WRITE = ['sagemaker:PutRecord', 'sagemaker:DeleteRecord', 'sagemaker:DescribeFeatureGroup'];
export const FEATURE_READ = ['sagemaker:GetRecord', 'sagemaker:BatchGetRecord', 'sagemaker:DescribeFeatureGroup'];
export const KMS_USE = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'];
/** What SageMaker needs to write the offline store and register it in the Glue catalog. */
export const OFFLINE_STORE_S3 = ['s3:PutObject', 's3:GetObject', 's3:GetBucketAcl', 's3:PutObjectAcl'];
export const OFFLINE_STORE_GLUE = ['glue:GetTable', 'glue:UpdateTable', 'glue:CreateTable', 'glue:GetDatabase', 'glue:CreateDatabase', 'glue:BatchCreatePartition', 'glue:CreatePartition'];
