/**
 * drift-stats with a traffic check: a window where every feature had too little data reads
 * FeaturesDrifting = 0, like a quiet window. When the endpoint served enough requests that
 * capture should have recorded, the job is blind (capture broken), and DriftBlind = 1 says so.
 * CloudWatch and EventBridge are MOCKED with aws-sdk-client-mock on the handler's clients; the
 * expected figures are hand-computed in each test.
 */

import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { GetMetricDataCommandInput } from '@aws-sdk/client-cloudwatch';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { buildBaseline } from '../../../lambdas/drift-stats/baseline';
import { clients as handlerClients, handler } from '../../../lambdas/drift-stats/index';
import type { DriftStatsEvent } from '../../../lambdas/drift-stats/index';
import { BLIND_FACTOR, captureEvidence, countInvocations, parseTrafficCheck } from '../../../lambdas/drift-stats/traffic';
import { DriftInputError } from '../../../lambdas/drift-stats/statistics';
import type { Baseline, FeatureCounts, WindowFeatureCounts } from '../../../lambdas/drift-stats/statistics';
import { startCapture } from '../../support/lambda-output';
import { expectMatchesGolden } from '../../support/runtime-golden';

type Json = Record<string, unknown>;

const SAMPLE = {
  age: Array.from({ length: 1000 }, (_, i) => 20 + (i % 50)),
  channel: Array.from({ length: 1000 }, (_, i) => ['web', 'app', 'store'][i % 3]!),
};
const BASELINE: Baseline = buildBaseline(SAMPLE, { features: { age: { type: 'numeric' }, channel: { type: 'categorical' } }, createdAt: '2031-01-01T00:00:00.000Z' });
const THRESHOLDS = { psi: 0.2, ks: 0.1, missingRate: 0.05, unseenShare: 0.01 };
const WINDOW_START = '2031-03-01T00:00:00Z';
const WINDOW_END = '2031-03-01T03:00:00Z';

/** Window counts with `rows` rows per feature, spread like the baseline (nothing drifts). */
function windowOf(rows: number): { features: Record<string, WindowFeatureCounts> } {
  const age = BASELINE.features.age as Extract<FeatureCounts, { type: 'numeric' }>;
  const share = rows / age.total;
  const ageCounts = age.counts.map((c) => Math.round(c * share));
  const ageTotal = ageCounts.reduce((a, b) => a + b, 0);
  const third = Math.floor(rows / 3);
  const channelCounts = { web: rows - 2 * third, app: third, store: third };
  return {
    features: {
      age: { type: 'numeric', counts: ageCounts, missing: 0, total: ageTotal },
      channel: { type: 'categorical', counts: channelCounts, missing: 0, total: rows },
    },
  };
}

function event(rows: number, traffic?: unknown): DriftStatsEvent {
  return {
    endpointName: 'fraud-prod',
    windowStart: WINDOW_START,
    windowEnd: WINDOW_END,
    baseline: JSON.parse(JSON.stringify(BASELINE)) as unknown,
    window: windowOf(rows),
    thresholds: THRESHOLDS,
    minSamples: 100,
    ...(traffic === undefined ? {} : { traffic }),
  };
}

/** GetMetricData answers: per variant (query Id invocations<i>), the hourly sums, over one or more pages. */
function answer(cw: ReturnType<typeof mockClient>, pages: Array<Record<string, number[]>>): void {
  let call = cw.on(GetMetricDataCommand);
  pages.forEach((page, i) => {
    call = call.resolvesOnce({
      MetricDataResults: Object.entries(page).map(([Id, Values]) => ({ Id, Values, Timestamps: Values.map(() => new Date(WINDOW_START)), StatusCode: 'Complete' })),
      ...(i < pages.length - 1 ? { NextToken: `page-${i + 1}` } : {}),
    }) as typeof call;
  });
}

function evaluationDoc(lines: readonly string[]): Json {
  const docs = lines.map((l) => JSON.parse(l) as Json).filter((d) => d._aws !== undefined && d.Feature === undefined);
  expect(docs).toHaveLength(1);
  return docs[0]!;
}

function finishedLog(lines: readonly string[]): Json {
  return lines.map((l) => JSON.parse(l) as Json).find((d) => d.msg === 'drift evaluation finished')!;
}

describe('drift-stats traffic check (CloudWatch and EventBridge mocked)', () => {
  let capture: ReturnType<typeof startCapture>;
  let cw: ReturnType<typeof mockClient>;
  let eb: ReturnType<typeof mockClient>;
  beforeEach(() => {
    capture = startCapture();
    cw = mockClient(handlerClients.cloudWatch);
    eb = mockClient(handlerClients.eventBridge);
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-1' }] });
  });
  afterEach(() => {
    capture.stop();
    expectMatchesGolden('plinth-drift-stats', capture.lines);
    cw.restore();
    eb.restore();
  });

  it('too little capture while the endpoint served 1,000 requests at 20% sampling is blind: DriftBlind = 1, not a quiet window', async () => {
    // GIVEN 40 captured rows per feature (minSamples 100) and 600 + 400 invocations on two variants, 20% captured
    answer(cw, [{ invocations0: [200, 200, 200], invocations1: [100, 300] }]);
    // WHEN
    const res = await handler(event(40, { variants: ['primary', 'challenger'], samplingPercent: 20 }));
    // THEN 1,000 × 20% = 200 rows were expected, >= 2 × 100: the job is blind
    expect(res.status).toBe('insufficient-data');
    expect(res.capture).toEqual({ invocations: 1000, expectedRows: 200, blind: true });
    expect(evaluationDoc(capture.lines)).toMatchObject({ FeaturesDrifting: 0, FeaturesInsufficient: 2, DriftEvaluations: 1, DriftBlind: 1 });
    expect(finishedLog(capture.lines)).toMatchObject({ level: 'warn', capture: { invocations: 1000, expectedRows: 200, blind: true } });
    // AND it asked for exactly the window, the endpoint and both variants' Invocations sums
    const input = cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input as GetMetricDataCommandInput;
    expect(input.StartTime).toEqual(new Date(WINDOW_START));
    expect(input.EndTime).toEqual(new Date(WINDOW_END));
    expect(input.MetricDataQueries!.map((q) => [q.MetricStat!.Metric!.Namespace, q.MetricStat!.Metric!.MetricName, q.MetricStat!.Metric!.Dimensions, q.MetricStat!.Stat, q.MetricStat!.Period])).toEqual([
      ['AWS/SageMaker', 'Invocations', [{ Name: 'EndpointName', Value: 'fraud-prod' }, { Name: 'VariantName', Value: 'primary' }], 'Sum', 3600],
      ['AWS/SageMaker', 'Invocations', [{ Name: 'EndpointName', Value: 'fraud-prod' }, { Name: 'VariantName', Value: 'challenger' }], 'Sum', 3600],
    ]);
    // AND no drift event: too little data never starts retraining
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('a quiet window (expected captured rows below 2 × minSamples) is not blind: DriftBlind = 0', async () => {
    // GIVEN 40 captured rows and 995 invocations at 20%: 199 expected rows, one short of 2 × 100
    answer(cw, [{ invocations0: [995] }]);
    // WHEN
    const res = await handler(event(40, { variants: ['primary'], samplingPercent: 20 }));
    // THEN
    expect(res.capture).toEqual({ invocations: 995, expectedRows: 199, blind: false });
    expect(evaluationDoc(capture.lines)).toMatchObject({ FeaturesInsufficient: 2, DriftBlind: 0 });
    expect(finishedLog(capture.lines)).toMatchObject({ level: 'info' });
  });

  it('sums every page of GetMetricData (a variant split across pages counts whole)', async () => {
    // GIVEN the first page with 150 requests and the second with 60 more of the same variant
    answer(cw, [{ invocations0: [100, 50] }, { invocations0: [60] }]);
    // WHEN
    const res = await handler(event(10, { variants: ['primary'], samplingPercent: 100 }));
    // THEN 210 requests, 210 expected rows >= 200: blind (the first page alone, 150, would not be)
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(2);
    expect((cw.commandCalls(GetMetricDataCommand)[1]!.args[0].input as GetMetricDataCommandInput).NextToken).toBe('page-1');
    expect(res.capture).toEqual({ invocations: 210, expectedRows: 210, blind: true });
  });

  it('a variant without datapoints served nothing: no traffic, not blind', async () => {
    // GIVEN CloudWatch has no Invocations datapoints at all
    answer(cw, [{ invocations0: [] }]);
    // WHEN
    const res = await handler(event(0, { variants: ['primary'], samplingPercent: 100 }));
    // THEN
    expect(res.capture).toEqual({ invocations: 0, expectedRows: 0, blind: false });
    expect(evaluationDoc(capture.lines)).toMatchObject({ DriftBlind: 0 });
  });

  it('does not read CloudWatch when a feature could be judged, and publishes DriftBlind = 0', async () => {
    // GIVEN 600 captured rows per feature (enough)
    // WHEN
    const res = await handler(event(600, { variants: ['primary'], samplingPercent: 100 }));
    // THEN
    expect(res.status).toBe('ok');
    expect(res).not.toHaveProperty('capture');
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(0);
    expect(evaluationDoc(capture.lines)).toMatchObject({ FeaturesInsufficient: 0, DriftBlind: 0 });
  });

  it('without a traffic check the evaluation is as before: no CloudWatch call, no DriftBlind', async () => {
    // WHEN
    const res = await handler(event(40));
    // THEN
    expect(res.status).toBe('insufficient-data');
    expect(res).not.toHaveProperty('capture');
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(0);
    expect(evaluationDoc(capture.lines)).not.toHaveProperty('DriftBlind');
  });

  it('fails (the job retries, DriftJobFailed watches) when CloudWatch cannot be read, instead of guessing', async () => {
    // GIVEN GetMetricData throttled after the SDK's retries
    cw.on(GetMetricDataCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    // WHEN / THEN
    await expect(handler(event(40, { variants: ['primary'], samplingPercent: 100 }))).rejects.toThrow('Rate exceeded');
    expect(capture.lines.map((l) => JSON.parse(l) as Json).filter((d) => d._aws !== undefined)).toEqual([]);
  });

  it('refuses a malformed traffic check before reading anything', async () => {
    for (const traffic of [null, {}, { variants: [], samplingPercent: 20 }, { variants: ['bad name'], samplingPercent: 20 }, { variants: ['primary'], samplingPercent: 0 }, { variants: ['primary'], samplingPercent: 120 }, { variants: ['primary'], samplingPercent: '20' }]) {
      await expect(handler(event(40, traffic))).rejects.toThrow(DriftInputError);
    }
    await expect(handler({ ...event(40, { variants: ['primary'], samplingPercent: 20 }), windowStart: 'yesterday' })).rejects.toThrow(/windowStart and windowEnd must be ISO-8601/);
    expect(cw.commandCalls(GetMetricDataCommand)).toHaveLength(0);
  });
});

describe('traffic check units', () => {
  it('captureEvidence: blind from exactly BLIND_FACTOR × minSamples expected rows', () => {
    expect(BLIND_FACTOR).toBe(2);
    expect(captureEvidence(500, { variants: ['a'], samplingPercent: 40 }, 100)).toEqual({ invocations: 500, expectedRows: 200, blind: true });
    expect(captureEvidence(499, { variants: ['a'], samplingPercent: 40 }, 100)).toEqual({ invocations: 499, expectedRows: 199.6, blind: false });
    // minSamples 0 still needs 2 expected rows (never blind on no traffic)
    expect(captureEvidence(0, { variants: ['a'], samplingPercent: 100 }, 0).blind).toBe(false);
    expect(captureEvidence(2, { variants: ['a'], samplingPercent: 100 }, 0).blind).toBe(true);
  });

  it('parseTrafficCheck: undefined means no check; duplicate variants are counted once', () => {
    expect(parseTrafficCheck(undefined)).toBeUndefined();
    expect(parseTrafficCheck({ variants: ['a', 'a', 'b'], samplingPercent: 100 })).toEqual({ variants: ['a', 'b'], samplingPercent: 100 });
  });

  it('countInvocations: a window that is not whole hours is one period; a negative or NaN value fails', async () => {
    const client = new CloudWatchClient({ region: 'us-east-1' });
    const cw = mockClient(client);
    try {
      cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'invocations0', Values: [7] }] });
      expect(await countInvocations(client, 'e', ['a'], new Date('2031-03-01T00:00:00Z'), new Date('2031-03-01T00:30:00Z'))).toBe(7);
      expect((cw.commandCalls(GetMetricDataCommand)[0]!.args[0].input as GetMetricDataCommandInput).MetricDataQueries![0]!.MetricStat!.Period).toBe(1800);
      cw.on(GetMetricDataCommand).resolves({ MetricDataResults: [{ Id: 'invocations0', Values: [Number.NaN] }] });
      await expect(countInvocations(client, 'e', ['a'], new Date('2031-03-01T00:00:00Z'), new Date('2031-03-01T01:00:00Z'))).rejects.toThrow(/NaN invocations/);
    } finally {
      cw.restore();
    }
  });
});
