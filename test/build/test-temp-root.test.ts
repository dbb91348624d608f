import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';

// jest.config.js's globalSetup (test/support/temp-root.js) gives the run one temporary directory,
// which its globalTeardown removes: tests, CDK and child processes write their temp files there.
describe('the test run keeps its temporary files in one directory', () => {
  const root = process.env.PLINTH_TEST_TEMP_ROOT;

  test('os.tmpdir() is the run directory, a fresh plinth-test-run-* folder that exists', () => {
    expect(root).toBeDefined();
    expect(path.basename(root as string)).toMatch(/^plinth-test-run-/);
    expect(os.tmpdir()).toBe(root);
    expect(fs.statSync(root as string).isDirectory()).toBe(true);
  });

  test('an App without an outdir synthesizes inside it', () => {
    // (without the CloudFormation validator, which this test is not about: it would start an engine)
    const app = new App({ builtinCloudFormationValidation: false });
    new sqs.CfnQueue(new Stack(app, 'S'), 'Q');
    const directory = app.synth().directory;
    expect(path.relative(root as string, directory).startsWith('..')).toBe(false);
  });

  test('a child process gets it as TMPDIR', () => {
    const { execFileSync } = require('child_process') as typeof import('child_process');
    expect(execFileSync(process.execPath, ['-e', 'process.stdout.write(require("os").tmpdir())'], { encoding: 'utf8' })).toBe(root);
  });
});
