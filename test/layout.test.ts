import * as fs from 'fs';
import * as path from 'path';
import { typeScriptSourcesUnder } from './support/sources';

const LIB = path.join(__dirname, '..', 'lib');


describe('layout', () => {
  test('only lib/platform/ imports config/: constructs take props, the blueprint maps config onto them', () => {
    // GIVEN every import specifier in lib/ outside lib/platform/
    const offenders = typeScriptSourcesUnder(LIB)
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
