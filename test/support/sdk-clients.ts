/**
 * Handlers construct their AWS SDK clients once, at module scope. Tests reach them in two ways:
 * - aws-sdk-client-mock (`mockClient(handlerClient)`) where the test scripts the responses;
 * - `routeTo(handlerClient, motoClient)` where a real emulator (moto) answers: the handler's client
 *   sends each command through a client configured for the emulator (endpoint, credentials, path
 *   style), whose middleware (fault injection, request serialisation) then applies as before.
 */
/** The part of an SDK v3 client this needs. */
interface Sender {
  send(...args: never[]): Promise<unknown>;
}

type SendFn = (...args: unknown[]) => Promise<unknown>;

const active: Array<() => void> = [];

/**
 * Routes every `send` of `from` to `to` until `restore()` (or {@link unrouteAll}). Not a jest spy
 * on purpose: a spy records every call's arguments and results (request bodies, response streams),
 * which a 100 MiB upload cannot afford.
 */
export function routeTo<C extends Sender>(from: C, to: C): { restore(): void } {
  const target = from as unknown as { send: SendFn };
  const hadOwn = Object.prototype.hasOwnProperty.call(target, 'send');
  const previous = target.send;
  const destination = to as unknown as { send: SendFn };
  target.send = (...args: unknown[]) => destination.send(...args);
  let done = false;
  const restore = (): void => {
    if (done) return;
    done = true;
    if (hadOwn) target.send = previous;
    else delete (target as { send?: SendFn }).send;
    const i = active.indexOf(restore);
    if (i >= 0) active.splice(i, 1);
  };
  active.push(restore);
  return { restore };
}

/** Undoes every route still in place, newest first (for an afterEach). */
export function unrouteAll(): void {
  for (const restore of [...active].reverse()) restore();
}

/**
 * Fake `Date` only (jest fake timers with every timer left real, because the SDK and moto need real
 * sockets and timeouts). Move time with `jest.setSystemTime(ms)`; undo with `jest.useRealTimers()`.
 */
export function fakeDate(nowMs: number): void {
  jest.useFakeTimers({
    now: nowMs,
    doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'requestAnimationFrame', 'cancelAnimationFrame', 'requestIdleCallback', 'cancelIdleCallback', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout'],
  });
}
