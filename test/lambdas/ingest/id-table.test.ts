/**
 * IdTable (the duplicate-id check's table) against a native Map as the
 * independent reference, including the two paths a Map never takes: the
 * maxIds bound and the fallback to a Map when ids collide.
 */
import fc from 'fast-check';
import { IdTable, idHash } from '../../../lambdas/ingest/id-table';
import { mapReference } from '../../support/id-table-reference';


function observeAll(table: IdTable, ids: readonly string[]) {
  return ids.map((id, line) => table.observe(id, line));
}

describe('IdTable', () => {
  it('answers every lookup as a Map does, for any ids (unicode, empty, repeated), across growth', () => {
    // GIVEN random id sequences with many repeats (a small alphabet) and lone surrogates
    const ids = fc.array(fc.oneof(fc.string({ maxLength: 3, unit: 'grapheme' }), fc.string({ maxLength: 6, unit: 'binary' })), { maxLength: 3000 });
    fc.assert(
      fc.property(ids, fc.integer({ min: 0, max: 4000 }), (list, maxIds) => {
        // WHEN each id is observed in order, THEN the first-occurrence line, the bound and the size match the Map
        const table = new IdTable(maxIds);
        const expected = mapReference(list, maxIds);
        expect(observeAll(table, list)).toEqual(expected.answers);
        expect(table.truncated).toBe(expected.truncated);
        expect(table.untracked).toBe(expected.untracked);
        expect(table.size).toBe(expected.size);
      }),
      { seed: 17, numRuns: 60 },
    );
  });

  it('holds 200,000 distinct ids (many growths) and still finds the first line of each', () => {
    const table = new IdTable(2_000_000);
    let seenBefore = 0;
    for (let i = 0; i < 200_000; i++) if (table.observe(`t-${i}`, i + 1) !== undefined) seenBefore++;
    expect(seenBefore).toBe(0);
    expect(table.size).toBe(200_000);
    for (const i of [0, 1, 511, 512, 65_535, 199_999]) expect(table.observe(`t-${i}`, 0)).toBe(i + 1);
    expect(table.degraded).toBe(false);
  });

  it('stops storing at maxIds, and says so', () => {
    const table = new IdTable(2);
    expect(observeAll(table, ['a', 'b', 'c', 'a', 'c'])).toEqual([undefined, undefined, undefined, 0, undefined]);
    expect(table.truncated).toBe(true);
    expect(table.untracked).toBe(2); // c, twice: its second occurrence cannot be caught
    expect(table.size).toBe(2);
  });

  it('moves to a Map when ids collide (hash flooding), and answers the same afterwards', () => {
    // GIVEN 200 ids whose hashes, for a known seed, all land in the same slot of the first table
    const seed = 12345;
    const colliding: string[] = [];
    for (let i = 0; colliding.length < 200; i++) {
      const id = `x${i}`;
      if ((idHash(id, seed) & 1023) === 0) colliding.push(id);
    }
    const table = new IdTable(10_000, seed);
    // WHEN they are observed, twice over
    const list = [...colliding, ...colliding, 'other'];
    const answers = observeAll(table, list);
    // THEN the table gave up probing and still answers exactly as a Map
    expect(table.degraded).toBe(true);
    expect(answers).toEqual(mapReference(list, 10_000).answers);
    expect(table.size).toBe(201);
  });
});
