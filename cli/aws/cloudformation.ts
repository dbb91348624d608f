import { type AwsCallContext, queryCall, xmlMembers, xmlValue } from './signed-request';

const VERSION = '2010-05-15';

export interface StackResourceSummary {
  readonly logicalId: string;
  readonly physicalId: string;
  readonly type: string;
  readonly status: string;
}

/** ListStackResources, every page. */
export async function listStackResources(context: AwsCallContext, stackName: string): Promise<StackResourceSummary[]> {
  const all: StackResourceSummary[] = [];
  let nextToken: string | undefined;
  do {
    const xml = await queryCall(context, 'cloudformation', VERSION, 'ListStackResources', {
      StackName: stackName,
      ...(nextToken ? { NextToken: nextToken } : {}),
    });
    for (const member of xmlMembers(xml, 'StackResourceSummaries')) {
      all.push({
        logicalId: xmlValue(member, 'LogicalResourceId') ?? '',
        physicalId: xmlValue(member, 'PhysicalResourceId') ?? '',
        type: xmlValue(member, 'ResourceType') ?? '',
        status: xmlValue(member, 'ResourceStatus') ?? '',
      });
    }
    nextToken = xmlValue(xml, 'NextToken');
  } while (nextToken);
  return all;
}

/** DescribeStacks for one stack: its status, or undefined when it does not exist. */
export async function stackStatus(context: AwsCallContext, stackName: string): Promise<string | undefined> {
  try {
    const xml = await queryCall(context, 'cloudformation', VERSION, 'DescribeStacks', { StackName: stackName });
    return xmlValue(xml, 'StackStatus');
  } catch (error) {
    if (error instanceof Error && /does not exist/.test(error.message)) return undefined;
    throw error;
  }
}
