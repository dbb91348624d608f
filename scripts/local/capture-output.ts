/**
 * What a Lambda handler run in this process writes (Powertools Logger: info/debug and EMF on
 * stdout, warn/error on stderr), collected line by line while `run` runs, instead of printed.
 * The smoke test reads the handler's last error from it.
 */
export async function captureOutput<T>(lines: string[], run: () => Promise<T>): Promise<T> {
  const out = process.stdout.write;
  const err = process.stderr.write;
  const grab = ((chunk: unknown) => {
    lines.push(...String(chunk).split('\n').filter((l) => l.length > 0));
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = grab;
  process.stderr.write = grab;
  try {
    return await run();
  } finally {
    process.stdout.write = out;
    process.stderr.write = err;
  }
}
