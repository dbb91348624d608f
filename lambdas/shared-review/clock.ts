/**
 * Injectable clock shared by the review Lambdas. Tests move time forward with
 * setClock() (e.g. past the SLA) instead of sleeping.
 */

export type Clock = () => Date;

const systemClock: Clock = () => new Date();

let current: Clock = systemClock;

export function now(): Date {
  return current();
}

/** Test hook: replace the clock. Pass undefined to restore the system clock. */
export function setClock(clock: Clock | undefined): void {
  current = clock ?? systemClock;
}
