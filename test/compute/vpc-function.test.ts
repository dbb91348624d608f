import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Duration, RemovalPolicy, Stack, Stage } from 'aws-cdk-lib';
import type { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { bundleHandler, bundleLog } from '../../lib/compute/lambda-bundle';
import { createVpcFunction } from '../../lib/compute/vpc-function';
import type { VpcFunctionProps } from '../../lib/compute/vpc-function';
import { PlatformNetwork } from '../../lib/network/platform-network';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

const LAMBDAS = path.join(__dirname, '..', '..', 'lambdas');
const HANDLER = 'review-expiry';

function addFunction(stack: Stack, overrides: Partial<VpcFunctionProps> = {}) {
  const logsKey = new kms.Key(stack, 'LogsKey', { enableKeyRotation: true });
  const network = new PlatformNetwork(stack, 'Network', { vpcCidr: '10.80.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'], logsKey });
  const deadLetterQueue = new sqs.Queue(stack, 'DeadLetters', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: logsKey, enforceSSL: true });
  return createVpcFunction(stack, {
    handlerFolder: HANDLER,
    description: 'Expires review cases',
    statements: [],
    environment: { TABLE_NAME: 'cases' },
    vpc: network.vpc,
    logsKey,
    deadLetterQueue,
    logRetention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
    timeout: Duration.seconds(30),
    reservedConcurrency: 1,
    ids: { function: 'Function', logGroup: 'Logs', role: 'Role', policy: 'Policy', securityGroup: 'Sg' },
    ...overrides,
  });
}

/** The S3 key (`<asset hash>.zip`) of every Lambda function in the stack, by logical ID. */
function codeKeys(stack: Stack): Record<string, string> {
  const functions = Object.entries<any>(Template.fromStack(stack).findResources('AWS::Lambda::Function')).filter(
    ([id]) => id.startsWith('Function') || id.startsWith('Reference'),
  );
  return Object.fromEntries(functions.map(([id, fn]) => [id, stack.resolve(fn.Properties.Code.S3Key)]));
}

function assetDirectoryOf(app: App, stack: Stack, logicalId: string): string {
  const key = codeKeys(stack)[logicalId];
  return path.join(app.outdir, `asset.${key.replace(/\.zip$/, '')}`);
}

function builtFor(handlerFolder: string): number {
  return bundleLog.filter((b) => b.entry === path.join(LAMBDAS, handlerFolder, 'index.ts')).length;
}

describe('createVpcFunction', () => {
  beforeAll(() => {
    process.env.CDK_VALIDATION = 'false';
  });

  test('the asset is byte-for-byte what NodejsFunction builds with the same esbuild options', () => {
    const app = newApp();
    const stack = new Stack(app, 'S', { env: TEST_ENV });
    addFunction(stack);
    // The previous implementation, kept here as the reference the asset must match.
    new nodejs.NodejsFunction(stack, 'Reference', {
      entry: path.join(LAMBDAS, HANDLER, 'index.ts'),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      bundling: { minify: true, sourceMap: true, sourcesContent: false, target: 'node22', format: nodejs.OutputFormat.CJS, externalModules: [] },
    });
    const keys = Object.entries(codeKeys(stack));
    const ours = keys.find(([id]) => id.startsWith('Function'))?.[1];
    const reference = keys.find(([id]) => id.startsWith('Reference'))?.[1];
    expect(ours).toMatch(/^[a-f0-9]{64}\.zip$/);
    expect(ours).toEqual(reference);
  });

  test('Node 24 on ARM, handler index.handler, with the AWS SDK bundled by default', () => {
    const app = newApp();
    const stack = new Stack(app, 'S', { env: TEST_ENV });
    addFunction(stack);
    const [logicalId, fn] = Object.entries<any>(Template.fromStack(stack).findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith('Function'))!;
    expect(fn.Properties).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler' });
    const bundle = fs.readFileSync(path.join(assetDirectoryOf(app, stack, logicalId), 'index.js'), 'utf8');
    const sources: string[] = JSON.parse(fs.readFileSync(path.join(assetDirectoryOf(app, stack, logicalId), 'index.js.map'), 'utf8')).sources;
    expect(sources.some((source) => source.includes('node_modules/@aws-sdk/client-dynamodb/'))).toBe(true);
    // Only the SDK's own optional CRT signer stays a runtime require, as in every esbuild bundle of the SDK.
    expect([...new Set(bundle.match(/require\("@aws-sdk\/[^"]+"\)/g))]).toEqual(['require("@aws-sdk/signature-v4-crt")']);
  });

  test('bundleAwsSdk: false leaves @aws-sdk and @smithy to the runtime and makes a smaller bundle', () => {
    const app = newApp();
    const bundled = new Stack(app, 'Bundled', { env: TEST_ENV });
    const external = new Stack(app, 'External', { env: TEST_ENV });
    addFunction(bundled);
    addFunction(external, { bundleAwsSdk: false });
    const sizeOf = (stack: Stack) => {
      const [logicalId] = Object.keys(codeKeys(stack));
      return fs.statSync(path.join(assetDirectoryOf(app, stack, logicalId), 'index.js')).size;
    };
    const sourcesOf = (stack: Stack) => {
      const [logicalId] = Object.keys(codeKeys(stack));
      return JSON.parse(fs.readFileSync(path.join(assetDirectoryOf(app, stack, logicalId), 'index.js.map'), 'utf8')).sources as string[];
    };
    const [externalId] = Object.keys(codeKeys(external));
    const externalBundle = fs.readFileSync(path.join(assetDirectoryOf(app, external, externalId), 'index.js'), 'utf8');
    expect(externalBundle).toMatch(/require\("@aws-sdk\/client-dynamodb"\)/);
    expect(sourcesOf(external).filter((source) => /node_modules\/@(aws-sdk|smithy)\//.test(source))).toEqual([]);
    expect(sourcesOf(bundled).some((source) => source.includes('node_modules/@aws-sdk/client-dynamodb/'))).toBe(true);
    expect(sizeOf(external)).toBeLessThan(sizeOf(bundled) / 4);
  });

  test('bundles each handler once per process, however many stages use it', () => {
    const before = builtFor(HANDLER);
    const app = newApp();
    const keys = ['dev', 'staging', 'prod'].map((name) => {
      const stack = new Stack(new Stage(app, name, { env: TEST_ENV }), 'S');
      addFunction(stack);
      return Object.values(codeKeys(stack))[0];
    });
    expect(new Set(keys).size).toBe(1);
    // The two tests above already bundled it in this process: CDK's asset cache serves every stage.
    expect(builtFor(HANDLER) - before).toBeLessThanOrEqual(1);
  });

  test("a description EC2 would reject in a security group (an apostrophe) still deploys", () => {
    // GIVEN a function description with characters EC2 refuses in GroupDescription
    const stack = new Stack(newApp({ validator: false }), 'Apostrophe', { env: TEST_ENV });
    // WHEN the function creates its security group
    addFunction(stack, { description: "the pipeline's callback: é ok" });
    // THEN the group's description keeps only characters EC2 accepts
    const groups = Template.fromStack(stack).findResources('AWS::EC2::SecurityGroup');
    const descriptions = Object.values(groups).map((g) => String((g as { Properties: { GroupDescription: string } }).Properties.GroupDescription));
    expect(descriptions).toContain('the pipelines callback:  ok: HTTPS to AWS endpoints only');
    for (const d of descriptions) expect(d).toMatch(/^[a-zA-Z0-9 ._\-:/()#,@[\]+=&;{}!$*]*$/);
  });

  test('what it creates passes every nag pack and the validator alone in a stack', () => {
    const created = ['Function', 'Logs', 'Role', 'Policy', 'Sg'].map((id) => `Test/Alone/${id}`);
    const { findings } = synthAloneThroughGate((stack) => {
      addFunction(stack);
    });
    // The network, key and queue around it are other constructs with their own gate tests.
    const ours = findings.filter((f) => created.some((prefix) => f.constructPath === prefix || f.constructPath.startsWith(`${prefix}/`)));
    expect(ours).toEqual([]);
  });
});

describe('the bundle cache', () => {
  const entry = path.join(LAMBDAS, HANDLER, 'index.ts');
  let work: string;
  beforeEach(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-bundle-cache-'));
  });
  afterEach(() => fs.rmSync(work, { recursive: true, force: true }));
  const outputDir = (name: string) => {
    const dir = path.join(work, name);
    fs.mkdirSync(dir);
    return dir;
  };

  test('the second run copies the cached bundle, identical to a fresh build', () => {
    const cacheDirectory = path.join(work, 'cache');
    const first = outputDir('first');
    const second = outputDir('second');
    expect(bundleHandler(entry, first, { cacheDirectory }).source).toBe('built');
    expect(bundleHandler(entry, second, { cacheDirectory }).source).toBe('cached');
    expect(fs.readdirSync(second).sort()).toEqual(['index.js', 'index.js.map']);
    for (const file of ['index.js', 'index.js.map']) {
      expect(fs.readFileSync(path.join(second, file)).equals(fs.readFileSync(path.join(first, file)))).toBe(true);
    }
  });

  test('a cached bundle is rebuilt when any file it was built from has changed', () => {
    const cacheDirectory = path.join(work, 'cache');
    bundleHandler(entry, outputDir('first'), { cacheDirectory });
    // Simulate an edit to one input (a module shared with other handlers) by changing its recorded hash.
    const [manifestPath] = findFiles(cacheDirectory, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
    const shared = Object.keys(manifest.inputs).find((file) => file.startsWith('lambdas/') && !file.startsWith(`lambdas/${HANDLER}/`));
    expect(shared).toBeDefined();
    expect(Object.keys(manifest.inputs).some((file) => file.startsWith('node_modules/@aws-sdk/'))).toBe(true);
    manifest.inputs[shared as string] = '0'.repeat(64);
    fs.writeFileSync(manifestPath, JSON.stringify(manifest));
    expect(bundleHandler(entry, outputDir('second'), { cacheDirectory }).source).toBe('built');
  });

  test('bundles for a different output depth or SDK option do not share a cache entry', () => {
    const cacheDirectory = path.join(work, 'cache');
    bundleHandler(entry, outputDir('first'), { cacheDirectory });
    const deeper = path.join(work, 'a', 'b');
    fs.mkdirSync(deeper, { recursive: true });
    expect(bundleHandler(entry, deeper, { cacheDirectory }).source).toBe('built');
    expect(bundleHandler(entry, outputDir('external'), { cacheDirectory, bundleAwsSdk: false }).source).toBe('built');
  });
});

function findFiles(root: string, name: string): string[] {
  return fs.readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => path.basename(f) === name).map((f) => path.join(root, f));
}
