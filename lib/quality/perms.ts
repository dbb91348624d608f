/** IAM action lists of the quality job. */

export const QUALITY_READ_RESULTS = ['athena:GetQueryResults', 'athena:GetQueryExecution'];
export const QUALITY_RUN_QUERY = ['athena:StartQueryExecution', 'athena:GetQueryExecution', 'athena:StopQueryExecution', 'athena:GetWorkGroup'];
/**
 * Which package each variant serves (the endpoint's current config, its models and their
 * plinth:model-package tag) is the endpoint's grant: `IInferenceEndpoint.grantReadServedModels`.
 * DescribeModelPackage is scoped to the model's packages.
 */
export const QUALITY_DESCRIBE_PACKAGE = ['sagemaker:DescribeModelPackage'];
/** GetMetricData accepts no resource scoping. */
export const QUALITY_READ_METRICS = ['cloudwatch:GetMetricData'];
