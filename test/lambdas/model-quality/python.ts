/**
 * The independent side of the statistics tests: numpy/scipy in a python3 child process.
 * The script reads JSON on stdin and prints JSON on stdout.
 */
import { execFileSync } from 'node:child_process';

export function python<T>(script: string, input: unknown): T {
  const out = execFileSync('python3', ['-c', script], { input: JSON.stringify(input), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out) as T;
}
