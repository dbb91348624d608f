#!/usr/bin/env node
/**
 * The local half of the main job (`npm start` runs it after synth and cfn-lint): deploys the dev
 * environment to moto_server on this machine and smoke-checks it, with no AWS account.
 *
 *   1. start the emulator on 127.0.0.1, on a free port (stopped on exit, failure and Ctrl-C);
 *   2. synthesize dev for the emulator's account (scripts/local/local-app.ts), or with
 *      --reuse-synth (what `npm start` passes) reuse the dev assembly its synth just wrote to
 *      cdk.out (or --synth-out <dir>), with the account swapped (scripts/local/reuse-synth.ts).
 *      An assembly without a passing compliance-gate verdict is refused first, before anything
 *      starts (even without moto_server: a failed synth is never reported as a skipped deploy);
 *   3. cdk bootstrap aws://123456789012/us-east-1 against it;
 *   4. cdk deploy 'dev/*' against it;
 *   5. fidelity report: per CloudFormation type, resources materialised vs skipped by the emulator;
 *   6. smoke check: Plinth's handlers in this process against the deployed resources;
 *   7. with --keep: leave moto_server running and print the `export` lines that point the plinth
 *      CLI at it (scripts/local/operator-session.ts), until Ctrl-C.
 *
 * Writes cdk.out/local-deploy/{fidelity.json,fidelity.md,smoke.json}. Exit 0 when every smoke step
 * is ok or limited by a named emulator gap; 1 when a step fails (the message names the step).
 * Without moto_server it prints the install line and exits 0 (1 when CI is set: CI must deploy).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { listStackResources, stackStatus } from '../../cli/aws/cloudformation';
import type { StackResourceSummary } from '../../cli/aws/cloudformation';
import type { AwsCallContext } from '../../cli/aws/connection';
import { DECLARED_ENVIRONMENTS } from '../../config';
import { EMULATOR_ACCOUNT_CONTEXT, LOCAL_ENVIRONMENT, MOTO_DEFAULT_ACCOUNT } from './emulator-account';
import { retargetAssembly } from './reuse-synth';
import { assertPassingVerdict } from '../../lib/compliance/enforce-gate';
import { findMoto, MOTO_INSTALL_HINT } from '../../cli/moto';
import { EMULATOR_CREDENTIALS, type RunningEmulator, emulatorEnvironment, startEmulator } from './emulator';
import { type TemplateResource, buildFidelityReport, fidelityHeadline, formatFidelityTable, writeFidelityReport } from './fidelity';
import { formatOperatorSession } from './operator-session';
import { runSmokeCheck, type SmokeStep } from './smoke';

const ROOT = resolve(__dirname, '..', '..');
const REPORT_DIR = join(ROOT, 'cdk.out', 'local-deploy');
const REGION = 'us-east-1';
const CDK = join(ROOT, 'node_modules', '.bin', 'cdk');

/** A step that failed: its name leads the message. */
class StepFailure extends Error {}

let emulator: RunningEmulator | undefined;
let runningChild: ChildProcess | undefined;
let assemblyDir: string | undefined;
/** Set once a --keep deploy succeeded: Ctrl-C then ends a good session (exit 0), not a failed one. */
let kept = false;

async function main(argv: readonly string[]): Promise<number> {
  const reuse = argv.includes('--reuse-synth');
  const synthOutFlag = argv.indexOf('--synth-out');
  const synthOut = synthOutFlag >= 0 && argv[synthOutFlag + 1] ? resolve(argv[synthOutFlag + 1]!) : join(ROOT, 'cdk.out');
  if (reuse) {
    // Only what passed the compliance gate is deployed, even to the emulator: refuse before anything starts.
    await step('check the compliance gate passed the assembly', async () => assertPassingVerdict(join(synthOut, `assembly-${LOCAL_ENVIRONMENT}`)));
  }
  // The same answer plinth doctor gives.
  const python = findMoto()?.python;
  if (!python) {
    process.stdout.write(
      `local deploy skipped: no Python here imports moto.server and flask (plinth doctor says the same). Install it with: ${MOTO_INSTALL_HINT}\n` +
        (process.env.CI ? 'CI is set, and CI must deploy: failing.\n' : 'Synth and cfn-lint do not need it; the local deploy does.\n'),
    );
    return process.env.CI ? 1 : 0;
  }
  installSignalHandlers();
  const started = Date.now();

  emulator = await step('start moto_server', () => startEmulator(python, { logFile: join(REPORT_DIR, 'emulator.log') }));
  const env = emulatorEnvironment(emulator.endpoint, REGION);
  assemblyDir = mkdtempSync(join(tmpdir(), 'plinth-local-assembly-'));
  if (reuse) {
    const devAccount = DECLARED_ENVIRONMENTS[LOCAL_ENVIRONMENT].account;
    await step(`reuse ${relative(synthOut)}/assembly-${LOCAL_ENVIRONMENT} for account ${MOTO_DEFAULT_ACCOUNT}`, async () =>
      retargetAssembly(synthOut, assemblyDir!, LOCAL_ENVIRONMENT, devAccount, MOTO_DEFAULT_ACCOUNT),
    );
  } else {
    const app = `node -r ts-node/register/transpile-only ${join('scripts', 'local', 'local-app.ts')}`;
    await step(`synthesize ${LOCAL_ENVIRONMENT} for the emulator account`, () =>
      run(CDK, ['synth', '--quiet', '--no-notices', '--app', app, '-c', `${EMULATOR_ACCOUNT_CONTEXT}=${MOTO_DEFAULT_ACCOUNT}`, '--output', assemblyDir!], env),
    );
  }
  await step('check the compliance gate passed the assembly', async () => assertPassingVerdict(join(assemblyDir!, `assembly-${LOCAL_ENVIRONMENT}`)));
  await step(`cdk bootstrap aws://${MOTO_DEFAULT_ACCOUNT}/${REGION}`, () =>
    run(CDK, ['bootstrap', `aws://${MOTO_DEFAULT_ACCOUNT}/${REGION}`, '--app', assemblyDir!, '--no-notices'], env),
  );
  const resources = templateResources(assemblyDir);
  const stackNames = [...new Set(resources.map((r) => r.stack))];
  let deployError: Error | undefined;
  try {
    await step(`cdk deploy '${LOCAL_ENVIRONMENT}/*'`, () =>
      run(CDK, ['deploy', `${LOCAL_ENVIRONMENT}/*`, '--app', assemblyDir!, '--require-approval', 'never', '--no-notices', '--progress', 'events'], env),
    );
  } catch (error) {
    // Report what did deploy before failing.
    deployError = error instanceof Error ? error : new Error(String(error));
  }

  const context: AwsCallContext = {
    region: REGION,
    credentials: { accessKeyId: EMULATOR_CREDENTIALS.AWS_ACCESS_KEY_ID, secretAccessKey: EMULATOR_CREDENTIALS.AWS_SECRET_ACCESS_KEY },
    endpoint: emulator.endpoint,
  };
  const listed = await step('read the deployed stacks (ListStackResources)', () => listDeployed(context, stackNames));
  const report = buildFidelityReport(
    resources,
    new Map([...listed].map(([stack, summaries]) => [stack, new Set(summaries.map((s) => s.logicalId))])),
    emulator.skips(),
    () => `the stack did not deploy: ${cdkFailureLine(deployError)}`,
  );
  const files = writeFidelityReport(REPORT_DIR, report);
  process.stdout.write(`\n${formatFidelityTable(report)}\n${fidelityHeadline(report)}\n  (${relative(files.markdown)} lists every skipped resource and why)\n\n`);
  if (deployError) throw deployError;

  const smoke = await step('smoke check', () => runSmokeCheck({ context, account: MOTO_DEFAULT_ACCOUNT, stacks: listed, resources, skips: emulator!.skips(), unimplemented: emulator!.unimplemented }));
  writeFileSync(join(REPORT_DIR, 'smoke.json'), `${JSON.stringify(smoke, null, 2)}\n`);
  process.stdout.write(formatSmoke(smoke));
  const failed = smoke.filter((s) => s.status === 'failed');
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (failed.length > 0) {
    throw new StepFailure(`smoke check failed: ${failed.map((s) => s.name).join(', ')}`);
  }
  const limited = smoke.filter((s) => s.status === 'limited').length;
  process.stdout.write(
    `\nlocal deploy: dev deployed to moto_server in ${seconds} s; smoke ${smoke.length - limited} ok, ${limited} limited by the emulator; ${fidelityHeadline(report)}\n`,
  );
  if (argv.includes('--keep')) {
    // Leave the emulator up for the operator CLI until Ctrl-C (the signal handler stops it, exit 0).
    kept = true;
    process.stdout.write(formatOperatorSession(emulator.endpoint, REGION, MOTO_DEFAULT_ACCOUNT));
    await new Promise<never>(() => undefined);
  }
  return 0;
}

/** The CDK CLI's own reason for a failed deploy (its ❌ or ‣ line), else the error's first line. */
function cdkFailureLine(error: Error | undefined): string {
  const lines = error?.message.split('\n') ?? ['unknown'];
  return lines.find((l) => /❌|‣/.test(l))?.trim() ?? lines[0]!;
}

/** Runs one named step with a progress line; a failure is rethrown with the step's name first. */
async function step<T>(name: string, body: () => Promise<T>): Promise<T> {
  const started = Date.now();
  process.stdout.write(`▶ ${name}\n`);
  try {
    const result = await body();
    process.stdout.write(`✔ ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    return result;
  } catch (error) {
    process.stdout.write(`✘ ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
    if (error instanceof StepFailure) throw error;
    throw new StepFailure(`${name} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Runs a command, keeping its output; on failure the error carries the output's last lines. */
function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...env, NODE_NO_WARNINGS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    runningChild = child;
    let output = '';
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      runningChild = undefined;
      if (code === 0) return resolvePromise();
      const tail = output.split('\n').filter((l) => l.trim()).slice(-15).join('\n');
      reject(new Error(`${command.split('/').pop()} ${args[0]} exited with ${signal ?? code}:\n${tail}`));
    });
  });
}

/** The resources of every stack in the local assembly, with their construct paths. */
export function templateResources(directory: string): TemplateResource[] {
  const stage = join(directory, `assembly-${LOCAL_ENVIRONMENT}`);
  const manifest = JSON.parse(readFileSync(join(stage, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string; stackName?: string } }>;
  };
  const resources: TemplateResource[] = [];
  for (const [id, artifact] of Object.entries(manifest.artifacts)) {
    if (artifact.type !== 'aws:cloudformation:stack' || !artifact.properties?.templateFile) continue;
    const template = JSON.parse(readFileSync(join(stage, artifact.properties.templateFile), 'utf8')) as {
      Resources?: Record<string, { Type: string; Metadata?: Record<string, unknown> }>;
    };
    const stack = artifact.properties.stackName ?? id;
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      const path = resource.Metadata?.['aws:cdk:path'];
      resources.push({ stack, logicalId, type: resource.Type, ...(typeof path === 'string' ? { path } : {}) });
    }
  }
  return resources;
}

async function listDeployed(context: AwsCallContext, stacks: readonly string[]): Promise<Map<string, StackResourceSummary[]>> {
  const listed = new Map<string, StackResourceSummary[]>();
  for (const stack of stacks) {
    const status = await stackStatus(context, stack);
    if (status === undefined || !/_COMPLETE$/.test(status) || /ROLLBACK|DELETE/.test(status)) continue;
    // moto lists a resource it has no model for as an entry without a logical ID: not materialised.
    listed.set(stack, (await listStackResources(context, stack)).filter((r) => r.logicalId.length > 0));
  }
  return listed;
}

function formatSmoke(steps: readonly SmokeStep[]): string {
  const mark = { ok: '✔', limited: '◐', failed: '✘' } as const;
  return `smoke check:\n${steps.map((s) => `  ${mark[s.status]} ${s.name} [${s.status}]: ${s.detail}`).join('\n')}\n`;
}

function relative(path: string): string {
  return path.startsWith(ROOT) ? path.slice(ROOT.length + 1) : path;
}

async function cleanUp(): Promise<void> {
  runningChild?.kill('SIGTERM');
  await emulator?.stop();
  emulator = undefined;
  if (assemblyDir && existsSync(assemblyDir)) rmSync(assemblyDir, { recursive: true, force: true });
}

function installSignalHandlers(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      process.stderr.write(kept ? `\nstopping moto_server (${signal})\n` : `\nlocal deploy interrupted (${signal}): stopping moto_server\n`);
      void cleanUp().finally(() => process.exit(kept ? 0 : 130));
    });
  }
}

if (require.main === module) {
  mkdirSync(REPORT_DIR, { recursive: true });
  main(process.argv.slice(2))
    .then(async (code) => {
      await cleanUp();
      process.exit(code);
    })
    .catch(async (error: unknown) => {
      await cleanUp();
      process.stderr.write(`\nlocal deploy failed at step: ${error instanceof Error ? error.message : String(error)}\nmoto_server is stopped.\n`);
      process.exit(1);
    });
}
