/**
 * lambdas/shared/runtime.ts: the Powertools logger and metrics keep Plinth's log fields and EMF
 * dimension sets, env parsing names the variable, one error describer, bounded concurrency.
 */

import { z } from 'zod';
import { renderEmf } from '../../support/pre-powertools/emf';
import { structuredLog } from '../../support/pre-powertools/structured-log';
import {
  createLogger,
  createMetrics,
  describeError,
  forEachLimit,
  mapLimit,
  parseEnv,
  publishMetrics,
} from '../../../lambdas/shared/runtime';
import { captureOutput } from '../../support/lambda-output';

const T0 = Date.UTC(2026, 11, 4, 12, 0, 0);

beforeEach(() => {
  jest.useFakeTimers({ now: T0 });
});
afterEach(() => {
  jest.useRealTimers();
});

describe('createMetrics / publishMetrics', () => {
  it('emits no service dimension: the document equals the hand-written EMF of before', () => {
    const doc = {
      namespace: 'Plinth/Ingest',
      dimensions: { Dataset: 'orders' },
      metrics: { RecordsIn: 3, RecordsCurated: 2, ProcessingLatencyMs: 17, ObjectsGone: 0 },
      units: { ProcessingLatencyMs: 'Milliseconds' },
      properties: { objectKey: 'raw/orders/a.csv', bucket: 'b', rows: 3 },
      timestamp: T0,
    };
    const before = JSON.parse(renderEmf(doc));
    const metrics = createMetrics('Plinth/Ingest');
    const lines = captureOutput(() =>
      publishMetrics(metrics, {
        dimensions: doc.dimensions,
        values: doc.metrics,
        units: { ProcessingLatencyMs: 'Milliseconds' },
        properties: doc.properties,
        timestamp: T0,
      }),
    );
    expect(lines).toHaveLength(1);
    const after = JSON.parse(lines[0]!);
    expect(after).toEqual(before);
    expect(after._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Dataset']]);
    expect(after).not.toHaveProperty('service');
  });

  it('keeps a multi-dimension set in one set, in order, and defaults the timestamp to now', () => {
    const metrics = createMetrics('Plinth/Drift');
    const lines = captureOutput(() =>
      publishMetrics(metrics, { dimensions: { Endpoint: 'fraud', Feature: 'amount' }, values: { Psi: 0.31 } }),
    );
    const after = JSON.parse(lines[0]!);
    expect(after._aws).toEqual({
      Timestamp: T0,
      CloudWatchMetrics: [
        { Namespace: 'Plinth/Drift', Dimensions: [['Endpoint', 'Feature']], Metrics: [{ Name: 'Psi', Unit: 'Count' }] },
      ],
    });
    expect(after).toMatchObject({ Endpoint: 'fraud', Feature: 'amount', Psi: 0.31 });
  });

  it('does not carry dimensions or metadata from one document into the next', () => {
    const metrics = createMetrics('Plinth/Drift');
    const lines = captureOutput(() => {
      publishMetrics(metrics, { dimensions: { Endpoint: 'a' }, values: { X: 1 }, properties: { note: 'first' } });
      publishMetrics(metrics, { dimensions: { Endpoint: 'b' }, values: { Y: 2 } });
    });
    const second = JSON.parse(lines[1]!);
    expect(second).toEqual({
      _aws: { Timestamp: T0, CloudWatchMetrics: [{ Namespace: 'Plinth/Drift', Dimensions: [['Endpoint']], Metrics: [{ Name: 'Y', Unit: 'Count' }] }] },
      Endpoint: 'b',
      Y: 2,
    });
  });

  it('ignores POWERTOOLS_SERVICE_NAME: the service dimension stays out even when the env names one', () => {
    process.env.POWERTOOLS_SERVICE_NAME = 'plinth-ingest';
    try {
      const metrics = createMetrics('Plinth/Ingest');
      const lines = captureOutput(() => publishMetrics(metrics, { dimensions: { Dataset: 'd' }, values: { RecordsIn: 1 } }));
      expect(JSON.parse(lines[0]!)._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Dataset']]);
    } finally {
      delete process.env.POWERTOOLS_SERVICE_NAME;
    }
  });
});

describe('createLogger', () => {
  it('writes the same fields as the hand-written structured log of before', () => {
    const oldLines: string[] = [];
    const old = structuredLog('plinth-drift-stats');
    old.setOutput((l) => oldLines.push(l));
    old.logger.info('window evaluated', { endpointName: 'fraud', rows: 12, drifted: ['a'] });
    old.logger.error('baseline unreadable', { errorName: 'NoSuchKey' });

    const logger = createLogger('plinth-drift-stats');
    const lines = captureOutput(() => {
      logger.info('window evaluated', { endpointName: 'fraud', rows: 12, drifted: ['a'] });
      logger.error('baseline unreadable', { errorName: 'NoSuchKey' });
    });
    expect(lines.map((l) => JSON.parse(l))).toEqual(oldLines.map((l) => JSON.parse(l)));
  });

  it('carries appended correlation ids and the Lambda request id on every line', () => {
    const logger = createLogger('plinth-ingest');
    logger.addContext({
      awsRequestId: 'req-1',
      functionName: 'f',
      functionVersion: '$LATEST',
      invokedFunctionArn: 'arn',
      memoryLimitInMB: '512',
      logGroupName: 'g',
      logStreamName: 's',
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => 1000,
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    });
    logger.appendKeys({ objectKey: 'raw/x.csv' });
    const lines = captureOutput(() => logger.warn('object gone'));
    expect(JSON.parse(lines[0]!)).toEqual({
      level: 'warn',
      msg: 'object gone',
      service: 'plinth-ingest',
      timestamp: new Date(T0).toISOString(),
      function_request_id: 'req-1',
      objectKey: 'raw/x.csv',
    });
  });

  it('takes its level from LOG_LEVEL (any case), defaulting to INFO on a bad value', () => {
    process.env.LOG_LEVEL = 'warn';
    try {
      const logger = createLogger('s');
      expect(captureOutput(() => logger.info('hidden'))).toEqual([]);
      expect(captureOutput(() => logger.warn('shown'))).toHaveLength(1);
      process.env.LOG_LEVEL = 'loud';
      expect(captureOutput(() => createLogger('s').info('shown at INFO'))).toHaveLength(1);
      expect(captureOutput(() => createLogger('s').debug('hidden at INFO'))).toEqual([]);
    } finally {
      delete process.env.LOG_LEVEL;
    }
  });
});

describe('parseEnv', () => {
  const schema = z.object({ TABLE_NAME: z.string().min(1), MAX_ROWS: z.coerce.number().int().positive() });

  it('returns the parsed values', () => {
    expect(parseEnv(schema, { TABLE_NAME: 't', MAX_ROWS: '5' })).toEqual({ TABLE_NAME: 't', MAX_ROWS: 5 });
  });

  it('names every missing or wrong variable in one error', () => {
    expect(() => parseEnv(schema, { MAX_ROWS: 'many' })).toThrow(/invalid environment: .*TABLE_NAME.*MAX_ROWS|MAX_ROWS.*TABLE_NAME/);
    expect(() => parseEnv(schema, { TABLE_NAME: 't', MAX_ROWS: '-1' })).toThrow(/^invalid environment: MAX_ROWS: /);
  });
});

describe('describeError', () => {
  it('describes an SDK throttling error as transient with its status', () => {
    const err = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    expect(describeError(err)).toEqual({ errorName: 'ThrottlingException', errorMessage: 'Rate exceeded', transient: true, httpStatus: 400, httpStatusCode: 400 });
  });

  it('describes a 403 as permanent, a network code as transient, and a thrown string', () => {
    const denied = Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(describeError(denied)).toEqual({ errorName: 'AccessDenied', errorMessage: 'denied', transient: false, httpStatus: 403, httpStatusCode: 403 });
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(describeError(reset)).toEqual({ errorName: 'Error', errorMessage: 'socket hang up', transient: true, errorCode: 'ECONNRESET' });
    expect(describeError('boom')).toEqual({ errorName: 'string', errorMessage: 'boom', transient: false });
  });

  it('bounds the message and describes the cause', () => {
    const err = new Error('x'.repeat(2000), { cause: Object.assign(new Error('slow'), { name: 'SlowDown' }) });
    const d = describeError(err);
    expect(d.errorMessage).toHaveLength(500);
    expect(d.cause).toEqual({ errorName: 'SlowDown', errorMessage: 'slow', transient: true });
  });
});

describe('forEachLimit / mapLimit', () => {
  beforeEach(() => jest.useRealTimers());

  it('never runs more than `limit` at once, and visits every item once', async () => {
    let inFlight = 0;
    let peak = 0;
    const seen: number[] = [];
    await forEachLimit([...Array(20).keys()], 3, async (item, index) => {
      expect(item).toBe(index);
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, (item % 4) + 1));
      seen.push(item);
      inFlight--;
    });
    expect(peak).toBe(3);
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });

  it('keeps results in item order', async () => {
    const out = await mapLimit([5, 1, 3], 2, async (n) => {
      await new Promise((r) => setTimeout(r, n));
      return n * 10;
    });
    expect(out).toEqual([50, 10, 30]);
  });

  it('rejects with the first error after the started calls settle, and starts no more', async () => {
    const started: number[] = [];
    await expect(
      forEachLimit([0, 1, 2, 3, 4, 5], 2, async (n) => {
        started.push(n);
        if (n === 1) throw new Error('one failed');
        await new Promise((r) => setTimeout(r, 5));
      }),
    ).rejects.toThrow('one failed');
    expect(started).toEqual([0, 1]);
  });

  it('rejects a limit below one', async () => {
    await expect(forEachLimit([1], 0, async () => undefined)).rejects.toThrow(/limit must be an integer >= 1/);
  });

  it('does nothing on no items', async () => {
    await expect(forEachLimit([], 4, async () => {
      throw new Error('never');
    })).resolves.toBeUndefined();
  });
});
