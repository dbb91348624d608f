/**
 * Whether the local AWS emulator can run here. `plinth doctor` and `npm run local:deploy` both ask
 * this one function, so they cannot disagree.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

/** The one-line install printed when moto is missing. */
export const MOTO_INSTALL_HINT = "pip install 'moto[server]'";

/** A usable moto: the interpreter that has moto's server (and flask) installed. */
export interface MotoInstall {
  readonly python: string;
  /** How it was found, for messages: the `moto_server` script on PATH, or a `python3` that imports it. */
  readonly via: string;
}

function onPath(command: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return join(dir, command);
    } catch {
      // keep looking
    }
  }
  return undefined;
}

function importsMotoServer(python: string, env: NodeJS.ProcessEnv): boolean {
  const probe = spawnSync(python, ['-c', 'import moto.server, flask; print("ok")'], { encoding: 'utf8', env });
  return probe.status === 0 && probe.stdout.trim() === 'ok';
}

/**
 * The moto to run, or undefined. The interpreter of the `moto_server` script on PATH comes first
 * (its `#!` line: a virtualenv works), then `python3` and `python` on PATH; each must import
 * `moto.server` and `flask`, which is what the local deploy runs.
 */
export function findMoto(env: NodeJS.ProcessEnv = process.env): MotoInstall | undefined {
  const script = onPath('moto_server', env);
  if (script) {
    const shebang = /^#!\s*(\S+)/.exec(readFileSync(script, 'utf8').split('\n', 1)[0] ?? '')?.[1];
    if (shebang && !shebang.endsWith('/env') && importsMotoServer(shebang, env)) return { python: shebang, via: `moto_server on PATH (${script})` };
  }
  for (const python of ['python3', 'python']) {
    const found = onPath(python, env);
    if (found && importsMotoServer(found, env)) return { python: found, via: `${found} imports moto.server` };
  }
  return undefined;
}
