/**
 * The local operator session: the export lines `npm run local:deploy -- --keep` prints, and every
 * plinth command the README's session shows, run with exactly those lines against moto_server.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CreateModelPackageGroupCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { MOTO_DEFAULT_ACCOUNT } from '../../scripts/local/emulator-account';
import { OPERATOR_SESSION_COMMANDS, formatOperatorSession, operatorSessionExports } from '../../scripts/local/operator-session';
import { runCli } from '../cli/cli-harness';
import { describeWithMoto, motoClientConfig } from '../support/moto';

const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

/** Applies `export K=V` and `unset K...` lines to process.env; returns a restore function. */
function applyShell(lines: readonly string[]): () => void {
  const saved = { ...process.env };
  for (const line of lines) {
    const exported = /^export ([A-Z_]+)=(.*)$/.exec(line);
    if (exported) process.env[exported[1]!] = exported[2]!;
    else if (line.startsWith('unset ')) for (const key of line.slice(6).split(/\s+/)) delete process.env[key];
    else throw new Error(`not a shell line the session prints: ${line}`);
  }
  return () => {
    process.env = saved;
  };
}

describe('the local operator session in the README', () => {
  test('the README shows the --keep run, the export lines as printed and every session command', () => {
    expect(README).toContain('npm run local:deploy -- --keep');
    for (const line of operatorSessionExports('http://localhost:5000', 'us-east-1', MOTO_DEFAULT_ACCOUNT)) expect(README).toContain(line);
    for (const command of OPERATOR_SESSION_COMMANDS) expect(README).toContain(command);
  });

  test('what --keep prints: endpoint, dummy credentials, region, the account, and how to stop', () => {
    const printed = formatOperatorSession('http://localhost:5000', 'us-east-1', MOTO_DEFAULT_ACCOUNT);
    expect(printed).toContain('export AWS_ENDPOINT_URL=http://localhost:5000');
    expect(printed).toContain('export AWS_ACCESS_KEY_ID=testing');
    expect(printed).toContain('export AWS_REGION=us-east-1');
    expect(printed).toContain(`export PLINTH_DEV_ACCOUNT=${MOTO_DEFAULT_ACCOUNT}`);
    expect(printed).toContain('Press Ctrl-C here to stop moto_server');
  });
});

describeWithMoto('the session commands against moto, with the printed exports', (moto) => {
  let restore: () => void;
  beforeAll(async () => {
    restore = applyShell(operatorSessionExports(moto.endpoint, 'us-east-1', MOTO_DEFAULT_ACCOUNT));
    await new SageMakerClient(motoClientConfig(moto.endpoint)).send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: 'fraud-detector' }));
  });
  afterAll(() => restore());

  test.each(OPERATOR_SESSION_COMMANDS.map((c) => [c]))('%s: reaches the emulator and answers, or names the next step', async (command) => {
    const argv = command.replace(/^npx plinth /, '').split(' ');
    const run = await runCli(...argv);
    // A known command with valid options: never a usage error; a failure names what to do next.
    expect([command, run.code === 2 ? run.stderr : 'parsed']).toEqual([command, 'parsed']);
    if (run.code !== 0) expect(run.stderr).toContain('next step:');
    // Never the wrong place: no credentials error, no real AWS endpoint.
    expect(run.stderr).not.toMatch(/no AWS credentials|cannot reach AWS|amazonaws\.com/);
  });

  test('status and models list succeed against the emulator', async () => {
    expect((await runCli('status', '--env', 'dev')).code).toBe(0);
    const list = await runCli('models', 'list', '--env', 'dev', '--json');
    expect(list.code).toBe(0);
  });
});
