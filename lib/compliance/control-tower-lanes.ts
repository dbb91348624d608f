import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import type { PolicyValidationPluginReportBeta1 } from 'aws-cdk-lib';

// CDK calls a validation plugin synchronously, and the plugin runs cfn-guard with spawnSync, so
// one process at a time would leave every other core idle while the gate waits. The jobs are
// split into lanes: this thread runs the first lane itself; each other lane runs in a worker
// thread that loads the same plugin and writes its reports to a file, then raises a flag this
// thread blocks on (Atomics.wait). The reports are the plugin's own, job by job, in job order,
// whatever lane ran them.

/** One cfn-guard run: these rule files on these (reduced) templates, through the guard plugin. */
export interface GuardJob {
  readonly ruleFiles: readonly string[];
  readonly templatePaths: readonly string[];
  /** Relative cost, to balance the lanes (e.g. rules × bytes of the templates). */
  readonly cost: number;
}

/** How long a worker lane may take before the gate fails instead of waiting on. */
const LANE_TIMEOUT_MS = 15 * 60 * 1000;

/** The worker's program: the plugin, job by job, reports written to `out`, then the flag: 1 done, 2 failed. */
const LANE_WORKER = `
const { workerData } = require('worker_threads');
const fs = require('fs');
const flag = new Int32Array(workerData.flag);
let state = 2;
try {
  const { CfnGuardValidator } = require(workerData.plugin);
  const reports = workerData.jobs.map((job) =>
    new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: job.ruleFiles, maxBuffer: workerData.maxBuffer }).validate({ templatePaths: job.templatePaths }),
  );
  fs.writeFileSync(workerData.out, JSON.stringify(reports));
  state = 1;
} catch (e) {
  try { fs.writeFileSync(workerData.out, JSON.stringify({ error: String((e && e.stack) || e) })); } catch {}
} finally {
  Atomics.store(flag, 0, state);
  Atomics.notify(flag, 0);
}
`;

/**
 * The number of lanes: the cores this process may use but one, at least 1 and at most `max`.
 *
 * The gate runs the guard beside the CloudFormation validator's engine, which keeps a core busy
 * (lib/compliance/compliance-gate.ts). And cfn-guard is a static musl build whose allocator hands
 * freed memory back to the kernel at once, so its time goes largely to page faults, which two
 * processes at once make dearer for both: on a 2-core microVM, the guard with two lanes took 65%
 * more CPU than with one (7.8 s against 4.8 s) for 7% less wall time (docs/performance.md,
 * "Gate (seventh session)"). `npm run bench` measures one lane against two on every run.
 */
export function guardLanes(max = 4): number {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(max, cores - 1));
}

/**
 * Runs each job through the Control Tower guard plugin, spread over `lanes` (longest job first,
 * each to the least loaded lane), and returns the plugin's reports in job order. A lane that fails
 * or does not finish fails the whole call: the gate never passes on a check that did not run.
 */
export function runGuardJobs(jobs: readonly GuardJob[], options: { lanes: number; maxBuffer: number; workDir: string }): PolicyValidationPluginReportBeta1[] {
  const lanes = Array.from({ length: Math.max(1, Math.min(options.lanes, jobs.length)) }, () => ({ cost: 0, jobs: [] as number[] }));
  const byCost = jobs.map((job, index) => ({ job, index })).sort((a, b) => b.job.cost - a.job.cost || a.index - b.index);
  for (const { job, index } of byCost) {
    const lane = lanes.reduce((least, l) => (l.cost < least.cost ? l : least));
    lane.cost += job.cost;
    lane.jobs.push(index);
  }

  const runJob = (job: GuardJob) =>
    new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: [...job.ruleFiles], maxBuffer: options.maxBuffer }).validate({
      templatePaths: [...job.templatePaths],
    } as Parameters<CfnGuardValidator['validate']>[0]);

  const started = lanes.slice(1).map((lane, i) => {
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const out = path.join(options.workDir, `lane-${i + 1}.json`);
    const worker = new Worker(LANE_WORKER, {
      eval: true,
      workerData: {
        plugin: require.resolve('@cdklabs/cdk-validator-cfnguard'),
        // Only what cfn-guard needs: a caller's job may carry more (the templates' text, callbacks).
        jobs: lane.jobs.map((j) => ({ ruleFiles: jobs[j].ruleFiles, templatePaths: jobs[j].templatePaths })),
        maxBuffer: options.maxBuffer,
        out,
        flag: flag.buffer,
      },
    });
    return { lane, flag, out, worker };
  });

  const reports: PolicyValidationPluginReportBeta1[] = new Array(jobs.length);
  try {
    for (const j of lanes[0].jobs) reports[j] = runJob(jobs[j]);
    for (const { lane, flag, out } of started) {
      const deadline = Date.now() + LANE_TIMEOUT_MS;
      while (Atomics.load(flag, 0) === 0) {
        if (Date.now() > deadline) throw new Error(`A Control Tower guard lane did not finish within ${LANE_TIMEOUT_MS / 60000} minutes`);
        Atomics.wait(flag, 0, 0, 1000);
      }
      const result = JSON.parse(fs.readFileSync(out, 'utf8')) as PolicyValidationPluginReportBeta1[] | { error: string };
      if (Atomics.load(flag, 0) !== 1 || !Array.isArray(result) || result.length !== lane.jobs.length) {
        throw new Error(`A Control Tower guard lane failed: ${Array.isArray(result) ? 'it returned the wrong number of reports' : result.error}`);
      }
      lane.jobs.forEach((j, k) => (reports[j] = result[k]));
    }
  } finally {
    for (const { worker } of started) void worker.terminate();
  }
  return reports;
}
