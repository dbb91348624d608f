/**
 * Where and as whom the CLI and the local deploy call AWS. Credentials and region come from the
 * SDK's own resolution chain (so AWS_PROFILE, AWS_REGION and the rest behave as for any SDK call),
 * and AWS_ENDPOINT_URL redirects every service, as it does for the SDK.
 */
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';

export interface AwsCallContext {
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Overrides https://SERVICE.REGION.amazonaws.com, e.g. from AWS_ENDPOINT_URL. */
  readonly endpoint?: string;
}

/** Resolves credentials and region the way the SDK does (AWS_PROFILE, AWS_REGION, SSO, IMDS...). */
export async function resolveCallContext(env: NodeJS.ProcessEnv = process.env): Promise<AwsCallContext> {
  const client = new SQSClient({});
  try {
    const credentials = await client.config.credentials();
    const region = await client.config.region();
    return { region, credentials, endpoint: env.AWS_ENDPOINT_URL?.trim() || undefined };
  } finally {
    client.destroy();
  }
}

/** SDK client settings for `context`, plus any client-specific ones. */
export function clientSettings(context: AwsCallContext, extra: Record<string, unknown> = {}) {
  return { region: context.region, credentials: context.credentials, maxAttempts: 3, ...(context.endpoint ? { endpoint: context.endpoint } : {}), ...extra };
}

/** The SDK clients of the APIs the CLI reads outside the data plane, one set per context. */
export interface ControlPlaneClients {
  readonly cloudFormation: CloudFormationClient;
  readonly cloudWatch: CloudWatchClient;
  readonly sts: STSClient;
  readonly lambda: LambdaClient;
}

const clientsByContext = new WeakMap<AwsCallContext, ControlPlaneClients>();

export function controlPlaneClients(context: AwsCallContext): ControlPlaneClients {
  let clients = clientsByContext.get(context);
  if (!clients) {
    const settings = clientSettings(context);
    clients = {
      cloudFormation: new CloudFormationClient(settings),
      cloudWatch: new CloudWatchClient(settings),
      sts: new STSClient(settings),
      lambda: new LambdaClient(settings),
    };
    clientsByContext.set(context, clients);
  }
  return clients;
}
