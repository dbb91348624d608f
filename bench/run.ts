/**
 * `npm run bench`: measures what platform teams wait for and pay for, each figure next to a
 * baseline measured in the same run, as a ratio. Writes bench/results.json and bench/performance.md
 * (both git-ignored; `--write-docs` writes docs/performance.md instead), and prints the table.
 * Reports; never fails on a missed target.
 *
 * Every measurement runs in its own process (bench/synth-job.ts, bench/micro.ts), so one stage's
 * cost does not leak into the next; BENCH_PARALLEL (default 2) processes run at a time.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { benchOutputs } from './outputs';
import type { ControlTowerBenchResult } from './control-tower';
import type { SynthJobOptions, SynthJobResult } from './synth-job';

const ROOT = path.join(__dirname, '..');
// The CDK app's own TypeScript loader (cdk.json), so each synth job runs as `cdk synth` runs the app.
const TS_NODE = ['-r', path.join(ROOT, 'scripts', 'ts-register.js')];
const PARALLEL = Math.max(1, Number(process.env.BENCH_PARALLEL ?? 2));

/**
 * The Node options the main job runs the app with: the `--` options before `-r` in cdk.json's
 * `app` (`node --single-threaded-gc --wasm-tiering-budget=500000000 -r ./scripts/ts-register.js bin/plinth.ts`). Every synth job
 * runs with them, so the bench measures the app as `cdk synth` runs it.
 */
function appNodeOptions(app: string = (JSON.parse(fs.readFileSync(path.join(ROOT, 'cdk.json'), 'utf8')) as { app: string }).app): string[] {
  const words = app.trim().split(/\s+/);
  if (words[0] !== 'node') throw new Error(`cdk.json app does not start with node: ${app}`);
  const options: string[] = [];
  for (const word of words.slice(1)) {
    if (word === '-r' || !word.startsWith('--')) break;
    options.push(word);
  }
  return options;
}
const SYNTH_NODE_OPTIONS = appNodeOptions();

interface Measured<T> {
  readonly result?: T;
  readonly wallMs: number;
  readonly error?: string;
}

/** Runs `node <script> <arg>` and parses the JSON on its last line; wall time is the whole process. */
function runProcess<T>(script: string, arg: string, extraNodeArgs: string[] = []): Promise<Measured<T>> {
  return new Promise((resolve) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, [...extraNodeArgs, ...TS_NODE, path.join(__dirname, script), arg], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      const last = stdout.trim().split('\n').pop() ?? '';
      try {
        resolve({ result: JSON.parse(last) as T, wallMs });
      } catch {
        resolve({ wallMs, error: `exit ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ').slice(0, 400)}` });
      }
    });
  });
}

/** Runs the jobs `PARALLEL` at a time, in the order given (longest first packs best). */
async function pool<T>(jobs: Array<() => Promise<T>>): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      results[index] = await jobs[index]();
      process.stderr.write('.');
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, jobs.length) }, worker));
  return results;
}

const NONE = { nagPacks: false, plinthRules: false, validator: false, controlTower: false, report: false, bundling: false };
const SYNTH_STAGES: Array<{ id: string; label: string; options: SynthJobOptions }> = [
  { id: 'bare', label: 'bare synth (baseline)', options: { environments: 3, ...NONE } },
  { id: 'nag', label: '+ nag packs (4) and Plinth rules', options: { environments: 3, ...NONE, nagPacks: true, plinthRules: true } },
  { id: 'validator', label: '+ CloudFormation validator', options: { environments: 3, ...NONE, nagPacks: true, plinthRules: true, validator: true } },
  { id: 'control-tower', label: '+ Control Tower guard (= the gate)', options: { environments: 3, ...NONE, nagPacks: true, plinthRules: true, validator: true, controlTower: true } },
  { id: 'report', label: '+ auditor report', options: { environments: 3, nagPacks: true, plinthRules: true, validator: true, controlTower: true, report: true, bundling: false } },
  { id: 'bundling', label: '+ Lambda bundling (= the main job)', options: { environments: 3, nagPacks: true, plinthRules: true, validator: true, controlTower: true, report: true, bundling: true } },
];
const SCALE = { id: 'scale-10', options: { environments: 10, ...NONE, nagPacks: true, plinthRules: true, validator: true, controlTower: true } };

// ---------------------------------------------------------------- the template-check cache (#17)

/** The main job's options (the last synth stage); the cache series run it on a cache of their own. */
const MAIN_JOB: SynthJobOptions = { environments: 3, nagPacks: true, plinthRules: true, validator: true, controlTower: true, report: true, bundling: true };

/** One run of a cache series: empty cache, nothing changed since, one construct's property changed in one environment. */
type CacheRun = 'cold' | 'unchanged' | 'oneChange';
type CacheSeries = Record<CacheRun, Measured<SynthJobResult>>;

/**
 * The main job three times in a row on one template-check cache, each its own process: from an
 * empty cache, then again with nothing changed, then with one construct's property changed in
 * one environment (bench/synth-job.ts `changeOneProperty`).
 */
async function cacheSeries(environments: number): Promise<Measured<CacheSeries>> {
  const cacheDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-bench-template-checks-'));
  const options = { ...MAIN_JOB, environments, templateCheckCache: cacheDirectory };
  const cold = await runProcess<SynthJobResult>('synth-job.ts', JSON.stringify(options), SYNTH_NODE_OPTIONS);
  const unchanged = await runProcess<SynthJobResult>('synth-job.ts', JSON.stringify(options), SYNTH_NODE_OPTIONS);
  const oneChange = await runProcess<SynthJobResult>('synth-job.ts', JSON.stringify({ ...options, changeOneProperty: true }), SYNTH_NODE_OPTIONS);
  fs.rmSync(cacheDirectory, { recursive: true, force: true });
  const failed = [cold, unchanged, oneChange].find((m) => m.error);
  return { result: { cold, unchanged, oneChange }, wallMs: cold.wallMs + unchanged.wallMs + oneChange.wallMs, ...(failed ? { error: failed.error } : {}) };
}
const CACHE_SERIES = [
  { id: 'cache-3', environments: 3 },
  { id: 'cache-10', environments: 10 },
] as const;

/** When the validator's engine started (its worker thread): early, not early (predicted cached), on demand. */
function engineStarts(r: SynthJobResult | undefined): string {
  if (!r) return 'n/a';
  const starts = r.validatorEngineStarts ?? [];
  if (starts.length === 0) return 'not started';
  return starts.map((s) => (s === 'not early' ? 'not started early (inputs of a cached run)' : s === 'early' ? 'started early' : 'started on demand')).join(', ');
}

function renderCacheTables(m: Record<string, Measured<any>>): string[] {
  const out: string[] = [];
  const bare = m['synth-bare'] as Measured<SynthJobResult> | undefined;
  const three = m['cache-3'] as Measured<CacheSeries> | undefined;
  const ten = m['cache-10'] as Measured<CacheSeries> | undefined;
  const rows: Array<{ run: CacheRun; label: string; targetWallMs: number; targetCpuMs?: number }> = [
    { run: 'cold', label: 'main job, empty template-check cache', targetWallMs: 15_000, targetCpuMs: 15_000 },
    { run: 'unchanged', label: 'main job, nothing changed', targetWallMs: 6_000 },
    { run: 'oneChange', label: "main job, one construct's property changed in one environment", targetWallMs: 10_000 },
  ];
  out.push('', '### 1b. The main job with the template-check cache (3 environments)', '');
  out.push('| run | wall | CPU | templates checked / from the cache | validator engine | wall vs bare synth | CPU vs bare synth | target |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const row of rows) {
    const s = three?.result?.[row.run];
    const r = s?.result;
    const target = `<= ${row.targetWallMs / 1000} s wall ${verdict(r ? s.wallMs <= row.targetWallMs : undefined)}${row.targetCpuMs ? `; CPU <= ${row.targetCpuMs / 1000} s ${verdict(r ? r.cpuMs <= row.targetCpuMs : undefined)}` : ''}`;
    out.push(
      `| ${row.label} | ${seconds(s?.wallMs)} | ${seconds(r?.cpuMs)} | ${r ? `${r.templateChecks.checked} / ${r.templateChecks.cached}` : 'n/a'} | ${engineStarts(r)} | ${ratio(s?.wallMs, bare?.wallMs)} | ${ratio(r?.cpuMs, bare?.result?.cpuMs)} | ${target}${s?.error ? ` (failed: ${s.error})` : ''} |`,
    );
  }
  out.push(
    '',
    'Each template counts once per checker (Control Tower guard, CloudFormation validator). "Empty" is the template-check cache only (the TypeScript transpile cache and the V8 code cache are warmed by one unmeasured run of the main job before the first job, as any earlier run of it warms them): ' +
      'Lambda bundles come from their own cache as in the rows above (the Lambda bundling line under section 1 times esbuild from an empty cache).',
  );
  out.push('', '### 2b. Scale guard with the cache (the main job, 10 environments against 3)', '');
  out.push('| run | 3 environments wall / CPU | 10 environments wall / CPU | templates checked / cached (10) | ratio wall / CPU | target |', '| --- | --- | --- | --- | --- | --- |');
  for (const row of rows) {
    const a = three?.result?.[row.run];
    const b = ten?.result?.[row.run];
    const ok = a?.result && b?.result ? `wall ${verdict(b.wallMs <= 3 * a.wallMs)}, CPU ${verdict(b.result.cpuMs <= 3 * a.result.cpuMs)}` : 'n/a';
    out.push(
      `| ${row.run === 'cold' ? 'empty cache' : row.run === 'unchanged' ? 'nothing changed' : 'one property changed in one environment'} | ${seconds(a?.wallMs)} / ${seconds(a?.result?.cpuMs)} | ${seconds(b?.wallMs)} / ${seconds(b?.result?.cpuMs)} | ${b?.result ? `${b.result.templateChecks.checked} / ${b.result.templateChecks.cached}` : 'n/a'} | ${ratio(b?.wallMs, a?.wallMs)} / ${ratio(b?.result?.cpuMs, a?.result?.cpuMs)} | <= 3x ${ok}${b?.error ? ` (failed: ${b.error})` : ''} |`,
    );
  }
  return out;
}

async function main(): Promise<void> {
  const started = new Date();
  const machine = {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverageAtStart: os.loadavg().map((l) => Math.round(l * 100) / 100),
    parallelProcesses: PARALLEL,
  };
  process.stderr.write(`bench: ${machine.cores} cores (${machine.cpu}), load ${machine.loadAverageAtStart.join(' ')}, ${PARALLEL} at a time `);
  type Job = { key: string; run: () => Promise<Measured<unknown>> };
  const jobs: Job[] = [
    ...CACHE_SERIES.map((c) => ({ key: c.id, run: () => cacheSeries(c.environments) })),
    { key: SCALE.id, run: () => runProcess<SynthJobResult>('synth-job.ts', JSON.stringify(SCALE.options), SYNTH_NODE_OPTIONS) },
    ...[...SYNTH_STAGES].reverse().map((s) => ({ key: `synth-${s.id}`, run: () => runProcess<SynthJobResult>('synth-job.ts', JSON.stringify(s.options), SYNTH_NODE_OPTIONS) })),
    { key: 'cold-start', run: () => runProcess('micro.ts', 'cold-start') },
    { key: 'ingest-jsonl', run: () => runProcess('micro.ts', 'ingest-jsonl') },
    { key: 'ingest-csv', run: () => runProcess('micro.ts', 'ingest-csv') },
    { key: 'ingest-jsonl-shuffled', run: () => runProcess('micro.ts', 'ingest-jsonl-shuffled') },
    { key: 'ingest-csv-shuffled', run: () => runProcess('micro.ts', 'ingest-csv-shuffled') },
    { key: 'ingest-jsonl-opaque', run: () => runProcess('micro.ts', 'ingest-jsonl-opaque') },
    { key: 'ingest-csv-opaque', run: () => runProcess('micro.ts', 'ingest-csv-opaque') },
    { key: 'drift', run: () => runProcess('micro.ts', 'drift') },
    { key: 'bundling', run: () => runProcess('micro.ts', 'bundling') },
    { key: 'control-tower-guard', run: () => runProcess('control-tower.ts', 'guard') },
    { key: 'scaling', run: () => runProcess('micro.ts', 'scaling') },
    // Features (#13)
    { key: 'feature-ingest', run: () => runProcess('features.ts', 'feature-ingest') },
    { key: 'online-lookup', run: () => runProcess('features.ts', 'online-lookup') },
  ];
  // One unmeasured run of the main job first (no template-check cache): it fills the TypeScript
  // transpile cache and the V8 code cache (scripts/ts-register.js, node_modules/.cache/plinth-ts and
  // plinth-v8) as any earlier run of the main job would, so the first measured job does not pay for
  // transpiling every changed file, or compile the installed JavaScript the gate runs. A fresh clone
  // pays that once (CI measures it: its main job runs on empty caches).
  await runProcess<SynthJobResult>('synth-job.ts', JSON.stringify({ ...MAIN_JOB, templateCheckCache: false }), SYNTH_NODE_OPTIONS);
  // BENCH_ONLY=key,key runs only those jobs, prints what they measured and writes nothing.
  const only = process.env.BENCH_ONLY?.split(',').filter(Boolean);
  if (only) {
    const chosen = jobs.filter((j) => only.includes(j.key));
    const measuredOnly = await pool(chosen.map((j) => j.run));
    process.stdout.write(`\n${JSON.stringify(Object.fromEntries(chosen.map((j, i) => [j.key, measuredOnly[i]])), null, 2)}\n`);
    return;
  }
  const measured = await pool(jobs.map((j) => j.run));
  const byKey = Object.fromEntries(jobs.map((j, i) => [j.key, measured[i]])) as Record<string, Measured<any>>;
  const finished = new Date();
  const ciRun = ciRunInput(process.argv);
  const results = { started: started.toISOString(), totalSeconds: (finished.getTime() - started.getTime()) / 1000, machine, measurements: byKey, ...(ciRun ? { ciRun } : {}) };
  const outputs = benchOutputs(process.argv);
  fs.writeFileSync(outputs.results, `${JSON.stringify(results, null, 2)}\n`);
  const table = renderTables(byKey, ciRun);
  process.stderr.write('\n');
  process.stdout.write(`${table}\n`);
  fs.writeFileSync(outputs.doc, renderDoc(results, table) + keptSection());
  process.stdout.write(`\nbench: ${results.totalSeconds.toFixed(0)} s; wrote ${path.relative(ROOT, outputs.results)} and ${path.relative(ROOT, outputs.doc)}\n`);
}

/** `run.ts --render-only [--write-docs]`: render the doc again from bench/results.json without measuring. */
function renderOnly(): void {
  const outputs = benchOutputs(process.argv);
  const results = JSON.parse(fs.readFileSync(outputs.results, 'utf8'));
  const ciRun = ciRunInput(process.argv) ?? (results.ciRun as CiRunInput | undefined);
  const table = renderTables(results.measurements, ciRun);
  fs.writeFileSync(outputs.doc, renderDoc(results, table) + keptSection());
  process.stdout.write(`${table}\n`);
}

/** Where the hand-written part of docs/performance.md starts; a bench run keeps it as it is. */
const KEPT_SECTION_MARKER = '<!-- written by hand, kept by npm run bench -->';

/** The hand-written tail of docs/performance.md (the package figures of scripts/consumer/run.sh). */
function keptSection(): string {
  const file = path.join(ROOT, 'docs', 'performance.md');
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const at = text.indexOf(KEPT_SECTION_MARKER);
  return at < 0 ? '' : `\n${text.slice(at)}`;
}

// ---------------------------------------------------------------- rendering

const fmt = (n: number | undefined, digits = 1) => (n === undefined || !Number.isFinite(n) ? 'n/a' : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }));
const seconds = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${fmt(ms / 1000)} s`);
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? 'n/a' : `${fmt(a / b, 2)}x`);
const verdict = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? 'met' : '**missed**');

// ---------------------------------------------------------------- the targets of #17, one table

/**
 * The full `.ci/run` time is an input, not a measurement of this bench: `.ci/run` runs every test
 * for minutes and would load the machine under every other figure. Give the wall time of a
 * measured run with `--ci-run-seconds=<n>` (or BENCH_CI_RUN_SECONDS), and where it came from with
 * `--ci-run-source=<text>`; it is stored in bench/results.json (so --render-only keeps it) and shown
 * as an input in the table.
 */
interface CiRunInput {
  seconds: number;
  source: string;
}

function ciRunInput(argv: readonly string[]): CiRunInput | undefined {
  const arg = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const raw = arg('ci-run-seconds') ?? process.env.BENCH_CI_RUN_SECONDS;
  if (raw === undefined) return undefined;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0) throw new Error(`--ci-run-seconds must be a positive number of seconds, got "${raw}"`);
  return { seconds, source: arg('ci-run-source') ?? process.env.BENCH_CI_RUN_SOURCE ?? 'a measured run of .ci/run, given to the bench' };
}

/** Every row of the issue's target table, each figure next to its target, from one run. */
function renderTargets(m: Record<string, Measured<any>>, ciRun: CiRunInput | undefined): string[] {
  const series = (id: string, run: CacheRun) => (m[id] as Measured<CacheSeries> | undefined)?.result?.[run];
  const out: string[] = ['### Targets (#17), from this run', ''];
  out.push('| figure | measured | target | verdict |', '| --- | --- | --- | --- |');
  const cold = series('cache-3', 'cold');
  out.push(
    `| main job, empty caches (3 environments) | ${seconds(cold?.wallMs)} wall, ${seconds(cold?.result?.cpuMs)} CPU | <= 15 s wall on 2 cores, quiet; CPU <= 15 s | wall ${verdict(cold?.result ? cold.wallMs <= 15_000 : undefined)}, CPU ${verdict(cold?.result ? cold.result.cpuMs <= 15_000 : undefined)} |`,
  );
  const unchanged = series('cache-3', 'unchanged');
  out.push(`| main job, nothing changed | ${seconds(unchanged?.wallMs)} wall | <= 6 s wall | ${verdict(unchanged?.result ? unchanged.wallMs <= 6_000 : undefined)} |`);
  const one = series('cache-3', 'oneChange');
  out.push(`| main job, one construct's property changed in one environment | ${seconds(one?.wallMs)} wall | <= 10 s wall | ${verdict(one?.result ? one.wallMs <= 10_000 : undefined)} |`);
  const gate3 = m['synth-control-tower'] as Measured<SynthJobResult> | undefined;
  const gate10 = m[SCALE.id] as Measured<SynthJobResult> | undefined;
  const scaleRow = (label: string, a: Measured<SynthJobResult> | undefined, b: Measured<SynthJobResult> | undefined) =>
    `| ${label} | ${ratio(b?.wallMs, a?.wallMs)} wall (${seconds(b?.wallMs)} / ${seconds(a?.wallMs)}), ${ratio(b?.result?.cpuMs, a?.result?.cpuMs)} CPU | <= 3x the 3-environment time | ${verdict(a?.result && b?.result ? b.wallMs <= 3 * a.wallMs : undefined)} |`;
  out.push(scaleRow('10 environments, the gate without the cache', gate3, gate10));
  for (const [run, label] of [['cold', 'empty cache'], ['unchanged', 'nothing changed'], ['oneChange', 'one property changed']] as const) {
    out.push(scaleRow(`10 environments, main job with the cache: ${label}`, series('cache-3', run), series('cache-10', run)));
  }
  for (const [key, label] of [['ingest-jsonl', 'ingest JSON Lines'], ['ingest-csv', 'ingest CSV']] as const) {
    const r = m[key]?.result as { ratioToBaseline: number; handlerMs: number; baselineMs: number } | undefined;
    out.push(`| ${label}, handler path / bare parse | ${r ? `${fmt(r.ratioToBaseline, 2)}x (${seconds(r.handlerMs)} / ${seconds(r.baselineMs)})` : `n/a${m[key]?.error ? ` (failed: ${m[key].error})` : ''}`} | <= 2x | ${verdict(r ? r.ratioToBaseline <= 2 : undefined)} |`);
    const shuffled = m[`${key}-shuffled`]?.result as { ratioToBaseline: number } | undefined;
    if (shuffled) out.push(`| ${label}, the same ids shuffled (out of order: the duplicate-id check keeps these numbered ids in its bitset) | ${fmt(shuffled.ratioToBaseline, 2)}x | <= 2x | ${verdict(shuffled.ratioToBaseline <= 2)} |`);
    const opaque = m[`${key}-opaque`]?.result as { ratioToBaseline: number } | undefined;
    if (opaque) out.push(`| ${label}, opaque ids (32 hex digits, as UUIDs: every id through the duplicate check's hash table) | ${fmt(opaque.ratioToBaseline, 2)}x | <= 2x | ${verdict(opaque.ratioToBaseline <= 2)} |`);
  }
  out.push(
    ciRun
      ? `| a full \`.ci/run\` (input: ${ciRun.source}; not measured by this bench) | ${fmt(ciRun.seconds / 60, 1)} min wall | < 10 min on 2 cores | ${verdict(ciRun.seconds < 600)} |`
      : '| a full `.ci/run` | not given (an input: `npm run bench -- --ci-run-seconds=<n>`) | < 10 min on 2 cores | n/a |',
  );
  return out;
}

function renderTables(m: Record<string, Measured<any>>, ciRun?: CiRunInput): string {
  const out: string[] = [];
  const synth = (id: string) => m[`synth-${id}`] as Measured<SynthJobResult>;
  const bare = synth('bare');
  const fail = (x: Measured<unknown>) => (x.error ? ` (failed: ${x.error})` : '');

  out.push(...renderTargets(m, ciRun), '');
  out.push('### 1. Synth cost of the main job (3 environments)', '');
  out.push('| stage (cumulative) | wall | CPU | peak RSS | wall vs bare | CPU vs bare | resources | notes |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const stage of SYNTH_STAGES) {
    const s = synth(stage.id);
    const r = s.result;
    const notes = [
      r?.unacknowledgedErrors ? `${r.unacknowledgedErrors} unacknowledged errors` : '',
      r?.reportNote ? `report ${seconds(r.reportMs)}: ${r.reportNote}` : '',
      r && stage.options.bundling ? `bundles: ${r.bundles.built} built, ${r.bundles.cached} from cache` : '',
    ].filter(Boolean).join('; ');
    out.push(`| ${stage.label} | ${seconds(s.wallMs)} | ${seconds(r?.cpuMs)} | ${fmt(r?.maxRssMb, 0)} MB | ${ratio(s.wallMs, bare.wallMs)} | ${ratio(r?.cpuMs, bare.result?.cpuMs)} | ${r?.resources ?? 'n/a'} | ${notes}${fail(s)} |`);
  }
  const main = synth('bundling');
  out.push('');
  out.push(
    `Main job target <= 15 s wall: ${verdict(main.result ? main.wallMs <= 15_000 : undefined)} (${seconds(main.wallMs)} wall, ${seconds(main.result?.cpuMs)} CPU${main.result && main.result.cpuMs > 15_000 ? ': with more than 15 s of CPU, not met even on an idle 2-core machine unless the work spreads over both cores' : ''}); ` +
      `<= 1 GB peak RSS: ${verdict(main.result ? main.result.maxRssMb <= 1024 : undefined)} (${fmt(main.result?.maxRssMb, 0)} MB).`,
  );
  const b = m.bundling.result as { handlers: number; npxPerFunctionMs: number; inProcessColdMs: number; cachedMs: number } | undefined;
  if (b) {
    out.push(
      `Lambda bundling of ${b.handlers} handlers: one \`npx esbuild\` process per function (how NodejsFunction ran it) ${seconds(b.npxPerFunctionMs)} (baseline); ` +
        `in-process esbuild, empty cache ${seconds(b.inProcessColdMs)} (${ratio(b.inProcessColdMs, b.npxPerFunctionMs)}); unchanged inputs, from the cache ${seconds(b.cachedMs)} (${ratio(b.cachedMs, b.npxPerFunctionMs)}). ` +
        `Target "no esbuild process per function per stage when nothing changed": ${verdict(main.result ? main.result.bundles.built === 0 || b.cachedMs < b.npxPerFunctionMs : undefined)}.`,
    );
  } else out.push(`Lambda bundling: ${m.bundling.error}`);
  const ct = m['control-tower-guard'] as Measured<ControlTowerBenchResult> | undefined;
  if (ct?.result) {
    const c = ct.result;
    out.push(
      '',
      `Control Tower guard alone on the main job's ${c.templates} templates (${c.resources} resources), no cache, faster of two alternating runs: ` +
        `every applicable rule on whole templates in one cfn-guard process (the plugin as the gate ran it before) ${seconds(c.wholeTemplatesMs)} (baseline); ` +
        `rules grouped by the types they read, on reduced templates, one lane ${seconds(c.groupedOneLaneMs)} (${ratio(c.groupedOneLaneMs, c.wholeTemplatesMs)}); ` +
        `two lanes ${seconds(c.groupedTwoLanesMs)} (${ratio(c.groupedTwoLanesMs, c.wholeTemplatesMs)}). Same findings in all three: ${c.sameFindings ? 'yes' : '**no**'}. ` +
        `CPU (this process and its cfn-guard processes): whole templates ${seconds(c.wholeTemplatesCpuMs)}, one lane ${seconds(c.groupedOneLaneCpuMs)}, two lanes ${seconds(c.groupedTwoLanesCpuMs)} ` +
        `(${ratio(c.groupedTwoLanesCpuMs, c.groupedOneLaneCpuMs)} of one lane's). The gate uses ${c.lanes} lane${c.lanes === 1 ? '' : 's'} here (the cores but one: the validator's engine runs beside it).`,
    );
  } else out.push('', `Control Tower guard alone: ${ct?.error ?? 'not measured'}`);

  out.push('', '### 2. Scale guard (10 environments through the gate)', '');
  const scale = m[SCALE.id] as Measured<SynthJobResult>;
  const three = synth('control-tower');
  out.push('| app | wall | CPU | peak RSS | resources | ms per resource (wall) | ratio vs 3 environments (wall / CPU) | target |', '| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const [label, s, target] of [['3 environments (baseline)', three, ''], ['10 environments', scale, '<= 3x']] as const) {
    const r = s.result;
    out.push(`| ${label} | ${seconds(s.wallMs)} | ${seconds(r?.cpuMs)} | ${fmt(r?.maxRssMb, 0)} MB | ${r?.resources ?? 'n/a'} | ${fmt(r ? s.wallMs / r.resources : undefined, 1)} | ${ratio(s.wallMs, three.wallMs)} / ${ratio(r?.cpuMs, three.result?.cpuMs)} | ${target}${target && r ? ` wall ${verdict(s.wallMs <= 3 * three.wallMs)}, CPU ${verdict(r.cpuMs <= 3 * (three.result?.cpuMs ?? Infinity))}` : ''}${fail(s)} |`);
  }

  // Features (#13)
  out.push('', '### Features: ingest throughput and the online lookup at the gateway', '');
  const fi = m['feature-ingest']?.result as { rows: number; recordsPerSecond: number } | undefined;
  out.push(fi ? `feature-ingest, PutRecord and S3 mocked at 0 ms: ${fi.recordsPerSecond} records/s over ${fi.rows} rows.` : `feature-ingest: ${m['feature-ingest']?.error ?? 'not run'}`);
  const ol = m['online-lookup']?.result as
    | { withoutMs: number; withMs: number; ratio: number; ratioRange: [number, number]; sdk?: { withoutMs: number; withMs: number; ratio: number } }
    | undefined;
  out.push(
    ol
      ? `Gateway per request, every AWS call answered in 0 ms (each client's send stubbed), A/B interleaved in one run: ${fmt(ol.withoutMs, 3)} ms without the online lookup, ${fmt(ol.withMs, 3)} ms with it (median ratio ${fmt(ol.ratio, 2)}x, rounds ${fmt(ol.ratioRange?.[0], 2)}-${fmt(ol.ratioRange?.[1], 2)}x; target <= 1.2x ${verdict(ol.ratio <= 1.2)}).` +
          (ol.sdk
            ? ` With the real SDK clients' own work counted (serialise, sign, parse; an HTTP handler answering at once): ${fmt(ol.sdk.withoutMs, 3)} ms vs ${fmt(ol.sdk.withMs, 3)} ms (${fmt(ol.sdk.ratio, 2)}x): the lookup is a third AWS call next to the breaker's read and InvokeEndpoint.`
            : '')
      : `online lookup: ${m['online-lookup']?.error ?? 'not run'}`,
  );
  out.push(...renderCacheTables(m));

  out.push('', '### 3. Lambda cold start (module init, median of fresh processes)', '');
  const cold = m['cold-start'].result as any;
  if (cold) {
    out.push(`Baseline per handler: a bundle of only the same SDK clients (constructed), same esbuild options. Empty bundle: ${fmt(cold.emptyBundleInitMedianMs)} ms. ${cold.runs} processes each.`, '');
    out.push('| handler | bundle (minified) | init | clients-only init | ratio (target <= 1.3) | SDK packages | notes |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const h of cold.handlers) {
      const notes = [
        h.computeOnly ? `compute-only: target <= 20 KB ${verdict(h.sizeBytes <= 20 * 1024)}` : '',
        h.heavyValidators.length ? `bundles ${h.heavyValidators.join(', ')}` : 'no heavyweight validator',
        h.initError ? `init threw: ${String(h.initError).slice(0, 80)}` : '',
      ].filter(Boolean).join('; ');
      out.push(`| ${h.handler} | ${fmt(h.sizeBytes / 1024, 0)} KB | ${fmt(h.initMedianMs)} ms | ${fmt(h.baselineInitMedianMs)} ms | ${h.ratio === undefined ? 'n/a' : `${fmt(h.ratio, 2)}x ${verdict(h.ratio <= 1.3)}`} | ${h.sdkPackages.map((p: string) => p.replace('@aws-sdk/', '')).join(', ') || 'none'} | ${notes} |`);
    }
  } else out.push(`failed: ${m['cold-start'].error}`);

  out.push('', '### 4. Ingest throughput (1M records, S3 replaced by in-memory streams)', '');
  out.push('| format | records/s (handler path) | baseline records/s | ratio (target <= 2x) | heap while streaming (first -> last sample) | peak RSS |', '| --- | --- | --- | --- | --- | --- |');
  for (const key of ['ingest-jsonl', 'ingest-csv', 'ingest-jsonl-shuffled', 'ingest-csv-shuffled', 'ingest-jsonl-opaque', 'ingest-csv-opaque']) {
    if (!m[key]) continue;
    const r = m[key].result as any;
    if (!r) {
      out.push(`| ${key} | failed: ${m[key].error} | | | | |`);
      continue;
    }
    const heap = r.heapSamples.length ? `${fmt(r.heapSamples[0].heapMb, 0)} MB at ${fmt(r.heapSamples[0].records / 1000, 0)}k -> ${fmt(r.heapSamples[r.heapSamples.length - 1].heapMb, 0)} MB at ${fmt(r.heapSamples[r.heapSamples.length - 1].records / 1000, 0)}k` : 'n/a';
    out.push(`| ${r.format}${r.ids === 'shuffled' ? ', ids shuffled' : r.ids === 'opaque' ? ', opaque ids' : ''} (${fmt(r.inputMb, 0)} MB) | ${fmt(r.recordsPerSecond, 0)} | ${fmt(r.baselineRecordsPerSecond, 0)} (${r.format === 'jsonl' ? 'JSON.parse per line' : "split(',') per line"}) | ${fmt(r.ratioToBaseline, 2)}x ${verdict(r.ratioToBaseline <= 2)} | ${heap} | ${fmt(r.maxRssMb, 0)} MB |`);
  }

  out.push('', '### 5. Drift statistics (PSI + KS, 1M rows x 50 features, one thread)', '');
  const d = m.drift.result as any;
  if (d) {
    out.push('| path | time | values/s | baseline (one summing pass over 50M values) | ratio | target |', '| --- | --- | --- | --- | --- | --- |');
    out.push(`| sample path | ${fmt(d.samplePathMs, 0)} ms | ${fmt(d.valuesPerSecond / 1e6, 1)}M | ${fmt(d.baselineValuesPerSecond / 1e6, 1)}M/s | ${fmt(d.baselineValuesPerSecond / d.valuesPerSecond, 2)}x slower | >= 12M values/s ${verdict(d.valuesPerSecond >= 12e6)} |`);
    out.push(`| bin-count path, 50 features | ${fmt(d.binPathMs, 2)} ms (first run ${fmt(d.binPathFirstMs, 2)} ms) | | | | < 50 ms ${verdict(d.binPathFirstMs < 50)} |`);
  } else out.push(`failed: ${m.drift.error}`);

  out.push('', '### Scaling what-if engine', '');
  const s = m.scaling.result as any;
  if (s) {
    out.push(`24 h at 1-second resolution (${s.seconds.toLocaleString('en-US')} s): simulate ${fmt(s.simulateMs, 1)} ms (target < 1 s ${verdict(s.simulateMs < 1000)}), parse ${fmt(s.parseMs, 1)} ms; baseline, one bare pass over the trace: ${fmt(s.baselineMs, 2)} ms (${ratio(s.simulateMs, s.baselineMs)}).`, '');
    out.push('Spike trace (bench/traces/spike-6x.csv) on prod\'s fraud-detector-prod, see docs/scaling-simulation.md:', '');
    out.push('| policy | first scale-out after the ramp | seconds overloaded | peak queue | instance-hours | estimated cost |', '| --- | --- | --- | --- | --- | --- |');
    for (const c of s.comparison) {
      out.push(`| ${c.metric === 'concurrency' ? 'concurrency, high-resolution (10 s)' : 'invocations per instance (60 s)'}, target ${fmt(c.target, 0)} | ${c.firstScaleOutAfterRampSeconds ?? 'n/a'} s | ${c.secondsOverloaded} | ${fmt(c.peakQueue, 0)} | ${fmt(c.instanceHours, 2)} | $${fmt(c.estimatedCostUsd, 2)} |`);
    }
  } else out.push(`failed: ${m.scaling.error}`);
  return out.join('\n');
}

/**
 * What profiling found and what was changed (issue #17). Written by hand from the profiles named
 * in it; the figures in "Latest results" are the bench's own.
 */
const WHERE_THE_TIME_GOES = `## Where the time goes, and what was cut

Profile: \`node --cpu-prof\` of a bare synth of the three environments (the app's constructs and
\`app.synth()\`, no gate); then the gate's two template-level checks timed on its templates. The
recording nag packs and the auditor report are not part of the bare synth and were not profiled
in this round. Shares are of the profile's samples; the machine was shared (load average 10 to 18
on 2 cores), so the seconds below are CPU time, and a quiet machine has to re-measure wall times.

Bare synth (7.8 s CPU under ts-node), largest items:

| item | share | what was done |
| --- | --- | --- |
| TypeScript transpiling every .ts file on every run (\`ts-node\` \`transpileModule\`, TypeScript's emitter) | 28% | the app now runs with \`scripts/ts-register.js\` (cdk.json \`app\`): the local esbuild transpiles each file once and the output is cached by content in \`node_modules/.cache/plinth-ts\`; the templates are byte-identical |
| \`source-map-support\` (ts-node installs it): mapping the creation trace CDK captures for each construct (6.6%), and its hook on module resolution (5.2%) | 12% | gone with ts-node; Node's own source-map support maps the traces (creation traces in all: 8.7%, most of it this mapping) |
| module loading (\`wrapSafe\` compiling, resolution, reading files) | 16% | fourth session: the installed JavaScript (about 1,000 modules, 30 MB) is compiled with a V8 code cache kept in \`node_modules/.cache/plinth-v8\` (\`scripts/ts-register.js\`): about 0.45 s CPU less per synth |
| \`app.synth()\` | 19% | not changed (CDK); most of it token resolution (\`resolve\`, 16%) |
| construction (\`PlatformStage\`, inside CDK's \`PropertyInjectable\` wrapper) | 30% (overlaps the rows above) | not changed; aspects (under 0.1%) and hashing (under 1%) are not where the time goes |
| garbage collection | 4% | |

Result, same machine back to back: bare synth 7.8 s -> 5.6 s CPU (-28%), templates and tree identical.

The gate's template-level checks (12 templates, 705 resources):

| check | cost from empty | what was done |
| --- | --- | --- |
| CloudFormation validator | starting the engine (WebAssembly, schemas) and its first validation: about 8 s CPU; each further template about 0.1 s. Fifth session, with the main job's Node options (cdk.json \`app\`): about 1.5 to 2 s to start and 2 s for the 12 templates | results cached per template (\`lib/compliance/template-checks.ts\`); when every template is cached the engine is not started; it starts once per process for all stages and Apps (a new resource type no built-in rule names no longer restarts it) |
| Control Tower guard (cfn-guard, 237 rules) | second session: about 8 s CPU in one cfn-guard process; third session: about 5.5 s CPU under load (processes and reduced templates included), spread over one lane per core; seventh session, on a machine where page faults cost about 9 us: 11.3 s with two lanes, then about 3.7 s in one lane (stubs only for named resources, five rule groups given only the properties they read) | results cached per template, and inside a template per group of rules (below) |

cfn-guard groupings measured on the 12 templates in the second session (CPU of the cfn-guard processes / wall, load average 10):
one process for all templates 8.2 s / 14.9 s; one process per template in turn 9.1 s / 24.7 s; two
processes (templates split by size) in turn 9.3 s / 28.4 s, in parallel 9.3 s / 21.3 s; one per
template all in parallel 8.7 s / 14.9 s. Kept then: one process for all templates.

Third session (\`lib/compliance/control-tower.ts\`, \`control-tower-lanes.ts\`): cfn-guard's time per
rule grows with the size of the whole template it reads, while each rule reads a few resource
types (the 41 managed policies of one Models template take 1.3 s for CT.IAM.PR.3 alone). The
rules are now grouped by the resource types they read (the types their metadata evaluates and
every type their source names), and each group runs on each template reduced to those types:
whole resources of those types, and every other resource as its logical id and \`Type\` only, so a
lookup by logical id still sees what it would. A test holds every shipped rule to the two query
shapes that make this safe (select by a named type; look up by logical id and read only \`Type\`),
and two more compare the findings, violation by violation, with the plugin on whole templates:
a fixture of wrong-type references, and the platform's own dev templates
(\`test/compliance/control-tower-grouping.test.ts\`). The groups' cfn-guard processes run side by
side, one lane per core: this thread runs one lane and worker threads the others, and a lane that
fails fails the gate (\`test/compliance/control-tower-lanes.test.ts\`). Results are also cached per
group and reduced template, so a changed queue re-runs only the rules that read queues. Measured
on the 12 templates of the main job under load average 5 to 9 (other sessions running), back to
back: whole templates in one process 14 s CPU, grouped and reduced 5.5 s CPU (2.5x less); the
bench's "Control Tower guard alone" line gives the wall-time ratios of one run.

The cache's key is each template's SHA-256 with the checker's tool and rule versions (cfn-guard,
the guard plugin, a hash of every rule file; aws-cdk-lib, the validation engine, a hash of CDK's
built-in rules) and what the checker is told about the template (stack path, account, region). An
entry is used only if it parses, names the cache format, holds exactly that key, and its result
matches the checksum stored with it; otherwise the template is checked again. Both checkers put
their report together from the per-template results in one order, so a report from the cache is
byte-identical to a fresh one (\`test/compliance/template-check-cache.test.ts\`).

What remains with nothing changed: the bare synth, the nag packs and Plinth's rules (they walk
the construct tree, not templates, and are not cached), and the auditor report. The validator's
engine is not started when the run's inputs are those of an earlier run whose templates all went
into the cache (\`lib/compliance/engine-start-prediction.ts\`; the "validator engine" column of
table 1b says which way each run went). After one change, add the validator engine's start (about
2 s CPU with the main job's Node options) and cfn-guard's rule groups that read the changed resources.
`;

function renderDoc(results: { started: string; totalSeconds: number; machine: Record<string, unknown> }, table: string): string {
  const mc = results.machine as { cpu: string; cores: number; memoryGb: number; os: string; node: string; loadAverageAtStart: number[]; parallelProcesses: number };
  return `# Performance

Generated by \`npm run bench -- --write-docs\` (bench/run.ts); do not edit by hand. Raw figures: \`bench/results.json\`.
Benchmarks report; they never fail a build, and CI does not run them.

**Last run:** ${results.started}, ${fmt(results.totalSeconds, 0)} s in all, on ${mc.cores} cores (${mc.cpu}), ${mc.memoryGb} GB, ${mc.os}, Node ${mc.node}.
Load average at the start: ${mc.loadAverageAtStart.join(', ')}; ${mc.parallelProcesses} measurement processes at a time.
Shared machines are noisy: compare each figure with the baseline measured in the same run (the
ratio), and CPU time with CPU time; wall time moves with whatever else runs.

## How each figure is measured, and why the target

- **Synth cost of the main job.** Each stage is a separate process that builds all three
  environments from \`config/\` (bench/synth-job.ts) with one more part of the gate than the stage
  before: bare synth (the baseline); the four cdk-nag packs and Plinth's rules; CDK's CloudFormation
  validator (\`builtinCloudFormationValidation\`, what \`@aws-cdk/core:validateAgainstDefaultRules\` and
  \`CDK_VALIDATION\` switch); the Control Tower guard (cfn-guard); the auditor report
  (\`writeComplianceReports\`); Lambda bundling (skipped in the earlier stages with the context
  \`aws:cdk:bundling-stacks: []\`). The last stage is what \`npm start\` synthesizes, minus the CDK CLI's own start-up.
  Wall time is the whole process, from spawn to exit (Node, the TypeScript loader of cdk.json, construction, synth); CPU is
  user + system time of that process and its children (cfn-guard), every thread included. Every synth job runs with the Node
  options of cdk.json's \`app\` (\`${SYNTH_NODE_OPTIONS.join(' ') || 'none'}\`), as \`cdk synth\` runs the app. Targets: the main job in <= 15 s wall and <= 1 GB peak RSS,
  because a platform team runs it on every change and in CI; bundling must not run an esbuild
  process per function per stage when nothing changed (\`lib/compute/lambda-bundle.ts\`: one
  in-process esbuild per distinct handler per process, and a content-checked cache in
  \`node_modules/.cache/plinth-lambda-bundles\` reused across runs). These stages check every
  template (no template-check cache), so each increment is the check's full cost. That the
  validator engine starts once per process (not once per stage or App) is proven by a counter in
  \`test/compliance/validator-engine.test.ts\`, not measured here.
- **The main job with the template-check cache.** The main job three times in a row, each its own
  process, on a template-check cache of its own (\`lib/compliance/template-checks.ts\`): from an
  empty cache; again with nothing changed; then with one construct's property changed in one
  environment (the first SQS queue's retention in the last environment, \`changeOneProperty\`).
  Baseline: the bare synth of section 1, same run. Targets: <= 15 s wall and CPU from empty,
  <= 6 s wall with nothing changed, <= 10 s wall after one change; and, at 10 environments,
  each run <= 3x its 3-environment figure (the scale guard, with the cache).
- **Scale guard.** The same constructs and configs, copied to 10 environments (each its own account),
  through the gate (the "Control Tower" stage's options). Target <= 3x the 3-environment time: growth at
  most linear in environments, which catches per-stack validator costs and Aspect loops over many stacks.
- **Lambda cold start.** Every \`lambdas/*/index.ts\`, bundled with the production esbuild options; the
  time to \`require\` the bundle in a fresh Node process, median of 20. Baseline: a bundle of only the
  same SDK clients (each client constructed), same options. Targets: ratio <= 1.3 (the handler adds
  little to the clients it needs); compute-only handlers <= 20 KB; no heavyweight validator (zod,
  ajv, joi, yup) in a handler bundle.
- **Ingest throughput.** One million records through the ingest handler's own decode, split, parse,
  validate and route path (\`streamRecords\` and \`RecordRouter\`), with the S3 reads and writes
  replaced by in-memory streams; the input is made before timing. Baseline: the same chunks split
  into lines and \`JSON.parse\`d (JSONL) or \`split(',')\` (CSV). Each format runs with three kinds of record
  id: numbered in order (\`t-0\`, \`t-1\`, ...), the same numbers shuffled, and opaque (32 hex digits, as
  UUIDs), because the duplicate-id check has paths for numbered ids that opaque ids never take. Targets: <= 2x the baseline; the heap
  does not grow with the input (samples while streaming; the duplicate check keeps up to 1M ids by
  design, a bounded cost).
- **Drift statistics.** \`lambdas/drift-stats/bench.ts\`: PSI and KS over 1M rows x 50 features of a
  window sample on one thread, and the bin-count path (Athena's counts to statistics) for 50 features.
  Baseline: one summing pass over the same number of values. Targets: >= 12M values/s; the bin-count
  path < 50 ms. Correctness is a test (test/lambdas/drift), not a benchmark.
- **Scaling what-if.** A 24-hour trace at 1-second resolution through \`simulateScaling\`; target < 1 s.
  Baseline: one bare pass over the trace. The spike comparison is explained in
  [scaling-simulation.md](scaling-simulation.md).

${WHERE_THE_TIME_GOES}
## Latest results

${table}
`;
}

if (process.argv.includes('--render-only')) renderOnly();
else {
  main().catch((error) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
    process.exit(1);
  });
}
