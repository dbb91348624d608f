import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The folder holding Plinth's package.json: the repository when the CLI runs from source, the
 * installed package when it runs compiled from `dist/cli/`.
 */
export function packageRoot(from: string = __dirname): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return join(__dirname, '..');
  }
}
