/**
 * The DynamoDB circuit breaker on its own, against moto's DynamoDB with the
 * real SDK client: several breaker objects with their own clients stand in for
 * several Lambda instances sharing the table.
 */

import { CreateTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { describeWithMoto, MOTO_CREDENTIALS, MOTO_REGION, motoClientConfig } from '../../support/moto';
import { breakerKey, createBreaker, parseItem } from '../../../lambdas/infer/breaker';
import type { Breaker, BreakerDecision, BreakerSettings } from '../../../lambdas/infer/breaker';
import { createDynamoDBClient } from '../../../lambdas/infer/clients';

/**
 * moto_server is threaded (werkzeug) and its DynamoDB condition check + write
 * is not atomic, so two conditional writes racing inside moto can both pass.
 * Real DynamoDB serialises conditional writes per item. To give the breaker
 * that guarantee in tests, every DynamoDB client of a suite shares this lock:
 * moto sees one request at a time, while the breaker's calls still interleave
 * freely between requests (which is what the concurrency tests exercise).
 */
const motoLock = { tail: Promise.resolve() };
function serialiseForMoto<C extends DynamoDBClient>(client: C): C {
  client.middlewareStack.add(
    (next) => async (args) => {
      const previous = motoLock.tail;
      let release: () => void = () => undefined;
      motoLock.tail = new Promise<void>((r) => (release = r));
      await previous;
      try {
        return await next(args);
      } finally {
        release();
      }
    },
    { step: 'finalizeRequest', priority: 'low', name: 'serialiseForMoto' },
  );
  return client;
}

const TABLE = 'breaker-unit';
const T0 = Date.UTC(2030, 5, 1);

describe('parseItem', () => {
  it('reads a stored item and ignores junk numbers', () => {
    // GIVEN a raw item with a non-numeric failure entry
    const item = {
      pk: { S: 'breaker#x' },
      state: { S: 'open' },
      failures: { L: [{ N: '5' }, { N: 'abc' }, { N: '7' }] },
      openUntil: { N: '100' },
      version: { N: '3' },
    };
    // WHEN it is parsed
    const state = parseItem(item);
    // THEN only valid numbers survive and the state is open
    expect(state).toEqual({ state: 'open', failures: [5, 7], openUntil: 100, version: 3 });
  });

  it('treats a missing item as "no state" and an unknown state as closed', () => {
    // GIVEN no item, and an item with a garbage state
    // WHEN they are parsed
    // THEN undefined, and closed
    expect(parseItem(undefined)).toBeUndefined();
    expect(parseItem({ pk: { S: 'k' }, state: { S: 'weird' } })).toMatchObject({ state: 'closed', failures: [], version: 0 });
  });

  it('builds one key per endpoint and variant', () => {
    // GIVEN an endpoint with and without a variant
    // WHEN keys are built
    // THEN they differ
    expect(breakerKey('e')).toBe('breaker#e');
    expect(breakerKey('e', 'blue')).toBe('breaker#e#blue');
  });
});

describeWithMoto('circuit breaker on moto DynamoDB', (moto) => {
  let seq = 0;
  let settings: BreakerSettings;
  const clients: DynamoDBClient[] = [];

  /** A new "Lambda instance": its own SDK client, same table and key. */
  function instance(): Breaker {
    const c = serialiseForMoto(createDynamoDBClient(motoClientConfig(moto.endpoint)));
    clients.push(c);
    return createBreaker(c, settings);
  }

  const quiet: jest.SpyInstance[] = [];

  beforeAll(async () => {
    // The breaker's log lines are not under test here.
    quiet.push(jest.spyOn(process.stdout, 'write').mockImplementation((() => true) as never), jest.spyOn(process.stderr, 'write').mockImplementation((() => true) as never));
    const admin = new DynamoDBClient(motoClientConfig(moto.endpoint));
    await admin.send(
      new CreateTableCommand({
        TableName: TABLE,
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    admin.destroy();
  });

  afterAll(() => {
    for (const spy of quiet) spy.mockRestore();
    for (const c of clients) c.destroy();
  });

  beforeEach(() => {
    seq += 1;
    settings = { table: TABLE, key: breakerKey(`ep-${seq}`), failureThreshold: 4, windowMs: 60_000, openMs: 30_000, probeLeaseMs: 5_000 };
  });

  it('a fresh breaker is closed and a healthy endpoint costs no write', async () => {
    // GIVEN no item for this endpoint
    const b = instance();
    // WHEN a request decides and succeeds
    const d = await b.decide(T0);
    const outcome = await b.recordSuccess(d, T0);
    // THEN it called the primary in closed mode and wrote nothing
    expect(d).toEqual({ call: true, mode: 'closed', failedOpen: false });
    expect(outcome).toBe('unchanged');
    expect(await b.read()).toBeUndefined();
  });

  it('concurrent failures on different instances all count (optimistic retries) and open it exactly once', async () => {
    // GIVEN 4 instances that all read the empty state first (stale snapshots)
    const bs = [instance(), instance(), instance(), instance()];
    const decisions = await Promise.all(bs.map((b) => b.decide(T0)));
    // WHEN all 4 record a failure at the same time
    const outcomes = await Promise.all(bs.map((b, i) => b.recordFailure(decisions[i] as BreakerDecision, T0 + i)));
    // THEN none was lost: 3 counted and exactly 1 opened the breaker
    expect([...outcomes].sort()).toEqual(['counted', 'counted', 'counted', 'opened']);
    const state = await bs[0]?.read();
    expect(state?.state).toBe('open');
    expect(state?.openUntil).toBeGreaterThanOrEqual(T0 + 30_000);
  });

  it('exactly one of many concurrent decisions claims the half-open probe lease', async () => {
    // GIVEN an open breaker whose open period ended
    const b = instance();
    for (let i = 0; i < 4; i++) await b.recordFailure(await b.decide(T0), T0);
    expect(await b.read()).toMatchObject({ state: 'open', openUntil: T0 + 30_000 });
    // WHEN 8 instances decide at the same moment after the open period
    const others = Array.from({ length: 8 }, () => instance());
    const decisions = await Promise.all(others.map((o) => o.decide(T0 + 30_000)));
    // THEN one probe; the other 7 stay on the fallback
    expect(decisions.filter((d) => d.call)).toHaveLength(1);
    expect(decisions.filter((d) => !d.call && d.reason === 'probe-in-flight')).toHaveLength(7);
    expect((await b.read())?.probeLeaseUntil).toBe(T0 + 30_000 + 5_000);
  });

  it('before the open period ends, nobody probes', async () => {
    // GIVEN an open breaker
    const b = instance();
    for (let i = 0; i < 4; i++) await b.recordFailure(await b.decide(T0), T0);
    // WHEN a request decides 1 ms before the end of the open period
    const d = await instance().decide(T0 + 30_000 - 1);
    // THEN it skips the primary because the breaker is open
    expect(d).toEqual({ call: false, reason: 'open' });
  });

  it('an expired probe lease (probing Lambda died) lets another request probe; the stale probe cannot change the state', async () => {
    // GIVEN an open breaker and a probe that claims the lease and never reports
    const b = instance();
    for (let i = 0; i < 4; i++) await b.recordFailure(await b.decide(T0), T0);
    const dead = await instance().decide(T0 + 30_000);
    expect(dead).toMatchObject({ call: true, mode: 'probe' });
    // WHEN the lease has expired and another request decides
    const blocked = await instance().decide(T0 + 30_000 + 4_999);
    const second = instance();
    const fresh = await second.decide(T0 + 30_000 + 5_000);
    // THEN the other request was blocked during the lease, and probes after it
    expect(blocked).toEqual({ call: false, reason: 'probe-in-flight' });
    expect(fresh).toMatchObject({ call: true, mode: 'probe' });
    // AND the dead probe's late success is refused (lease lost), the live probe decides
    expect(await b.recordSuccess(dead, T0 + 36_000)).toBe('lease-lost');
    expect((await b.read())?.state).toBe('open');
    expect(await second.recordFailure(fresh, T0 + 36_000)).toBe('reopened');
    expect(await b.read()).toMatchObject({ state: 'open', openUntil: T0 + 36_000 + 30_000 });
  });

  it('a late success from a request that started while closed does not close an open breaker', async () => {
    // GIVEN a request that read a closed breaker with failures
    const slow = instance();
    const fast = instance();
    await fast.recordFailure(await fast.decide(T0), T0);
    const slowDecision = await slow.decide(T0 + 1);
    expect(slowDecision).toMatchObject({ call: true, mode: 'closed', snapshot: { failures: [T0] } });
    // AND meanwhile other requests open the breaker
    for (let i = 0; i < 3; i++) await fast.recordFailure(await fast.decide(T0 + 2), T0 + 2);
    expect((await fast.read())?.state).toBe('open');
    // WHEN the slow request finally succeeds
    const outcome = await slow.recordSuccess(slowDecision, T0 + 3);
    // THEN the breaker stays open
    expect(outcome).toBe('already-open');
    expect((await fast.read())?.state).toBe('open');
  });

  it('keeps at most N recent failure timestamps and drops those outside the window', async () => {
    // GIVEN a stored run of failures, two of them older than the window
    const b = instance();
    const admin = serialiseForMoto(new DynamoDBClient(motoClientConfig(moto.endpoint)));
    await admin.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          pk: { S: settings.key },
          state: { S: 'closed' },
          failures: { L: [{ N: String(T0 - 70_000) }, { N: String(T0 - 61_000) }, { N: String(T0 - 1_000) }] },
          version: { N: '7' },
        },
      }),
    );
    admin.destroy();
    // WHEN a failure is recorded
    const outcome = await b.recordFailure(await b.decide(T0), T0);
    // THEN only the one inside the window and the new one remain; version bumped
    expect(outcome).toBe('counted');
    expect(await b.read()).toMatchObject({ state: 'closed', failures: [T0 - 1_000, T0], version: 8 });
  });

  it('fails open when DynamoDB is unreachable, and reports outcome writes as errors without throwing', async () => {
    // GIVEN a breaker whose DynamoDB endpoint refuses connections
    const dead = createDynamoDBClient({ endpoint: 'http://127.0.0.1:1', region: MOTO_REGION, credentials: MOTO_CREDENTIALS });
    clients.push(dead);
    const b = createBreaker(dead, settings);
    // WHEN it decides and records outcomes
    const d = await b.decide(T0);
    // THEN it lets the primary be called, flags it, and never throws
    expect(d).toEqual({ call: true, mode: 'closed', failedOpen: true });
    await expect(b.recordFailure(d, T0)).resolves.toBe('error');
    await expect(b.recordSuccess(d, T0)).resolves.toBe('unchanged');
  });
});
