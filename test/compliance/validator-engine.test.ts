import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack, Stage } from 'aws-cdk-lib';
import type { App } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { applyComplianceGate } from '../../lib/compliance/compliance-gate';
import { CachedCloudFormationValidator } from '../../lib/compliance/template-checks';
import { readPluginReports } from '../../lib/compliance/validation-report';
import { newApp, TEST_ENV } from '../support/gate';

// A trace of the CloudFormation validator's engine: every construction of the engine class CDK's
// plugin creates (`CompositeEngine` of @aws/cloudformation-validate, which CDK looks up on the
// module each time it starts one) is counted. Installed before anything in this file synthesizes.
const engineModule = require(require.resolve('@aws/cloudformation-validate', { paths: [require.resolve('aws-cdk-lib')] })) as {
  CompositeEngine: new (...args: unknown[]) => unknown;
  version(): string;
};
const RealEngine = engineModule.CompositeEngine;
let engineStarts = 0;
engineModule.CompositeEngine = function CountedEngine(...args: unknown[]) {
  engineStarts += 1;
  return new RealEngine(...args);
} as unknown as typeof RealEngine;
afterAll(() => {
  engineModule.CompositeEngine = RealEngine;
});

const F3002 = (app: App) =>
  readPluginReports(app.synth().directory)
    .filter((r) => r.pluginName === 'CloudFormation Validate')
    .flatMap((r) => r.violations.filter((v) => v.ruleName === 'F3002').flatMap((v) => v.violatingConstructs.map((c) => c.constructPath)));

/** An App through the gate, each stage with its own resource types and one property CloudFormation does not have. */
function gatedApp(cacheDirectory: string | false, build: (stack: Stack) => void): App {
  const app = newApp({ validator: true });
  applyComplianceGate(app, { templateCheckCache: cacheDirectory, nagPacks: false, plinthRules: false, controlTower: false });
  for (const env of ['dev', 'prod']) build(new Stack(new Stage(app, env, { env: TEST_ENV }), 'S'));
  return app;
}

const odd = (resource: { addPropertyOverride(path: string, value: unknown): void }) => resource.addPropertyOverride('NotAProperty', true);

describe('the CloudFormation validator engine', () => {
  test('starts once per process: for all stages of an App, for every App, with or without the gate', () => {
    const cache = () => fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-engine-cache-'));
    // GIVEN / WHEN four Apps with different resource types, each checked from an empty cache
    const buckets = F3002(gatedApp(cache(), (stack) => odd(new s3.CfnBucket(stack, 'Bucket'))));
    const queues = F3002(gatedApp(cache(), (stack) => odd(new sqs.CfnQueue(stack, 'Queue'))));
    const topics = F3002(gatedApp(false, (stack) => odd(new sns.CfnTopic(stack, 'Topic'))));
    // ... and one without the gate, on CDK's own validator (which restarts the engine itself for a
    // resource type it has not seen, so this App has only types seen before)
    const plain = newApp({ validator: true });
    odd(new s3.CfnBucket(new Stack(plain, 'Plain', { env: TEST_ENV }), 'Bucket'));
    const plainFindings = F3002(plain);
    // THEN every App was validated ...
    expect(buckets).toEqual(['dev/S/Bucket', 'prod/S/Bucket']);
    expect(queues).toEqual(['dev/S/Queue', 'prod/S/Queue']);
    expect(topics).toEqual(['dev/S/Topic', 'prod/S/Topic']);
    expect(plainFindings).toEqual(['Plain/Bucket']);
    // ... by one engine
    expect(engineStarts).toBe(1);
  });

  test('is not started when every template comes from the cache', () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-engine-cache-'));
    const build = (stack: Stack) => odd(new s3.CfnBucket(stack, 'Bucket'));
    F3002(gatedApp(cache, build));
    // WHEN the same App again, in a process whose engine is released
    (CachedCloudFormationValidator as unknown as { _disposeSingleton(): void })._disposeSingleton();
    const before = engineStarts;
    const again = F3002(gatedApp(cache, build));
    // THEN
    expect(again).toEqual(['dev/S/Bucket', 'prod/S/Bucket']);
    expect(engineStarts).toBe(before);
  });

  test("the cached validator reports the engine's own version without starting it", () => {
    expect(new CachedCloudFormationValidator(false).version).toBe(engineModule.version());
  });
});
