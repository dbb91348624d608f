import * as path from 'path';

const ROOT = path.join(__dirname, '..');

/** Where `npm run bench` writes. */
export interface BenchOutputs {
  /** Raw figures (git-ignored). */
  readonly results: string;
  /** The rendered tables as markdown: git-ignored unless `--write-docs` asks for docs/performance.md. */
  readonly doc: string;
}

/**
 * A plain run leaves the working tree clean: results and the rendered doc go to git-ignored files
 * under bench/. `--write-docs` renders into the tracked docs/performance.md instead, for a commit.
 */
export function benchOutputs(argv: readonly string[]): BenchOutputs {
  return {
    results: path.join(ROOT, 'bench', 'results.json'),
    doc: argv.includes('--write-docs') ? path.join(ROOT, 'docs', 'performance.md') : path.join(ROOT, 'bench', 'performance.md'),
  };
}
