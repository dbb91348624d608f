// Jest's Node environment, plus one CloudFormation validator engine per jest worker process.
//
// Jest gives each test file its own module registry, so each file that synthesizes through the
// gate would start its own validator engine: on these machines 3 to 4 s of CPU and about 180 MB
// of fresh memory per file, for some 40 files. This environment loads one more copy of
// lib/compliance/validator-engine.ts itself, outside every test file's registry, once per jest
// worker process, and offers it to every test file under the key that module reads
// (`VALIDATOR_ENGINE_HOST`). The gate's validator in every file then validates on that copy's
// engine, in a worker thread, as the main job does (see `validatorEngineHosted` in
// lib/compliance/validator-engine.ts). Only the engine is shared: every file still builds and
// synthesizes its own Apps, and the findings are the engine's answer for each template.
//
// A test file that needs the process to itself (it counts engine starts, or compares the
// in-process engine with the worker) opts out with a `@jest-environment node` docblock.
'use strict';

const fs = require('fs');
const Module = require('module');
const path = require('path');
const { TestEnvironment } = require('jest-environment-node');

const ENGINE_SOURCE = path.join(__dirname, '..', '..', 'lib', 'compliance', 'validator-engine.ts');

let host;

/** The host's copy of validator-engine.ts: transpiled by the local esbuild, loaded as a plain CommonJS module. */
function engineHost() {
  if (host) return host;
  const { code } = require('esbuild').transformSync(fs.readFileSync(ENGINE_SOURCE, 'utf8'), {
    loader: 'ts',
    format: 'cjs',
    target: 'node20',
    sourcefile: ENGINE_SOURCE,
  });
  const copy = new Module(ENGINE_SOURCE, module);
  copy.filename = ENGINE_SOURCE;
  copy.paths = Module._nodeModulePaths(path.dirname(ENGINE_SOURCE));
  copy._compile(code, ENGINE_SOURCE);
  host = copy.exports;
  if (typeof host.startValidatorEngine !== 'function' || typeof host.VALIDATOR_ENGINE_HOST !== 'symbol') {
    throw new Error(`${ENGINE_SOURCE} no longer exports startValidatorEngine and VALIDATOR_ENGINE_HOST`);
  }
  return host;
}

class ValidatorEngineHostEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    const shared = engineHost();
    this.global[shared.VALIDATOR_ENGINE_HOST] = shared;
  }
}

module.exports = ValidatorEngineHostEnvironment;
