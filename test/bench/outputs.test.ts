import { execFileSync } from 'child_process';
import * as path from 'path';
import { benchOutputs } from '../../bench/outputs';

const ROOT = path.join(__dirname, '..', '..');
const ignored = (file: string) => {
  try {
    execFileSync('git', ['check-ignore', '-q', path.relative(ROOT, file)], { cwd: ROOT });
    return true;
  } catch {
    return false;
  }
};

describe('npm run bench leaves the working tree clean', () => {
  test('a plain run writes only git-ignored files', () => {
    const outputs = benchOutputs([]);
    expect(outputs.doc).toBe(path.join(ROOT, 'bench', 'performance.md'));
    for (const file of [outputs.results, outputs.doc]) expect([file, ignored(file)]).toEqual([file, true]);
  });

  test('--write-docs renders into the tracked docs/performance.md', () => {
    const outputs = benchOutputs(['--write-docs']);
    expect(outputs.doc).toBe(path.join(ROOT, 'docs', 'performance.md'));
    expect(ignored(outputs.doc)).toBe(false);
  });
});
