/**
 * @jest-environment node
 *
 * Jest's plain environment, without the shared validator engine of the others
 * (test/support/validator-engine-host-environment.js): this file starts, stops and counts the
 * process's engines itself.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack, Stage } from 'aws-cdk-lib';
import type { App } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { loadEnvironments } from '../../config';
import { acknowledgeFinding } from '../../lib/compliance/acknowledge';
import { applyComplianceGate, complianceGateOf, type ComplianceGateOptions } from '../../lib/compliance/compliance-gate';
import { writeComplianceReports } from '../../lib/compliance/report';
import { stopValidatorEngine } from '../../lib/compliance/validator-engine';
import { PlatformStage } from '../../lib/platform/platform-stage';
import { newApp, TEST_ENV } from '../support/gate';

// The main job's gate (bin/plinth.ts: the validator's engine in a worker thread, the nag packs
// run while it validates) against the gate as unit tests run it (everything in-process, one
// plugin after the other): the same validation report, evidence and compliance reports.

const NOW = new Date('2026-06-01T00:00:00Z');

interface Outputs {
  readonly validationReport: string;
  readonly evidence: unknown;
  readonly complianceReports: Record<string, string>;
}

function outputsOf(app: App, outdir: string): Outputs {
  const assembly = app.synth();
  const reportRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-paths-report-'));
  writeComplianceReports(app, assembly, reportRoot, { now: NOW });
  const complianceReports: Record<string, string> = {};
  for (const file of fs.readdirSync(reportRoot, { recursive: true, encoding: 'utf8' }).sort()) {
    const full = path.join(reportRoot, file);
    if (fs.statSync(full).isFile()) complianceReports[file] = fs.readFileSync(full, 'utf8');
  }
  const gate = complianceGateOf(app);
  return {
    validationReport: fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8'),
    evidence: { evaluations: gate?.evidence.evaluations, rules: gate?.evidence.rules },
    complianceReports,
  };
}

/** Builds an App into `outdir` (the same directory for both paths, so template paths match). */
function synthBoth(outdir: string, options: ComplianceGateOptions, build: (app: App) => void): [Outputs, Outputs] {
  return [false, true].map((inWorker) => {
    fs.rmSync(outdir, { recursive: true, force: true });
    fs.mkdirSync(outdir, { recursive: true });
    const app = newApp({ validator: true, outdir });
    applyComplianceGate(app, { ...options, templateCheckCache: false, validatorEngineInWorker: inWorker });
    build(app);
    const outputs = outputsOf(app, outdir);
    stopValidatorEngine();
    return outputs;
  }) as [Outputs, Outputs];
}

describe("the main job's gate reports what the in-process gate reports", () => {
  test('on an app with a finding of every kind', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-paths-'));
    const [inProcess, mainJob] = synthBoth(outdir, {}, (app) => {
      for (const env of ['dev', 'prod']) {
        const stack = new Stack(new Stage(app, env, { env: TEST_ENV }), 'Data');
        new s3.CfnBucket(stack, 'Leaky');
        new s3.CfnBucket(stack, 'Odd').addPropertyOverride('NotAProperty', true);
        new sagemaker.CfnModel(stack, 'OpenModel', { executionRoleArn: stack.formatArn({ service: 'iam', region: '', resource: 'role', resourceName: 'm' }), primaryContainer: { image: 'img' } });
        const queue = new sqs.CfnQueue(stack, 'Queue', { sqsManagedSseEnabled: true });
        acknowledgeFinding(queue, { rule: 'AwsSolutions-SQS3', reason: 'Fixture: the queue is its own dead-letter target in this test.', owner: 'ml-platform', expires: '2027-05-31' }, NOW);
      }
    });
    expect(mainJob.validationReport).toBe(inProcess.validationReport);
    expect(mainJob.evidence).toEqual(inProcess.evidence);
    expect(mainJob.complianceReports).toEqual(inProcess.complianceReports);
    // findings of the packs and the validator are in it
    expect(inProcess.validationReport).toContain('AwsSolutions-S1');
    expect(inProcess.validationReport).toContain('F3002');
  }, 240_000);

  test('on the platform app, dev environment (the Control Tower guard, which this does not change, left out)', () => {
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-paths-'));
    const [inProcess, mainJob] = synthBoth(outdir, { controlTower: false }, (app) => {
      app.node.setContext('aws:cdk:bundling-stacks', []);
      for (const config of loadEnvironments('dev')) new PlatformStage(app, config.name, { config, promotionTargetAccounts: [] });
    });
    expect(mainJob.validationReport).toBe(inProcess.validationReport);
    expect(mainJob.evidence).toEqual(inProcess.evidence);
    expect(mainJob.complianceReports).toEqual(inProcess.complianceReports);
    expect(Object.keys(inProcess.complianceReports)).toEqual(expect.arrayContaining(['dev/report.json', 'dev/findings.sarif']));
  }, 600_000);
});
