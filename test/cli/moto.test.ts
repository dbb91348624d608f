/** One answer to "can the local deploy run here?", shared by plinth doctor and npm run local:deploy. */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { toolchainChecks, localToolchain } from '../../cli/commands/doctor';
import { findMoto } from '../../cli/moto';

function pathWithMotoServer(shebang: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-path-'));
  writeFileSync(join(dir, 'moto_server'), `#!${shebang}\nprint("moto")\n`);
  chmodSync(join(dir, 'moto_server'), 0o755);
  return dir;
}

const realPython = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
const realPythonHasMoto = spawnSync(realPython, ['-c', 'import moto.server, flask'], { encoding: 'utf8' }).status === 0;

describe('findMoto', () => {
  test('a moto_server on PATH whose interpreter cannot import moto is not moto: doctor warns, as the local deploy skips', () => {
    // GIVEN moto_server on PATH, but its interpreter (/bin/sh here) has no moto, and no python3 on PATH
    const env = { PATH: pathWithMotoServer('/bin/sh') };
    expect(findMoto(env)).toBeUndefined();
    // THEN doctor reports what the local deploy will do (both ask findMoto)
    const check = toolchainChecks({ ...localToolchain, moto: () => findMoto(env) }).find((c) => c.check === 'moto_server');
    expect(check).toMatchObject({ status: 'warn', detail: expect.stringContaining('npm start skips the local deploy') });
  });

  test('the interpreter named by moto_server\'s #! line is the one used (a virtualenv works)', () => {
    const dir = pathWithMotoServer(realPython);
    const found = findMoto({ PATH: dir });
    expect(found === undefined).toBe(!realPythonHasMoto);
    if (found) expect(found).toEqual({ python: realPython, via: `moto_server on PATH (${join(dir, 'moto_server')})` });
  });

  test('doctor and the local deploy both call findMoto (no second probe of their own)', () => {
    const deploy = readFileSync(join(__dirname, '..', '..', 'scripts', 'local', 'local-deploy.ts'), 'utf8');
    const doctor = readFileSync(join(__dirname, '..', '..', 'cli', 'commands', 'doctor.ts'), 'utf8');
    for (const source of [deploy, doctor]) {
      expect(source).toContain('findMoto()');
      expect(source).not.toMatch(/import moto|onPath\('moto_server'\)/);
    }
  });
});
