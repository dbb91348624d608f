import * as fc from 'fast-check';
import { ISO_8601, isIsoTimestamp } from '../../../lambdas/ingest/validator';

/** The regular-expression implementation the hand scanner replaced: the reference. */
function reference(s: string): boolean {
  const m = ISO_8601.exec(s);
  if (!m) return false;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
  if (month < 1 || month > 12 || day < 1 || day > days!) return false;
  if (m[4] !== undefined) {
    if (Number(m[4]) > 23 || Number(m[5]) > 59) return false;
    if (m[6] !== undefined && Number(m[6]) > 59) return false;
    const zone = m[7];
    if (zone !== undefined && zone.length > 1) {
      const zh = Number(zone.slice(1, 3));
      const zm = zone.length > 3 ? Number(zone.slice(-2)) : 0;
      if (zh > 23 || zm > 59) return false;
    }
  }
  return true;
}

// Strings built from the characters the grammar uses, in timestamp-like shapes, so that
// near misses (a digit short, a stray separator, out-of-range parts) are common.
const alphabet = fc.constantFrom(...'0123456789-:.,TtZz +x'.split(''));
const digits = (n: number) => fc.array(fc.constantFrom(...'0123456789'.split('')), { minLength: n, maxLength: n }).map((a) => a.join(''));
const shaped = fc
  .tuple(
    digits(4),
    fc.constantFrom('-', ':'),
    fc.integer({ min: 0, max: 14 }),
    fc.integer({ min: 0, max: 32 }),
    fc.option(fc.tuple(fc.constantFrom('T', 't', ' ', 'X'), fc.integer({ min: 0, max: 25 }), fc.integer({ min: 0, max: 61 }))),
    fc.option(fc.tuple(fc.integer({ min: 0, max: 61 }), fc.option(fc.tuple(fc.constantFrom('.', ','), fc.integer({ min: 0, max: 11 }))))),
    fc.option(fc.constantFrom('Z', 'z', '+05', '-0530', '+05:30', '+24:00', '+05:60', '+5', '+05:3', '+053', 'ZZ')),
    fc.array(alphabet, { maxLength: 2 }).map((a) => a.join('')),
  )
  .map(([y, dash, mo, d, time, secs, zone, tail]) => {
    const p = (n: number) => String(n).padStart(2, '0');
    let s = `${y}${dash}${p(mo)}-${p(d)}`;
    if (time) s += `${time[0]}${p(time[1])}:${p(time[2])}`;
    if (secs) s += `:${p(secs[0])}${secs[1] ? `${secs[1][0]}${'7'.repeat(secs[1][1])}` : ''}`;
    return s + (zone ?? '') + tail;
  });

describe('isIsoTimestamp', () => {
  it('accepts exactly what the regular-expression reference accepts', () => {
    // GIVEN timestamp-shaped strings with near misses, and arbitrary strings of the grammar's characters
    // WHEN checked by the hand scanner and by the reference
    // THEN both agree on every one
    fc.assert(fc.property(fc.oneof(shaped, fc.array(alphabet, { maxLength: 40 }).map((a) => a.join(''))), (s) => {
      expect(isIsoTimestamp(s)).toBe(reference(s));
    }), { numRuns: 20_000 });
  });

  it.each(['2024-05-06T07:08:09.1234567890Z', '2024-05-06T07:08:09.Z', '2024-05-06T07:08:', '2024-05-06T07:08:09+05:3', '2024-05-06T7:08', '２０２４-05-06'])(
    'refuses %s',
    (s) => {
      expect(isIsoTimestamp(s)).toBe(false);
      expect(reference(s)).toBe(false);
    },
  );
});
