// Runs TypeScript under Node: `node -r ./scripts/ts-register.js bin/plinth.ts` (the CDK app, see
// cdk.json). Each .ts file is transpiled on require by the local esbuild, one file at a time and
// without type checking (as `ts-node/register/transpile-only` did; `npm run typecheck` checks
// types), and the output is cached by the file's content in node_modules/.cache/plinth-ts, so an
// unchanged file is not transpiled again. Source maps are inline and Node applies them, so stack
// traces (the construct creation traces in validation-report.json too) name the .ts lines.
//
// Why: profiling the bare synth showed TypeScript's transpiler, and the source-map-support that
// ts-node installs, taking about a third of its CPU (docs/performance.md).
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const path = require('path');

const CACHE_DIRECTORY = path.join(__dirname, '..', 'node_modules', '.cache', 'plinth-ts');

// The settings of tsconfig.json that change the emitted JavaScript (target ES2022: class fields
// are defined, not assigned). esbuild transpiles each file alone, as `isolatedModules` requires.
const TRANSFORM_OPTIONS = {
  loader: 'ts',
  format: 'cjs',
  target: 'es2022',
  sourcemap: 'inline',
  tsconfigRaw: { compilerOptions: { useDefineForClassFields: true, esModuleInterop: true, verbatimModuleSyntax: false } },
};

let esbuild;
let cacheKeyPrefix;

function keyPrefix() {
  if (cacheKeyPrefix === undefined) {
    const version = JSON.parse(fs.readFileSync(require.resolve('esbuild/package.json'), 'utf8')).version;
    cacheKeyPrefix = `plinth-ts/1\0${version}\0${JSON.stringify(TRANSFORM_OPTIONS)}\0`;
  }
  return cacheKeyPrefix;
}

function transpile(source, filename) {
  const key = crypto.createHash('sha256').update(keyPrefix()).update(filename).update('\0').update(source).digest('hex');
  const cached = path.join(CACHE_DIRECTORY, key.slice(0, 2), `${key}.js`);
  try {
    return fs.readFileSync(cached, 'utf8');
  } catch {
    // Not cached yet.
  }
  esbuild ??= require('esbuild');
  const { code } = esbuild.transformSync(source, { ...TRANSFORM_OPTIONS, sourcefile: filename });
  const staging = `${cached}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(cached), { recursive: true });
    fs.writeFileSync(staging, code);
    fs.renameSync(staging, cached);
  } catch {
    // A cache that cannot be written only costs the next run a transpile.
    fs.rmSync(staging, { force: true });
  }
  return code;
}

process.setSourceMapsEnabled(true);

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  module._compile(transpile(fs.readFileSync(filename, 'utf8'), filename), filename);
};
