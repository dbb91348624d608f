import { structuredLog } from '../shared/structured-log';

export type { LogLevel } from '../shared/structured-log';

/**
 * The gateway's logs and EMF lines (metrics.ts writes through writeLine). Callers never log feature
 * values (they may be personal data): only field names, rules and error kinds.
 */
export const { log, logger, writeLine, setOutput } = structuredLog('plinth-infer');

/** Error summary safe to log: name, message (truncated), HTTP status when the SDK gives one. */
export function describeError(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const meta = (err as { $metadata?: { httpStatusCode?: number } }).$metadata;
    return {
      errorName: err.name,
      errorMessage: err.message.slice(0, 300),
      ...(meta?.httpStatusCode !== undefined ? { httpStatus: meta.httpStatusCode } : {}),
    };
  }
  return { errorName: typeof err, errorMessage: String(err).slice(0, 300) };
}
