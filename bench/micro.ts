/**
 * The non-synth benchmarks of `npm run bench`, one per process: `micro.ts <name>` prints a JSON
 * result as its last line. Names: bundling, cold-start, ingest-jsonl, ingest-csv, ingest-jsonl-shuffled,
 * ingest-csv-shuffled, ingest-jsonl-opaque, ingest-csv-opaque, drift, scaling.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import { DECLARED_ENVIRONMENTS, loadEnvironments } from '../config';
import { esbuildOptions } from '../lib/compute/lambda-bundle';
import { SAGEMAKER_REALTIME_PRICES } from '../config/pricing/sagemaker-instances';
import { parseScalingTrace, simulateScaling } from '../lib/inference/scaling-simulation';

const ROOT = path.join(__dirname, '..');

function ms(from: bigint): number {
  return Number(process.hrtime.bigint() - from) / 1e6;
}

/** CPU milliseconds (user + system, every thread of the process: GC helpers too) since `from`. */
function cpuMs(from: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(from);
  return (used.user + used.system) / 1e3;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

// ---------------------------------------------------------------- cold start

/** Module-init time of `file` in a fresh Node process (require only; the handler is not invoked). */
function initTimes(file: string, runs: number): { medianMs: number; error?: string } {
  const probe =
    'const t=process.hrtime.bigint();let e;try{require(process.argv[1])}catch(x){e=String(x&&x.message||x)}' +
    'process.stdout.write(JSON.stringify({ms:Number(process.hrtime.bigint()-t)/1e6,e}))';
  const times: number[] = [];
  let error: string | undefined;
  for (let i = 0; i < runs; i++) {
    const run = spawnSync(process.execPath, ['-e', probe, file], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench' },
    });
    const out = JSON.parse(run.stdout) as { ms: number; e?: string };
    times.push(out.ms);
    error = error ?? out.e;
  }
  return { medianMs: median(times), error };
}

/** The client (or Upload) class each SDK package in a bundle exports, to build the baseline bundle. */
function clientExport(pkg: string): string | undefined {
  const exports = Object.keys(require(pkg) as Record<string, unknown>);
  const clients = exports.filter((k) => /^[A-Z][A-Za-z0-9]*Client$/.test(k)).sort((a, b) => a.length - b.length);
  return clients[0] ?? (exports.includes('Upload') ? 'Upload' : undefined);
}

function coldStart(runs = 20) {
  const esbuild = require('esbuild') as typeof import('esbuild');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-bench-cold-'));
  const handlers = fs.readdirSync(path.join(ROOT, 'lambdas')).filter((d) => fs.existsSync(path.join(ROOT, 'lambdas', d, 'index.ts')));
  // Handlers with the same SDK packages share one clients-only baseline.
  const baselines = new Map<string, { medianMs: number; sizeBytes: number }>();
  const rows = handlers.map((handler) => {
    const outfile = path.join(work, handler, 'index.js');
    const built = esbuild.buildSync({ ...esbuildOptions(path.join(ROOT, 'lambdas', handler, 'index.ts'), outfile), metafile: true, logLevel: 'silent' });
    const inputs = Object.keys(built.metafile.inputs);
    const packages = [...new Set(inputs.map((f) => /node_modules\/(@aws-sdk\/(?:client|lib)-[^/]+)\//.exec(f)?.[1]).filter((p): p is string => !!p))].sort();
    const heavy = ['zod', 'ajv', 'joi', 'yup'].filter((lib) => inputs.some((f) => f.includes(`node_modules/${lib}/`)));
    const handlerInit = initTimes(outfile, runs);
    let baseline: { medianMs: number; sizeBytes: number } | undefined = baselines.get(packages.join(' '));
    if (packages.length > 0 && !baseline) {
      const lines = packages.flatMap((pkg, i) => {
        const name = clientExport(pkg);
        if (!name) return [];
        const construct = name === 'Upload' ? '' : `new C${i}({});`;
        return [`import { ${name} as C${i} } from '${pkg}';`, construct ? `export const c${i} = (() => { ${construct.replace(';', '')} ; return C${i}; })();` : `export const c${i} = C${i};`];
      });
      const entry = path.join(work, handler, 'clients-only.ts');
      fs.writeFileSync(entry, lines.join('\n'));
      const clientsOut = path.join(work, handler, 'clients-only.js');
      esbuild.buildSync({ ...esbuildOptions(entry, clientsOut), absWorkingDir: ROOT, nodePaths: [path.join(ROOT, 'node_modules')], logLevel: 'silent' });
      baseline = { medianMs: initTimes(clientsOut, runs).medianMs, sizeBytes: fs.statSync(clientsOut).size };
      baselines.set(packages.join(' '), baseline);
    }
    return {
      handler,
      sizeBytes: fs.statSync(outfile).size,
      sdkPackages: packages,
      computeOnly: packages.length === 0,
      heavyValidators: heavy,
      initMedianMs: handlerInit.medianMs,
      initError: handlerInit.error,
      baselineInitMedianMs: baseline?.medianMs,
      baselineSizeBytes: baseline?.sizeBytes,
      ratio: baseline ? handlerInit.medianMs / baseline.medianMs : undefined,
    };
  });
  // Baseline for the compute-only handlers: an empty bundle in a fresh process.
  const empty = path.join(work, 'empty.js');
  fs.writeFileSync(empty, '"use strict";');
  const emptyInit = initTimes(empty, runs).medianMs;
  fs.rmSync(work, { recursive: true, force: true });
  return { runs, emptyBundleInitMedianMs: emptyInit, handlers: rows };
}

// ---------------------------------------------------------------- bundling

/**
 * Lambda bundling three ways, for every handler: as NodejsFunction ran it (one `npx esbuild` process
 * per function), with the in-process esbuild and an empty cache (cold), and from the cache (warm).
 */
function bundling() {
  const { bundleHandler } = require('../lib/compute/lambda-bundle') as typeof import('../lib/compute/lambda-bundle');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-bench-bundle-'));
  const cacheDirectory = path.join(work, 'cache');
  const handlers = fs.readdirSync(path.join(ROOT, 'lambdas')).filter((d) => fs.existsSync(path.join(ROOT, 'lambdas', d, 'index.ts')));
  const timeAll = (run: (handler: string, out: string) => void) => {
    const start = process.hrtime.bigint();
    for (const handler of handlers) {
      const out = fs.mkdtempSync(path.join(work, `${handler}-`));
      run(handler, out);
    }
    return ms(start);
  };
  const npxMs = timeAll((handler, out) => {
    const entry = path.join(ROOT, 'lambdas', handler, 'index.ts');
    const args = ['--no-install', 'esbuild', '--bundle', entry, '--target=node22', '--platform=node', '--format=cjs', `--outfile=${out}/index.js`, '--minify', '--sourcemap', '--log-level=error'];
    const run = spawnSync('npx', args, { cwd: ROOT, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`npx esbuild failed for ${handler}: ${run.stderr}`);
  });
  const coldMs = timeAll((handler, out) => bundleHandler(path.join(ROOT, 'lambdas', handler, 'index.ts'), out, { cacheDirectory }));
  const warmMs = timeAll((handler, out) => bundleHandler(path.join(ROOT, 'lambdas', handler, 'index.ts'), out, { cacheDirectory }));
  fs.rmSync(work, { recursive: true, force: true });
  return { handlers: handlers.length, npxPerFunctionMs: npxMs, inProcessColdMs: coldMs, cachedMs: warmMs };
}

// ---------------------------------------------------------------- ingest

const RECORDS = 1_000_000;

/**
 * The record ids: in order (`t-0, t-1, ...`, as sequence numbers come), or the same ids shuffled
 * (a fixed-seed Fisher-Yates), since the duplicate-id check has a fast path for ids in order
 * (lambdas/ingest/id-table.ts); out of order, these numbered ids go to its bitset, not its slot table.
 */
let idOf: (i: number) => number = (i) => i;

function shuffledIds(): (i: number) => number {
  const ids = new Int32Array(RECORDS);
  for (let i = 0; i < RECORDS; i++) ids[i] = i;
  let state = 0x2545f491;
  for (let i = RECORDS - 1; i > 0; i--) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const j = state % (i + 1);
    const t = ids[i]!;
    ids[i] = ids[j]!;
    ids[j] = t;
  }
  return (i) => ids[i]!;
}

/**
 * Opaque ids instead of numbered ones (`ids: 'opaque'`): 32 hex digits, as a UUID without its
 * dashes (the merchants schema allows 32 characters), distinct for every record (the first 8
 * digits are a bijection of the record number) and in no order. Neither of the duplicate-id
 * check's paths for numbered ids applies: every id goes through its hash table.
 */
let opaqueIds = false;

function opaqueId(i: number): string {
  const a = Math.imul(i, 0x9e3779b1) >>> 0;
  const b = Math.imul(i ^ 0x5bd1e995, 0x85ebca6b) >>> 0;
  const hex = (n: number, digits: number) => n.toString(16).padStart(8, '0').slice(0, digits);
  return `${hex(a, 8)}${hex(b, 4)}4${hex(b >>> 16, 3)}a${hex(a >>> 8, 3)}${hex(b, 8)}${hex(a, 4)}`;
}

function jsonlLine(i: number): string {
  const currency = i % 3 === 0 ? 'EUR' : i % 3 === 1 ? 'GBP' : 'USD';
  return (
    `{"transaction_id":"${opaqueIds ? opaqueId(i) : `t-${idOf(i)}`}","account_id":"a-${i % 5000}","amount":${(i % 100_000) / 100},"currency":"${currency}",` +
    `"merchant_category":"${5000 + (i % 900)}","occurred_at":"2026-11-20T08:${String(i % 60).padStart(2, '0')}:00Z","card_present":${i % 2 === 0}}`
  );
}

function csvLine(i: number): string {
  return `${opaqueIds ? opaqueId(i) : `m-${idOf(i)}`},"Merchant ${i}, Ltd",${i % 3 === 0 ? 'GB' : i % 3 === 1 ? 'DE' : 'US'},${1 + (i % 5)}`;
}

/**
 * The input as ~64 KB chunks, made before timing. Buffers live outside the JS heap, so the heap
 * samples taken while routing show what the handler's path keeps, not the input.
 */
function chunks(header: string | undefined, line: (i: number) => string): Buffer[] {
  const out: Buffer[] = [];
  let buffer = header ? `${header}\n` : '';
  for (let i = 0; i < RECORDS; i++) {
    buffer += `${line(i)}\n`;
    if (buffer.length >= 65_536) {
      out.push(Buffer.from(buffer));
      buffer = '';
    }
  }
  if (buffer) out.push(Buffer.from(buffer));
  return out;
}

async function ingest(format: 'jsonl' | 'csv', ids: 'ordered' | 'shuffled' | 'opaque' = 'ordered') {
  idOf = ids === 'shuffled' ? shuffledIds() : (i) => i;
  opaqueIds = ids === 'opaque';
  const { parseDatasetSchema } = require('../lambdas/ingest/dataset-schema') as typeof import('../lambdas/ingest/dataset-schema');
  const { compileSchema } = require('../lambdas/ingest/validator') as typeof import('../lambdas/ingest/validator');
  const { RecordRouter } = require('../lambdas/ingest/record-router') as typeof import('../lambdas/ingest/record-router');
  const { streamRecords } = require('../lambdas/ingest/process-object') as typeof import('../lambdas/ingest/process-object');
  const dataset = format === 'jsonl' ? DECLARED_ENVIRONMENTS.prod.dataLake.datasets[0] : DECLARED_ENVIRONMENTS.prod.dataLake.datasets[1];
  // The schema document the pipeline stores for the handler: the dataset config without its alarm settings.
  const { freshnessMinutes: _alarmOnly, ...document } = JSON.parse(JSON.stringify(dataset)) as Record<string, unknown>;
  const schema = compileSchema(parseDatasetSchema(document));
  const header = format === 'csv' ? 'merchant_id,name,country,risk_tier' : undefined;
  const input = chunks(header, format === 'jsonl' ? jsonlLine : csvLine);
  const inputMb = input.reduce((sum, b) => sum + b.length, 0) / 2 ** 20;

  // Baseline: decode and split the same chunks into lines, then a bare JSON.parse (JSONL) or split(',') (CSV) per line.
  let baselineRecords = 0;
  const baselineCpu = process.cpuUsage();
  const baselineStart = process.hrtime.bigint();
  let rest = '';
  for (const chunk of input) {
    const parts = (rest + chunk.toString('utf8')).split('\n');
    rest = parts.pop() ?? '';
    for (const part of parts) {
      if (format === 'jsonl') JSON.parse(part);
      else part.split(',');
      baselineRecords += 1;
    }
  }
  const baselineMs = ms(baselineStart);
  const baselineCpuMs = cpuMs(baselineCpu);

  // The handler's path: decode, split, parse, validate, route to curated or quarantine (the writers only count).
  let curated = 0;
  let quarantined = 0;
  const heapSamples: Array<{ records: number; heapMb: number }> = [];
  const counting = { write: () => void (curated += 1) } as { write(line: string): undefined };
  const quarantine = { write: () => void (quarantined += 1) } as { write(line: string): undefined };
  const router = new RecordRouter(schema, { bucket: 'raw', key: `bench/${format}`, etag: 'bench' }, counting, quarantine);
  const every = Math.ceil(input.length / 8);
  async function* streamed(): AsyncGenerator<Buffer> {
    for (let i = 0; i < input.length; i++) {
      if (i > 0 && i % every === 0) heapSamples.push({ records: router.stats.recordsIn, heapMb: process.memoryUsage().heapUsed / 2 ** 20 });
      yield input[i];
    }
  }
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await streamRecords(Readable.from(streamed()), format, router, { sourceBytes: 0, gzip: false });
  const handlerMs = ms(start);
  const handlerCpuMs = cpuMs(cpu);
  return {
    format,
    ids,
    inputMb,
    records: router.stats.recordsIn,
    curated,
    quarantined,
    baselineRecords,
    baselineMs,
    baselineRecordsPerSecond: baselineRecords / (baselineMs / 1000),
    handlerMs,
    recordsPerSecond: router.stats.recordsIn / (handlerMs / 1000),
    ratioToBaseline: handlerMs / baselineMs,
    // The same ratio in CPU time: on a shared machine, time the process waited for a core
    // (which wall time counts) varies between the two measurements; CPU time does much less.
    baselineCpuMs,
    handlerCpuMs,
    cpuRatioToBaseline: handlerCpuMs / baselineCpuMs,
    heapSamples,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

// ---------------------------------------------------------------- drift

function drift() {
  const { bench } = require('../lambdas/drift-stats/bench') as { bench: (o: object) => Record<string, number> };
  const result = bench({ rows: 1_000_000, features: 50, repeats: 2 });
  // Baseline: one pass over the same number of values (1M x 50 Float64Array columns), summing them.
  const columns = Array.from({ length: 50 }, (_, f) => Float64Array.from({ length: 1_000_000 }, (_, i) => ((i * 7919 + f) % 1000) / 1000));
  let best = Infinity;
  let sink = 0;
  for (let r = 0; r < 2; r++) {
    const start = process.hrtime.bigint();
    for (const column of columns) for (let i = 0; i < column.length; i++) sink += column[i];
    best = Math.min(best, ms(start));
  }
  return { ...result, baselinePassMs: best, baselineValuesPerSecond: 50_000_000 / (best / 1000), sink: sink > 0 };
}

// ---------------------------------------------------------------- scaling

function scaling() {
  const [prod] = loadEnvironments('prod');
  const endpoint = prod.modelRegistry.models[0].endpointName;
  // 24 h at 1-second resolution: the daily cycle, one row per second.
  const daily = parseScalingTrace(fs.readFileSync(path.join(__dirname, 'traces', 'daily-cycle.csv'), 'utf8'));
  const rows = ['timestamp,requests_per_second'];
  for (let s = 0; s < 86_400; s++) rows.push(`${s},${daily.requestsPerSecond[s].toFixed(2)}`);
  const csv = rows.join('\n');
  const parseStart = process.hrtime.bigint();
  const trace = parseScalingTrace(csv);
  const parseMs = ms(parseStart);
  let simulateMs = Infinity;
  for (let r = 0; r < 3; r++) {
    const start = process.hrtime.bigint();
    simulateScaling(prod, endpoint, trace, { prices: SAGEMAKER_REALTIME_PRICES });
    simulateMs = Math.min(simulateMs, ms(start));
  }
  // Baseline: one bare pass over the same 86,400 seconds.
  const baselineStart = process.hrtime.bigint();
  let sum = 0;
  for (const rate of trace.requestsPerSecond) sum += rate;
  const baselineMs = ms(baselineStart);
  const spike = parseScalingTrace(fs.readFileSync(path.join(__dirname, 'traces', 'spike-6x.csv'), 'utf8'));
  const comparison = (['concurrency', 'invocations'] as const).map((metric) => {
    const r = simulateScaling(prod, endpoint, spike, { metric, traceName: 'bench/traces/spike-6x.csv', prices: SAGEMAKER_REALTIME_PRICES });
    const firstOut = r.actions.find((a) => a.to > a.from && a.second >= 1800);
    return {
      metric,
      target: r.policy.target,
      metricPeriodSeconds: r.assumptions.metricPeriodSeconds,
      firstScaleOutAfterRampSeconds: firstOut ? firstOut.second - 1800 : undefined,
      secondsOverloaded: r.secondsOverloaded,
      peakQueue: r.peakQueue,
      instanceHours: r.instanceHours,
      estimatedCostUsd: r.estimatedCostUsd,
    };
  });
  return { seconds: trace.requestsPerSecond.length, parseMs, simulateMs, baselineMs, sum: sum > 0, comparison };
}

async function main(): Promise<void> {
  const name = process.argv[2];
  const result =
    name === 'cold-start' ? coldStart()
    : name === 'ingest-jsonl' ? await ingest('jsonl')
    : name === 'ingest-csv' ? await ingest('csv')
    : name === 'ingest-jsonl-shuffled' ? await ingest('jsonl', 'shuffled')
    : name === 'ingest-csv-shuffled' ? await ingest('csv', 'shuffled')
    : name === 'ingest-jsonl-opaque' ? await ingest('jsonl', 'opaque')
    : name === 'ingest-csv-opaque' ? await ingest('csv', 'opaque')
    : name === 'drift' ? drift()
    : name === 'scaling' ? scaling()
    : name === 'bundling' ? bundling()
    : undefined;
  if (result === undefined) throw new Error(`unknown benchmark "${name}"`);
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}

if (require.main === module) {
  main().catch((error) => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exit(1);
  });
}
