/**
 * Running a Lambda handler in this process against the emulator: the handler's module-scope SDK
 * clients are routed to clients configured for the emulator (path-style S3, endpoint, credentials),
 * and the handler's log lines (Powertools, on stdout/stderr) are collected for the smoke report.
 */

interface Sender {
  send(...args: never[]): Promise<unknown>;
}

/** Sends every command of `from` through `to` until the returned function is called. */
export function routeClient<C extends Sender>(from: C, to: C): () => void {
  const target = from as unknown as { send: (...args: unknown[]) => Promise<unknown> };
  const own = Object.prototype.hasOwnProperty.call(target, 'send') ? target.send : undefined;
  target.send = (...args: unknown[]) => (to as unknown as { send: (...a: unknown[]) => Promise<unknown> }).send(...args);
  return () => {
    if (own) target.send = own;
    else delete (target as { send?: unknown }).send;
  };
}

/** Collects the JSON lines written to stdout/stderr into `lines` (other output passes through) until `stop()`. */
export function collectLogLines(lines: string[]): { stop(): void } {
  const streams = [process.stdout, process.stderr];
  const originals = streams.map((s) => s.write);
  streams.forEach((stream, i) => {
    const original = originals[i]!.bind(stream) as (chunk: string) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
      const other: string[] = [];
      for (const line of String(chunk).split('\n')) {
        if (line.startsWith('{')) lines.push(line);
        else if (line.length > 0) other.push(line);
      }
      if (other.length > 0) original(`${other.join('\n')}\n`);
      const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
      callback?.();
      return true;
    }) as typeof stream.write;
  });
  return {
    stop: () =>
      streams.forEach((stream, i) => {
        stream.write = originals[i]!;
      }),
  };
}
