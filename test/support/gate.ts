import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { App, Stack, Stage } from 'aws-cdk-lib';
import type { AppProps } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import { collectAcknowledgements } from '../../lib/compliance/acknowledge';
import { applyComplianceGate } from '../../lib/compliance/compliance-gate';
import { restrictGrantsToAwsServices } from '../../lib/keys/platform-keys';
import {
  readPluginReports,
  unacknowledgedFindings,
  unregisteredAcknowledgements,
  type UnacknowledgedFinding,
} from '../../lib/compliance/validation-report';

/** The feature flags the real app runs with (`cdk.json`), so tests see the same templates. */
export const CDK_JSON_CONTEXT: Record<string, unknown> = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', '..', 'cdk.json'), 'utf8'),
).context;

export const TEST_ENV = { account: '123456789012', region: 'us-east-1' } as const;

/**
 * The temp dirs this test file's Apps wrote to. They are removed when the file's tests are done:
 * kept, they filled /tmp by about 1.5 GB per run of the suite.
 */
const outdirs: string[] = [];
if (typeof afterAll === 'function') {
  afterAll(() => {
    for (const dir of outdirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
  });
}

/** A fresh App writing to its own temp dir (removed after the test file), with cdk.json's flags. */
export function newApp(props: AppProps & { validator?: boolean } = {}): App {
  const { validator = false, context, ...rest } = props;
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-test-'));
  outdirs.push(outdir);
  return new App({
    outdir,
    builtinCloudFormationValidation: validator,
    ...rest,
    context: {
      ...CDK_JSON_CONTEXT,
      // Let synth finish so the test can read the whole report instead of the first error.
      '@aws-cdk/core:failSynthOnValidationErrors': false,
      [`availability-zones:account=${TEST_ENV.account}:region=${TEST_ENV.region}`]: ['us-east-1a', 'us-east-1b'],
      ...context,
    },
  });
}

/** The outcome of one synth through the gate. */
export interface GateResult {
  readonly stack: Stack;
  /** Unacknowledged errors and warnings of every nag pack and the CloudFormation validator. */
  readonly findings: UnacknowledgedFinding[];
  /** Every plugin report, acknowledged findings included. */
  readonly reports: ReturnType<typeof readPluginReports>;
}

/**
 * Builds a construct alone in an empty stack and synthesizes it through the full gate:
 * the four nag packs and the CloudFormation validator.
 */
export function synthAloneThroughGate(build: (stack: Stack) => void): GateResult {
  const app = newApp({ validator: true });
  applyComplianceGate(app);
  const stage = new Stage(app, 'Test', { env: TEST_ENV });
  stage.node.setContext(`availability-zones:account=${TEST_ENV.account}:region=${TEST_ENV.region}`, ['us-east-1a', 'us-east-1b']);
  const stack = new Stack(stage, 'Alone');
  build(stack);
  // Keys a test creates directly in the stack stand in for PlatformKeys: give them its grant policy.
  for (const child of stack.node.children) if (child instanceof kms.Key) restrictGrantsToAwsServices(child);
  const assembly = app.synth();
  const reports = readPluginReports(assembly.directory);
  // An acknowledgement outside the register fails the gate: it counts as a finding here too.
  return { stack, findings: [...unacknowledgedFindings(reports), ...unregisteredAcknowledgements(reports, collectAcknowledgements(app))], reports };
}
