#!/usr/bin/env node
import * as path from 'path';
import { App } from 'aws-cdk-lib';
import { loadEnvironments, promotionTargetAccounts } from '../config';
import { synthesizeThroughGate } from '../lib/compliance/enforce-gate';
import { writeComplianceReports } from '../lib/compliance/report';
import { PlinthError } from '../lib/errors';
import { buildPlatformApp } from '../lib/platform/platform-app';

/** Where the auditor report of each synthesized environment goes: `compliance/<env>/`. */
const COMPLIANCE_REPORT_ROOT = path.join(__dirname, '..', 'compliance');

// Context and environment are read here and nowhere else.
const app = new App();
const selectedEnvironment = app.node.tryGetContext('env') as string | undefined;

try {
  // The validator's engine starts in a worker thread while the app is built (lib/compliance/validator-engine.ts).
  buildPlatformApp(app, loadEnvironments(selectedEnvironment), (name) => promotionTargetAccounts(name), undefined, { validatorEngineInWorker: true });
  synthesizeThroughGate(app, undefined, (assembly) => writeComplianceReports(app, assembly, COMPLIANCE_REPORT_ROOT));
} catch (error) {
  if (error instanceof PlinthError) {
    // The user's to fix: say what and how, not where inside CDK.
    process.stderr.write(`\n${error.message}\n\n`);
    process.exit(1);
  }
  throw error;
}
