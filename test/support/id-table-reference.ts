import type { IdTable } from '../../lambdas/ingest/id-table';

/**
 * What IdTable must answer, id by id: a Map with the same bound (what the ingest router did
 * before the table). `answers[i]` is the line of ids[i]'s first occurrence when it was seen
 * before (lines are the positions in `ids`, or `lines[i]`); ids after the first `maxIds`
 * distinct ones are not stored, `truncated` says so and `untracked` counts the ids not stored.
 */
export function mapReference(
  ids: readonly string[],
  maxIds: number,
  lines?: readonly number[],
): { answers: Array<number | undefined>; truncated: boolean; untracked: number; size: number } {
  const map = new Map<string, number>();
  let truncated = false;
  let untracked = 0;
  const answers = ids.map((id, i) => {
    const first = map.get(id);
    if (first === undefined) {
      if (map.size < maxIds) map.set(id, lines ? lines[i]! : i);
      else {
        truncated = true;
        untracked++;
      }
    }
    return first;
  });
  return { answers, truncated, untracked, size: map.size };
}

/** Observes every id in `table` (line = position, or `lines[i]`) and expects the answers, the bound and the size of {@link mapReference}. */
export function expectAnswersOfAMap(table: IdTable, ids: readonly string[], maxIds: number, lines?: readonly number[]): void {
  const expected = mapReference(ids, maxIds, lines);
  expect(ids.map((id, i) => table.observe(id, lines ? lines[i]! : i))).toEqual(expected.answers);
  expect(table.truncated).toBe(expected.truncated);
  expect(table.untracked).toBe(expected.untracked);
  expect(table.size).toBe(expected.size);
}
