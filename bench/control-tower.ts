/**
 * The Control Tower guard alone, on the main job's templates (3 environments), for `npm run bench`
 * (bench/run.ts): the plugin as the gate ran it before the third session (every rule whose
 * evaluated types occur, on whole templates, one cfn-guard process: the baseline), then
 * ControlTowerGuard with one lane and with two lanes. Each variant runs twice, alternating,
 * and the faster run counts. No cache. The last line printed is a JSON result.
 *
 *   node -r ts-node/register/transpile-only bench/control-tower.ts
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { ControlTowerGuard, controlTowerRules } from '../lib/compliance/control-tower';
import { guardLanes } from '../lib/compliance/control-tower-lanes';
import { PlatformStage } from '../lib/platform/platform-stage';
import { cpuMs, environmentsFor } from './synth-job';

export interface ControlTowerBenchResult {
  readonly templates: number;
  readonly resources: number;
  /** The lanes the gate uses on this machine ({@link guardLanes}). */
  readonly lanes: number;
  /** Wall time of each variant (the faster of two runs), ms. */
  readonly wholeTemplatesMs: number;
  readonly groupedOneLaneMs: number;
  readonly groupedTwoLanesMs: number;
  /** CPU time of each variant's faster run (this process's threads and the cfn-guard processes), ms. */
  readonly wholeTemplatesCpuMs: number;
  readonly groupedOneLaneCpuMs: number;
  readonly groupedTwoLanesCpuMs: number;
  readonly sameFindings: boolean;
}

const CDK_CONTEXT = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'cdk.json'), 'utf8')).context as Record<string, unknown>;

function main(): void {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-bench-ct-'));
  const app = new App({ outdir, builtinCloudFormationValidation: false, context: { ...CDK_CONTEXT, 'aws:cdk:bundling-stacks': [] } });
  for (const config of environmentsFor(3)) new PlatformStage(app, config.name, { config, promotionTargetAccounts: [] });
  const directory = app.synth().directory;
  const templatePaths = fs
    .readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.template.json'))
    .map((f) => path.join(directory, f));
  const types = new Set<string>();
  let resources = 0;
  for (const file of templatePaths) {
    for (const resource of Object.values((JSON.parse(fs.readFileSync(file, 'utf8')) as { Resources: Record<string, { Type: string }> }).Resources)) {
      types.add(resource.Type);
      resources += 1;
    }
  }
  const disabledRules = controlTowerRules()
    .filter((r) => !r.resourceTypes.some((t) => types.has(t)))
    .map((r) => path.basename(r.file, '.guard'));
  const context = { templatePaths, appConstruct: app };
  const lanes = guardLanes();
  const variants = {
    whole: () => new CfnGuardValidator({ disabledRules, maxBuffer: 256 * 1024 * 1024 }).validate(context),
    one: () => new ControlTowerGuard({ lanes: 1 }).validate(context),
    two: () => new ControlTowerGuard({ lanes: 2 }).validate(context),
  };
  const best: Record<keyof typeof variants, number> = { whole: Infinity, one: Infinity, two: Infinity };
  const cpuOfBest: Record<keyof typeof variants, number> = { whole: 0, one: 0, two: 0 };
  const findings: Partial<Record<keyof typeof variants, string>> = {};
  for (let round = 0; round < 2; round++) {
    for (const name of Object.keys(variants) as Array<keyof typeof variants>) {
      const start = process.hrtime.bigint();
      const cpuStart = cpuMs();
      const report = variants[name]();
      const wall = Number(process.hrtime.bigint() - start) / 1e6;
      if (wall < best[name]) {
        best[name] = wall;
        cpuOfBest[name] = cpuMs() - cpuStart;
      }
      findings[name] = report.violations
        .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} ${r.templatePath} ${r.resourceLogicalId} ${r.locations.join(',')}`))
        .sort()
        .join('\n');
    }
  }
  fs.rmSync(outdir, { recursive: true, force: true });
  const result: ControlTowerBenchResult = {
    templates: templatePaths.length,
    resources,
    lanes,
    wholeTemplatesMs: best.whole,
    groupedOneLaneMs: best.one,
    groupedTwoLanesMs: best.two,
    wholeTemplatesCpuMs: cpuOfBest.whole,
    groupedOneLaneCpuMs: cpuOfBest.one,
    groupedTwoLanesCpuMs: cpuOfBest.two,
    sameFindings: findings.whole === findings.one && findings.one === findings.two,
  };
  process.stdout.write(`\n${JSON.stringify(result)}\n`);
}

if (require.main === module) main();
