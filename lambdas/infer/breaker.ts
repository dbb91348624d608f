/**
 * Circuit breaker for the PRIMARY endpoint, shared by every Lambda instance
 * through one DynamoDB item (table BREAKER_TABLE, partition key `pk`).
 *
 * Item (pk = "breaker#<ENDPOINT_NAME>[#<TARGET_VARIANT>]"):
 *   state            'closed' | 'open'
 *   failures         timestamps (ms) of the current run of consecutive primary
 *                    failures, oldest first, at most BREAKER_FAILURE_THRESHOLD
 *   openUntil        (open) end of the open period, ms
 *   openedAt         (open) when it (re)opened, ms
 *   probeId          (half-open) id of the one request allowed to probe
 *   probeLeaseUntil  (half-open) the probe's lease end, ms
 *   version          bumped on every write (optimistic concurrency)
 *   updatedAt        ms
 *
 * States and transitions ("now" is the Lambda's clock):
 *   CLOSED     every request calls the primary.
 *              - primary failure: append now to `failures`, dropping entries
 *                older than now - BREAKER_WINDOW_SECONDS; when N =
 *                BREAKER_FAILURE_THRESHOLD entries remain → OPEN with
 *                openUntil = now + BREAKER_OPEN_SECONDS. Read-modify-write with
 *                a condition on `version` (or attribute_not_exists(pk) for the
 *                first write), retried on conflict (re-read, up to 5 times),
 *                so concurrent failures on different instances all count.
 *              - primary success: resets `failures` to [] (conditional on
 *                state = closed, so a late success from a request that started
 *                before the breaker opened cannot close it). Written only when
 *                the item read at the start of the request had failures, so a
 *                healthy endpoint costs one GetItem and no write per request.
 *   OPEN       now < openUntil: the primary is NOT called; the request goes
 *              straight to the fallback (metric BreakerOpen = 1).
 *   HALF-OPEN  open and now >= openUntil: a request tries to claim the probe
 *              lease with a conditional UpdateItem (state = open AND
 *              openUntil <= now AND no unexpired lease). Exactly one request
 *              wins across all instances and calls the primary; every other
 *              request keeps using the fallback (BreakerOpen = 1) while the
 *              lease is held.
 *              - probe success → CLOSED, failures [] (condition probeId = mine)
 *              - probe failure → OPEN again for BREAKER_OPEN_SECONDS
 *                (condition probeId = mine)
 *              - the lease lasts INVOKE_TIMEOUT_MS + 5 s: if the probing
 *                Lambda dies, another request can probe once it expires.
 *
 * Failures counted: only primary failures (timeout, 5xx, throttling, network,
 * malformed output, other invoke errors). Requests that skip the primary
 * because the breaker is open count nothing.
 *
 * DynamoDB trouble never fails a request: if the state cannot be read or the
 * probe cannot be claimed, the gateway FAILS OPEN toward trying the primary
 * (logged, metric BreakerErrors); if an outcome cannot be written, it is
 * logged and dropped (metric BreakerErrors). Nothing here throws.
 *
 * Known approximations: instance clocks may differ by a little (Lambda hosts
 * are NTP-synchronised; skew only shifts the window/open edges); a success
 * that races a concurrent failure may leave that failure counted (the window
 * then expires it).
 */

import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import type { AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { describeError, logger } from './log';

export interface BreakerSettings {
  table: string;
  /** Partition key value of this breaker's item. */
  key: string;
  failureThreshold: number;
  windowMs: number;
  openMs: number;
  probeLeaseMs: number;
}

export interface BreakerState {
  state: 'closed' | 'open';
  failures: number[];
  openUntil?: number;
  openedAt?: number;
  probeId?: string;
  probeLeaseUntil?: number;
  version: number;
}

export type BreakerDecision =
  /** Call the primary as usual; `snapshot` is the item read (undefined: none yet, or DynamoDB failed). */
  | { call: true; mode: 'closed'; snapshot?: BreakerState; failedOpen: boolean }
  /** Half-open: this request holds the probe lease. */
  | { call: true; mode: 'probe'; probeId: string }
  /** Open (or another request is probing): go to the fallback. */
  | { call: false; reason: 'open' | 'probe-in-flight' };

export type OutcomeResult =
  | 'unchanged'
  | 'reset'
  | 'counted'
  | 'opened'
  | 'already-open'
  | 'closed'
  | 'reopened'
  | 'lease-lost'
  | 'error';

export interface Breaker {
  decide(now: number): Promise<BreakerDecision>;
  recordSuccess(decision: BreakerDecision, now: number): Promise<OutcomeResult>;
  recordFailure(decision: BreakerDecision, now: number): Promise<OutcomeResult>;
  /** Current item (tests, operations). Throws on DynamoDB errors. */
  read(): Promise<BreakerState | undefined>;
}

export const MAX_WRITE_ATTEMPTS = 5;

/** Partition key for an endpoint (and variant). */
export function breakerKey(endpointName: string, targetVariant?: string): string {
  return targetVariant ? `breaker#${endpointName}#${targetVariant}` : `breaker#${endpointName}`;
}

const NAMES = {
  '#s': 'state',
  '#f': 'failures',
  '#ou': 'openUntil',
  '#oa': 'openedAt',
  '#pid': 'probeId',
  '#pl': 'probeLeaseUntil',
  '#v': 'version',
  '#ua': 'updatedAt',
};

const n = (v: number): AttributeValue => ({ N: String(v) });
const s = (v: string): AttributeValue => ({ S: v });

function numAttr(item: Record<string, AttributeValue>, name: string): number | undefined {
  const raw = item[name]?.N;
  if (raw === undefined) return undefined;
  const v = Number(raw);
  return Number.isFinite(v) ? v : undefined;
}

export function parseItem(item: Record<string, AttributeValue> | undefined): BreakerState | undefined {
  if (!item) return undefined;
  const failures = (item.failures?.L ?? [])
    .map((a) => Number(a.N))
    .filter((v) => Number.isFinite(v));
  const openUntil = numAttr(item, 'openUntil');
  const openedAt = numAttr(item, 'openedAt');
  const probeLeaseUntil = numAttr(item, 'probeLeaseUntil');
  const probeId = item.probeId?.S;
  return {
    state: item.state?.S === 'open' ? 'open' : 'closed',
    failures,
    ...(openUntil !== undefined ? { openUntil } : {}),
    ...(openedAt !== undefined ? { openedAt } : {}),
    ...(probeId !== undefined ? { probeId } : {}),
    ...(probeLeaseUntil !== undefined ? { probeLeaseUntil } : {}),
    version: numAttr(item, 'version') ?? 0,
  };
}

function isConditionFailure(err: unknown): boolean {
  return err instanceof ConditionalCheckFailedException || (err as { name?: string })?.name === 'ConditionalCheckFailedException';
}

export function createBreaker(ddb: DynamoDBClient, settings: BreakerSettings): Breaker {
  const Key = { pk: s(settings.key) };
  const TableName = settings.table;
  const ctx = { breaker: settings.key };

  async function read(): Promise<BreakerState | undefined> {
    const out = await ddb.send(new GetItemCommand({ TableName, Key, ConsistentRead: true }));
    return parseItem(out.Item);
  }

  async function decide(now: number): Promise<BreakerDecision> {
    let current: BreakerState | undefined;
    try {
      current = await read();
    } catch (err) {
      logger.warn('breaker state unreadable; failing open to the primary', { ...ctx, ...describeError(err) });
      return { call: true, mode: 'closed', failedOpen: true };
    }
    if (!current || current.state === 'closed') {
      return { call: true, mode: 'closed', failedOpen: false, ...(current ? { snapshot: current } : {}) };
    }
    if (current.openUntil !== undefined && now < current.openUntil) return { call: false, reason: 'open' };
    if (current.probeLeaseUntil !== undefined && now < current.probeLeaseUntil) return { call: false, reason: 'probe-in-flight' };
    const probeId = randomUUID();
    try {
      await ddb.send(
        new UpdateItemCommand({
          TableName,
          Key,
          UpdateExpression: 'SET #pid = :id, #pl = :lease, #v = if_not_exists(#v, :zero) + :one, #ua = :now',
          ConditionExpression:
            '#s = :open AND (attribute_not_exists(#ou) OR #ou <= :now) AND (attribute_not_exists(#pl) OR #pl <= :now)',
          ExpressionAttributeNames: { '#s': NAMES['#s'], '#ou': NAMES['#ou'], '#pid': NAMES['#pid'], '#pl': NAMES['#pl'], '#v': NAMES['#v'], '#ua': NAMES['#ua'] },
          ExpressionAttributeValues: {
            ':id': s(probeId),
            ':lease': n(now + settings.probeLeaseMs),
            ':zero': n(0),
            ':one': n(1),
            ':now': n(now),
            ':open': s('open'),
          },
        }),
      );
      logger.info('breaker half-open: probing the primary', { ...ctx, probeId });
      return { call: true, mode: 'probe', probeId };
    } catch (err) {
      if (isConditionFailure(err)) return { call: false, reason: 'probe-in-flight' };
      logger.warn('breaker probe claim failed; failing open to the primary', { ...ctx, ...describeError(err) });
      return { call: true, mode: 'closed', failedOpen: true };
    }
  }

  /** Probe outcome: close or re-open, only if this request still holds the lease. */
  async function settleProbe(probeId: string, success: boolean, now: number): Promise<OutcomeResult> {
    const values: Record<string, AttributeValue> = {
      ':id': s(probeId),
      ':empty': { L: [] },
      ':zero': n(0),
      ':one': n(1),
      ':now': n(now),
    };
    let UpdateExpression: string;
    if (success) {
      UpdateExpression = 'SET #s = :closed, #f = :empty, #v = if_not_exists(#v, :zero) + :one, #ua = :now REMOVE #pid, #pl, #ou, #oa';
      values[':closed'] = s('closed');
    } else {
      UpdateExpression = 'SET #s = :open, #f = :empty, #ou = :until, #oa = :now, #v = if_not_exists(#v, :zero) + :one, #ua = :now REMOVE #pid, #pl';
      values[':open'] = s('open');
      values[':until'] = n(now + settings.openMs);
    }
    try {
      await ddb.send(
        new UpdateItemCommand({
          TableName,
          Key,
          UpdateExpression,
          ConditionExpression: '#pid = :id',
          ExpressionAttributeNames: NAMES,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) {
        logger.warn('breaker probe lease lost before its outcome was written', { ...ctx, probeId, success });
        return 'lease-lost';
      }
      logger.error('breaker probe outcome not written', { ...ctx, probeId, success, ...describeError(err) });
      return 'error';
    }
    if (success) logger.info('breaker closed: probe succeeded', { ...ctx, probeId });
    else logger.warn('breaker re-opened: probe failed', { ...ctx, probeId, openUntil: now + settings.openMs });
    return success ? 'closed' : 'reopened';
  }

  async function recordSuccess(decision: BreakerDecision, now: number): Promise<OutcomeResult> {
    if (!decision.call) return 'unchanged';
    if (decision.mode === 'probe') return settleProbe(decision.probeId, true, now);
    if (!decision.snapshot || decision.snapshot.failures.length === 0) return 'unchanged';
    try {
      await ddb.send(
        new UpdateItemCommand({
          TableName,
          Key,
          UpdateExpression: 'SET #f = :empty, #v = if_not_exists(#v, :zero) + :one, #ua = :now',
          ConditionExpression: '#s = :closed',
          ExpressionAttributeNames: { '#s': NAMES['#s'], '#f': NAMES['#f'], '#v': NAMES['#v'], '#ua': NAMES['#ua'] },
          ExpressionAttributeValues: { ':empty': { L: [] }, ':zero': n(0), ':one': n(1), ':now': n(now), ':closed': s('closed') },
        }),
      );
      return 'reset';
    } catch (err) {
      if (isConditionFailure(err)) return 'already-open';
      logger.error('breaker success not written', { ...ctx, ...describeError(err) });
      return 'error';
    }
  }

  async function recordFailure(decision: BreakerDecision, now: number): Promise<OutcomeResult> {
    if (!decision.call) return 'unchanged';
    if (decision.mode === 'probe') return settleProbe(decision.probeId, false, now);
    let current: BreakerState | undefined = decision.snapshot;
    let haveFreshRead = decision.snapshot !== undefined;
    for (let attempt = 0; attempt < MAX_WRITE_ATTEMPTS; attempt++) {
      try {
        if (!haveFreshRead) current = await read();
        haveFreshRead = false;
        if (current?.state === 'open') return 'already-open';
        const failures = (current?.failures ?? []).filter((t) => t > now - settings.windowMs);
        failures.push(now);
        const kept = failures.slice(-settings.failureThreshold);
        const opening = kept.length >= settings.failureThreshold;
        const version = (current?.version ?? 0) + 1;
        const item: Record<string, AttributeValue> = {
          pk: Key.pk,
          state: s(opening ? 'open' : 'closed'),
          failures: { L: opening ? [] : kept.map(n) },
          version: n(version),
          updatedAt: n(now),
          ...(opening ? { openUntil: n(now + settings.openMs), openedAt: n(now) } : {}),
        };
        await ddb.send(
          new PutItemCommand({
            TableName,
            Item: item,
            ...(current
              ? {
                  ConditionExpression: '#v = :v',
                  ExpressionAttributeNames: { '#v': 'version' },
                  ExpressionAttributeValues: { ':v': n(current.version) },
                }
              : { ConditionExpression: 'attribute_not_exists(pk)' }),
          }),
        );
        if (opening) {
          logger.warn('breaker opened', { ...ctx, consecutiveFailures: kept.length, openUntil: now + settings.openMs });
          return 'opened';
        }
        return 'counted';
      } catch (err) {
        if (isConditionFailure(err)) continue; // someone else wrote first: re-read and retry
        logger.error('breaker failure not written', { ...ctx, ...describeError(err) });
        return 'error';
      }
    }
    logger.error('breaker failure not written: too much contention', { ...ctx, attempts: MAX_WRITE_ATTEMPTS });
    return 'error';
  }

  return { decide, recordSuccess, recordFailure, read };
}
