/**
 * The review Lambdas' DynamoDB document client, constructed once at module scope (region and
 * endpoint come from the standard SDK settings, resolved on first use). review-api builds its own
 * S3 client; intake and expiry do not load S3 at all.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** In-SDK retries (standard mode, exponential backoff with jitter). */
export const SDK_MAX_ATTEMPTS = 3;

/** Document client (plain JS values) over a DynamoDB client, with the review table's marshalling. */
export function reviewDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false } });
}

/** The one document client of the function. */
export const ddb: DynamoDBDocumentClient = reviewDocumentClient(new DynamoDBClient({ maxAttempts: SDK_MAX_ATTEMPTS }));
