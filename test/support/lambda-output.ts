/**
 * Captures what a Lambda writes to stdout and stderr (Powertools Logger writes warn/error to
 * stderr, info/debug and EMF to stdout), one entry per line, while `fn` runs.
 */
export function captureOutput(fn: () => void): string[] {
  const lines: string[] = [];
  const grab = (chunk: unknown): boolean => {
    lines.push(...String(chunk).split('\n').filter((l) => l.length > 0));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(grab as never);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(grab as never);
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
  const grab = (chunk: unknown): boolean => {
    lines.push(...String(chunk).split('\n').filter((l) => l.length > 0));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(grab as never);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(grab as never);
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
 * Jest's own reporter does not write through these streams while a test runs.
 */
export function startCapture(): { lines: string[]; stop(): void } {
  const lines: string[] = [];
  const grab = (chunk: unknown): boolean => {
    lines.push(...String(chunk).split('\n').filter((l) => l.length > 0));
    return true;
  };
  const out = jest.spyOn(process.stdout, 'write').mockImplementation(grab as never);
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(grab as never);
  return {
    lines,
    stop: () => {
      out.mockRestore();
      err.mockRestore();
    },
  };
}
