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

  describe('installed JavaScript with a V8 code cache', () => {
    // `run` starts node with no V8 options: the key's options hash is that of none.
    const NO_OPTIONS = crypto.createHash('sha256').update('').digest('hex').slice(0, 12);
    const CODE_CACHE = path.join(ROOT, 'node_modules', '.cache', 'plinth-v8', `2-${process.version}-${process.arch}-${NO_OPTIONS}`);
    const entryOf = (file: string, content: string) => {
      const key = crypto.createHash('sha256').update(file).update('\0').update(content).digest('hex');
      return path.join(CODE_CACHE, key.slice(0, 2), `${key}.bin`);
    };

    /** A package in its own node_modules, and an entry file outside it that loads the package. */
    function fixture(marker: string) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-v8-cache-'));
      const pkg = path.join(dir, 'node_modules', 'fixture-pkg');
      fs.mkdirSync(pkg, { recursive: true });
      const moduleFile = path.join(pkg, 'index.js');
      const moduleSource = [
        "'use strict';",
        `exports.marker = '${marker}';`,
        'exports.context = { thisIsExports: this === module.exports, filename: __filename, dirname: __dirname, resolved: require.resolve("./index.js"), mainIsEntry: require.main === process.mainModule, cached: require.cache[__filename] === module };',
        'exports.fail = () => { throw new Error("from the package"); };',
        'exports.calls = 0; exports.count = () => { exports.calls += 1; return exports.calls; };',
        '',
      ].join('\n');
      fs.writeFileSync(moduleFile, moduleSource);
      const entry = path.join(dir, 'entry.js');
      fs.writeFileSync(entry, "const p = require('fixture-pkg'); p.count(); console.log(JSON.stringify({ marker: p.marker, context: p.context })); p.fail();\n");
      return { moduleFile, moduleSource, entry, expected: { thisIsExports: true, filename: moduleFile, dirname: pkg, resolved: moduleFile, mainIsEntry: true, cached: true } };
    }

    test('runs the module as Node does, caches its compiled code, and uses the cache the next time', () => {
      const marker = crypto.randomUUID();
      const { moduleFile, moduleSource, entry, expected } = fixture(marker);
      const cacheEntry = entryOf(moduleFile, moduleSource);
      // ... and where plain Node puts the package's error
      const plain = spawnSync(process.execPath, [entry], { cwd: ROOT, encoding: 'utf8' });
      const plainFrame = /at exports\.fail \((.*index\.js:\d+:\d+)\)/.exec(plain.stderr)?.[1];
      expect(plainFrame).toBe(`${moduleFile}:4:30`);
      // WHEN run twice
      const first = run(entry);
      expect(fs.existsSync(cacheEntry)).toBe(true);
      const second = run(entry);
      // THEN the module saw what Node gives a module, both times ...
      for (const result of [first, second]) {
        expect(JSON.parse(result.stdout.trim())).toEqual({ marker, context: expected });
        // ... and its error names the package file, line and column
        expect(result.stderr).toContain(`at exports.fail (${plainFrame})`);
      }
      // ... and the entry V8 accepted stays
      expect(fs.existsSync(cacheEntry)).toBe(true);
    });

    test("an error on a module's first line names the same column as plain Node (the wrapper does not shift it)", () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-v8-cache-'));
      const pkg = path.join(dir, 'node_modules', 'one-line-pkg');
      fs.mkdirSync(pkg, { recursive: true });
      const moduleFile = path.join(pkg, 'index.js');
      // A minified package: everything on line 1.
      fs.writeFileSync(moduleFile, `exports.marker='${crypto.randomUUID()}';exports.fail=function(){throw new Error("line one")};`);
      const entry = path.join(dir, 'entry.js');
      fs.writeFileSync(entry, "require('one-line-pkg').fail();\n");
      const frame = (stderr: string) => /at (?:Object\.|exports\.)?fail \((.*index\.js:\d+:\d+)\)/.exec(stderr)?.[1];
      const plain = frame(spawnSync(process.execPath, [entry], { cwd: ROOT, encoding: 'utf8' }).stderr);
      expect(plain).toMatch(/index\.js:1:\d+$/);
      // compiled, then from the cache
      expect(frame(run(entry).stderr)).toBe(plain);
      expect(frame(run(entry).stderr)).toBe(plain);
    });

    test('the cache is written when the process exits, so it holds the functions the run called, and a later run uses it', () => {
      const { moduleFile, moduleSource, entry } = fixture(crypto.randomUUID());
      const cacheEntry = entryOf(moduleFile, moduleSource);
      const first = run(entry);
      expect(first.stdout).not.toBe('');
      // The entry of a cache taken at load would hold the module's top level only; taken at exit it
      // also holds the functions the run compiled (count, fail): compare with V8's own load-time cache.
      const vm = require('vm') as typeof import('vm');
      const atLoad = new vm.Script(`(function (exports, require, module, __filename, __dirname) { ${moduleSource}\n})`, { filename: moduleFile }).createCachedData();
      expect(fs.statSync(cacheEntry).size).toBeGreaterThan(atLoad.length);
      // and the next run takes it: no entry is written again
      const written = fs.statSync(cacheEntry).mtimeMs;
      const second = run(entry);
      expect(second.stdout).toBe(first.stdout);
      expect(fs.statSync(cacheEntry).mtimeMs).toBe(written);
    });

    test('a changed module is compiled again, and a corrupted cache entry is dropped, not trusted', () => {
      const { moduleFile, moduleSource, entry, expected } = fixture(crypto.randomUUID());
      run(entry);
      // a changed module: its new content is what runs
      const changedMarker = crypto.randomUUID();
      const changed = moduleSource.replace(/exports\.marker = '[^']*'/, `exports.marker = '${changedMarker}'`);
      fs.writeFileSync(moduleFile, changed);
      expect(JSON.parse(run(entry).stdout.trim())).toEqual({ marker: changedMarker, context: expected });
      // a corrupted entry for the current content: the module still runs, and the entry is replaced
      // by one V8 accepts (the next run does not write it again)
      const cacheEntry = entryOf(moduleFile, changed);
      const garbage = crypto.randomBytes(4096);
      fs.writeFileSync(cacheEntry, garbage);
      expect(JSON.parse(run(entry).stdout.trim())).toEqual({ marker: changedMarker, context: expected });
      expect(fs.readFileSync(cacheEntry).equals(garbage)).toBe(false);
      const rewritten = fs.statSync(cacheEntry).mtimeMs;
      expect(JSON.parse(run(entry).stdout.trim())).toEqual({ marker: changedMarker, context: expected });
      expect(fs.statSync(cacheEntry).mtimeMs).toBe(rewritten);
    });
  });
});
