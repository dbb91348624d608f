import { DescribeStacksCommand, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { type AwsCallContext, controlPlaneClients } from './connection';

export interface StackResourceSummary {
  readonly logicalId: string;
  readonly physicalId: string;
  readonly type: string;
  readonly status: string;
}

/** ListStackResources, every page. */
export async function listStackResources(context: AwsCallContext, stackName: string): Promise<StackResourceSummary[]> {
  const all: StackResourceSummary[] = [];
  for await (const page of paginateListStackResources({ client: controlPlaneClients(context).cloudFormation }, { StackName: stackName })) {
    for (const summary of page.StackResourceSummaries ?? []) {
      all.push({
        logicalId: summary.LogicalResourceId ?? '',
        physicalId: summary.PhysicalResourceId ?? '',
        type: summary.ResourceType ?? '',
        status: summary.ResourceStatus ?? '',
      });
    }
  }
  return all;
}

/** DescribeStacks for one stack: its status, or undefined when it does not exist. */
export async function stackStatus(context: AwsCallContext, stackName: string): Promise<string | undefined> {
  try {
    const described = await controlPlaneClients(context).cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    return described.Stacks?.[0]?.StackStatus;
  } catch (error) {
    if (error instanceof Error && /does not exist/.test(error.message)) return undefined;
    throw error;
  }
}
