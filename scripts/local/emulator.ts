/**
 * The local AWS emulator: moto_server (through scripts/local/moto_emulator.py, which reports the
 * resources moto cannot create) on 127.0.0.1, on a free port, stopped on exit.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { INSTANCE_FAMILIES } from '../../lib/inference/instance-types';

export { MOTO_INSTALL_HINT } from '../../cli/moto';

/** Credentials moto accepts; they grant nothing anywhere else. */
export const EMULATOR_CREDENTIALS = { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' } as const;

const SKIP_MARKER = 'PLINTH_EMULATOR_SKIP ';
const UNIMPLEMENTED_MARKER = 'PLINTH_EMULATOR_UNIMPLEMENTED ';
const LAUNCHER = join(__dirname, 'moto_emulator.py');

/** A resource moto's CloudFormation could not create, as the launcher reported it. */
export interface EmulatorSkip {
  readonly logicalId: string;
  readonly type: string;
  readonly reason: string;
}

export interface RunningEmulator {
  /** http://localhost:PORT: the SDKs are pointed at localhost, not 127.0.0.1. */
  readonly endpoint: string;
  readonly port: number;
  /** Resources skipped so far, in the order moto reported them. */
  readonly skips: () => readonly EmulatorSkip[];
  /** API actions called so far that moto does not implement, e.g. "sagemaker UpdateEndpoint". */
  readonly unimplemented: () => readonly string[];
  stop(): Promise<void>;
}

/** Starts the emulator and waits until it answers; throws if it does not within `timeoutMs`. */
export async function startEmulator(python: string, options: { logFile?: string; timeoutMs?: number } = {}): Promise<RunningEmulator> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const log = options.logFile ? createWriteStream(options.logFile) : undefined;
  const port = await freePort();
  const child = spawn(python, [LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
    env: { ...process.env, ...EMULATOR_CREDENTIALS, PLINTH_EMULATOR_INSTANCE_TYPES: plinthInstanceTypes().join(',') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stopOnExit = (): void => void child.kill('SIGKILL');
  process.once('exit', stopOnExit);

  const skips: EmulatorSkip[] = [];
  const unimplemented: string[] = [];
  let stderrTail = '';
  let pending = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    const text = pending + chunk.toString();
    const lines = text.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      const at = line.indexOf(SKIP_MARKER);
      log?.write(`${line}\n`);
      const gap = line.indexOf(UNIMPLEMENTED_MARKER);
      if (at >= 0) skips.push(JSON.parse(line.slice(at + SKIP_MARKER.length)) as EmulatorSkip);
      else if (gap >= 0) {
        const { service, action } = JSON.parse(line.slice(gap + UNIMPLEMENTED_MARKER.length)) as { service: string; action: string };
        unimplemented.push(`${service} ${action}`);
      } else stderrTail = `${stderrTail}${line}\n`.slice(-4000);
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let hasExited = false;
  void exited.then(() => {
    hasExited = true;
  });

  const stop = async (): Promise<void> => {
    process.removeListener('exit', stopOnExit);
    if (hasExited) return;
    const forceKill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.kill('SIGTERM');
    await exited;
    clearTimeout(forceKill);
    log?.end();
  };

  const deadline = Date.now() + timeoutMs;
  while (!(await answers(port))) {
    if (hasExited || Date.now() > deadline) {
      await stop();
      throw new Error(`moto_server did not start on 127.0.0.1:${port}: ${stderrTail.trim().split('\n').slice(-3).join(' | ')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { endpoint: `http://localhost:${port}`, port, skips: () => [...skips], unimplemented: () => [...unimplemented], stop };
}

/** The child process's environment for AWS calls against the emulator: no profile, fake keys. */
export function emulatorEnvironment(endpoint: string, region: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base, ...EMULATOR_CREDENTIALS, AWS_ENDPOINT_URL: endpoint, AWS_REGION: region, AWS_DEFAULT_REGION: region };
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;
  return env;
}

/** Every instance type Plinth accepts at synth, e.g. ml.g5.xlarge. */
export function plinthInstanceTypes(): string[] {
  return Object.entries(INSTANCE_FAMILIES).flatMap(([family, info]) => Object.keys(info.gpus).map((size) => `ml.${family}.${size}`));
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/moto-api/', timeout: 1_000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 500);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port on 127.0.0.1'))));
    });
  });
}
