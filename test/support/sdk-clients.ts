/**
 * Handlers construct their AWS SDK clients once, at module scope. Tests reach them in two ways:
 * - aws-sdk-client-mock (`mockClient(handlerClient)`) where the test scripts the responses;
 * - `routeTo(handlerClient, motoClient)` where a real emulator (moto) answers: the handler's client
 *   sends each command through a client configured for the emulator (endpoint, credentials, path
 *   style), whose middleware (fault injection, request serialisation) then applies as before.
 */
/** The part of an SDK v3 client this needs. */
interface Sender {
  send(command: never, ...rest: never[]): Promise<unknown>;
}

/** Routes every `send` of `from` to `to` until the returned spy is restored (jest.restoreAllMocks or `.mockRestore()`). */
export function routeTo<C extends Sender>(from: C, to: C): jest.SpyInstance {
  const target = to as unknown as { send: (...args: unknown[]) => Promise<unknown> };
  return jest.spyOn(from as unknown as { send: (...args: unknown[]) => Promise<unknown> }, 'send').mockImplementation((...args: unknown[]) => target.send(...args));
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
