import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack, Stage } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { applyComplianceGate } from '../../lib/compliance/compliance-gate';
import { readPluginReports } from '../../lib/compliance/validation-report';
import {
  backgroundValidatorEngine,
  startValidatorEngine,
  stopValidatorEngine,
  VALIDATOR_ENGINE_HOST,
  validatorEngineHosted,
  ValidatorEngineError,
} from '../../lib/compliance/validator-engine';
import { traceInProcessEngineStarts } from '../support/engine-trace';
import { newApp, TEST_ENV } from '../support/gate';

// The test files' shared validator engine (test/support/validator-engine-host-environment.js and
// `validatorEngineHosted` in lib/compliance/validator-engine.ts): one engine per jest worker
// process, in a worker thread, instead of one in-process engine per test file.

const ROOT = path.join(__dirname, '..', '..');

// A trace of the in-process engine in this file's registry. With the host, there must be none.
const inProcess = traceInProcessEngineStarts();

interface Host {
  startValidatorEngine: typeof startValidatorEngine;
  backgroundValidatorEngine: typeof backgroundValidatorEngine;
}
const offered = () => (globalThis as Record<symbol, unknown>)[VALIDATOR_ENGINE_HOST] as Host | undefined;

describe('the validator engine shared by the test files of a jest worker', () => {
  test("is offered to this file as a copy of the module loaded outside this file's registry", () => {
    const host = offered();
    expect(host).toBeDefined();
    expect(typeof host?.startValidatorEngine).toBe('function');
    expect(host?.startValidatorEngine).not.toBe(startValidatorEngine);
    expect(validatorEngineHosted()).toBe(true);
  });

  test("validates the gate's templates on the host's engine, never in-process, with the engine's findings", () => {
    // GIVEN an App through the gate, from an empty cache, with a property CloudFormation does not have in each stage
    const app = newApp({ validator: true });
    applyComplianceGate(app, { templateCheckCache: fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-engine-host-cache-')), nagPacks: false, plinthRules: false, controlTower: false });
    for (const env of ['dev', 'prod']) new s3.CfnBucket(new Stack(new Stage(app, env, { env: TEST_ENV }), 'S'), 'Odd').addPropertyOverride('NotAProperty', true);
    // WHEN it is synthesized
    const reports = readPluginReports(app.synth().directory);
    // THEN the validator's finding is there for both stages
    const f3002 = reports
      .filter((r) => r.pluginName === 'CloudFormation Validate')
      .flatMap((r) => r.violations.filter((v) => v.ruleName === 'F3002').flatMap((v) => v.violatingConstructs.map((c) => c.constructPath)));
    expect(f3002.sort()).toEqual(['dev/S/Odd', 'prod/S/Odd']);
    // ... found by the host's engine in its worker thread, started once, and not by one in this registry
    const worker = backgroundValidatorEngine();
    expect(worker).toBeDefined();
    expect(worker).toBe(offered()?.backgroundValidatorEngine());
    expect(worker?.engineStarts).toBe(1);
    expect(inProcess.starts).toBe(0);
  });

  test("another registry of this file finds the same engine, and stopping it from a test file leaves it running", () => {
    const worker = startValidatorEngine();
    jest.isolateModules(() => {
      const again = require('../../lib/compliance/validator-engine') as typeof import('../../lib/compliance/validator-engine');
      expect(again.startValidatorEngine).not.toBe(startValidatorEngine);
      expect(again.backgroundValidatorEngine()).toBe(worker);
      again.stopValidatorEngine();
    });
    stopValidatorEngine();
    expect(worker.usable).toBe(true);
    expect(backgroundValidatorEngine()).toBe(worker);
  });

  test('something else offered under the key fails loudly instead of validating nowhere', () => {
    const saved = offered();
    (globalThis as Record<symbol, unknown>)[VALIDATOR_ENGINE_HOST] = { startValidatorEngine: 'not a function' };
    try {
      expect(() => backgroundValidatorEngine()).toThrow(ValidatorEngineError);
      expect(() => validatorEngineHosted()).toThrow(/is not a copy of lib\/compliance\/validator-engine/);
    } finally {
      (globalThis as Record<symbol, unknown>)[VALIDATOR_ENGINE_HOST] = saved;
    }
  });

  test('two test files in one jest worker validate on one engine', () => {
    // Two fixture files, each validating a template on its own registry's startValidatorEngine, in
    // a jest of their own (one worker). In jest's plain environment (`--env node`) the same two
    // files start two engines, in two worker threads.
    const run = (environment: string[]) => {
      const trace = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-engine-host-trace-')), 'trace.jsonl');
      execFileSync(
        process.execPath,
        [path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js'), '--runInBand', '--ci', '--testMatch', '**/engine-host-fixtures/*.fixture.ts', ...environment],
        { cwd: ROOT, env: { ...process.env, PLINTH_ENGINE_HOST_TRACE: trace }, stdio: 'pipe' },
      );
      return fs
        .readFileSync(trace, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { file: string; threadId: number; engineStarts: number; rules: string[] });
    };
    const shared = run([]);
    expect(shared.map((t) => t.file).sort()).toEqual(['first', 'second']);
    expect(shared.every((t) => t.rules.includes('F3002'))).toBe(true);
    expect(new Set(shared.map((t) => t.threadId)).size).toBe(1);
    expect(shared.map((t) => t.engineStarts)).toEqual([1, 1]);
  }, 120_000);
});
