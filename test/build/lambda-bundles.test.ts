import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildLambdaBundles, freshBundle, handlerFolders, verifyLambdaBundles } from '../../scripts/build/lambda-bundles';

// The package ships every handler pre-bundled (dist/lambda-bundles). The consumer test
// (scripts/consumer/run.sh) runs `verify` on the packed tarball's copy; this test proves the
// check itself: a build matches a fresh build, and a stale, missing or extra file is named.
describe('pre-built Lambda bundles', () => {
  let directory: string;
  beforeAll(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-bundles-'));
    buildLambdaBundles(directory);
  });
  afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

  it('builds one bundle per handler folder, each a handler with its source map', () => {
    const folders = handlerFolders();
    expect(folders).toEqual(expect.arrayContaining(['ingest', 'infer', 'deploy-model', 'drift-stats']));
    expect(folders).not.toContain('shared');
    expect(fs.readdirSync(directory).sort()).toEqual(folders);
    for (const folder of folders) {
      expect(fs.readdirSync(path.join(directory, folder)).sort()).toEqual(['index.js', 'index.js.map']);
      const code = fs.readFileSync(path.join(directory, folder, 'index.js'), 'utf8');
      // esbuild's CJS output exports the handler; no import of the package's own sources remains
      expect(code).toMatch(/handler/);
      expect(code).not.toMatch(/require\("\.\.?\//);
    }
  });

  it('bundles zod tree-shaken: of its 40+ locales, English only', () => {
    // `import * as z from 'zod'` lets esbuild drop what a handler does not use; `import { z }`
    // (the namespace re-export) keeps all of zod: every locale, the JSON-schema importer and more,
    // about 360 KB and a fifth of the init time of the smallest handlers (docs/performance.md).
    const zodUsers: string[] = [];
    for (const folder of handlerFolders()) {
      const map = JSON.parse(fs.readFileSync(path.join(directory, folder, 'index.js.map'), 'utf8')) as { sources: string[] };
      const zodFiles = map.sources.filter((s) => s.includes('node_modules/zod/'));
      if (zodFiles.length === 0) continue;
      zodUsers.push(folder);
      const extra = zodFiles.filter((s) => /\/locales\/(?!en\.js$)/.test(s));
      expect({ folder, extra }).toEqual({ folder, extra: [] });
    }
    // the check looked at real zod users
    expect(zodUsers).toEqual(expect.arrayContaining(['pin-artifact', 'training-set-callback']));
  });

  // Each handler's fresh build, made once by the first check that asks (the naming check below
  // compares against the same sources, so it need not build them a third time).
  const freshBuilds = new Map<string, Map<string, Uint8Array>>();
  const freshOnce = (folder: string): Map<string, Uint8Array> => {
    const built = freshBuilds.get(folder) ?? freshBundle(folder);
    freshBuilds.set(folder, built);
    return built;
  };

  it('matches a fresh build of the sources byte for byte', () => {
    expect(verifyLambdaBundles(directory, freshOnce)).toEqual([]);
  });

  it('names a stale, a missing and an extra file', () => {
    // GIVEN a copy with one handler edited, one map deleted and one unknown handler
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-bundles-stale-'));
    try {
      fs.cpSync(directory, copy, { recursive: true });
      fs.appendFileSync(path.join(copy, 'ingest', 'index.js'), '\n// edited');
      fs.rmSync(path.join(copy, 'infer', 'index.js.map'));
      fs.mkdirSync(path.join(copy, 'retired-handler'));
      // WHEN
      const problems = verifyLambdaBundles(copy, freshOnce);
      // THEN
      expect(problems).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^ingest\/index\.js: stale/),
          expect.stringMatching(/^infer\/index\.js\.map: missing/),
          expect.stringMatching(/^retired-handler: shipped, but lambdas\/retired-handler\/index\.ts does not exist/),
        ]),
      );
      expect(problems).toHaveLength(3);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });
});
