/**
 * Shared helper: run a private moto_server (https://github.com/getmoto/moto)
 * per test file, on a free port of 127.0.0.1.
 *
 *   describeWithMoto('my suite', (moto) => {
 *     it('...', async () => { new S3Client(motoClientConfig(moto.endpoint)) ... });
 *   });
 *
 * Without moto_server on PATH the suite is replaced by ONE test that logs
 * "SKIPPED: moto_server not installed (pip install 'moto[server]')" — unless
 * CI is set, in which case that test FAILS (CI machines must have moto).
 */

import { ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';

export const MOTO_REGION = 'us-east-1';
export const MOTO_CREDENTIALS = { accessKeyId: 'testing', secretAccessKey: 'testing', sessionToken: 'testing' };
export const SKIP_MESSAGE = "SKIPPED: moto_server not installed (pip install 'moto[server]')";

export interface MotoServer {
  /** http://localhost:<port> */
  endpoint: string;
  port: number;
  /** Wipe all moto state (POST /moto-api/reset). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** Is a `moto_server` executable on PATH? */
export function motoAvailable(): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, 'moto_server'), constants.X_OK);
      return true;
    } catch {
      // keep looking
    }
  }
  return false;
}

/** Client config for any AWS SDK v3 client pointed at moto. */
export function motoClientConfig(endpoint: string): {
  endpoint: string;
  region: string;
  credentials: typeof MOTO_CREDENTIALS;
  forcePathStyle: boolean;
} {
  return { endpoint, region: MOTO_REGION, credentials: MOTO_CREDENTIALS, forcePathStyle: true };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

function httpStatus(port: number, method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort if a worker exits without running afterAll: never leak moto processes.
  process.on('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      live.delete(child);
      resolve();
      return;
    }
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(killTimer);
      live.delete(child);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function startOnce(timeoutMs: number): Promise<MotoServer> {
  const port = await freePort();
  const child = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: MOTO_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: MOTO_CREDENTIALS.secretAccessKey,
      AWS_DEFAULT_REGION: MOTO_REGION,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  installExitHook();
  live.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited) throw new Error(`moto_server exited during startup on port ${port}: ${stderr}`);
    try {
      await httpStatus(port, 'GET', '/moto-api/');
      break;
    } catch {
      if (Date.now() > deadline) {
        await stopChild(child);
        throw new Error(`moto_server did not answer on port ${port} within ${timeoutMs} ms: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    endpoint: `http://localhost:${port}`,
    port,
    reset: async () => {
      const status = await httpStatus(port, 'POST', '/moto-api/reset');
      if (status >= 300) throw new Error(`moto reset failed with HTTP ${status}`);
    },
    stop: () => stopChild(child),
  };
}

/** Spawn moto_server on a free port and wait until it answers HTTP. Retries twice (port races). */
export async function startMoto(timeoutMs = 30_000): Promise<MotoServer> {
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(timeoutMs);
    } catch (err) {
      lastErr = err;
    }
  }
  throw lastErr;
}

export interface MotoHandle {
  /** Valid inside tests and hooks (after beforeAll). */
  readonly endpoint: string;
  readonly server: MotoServer;
}

/**
 * describe() with a moto_server started in beforeAll and always stopped in
 * afterAll (also when tests fail).
 */
export function describeWithMoto(name: string, fn: (moto: MotoHandle) => void): void {
  if (!motoAvailable()) {
    describe(name, () => {
      it('requires moto_server', () => {
        // GIVEN moto_server is not on PATH
        // WHEN the suite is collected
        // THEN it is skipped loudly locally, and fails on CI
        // eslint-disable-next-line no-console
        console.warn(`${SKIP_MESSAGE} — suite "${name}"`);
        if (process.env.CI) {
          throw new Error("moto_server is required on CI (CI is set) but is not on PATH: pip install 'moto[server]'");
        }
      });
    });
    return;
  }
  describe(name, () => {
    let server: MotoServer | undefined;
    const handle: MotoHandle = {
      get endpoint(): string {
        if (!server) throw new Error('moto_server is not running (beforeAll failed?)');
        return server.endpoint;
      },
      get server(): MotoServer {
        if (!server) throw new Error('moto_server is not running (beforeAll failed?)');
        return server;
      },
    };
    beforeAll(async () => {
      server = await startMoto();
    }, 60_000);
    afterAll(async () => {
      await server?.stop();
      server = undefined;
    }, 30_000);
    fn(handle);
  });
}
