/** IAM actions the feature capability grants, in one place. */
export const FEATURE_PUT = ['sagemaker:PutRecord'];
export const FEATURE_READ_ONLINE = ['sagemaker:BatchGetRecord', 'sagemaker:GetRecord'];
/** Step Functions log delivery and X-Ray: AWS documents Resource "*" for these. */
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
export const SFN_TRACING = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords', 'xray:GetSamplingRules', 'xray:GetSamplingTargets'];
/** A Distributed Map runs its items as child executions of its own state machine. */
export const SFN_DISTRIBUTED_MAP = ['states:StartExecution', 'states:DescribeExecution', 'states:StopExecution'];
/** Running a query in the job's workgroup (the .sync integration polls and may stop it). */
export const ATHENA_RUN = ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:StopQueryExecution', 'athena:GetWorkGroup'];
