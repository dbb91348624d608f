/** Reusing the main synth's dev assembly for the emulator's account. Files only; no emulator. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { retargetAssembly } from '../../scripts/local/reuse-synth';
import { GATE_VERDICT_FILE } from '../../lib/compliance/enforce-gate';

const DEV = '111111111111';
const MOTO = '123456789012';

function fakeSynthOut(account = DEV, verdict: { passed: boolean } | null = { passed: true }): string {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-synth-'));
  const write = (file: string, content: unknown) => {
    fs.mkdirSync(path.dirname(path.join(out, file)), { recursive: true });
    fs.writeFileSync(path.join(out, file), typeof content === 'string' ? content : JSON.stringify(content));
  };
  write('manifest.json', {
    version: '48.0.0',
    artifacts: {
      'assembly-dev': { type: 'cdk:cloud-assembly', properties: { directoryName: 'assembly-dev' } },
      'assembly-prod': { type: 'cdk:cloud-assembly', properties: { directoryName: 'assembly-prod' } },
      Tree: { type: 'cdk:tree', properties: { file: 'tree.json' } },
    },
  });
  write('assembly-dev/manifest.json', { artifacts: { devFoundation: { type: 'aws:cloudformation:stack', environment: `aws://${account}/us-east-1` } } });
  write('assembly-dev/devFoundation.template.json', { Resources: { Policy: { Properties: { Resource: `arn:aws:sqs:us-east-1:${account}:queue` } } } });
  write('assembly-dev/devFoundation.assets.json', { files: { abc: { source: { path: '../asset.abc', packaging: 'zip' }, destinations: { d: { bucketName: `cdk-hnb659fds-assets-${account}-us-east-1` } } } } });
  if (verdict) write(`assembly-dev/${GATE_VERDICT_FILE}`, { ...verdict, findings: verdict.passed ? 0 : 30, at: '2026-12-04T00:00:00Z' });
  write('asset.abc/index.js', 'exports.handler = 1;');
  write('asset.unused/index.js', 'not dev');
  return out;
}

describe('retargetAssembly', () => {
  it('copies only the environment\'s assembly, with the emulator account everywhere, and the assets it uses', () => {
    // GIVEN a synth of dev and prod WHEN dev is retargeted to the emulator account
    const out = fakeSynthOut();
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-local-'));
    retargetAssembly(out, dest, 'dev', DEV, MOTO);
    // THEN the top-level manifest names only dev's nested assembly
    const top = JSON.parse(fs.readFileSync(path.join(dest, 'manifest.json'), 'utf8'));
    expect(Object.keys(top.artifacts)).toEqual(['assembly-dev']);
    // AND no file mentions the dev account any more
    for (const file of fs.readdirSync(path.join(dest, 'assembly-dev'))) {
      const text = fs.readFileSync(path.join(dest, 'assembly-dev', file), 'utf8');
      expect(text).not.toContain(DEV);
    }
    expect(fs.readFileSync(path.join(dest, 'assembly-dev', 'devFoundation.template.json'), 'utf8')).toContain(`arn:aws:sqs:us-east-1:${MOTO}:queue`);
    // AND dev's asset is there, the unused one is not
    expect(fs.existsSync(path.join(dest, 'asset.abc', 'index.js'))).toBe(true);
    expect(fs.existsSync(path.join(dest, 'asset.unused'))).toBe(false);
  });

  it('refuses an assembly synthesized for another account, or a missing one', () => {
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-local-'));
    expect(() => retargetAssembly(fakeSynthOut('999999999999'), dest, 'dev', DEV, MOTO)).toThrow(/targets account\(s\) 999999999999, not 111111111111/);
    expect(() => retargetAssembly(fakeSynthOut(), dest, 'staging', DEV, MOTO)).toThrow(/assembly-staging does not exist: run npm run synth \(every environment\) or npx cdk synth -c env=staging/);
  });

  it('refuses a stale assembly-dev left behind by a later synth of another environment, naming the synth to run', () => {
    // GIVEN cdk.out whose last synth was `cdk synth -c env=prod`: its manifest lists only prod, an old assembly-dev remains
    const out = fakeSynthOut();
    const manifest = JSON.parse(fs.readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    delete manifest.artifacts['assembly-dev'];
    fs.writeFileSync(path.join(out, 'manifest.json'), JSON.stringify(manifest));
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-local-'));
    // THEN it is refused before anything is deployed
    expect(() => retargetAssembly(out, dest, 'dev', DEV, MOTO)).toThrow(/assembly-dev is stale: the last synth .* was of prod, not dev; run npm run synth \(every environment\) or npx cdk synth -c env=dev/);
    expect(fs.existsSync(path.join(dest, 'manifest.json'))).toBe(false);
  });

  it('refuses a partial assembly whose manifest names a template that is not there', () => {
    const out = fakeSynthOut();
    const nested = path.join(out, 'assembly-dev', 'manifest.json');
    fs.writeFileSync(nested, JSON.stringify({ artifacts: { devModels: { type: 'aws:cloudformation:stack', environment: `aws://${DEV}/us-east-1`, properties: { templateFile: 'devModels.template.json' } } } }));
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-local-'));
    expect(() => retargetAssembly(out, dest, 'dev', DEV, MOTO)).toThrow(/assembly-dev is partial \(missing devModels.template.json\): run npm run synth/);
  });

  it('refuses an assembly the compliance gate failed, or one that never went through it (npm run local:deploy -- --reuse-synth after a failed synth)', () => {
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-local-'));
    expect(() => retargetAssembly(fakeSynthOut(DEV, { passed: false }), dest, 'dev', DEV, MOTO)).toThrow(/failed the compliance gate \(30 finding\(s\)/);
    expect(() => retargetAssembly(fakeSynthOut(DEV, null), dest, 'dev', DEV, MOTO)).toThrow(/carries no compliance gate verdict/);
    expect(fs.existsSync(path.join(dest, 'assembly-dev'))).toBe(false);
  });
});
