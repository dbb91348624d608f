import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const REGISTER = path.join(ROOT, 'scripts', 'ts-register.js');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'plinth-ts');

function run(file: string) {
  return spawnSync(process.execPath, ['-r', REGISTER, file], { cwd: ROOT, encoding: 'utf8' });
}

/** The cached transpiled files that contain `marker`. */
function cachedWith(marker: string): string[] {
  if (!fs.existsSync(CACHE)) return [];
  return fs
    .readdirSync(CACHE, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(CACHE, f))
    .filter((f) => f.endsWith('.js') && fs.readFileSync(f, 'utf8').includes(marker));
}

describe('scripts/ts-register.js (the CDK app loader)', () => {
  test('runs TypeScript with class fields defined as tsconfig target ES2022 does, and names .ts lines in stack traces', () => {
    // GIVEN a TypeScript file unique to this run
    const marker = crypto.randomUUID();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-ts-register-'));
    const file = path.join(dir, 'fixture.ts');
    fs.writeFileSync(
      file,
      [
        `const marker: string = '${marker}';`,
        'class Base { set value(v: number) { throw new Error(`setter ran with ${v}`); } }',
        'class Defined extends Base { value = 1 as number; }',
        'interface Shape { readonly kind: string }',
        "const shape: Shape = { kind: 'ok' };",
        'console.log(JSON.stringify({ marker, kind: shape.kind, value: new Defined().value }));',
        "throw new Error('boom');",
        '',
      ].join('\n'),
    );
    // WHEN
    const first = run(file);
    // THEN: a field defines its own property (the base class's setter does not run) ...
    expect(JSON.parse(first.stdout.trim())).toEqual({ marker, kind: 'ok', value: 1 });
    // ... and the error's trace names the TypeScript file and line
    expect(first.status).not.toBe(0);
    expect(first.stderr).toContain(`${file}:7`);
    // ... and the transpiled output is cached, and used the next time to the same effect
    expect(cachedWith(marker)).toHaveLength(1);
    const second = run(file);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).toContain(`${file}:7`);
  });

  test('a changed file is transpiled again', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-ts-register-'));
    const file = path.join(dir, 'changing.ts');
    const before = crypto.randomUUID();
    const after = crypto.randomUUID();
    fs.writeFileSync(file, `const v: string = '${before}'; console.log(v);\n`);
    expect(run(file).stdout.trim()).toBe(before);
    fs.writeFileSync(file, `const v: string = '${after}'; console.log(v);\n`);
    expect(run(file).stdout.trim()).toBe(after);
  });
});
