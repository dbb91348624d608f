#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ConfigError, loadEnvironments } from '../config';
import { AcknowledgementError } from '../lib/compliance/acknowledge';
import { applyComplianceGate } from '../lib/compliance/compliance-gate';
import { formatFindings, readPluginReports, unacknowledgedFindings } from '../lib/compliance/validation-report';
import { PlatformStage } from '../lib/platform/platform-stage';

// Context and environment are read here and nowhere else.
const app = new App();
const selectedEnvironment = app.node.tryGetContext('env') as string | undefined;

try {
  const environments = loadEnvironments(selectedEnvironment);
  applyComplianceGate(app);
  for (const config of environments) {
    new PlatformStage(app, config.name, { config });
  }
} catch (error) {
  if (error instanceof ConfigError || error instanceof AcknowledgementError) {
    // A config or waiver mistake is the user's to fix: say what, not where in CDK.
    process.stderr.write(`\n${error.message}\n\n`);
    process.exit(1);
  }
  throw error;
}

// The CDK CLI lets synth pass when no top-level stack is selected, and every Plinth stack is
// inside a Stage. So the gate reads the validation report itself and fails on any error.
const assembly = app.synth();
const errors = unacknowledgedFindings(readPluginReports(assembly.directory), { errorsOnly: true });
if (errors.length > 0) {
  process.stderr.write(
    `\nCompliance gate failed: ${errors.length} unacknowledged finding(s). Fix each, or acknowledge it ` +
      `with acknowledgeFinding() giving a reason, owner and expiry (docs/compliance.md):\n${formatFindings(errors)}\n\n`,
  );
  process.exit(1);
}
