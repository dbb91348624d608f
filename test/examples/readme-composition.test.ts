import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readPluginReports, unacknowledgedFindings } from '../../lib';
import { CDK_JSON_CONTEXT } from '../support/gate';

const ROOT = path.join(__dirname, '..', '..');
const APP = path.join(ROOT, 'test', 'consumer-app', 'app.ts');

/** The TypeScript block under the README's "Composing your own stack" heading. */
function readmeComposition(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## Composing your own stack$/m)[1]?.split(/^## /m)[0] ?? '';
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README.md has no ```ts block under "## Composing your own stack"');
  return block[1];
}

// The README's composition section IS the consumer app that CI installs the packed tarball into
// (scripts/consumer/run.sh). Here the same file runs from source ('plinth' maps to lib/index.ts).
describe('the README composition example (test/consumer-app/app.ts)', () => {
  test('the README shows the consumer app, character for character', () => {
    expect(readmeComposition()).toBe(fs.readFileSync(APP, 'utf8'));
  });

  test('synthesizes through the gate with nothing for the consumer to acknowledge', () => {
    // GIVEN the context a cdk.json with Plinth's feature flags gives, as `cdk synth` passes it
    const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-consumer-'));
    const saved = { CDK_OUTDIR: process.env.CDK_OUTDIR, CDK_CONTEXT_JSON: process.env.CDK_CONTEXT_JSON };
    process.env.CDK_OUTDIR = outdir;
    process.env.CDK_CONTEXT_JSON = JSON.stringify(CDK_JSON_CONTEXT);
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      // WHEN the app runs (it calls synthesizeThroughGate, which throws on an unacknowledged error)
      jest.isolateModules(() => require(APP));
      // THEN no finding is left, warnings included, and the gate warned about nothing
      expect(unacknowledgedFindings(readPluginReports(outdir))).toEqual([]);
      // (From source CDK notes each bundling on stderr; the installed package bundles nothing.)
      const said = stderr.mock.calls.map((call) => String(call[0])).join('').split('\n');
      expect(said.filter((line) => line !== '' && !line.startsWith('Bundling asset '))).toEqual([]);
      expect(fs.existsSync(path.join(outdir, 'ChurnPlatform.template.json'))).toBe(true);
    } finally {
      stderr.mockRestore();
      Object.assign(process.env, saved);
      for (const [name, value] of Object.entries(saved)) if (value === undefined) delete process.env[name];
    }
  });
});
