/**
 * AWS SDK clients of the review Lambdas, created lazily on first use (no I/O
 * at module load) and reused across invocations. Endpoints and region come
 * from the standard SDK settings; tests inject their own clients with
 * setReviewClients().
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';

/** In-SDK retries (standard mode, exponential backoff with jitter). */
export const SDK_MAX_ATTEMPTS = 3;

export interface ReviewClients {
  /** Document client (plain JS values) over the DynamoDB client. */
  ddb: DynamoDBDocumentClient;
  s3: S3Client;
}

export interface ReviewClientOverrides {
  dynamodb?: DynamoDBClient;
  s3?: S3Client;
}

let overrides: ReviewClientOverrides = {};
let cachedDdb: DynamoDBDocumentClient | undefined;
let cachedS3: S3Client | undefined;

function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertEmptyValues: false },
  });
}

export function getReviewClients(): ReviewClients {
  cachedDdb ??= documentClient(overrides.dynamodb ?? new DynamoDBClient({ maxAttempts: SDK_MAX_ATTEMPTS }));
  cachedS3 ??= overrides.s3 ?? new S3Client({ maxAttempts: SDK_MAX_ATTEMPTS });
  return { ddb: cachedDdb, s3: cachedS3 };
}

/** Test hook: use these clients (the DynamoDB one is wrapped in a document client). */
export function setReviewClients(clients: ReviewClientOverrides): void {
  overrides = { ...clients };
  cachedDdb = undefined;
  cachedS3 = undefined;
}

/** Test hook: drop injected and cached clients. */
export function resetReviewClients(): void {
  setReviewClients({});
}
