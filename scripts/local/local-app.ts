#!/usr/bin/env node
/**
 * The CDK app for a local deploy: the dev environment, as config/dev.ts declares it, with its
 * account ID replaced by the emulator's (context `plinth:emulatorAccount`). Everything else
 * (constructs, gate, guardrails) is the real app's, so the emulator receives the real templates.
 */
import { App } from 'aws-cdk-lib';
import { DECLARED_ENVIRONMENTS, loadEnvironments, promotionTargetAccounts } from '../../config';
import { synthesizeThroughGate } from '../../lib/compliance/enforce-gate';
import { PlinthError } from '../../lib/errors';
import { buildPlatformApp } from '../../lib/platform/platform-app';
import { EMULATOR_ACCOUNT_CONTEXT, LOCAL_ENVIRONMENT, withAccount } from './emulator-account';

const app = new App();
const emulatorAccount = app.node.tryGetContext(EMULATOR_ACCOUNT_CONTEXT) as string | undefined;

try {
  if (emulatorAccount === undefined) {
    throw new PlinthError(`Set -c ${EMULATOR_ACCOUNT_CONTEXT}=<12-digit account of the emulator> for a local deploy`);
  }
  const declared = DECLARED_ENVIRONMENTS[LOCAL_ENVIRONMENT];
  const local = { ...DECLARED_ENVIRONMENTS, [LOCAL_ENVIRONMENT]: withAccount(declared, declared.account, emulatorAccount) };
  buildPlatformApp(app, loadEnvironments(LOCAL_ENVIRONMENT, local), (name) => promotionTargetAccounts(name, local));
  synthesizeThroughGate(app);
} catch (error) {
  if (error instanceof PlinthError) {
    process.stderr.write(`\n${error.message}\n\n`);
    process.exit(1);
  }
  throw error;
}
