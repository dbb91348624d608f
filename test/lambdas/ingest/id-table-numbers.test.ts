/**
 * The duplicate-id table's bitset path (ids that are a prefix and a number,
 * out of order) against a native Map, the independent reference: every
 * answer (seen or not, the first line, the maxIds bound, the size) must be
 * the Map's, for ids that fit the bitset, ids that only nearly fit (leading
 * zeros, a digit too many, another prefix, a lone surrogate), numbers too
 * sparse for it, and the moves from the bitset to the slot table in the
 * middle of a sequence.
 */

import fc from 'fast-check';
import { IdTable } from '../../../lambdas/ingest/id-table';
import { expectAnswersOfAMap, mapReference } from '../../support/id-table-reference';

const SEED = 1705;


/** Ids of one shape: prefix + number, as few digits as needed or zero-padded to a width. */
function shaped(prefix: string, width: number, n: number): string {
  return prefix + (width === 0 ? String(n) : String(n).padStart(width, '0'));
}

const PREFIX = fc.constantFrom('t-', '', 'INV-', 'x', 'é-', '\ud800', 'a1-', '-');
/** Ids that nearly fit a shape, or do not at all. */
const ODD_ID = fc.constantFrom('t-', 't-01', 't-0', 't-1234567890', 't-12a', 'T-1', '1', '01', '', 'a1-1', 'x\ud800', 'INV-1', 'INV-0001', '-0', '--1', '٣', 't-٣');

describe('IdTable with ids that are a prefix and a number', () => {
  it('answers as a Map for shuffled numbered ids with repeats, odd ids and any bound', () => {
    const list = fc
      .record({
        prefix: PREFIX,
        width: fc.constantFrom(0, 0, 3, 6),
        count: fc.integer({ min: 0, max: 400 }),
        spread: fc.constantFrom(1, 2, 50, 100_000),
        // [position, kind]: 0 repeat an earlier id, 1 an odd id, 2 a number far beyond the others
        edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 2 }), fc.nat()), { maxLength: 8 }),
        odd: fc.array(ODD_ID, { minLength: 8, maxLength: 8 }),
        order: fc.array(fc.nat(), { maxLength: 400 }),
      })
      .map(({ prefix, width, count, spread, edits, odd, order }) => {
        const ids = Array.from({ length: count }, (_, i) => shaped(prefix, width, i * spread));
        // shuffle with the drawn numbers (Fisher-Yates)
        for (let i = ids.length - 1; i > 0; i--) {
          const j = (order[i % Math.max(1, order.length)] ?? 0) % (i + 1);
          [ids[i], ids[j]] = [ids[j]!, ids[i]!];
        }
        edits.forEach(([at, kind, pick], k) => {
          const i = ids.length === 0 ? 0 : at % (ids.length + 1);
          if (kind === 0 && ids.length > 0) ids.splice(i, 0, ids[pick % ids.length]!);
          else if (kind === 1) ids.splice(i, 0, odd[k]!);
          else ids.splice(i, 0, shaped(prefix, width, 900_000_000 + pick));
        });
        return ids;
      });
    fc.assert(
      fc.property(list, fc.integer({ min: 0, max: 500 }), (ids, maxIds) => {
        expectAnswersOfAMap(new IdTable(maxIds), ids, maxIds);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('answers as a Map for numbered ids in order (gaps of any size), then ids of another shape or out of order', () => {
    const list = fc
      .record({
        prefix: PREFIX,
        width: fc.constantFrom(0, 0, 7),
        gaps: fc.array(fc.oneof(fc.integer({ min: 1, max: 3 }), fc.constantFrom(50_000, 2_000_000)), { maxLength: 300 }),
        tail: fc.array(fc.oneof(ODD_ID, fc.nat(400).map((n) => `t-${n}`), fc.constantFrom('zz-1', 'zzz')), { maxLength: 6 }),
        repeats: fc.array(fc.nat(), { maxLength: 4 }),
      })
      .map(({ prefix, width, gaps, tail, repeats }) => {
        const ids: string[] = [];
        let n = 0;
        for (const gap of gaps) {
          ids.push(shaped(prefix, width, n));
          n += gap;
        }
        // the last id again (in order), then what follows
        for (const r of repeats) if (ids.length > 0) ids.splice(ids.length - (r % 2), 0, ids[ids.length - 1]!);
        return [...ids, ...tail];
      });
    fc.assert(
      fc.property(list, fc.integer({ min: 0, max: 400 }), (ids, maxIds) => {
        expectAnswersOfAMap(new IdTable(maxIds), ids, maxIds);
      }),
      { seed: SEED, numRuns: 400 },
    );
  });

  it('keeps numbered ids in order in the bitset, and goes back to the ordered path when they stop fitting it', () => {
    const table = new IdTable(1_000_000);
    let seen = 0;
    for (let i = 0; i < 100_000; i++) if (table.seen(`t-${i}`, i)) seen++;
    expect(seen).toBe(0);
    expect(table.layout).toBe('numbers');
    expect(table.seen('t-99999', 0)).toBe(true);
    // an id of another shape, still in order (longer): the ordered path takes over, with every id
    expect(table.seen('u-1000000', 100_000)).toBe(false);
    expect(table.layout).toBe('ordered');
    expect(table.seen('u-1000000', 0)).toBe(true);
    expect(table.firstLine('u-1000000')).toBe(100_000);
    // then an id out of order: the slot table, and the first lines are kept through both moves
    expect(table.observe('t-5', 0)).toBe(5);
    expect(table.layout).toBe('table');
    expect(table.observe('t-100000', 1)).toBeUndefined();
    expect(table.size).toBe(100_002);

    // numbers that did not come in order never go back to the ordered path: t-50 would pass as new after t-4a
    const unordered = ['t-50', 't-49', 't-4a', 't-50'];
    const back = new IdTable(100);
    expect(unordered.map((id, line) => back.observe(id, line))).toEqual(mapReference(unordered, 100).answers);
    expect(back.layout).toBe('table');

    const sparse = new IdTable(100);
    for (const id of ['5', '6', '900000000', '900000001']) expect(sparse.seen(id, 0)).toBe(false);
    expect(sparse.layout).toBe('ordered');
    expect(sparse.seen('6', 0)).toBe(true);
    expect(sparse.layout).toBe('table');
  });

  it('answers seen() and firstLine() as a Map, the way the router asks (no first line unless listed)', () => {
    const ids = fc.array(fc.integer({ min: 0, max: 300 }).map((n) => `m-${n}`), { maxLength: 1500 });
    fc.assert(
      fc.property(ids, fc.array(fc.nat(), { maxLength: 40 }), (list, lookups) => {
        const table = new IdTable(1_000_000);
        const map = new Map<string, number>();
        list.forEach((id, line) => {
          expect(table.seen(id, line)).toBe(map.has(id));
          if (!map.has(id)) map.set(id, line);
          // now and then, a first line is asked for (a listed duplicate under reject)
          if (lookups.includes(line)) expect(table.firstLine(id)).toBe(map.get(id));
        });
        for (const id of ['m-0', 'm-300', 'm-301', 'm-00', 'x']) expect(table.firstLine(id)).toBe(map.get(id));
        expect(table.size).toBe(map.size);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('keeps a million shuffled sequence numbers in the bitset, exactly', () => {
    const n = 1_000_000;
    const order = new Int32Array(n).map((_, i) => i);
    let state = 7;
    for (let i = n - 1; i > 0; i--) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      const j = state % (i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    const table = new IdTable(n);
    let seen = 0;
    for (let i = 0; i < n; i++) if (table.seen(`t-${order[i]}`, i + 1)) seen++;
    expect(seen).toBe(0);
    expect(table.layout).toBe('numbers');
    expect(table.size).toBe(n);
    // every id is there once, with the line it came on; others are not
    for (const i of [0, 1, 17, 499_999, n - 1]) expect(table.seen(`t-${order[i]}`, 0)).toBe(true);
    expect(table.firstLine(`t-${order[123_456]}`)).toBe(123_457);
    for (const id of [`t-${n}`, 't-01', 't-', 'T-5', `t-${order[5]} `]) expect(table.firstLine(id)).toBeUndefined();
    expect(table.truncated).toBe(false);
    // a further id is not stored: the bound holds in the bitset too
    expect(table.seen(`t-${n}`, 0)).toBe(false);
    expect(table.truncated).toBe(true);
    expect(table.seen(`t-${n}`, 0)).toBe(false);
  });

  it('moves to the slot table for an id of another shape, sparse numbers, or many first-line lookups', () => {
    const other = new IdTable(100);
    for (const id of ['t-5', 't-3', 't-4']) other.observe(id, 0);
    expect(other.layout).toBe('numbers');
    expect(other.observe('t-04', 9)).toBeUndefined(); // a leading zero: another id than t-4
    expect(other.layout).toBe('table');
    expect(other.observe('t-4', 1)).toBe(0);
    expect(other.observe('t-04', 1)).toBe(9);

    const sparse = new IdTable(100);
    for (const id of ['7', '3', '2000000000'.slice(0, 9)]) sparse.observe(id, 0); // 200000000: beyond 64 per id + 2^20
    expect(sparse.layout).toBe('table');
    expect(sparse.size).toBe(3);

    const padded = new IdTable(100);
    for (const id of ['INV-000120', 'INV-000007', 'INV-000120']) padded.observe(id, 1);
    expect(padded.layout).toBe('numbers');
    expect(padded.observe('INV-7', 2)).toBeUndefined(); // not INV-000007
    expect(padded.observe('INV-000007', 2)).toBe(1);

    const asked = new IdTable(100);
    for (let i = 40; i >= 0; i--) asked.observe(`q${i}`, i);
    for (let i = 0; i <= 40; i++) expect(asked.observe(`q${i}`, 99)).toBe(i);
    expect(asked.layout).toBe('table');
  });
});
