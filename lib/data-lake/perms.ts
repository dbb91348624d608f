/** IAM actions granted by the data lake, in one place. */

export const S3_READ_OBJECT = ['s3:GetObject', 's3:GetObjectVersion'];
export const S3_WRITE_OBJECT = ['s3:PutObject', 's3:AbortMultipartUpload'];
export const S3_LIST = ['s3:ListBucket', 's3:GetBucketLocation'];

export const KMS_DECRYPT = ['kms:Decrypt', 'kms:DescribeKey'];
/** SSE-KMS reads need Decrypt; writes need GenerateDataKey (S3, SQS) and Encrypt (small payloads). */
export const KMS_ENCRYPT_DECRYPT = ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'];

export const SQS_CONSUME = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'];

export const SSM_READ_PARAMETER = ['ssm:GetParameter'];
export const EVENTS_PUT = ['events:PutEvents'];


/** Lake Formation table permissions for the named roles. */
export const LF_TABLE_READ = ['SELECT', 'DESCRIBE'];
export const LF_TABLE_WRITE = ['SELECT', 'INSERT', 'DELETE', 'DESCRIBE', 'ALTER'];

/** What an Athena user of the workgroup needs besides Lake Formation table grants (the workgroup's own list). */
export { ATHENA_QUERY } from '../storage/perms';
export const GLUE_CATALOG_READ = ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartition', 'glue:GetPartitions'];
export const LAKEFORMATION_DATA_ACCESS = ['lakeformation:GetDataAccess'];
