/**
 * `plinth`: the operator CLI. One file per command under cli/commands/.
 *
 * Conventions: --help on every command; exit 0 OK, 1 failure, 2 usage; --json for machines;
 * progress on stderr; errors name the cause and the next step, never an SDK stack trace;
 * AWS_PROFILE, AWS_REGION and AWS_ENDPOINT_URL apply to every AWS call.
 */
import { formatHelp, parseArgs } from './args';
import type { Command } from './command';
import { doctorCommand } from './commands/doctor';
import { modelsCommand } from './commands/models';
import { reportCommand } from './commands/report';
import { simulateScalingCommand } from './commands/simulate-scaling';
import { statusCommand } from './commands/status';
import { type CommandContext, processContext } from './context';
import { EXIT, UsageError, explain } from './errors';

export const COMMANDS: readonly Command[] = [statusCommand, modelsCommand, reportCommand, doctorCommand, simulateScalingCommand];

export const TOP_USAGE = 'plinth <command> [options]';

export function topHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return (
    `usage: ${TOP_USAGE}\n\nOperate a Plinth environment.\n\ncommands:\n` +
    COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n') +
    '\n\nRun `plinth <command> --help` for its options. Exit codes: 0 ok, 1 failure, 2 usage.\n' +
    'AWS_PROFILE, AWS_REGION and AWS_ENDPOINT_URL apply to every AWS call.\n'
  );
}

/** Runs the CLI; returns the exit code. `makeContext` lets tests capture output. */
export async function main(argv: readonly string[], makeContext: (json: boolean) => CommandContext = processContext): Promise<number> {
  const json = argv.includes('--json');
  const context = makeContext(json);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    context.out(topHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((c) => c.name === name);
  try {
    if (!command) throw new UsageError(`unknown command "${name}"`, TOP_USAGE);
    const args = parseArgs(rest, command.options, command.usage);
    if (args.options.help) {
      context.out(formatHelp(command.usage, command.summary, command.options));
      return EXIT.ok;
    }
    return await command.run(args, context);
  } catch (error) {
    if (error instanceof UsageError) {
      report(context, 'usage', error.message, `usage: ${error.usage ?? command?.usage ?? TOP_USAGE} (see --help)`);
      return EXIT.usage;
    }
    const explained = explain(error);
    report(context, 'failure', explained.cause_, explained.nextStep);
    return EXIT.failure;
  }
}

function report(context: CommandContext, kind: 'usage' | 'failure', cause: string, next: string): void {
  if (context.json) {
    context.out(JSON.stringify({ ok: false, error: { kind, cause, next } }));
    return;
  }
  context.progress(`plinth: ${cause}\n  ${kind === 'usage' ? next : `next step: ${next}`}`);
}
