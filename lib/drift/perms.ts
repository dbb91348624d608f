/** IAM actions of the drift job, in one place (the lake's own S3, Glue, KMS and Athena lists are in ../data-lake/perms). */

/** Listing the capture bucket, so a missing baseline reads as NoSuchKey instead of AccessDenied. */
export const S3_LIST_BUCKET = ['s3:ListBucket'];
/** Reading a finished query's bin counts. */
export const ATHENA_READ_RESULTS = ['athena:GetQueryResults', 'athena:GetQueryExecution'];
/** The job running the window's query in its workgroup. */
export const ATHENA_RUN_QUERY = ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:StopQueryExecution', 'athena:GetWorkGroup'];
/** The schedule starting the job. */
export const STATES_START = ['states:StartExecution'];
/** The job invoking its two functions. */
export const LAMBDA_INVOKE = ['lambda:InvokeFunction'];
/** Step Functions delivering execution logs to CloudWatch Logs (AWS allows no resource scoping). */
export const SFN_LOG_DELIVERY = [
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
];
/** X-Ray tracing of the job (AWS allows no resource scoping). */
export const XRAY_TRACE = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'];
/** Counting the endpoint's requests in a window without enough capture (GetMetricData accepts no resource scoping). */
export const CLOUDWATCH_READ_METRICS = ['cloudwatch:GetMetricData'];
/** drift-query, with servedModel: the endpoint's config in service, the model a variant serves and its package tag. */
export const DESCRIBE_ENDPOINT = ['sagemaker:DescribeEndpoint'];
export const DESCRIBE_ENDPOINT_CONFIG = ['sagemaker:DescribeEndpointConfig'];
export const DESCRIBE_MODEL = ['sagemaker:DescribeModel', 'sagemaker:ListTags'];
