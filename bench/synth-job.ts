/**
 * One synth of the platform app in its own process, for `npm run bench` (bench/run.ts). The
 * options arrive as JSON in argv[2]; the last line printed is a JSON result.
 *
 *   node -r ts-node/register/transpile-only bench/synth-job.ts '{"environments":3,"nagPacks":true,...}'
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { loadEnvironments } from '../config';
import type { EnvironmentConfig } from '../config';
import { applyComplianceGate } from '../lib/compliance/compliance-gate';
import { readPluginReports, unacknowledgedFindings } from '../lib/compliance/validation-report';
import { templateCheckLog } from '../lib/compliance/template-check-cache';
import { validatorEngineStartLog } from '../lib/compliance/template-checks';
import { bundleLog } from '../lib/compute/lambda-bundle';
import { PlatformStage } from '../lib/platform/platform-stage';
import { generateReport } from './report-hook';

export interface SynthJobOptions {
  /** 3: dev, staging, prod. More: copies of them under new names (the scale guard). */
  readonly environments: number;
  readonly nagPacks: boolean;
  readonly plinthRules: boolean;
  readonly validator: boolean;
  readonly controlTower: boolean;
  readonly report: boolean;
  readonly bundling: boolean;
  /**
   * Where the gate caches template-check results: a directory (empty for a cold run, filled by an
   * earlier job for a warm one), or `false` to check every template.
   *
   * @default false
   */
  readonly templateCheckCache?: string | false;
  /**
   * Start the validator's engine in a worker thread when the gate is applied, as the main job
   * (bin/plinth.ts) does; `false` starts it in-process when the validator runs (for comparison).
   *
   * @default true
   */
  readonly validatorEngineInWorker?: boolean;
  /** Change one construct's property (the first SQS queue's retention) in the last environment. */
  readonly changeOneProperty?: boolean;
}

export interface SynthJobResult {
  readonly options: SynthJobOptions;
  readonly constructMs: number;
  readonly synthMs: number;
  readonly reportMs?: number;
  readonly reportNote?: string;
  readonly resources: number;
  readonly stacks: number;
  readonly unacknowledgedErrors: number;
  readonly bundles: { built: number; cached: number };
  /** When the validator's engine started in its worker thread (lib/compliance/template-checks.ts `validatorEngineStartLog`). */
  readonly validatorEngineStarts?: readonly string[];
  /** Template checks (Control Tower guard, CloudFormation validator) run, and taken from the cache. */
  readonly templateChecks: { checked: number; cached: number };
  /** User + system CPU of the process and its children, less sensitive than wall time to other load on the machine. */
  readonly cpuMs: number;
  readonly maxRssMb: number;
}

const CDK_CONTEXT = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')).context as Record<string, unknown>;

/** The three declared environments, or `count` copies of them (renamed, each its own account). */
export function environmentsFor(count: number): EnvironmentConfig[] {
  const declared = loadEnvironments();
  if (count === declared.length) return declared;
  return Array.from({ length: count }, (_, i) => {
    const base = declared[i % declared.length];
    // Stage names must be unique; the name is otherwise only a label (the config schema allows dev/staging/prod).
    return { ...base, name: `${base.name}${i}` as EnvironmentConfig['name'], account: String(100000000000 + i) };
  });
}

function main(): void {
  const options = JSON.parse(process.argv[2]) as SynthJobOptions;
  const start = process.hrtime.bigint();
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-bench-'));
  const app = new App({
    outdir,
    builtinCloudFormationValidation: options.validator,
    context: {
      ...CDK_CONTEXT,
      '@aws-cdk/core:failSynthOnValidationErrors': false,
      ...(options.bundling ? {} : { 'aws:cdk:bundling-stacks': [] }),
    },
  });
  const anyPlugin = options.nagPacks || options.plinthRules || options.controlTower;
  if (anyPlugin) {
    applyComplianceGate(app, {
      nagPacks: options.nagPacks,
      plinthRules: options.plinthRules,
      controlTower: options.controlTower,
      templateCheckCache: options.templateCheckCache ?? false,
      validatorEngineInWorker: options.validatorEngineInWorker ?? true,
    });
  }
  const stages = environmentsFor(options.environments).map((config) => new PlatformStage(app, config.name, { config, promotionTargetAccounts: [] }));
  if (options.changeOneProperty) {
    const queue = stages[stages.length - 1].node.findAll().find((c): c is sqs.CfnQueue => c instanceof sqs.CfnQueue);
    if (!queue) throw new Error('changeOneProperty: no SQS queue in the last environment');
    queue.messageRetentionPeriod = 13 * 24 * 60 * 60;
  }
  const constructed = process.hrtime.bigint();
  const assembly = app.synth();
  const synthesized = process.hrtime.bigint();
  let reportMs: number | undefined;
  let reportNote: string | undefined;
  if (options.report) {
    const outcome = generateReport(app, assembly.directory);
    reportMs = outcome.ms;
    reportNote = outcome.note;
  }
  let resources = 0;
  let stacks = 0;
  for (const file of templatesUnder(assembly.directory)) {
    stacks += 1;
    resources += Object.keys(JSON.parse(fs.readFileSync(file, 'utf8')).Resources ?? {}).length;
  }
  const errors = fs.existsSync(path.join(assembly.directory, 'validation-report.json'))
    ? unacknowledgedFindings(readPluginReports(assembly.directory), { errorsOnly: true }).length
    : 0;
  const result: SynthJobResult = {
    options,
    constructMs: Number(constructed - start) / 1e6,
    synthMs: Number(synthesized - constructed) / 1e6,
    reportMs,
    reportNote,
    resources,
    stacks,
    unacknowledgedErrors: errors,
    bundles: { built: bundleLog.filter((b) => b.source === 'built').length, cached: bundleLog.filter((b) => b.source === 'cached').length },
    validatorEngineStarts: [...validatorEngineStartLog],
    templateChecks: { checked: templateCheckLog.filter((c) => c.source === 'checked').length, cached: templateCheckLog.filter((c) => c.source === 'cached').length },
    cpuMs: cpuMs(),
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
  fs.rmSync(outdir, { recursive: true, force: true });
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}

/** This process's CPU (all its threads) plus that of the children it waited for (cfn-guard, esbuild), from /proc on Linux, ms. */
export function cpuMs(): number {
  const usage = process.cpuUsage();
  const own = (usage.user + usage.system) / 1000;
  try {
    // Fields after the command name: cutime and cstime are the 14th and 15th, in clock ticks (100 Hz on Linux).
    const fields = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ');
    return own + ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
  } catch {
    return own;
  }
}

function templatesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.template.json'))
    .map((f) => path.join(dir, f));
}

if (require.main === module) main();
