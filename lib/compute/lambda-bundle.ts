import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import type { BundlingOptions, ILocalBundling } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { BuildOptions, Metafile } from 'esbuild';
import { PlinthError } from '../errors';

/**
 * Whether this module runs from the TypeScript sources (the repository: tests, `cdk synth`) or
 * compiled (`dist/`, the installed package). Compiled code uses the bundles `npm run build` made.
 */
const RUNNING_FROM_SOURCE = __filename.endsWith('.ts');

/** The repository root (from source) or `dist/` (compiled): `lambdas/` lives under the former. */
const PROJECT_ROOT = path.join(__dirname, '..', '..');

/**
 * Where `npm run build` writes one pre-built bundle per handler (`<handlerFolder>/index.js` and
 * its map), relative to the package root. Compiled code finds it next to `dist/lib/`.
 */
export const PREBUILT_BUNDLES_DIRECTORY = path.join('dist', 'lambda-bundles');

/** Bump when the cache layout or what a cached bundle depends on changes. */
const CACHE_FORMAT = 'plinth-lambda-bundle/1';

/** Cached bundles kept per handler and options; older ones are pruned. */
const CACHED_VERSIONS_KEPT = 3;

/** A Lambda handler that does not exist where its folder name says. */
export class LambdaHandlerNotFoundError extends PlinthError {}

/** Options for {@link handlerBundleCode} and {@link bundleHandler}. */
export interface HandlerBundleOptions {
  /**
   * Bundle the AWS SDK into the function. When false, `@aws-sdk/*` and `@smithy/*` are left to
   * the Lambda runtime's copy (what `NodejsFunction` does by default); `@aws-sdk/lib-storage` is
   * not in the runtime, so a handler using it must bundle the SDK.
   *
   * @default true
   */
  readonly bundleAwsSdk?: boolean;
  /** Where bundles are cached between runs. @default node_modules/.cache/plinth-lambda-bundles */
  readonly cacheDirectory?: string;
}

/** What one {@link bundleHandler} call did. */
export interface BundleOutcome {
  /** `built` ran esbuild; `cached` copied a bundle whose every input file was unchanged. */
  readonly source: 'built' | 'cached';
  readonly entry: string;
}

/** Every bundle made in this process, in order (for the benchmark and the tests). */
export const bundleLog: BundleOutcome[] = [];

/**
 * The esbuild options a Plinth Lambda is built with. They are the ones `NodejsFunction` passes
 * on its command line for `{ minify, sourceMap, sourcesContent: false, target: 'node22', format: CJS }`
 * (`--bundle --target=node22 --platform=node --format=cjs --minify --sourcemap --sources-content=false`),
 * so the output is byte-for-byte what `NodejsFunction` would produce.
 *
 * The source map keeps every mapping, so stack traces (`--enable-source-maps`) still name the
 * TypeScript file and line, but not the sources' text: that text (mostly the bundled AWS SDK) was
 * 60% of each map and ~35 MB of the package (docs/performance.md).
 */
export function esbuildOptions(entry: string, outfile: string, options: HandlerBundleOptions = {}): BuildOptions {
  return {
    entryPoints: [entry],
    bundle: true,
    target: 'node22',
    platform: 'node',
    format: 'cjs',
    outfile,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    // The runtime's SDK, as NodejsFunction leaves it out (with the sdkV3ExcludeSmithyPackages flag).
    external: options.bundleAwsSdk === false ? ['@aws-sdk/*', '@smithy/*'] : [],
    absWorkingDir: PROJECT_ROOT,
    logLevel: 'warning',
  };
}

/**
 * The Lambda code for `lambdas/<handlerFolder>/index.ts`: bundled with the local esbuild, once
 * per process (CDK's asset cache shares the staging between stages), and copied from the cache
 * when no input file of the last bundle has changed. Handler: `index.handler`.
 */
export function handlerBundleCode(handlerFolder: string, options: HandlerBundleOptions = {}): lambda.AssetCode {
  if (!RUNNING_FROM_SOURCE) return prebuiltBundleCode(handlerFolder, options);
  const entry = path.join(PROJECT_ROOT, 'lambdas', handlerFolder, 'index.ts');
  if (!fs.existsSync(entry)) {
    throw new LambdaHandlerNotFoundError(`No Lambda handler at ${path.relative(PROJECT_ROOT, entry)}: handlerFolder must name a folder of lambdas/ with an index.ts`);
  }
  const bundling: BundlingOptions = {
    // Never used: local bundling always succeeds or throws, so Docker is not needed.
    image: DockerImage.fromRegistry('local-esbuild-only'),
    local: new LocalEsbuild(entry, { bundleAwsSdk: options.bundleAwsSdk ?? true, cacheDirectory: options.cacheDirectory }),
  };
  // Hash the output, as NodejsFunction does: the asset changes only when the bundle does.
  return lambda.Code.fromAsset(PROJECT_ROOT, { assetHashType: AssetHashType.OUTPUT, bundling });
}

/**
 * The bundle `npm run build` shipped for `handlerFolder`: the installed package needs neither
 * esbuild nor the handler sources to synthesize.
 */
function prebuiltBundleCode(handlerFolder: string, options: HandlerBundleOptions): lambda.AssetCode {
  const directory = path.join(PROJECT_ROOT, 'lambda-bundles', handlerFolder);
  if (options.bundleAwsSdk === false) {
    throw new LambdaHandlerNotFoundError(
      `Lambda ${handlerFolder}: the packaged bundles include the AWS SDK; bundleAwsSdk: false needs Plinth's sources (a checkout of the repository)`,
    );
  }
  if (!fs.existsSync(path.join(directory, 'index.js'))) {
    throw new LambdaHandlerNotFoundError(
      `No pre-built Lambda bundle at ${directory}: handlerFolder must name one of Plinth's handlers, and the package must be built with npm run build`,
    );
  }
  return lambda.Code.fromAsset(directory);
}

/** CDK's local bundling hook; its fields take part in CDK's asset cache key, so keep them plain. */
class LocalEsbuild implements ILocalBundling {
  constructor(
    private readonly entry: string,
    private readonly options: HandlerBundleOptions,
  ) {}

  public tryBundle(outputDir: string): boolean {
    bundleHandler(this.entry, outputDir, this.options);
    return true;
  }
}

/** A cached bundle: the files esbuild read (with their SHA-256) and the files it wrote. */
interface CacheManifest {
  readonly inputs: Record<string, string>;
  readonly outputs: string[];
}

/**
 * Bundles `entry` into `outputDir` (index.js and index.js.map), or copies the cached bundle when
 * every file the cached build read is unchanged. The cache key covers the esbuild version and
 * options, the lock file, tsconfig.json, and where `outputDir` sits relative to the project (the
 * source map's paths are relative to it).
 */
export function bundleHandler(entry: string, outputDir: string, options: HandlerBundleOptions = {}): BundleOutcome {
  const cacheDirectory = options.cacheDirectory ?? path.join(PROJECT_ROOT, 'node_modules', '.cache', 'plinth-lambda-bundles');
  const keyDirectory = path.join(cacheDirectory, cacheKey(entry, outputDir, options));
  const hit = findValidCachedBundle(keyDirectory);
  let outcome: BundleOutcome;
  if (hit && copyCachedBundle(hit.directory, hit.manifest, outputDir)) {
    outcome = { source: 'cached', entry };
  } else {
    const esbuild = require('esbuild') as typeof import('esbuild');
    const buildStarted = Date.now();
    const result = esbuild.buildSync({ ...esbuildOptions(entry, path.join(outputDir, 'index.js'), options), metafile: true });
    storeInCache(keyDirectory, outputDir, result.metafile as Metafile, buildStarted);
    outcome = { source: 'built', entry };
  }
  bundleLog.push(outcome);
  return outcome;
}

function copyCachedBundle(directory: string, manifest: CacheManifest, outputDir: string): boolean {
  try {
    for (const file of manifest.outputs) fs.copyFileSync(path.join(directory, file), path.join(outputDir, file));
    // Most recently used stays newest, so pruning drops the versions nobody builds any more.
    const now = new Date();
    fs.utimesSync(directory, now, now);
    return true;
  } catch {
    // Pruned by a parallel process between the check and the copy: build instead.
    for (const file of manifest.outputs) fs.rmSync(path.join(outputDir, file), { force: true });
    return false;
  }
}

function cacheKey(entry: string, outputDir: string, options: HandlerBundleOptions): string {
  const esbuildVersion = (require('esbuild') as typeof import('esbuild')).version;
  const { absWorkingDir: _root, outfile: _out, ...buildOptions } = esbuildOptions(entry, 'index.js', options);
  return sha256(
    JSON.stringify({
      format: CACHE_FORMAT,
      esbuildVersion,
      buildOptions: { ...buildOptions, entryPoints: [path.relative(PROJECT_ROOT, entry)] },
      outputRelativeToProject: path.relative(outputDir, PROJECT_ROOT),
      lockFile: fileSha256(path.join(PROJECT_ROOT, 'package-lock.json')),
      tsconfig: fileSha256(path.join(PROJECT_ROOT, 'tsconfig.json')),
    }),
  );
}

function findValidCachedBundle(keyDirectory: string): { directory: string; manifest: CacheManifest } | undefined {
  for (const directory of cachedVersionsNewestFirst(keyDirectory)) {
    let manifest: CacheManifest;
    try {
      manifest = JSON.parse(fs.readFileSync(path.join(directory, 'manifest.json'), 'utf8')) as CacheManifest;
    } catch {
      continue;
    }
    const unchanged = Object.entries(manifest.inputs).every(([file, hash]) => fileSha256(path.join(PROJECT_ROOT, file)) === hash);
    const complete = manifest.outputs.every((file) => fs.existsSync(path.join(directory, file)));
    if (unchanged && complete) return { directory, manifest };
  }
  return undefined;
}

function storeInCache(keyDirectory: string, outputDir: string, metafile: Metafile, buildStarted: number): void {
  // A file edited while esbuild ran may hash differently from what it read: such a bundle is not cached.
  const editedDuringBuild = Object.keys(metafile.inputs).some(
    (file) => (fs.statSync(path.join(PROJECT_ROOT, file), { throwIfNoEntry: false })?.mtimeMs ?? Infinity) >= buildStarted - 1000,
  );
  if (editedDuringBuild) return;
  const inputs: Record<string, string> = {};
  for (const file of Object.keys(metafile.inputs).sort()) inputs[file] = fileSha256(path.join(PROJECT_ROOT, file)) ?? '';
  const manifest: CacheManifest = { inputs, outputs: fs.readdirSync(outputDir).sort() };
  const version = path.join(keyDirectory, sha256(JSON.stringify(inputs)));
  if (fs.existsSync(version)) return;
  // Written aside and renamed, so a parallel process never reads half an entry.
  const staging = `${version}.${process.pid}.tmp`;
  try {
    fs.mkdirSync(staging, { recursive: true });
    for (const file of manifest.outputs) fs.copyFileSync(path.join(outputDir, file), path.join(staging, file));
    fs.writeFileSync(path.join(staging, 'manifest.json'), JSON.stringify(manifest));
    fs.renameSync(staging, version);
  } catch {
    // A cache that cannot be written only costs the next run a rebuild.
    fs.rmSync(staging, { recursive: true, force: true });
    return;
  }
  for (const stale of cachedVersionsNewestFirst(keyDirectory).slice(CACHED_VERSIONS_KEPT)) {
    fs.rmSync(stale, { recursive: true, force: true });
  }
}

function cachedVersionsNewestFirst(keyDirectory: string): string[] {
  if (!fs.existsSync(keyDirectory)) return [];
  return fs
    .readdirSync(keyDirectory)
    .filter((name) => !name.endsWith('.tmp'))
    .map((name) => path.join(keyDirectory, name))
    .map((directory) => ({ directory, modified: fs.statSync(directory, { throwIfNoEntry: false })?.mtimeMs ?? -1 }))
    .filter((entry) => entry.modified >= 0)
    .sort((a, b) => b.modified - a.modified)
    .map((entry) => entry.directory);
}

/**
 * Hashes of installed dependencies, read once per process: every handler's bundle checks the same
 * AWS SDK and Powertools files against its cache manifest, and nothing under node_modules changes
 * during a synth. The handlers' own sources are hashed at every check.
 */
const dependencyHashes = new Map<string, string>();
const DEPENDENCY = `${path.sep}node_modules${path.sep}`;

function fileSha256(file: string): string | undefined {
  const known = dependencyHashes.get(file);
  if (known !== undefined) return known;
  let hash: string;
  try {
    hash = crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
  } catch {
    return undefined;
  }
  if (file.includes(DEPENDENCY)) dependencyHashes.set(file, hash);
  return hash;
}

function sha256(text: string): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}
