// The hand-written log writer Plinth's Lambdas used before Powertools (lambdas/shared/runtime.ts).
// Kept only as the reference test/lambdas/shared/runtime.test.ts compares Powertools' output with.
/**
 * Structured JSON logs, one object per line on stdout, shared by Plinth's Lambdas.
 *
 * Written with process.stdout.write (not console.log) so the Lambda runtime does not prefix the
 * line: CloudWatch Logs Insights parses it directly, and EMF metric lines written through the same
 * writer are recognised as metrics.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LineWriter = (line: string) => void;
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** One function's log output: a logger, a raw line writer (for EMF), and a test hook. */
export interface StructuredLog {
  readonly logger: Logger;
  log(level: LogLevel, msg: string, fields?: LogFields): void;
  writeLine(line: string): void;
  /** Redirect log and EMF output (tests). Pass undefined to restore stdout. */
  setOutput(writer: LineWriter | undefined): void;
}

const stdout: LineWriter = (line) => {
  process.stdout.write(`${line}\n`);
};

function safeStringify(obj: LogFields): string {
  try {
    return JSON.stringify(obj);
  } catch {
    return JSON.stringify({ level: obj.level, msg: obj.msg, note: 'log fields were not serialisable' });
  }
}

/** Creates the log output of one service (`plinth-ingest`, ...). No I/O happens until a line is written. */
export function structuredLog(service: string): StructuredLog {
  let writer = stdout;
  const writeLine = (line: string): void => writer(line);
  const log = (level: LogLevel, msg: string, fields: LogFields = {}): void =>
    writeLine(safeStringify({ level, msg, service, timestamp: new Date().toISOString(), ...fields }));
  return {
    log,
    writeLine,
    setOutput: (w) => {
      writer = w ?? stdout;
    },
    logger: {
      debug: (msg, fields) => log('debug', msg, fields),
      info: (msg, fields) => log('info', msg, fields),
      warn: (msg, fields) => log('warn', msg, fields),
      error: (msg, fields) => log('error', msg, fields),
    },
  };
}
