/**
 * Pre-builds every Lambda handler for the package (`npm run build`), and checks shipped bundles
 * against a fresh build of the sources.
 *
 *   node -r ts-node/register/transpile-only scripts/build/lambda-bundles.ts build  [dir]
 *   node -r ts-node/register/transpile-only scripts/build/lambda-bundles.ts verify <dir>
 *
 * Each handler `lambdas/<folder>/index.ts` becomes `<dir>/<folder>/index.js` and `index.js.map`,
 * built with the options the repository's own synth uses (`esbuildOptions`). The build always
 * resolves the output as if it sat in the package's `dist/lambda-bundles/`, so the source map's
 * paths, and therefore the bytes, are the same wherever the files are written or checked.
 */
import * as fs from 'fs';
import * as path from 'path';
import { PREBUILT_BUNDLES_DIRECTORY, esbuildOptions } from '../../lib/compute/lambda-bundle';

const PROJECT_ROOT = path.join(__dirname, '..', '..');
const LAMBDAS = path.join(PROJECT_ROOT, 'lambdas');
const CANONICAL_OUTPUT = path.join(PROJECT_ROOT, PREBUILT_BUNDLES_DIRECTORY);

/** Every handler folder: a folder of lambdas/ with an index.ts (shared code has none). */
export function handlerFolders(): string[] {
  return fs
    .readdirSync(LAMBDAS, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(LAMBDAS, entry.name, 'index.ts')))
    .map((entry) => entry.name)
    .sort();
}

/** The files one handler's bundle consists of, by name, built in memory. */
export function freshBundle(folder: string): Map<string, Uint8Array> {
  const esbuild = require('esbuild') as typeof import('esbuild');
  const entry = path.join(LAMBDAS, folder, 'index.ts');
  const outfile = path.join(CANONICAL_OUTPUT, folder, 'index.js');
  const result = esbuild.buildSync({ ...esbuildOptions(entry, outfile, { bundleAwsSdk: true }), write: false });
  return new Map(result.outputFiles.map((file) => [path.basename(file.path), file.contents]));
}

/** Builds every handler into `outputDirectory/<folder>/`, replacing what was there. */
export function buildLambdaBundles(outputDirectory: string = CANONICAL_OUTPUT): string[] {
  fs.rmSync(outputDirectory, { recursive: true, force: true });
  const folders = handlerFolders();
  for (const folder of folders) {
    const directory = path.join(outputDirectory, folder);
    fs.mkdirSync(directory, { recursive: true });
    for (const [name, contents] of freshBundle(folder)) fs.writeFileSync(path.join(directory, name), contents);
  }
  return folders;
}

/**
 * What differs between the bundles in `shippedDirectory` and a fresh build of the sources: a
 * missing, stale or extra file each give one line. Empty when they match byte for byte.
 *
 * @param build how one handler's fresh bundle is made (default {@link freshBundle}: built now)
 */
export function verifyLambdaBundles(shippedDirectory: string, build: (folder: string) => Map<string, Uint8Array> = freshBundle): string[] {
  const problems: string[] = [];
  const folders = handlerFolders();
  const shipped = fs.existsSync(shippedDirectory) ? fs.readdirSync(shippedDirectory).sort() : [];
  for (const extra of shipped.filter((name) => !folders.includes(name))) problems.push(`${extra}: shipped, but lambdas/${extra}/index.ts does not exist`);
  for (const folder of folders) {
    const fresh = build(folder);
    const directory = path.join(shippedDirectory, folder);
    const present = fs.existsSync(directory) ? fs.readdirSync(directory).sort() : [];
    for (const extra of present.filter((name) => !fresh.has(name))) problems.push(`${folder}/${extra}: shipped, but a fresh build does not make it`);
    for (const [name, contents] of fresh) {
      const file = path.join(directory, name);
      if (!fs.existsSync(file)) problems.push(`${folder}/${name}: missing (run npm run build)`);
      else if (!Buffer.from(contents).equals(fs.readFileSync(file))) problems.push(`${folder}/${name}: stale, differs from a fresh build of lambdas/${folder} (run npm run build)`);
    }
  }
  return problems;
}

if (require.main === module) {
  const [command, directory] = process.argv.slice(2);
  if (command === 'build') {
    const started = Date.now();
    const folders = buildLambdaBundles(directory ? path.resolve(directory) : CANONICAL_OUTPUT);
    process.stdout.write(`lambda bundles: ${folders.length} handlers built in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  } else if (command === 'verify' && directory) {
    const problems = verifyLambdaBundles(path.resolve(directory));
    if (problems.length > 0) {
      process.stderr.write(`lambda bundles in ${directory} do not match the sources:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
      process.exit(1);
    }
    process.stdout.write(`lambda bundles in ${directory}: ${handlerFolders().length} handlers match a fresh build\n`);
  } else {
    process.stderr.write('usage: lambda-bundles.ts build [dir] | verify <dir>\n');
    process.exit(2);
  }
}
