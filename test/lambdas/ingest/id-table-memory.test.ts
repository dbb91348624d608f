/**
 * The duplicate-id table's compact storage against a native Map, the independent reference:
 * ids kept one byte per code unit until a wider one arrives, lines kept in four bytes unless
 * they do not fit, and the arrays reserved once past 65,536 entries (2^17 slots, 2^20 code
 * units) and grown into in place. Every answer (the first line, the bound, the size) must be
 * the Map's across each of those moves.
 */

import fc from 'fast-check';
import { IdTable } from '../../../lambdas/ingest/id-table';
import { expectAnswersOfAMap } from '../../support/id-table-reference';

const SEED = 2026;

/** Lines a caller may pass: small ones, the largest four bytes hold, the marker value itself, and numbers four bytes cannot hold. */
const LINE = fc.oneof(
  fc.nat({ max: 1000 }),
  fc.constantFrom(2 ** 32 - 2, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 1.5, -1, -0.5, 0),
);

/** Ids of every shape the table has a path for: numbered (the bitset), in order, opaque (the slot table), and with a code unit above 255. */
const ID = fc.oneof(
  fc.integer({ min: 0, max: 60 }).map((n) => `t-${n}`),
  fc.stringMatching(/^[0-9a-f]{1,6}$/),
  fc.constantFrom('é', 'ÿ', 'Ā', '€x', '\ud800', 'x\u0100', '😀', ''),
);

describe('IdTable storage', () => {
  it('answers as a Map for lines of any size, in every mode and across the moves between modes', () => {
    const input = fc.array(fc.tuple(ID, LINE), { maxLength: 300 });
    fc.assert(
      fc.property(input, fc.integer({ min: 0, max: 320 }), (pairs, maxIds) => {
        const ids = pairs.map(([id]) => id);
        const lines = pairs.map(([, line]) => line);
        expectAnswersOfAMap(new IdTable(maxIds), ids, maxIds, lines);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('keeps a line that four bytes cannot hold in the bitset, the ordered path and the slot table', () => {
    const big = 2 ** 40 + 7;
    for (const [first, later] of [
      ['t-5', ['t-1', 't-9']], // the bitset, then back to it
      ['a', ['b', 'c']], // in order
      ['zz', ['a', 'b']], // out of order: the slot table
    ] as const) {
      const table = new IdTable(100);
      expect(table.observe(first, big)).toBeUndefined();
      expect(table.observe(first, 1)).toBe(big);
      for (const id of later) table.observe(id, 2);
      expect(table.observe(first, 3)).toBe(big);
      expect(table.observe(first, 4)).toBe(big);
      expect(table.observe('t-5x', 2 ** 32 - 1)).toBeUndefined(); // the marker value, as a line
      expect(table.observe('t-5x', 5)).toBe(2 ** 32 - 1);
    }
  });

  it('answers as a Map past the reservations, with a code unit above 255 arriving after them', () => {
    // GIVEN 150,000 opaque ids (the slot table: past 65,536 entries, 2^17 slots and 2^20 code units)
    // with repeats, and ids with a code unit above 255 from the 100,000th on
    let state = 0x1234567;
    const random = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0);
    const ids: string[] = [];
    for (let i = 0; i < 150_000; i++) {
      const r = random();
      if (i > 10 && r % 17 === 0) ids.push(ids[random() % ids.length]!); // a repeat of any earlier id
      else if (i >= 100_000 && r % 5 === 0) ids.push(`${(r >>> 4).toString(16)}€${i}`);
      else ids.push(`${r.toString(16).padStart(8, '0')}${random().toString(16).padStart(8, '0')}${i.toString(36)}`);
    }
    ids.push(ids[0]!, ids[99_999]!, ids[100_003]!, 'never-seen€');
    for (const maxIds of [1_000_000, 120_000]) {
      const table = new IdTable(maxIds);
      // WHEN each is observed; THEN every answer is the Map's, and the table neither gave up nor left its mode
      expectAnswersOfAMap(table, ids, maxIds);
      expect(table.layout).toBe('table');
    }
  });

  it('answers as a Map past the reservations for numbered ids out of order (the bitset and its log)', () => {
    const n = 140_000;
    const ids = Array.from({ length: n }, (_, i) => `INV-${(i * 7919) % n}`);
    ids.push('INV-17', `INV-${n - 1}`, 'INV-x');
    const table = new IdTable(1_000_000);
    expectAnswersOfAMap(table, ids, 1_000_000);
    expect(table.layout).toBe('table'); // INV-x moved every entry to the slot table
  });
});
