/**
 * What every Plinth Lambda needs to know about an AWS SDK v3 error: its HTTP status, its message,
 * and whether a retry may succeed (throttling, 5xx, timeouts, dropped connections). Each handler
 * adds its own classes on top (deploy-model: conflict/not-found; ingest: object gone).
 */

/** Error names the SDK and the services use for throttling, timeouts and server-side failures. */
export const TRANSIENT_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'SlowDown',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'InternalServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
]);

/** Node network error codes: the connection, not the request, failed. */
export const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

export interface SdkLikeError {
  name?: unknown;
  code?: unknown;
  message?: unknown;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** HTTP status of an AWS SDK v3 service error, if any. */
export function httpStatusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const status = (err as SdkLikeError).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** The error's message, whatever was thrown. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null && typeof (err as SdkLikeError).message === 'string') {
    return (err as { message: string }).message;
  }
  return String(err);
}

/** The error's name, or '' when it has none. */
export function nameOf(err: unknown): string {
  if (typeof err !== 'object' || err === null) return '';
  const name = (err as SdkLikeError).name;
  return typeof name === 'string' ? name : '';
}

/** True when a retry may succeed: the SDK says so, a 5xx or 429, a throttling or timeout name, or a network error. */
export function isTransientAwsError(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const e = err as SdkLikeError;
  if (e.$retryable) return true;
  const status = httpStatusOf(err);
  if (status !== undefined && (status >= 500 || status === 429)) return true;
  if (TRANSIENT_ERROR_NAMES.has(nameOf(err))) return true;
  return typeof e.code === 'string' && TRANSIENT_NETWORK_CODES.has(e.code);
}
