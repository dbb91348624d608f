import * as fs from 'fs';
import * as path from 'path';

const LIB = path.join(__dirname, '..', 'lib');

function sourcesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourcesUnder(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

describe('layout', () => {
  test('only lib/platform/ imports config/: constructs take props, the blueprint maps config onto them', () => {
    // GIVEN every import specifier in lib/ outside lib/platform/
    const offenders = sourcesUnder(LIB)
      .filter((file) => !file.startsWith(path.join(LIB, 'platform') + path.sep))
      .flatMap((file) =>
        [...fs.readFileSync(file, 'utf8').matchAll(/(?:from|import\()\s*['"]([^'"]+)['"]/g)]
          .map((m) => m[1])
          .filter((specifier) => specifier.startsWith('.') && path.resolve(path.dirname(file), specifier).startsWith(path.join(LIB, '..', 'config')))
          .map((specifier) => `${path.relative(LIB, file)} imports ${specifier}`),
      );
    // THEN
    expect(offenders).toEqual([]);
  });
});
