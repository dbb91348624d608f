import * as fs from 'fs';
import * as path from 'path';
import { latestExpiry } from '../../lib/compliance/acknowledge';
import { PLATFORM_WAIVER } from '../../lib/compliance/platform-waiver';
import { typeScriptSourcesUnder } from '../support/sources';

const LIB = path.join(__dirname, '..', '..', 'lib');


describe('PLATFORM_WAIVER: the owner and expiry of Plinth\'s own acknowledgements, in one place', () => {
  test('no file in lib/ writes an expiry date or the platform owner of its own', () => {
    // GIVEN every source file except the one that defines them
    const offenders = typeScriptSourcesUnder(LIB)
      .filter((file) => !file.endsWith(path.join('compliance', 'platform-waiver.ts')))
      .flatMap((file) =>
        fs
          .readFileSync(file, 'utf8')
          .split('\n')
          .map((line, i, lines) => ({ line, near: lines.slice(Math.max(0, i - 2), i + 3).join('\n'), where: `${path.relative(LIB, file)}:${i + 1}` }))
          // An owner next to an expiry is a waiver's; the failure-mode catalogue's alarm owners are not.
          .filter(({ line, near }) => /expires:\s*['`"]\d{4}-\d{2}-\d{2}/.test(line) || (/owner:\s*['`"]ml-platform['`"]/.test(line) && /expires/.test(near)))
          .map(({ where }) => where),
      );
    // THEN
    expect(offenders).toEqual([]);
  });

  test('the expiry is a real day within the twelve months the gate allows from today', () => {
    const today = new Date().toISOString().slice(0, 10);
    expect(PLATFORM_WAIVER.expires >= today).toBe(true);
    expect(PLATFORM_WAIVER.expires <= latestExpiry(new Date())).toBe(true);
    expect(PLATFORM_WAIVER.owner).toBe('ml-platform');
  });
});
