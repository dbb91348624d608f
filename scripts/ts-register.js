// Runs TypeScript under Node: `node -r ./scripts/ts-register.js bin/plinth.ts` (the CDK app, see
// cdk.json). Each .ts file is transpiled on require by the local esbuild, one file at a time and
// without type checking (as `ts-node/register/transpile-only` did; `npm run typecheck` checks
// types), and the output is cached by the file's content in node_modules/.cache/plinth-ts, so an
// unchanged file is not transpiled again. Source maps are inline and Node applies them, so stack
// traces (the construct creation traces in validation-report.json too) name the .ts lines.
//
// Why: profiling the bare synth showed TypeScript's transpiler, and the source-map-support that
// ts-node installs, taking about a third of its CPU (docs/performance.md).
//
// The installed JavaScript (node_modules: aws-cdk-lib alone is about 1,000 modules and 30 MB the
// app loads) is compiled by V8 with a code cache: the compiled code of each module is kept in
// node_modules/.cache/plinth-v8, keyed by the Node version, the V8 options, the file and its
// content, so the next run deserializes it instead of compiling the source again. The cache of a
// module is taken when the process exits, not when the module is loaded: it then holds every
// function the run compiled (a function is compiled when first called), not only the module's top
// level, which saves about 0.5 s of CPU per main job (docs/performance.md, eighth session); the
// run that writes the cache pays about 0.6 s for it, once. The module is run as Node runs it
// (same wrapper parameters, `this`, require; its lines and columns unchanged); V8 itself refuses
// cached code that does not fit, and the source is then compiled as usual and its entry written
// again.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const Module = require('module');
const path = require('path');
const vm = require('vm');

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

/** Writes a cache entry aside and renames it, so a parallel process never reads half of one. */
function writeAside(file, data) {
  const staging = `${file}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(staging, data);
    fs.renameSync(staging, file);
  } catch {
    // A cache that cannot be written only costs the next run a transpile or a compile.
    try {
      fs.rmSync(staging, { force: true });
    } catch {
      // nothing was written
    }
  }
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
  writeAside(cached, code);
  return code;
}

process.setSourceMapsEnabled(true);

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  module._compile(transpile(fs.readFileSync(filename, 'utf8'), filename), filename);
};

// ---------------------------------------------------------------- code cache for node_modules

// The options V8 was started with are part of the key: V8 refuses code cached under other flags,
// and runs with different options (the app's, a test's plain node) would otherwise replace each
// other's entries.
const V8_OPTIONS = crypto.createHash('sha256').update(process.execArgv.filter((a) => a.startsWith('--')).join('\0')).digest('hex').slice(0, 12);
const CODE_CACHE_DIRECTORY = path.join(__dirname, '..', 'node_modules', '.cache', 'plinth-v8', `2-${process.version}-${process.arch}-${V8_OPTIONS}`);
const WRAPPER_PARAMETERS = ['exports', 'require', 'module', '__filename', '__dirname'];
/** Node's CommonJS wrapper, on the module's first line: the column offset below keeps that line's columns. */
const WRAPPER_START = `(function (${WRAPPER_PARAMETERS.join(', ')}) { `;
const WRAPPER_END = '\n})';
const IN_NODE_MODULES = `${path.sep}node_modules${path.sep}`;
const compileUncached = Module.prototype._compile;

/** `require` for `module`, as Node makes it (Module.createRequire's shape, bound to the loading module). */
function requireFor(module) {
  const require = function require(id) {
    return module.require(id);
  };
  require.resolve = function resolve(request, options) {
    return Module._resolveFilename(request, module, false, options);
  };
  require.resolve.paths = function paths(request) {
    return Module._resolveLookupPaths(request, module);
  };
  require.main = process.mainModule;
  require.extensions = Module._extensions;
  require.cache = Module._cache;
  return require;
}

/** Modules compiled without a usable cache entry in this process: their entries are written at exit. */
const toCache = [];

Module.prototype._compile = function compileWithCodeCache(content, filename) {
  if (
    !filename.endsWith('.js') ||
    !filename.includes(IN_NODE_MODULES) ||
    content.startsWith('#!') ||
    typeof vm.constants?.USE_MAIN_CONTEXT_DEFAULT_LOADER !== 'symbol'
  ) {
    return compileUncached.call(this, content, filename);
  }
  const key = crypto.createHash('sha256').update(filename).update('\0').update(content).digest('hex');
  const cached = path.join(CODE_CACHE_DIRECTORY, key.slice(0, 2), `${key}.bin`);
  let cachedData;
  try {
    cachedData = fs.readFileSync(cached);
  } catch {
    // Not cached yet.
  }
  const script = new vm.Script(`${WRAPPER_START}${content}${WRAPPER_END}`, {
    filename,
    columnOffset: -WRAPPER_START.length,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  if (cachedData === undefined || script.cachedDataRejected) toCache.push({ script, cached });
  const compiled = script.runInThisContext({ displayErrors: true });
  return compiled.call(this.exports, this.exports, requireFor(this), this, filename, path.dirname(filename));
};

process.once('exit', () => {
  for (const { script, cached } of toCache.splice(0)) writeAside(cached, script.createCachedData());
});
