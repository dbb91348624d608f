import { spawnSync } from 'child_process';
import * as path from 'path';

/**
 * The reference evaluation script's own tests (pytest, numpy and scipy), run by `npm test`.
 * pytest exit codes: 0 passed, 1 failures, 2 interrupted, 3 internal error, 4 usage error,
 * 5 no tests collected. Anything but 0 fails this test with pytest's output.
 */
describe('reference evaluation script (lib/training/evaluation/evaluate.py)', () => {
  it('passes its pytest suite on data with known metrics', () => {
    const root = path.join(__dirname, '..', '..');
    const run = spawnSync('python3', ['-m', 'pytest', '-q', '-p', 'no:cacheprovider', 'test/training/evaluation'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    if (run.error) throw new Error(`python3 could not be started: ${run.error.message}`);
    const report = `${run.stdout}\n${run.stderr}`;
    expect({ exitCode: run.status, report }).toEqual({ exitCode: 0, report: expect.stringMatching(/\d+ passed/) });
  });
});
