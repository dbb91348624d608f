/** IAM action lists of lib/storage's constructs. */

/** Run a query in a workgroup, follow it and read its results. */
export const ATHENA_QUERY = [
  'athena:StartQueryExecution',
  'athena:GetQueryExecution',
  'athena:GetQueryResults',
  'athena:StopQueryExecution',
  'athena:GetWorkGroup',
];
