import * as path from 'path';
import { MessageChannel, receiveMessageOnPort, Worker } from 'worker_threads';
import type { MessagePort, ResourceLimits } from 'worker_threads';
import type { PolicyViolation } from 'aws-cdk-lib';

// CDK's CloudFormation validator (`CloudFormationValidatePlugin`, a WebAssembly engine) takes
// seconds and hundreds of MB to start, and the main job's synth before it is single-threaded. So
// the main job starts the engine in a worker thread when the gate is put on the App, and the
// engine is ready (or nearly) when the validator's turn comes. Validation plugins are synchronous,
// so the validator hands its templates to the worker and blocks on the answer (a shared counter
// and `Atomics.wait`, then `receiveMessageOnPort`). The worker runs CDK's own plugin class, with
// CDK's default rules and options, one template at a time exactly as the in-process path does
// (lib/compliance/template-checks.ts), so the findings are the same
// (test/compliance/validator-engine.test.ts compares them on the platform's templates and a
// non-compliant fixture).
//
// Which rules the engine is started with: CDK loads its built-in Rego rules by the resource
// types of the templates it is given (`loadBuiltinRegoRules`): a rule is loaded when it names no
// type or one of the templates' types. The worker starts before any template exists, so it starts
// with the rules that name no type (what every template set gets), and before each batch it
// restarts the engine with the batch's types when, and only when, a built-in rule names one of
// them that it was not started with; a type no rule names is added without a restart. That is the
// rule set the in-process path (`prepareEngine`) and CDK's own plugin load for the same templates,
// so the worker cannot report a finding the in-process path would not, or miss one. (aws-cdk-lib
// 2.276 has one built-in rule, for GameLift types, which Plinth does not use: the engine starts
// once.)

/** Options for {@link startValidatorEngine}. */
export interface ValidatorEngineOptions {
  /**
   * How long the validator waits for the worker's answer to one batch of templates before it
   * fails the gate. A worker that dies without saying so (out of memory under `resourceLimits`)
   * is noticed no sooner.
   *
   * @default 10 minutes
   */
  readonly answerTimeoutMs?: number;
  /**
   * Memory limits of the worker thread (Node's `resourceLimits`).
   *
   * @default Node's defaults (no limit beyond the process's own)
   */
  readonly resourceLimits?: ResourceLimits;
}

/** One template for the engine, as CDK describes it to a validation plugin. */
export interface EngineStack {
  readonly templatePath: string;
  readonly stackConstructPath: string;
  readonly accountId?: string;
  readonly region?: string;
}

/** The validator engine failed: the gate cannot judge the templates, so it fails. */
export class ValidatorEngineError extends Error {
  constructor(message: string) {
    super(`CloudFormation validator engine (worker thread): ${message}`);
    this.name = 'ValidatorEngineError';
  }
}

const CDK_ROOT = path.dirname(require.resolve('aws-cdk-lib/package.json'));

/** The worker's program: plain JavaScript, evaluated as a CommonJS script by `new Worker(code, { eval: true })`. */
const WORKER_SOURCE = `
'use strict';
const fs = require('fs');
const path = require('path');
const { workerData } = require('worker_threads');
const { port, signal, pluginModule, rulesDirectory } = workerData;
// flags[0]: answers given (the main thread waits on it); flags[1]: 1 once this worker exits.
const flags = new Int32Array(signal);
process.on('exit', () => {
  Atomics.store(flags, 1, 1);
  Atomics.notify(flags, 0);
});

let plugin;
let startError;
let engineStarts = 0;
let ruleTypes;
try {
  const { CloudFormationValidatePlugin } = require(pluginModule);
  const index = JSON.parse(fs.readFileSync(path.join(rulesDirectory, 'index.generated.json'), 'utf8'));
  ruleTypes = new Set(index.rules.flatMap((rule) => rule.types || []));
  plugin = new CloudFormationValidatePlugin();
  plugin.initializeEngine(new Set());
  engineStarts += 1;
} catch (error) {
  startError = error;
}

function templateTypes(file) {
  const types = new Set();
  const template = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const resource of Object.values((template && template.Resources) || {})) {
    if (resource && typeof resource.Type === 'string') types.add(resource.Type);
  }
  return types;
}

// The rules CDK would load for these types, as prepareEngine in template-checks.ts does.
function prepare(types) {
  const known = plugin.engineResourceTypes;
  const added = [...types].filter((t) => !known.has(t));
  if (added.length === 0) return;
  if (!added.some((t) => ruleTypes.has(t))) {
    for (const t of added) known.add(t);
    return;
  }
  const before = plugin.engine;
  plugin.initializeEngine(new Set([...known, ...types]));
  if (plugin.engine !== before) engineStarts += 1;
}

port.on('message', (request) => {
  let reply;
  try {
    if (startError) throw startError;
    const types = new Set();
    for (const stack of request.stacks) for (const t of templateTypes(stack.templatePath)) types.add(t);
    prepare(types);
    const results = request.stacks.map((stack) => plugin.validate({ templatePaths: [stack.templatePath], stackTemplates: [stack] }).violations);
    reply = { id: request.id, results, engineStarts };
  } catch (error) {
    reply = { id: request.id, error: String((error && error.stack) || error), engineStarts };
  }
  port.postMessage(reply);
  Atomics.add(flags, 0, 1);
  Atomics.notify(flags, 0);
});
`;

interface Reply {
  readonly id: number;
  readonly results?: PolicyViolation[][];
  readonly error?: string;
  readonly engineStarts: number;
}

/** The engine in its worker thread; see the comment at the top of this file. */
export class ValidatorEngineWorker {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flags: Int32Array;
  private readonly answerTimeoutMs: number;
  private nextId = 1;
  private failure: string | undefined;
  private terminated = false;
  private starts = 0;
  private readonly id: number;

  constructor(options: ValidatorEngineOptions = {}) {
    this.answerTimeoutMs = options.answerTimeoutMs ?? 10 * 60 * 1000;
    const signal = new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT);
    this.flags = new Int32Array(signal);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        port: port2,
        signal,
        pluginModule: path.join(CDK_ROOT, 'core', 'lib', 'validation', 'cloudformation-validate-plugin.js'),
        rulesDirectory: path.join(CDK_ROOT, 'core', 'lib', 'validation', 'rules'),
      },
      transferList: [port2],
      ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
    });
    this.id = this.worker.threadId;
    // Never keeps the process alive: when the main job is done, so is the engine.
    this.worker.unref();
    this.port.unref();
    // Recorded for the next validation (an unhandled 'error' event would end the process elsewhere).
    this.worker.on('error', (error) => (this.failure ??= `${error.name}: ${error.message}`));
    this.worker.on('exit', (code) => (this.failure ??= `the worker exited (code ${code})`));
  }

  /** Engines started by the worker so far (1 after the first answer, unless a built-in rule's type forced a restart). */
  get engineStarts(): number {
    return this.starts;
  }

  /** The worker thread's id (Node's `threadId`), fixed when it starts: tells two workers apart. */
  get threadId(): number {
    return this.id;
  }

  /** Whether the worker can still be asked. */
  get usable(): boolean {
    return !this.terminated;
  }

  /**
   * Validates each template on its own, as CDK's plugin does for a context of one template.
   *
   * @returns each template's violations, in the order given
   * @throws ValidatorEngineError when the engine failed, the worker is gone or did not answer in time
   */
  validate(stacks: readonly EngineStack[]): PolicyViolation[][] {
    return this.submit(stacks).wait();
  }

  /**
   * Hands the templates to the worker and returns at once; `wait()` blocks for the answer, so the
   * caller can do other work in between.
   *
   * @throws ValidatorEngineError when the worker was stopped
   */
  submit(stacks: readonly EngineStack[]): { wait(): PolicyViolation[][] } {
    if (this.terminated) throw new ValidatorEngineError('the worker was stopped before the templates were validated');
    const id = this.nextId++;
    this.port.postMessage({ id, stacks: stacks.map((s) => ({ templatePath: s.templatePath, stackConstructPath: s.stackConstructPath, accountId: s.accountId, region: s.region })) });
    return { wait: () => this.waitFor(id) };
  }

  private waitFor(id: number): PolicyViolation[][] {
    const deadline = Date.now() + this.answerTimeoutMs;
    for (;;) {
      // The counter is read before the port is: an answer posted after the read moves the counter
      // on, so the wait below returns at once instead of sleeping past it.
      const answered = Atomics.load(this.flags, 0);
      const received = receiveMessageOnPort(this.port) as { message: Reply } | undefined;
      if (received && received.message.id === id) return this.accept(received.message);
      if (received) continue; // an answer to an earlier, abandoned request
      if (Atomics.load(this.flags, 1) === 1 || this.failure !== undefined) {
        this.terminate();
        throw new ValidatorEngineError(`the worker exited before answering${this.failure ? ` (${this.failure})` : ''}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        this.terminate();
        throw new ValidatorEngineError(`no answer within ${Math.round(this.answerTimeoutMs / 1000)} s${this.failure ? ` (${this.failure})` : ''}`);
      }
      Atomics.wait(this.flags, 0, answered, Math.min(left, 1000));
    }
  }

  /** Stops the worker without waiting for it. */
  terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    void this.worker.terminate().catch(() => undefined);
  }

  private accept(reply: Reply): PolicyViolation[][] {
    this.starts = reply.engineStarts;
    if (reply.error !== undefined || !reply.results) {
      this.terminate();
      throw new ValidatorEngineError(reply.error ?? 'the worker answered without results');
    }
    return reply.results;
  }
}

let background: ValidatorEngineWorker | undefined;

/**
 * The key under which a host offers its copy of this module on a global object (see
 * {@link validatorEngineHosted}).
 */
export const VALIDATOR_ENGINE_HOST = Symbol.for('plinth.validator-engine-host');

/** What a host offers: this module's own functions, from the copy the host loaded. */
interface ValidatorEngineHost {
  startValidatorEngine(options?: ValidatorEngineOptions): ValidatorEngineWorker;
  backgroundValidatorEngine(): ValidatorEngineWorker | undefined;
}

/** The host's copy of this module, when one is offered and it is not this copy. */
function engineHost(): ValidatorEngineHost | undefined {
  const offered = (globalThis as Record<symbol, unknown>)[VALIDATOR_ENGINE_HOST] as Partial<ValidatorEngineHost> | undefined;
  if (!offered || offered.startValidatorEngine === startValidatorEngine) return undefined;
  if (typeof offered.startValidatorEngine !== 'function' || typeof offered.backgroundValidatorEngine !== 'function') {
    throw new ValidatorEngineError(`the object offered under ${String(VALIDATOR_ENGINE_HOST)} is not a copy of lib/compliance/validator-engine`);
  }
  return offered as ValidatorEngineHost;
}

/**
 * Whether a host shares its engine with this copy of the module. A process that loads this module
 * more than once (a test runner gives each test file its own module registry, so each file would
 * start an engine of its own: seconds of CPU and hundreds of MB each) can keep one engine for all
 * of them: the host loads one more copy itself and offers it on each registry's global object under
 * {@link VALIDATOR_ENGINE_HOST}. Every copy then starts and finds the host copy's engine, the
 * validator validates on it rather than in-process (lib/compliance/template-checks.ts), and
 * {@link stopValidatorEngine} leaves it running, since it outlives any one App. Plinth's tests do
 * this (test/support/validator-engine-host-environment.js); the main job loads the module once and
 * has no host.
 */
export function validatorEngineHosted(): boolean {
  return engineHost() !== undefined;
}

/**
 * Starts the process's CloudFormation validator engine in a worker thread, for the gate's
 * validator to use when its turn comes; a second call keeps the first worker. The main job
 * (bin/plinth.ts, through the gate's `validatorEngineInWorker`) does this early; with a host
 * ({@link validatorEngineHosted}) the validator does it on demand; otherwise a unit test
 * validates in-process.
 */
export function startValidatorEngine(options: ValidatorEngineOptions = {}): ValidatorEngineWorker {
  const host = engineHost();
  if (host) return host.startValidatorEngine(options);
  if (!background?.usable) background = new ValidatorEngineWorker(options);
  return background;
}

/** The engine started by {@link startValidatorEngine}, unless it was stopped. */
export function backgroundValidatorEngine(): ValidatorEngineWorker | undefined {
  const host = engineHost();
  if (host) return host.backgroundValidatorEngine();
  return background?.usable ? background : undefined;
}

/**
 * Stops the background engine, if any, without waiting (every template came from the cache). A
 * host's engine is left running: other Apps in the process use it.
 */
export function stopValidatorEngine(): void {
  if (engineHost()) return;
  background?.terminate();
  background = undefined;
}
