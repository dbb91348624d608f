/**
 * The drift job's coverage record: every capture hour is evaluated by some run, or counted as
 * skipped (CaptureHoursSkipped, alarm DriftWindowGap); none is silently never judged.
 *
 * Each run's window is computed from its own start time; without a record, a run that failed for
 * good, a schedule that fired late across the settle minute, a lowered settle time, a schedule
 * slower than the window or an outage each left hours no run evaluated, and "no drift" said
 * nothing of them. drift-stats records the end of each window it evaluated; drift-query starts the
 * next window there (at most MAX_CATCH_UP_HOURS back).
 *  - coverWindow: pure.
 *  - The record's reader: a bad record fails the run (DriftInputError), naming the record.
 *  - Schedules with late, failed, missed runs and an outage, through the real drift-query and
 *    drift-stats handlers against moto S3 (the record is really written and read back), checked
 *    hour by hour; the same run times without the record are shown to leave gaps.
 * S3: a real client against a private moto_server; EventBridge mocked (no window here drifts).
 */

import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describeWithMoto, motoClientConfig } from '../../support/moto';
import { buildBaseline } from '../../../lambdas/drift-stats/baseline';
import { clients as statsClients, handler as statsHandler, parseCoverage } from '../../../lambdas/drift-stats/index';
import { captureWindow, clients as queryClients, coverWindow, handler as queryHandler, MAX_CATCH_UP_HOURS } from '../../../lambdas/drift-query/index';
import type { DriftQueryResult } from '../../../lambdas/drift-query/index';
import { DriftInputError } from '../../../lambdas/drift-stats/statistics';
import type { Baseline } from '../../../lambdas/drift-stats/statistics';
import { emfDocuments, startCapture } from '../../support/lambda-output';
import { expectMatchesGolden } from '../../support/runtime-golden';
import { routeTo, unrouteAll } from '../../support/sdk-clients';
import { scaledWindow } from './support/scaled-window';

const HOUR = 3_600_000;
const THRESHOLDS = { psi: 0.2, ks: 0.1, missingRate: 0.05, unseenShare: 0.01 };
const at = (iso: string) => new Date(iso);

describe('coverWindow (pure)', () => {
  const window = { start: at('2026-11-21T08:00:00Z'), end: at('2026-11-21T10:00:00Z') };

  it('leaves the window as scheduled on the first run, when the runs tile, and when they overlap', () => {
    expect(coverWindow(window, undefined)).toEqual({ ...window, hoursAdded: 0, hoursSkipped: 0 });
    expect(coverWindow(window, at('2026-11-21T08:00:00Z'))).toEqual({ ...window, hoursAdded: 0, hoursSkipped: 0 });
    expect(coverWindow(window, at('2026-11-21T09:00:00Z'))).toEqual({ ...window, hoursAdded: 0, hoursSkipped: 0 });
    // a record ahead of the window (a settle time raised): overlap, not a gap
    expect(coverWindow(window, at('2026-11-21T12:00:00Z'))).toEqual({ ...window, hoursAdded: 0, hoursSkipped: 0 });
  });

  it('reaches back to where the last evaluated window ended', () => {
    expect(coverWindow(window, at('2026-11-21T05:00:00Z'))).toEqual({ start: at('2026-11-21T05:00:00Z'), end: window.end, hoursAdded: 3, hoursSkipped: 0 });
  });

  it('by at most MAX_CATCH_UP_HOURS in all, counting the older hours as skipped; a longer window is its own limit', () => {
    const coveredUntil = new Date(window.end.getTime() - 200 * HOUR);
    const covered = coverWindow(window, coveredUntil);
    expect(covered.end.getTime() - covered.start.getTime()).toBe(MAX_CATCH_UP_HOURS * HOUR);
    expect(covered.hoursAdded).toBe(MAX_CATCH_UP_HOURS - 2);
    expect(covered.hoursSkipped).toBe(200 - MAX_CATCH_UP_HOURS);
    const long = { start: new Date(window.end.getTime() - 300 * HOUR), end: window.end };
    expect(coverWindow(long, new Date(window.end.getTime() - 400 * HOUR))).toEqual({ ...long, hoursAdded: 0, hoursSkipped: 100 });
  });
});

describe('parseCoverage (drift-stats input)', () => {
  it('takes drift-query\'s coverage and refuses anything else as bad input', () => {
    const record = { bucket: 'b', key: 'drift-coverage/e.json' };
    expect(parseCoverage(undefined)).toBeUndefined();
    expect(parseCoverage({ hoursAdded: 2, hoursSkipped: 0, record, scheduledStart: 'x', coveredUntil: null })).toEqual({ hoursAdded: 2, hoursSkipped: 0, record });
    for (const bad of [null, 'x', { hoursAdded: -1, hoursSkipped: 0, record }, { hoursAdded: 0, hoursSkipped: 1.5, record }, { hoursAdded: 0, hoursSkipped: 0 }, { hoursAdded: 0, hoursSkipped: 0, record: { bucket: 'b' } }]) {
      expect(() => parseCoverage(bad)).toThrow(DriftInputError);
    }
  });
});

const BASELINE: Baseline = buildBaseline(
  { amount: Array.from({ length: 1000 }, (_, i) => i % 50), currency: Array.from({ length: 1000 }, (_, i) => ['EUR', 'USD', 'GBP'][i % 3]!) },
  { features: { amount: { type: 'numeric' }, currency: { type: 'categorical' } }, createdAt: '2026-11-01T00:00:00.000Z' },
);

/** Counts in the baseline's proportions: a window that does not drift. */
const quietWindow = () => scaledWindow(BASELINE, 3);

describeWithMoto('every capture hour is evaluated or counted as skipped (drift-query and drift-stats, moto S3)', (moto) => {
  const BUCKET = 'plinth-capture-coverage';
  const ENV = {
    ENDPOINT_NAME: 'fraud-prod',
    CAPTURE_DATABASE: 'plinth_capture',
    CAPTURE_TABLE: 'capture_fraud_prod',
    CAPTURE_VARIANTS: 'AllTraffic',
    WINDOW_HOURS: '1',
    CAPTURE_SETTLE_MINUTES: '15',
    BASELINE_BUCKET: BUCKET,
    BASELINE_KEY: 'drift-baselines/fraud-prod/current.json',
    COVERAGE_KEY: 'drift-coverage/fraud-prod.json',
  };
  let s3: S3Client;
  let capture: ReturnType<typeof startCapture>;
  const eb = mockClient(statsClients.eventBridge);

  beforeAll(async () => {
    s3 = new S3Client(motoClientConfig(moto.endpoint));
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: ENV.BASELINE_KEY, Body: JSON.stringify(BASELINE) }));
  });
  beforeEach(async () => {
    capture = startCapture();
    routeTo(queryClients.s3, s3);
    routeTo(statsClients.s3, s3);
    Object.assign(process.env, ENV);
    eb.reset();
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    // each test starts without a record: its first run is the endpoint's first
    await deleteRecord();
  });
  afterEach(() => {
    capture.stop();
    expectMatchesGolden('plinth-drift-query', capture.lines.filter((l) => l.includes('"plinth-drift-query"')));
    expectMatchesGolden('plinth-drift-stats', capture.lines.filter((l) => !l.includes('"plinth-drift-query"')));
    unrouteAll();
    for (const k of Object.keys(ENV)) delete process.env[k];
  });
  afterAll(() => eb.restore());

  async function deleteRecord(): Promise<void> {
    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: ENV.COVERAGE_KEY }));
  }

  /** drift-stats on the query's window (quiet counts), as the job's Evaluate step invokes it. */
  function evaluate(query: DriftQueryResult, coverage: unknown = query.coverage) {
    return statsHandler({
      endpointName: 'fraud-prod',
      windowStart: query.windowStart,
      windowEnd: query.windowEnd,
      baseline: query.baseline,
      window: quietWindow(),
      thresholds: THRESHOLDS,
      coverage,
    });
  }

  interface Run {
    /** The execution's start time. */
    readonly time: string;
    /** The job fails for good after BuildQuery (Athena or Evaluate): drift-stats never finishes. */
    readonly fails?: boolean;
    /** CAPTURE_SETTLE_MINUTES for this run (a configuration change). */
    readonly settle?: number;
  }

  /**
   * Runs the job as the state machine does (BuildQuery's result to Evaluate), and returns the hours
   * evaluated (each window's hours) and the hours counted as skipped, by hour start (ms).
   */
  async function runJob(runs: readonly Run[]): Promise<{ evaluated: Set<number>; skipped: Set<number>; skippedMetric: number[]; queries: DriftQueryResult[] }> {
    const evaluated = new Set<number>();
    const skipped = new Set<number>();
    const skippedMetric: number[] = [];
    const queries: DriftQueryResult[] = [];
    for (const run of runs) {
      process.env.CAPTURE_SETTLE_MINUTES = String(run.settle ?? 15);
      const query = await queryHandler({ time: run.time });
      queries.push(query);
      if (run.fails) continue;
      const before = capture.lines.length;
      await evaluate(query);
      const doc = emfDocuments(capture.lines.slice(before)).find((d) => 'DriftEvaluations' in d)!;
      skippedMetric.push(doc.CaptureHoursSkipped as number);
      for (let h = Date.parse(query.windowStart); h < Date.parse(query.windowEnd); h += HOUR) evaluated.add(h);
      if (query.coverage.hoursSkipped > 0) {
        for (let h = Date.parse(query.coverage.coveredUntil!); h < Date.parse(query.windowStart); h += HOUR) skipped.add(h);
      }
    }
    return { evaluated, skipped, skippedMetric, queries };
  }

  /** Hours in [from, to) in neither set. */
  function uncovered(from: number, to: number, ...sets: Set<number>[]): string[] {
    const out: string[] = [];
    for (let h = from; h < to; h += HOUR) if (!sets.some((s) => s.has(h))) out.push(new Date(h).toISOString());
    return out;
  }

  /** The same run times with windows from the schedule alone (the job before the record): hours no window held. */
  function statelessGaps(runs: readonly Run[]): string[] {
    const seen = new Set<number>();
    const windows = runs.filter((r) => !r.fails).map((r) => captureWindow(r.time, 1, r.settle ?? 15));
    for (const w of windows) for (let h = w.start.getTime(); h < w.end.getTime(); h += HOUR) seen.add(h);
    return uncovered(windows[0]!.start.getTime(), windows[windows.length - 1]!.end.getTime(), seen);
  }

  it('hourly runs with a late one, a failed one, a missed one and a lowered settle time: every hour is evaluated, none skipped', async () => {
    // GIVEN rate(1 hour) firing at :14:50, a minute before the settle minute, with 1-hour windows
    const runs: Run[] = [
      { time: '2026-11-21T01:14:50Z' },
      { time: '2026-11-21T02:14:50Z' },
      // EventBridge late by 40 s: past 02:15 + 1 h, so this window ends an hour later than on time
      { time: '2026-11-21T03:15:30Z' },
      { time: '2026-11-21T04:14:50Z' },
      // Athena failed for good: no evaluation
      { time: '2026-11-21T05:14:50Z', fails: true },
      { time: '2026-11-21T06:14:50Z' },
      // 07:14:50 never ran (the schedule missed it)
      { time: '2026-11-21T08:14:50Z' },
      // the settle time lowered from 15 to 5 minutes
      { time: '2026-11-21T09:14:50Z', settle: 5 },
      { time: '2026-11-21T10:14:50Z', settle: 5 },
    ];
    // (from the schedule alone, these runs leave hours no window held: what the record prevents)
    expect(statelessGaps(runs).length).toBeGreaterThanOrEqual(3);
    // WHEN the job runs them
    const { evaluated, skipped, skippedMetric, queries } = await runJob(runs);
    // THEN every hour from the first window's start to the last one's end was evaluated
    expect(uncovered(Date.parse(queries[0]!.windowStart), Date.parse(queries[queries.length - 1]!.windowEnd), evaluated)).toEqual([]);
    expect(skipped.size).toBe(0);
    expect(skippedMetric.every((n) => n === 0)).toBe(true);
    // AND the runs after a gap reached back over it, and said so
    expect(queries.map((q) => q.coverage.hoursAdded)).toEqual([0, 0, 1, 0, 0, 1, 1, 1, 0]);
    expect(capture.lines.filter((l) => l.includes('window reaches back to capture no run evaluated'))).toHaveLength(4);
    // AND the record holds the end of the last window evaluated
    const record = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: ENV.COVERAGE_KEY }))).Body!.transformToString()) as Record<string, unknown>;
    expect(record).toMatchObject({ endpointName: 'fraud-prod', coveredUntil: queries[queries.length - 1]!.windowEnd });
  });

  it('a daily schedule with 1-hour windows evaluates every hour of the day, not one hour in 24', async () => {
    const runs: Run[] = [{ time: '2026-11-21T00:20:00Z' }, { time: '2026-11-22T00:20:00Z' }, { time: '2026-11-23T00:20:00Z' }];
    expect(statelessGaps(runs)).toHaveLength(46);
    const { evaluated, skipped, queries } = await runJob(runs);
    expect(uncovered(Date.parse(queries[0]!.windowStart), Date.parse(queries[2]!.windowEnd), evaluated)).toEqual([]);
    expect(skipped.size).toBe(0);
    expect(queries.map((q) => q.coverage.hoursAdded)).toEqual([0, 23, 23]);
  });

  it('after an outage longer than the catch-up limit, the older hours are skipped and counted: CaptureHoursSkipped, never silence', async () => {
    // GIVEN a run, then ten days without a successful one
    const runs: Run[] = [{ time: '2026-11-01T00:20:00Z' }, { time: '2026-11-05T00:20:00Z', fails: true }, { time: '2026-11-11T00:20:00Z' }, { time: '2026-11-11T01:20:00Z' }];
    const { evaluated, skipped, skippedMetric, queries } = await runJob(runs);
    // THEN every hour is evaluated or counted as skipped
    expect(uncovered(Date.parse(queries[0]!.windowStart), Date.parse(queries[3]!.windowEnd), evaluated, skipped)).toEqual([]);
    // AND the run after the outage reached back a week and counted the rest: 240 hours since, 168 evaluated
    expect(queries[2]!.coverage).toMatchObject({ coveredUntil: '2026-11-01T00:00:00Z', hoursAdded: MAX_CATCH_UP_HOURS - 1, hoursSkipped: 240 - MAX_CATCH_UP_HOURS });
    expect(skippedMetric).toEqual([0, 240 - MAX_CATCH_UP_HOURS, 0]);
    expect(skipped.size).toBe(240 - MAX_CATCH_UP_HOURS);
    expect(capture.lines.filter((l) => l.includes('older than the catch-up limit'))).toHaveLength(1);
  });

  it('a record that is not the job\'s fails the run loudly, naming the record; none at all is the first run', async () => {
    for (const [body, message] of [
      ['{"coveredUntil":', /is not JSON/],
      [JSON.stringify({ endpointName: 'other', coveredUntil: '2026-11-21T08:00:00Z' }), /not endpoint fraud-prod's/],
      [JSON.stringify({ endpointName: 'fraud-prod', coveredUntil: '2026-11-21T08:30:00Z' }), /whole UTC hour/],
      [JSON.stringify({ endpointName: 'fraud-prod' }), /whole UTC hour/],
    ] as const) {
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: ENV.COVERAGE_KEY, Body: body }));
      const err = await queryHandler({ time: '2026-11-21T10:20:00Z' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(DriftInputError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toContain(`s3://${BUCKET}/${ENV.COVERAGE_KEY}`);
    }
    await deleteRecord();
    expect((await queryHandler({ time: '2026-11-21T10:20:00Z' })).coverage).toMatchObject({ coveredUntil: null, hoursAdded: 0, hoursSkipped: 0 });
  });

  it('a run that fails after evaluating leaves the record where it was (its hours are counted again, not lost)', async () => {
    await runJob([{ time: '2026-11-21T01:20:00Z' }]);
    const query = await queryHandler({ time: '2026-11-21T02:20:00Z' });
    // WHEN the record cannot be written (the bucket is gone from the event's point of view)
    await expect(evaluate(query, { ...query.coverage, record: { bucket: 'no-such-bucket-coverage', key: ENV.COVERAGE_KEY } })).rejects.toMatchObject({ name: 'NoSuchBucket' });
    // THEN the next run starts where the last recorded window ended
    expect((await queryHandler({ time: '2026-11-21T03:20:00Z' })).coverage).toMatchObject({ coveredUntil: '2026-11-21T01:00:00Z', hoursAdded: 1 });
  });
});
