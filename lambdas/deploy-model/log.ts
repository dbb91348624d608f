/**
 * Structured JSON logs, one object per line on stdout (no Powertools: cold start).
 *
 * Written with process.stdout.write (not console.log) so the Lambda runtime
 * does not prefix the line and CloudWatch Logs Insights parses it directly.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

type LineWriter = (line: string) => void;

const defaultWriter: LineWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

let writer: LineWriter = defaultWriter;

/** Redirect log output (tests). Pass undefined to restore stdout. */
export function setLogOutput(w: LineWriter | undefined): void {
  writer = w ?? defaultWriter;
}

function safeStringify(obj: Record<string, unknown>): string {
  try {
    return JSON.stringify(obj);
  } catch {
    return JSON.stringify({ level: obj.level, msg: obj.msg, note: 'log fields were not serialisable' });
  }
}

export function log(level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void {
  writer(safeStringify({ level, msg, service: 'plinth-deploy-model', timestamp: new Date().toISOString(), ...fields }));
}

export const logger = {
  debug: (msg: string, fields?: Record<string, unknown>) => log('debug', msg, fields),
  info: (msg: string, fields?: Record<string, unknown>) => log('info', msg, fields),
  warn: (msg: string, fields?: Record<string, unknown>) => log('warn', msg, fields),
  error: (msg: string, fields?: Record<string, unknown>) => log('error', msg, fields),
};
