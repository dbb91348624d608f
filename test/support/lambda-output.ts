/**
 * Captures what a Lambda writes to stdout and stderr (Powertools Logger writes warn/error to
 * stderr, info/debug and EMF to stdout), one entry per line, while `fn` runs.
 */
/**
 * Replaces stdout/stderr writes: JSON lines (logs, EMF) go to `lines`; anything else (a Node
 * warning from a library, for instance) still reaches the terminal.
 */
function spyStreams(lines: string[], tee?: string[] | ((line: string) => void)): { out: jest.SpyInstance; err: jest.SpyInstance } {
  const spy = (stream: NodeJS.WriteStream): jest.SpyInstance => {
    const original = stream.write.bind(stream) as (chunk: string) => boolean;
    return jest.spyOn(stream, 'write').mockImplementation(((chunk: unknown): boolean => {
      const text = String(chunk);
      const other: string[] = [];
      for (const line of text.split('\n')) {
        if (line.length === 0) continue;
        if (line.startsWith('{')) {
          lines.push(line);
          if (typeof tee === 'function') tee(line);
          else tee?.push(line);
        } else other.push(line);
      }
      if (other.length > 0) original(`${other.join('\n')}\n`);
      return true;
    }) as never);
  };
  return { out: spy(process.stdout), err: spy(process.stderr) };
}

export function captureOutput(fn: () => void): string[] {
  const lines: string[] = [];
  const { out, err } = spyStreams(lines);
  try {
    fn();
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return lines;
}

/** Like {@link captureOutput} for async work; returns the result and the lines. */
export async function captureOutputAsync<T>(fn: () => Promise<T>): Promise<{ result: T; lines: string[] }> {
  const lines: string[] = [];
  const { out, err } = spyStreams(lines);
  try {
    const result = await fn();
    return { result, lines };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

/** The lines that parse as JSON objects, parsed. */
export function jsonLines(lines: readonly string[]): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of lines) {
    try {
      const value: unknown = JSON.parse(line);
      if (typeof value === 'object' && value !== null) out.push(value as Record<string, unknown>);
    } catch {
      // not a JSON line
    }
  }
  return out;
}

/** EMF documents among the lines. */
export function emfDocuments(lines: readonly string[]): Record<string, unknown>[] {
  return jsonLines(lines).filter((d) => typeof d._aws === 'object');
}

/** Log lines (JSON with `msg`) among the lines. */
export function logLines(lines: readonly string[]): Record<string, unknown>[] {
  return jsonLines(lines).filter((d) => typeof d.msg === 'string' && d._aws === undefined);
}

/**
 * Starts capturing stdout/stderr lines (for a beforeEach); `stop()` restores the streams (afterEach).
 * `tee` also receives every line (an array, or a function such as `(l) => current.push(l)`).
 * Jest's own reporter does not write through these streams while a test runs.
 */
export function startCapture(tee?: string[] | ((line: string) => void)): { lines: string[]; stop(): void } {
  const lines: string[] = [];
  const { out, err } = spyStreams(lines, tee);
  return {
    lines,
    stop: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}
