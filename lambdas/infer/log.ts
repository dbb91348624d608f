/**
 * Structured JSON logs, one object per line on stdout.
 *
 * Written with process.stdout.write (not console.log) so the Lambda runtime
 * does not prefix the line: CloudWatch Logs Insights parses it directly, and
 * the EMF lines of metrics.ts (which share this writer) are recognised as
 * metrics. Callers never log feature values (they may be personal data): only
 * field names, rules and error kinds.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

type LineWriter = (line: string) => void;

const defaultWriter: LineWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

let writer: LineWriter = defaultWriter;

/** Redirect log/EMF output (tests). Pass undefined to restore stdout. */
export function setOutput(w: LineWriter | undefined): void {
  writer = w ?? defaultWriter;
}

export function writeLine(line: string): void {
  writer(line);
}

function safeStringify(obj: Record<string, unknown>): string {
  try {
    return JSON.stringify(obj);
  } catch {
    return JSON.stringify({ level: obj.level, msg: obj.msg, note: 'log fields were not serialisable' });
  }
}

export function log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
  writeLine(safeStringify({ level, msg, service: 'plinth-infer', timestamp: new Date().toISOString(), ...fields }));
}

export const logger = {
  debug: (msg: string, fields?: Record<string, unknown>) => log('debug', msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => log('info', msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => log('warn', msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => log('error', msg, fields),
};

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
