/** IAM action lists of the quality job. */

export const QUALITY_READ_RESULTS = ['athena:GetQueryResults', 'athena:GetQueryExecution'];
export const QUALITY_RUN_QUERY = ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:StopQueryExecution', 'athena:GetWorkGroup'];
/** ListModelPackages takes no resource; DescribeModelPackage is scoped to the model's packages. */
export const QUALITY_LIST_PACKAGES = ['sagemaker:ListModelPackages'];
export const QUALITY_DESCRIBE_PACKAGE = ['sagemaker:DescribeModelPackage'];
/** GetMetricData accepts no resource scoping. */
export const QUALITY_READ_METRICS = ['cloudwatch:GetMetricData'];
