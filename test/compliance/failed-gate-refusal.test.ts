/**
 * A failed gate leaves nothing to deploy (#20 finding 3), proven on a real failed synth: the pinned
 * CDK CLI (node_modules/aws-cdk) synthesizes one small non-compliant app (an unencrypted bucket
 * in a `dev` Stage, test/fixtures/noncompliant-app.ts) exactly as `npm run synth` does, and then
 *  - `cdk deploy --app <assembly>` with NO credentials anywhere (no AWS_* variables, an empty
 *    HOME, no instance metadata) stops on the missing manifest, before any credential lookup;
 *    the same assembly with its manifest put back gets as far as the credential lookup, so the
 *    quarantine is what stops it;
 *  - `npm run local:deploy -- --reuse-synth` (with --synth-out pointing at that output) refuses it
 *    before starting the emulator.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GATE_VERDICT_FILE, QUARANTINED_MANIFEST } from '../../lib/compliance/enforce-gate';

const ROOT = path.join(__dirname, '..', '..');
const CDK = require.resolve('aws-cdk/bin/cdk');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-failed-gate-'));
const out = path.join(work, 'cdk.out');
const home = path.join(work, 'home');
fs.mkdirSync(home);

/** An environment with no AWS credentials or configuration of any kind. */
const noCredentials: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: home,
  AWS_CONFIG_FILE: path.join(home, 'no-config'),
  AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
  AWS_EC2_METADATA_DISABLED: 'true',
  CDK_DISABLE_VERSION_CHECK: '1',
};
const CREDENTIALS_TALK = /credential|Unable to resolve AWS account|Need to perform AWS calls|SSO|ExpiredToken/i;

function cdkDeploy(app: string): { status: number | null; output: string } {
  const run = spawnSync(process.execPath, [CDK, 'deploy', '--app', app, 'dev/*', '--no-notices', '--require-approval', 'never'], {
    cwd: work,
    env: noCredentials,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

describe('a failed synth (pinned CDK CLI, one small app) cannot be deployed', () => {
  let synth: ReturnType<typeof spawnSync>;
  beforeAll(() => {
    synth = spawnSync(process.execPath, [CDK, 'synth', '--quiet', '--no-notices', '--app', 'node -r ./scripts/ts-register.js test/fixtures/noncompliant-app.ts', '--output', out], {
      cwd: ROOT,
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' },
      encoding: 'utf8',
      timeout: 180_000,
    });
  }, 200_000);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it('cdk synth fails, and leaves the evidence but no manifest in any assembly', () => {
    expect(synth.status).not.toBe(0);
    expect(String(synth.stderr)).toMatch(/Compliance gate failed: \d+ unacknowledged finding\(s\)/);
    for (const dir of [out, path.join(out, 'assembly-dev')]) {
      expect(fs.existsSync(path.join(dir, 'manifest.json'))).toBe(false);
      expect(fs.existsSync(path.join(dir, QUARANTINED_MANIFEST))).toBe(true);
      expect(JSON.parse(fs.readFileSync(path.join(dir, GATE_VERDICT_FILE), 'utf8'))).toMatchObject({ passed: false, findings: expect.any(Number) });
    }
    expect(fs.existsSync(path.join(out, 'validation-report.json'))).toBe(true);
    expect(fs.readdirSync(path.join(out, 'assembly-dev')).some((f) => f.endsWith('.template.json'))).toBe(true);
  });

  it('cdk deploy --app <assembly> refuses it on the missing manifest, with no credential lookup (top level and the stage)', () => {
    for (const app of [out, path.join(out, 'assembly-dev')]) {
      const deploy = cdkDeploy(app);
      expect(deploy.status).not.toBe(0);
      expect(deploy.output).toContain(path.join(app, 'manifest.json'));
      expect(deploy.output).not.toMatch(CREDENTIALS_TALK);
    }
  });

  it('control: the same stage assembly with its manifest put back gets as far as the credential lookup', () => {
    // GIVEN a copy of the stage assembly, un-quarantined by hand
    const copy = path.join(work, 'unquarantined');
    fs.cpSync(path.join(out, 'assembly-dev'), copy, { recursive: true });
    fs.renameSync(path.join(copy, QUARANTINED_MANIFEST), path.join(copy, 'manifest.json'));
    // WHEN deployed without credentials THEN it fails for want of credentials, not of a manifest
    const deploy = cdkDeploy(copy);
    expect(deploy.status).not.toBe(0);
    expect(deploy.output).toMatch(CREDENTIALS_TALK);
    expect(deploy.output).not.toContain('manifest.json');
  });

  it('npm run local:deploy -- --reuse-synth refuses it before starting anything', () => {
    const run = spawnSync(process.execPath, ['-r', 'ts-node/register/transpile-only', 'scripts/local/local-deploy.ts', '--reuse-synth', '--synth-out', out], {
      cwd: ROOT,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      encoding: 'utf8',
      timeout: 120_000,
    });
    const output = `${run.stdout}${run.stderr}`;
    expect(run.status).toBe(1);
    expect(output).toMatch(/check the compliance gate passed the assembly failed: .*assembly-dev failed the compliance gate \(\d+ finding\(s\)/);
    expect(output).not.toContain('start moto_server');
    expect(output).not.toContain('cdk bootstrap');
  });
});
