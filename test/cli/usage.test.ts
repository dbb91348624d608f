/**
 * The CLI's conventions that need no AWS at all: help, usage errors, unknown commands and exit
 * codes. Runs in-process, plus one run of the real `plinth` bin as npx starts it.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { COMMANDS } from '../../cli/main';
import { runCli } from './cli-harness';

describe('plinth usage', () => {
  it.each(COMMANDS.map((c) => c.name))('prints help for %s and exits 0', async (name) => {
    // GIVEN a command WHEN it is run with --help
    const run = await runCli(name, '--help');
    // THEN its usage and the common options are printed, and nothing fails
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^usage: plinth ${name}`));
    expect(run.stdout).toContain('--json');
  });

  it('lists every command on plinth --help', async () => {
    const run = await runCli('--help');
    expect(run.code).toBe(0);
    for (const command of COMMANDS) expect(run.stdout).toContain(command.name);
  });

  it('exits 2 with the usage when no command is given', async () => {
    const run = await runCli();
    expect(run.code).toBe(2);
    expect(run.stdout).toContain('usage: plinth <command>');
  });

  it('exits 2 on an unknown command, naming it', async () => {
    const run = await runCli('deploy-everything');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown command "deploy-everything"');
    expect(run.stderr).toContain('usage: plinth <command> [options]');
  });

  it('exits 2 on an unknown option', async () => {
    const run = await runCli('status', '--environment', 'dev');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown option --environment');
  });

  it('exits 2 when an option lacks its value', async () => {
    const run = await runCli('status', '--env');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--env needs a value');
  });

  it('exits 2 on an unknown environment, naming the known ones', async () => {
    const run = await runCli('status', '--env', 'qa');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown environment "qa": pass --env with one of dev, staging, prod');
    // A CLI user passes --env; -c env=<name> is cdk's flag, not the CLI's.
    expect(run.stderr).not.toContain('-c env');
  });

  it('exits 2 on a missing or unknown models subcommand, listing the subcommands', async () => {
    const missing = await runCli('models');
    const unknown = await runCli('models', 'delete');
    expect(missing.code).toBe(2);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown subcommand "models delete"');
    expect(unknown.stderr).toContain('rollback');
  });

  it('refuses a promotion that skips an environment, before any AWS call', async () => {
    const run = await runCli('models', 'promote', 'fraud-detector/1', '--from', 'dev', '--to', 'prod');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('promotion runs dev → staging → prod: prod does not follow dev');
  });

  it('refuses a malformed model reference', async () => {
    const run = await runCli('models', 'reject', 'fraud detector');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('neither a model package ARN nor GROUP/VERSION');
  });

  it('reports usage errors as JSON with --json', async () => {
    const run = await runCli('models', 'rollback', '--json');
    expect(run.code).toBe(2);
    expect(run.json()).toEqual({ ok: false, error: { kind: 'usage', cause: 'rollback needs --endpoint NAME', next: expect.stringContaining('plinth models rollback') } });
  });

  it('runs as the package bin (what npx plinth starts) with the same exit codes', () => {
    // GIVEN the bin's source (npm run build copies it to dist/cli/plinth.js, package.json's bin) WHEN node runs it as npx would
    const bin = join(__dirname, '..', '..', 'cli', 'plinth.js');
    const help = spawnSync(process.execPath, [bin, 'models', '--help'], { encoding: 'utf8' });
    const unknown = spawnSync(process.execPath, [bin, 'nope'], { encoding: 'utf8' });
    // THEN help exits 0 and an unknown command exits 2, without a stack trace
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('usage: plinth models');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown command "nope"');
    expect(unknown.stderr).not.toMatch(/\n\s+at /);
  });
});
