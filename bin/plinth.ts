#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ConfigError, loadEnvironments, promotionTargetAccounts } from '../config';
import { AcknowledgementError } from '../lib/compliance/acknowledge';
import { ComplianceGateError, synthesizeThroughGate } from '../lib/compliance/enforce-gate';
import { buildPlatformApp } from '../lib/platform/platform-app';

// Context and environment are read here and nowhere else.
const app = new App();
const selectedEnvironment = app.node.tryGetContext('env') as string | undefined;

try {
  buildPlatformApp(app, loadEnvironments(selectedEnvironment), (name) => promotionTargetAccounts(name));
  synthesizeThroughGate(app);
} catch (error) {
  if (error instanceof ConfigError || error instanceof AcknowledgementError || error instanceof ComplianceGateError) {
    // The user's to fix: say what and how, not where inside CDK.
    process.stderr.write(`\n${error.message}\n\n`);
    process.exit(1);
  }
  throw error;
}
