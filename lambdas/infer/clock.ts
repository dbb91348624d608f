/**
 * The gateway's notion of "now" (breaker timestamps, review cases' createdAt).
 * Injectable so tests can move through the breaker's window and open period
 * without sleeping.
 */

let clock: () => number = () => Date.now();

/** Milliseconds since the epoch. */
export function now(): number {
  return clock();
}

/** Test hook: pin or advance time. Pass undefined to restore Date.now. */
export function setClock(c: (() => number) | undefined): void {
  clock = c ?? (() => Date.now());
}
