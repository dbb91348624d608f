/**
 * The duplicate-key pre-check of the JSON Lines path: key occurrences counted
 * in the text (':' outside strings) against keys in the parsed value. Checked
 * against JSON.stringify's own output (no duplicates by construction) and
 * against texts with a duplicated key spliced in, where the scanner must run
 * and name it.
 */
import fc from 'fast-check';
import { parseJsonRecordKeys } from '../../../lambdas/ingest/json-record';
import { keyCount, keysOutsideStrings } from '../../../lambdas/ingest/json-scan';

// strings full of the characters that matter: quotes, backslashes, colons, \u escapes once stringified
const tricky = fc.string({ unit: fc.constantFrom('"', '\\', ':', 'a', 'b', '\u0000', '\u2028', '\ud800', '{', '}') });
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, tricky, fc.integer(), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('node'), { maxLength: 3 }),
  object: fc.dictionary(tricky, tie('node'), { maxKeys: 4 }),
})).object;

describe('keysOutsideStrings / keyCount', () => {
  it('agree on every text JSON.stringify writes (spaced or not)', () => {
    fc.assert(
      fc.property(value, fc.constantFrom(0, 2), (v, space) => {
        const text = JSON.stringify(v, null, space);
        expect(keysOutsideStrings(text)).toBe(keyCount(JSON.parse(text)));
      }),
      { seed: 17, numRuns: 300 },
    );
  });

  it('a duplicated key anywhere makes the record a duplicate-key, however the key is spelled', () => {
    fc.assert(
      fc.property(value, tricky, fc.boolean(), (v, key, escape) => {
        // GIVEN an object with `key` written twice, the second spelled with \u escapes when asked
        const spelled = escape ? `"${[...key].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"` : JSON.stringify(key);
        const inner = JSON.stringify(v).slice(1, -1);
        const text = `{"wrap":{${JSON.stringify(key)}:1,${spelled}:2${inner ? `,${inner}` : ''}}}`;
        const r = parseJsonRecordKeys(text);
        // THEN it is refused as a duplicate (or a forbidden key, which takes precedence)
        expect(r.kind === 'duplicate-key' || r.kind === 'forbidden-key').toBe(true);
      }),
      { seed: 17, numRuns: 300 },
    );
  });
});
