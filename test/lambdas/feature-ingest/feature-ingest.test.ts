import { gzipSync } from 'node:zlib';
import { Readable } from 'node:stream';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PutRecordCommand, SageMakerFeatureStoreRuntimeClient, type PutRecordCommandInput } from '@aws-sdk/client-sagemaker-featurestore-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { handler, FeatureIngestInputError } from '../../../lambdas/feature-ingest/index';
import { FeatureIngestConfigError } from '../../../lambdas/feature-ingest/config';
import { startCapture } from '../../support/lambda-output';
import { expectGoldenCovered, expectMatchesGolden } from '../../support/runtime-golden';
import { backoffMs } from '../../../lambdas/feature-ingest/writer';
import { REJECT_REASONS, SKIP_COLUMN } from '../../../lambdas/feature-ingest/records';
import { SKIP_COLUMN as SQL_SKIP_COLUMN, SKIP_REASONS } from '../../../lib/features/sql';

const GROUP = {
  name: 'account-spend',
  recordIdentifier: 'account_id',
  eventTime: 'event_time',
  features: [
    { name: 'account_id', type: 'String' },
    { name: 'event_time', type: 'String' },
    { name: 'txn_count_24h', type: 'Integral', min: 0, max: 10000 },
    { name: 'amount_sum_24h', type: 'Fractional', min: 0, max: 10000000 },
  ],
};
const ENV = {
  FEATURE_GROUP: JSON.stringify(GROUP),
  DEAD_LETTER_BUCKET: 'staging',
  DEAD_LETTER_PREFIX: 'dead-letters/account-spend/',
  MAX_CONCURRENCY: '4',
  MAX_ATTEMPTS: '4',
  BASE_DELAY_MS: '10',
  MAX_DELAY_MS: '40',
};
const EVENT = { bucket: 'staging', key: 'staging/account-spend/run-1/part-0.gz', runId: 'run-1' };

const s3 = mockClient(S3Client);
const fs = mockClient(SageMakerFeatureStoreRuntimeClient);
let sleeps: number[];
let savedEnv: NodeJS.ProcessEnv;
let emf: string[];
let capture: ReturnType<typeof startCapture>;

const good = (id: string, count = 1, t = '2026-01-01T00:00:00Z') => JSON.stringify({ account_id: id, event_time: t, txn_count_24h: count, amount_sum_24h: 12.5 });

function stage(lines: string[], gzip = true): void {
  const text = lines.join('\n') + '\n';
  s3.on(GetObjectCommand).callsFake(() => ({ Body: Readable.from([gzip ? gzipSync(text) : Buffer.from(text)]) }));
}

function deadLetters(): Array<Record<string, unknown>> {
  const put = s3.commandCalls(PutObjectCommand)[0];
  if (!put) return [];
  return String(put.args[0].input.Body).trim().split('\n').map((l) => JSON.parse(l));
}

beforeEach(() => {
  savedEnv = process.env;
  process.env = { ...savedEnv, ...ENV };
  s3.reset();
  fs.reset();
  s3.on(PutObjectCommand).resolves({});
  fs.on(PutRecordCommand).resolves({});
  // Backoff sleeps: jest fake timers that run on their own (no real waiting is needed for the
  // assertions, only the delays asked for), and a fixed jitter.
  jest.useFakeTimers({ advanceTimers: true });
  sleeps = [];
  const fakeSetTimeout = global.setTimeout;
  jest.spyOn(global, 'setTimeout').mockImplementation(((fn: () => void, ms?: number) => {
    sleeps.push(ms ?? 0);
    return fakeSetTimeout(fn, ms);
  }) as typeof setTimeout);
  jest.spyOn(Math, 'random').mockReturnValue(0.5);
  emf = [];
  capture = startCapture((line) => emf.push(line));
});
afterEach(() => {
  capture.stop();
  expectMatchesGolden('plinth-feature-ingest', capture.lines);
  jest.restoreAllMocks();
  jest.useRealTimers();
  process.env = savedEnv;
});
afterAll(() => expectGoldenCovered('plinth-feature-ingest'));

describe('feature-ingest: valid rows', () => {
  test('writes every valid row with PutRecord, values as Feature Store strings, and reports the counts', async () => {
    stage([good('a1', 3), good('a2', 0)]);
    const result = await handler(EVENT);
    expect(result).toEqual({ key: EVENT.key, rowsRead: 2, recordsWritten: 2, recordsRejected: 0, duplicatesDropped: 0, rejectedByReason: {} });
    const inputs = fs.commandCalls(PutRecordCommand).map((c) => c.args[0].input);
    expect(inputs[0]).toEqual({
      FeatureGroupName: 'account-spend',
      Record: [
        { FeatureName: 'account_id', ValueAsString: 'a1' },
        { FeatureName: 'event_time', ValueAsString: '2026-01-01T00:00:00Z' },
        { FeatureName: 'txn_count_24h', ValueAsString: '3' },
        { FeatureName: 'amount_sum_24h', ValueAsString: '12.5' },
      ],
    });
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    const metrics = JSON.parse(emf.find((l) => l.includes('Plinth/Features'))!);
    expect(metrics).toMatchObject({ FeatureGroup: 'account-spend', RowsRead: 2, RecordsWritten: 2, RecordsRejected: 0 });
  });

  test('reads plain (not gzipped) JSON lines too, skipping blank lines, and omits null features', async () => {
    stage([JSON.stringify({ account_id: 'a1', event_time: '2026-01-01T00:00:00Z', txn_count_24h: null }), ''], false);
    const result = await handler({ ...EVENT, key: 'x/part-0.json' });
    expect(result.rowsRead).toBe(1);
    expect(fs.commandCalls(PutRecordCommand)[0].args[0].input.Record).toEqual([
      { FeatureName: 'account_id', ValueAsString: 'a1' },
      { FeatureName: 'event_time', ValueAsString: '2026-01-01T00:00:00Z' },
    ]);
  });
});

describe("feature-ingest: the pipeline SQL's skip marker (lib/features/sql.ts SKIP_COLUMN)", () => {
  const marked = (id: string, skip: unknown, amount = 12.5) => JSON.stringify({ account_id: id, event_time: '2026-01-01T00:00:00Z', txn_count_24h: 1, amount_sum_24h: amount, __plinth_skip: skip });

  test('a null marker is removed and the row written; a duplicate is counted, neither written nor dead-lettered', async () => {
    // GIVEN the SQL kept a1's row and marked the other row of the same record id and event time
    stage([marked('a1', null, 10), marked('a1', 'duplicate', 20), good('a2')]);
    // WHEN
    const result = await handler(EVENT);
    // THEN only the kept row reaches the store, and the count adds up
    expect(result).toEqual({ key: EVENT.key, rowsRead: 3, recordsWritten: 2, recordsRejected: 0, duplicatesDropped: 1, rejectedByReason: {} });
    const written = fs.commandCalls(PutRecordCommand).map((c) => c.args[0].input.Record!);
    expect(written.find((r) => r[0].ValueAsString === 'a1')).toContainEqual({ FeatureName: 'amount_sum_24h', ValueAsString: '10' });
    expect(written.flat().map((v) => v.FeatureName)).not.toContain('__plinth_skip');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(JSON.parse(emf.find((l) => l.includes('Plinth/Features'))!)).toMatchObject({ RowsRead: 3, RecordsWritten: 2, RecordsRejected: 0, DuplicatesDropped: 1 });
  });

  test('a too-late row is dead-lettered with its reason (RecordsRejected, alarmed), not written', async () => {
    stage([marked('late', 'too-late'), good('a2')]);
    const result = await handler(EVENT);
    expect(result).toMatchObject({ rowsRead: 2, recordsWritten: 1, recordsRejected: 1, duplicatesDropped: 0, rejectedByReason: { 'too-late': 1 } });
    expect(deadLetters()).toEqual([expect.objectContaining({ reason: 'too-late', field: 'event_time', line: 1, detail: expect.stringMatching(/backfill/) })]);
    expect(fs.commandCalls(PutRecordCommand).map((c) => c.args[0].input.Record![0].ValueAsString)).toEqual(['a2']);
  });

  test('the marker and its reasons are the ones the SQL writes', () => {
    expect(SKIP_COLUMN).toBe(SQL_SKIP_COLUMN);
    expect(SKIP_REASONS).toEqual(['too-late', 'duplicate']);
    expect(REJECT_REASONS).toContain('too-late');
  });

  test('a marker the SQL never writes is refused as malformed, not guessed at', async () => {
    stage([marked('a1', 'maybe'), marked('a2', 1)]);
    const result = await handler(EVENT);
    expect(result).toMatchObject({ rowsRead: 2, recordsWritten: 0, recordsRejected: 2, rejectedByReason: { malformed: 2 } });
    expect(deadLetters().map((d) => d.field)).toEqual(['__plinth_skip', '__plinth_skip']);
  });
});

describe('feature-ingest: bad rows are dead-lettered with their reason', () => {
  const cases: Array<[string, string, string, string]> = [
    ['not JSON', '{"account_id": "a1",', 'malformed', ''],
    ['a JSON array', '["a1"]', 'malformed', ''],
    ['no record identifier', JSON.stringify({ event_time: '2026-01-01T00:00:00Z' }), 'missing-key', 'account_id'],
    ['an empty record identifier', JSON.stringify({ account_id: '', event_time: '2026-01-01T00:00:00Z' }), 'missing-key', 'account_id'],
    ['no event time', JSON.stringify({ account_id: 'a1' }), 'missing-event-time', 'event_time'],
    ['an event time that is not ISO 8601', JSON.stringify({ account_id: 'a1', event_time: '01/01/2026' }), 'wrong-type', 'event_time'],
    ['an event time before 1970', JSON.stringify({ account_id: 'a1', event_time: '1969-12-31T23:59:59Z' }), 'out-of-range', 'event_time'],
    ['a fractional Integral', JSON.stringify({ account_id: 'a1', event_time: '2026-01-01T00:00:00Z', txn_count_24h: 1.5 }), 'wrong-type', 'txn_count_24h'],
    ['text in an Integral', JSON.stringify({ account_id: 'a1', event_time: '2026-01-01T00:00:00Z', txn_count_24h: 'many' }), 'wrong-type', 'txn_count_24h'],
    ['an Integral beyond 64 bits', JSON.stringify({ account_id: 'a1', event_time: '2026-01-01T00:00:00Z', txn_count_24h: '99999999999999999999' }), 'out-of-range', 'txn_count_24h'],
    ['NaN as a Fractional', JSON.stringify({ account_id: 'a1', event_time: '2026-01-01T00:00:00Z', amount_sum_24h: 'NaN' }), 'wrong-type', 'amount_sum_24h'],
    ['a value above its max', JSON.stringify({ account_id: 'a1', event_time: '2026-01-01T00:00:00Z', txn_count_24h: 10001 }), 'out-of-range', 'txn_count_24h'],
    ['a value below its min', JSON.stringify({ account_id: 'a1', event_time: '2026-01-01T00:00:00Z', amount_sum_24h: -0.01 }), 'out-of-range', 'amount_sum_24h'],
    ['a number where a String is declared', JSON.stringify({ account_id: 42, event_time: '2026-01-01T00:00:00Z' }), 'wrong-type', 'account_id'],
    ['a column the group does not declare', JSON.stringify({ account_id: 'a1', event_time: '2026-01-01T00:00:00Z', ssn: 'x' }), 'undeclared-feature', 'ssn'],
  ];
  test.each(cases)('%s', async (_name, line, reason, field) => {
    // GIVEN one good row around the bad one
    stage([good('ok-1'), line, good('ok-2')]);
    // WHEN
    const result = await handler(EVENT);
    // THEN the bad row is in the dead-letter object with its reason and line, the others are written
    expect(result).toMatchObject({ rowsRead: 3, recordsWritten: 2, recordsRejected: 1, rejectedByReason: { [reason]: 1 } });
    const [dl] = deadLetters();
    expect(dl).toMatchObject({ reason, line: 2, row: line, featureGroup: 'account-spend', source: `s3://staging/${EVENT.key}` });
    if (field) expect(dl.field).toBe(field);
    expect(result.deadLetterUri).toMatch(/^s3:\/\/staging\/dead-letters\/account-spend\/run-1\/part-0\.gz-[0-9a-f]{16}\.jsonl$/);
  });

  test.each([
    [{ key: 'k', runId: 'r' }, /bucket/],
    [{ bucket: 'staging', runId: 'r' }, /key/],
    [{ bucket: 'staging', key: 'k', runId: 'has space' }, /runId/],
    [{ bucket: 'staging', key: 'k', runId: 'r', extra: 1 }, /extra|Unrecognized/],
    [null, /event/],
  ])('an invalid event %j fails before reading anything', async (event, message) => {
    await expect(handler(event)).rejects.toThrow(FeatureIngestInputError);
    await expect(handler(event)).rejects.toThrow(message);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  test('a bad configuration names the variable', async () => {
    process.env.FEATURE_GROUP = JSON.stringify({ ...GROUP, recordIdentifier: 'nope' });
    await expect(handler(EVENT)).rejects.toThrow(FeatureIngestConfigError);
    process.env.FEATURE_GROUP = JSON.stringify(GROUP);
    process.env.MAX_CONCURRENCY = '0';
    await expect(handler(EVENT)).rejects.toThrow(/MAX_CONCURRENCY/);
  });
});

describe('feature-ingest: conservation under throttling and partial failures', () => {
  const throttle = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });

  test('throttling is retried with jittered, capped backoff until every record is written', async () => {
    stage(Array.from({ length: 10 }, (_v, i) => good(`a${i}`)));
    const attempts = new Map<string, number>();
    fs.on(PutRecordCommand).callsFake((input: PutRecordCommandInput) => {
      const id = input.Record![0].ValueAsString!;
      const n = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, n);
      if (n <= 2) throw throttle();
      return {};
    });
    const result = await handler(EVENT);
    expect(result).toMatchObject({ rowsRead: 10, recordsWritten: 10, recordsRejected: 0 });
    // Two retries per record: ceilings 10 then 20 ms, times random() = 0.5.
    expect(sleeps.sort((a, b) => a - b)).toEqual([...Array(10).fill(5), ...Array(10).fill(10)]);
    expect(JSON.parse(emf.find((l) => l.includes('Plinth/Features'))!)).toMatchObject({ PutThrottles: 20, PutRetries: 20 });
  });

  test('throttling that outlasts every attempt, and records Feature Store refuses, are dead-lettered, not dropped', async () => {
    stage([good('always-throttled'), good('invalid-at-store'), good('fine')]);
    fs.on(PutRecordCommand).callsFake((input: PutRecordCommandInput) => {
      const id = input.Record![0].ValueAsString!;
      if (id === 'always-throttled') throw throttle();
      if (id === 'invalid-at-store') throw Object.assign(new Error('bad record'), { name: 'ValidationError', $metadata: { httpStatusCode: 400 } });
      return {};
    });
    const result = await handler(EVENT);
    expect(result).toMatchObject({ rowsRead: 3, recordsWritten: 1, recordsRejected: 2, rejectedByReason: { 'put-failed-after-retries': 1, 'put-rejected': 1 } });
    expect(deadLetters().map((d) => [d.line, d.reason])).toEqual(expect.arrayContaining([[1, 'put-failed-after-retries'], [2, 'put-rejected']]));
    expect(fs.commandCalls(PutRecordCommand).filter((c) => c.args[0].input.Record![0].ValueAsString === 'always-throttled')).toHaveLength(4);
  });

  test('an error no record can pass (access denied) fails the object so the job fails and is re-run', async () => {
    stage([good('a1')]);
    fs.on(PutRecordCommand).rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }));
    await expect(handler(EVENT)).rejects.toThrow(/AccessDeniedException/);
  });

  test('a dead-letter write that fails fails the invocation (the rows are not lost silently)', async () => {
    stage([good('a1'), 'not json']);
    s3.on(PutObjectCommand).rejects(new Error('S3 down'));
    await expect(handler(EVENT)).rejects.toThrow('S3 down');
  });

  test('never more PutRecord calls in flight than MAX_CONCURRENCY', async () => {
    stage(Array.from({ length: 40 }, (_v, i) => good(`a${i}`)));
    let inFlight = 0;
    let peak = 0;
    fs.on(PutRecordCommand).callsFake(async () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 1));
      inFlight--;
      return {};
    });
    await handler(EVENT);
    expect(peak).toBe(4);
  });

  test('a re-run of the same object writes the same records and the same dead-letter key (idempotent)', async () => {
    const lines = [good('a1'), 'oops', good('a2')];
    stage(lines);
    const first = await handler(EVENT);
    const firstRecords = fs.commandCalls(PutRecordCommand).map((c) => c.args[0].input);
    fs.resetHistory();
    s3.resetHistory();
    stage(lines);
    const second = await handler(EVENT);
    expect(second).toEqual(first);
    expect(fs.commandCalls(PutRecordCommand).map((c) => c.args[0].input)).toEqual(firstRecords);
  });

  test('property: rows read = written + rejected + duplicates dropped; written = records accepted by the store, rejected = dead-letter lines, for any mix of rows and injected failures', async () => {
    const row = fc.oneof(
      fc.record({ kind: fc.constant('good' as const), failures: fc.integer({ min: 0, max: 5 }), invalidAtStore: fc.boolean() }),
      fc.record({ kind: fc.constantFrom('malformed' as const, 'nokey' as const, 'range' as const, 'duplicate' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 30 }), async (rows) => {
        s3.reset();
        fs.reset();
        s3.on(PutObjectCommand).resolves({});
        const text = rows.map((r, i) =>
          r.kind === 'good'
            ? good(`id${i}`)
            : r.kind === 'malformed'
              ? '{'
              : r.kind === 'nokey'
                ? JSON.stringify({ event_time: '2026-01-01T00:00:00Z' })
                : r.kind === 'duplicate'
                  ? JSON.stringify({ ...JSON.parse(good(`id${i}`)), __plinth_skip: 'duplicate' })
                  : good(`id${i}`, -1),
        );
        stage(text);
        emf = [];
        const seen = new Map<string, number>();
        const accepted = new Set<string>();
        fs.on(PutRecordCommand).callsFake((input: PutRecordCommandInput) => {
          const id = input.Record![0].ValueAsString!;
          const spec = rows[Number(id.slice(2))] as { failures: number; invalidAtStore: boolean };
          const n = (seen.get(id) ?? 0) + 1;
          seen.set(id, n);
          if (n <= spec.failures) throw throttle();
          if (spec.invalidAtStore) throw Object.assign(new Error('no'), { name: 'ValidationError' });
          accepted.add(id);
          return {};
        });
        const result = await handler(EVENT);
        const duplicates = rows.filter((r) => r.kind === 'duplicate').length;
        expect(result.rowsRead).toBe(rows.length);
        expect(result.duplicatesDropped).toBe(duplicates);
        expect(result.recordsWritten + result.recordsRejected + result.duplicatesDropped).toBe(rows.length);
        expect(result.recordsWritten).toBe(accepted.size);
        expect(deadLetters()).toHaveLength(result.recordsRejected);
        // The metrics the dead-letter alarm and the operator read carry the same counts.
        const metrics = emf.map((l) => JSON.parse(l)).filter((l) => l.FeatureGroup === 'account-spend');
        expect(metrics).toHaveLength(1);
        expect(metrics[0]).toMatchObject({ RowsRead: rows.length, RecordsWritten: accepted.size, RecordsRejected: rows.length - duplicates - accepted.size, DuplicatesDropped: duplicates });
      }),
      { numRuns: 60 },
    );
  });

  test('backoff is full jitter under a doubling ceiling', () => {
    const opts = { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.999 };
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffMs(a, opts))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffMs(3, { ...opts, random: () => 0 })).toBe(0);
  });
});
