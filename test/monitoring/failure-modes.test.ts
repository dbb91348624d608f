import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { loadEnvironments, promotionTargetAccounts } from '../../config';
import { controlAlarmPurpose, FAILURE_MODES, failureModesOf, type FailureModeId } from '../../lib/monitoring/failure-modes';
import { renderFailureModesMarkdown } from '../../lib/monitoring/failure-modes-doc';
import { buildPlatformApp } from '../../lib/platform/platform-app';
import type { ModelsStack } from '../../lib/platform/models-stack';
import { newApp } from '../support/gate';
import { TestTrainingSetJob } from '../support/training-set-job';

const ROOT = path.join(__dirname, '..', '..');

function markdownUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownUnder(path.join(dir, e.name)) : e.name.endsWith('.md') ? [path.join(dir, e.name)] : [],
  );
}

// The whole app, every environment, as `npm start` builds it (the gate itself is tested elsewhere).
const app = newApp({ context: { 'aws:cdk:bundling-stacks': [] } });
// The training pipelines' alarms need a training-set job; the test stand-in answers its contract.
const stages = buildPlatformApp(app, loadEnvironments(), (name) => promotionTargetAccounts(name), (scope) =>
  new TestTrainingSetJob(scope, 'InjectedTrainingSets', { bucket: (Stack.of(scope) as ModelsStack).capture.bucket }),
);
app.synth();
const allAlarms = stages.flatMap((stage) => stage.node.findAll().filter((c): c is cloudwatch.Alarm => c instanceof cloudwatch.Alarm));
// Control alarms (step scaling) drive automation and page no one; they are marked as such, explicitly.
const controlAlarms = allAlarms.filter((a) => controlAlarmPurpose(a) !== undefined);
const alarms = allAlarms.filter((a) => controlAlarmPurpose(a) === undefined);

describe('failure modes as code', () => {
  test('the app has alarms to check, and only step-scaling alarms are exempt as control alarms', () => {
    expect(alarms.length).toBeGreaterThan(20);
    expect(controlAlarms.every((a) => a.node.path.includes('/StepScaling/'))).toBe(true);
    expect(controlAlarms.every((a) => failureModesOf(a).length === 0)).toBe(true);
  });

  test('every alarm in the app names a catalogued failure mode', () => {
    const unnamed = alarms.filter((a) => failureModesOf(a).length === 0).map((a) => a.node.path);
    expect(unnamed).toEqual([]);
    const unknown = alarms.flatMap((a) => failureModesOf(a).filter((id) => !(id in FAILURE_MODES)).map((id) => `${a.node.path}: ${id}`));
    expect(unknown).toEqual([]);
  });

  test.each(['dev', 'staging', 'prod'])('%s: every catalogue entry is detected by at least one real alarm or detector', (env) => {
    const stage = stages.find((s) => s.stageName === env)!;
    // Alarms, plus detectors that are not CloudWatch alarms (budgets, anomaly subscriptions).
    const detected = new Set(stage.node.findAll().flatMap((c) => failureModesOf(c)));
    const undetected = (Object.keys(FAILURE_MODES) as FailureModeId[]).filter((id) => !detected.has(id));
    expect(undetected).toEqual([]);
  });

  test.each(Object.entries(FAILURE_MODES))('%s has a runbook file, a mitigation, a detection and an owner', (_id, mode) => {
    expect(fs.existsSync(path.join(ROOT, mode.runbook))).toBe(true);
    expect(mode.mitigation.length).toBeGreaterThan(30);
    expect(mode.detection.length).toBeGreaterThan(10);
    expect(mode.owner).toBeTruthy();
  });

  test('every alarm notifies someone and links its failure mode\'s runbook', () => {
    for (const alarm of alarms) {
      const cfn = alarm.node.defaultChild as cloudwatch.CfnAlarm;
      expect([alarm.node.path, (cfn.alarmActions ?? []).length]).toEqual([alarm.node.path, 1]);
      const runbook = FAILURE_MODES[failureModesOf(alarm)[0]].runbook;
      expect(alarm.stack.resolve(cfn.alarmDescription)).toContain(`Runbook: ${runbook}`);
    }
  });

  test.each(['dev', 'staging', 'prod'])('%s: each serving path pages once, through a critical composite over its warning alarms', (env) => {
    const stage = stages.find((s) => s.stageName === env)!;
    const models = stage.models;
    const probe = Object.values(models.endpoints)[0].errorAlarm;
    const critical = models.resolve(stage.foundation.alarms.actionFor('critical').bind(models, probe).alarmActionArn);
    const warning = models.resolve(stage.foundation.alarms.actionFor('warning').bind(models, probe).alarmActionArn);
    expect(critical).not.toEqual(warning);
    for (const [name, endpoint] of Object.entries(models.endpoints)) {
      const health = models.healthAlarms[name];
      expect(failureModesOf(health)).toEqual(['endpoint-errors', 'endpoint-degraded']);
      const rule = models.resolve((health.node.defaultChild as cloudwatch.CfnCompositeAlarm).alarmRule);
      expect(JSON.stringify(rule)).toContain(models.getLogicalId(endpoint.errorAlarm.node.defaultChild as never));
      expect(models.resolve((health.node.defaultChild as cloudwatch.CfnCompositeAlarm).alarmActions)).toEqual([critical]);
      expect(models.resolve((endpoint.errorAlarm.node.defaultChild as cloudwatch.CfnAlarm).alarmActions)).toEqual([warning]);
    }
  });

  // A page names the alarm; the runbook must name the same alarm, so on-call can find it.
  const alarmNames = (env: string) =>
    stages
      .find((s) => s.stageName === env)!
      .node.findAll()
      .flatMap((c) => {
        if (c instanceof cloudwatch.Alarm) return [c.stack.resolve((c.node.defaultChild as cloudwatch.CfnAlarm).alarmName)];
        if (c instanceof cloudwatch.CompositeAlarm) return [c.stack.resolve((c.node.defaultChild as cloudwatch.CfnCompositeAlarm).alarmName)];
        return [];
      });

  test.each(['dev', 'staging', 'prod'])('%s: every alarm, control and composite alarms included, has a name of its own, <env>-<alarm>[-<subject>]', (env) => {
    const names = alarmNames(env);
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) expect(name).toMatch(new RegExp(`^${env}-[A-Z][A-Za-z0-9]*(-[A-Za-z0-9._-]+)?$`));
    expect(new Set(names).size).toBe(names.length);
  });

  test('the alarm names are the ones the runbooks expect, e.g. prod-Health-fraud-detector', () => {
    expect(alarmNames('prod')).toEqual(expect.arrayContaining(['prod-Health-fraud-detector', 'prod-Errors5xx-fraud-detector-prod', 'prod-SourceSilent-transactions']));
  });

  test('every alarm name a doc or runbook mentions exists in the synthesized app', () => {
    const docs = [path.join(ROOT, 'README.md'), ...markdownUnder(path.join(ROOT, 'docs'))];
    const mentioned = docs.flatMap((file) =>
      [...fs.readFileSync(file, 'utf8').matchAll(/`([^`\n]+)`/g)].map((m) => ({ file: path.relative(ROOT, file), token: m[1] })),
    );
    // Written as the page arrives: `<env>-Health-<model>`; a placeholder stands for any name part.
    // (`<env>-Models` and its siblings are stack names.)
    const stackNames = new Set(stages[0].node.children.filter((c): c is Stack => c instanceof Stack).map((st) => st.stackName.replace(`${stages[0].stageName}-`, '<env>-')));
    const references = mentioned.filter((m) => /^<env>-[A-Z]/.test(m.token) && !stackNames.has(m.token));
    expect(references.length).toBeGreaterThan(20);
    const all = ['dev', 'staging', 'prod'].flatMap((env) => alarmNames(env).map((name) => ({ env, name })));
    const missing = references.filter(({ token }) => {
      const pattern = (env: string) =>
        new RegExp(`^${token.replace(/^<env>/, env).split(/<[a-z-]+>/).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('[A-Za-z0-9._-]+')}$`);
      return !all.some(({ env, name }) => pattern(env).test(name));
    });
    expect(missing).toEqual([]);
    // An alarm written without its environment (`Rollback5xx-<model>`) is a name no page carries.
    const unprefixed = mentioned.filter(({ token }) => /^[A-Z][A-Za-z0-9]*(-<[a-z-]+>)+$/.test(token));
    expect(unprefixed).toEqual([]);
  });

  test('docs/failure-modes.md is generated from the catalogue and up to date (npm run docs:failure-modes)', () => {
    expect(fs.readFileSync(path.join(ROOT, 'docs', 'failure-modes.md'), 'utf8')).toBe(renderFailureModesMarkdown());
  });
});
