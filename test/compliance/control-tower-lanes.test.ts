import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ControlTowerGuard, controlTowerGuardFiles } from '../../lib/compliance/control-tower';
import { runGuardJobs } from '../../lib/compliance/control-tower-lanes';
import { newApp, TEST_ENV } from '../support/gate';

function templates(): string[] {
  const app = newApp();
  const stacks = ['A', 'B', 'C'].map((name) => {
    const stack = new Stack(app, name, { env: TEST_ENV });
    new s3.CfnBucket(stack, 'Leaky');
    new sqs.CfnQueue(stack, 'Queue');
    return stack;
  });
  const assembly = app.synth();
  return stacks.map((s) => assembly.getStackByName(s.stackName).templateFullPath);
}

const ruleFile = (name: string) => controlTowerGuardFiles().find((f) => path.basename(f) === `${name}.guard`) as string;

describe('Control Tower guard lanes', () => {
  test('one lane and several lanes give the same report, in the same order', () => {
    const files = templates();
    const context = { templatePaths: files, appConstruct: undefined as never };
    const one = new ControlTowerGuard({ lanes: 1 }).validate(context);
    const three = new ControlTowerGuard({ lanes: 3 }).validate(context);
    expect(one.violations.length).toBeGreaterThan(0);
    expect(JSON.stringify(three)).toBe(JSON.stringify(one));
  });

  test('each job gets its own report back, whichever lane ran it', () => {
    const [a, b] = templates();
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-lanes-'));
    const jobs = [
      { ruleFiles: [ruleFile('ct-s3-pr-2')], templatePaths: [a], cost: 10 },
      { ruleFiles: [ruleFile('ct-sqs-pr-1')], templatePaths: [b], cost: 1 },
    ];
    const [bucketReport, queueReport] = runGuardJobs(jobs, { lanes: 2, maxBuffer: 64 * 1024 * 1024, workDir });
    expect(bucketReport.violations.map((v) => `${v.ruleName} ${v.violatingResources[0].templatePath}`)).toEqual([`s3_bucket_logging_enabled_check ${a}`]);
    expect(queueReport.violations.map((v) => `${v.ruleName} ${v.violatingResources[0].templatePath}`)).toEqual([`sqs_dlq_check ${b}`]);
  });

  test('a lane that fails in its worker fails the check loudly instead of passing it', () => {
    const [a, b] = templates();
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-lanes-'));
    const jobs = [
      { ruleFiles: [ruleFile('ct-s3-pr-2')], templatePaths: [a], cost: 10 },
      // the cheaper job goes to the worker lane; its template does not exist
      { ruleFiles: [ruleFile('ct-sqs-pr-1')], templatePaths: [path.join(workDir, 'missing.template.json'), b], cost: 1 },
    ];
    expect(() => runGuardJobs(jobs, { lanes: 2, maxBuffer: 64 * 1024 * 1024, workDir })).toThrow(/Control Tower guard lane failed/);
  });
});
