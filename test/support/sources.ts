import * as fs from 'fs';
import * as path from 'path';

/** Every TypeScript source file below `dir`, for tests that check the layout of the code. */
export function typeScriptSourcesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return typeScriptSourcesUnder(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}
