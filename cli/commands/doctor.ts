import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetParameterCommand } from '@aws-sdk/client-ssm';
import { DECLARED_ENVIRONMENTS, loadEnvironments } from '../../config';
import { callerIdentity } from '../aws/identity';
import type { Command } from '../command';
import { packageRoot } from '../package-root';
import type { CommandContext } from '../context';
import { EXIT, explain } from '../errors';
import { findMoto, MOTO_INSTALL_HINT, type MotoInstall } from '../moto';

const ROOT = packageRoot();
/** The parameter `cdk bootstrap` writes (default qualifier). */
export const BOOTSTRAP_VERSION_PARAMETER = '/cdk-bootstrap/hnb659fds/version';

export interface Check {
  readonly check: string;
  readonly status: 'ok' | 'warn' | 'fail';
  readonly detail: string;
  /** What to do about a warn or fail. */
  readonly fix?: string;
}

/** Probes of the machine, replaceable in tests. */
export interface Toolchain {
  nodeVersion(): string;
  cdkVersion(): string | undefined;
  onPath(command: string): boolean;
  /** moto for the local deploy (the same answer `npm run local:deploy` gets). */
  moto(): MotoInstall | undefined;
}

export const localToolchain: Toolchain = {
  nodeVersion: () => process.versions.node,
  cdkVersion: () => {
    const result = spawnSync(join(ROOT, 'node_modules', '.bin', 'cdk'), ['--version'], { encoding: 'utf8', env: { ...process.env, CDK_DISABLE_VERSION_CHECK: '1' } });
    return result.status === 0 ? /^(\d+\.\d+\.\d+)/.exec(result.stdout.trim())?.[1] : undefined;
  },
  onPath: (command) => spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0,
  moto: () => findMoto(),
};

export function doctorCommand_(toolchain: Toolchain): Command {
  return {
    name: 'doctor',
    summary: 'check the local toolchain and the bootstrap of each configured environment, and say what to fix',
    usage: 'plinth doctor [--json]',
    options: [],
    async run(_args, context) {
      const checks = [...toolchainChecks(toolchain), ...(await bootstrapChecks(context))];
      if (context.json) context.out(JSON.stringify({ ok: !checks.some((c) => c.status === 'fail'), checks }));
      else context.out(checks.map((c) => `${{ ok: '✔', warn: '!', fail: '✘' }[c.status]} ${c.check}: ${c.detail}${c.fix ? `\n    fix: ${c.fix}` : ''}`).join('\n'));
      return checks.some((c) => c.status === 'fail') ? EXIT.failure : EXIT.ok;
    },
  };
}

export const doctorCommand = doctorCommand_(localToolchain);

export function toolchainChecks(toolchain: Toolchain): Check[] {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines?: { node?: string }; devDependencies?: Record<string, string> };
  const minimumNode = Number(/(\d+)/.exec(pkg.engines?.node ?? '>=20')?.[1] ?? 20);
  const node = toolchain.nodeVersion();
  const pinnedCdk = pkg.devDependencies?.['aws-cdk'] ?? '';
  const cdk = toolchain.cdkVersion();
  return [
    Number(node.split('.')[0]) >= minimumNode
      ? { check: 'node', status: 'ok', detail: `v${node} (needs ${minimumNode} or later)${Number(node.split('.')[0]) < 22 ? '; AWS SDK releases after January 2027 need Node 22' : ''}` }
      : { check: 'node', status: 'fail', detail: `v${node} is older than ${minimumNode}`, fix: `install Node ${minimumNode} or later (e.g. nvm install ${minimumNode})` },
    cdk === undefined
      ? { check: 'cdk cli', status: 'fail', detail: 'node_modules/.bin/cdk does not run', fix: 'npm ci' }
      : cdk === pinnedCdk
        ? { check: 'cdk cli', status: 'ok', detail: `${cdk} (pinned in package.json)` }
        : { check: 'cdk cli', status: 'fail', detail: `${cdk}, but package.json pins ${pinnedCdk}`, fix: 'npm ci (and use npx cdk, not a global cdk)' },
    toolchain.onPath('cfn-lint')
      ? { check: 'cfn-lint', status: 'ok', detail: 'on PATH (npm start lints every template)' }
      : { check: 'cfn-lint', status: 'fail', detail: 'not on PATH; npm start needs it', fix: 'pip install cfn-lint' },
    motoCheck(toolchain.moto()),
  ];
}

function motoCheck(moto: MotoInstall | undefined): Check {
  return moto
    ? { check: 'moto_server', status: 'ok', detail: `${moto.via} (npm start deploys dev to it)` }
    : { check: 'moto_server', status: 'warn', detail: 'no Python here imports moto.server and flask; npm start skips the local deploy', fix: MOTO_INSTALL_HINT };
}

async function bootstrapChecks(context: CommandContext): Promise<Check[]> {
  const environments = loadEnvironments(undefined, DECLARED_ENVIRONMENTS);
  let caller: { account: string; arn: string };
  try {
    caller = await callerIdentity(await context.callContext(environments[0]!.region));
  } catch (error) {
    const why = explain(error);
    return environments.map((e) => ({ check: `bootstrap ${e.name}`, status: 'warn', detail: `not checked: ${why.cause_}`, fix: why.nextStep }));
  }
  const checks: Check[] = [];
  for (const environment of environments) {
    const target = `aws://${environment.account}/${environment.region}`;
    if (caller.account !== environment.account) {
      checks.push({ check: `bootstrap ${environment.name}`, status: 'warn', detail: `not checked: the credentials are for account ${caller.account}, ${environment.name} is ${environment.account}`, fix: `run plinth doctor with credentials for ${environment.account} (AWS_PROFILE)` });
      continue;
    }
    try {
      const parameter = await context.clients(environment.region).ssm.send(new GetParameterCommand({ Name: BOOTSTRAP_VERSION_PARAMETER }));
      checks.push({ check: `bootstrap ${environment.name}`, status: 'ok', detail: `${target} bootstrapped (version ${parameter.Parameter?.Value ?? '?'})` });
    } catch (error) {
      if ((error as { name?: string }).name !== 'ParameterNotFound') throw error;
      checks.push({ check: `bootstrap ${environment.name}`, status: 'fail', detail: `${target} is not bootstrapped`, fix: `npx cdk bootstrap ${target}` });
    }
  }
  return checks;
}
