import { UsageError } from './errors';

/** An option a command accepts: `--name VALUE`, or `--name` alone when it is a flag. */
export interface OptionSpec {
  readonly name: string;
  readonly flag?: boolean;
  readonly description: string;
}

export interface ParsedArgs {
  readonly positionals: readonly string[];
  readonly options: Readonly<Record<string, string | true>>;
}

/** Options every command accepts. */
export const COMMON_OPTIONS: readonly OptionSpec[] = [
  { name: 'json', flag: true, description: 'machine-readable output on stdout' },
  { name: 'help', flag: true, description: 'show this help' },
];

/** Parses `argv` against `specs` (plus the common options); unknown options are usage errors. */
export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[], usage: string): ParsedArgs {
  const all = [...specs, ...COMMON_OPTIONS];
  const positionals: string[] = [];
  const options: Record<string, string | true> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') {
      options.help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const [rawName, inlineValue] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    const spec = all.find((s) => s.name === rawName);
    if (!spec) throw new UsageError(`unknown option --${rawName}`, usage);
    if (spec.flag) {
      if (inlineValue !== undefined) throw new UsageError(`--${rawName} takes no value`, usage);
      options[spec.name] = true;
      continue;
    }
    const value = inlineValue ?? argv[++i];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`--${rawName} needs a value`, usage);
    options[spec.name] = value;
  }
  return { positionals, options };
}

/** The string value of `name`, or `fallback`. */
export function optionValue(args: ParsedArgs, name: string, fallback?: string): string | undefined {
  const value = args.options[name];
  return typeof value === 'string' ? value : fallback;
}

/** Formats a command's help: usage line, summary and options. */
export function formatHelp(usage: string, summary: string, specs: readonly OptionSpec[]): string {
  const all = [...specs, ...COMMON_OPTIONS];
  const width = Math.max(...all.map((s) => s.name.length + (s.flag ? 0 : 6)));
  const lines = all.map((s) => `  --${(s.flag ? s.name : `${s.name} VALUE`).padEnd(width)}  ${s.description}`);
  return `usage: ${usage}\n\n${summary}\n\noptions:\n${lines.join('\n')}\n`;
}
