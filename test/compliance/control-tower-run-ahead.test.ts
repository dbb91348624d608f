import * as fs from 'fs';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ruleGroupCheckLog } from '../../lib/compliance/control-tower';
import { CachedControlTowerGuard } from '../../lib/compliance/template-checks';
import { newApp, TEST_ENV } from '../support/gate';

// The gate runs the Control Tower guard ahead, while the CloudFormation validator's worker thread
// validates (lib/compliance/compliance-gate.ts). What CDK's later call to `validate` gets must be
// what checking the templates then would give: the same report for the same templates with the
// same contents, and a fresh check for anything else.

type Context = Parameters<CachedControlTowerGuard['validate']>[0];

function fixtureTemplates(): string[] {
  const app = newApp();
  const a = new Stack(app, 'A', { env: TEST_ENV });
  new s3.CfnBucket(a, 'Leaky');
  const b = new Stack(app, 'B', { env: TEST_ENV });
  new sqs.CfnQueue(b, 'NoDeadLetters');
  const assembly = app.synth();
  return [a, b].map((s) => assembly.getStackByName(s.stackName).templateFullPath);
}

const contextOf = (templatePaths: string[]): Context => ({ templatePaths, appConstruct: undefined as never }) as Context;
const checksSince = (start: number) => ruleGroupCheckLog.slice(start).map((c) => c.template);

describe('Control Tower guard run ahead', () => {
  test('validate returns the report run ahead for the same templates, without running cfn-guard again', () => {
    const templates = fixtureTemplates();
    const guard = new CachedControlTowerGuard({ cacheDirectory: false });
    const before = ruleGroupCheckLog.length;
    guard.runAhead(contextOf(templates));
    const ranAhead = ruleGroupCheckLog.length;
    expect(ranAhead).toBeGreaterThan(before);

    const report = guard.validate(contextOf(templates));
    expect(ruleGroupCheckLog.length).toBe(ranAhead);
    expect(report.violations.length).toBeGreaterThan(0);
    expect(report).toEqual(new CachedControlTowerGuard({ cacheDirectory: false }).validate(contextOf(templates)));

    // Used once: the next call checks again.
    const again = ruleGroupCheckLog.length;
    guard.validate(contextOf(templates));
    expect(ruleGroupCheckLog.length).toBeGreaterThan(again);
  });

  test('a template changed after the run ahead, or other templates, are checked when validate is called', () => {
    const [first, second] = fixtureTemplates();
    const guard = new CachedControlTowerGuard({ cacheDirectory: false });
    guard.runAhead(contextOf([first, second]));
    const template = JSON.parse(fs.readFileSync(first, 'utf8')) as { Resources: Record<string, unknown> };
    template.Resources.Another = { Type: 'AWS::S3::Bucket', Properties: {} };
    fs.writeFileSync(first, JSON.stringify(template));
    const start = ruleGroupCheckLog.length;
    const report = guard.validate(contextOf([first, second]));
    expect(checksSince(start).length).toBeGreaterThan(0);
    expect(report.violations.flatMap((v) => v.violatingResources.map((r) => r.resourceLogicalId))).toContain('Another');

    guard.runAhead(contextOf([first]));
    const other = ruleGroupCheckLog.length;
    const onlySecond = guard.validate(contextOf([second]));
    expect(new Set(checksSince(other))).toEqual(new Set([path.basename(second)]));
    expect(onlySecond.violations.every((v) => v.violatingResources.every((r) => r.templatePath === second))).toBe(true);
  });

  test('an error met ahead is thrown by validate, as checking then would throw it', () => {
    const [first] = fixtureTemplates();
    fs.writeFileSync(first, '{ not json');
    const guard = new CachedControlTowerGuard({ cacheDirectory: false });
    expect(() => guard.runAhead(contextOf([first]))).not.toThrow();
    expect(() => guard.validate(contextOf([first]))).toThrow(SyntaxError);
  });
});
