/** `plinth simulate-scaling`: wiring of the CLI to lib/inference/scaling-simulation.ts. No AWS. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runCli } from './cli-harness';

const DIR = path.join(__dirname, '..', '..', 'test-output', 'cli-simulate-scaling');
const TRACE = path.join(DIR, 'burst.csv');
const BAD_TRACE = path.join(DIR, 'bad.csv');

describe('plinth simulate-scaling', () => {
  beforeAll(() => {
    fs.mkdirSync(DIR, { recursive: true });
    fs.writeFileSync(TRACE, 'timestamp,requests_per_second\n2026-11-20T08:00:00Z,5\n2026-11-20T08:10:00Z,400\n2026-11-20T08:40:00Z,10\n2026-11-20T09:00:00Z,10\n');
    fs.writeFileSync(BAD_TRACE, 'timestamp,requests_per_second\n2026-11-20T08:00:00Z,5\n2026-11-20T07:00:00Z,5\n');
  });

  it('replays the trace against the endpoint\'s policy from config and prints the report', async () => {
    const run = await runCli('simulate-scaling', '--env', 'prod', '--endpoint', 'fraud-detector-prod', '--trace', TRACE);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Scaling what-if: prod / fraud-detector-prod / primary');
    expect(run.stdout).toContain('Trace: burst.csv');
    expect(run.stderr).toContain('replaying');
  });

  it('gives the result as JSON, and applies a what-if target', async () => {
    const base = (await runCli('simulate-scaling', '--env', 'prod', '--endpoint', 'fraud-detector-prod', '--trace', TRACE, '--json')).json<Record<string, any>>();
    const relaxed = (await runCli('simulate-scaling', '--env', 'prod', '--endpoint', 'fraud-detector-prod', '--trace', TRACE, '--target', '40', '--json')).json<Record<string, any>>();
    expect(base).toMatchObject({ ok: true, endpointName: 'fraud-detector-prod', peakRequestsPerSecond: 400 });
    expect(base.scaleOuts).toBeGreaterThan(0);
    expect(relaxed.policy.target).toBe(40);
    expect(relaxed.peakInstances).toBeLessThanOrEqual(base.peakInstances);
  });

  it('exits 2 without --trace, and on a bad --metric', async () => {
    expect((await runCli('simulate-scaling', '--env', 'prod', '--endpoint', 'fraud-detector-prod')).code).toBe(2);
    const metric = await runCli('simulate-scaling', '--env', 'prod', '--endpoint', 'fraud-detector-prod', '--trace', TRACE, '--metric', 'gpu');
    expect(metric.code).toBe(2);
    expect(metric.stderr).toContain('--metric must be concurrency or invocations');
  });

  it('exits 1 naming the line of a bad trace, and an unknown endpoint with the known ones', async () => {
    const bad = await runCli('simulate-scaling', '--env', 'prod', '--endpoint', 'fraud-detector-prod', '--trace', BAD_TRACE);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('line 3');
    const unknown = await runCli('simulate-scaling', '--env', 'prod', '--endpoint', 'nope', '--trace', TRACE);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('endpoints: fraud-detector-prod');
  });
});
