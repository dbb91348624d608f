import type { OptionSpec, ParsedArgs } from './args';
import type { CommandContext } from './context';

/** One `plinth` command (or subcommand group). */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: readonly OptionSpec[];
  /** Returns the exit code. Throws UsageError (exit 2) or any other error (exit 1, explained). */
  run(args: ParsedArgs, context: CommandContext): Promise<number>;
}
