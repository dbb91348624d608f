/**
 * The docs promise only what the CLI has: every `plinth` command line shown in README.md, docs/
 * and docs/runbooks/ (code spans and code blocks) names a real command, subcommand and options.
 * (Alarm names the docs mention are checked against the synthesized app in
 * test/monitoring/failure-modes.test.ts.)
 */
import * as fs from 'fs';
import * as path from 'path';
import { COMMON_OPTIONS } from '../../cli/args';
import { COMMANDS } from '../../cli/main';

const ROOT = path.join(__dirname, '..', '..');

function markdownUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? markdownUnder(path.join(dir, e.name)) : e.name.endsWith('.md') ? [path.join(dir, e.name)] : [],
  );
}

/** Every plinth command line in a markdown text: in code blocks (with `\` continuations joined) and code spans. */
export function plinthCommandLines(markdown: string): string[] {
  const found: string[] = [];
  const blocks = [...markdown.matchAll(/```[a-z]*\n([\s\S]*?)```/g)].map((m) => m[1]!);
  for (const block of blocks) {
    for (const line of block.replace(/\\\n\s*/g, ' ').split('\n')) {
      const at = /(?:^|\s|\$ )(?:npx )?(plinth [a-z].*)$/.exec(line.trim());
      if (at && /^(npx )?plinth /.test(line.trim())) found.push(at[1]!.split(/\s+#/)[0]!.replace(/\s+/g, ' ').trim());
    }
  }
  const prose = markdown.replace(/```[a-z]*\n[\s\S]*?```/g, '');
  for (const span of prose.matchAll(/`([^`\n]+)`/g)) {
    const text = span[1]!.trim().replace(/^npx /, '');
    if (/^plinth [a-z]/.test(text)) found.push(text);
  }
  return found;
}

/** What is wrong with one command line, or undefined when the CLI has all of it. */
export function problemWith(line: string): string | undefined {
  const tokens = line.replace(/\[|\]/g, ' ').split(/\s+/).filter(Boolean).slice(1);
  const command = COMMANDS.find((c) => c.name === tokens[0]);
  if (!command) return `no command "plinth ${tokens[0]}"`;
  const subcommands = /^plinth \S+ ([a-z-]+(?:\|[a-z-]+)+)/.exec(command.usage)?.[1]?.split('|');
  const rest = tokens.slice(1);
  if (subcommands && rest[0] && !rest[0].startsWith('--') && !subcommands.includes(rest[0])) return `no subcommand "plinth ${command.name} ${rest[0]}"`;
  const known = new Set([...command.options, ...COMMON_OPTIONS].map((o) => o.name));
  const unknown = rest.filter((t) => t.startsWith('--')).map((t) => t.slice(2).split('=')[0]!).filter((name) => !known.has(name));
  return unknown.length > 0 ? `no option --${unknown.join(', --')} on plinth ${command.name}` : undefined;
}

const files = [path.join(ROOT, 'README.md'), ...markdownUnder(path.join(ROOT, 'docs'))];
const lines = files.flatMap((file) => plinthCommandLines(fs.readFileSync(file, 'utf8')).map((line) => ({ file: path.relative(ROOT, file), line })));

describe('every plinth command the docs and runbooks show exists', () => {
  test('the docs show plenty of commands to check, runbooks included', () => {
    expect(lines.length).toBeGreaterThan(15);
    expect(lines.some((l) => l.file.startsWith('docs/'))).toBe(true);
  });

  test('each names a real command, subcommand and options', () => {
    const problems = lines.flatMap(({ file, line }) => {
      const problem = problemWith(line);
      return problem ? [`${file}: ${line}: ${problem}`] : [];
    });
    expect(problems).toEqual([]);
  });

  test('the checker catches what it is for', () => {
    expect(problemWith('plinth models promote fraud-detector/1 --from dev --to staging')).toBeUndefined();
    expect(problemWith('plinth models delete fraud-detector/1')).toMatch(/no subcommand "plinth models delete"/);
    expect(problemWith('plinth status --env dev --verbose')).toMatch(/no option --verbose on plinth status/);
    expect(problemWith('plinth deploy --env dev')).toMatch(/no command "plinth deploy"/);
    expect(plinthCommandLines('run `plinth status --env qa` and\n```bash\nnpx plinth models list \\\n  --group x\n```\n')).toEqual(['plinth models list --group x', 'plinth status --env qa']);
  });

  test('the README\'s deploy steps send a user without credentials to plinth doctor before cdk bootstrap', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const bootstrap = readme.slice(readme.indexOf('**Bootstrap**'), readme.indexOf('**Deploy**'));
    expect(bootstrap).toMatch(/npx plinth doctor/);
    expect(bootstrap).toMatch(/without credentials/);
  });
});
