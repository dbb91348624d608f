/**
 * @jest-environment node
 *
 * Jest's plain environment, without the shared validator engine of the others
 * (test/support/validator-engine-host-environment.js): this file starts, stops and counts the
 * process's engines itself.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack, Stage } from 'aws-cdk-lib';
import type { App, IPolicyValidationContext } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { loadEnvironments } from '../../config';
import { applyComplianceGate } from '../../lib/compliance/compliance-gate';
import { assertPassingVerdict, synthesizeThroughGate } from '../../lib/compliance/enforce-gate';
import { CachedCloudFormationValidator, validatorEngineStartLog } from '../../lib/compliance/template-checks';
import { readPluginReports } from '../../lib/compliance/validation-report';
import { backgroundValidatorEngine, startValidatorEngine, stopValidatorEngine } from '../../lib/compliance/validator-engine';
import { PlatformStage } from '../../lib/platform/platform-stage';
import { traceInProcessEngineStarts, validatorEngineModule } from '../support/engine-trace';
import { newApp, TEST_ENV } from '../support/gate';

// A trace of the CloudFormation validator's engine, installed before anything in this file synthesizes.
const trace = traceInProcessEngineStarts();

const F3002 = (app: App) =>
  readPluginReports(app.synth().directory)
    .filter((r) => r.pluginName === 'CloudFormation Validate')
    .flatMap((r) => r.violations.filter((v) => v.ruleName === 'F3002').flatMap((v) => v.violatingConstructs.map((c) => c.constructPath)));

/** An App through the gate, each stage with its own resource types and one property CloudFormation does not have. */
function gatedApp(cacheDirectory: string | false, build: (stack: Stack) => void): App {
  const app = newApp({ validator: true });
  applyComplianceGate(app, { templateCheckCache: cacheDirectory, nagPacks: false, plinthRules: false, controlTower: false });
  for (const env of ['dev', 'prod']) build(new Stack(new Stage(app, env, { env: TEST_ENV }), 'S'));
  return app;
}

const odd = (resource: { addPropertyOverride(path: string, value: unknown): void }) => resource.addPropertyOverride('NotAProperty', true);

describe('the CloudFormation validator engine', () => {
  test('starts once per process: for all stages of an App, for every App, with or without the gate', () => {
    const cache = () => fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-engine-cache-'));
    // GIVEN / WHEN four Apps with different resource types, each checked from an empty cache
    const buckets = F3002(gatedApp(cache(), (stack) => odd(new s3.CfnBucket(stack, 'Bucket'))));
    const queues = F3002(gatedApp(cache(), (stack) => odd(new sqs.CfnQueue(stack, 'Queue'))));
    const topics = F3002(gatedApp(false, (stack) => odd(new sns.CfnTopic(stack, 'Topic'))));
    // ... and one without the gate, on CDK's own validator (which restarts the engine itself for a
    // resource type it has not seen, so this App has only types seen before)
    const plain = newApp({ validator: true });
    odd(new s3.CfnBucket(new Stack(plain, 'Plain', { env: TEST_ENV }), 'Bucket'));
    const plainFindings = F3002(plain);
    // THEN every App was validated ...
    expect(buckets).toEqual(['dev/S/Bucket', 'prod/S/Bucket']);
    expect(queues).toEqual(['dev/S/Queue', 'prod/S/Queue']);
    expect(topics).toEqual(['dev/S/Topic', 'prod/S/Topic']);
    expect(plainFindings).toEqual(['Plain/Bucket']);
    // ... by one engine
    expect(trace.starts).toBe(1);
  });

  test('is not started when every template comes from the cache', () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-engine-cache-'));
    const build = (stack: Stack) => odd(new s3.CfnBucket(stack, 'Bucket'));
    F3002(gatedApp(cache, build));
    // WHEN the same App again, in a process whose engine is released
    (CachedCloudFormationValidator as unknown as { _disposeSingleton(): void })._disposeSingleton();
    const before = trace.starts;
    const again = F3002(gatedApp(cache, build));
    // THEN
    expect(again).toEqual(['dev/S/Bucket', 'prod/S/Bucket']);
    expect(trace.starts).toBe(before);
  });

  test("the cached validator reports the engine's own version without starting it", () => {
    expect(new CachedCloudFormationValidator(false).version).toBe(validatorEngineModule.version());
  });
});

// ------------------------------------------------------------- the engine in a worker thread

/** The validator's report on `context`, through a fresh cached validator without a cache. */
function validatorReport(context: IPolicyValidationContext) {
  return new CachedCloudFormationValidator(false).validate(context);
}

/** The validation context CDK gives the validator for every stack of an assembly. */
function contextOf(app: App, directory: string): IPolicyValidationContext {
  const assembly = new CloudAssembly(directory);
  const stacks = [assembly, ...assembly.nestedAssemblies.map((n) => n.nestedAssembly)].flatMap((a) => a.stacks);
  const stackTemplates = stacks.map((s) => ({ stackConstructPath: s.hierarchicalId, templatePath: s.templateFullPath, accountId: s.environment.account, region: s.environment.region }));
  return { templatePaths: stackTemplates.map((s) => s.templatePath), stackTemplates, appConstruct: app };
}

describe('the CloudFormation validator engine in a worker thread', () => {
  afterEach(() => stopValidatorEngine());

  test("finds exactly what the in-process engine finds, on the platform's templates and a non-compliant app", () => {
    // GIVEN the dev environment's templates (no gate: the templates are what is compared) ...
    const platform = newApp({ context: { 'aws:cdk:bundling-stacks': [] } });
    for (const config of loadEnvironments('dev')) new PlatformStage(platform, config.name, { config, promotionTargetAccounts: [] });
    const platformContext = contextOf(platform, platform.synth().directory);
    // ... and templates with findings of the validator's own (a property CloudFormation does not have)
    const fixture = newApp();
    for (const env of ['dev', 'prod']) odd(new s3.CfnBucket(new Stack(new Stage(fixture, env, { env: TEST_ENV }), 'S'), 'Bucket'));
    const fixtureContext = contextOf(fixture, fixture.synth().directory);
    // WHEN each is validated in-process, then on the worker
    const inProcess = [validatorReport(platformContext), validatorReport(fixtureContext)];
    const starts = trace.starts;
    const worker = startValidatorEngine();
    const onWorker = [validatorReport(platformContext), validatorReport(fixtureContext)];
    // THEN the reports are equal, findings included ...
    expect(onWorker).toEqual(inProcess);
    expect(platformContext.stackTemplates).toHaveLength(4);
    expect(inProcess[0].violations.length).toBeGreaterThan(0);
    expect(inProcess[1].success).toBe(false);
    expect(inProcess[1].violations.map((v) => v.ruleName)).toContain('F3002');
    // ... the worker's engine did the work (none was started in this thread), and started once for both
    expect(trace.starts).toBe(starts);
    expect(worker.engineStarts).toBe(1);
  }, 240_000);

  test('starts the engine once per process, for every stage and App, and not at all in this thread', () => {
    // GIVEN the main job's option
    const starts = trace.starts;
    const gated = (build: (stack: Stack) => void) => {
      const app = newApp({ validator: true });
      applyComplianceGate(app, { templateCheckCache: false, nagPacks: false, plinthRules: false, controlTower: false, validatorEngineInWorker: true });
      for (const env of ['dev', 'prod']) build(new Stack(new Stage(app, env, { env: TEST_ENV }), 'S'));
      return app;
    };
    // WHEN two Apps with different resource types are synthesized
    const buckets = F3002(gated((stack) => odd(new s3.CfnBucket(stack, 'Bucket'))));
    const queues = F3002(gated((stack) => odd(new sqs.CfnQueue(stack, 'Queue'))));
    // THEN both were validated, by the worker's one engine
    expect(buckets).toEqual(['dev/S/Bucket', 'prod/S/Bucket']);
    expect(queues).toEqual(['dev/S/Queue', 'prod/S/Queue']);
    expect(backgroundValidatorEngine()?.engineStarts).toBe(1);
    expect(trace.starts).toBe(starts);
  }, 120_000);

  /** The main job's gate on a cache, with `context` (an input of the engine-start prediction). */
  const gatedOnCache = (cache: string, build: (stack: Stack) => void, context: Record<string, unknown> = {}) => {
    const app = newApp({ validator: true, context });
    applyComplianceGate(app, { templateCheckCache: cache, nagPacks: false, plinthRules: false, controlTower: false, validatorEngineInWorker: true });
    for (const env of ['dev', 'prod']) build(new Stack(new Stage(app, env, { env: TEST_ENV }), 'S'));
    return app;
  };
  const oddBucket = (stack: Stack) => odd(new s3.CfnBucket(stack, 'Bucket'));

  test('is stopped, not waited for, when it was started early and every template comes from the cache', () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-engine-cache-'));
    expect(F3002(gatedOnCache(cache, oddBucket))).toEqual(['dev/S/Bucket', 'prod/S/Bucket']);
    stopValidatorEngine();
    // WHEN the same templates from other inputs (a context key the app does not read): a new worker starts with the gate ...
    const again = gatedOnCache(cache, oddBucket, { 'plinth:unread': 1 });
    expect(backgroundValidatorEngine()).toBeDefined();
    // THEN the findings come from the cache and the worker is gone
    expect(F3002(again)).toEqual(['dev/S/Bucket', 'prod/S/Bucket']);
    expect(backgroundValidatorEngine()).toBeUndefined();
  }, 120_000);

  test('is not started at all when the inputs are those of a run whose templates all went into the cache', () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-engine-cache-'));
    // GIVEN a first run (empty cache), which starts the engine early
    const first = gatedOnCache(cache, oddBucket);
    expect(backgroundValidatorEngine()).toBeDefined();
    expect(F3002(first)).toEqual(['dev/S/Bucket', 'prod/S/Bucket']);
    stopValidatorEngine();
    // WHEN the same inputs again
    const logged = validatorEngineStartLog.length;
    const again = gatedOnCache(cache, oddBucket);
    // THEN the engine is not started early, nor later: every finding comes from the cache
    expect(backgroundValidatorEngine()).toBeUndefined();
    expect(F3002(again)).toEqual(['dev/S/Bucket', 'prod/S/Bucket']);
    expect(backgroundValidatorEngine()).toBeUndefined();
    expect(validatorEngineStartLog.slice(logged)).toEqual(['not early']);
  }, 120_000);

  test('a run predicted unchanged whose templates did change is still validated: the engine starts when a template is found missing', () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-engine-cache-'));
    const failOnFindings = { '@aws-cdk/core:failSynthOnValidationErrors': true };
    const compliantQueue = (stack: Stack) => new sqs.CfnQueue(stack, 'Queue', { sqsManagedSseEnabled: true });
    // (the modules a synth through the gate loads are an input too: loaded first, on another cache)
    synthesizeThroughGate(gatedOnCache(fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-engine-cache-')), compliantQueue, failOnFindings), () => {});
    // GIVEN a run whose templates the validator passes, all now in the cache
    synthesizeThroughGate(gatedOnCache(cache, compliantQueue, failOnFindings), () => {});
    stopValidatorEngine();
    // ... and a run with the same inputs (as when only a Lambda handler's source changed) but other
    // templates: a property CloudFormation does not have
    const changed = gatedOnCache(cache, (stack) => odd(new sqs.CfnQueue(stack, 'Queue', { sqsManagedSseEnabled: true })), failOnFindings);
    expect(backgroundValidatorEngine()).toBeUndefined();
    // WHEN / THEN synth through the gate fails on the queues' findings, found by an engine in a worker thread
    const starts = trace.starts;
    expect(() => synthesizeThroughGate(changed, () => {})).toThrow(/F3002 at dev\/S\/Queue: NotAProperty[\s\S]*F3002 at prod\/S\/Queue: NotAProperty/);
    expect(backgroundValidatorEngine()?.engineStarts).toBe(1);
    expect(trace.starts).toBe(starts);
    expect(validatorEngineStartLog.slice(-2)).toEqual(['not early', 'on demand']);
  }, 120_000);

  test('an engine that dies fails the gate loudly; it never passes it', () => {
    // GIVEN a worker whose engine cannot start (its heap is too small for the engine's schemas)
    stopValidatorEngine();
    startValidatorEngine({ resourceLimits: { maxOldGenerationSizeMb: 4, maxYoungGenerationSizeMb: 1 }, answerTimeoutMs: 5_000 });
    const app = newApp({ validator: true, context: { '@aws-cdk/core:failSynthOnValidationErrors': true } });
    applyComplianceGate(app, { templateCheckCache: false, nagPacks: false, plinthRules: false, controlTower: false });
    // a template the validator would pass
    new sqs.CfnQueue(new Stack(new Stage(app, 'dev', { env: TEST_ENV }), 'S'), 'Queue', { sqsManagedSseEnabled: true });
    // WHEN / THEN synth through the gate fails, naming the engine
    expect(() => synthesizeThroughGate(app, () => {})).toThrow(/CloudFormation validator engine \(worker thread\)/);
  }, 120_000);

  test('a failed engine fails the gate even when synth is told not to fail on validation errors', () => {
    stopValidatorEngine();
    startValidatorEngine({ resourceLimits: { maxOldGenerationSizeMb: 4, maxYoungGenerationSizeMb: 1 }, answerTimeoutMs: 5_000 });
    const app = newApp({ validator: true });
    applyComplianceGate(app, { templateCheckCache: false, nagPacks: false, plinthRules: false, controlTower: false });
    new sqs.CfnQueue(new Stack(new Stage(app, 'dev', { env: TEST_ENV }), 'S'), 'Queue', { sqsManagedSseEnabled: true });
    expect(() => synthesizeThroughGate(app, () => {})).toThrow(/failed to run[\s\S]*CloudFormation validator engine \(worker thread\)/);
    // ... and the assembly cannot be deployed
    expect(() => assertPassingVerdict(app.outdir)).toThrow(/failed the compliance gate/);
  }, 120_000);
});
