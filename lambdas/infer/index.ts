/**
 * Lambda entry point of the inference gateway (function URL, IAM auth,
 * payload format 2.0). Module load does no I/O: configuration and AWS clients
 * are created on the first invocation. See gateway.ts for the request flow,
 * config.ts for the environment contract, breaker.ts for the circuit breaker
 * and response.ts for the response contract.
 */

import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { handleRequest } from './gateway';

export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  return handleRequest(event);
}
