/**
 * drift-stats handler.
 *  - EventBridge: MOCKED with aws-sdk-client-mock on the client injected into
 *    the handler (PutEvents requests are recorded and asserted).
 *  - S3 baseline: real S3 client against a private moto_server (moto S3).
 *  - EMF/log lines: captured from stdout/stderr, checked against the fields and
 *    metrics of before (test/support/runtime-golden.ts).
 */

import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { AwsStub } from 'aws-sdk-client-mock';
import { describeWithMoto, motoClientConfig } from '../../support/moto';
import { buildBaseline } from '../../../lambdas/drift-stats/baseline';
import { DRIFT_DETAIL_TYPE, DRIFT_SOURCE, handler, METRIC_NAMESPACE } from '../../../lambdas/drift-stats/index';
import type { DriftEventDetail, DriftStatsEvent } from '../../../lambdas/drift-stats/index';
import { clients as handlerClients } from '../../../lambdas/drift-stats/index';
import { startCapture } from '../../support/lambda-output';
import { scaledWindow } from './support/scaled-window';
import { expectMatchesGolden } from '../../support/runtime-golden';
import { routeTo, unrouteAll } from '../../support/sdk-clients';
import { DriftInputError, evaluateDrift } from '../../../lambdas/drift-stats/statistics';
import type { Baseline, EvaluatedFeature, FeatureCounts, WindowFeatureCounts } from '../../../lambdas/drift-stats/statistics';

type Json = Record<string, unknown>;

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function trainingSample(seed: number, n: number, shift = 0): Record<string, (number | string | null)[]> {
  const r = rng(seed);
  const age: (number | string | null)[] = [];
  const income: (number | string | null)[] = [];
  const channel: (number | string | null)[] = [];
  for (let i = 0; i < n; i++) {
    age.push(Math.round(20 + 50 * r() + shift * 20));
    income.push(r() < 0.02 ? null : Math.round(1000 * (1 + 4 * r())));
    channel.push(['web', 'app', 'store'][Math.floor(r() * 3)]!);
  }
  return { age, income, channel };
}

const BASELINE: Baseline = buildBaseline(trainingSample(1, 10_000), {
  features: { age: { type: 'numeric' }, income: { type: 'numeric' }, channel: { type: 'categorical' } },
  createdAt: '2031-01-01T00:00:00.000Z',
});
const THRESHOLDS = { psi: 0.2, ks: 0.1, missingRate: 0.05, unseenShare: 0.01 };

/** Window counts: the baseline's proportions scaled, with optional per-feature overrides. */
function windowCounts(overrides: Record<string, WindowFeatureCounts> = {}): { features: Record<string, WindowFeatureCounts> } {
  return scaledWindow(BASELINE, 2, overrides);
}

/** The age feature with all its mass in the top bin (drift on PSI and KS). */
function driftingAge(): WindowFeatureCounts {
  const f = BASELINE.features.age as Extract<FeatureCounts, { type: 'numeric' }>;
  const counts = f.counts.map((_, i) => (i === f.counts.length - 1 ? 5000 : 10));
  const total = counts.reduce((s, c) => s + c, 0);
  return { type: 'numeric', counts, missing: 0, total };
}

function event(overrides: Partial<DriftStatsEvent> = {}): DriftStatsEvent {
  return {
    endpointName: 'fraud-prod',
    windowStart: '2031-03-01T00:00:00Z',
    windowEnd: '2031-03-01T01:00:00Z',
    baseline: JSON.parse(JSON.stringify(BASELINE)) as unknown,
    window: windowCounts(),
    thresholds: THRESHOLDS,
    minSamples: 100,
    ...overrides,
  };
}

interface Harness {
  lines: string[];
  eb: AwsStub<any, any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

function emfDocs(lines: string[]): Json[] {
  return lines.map((l) => JSON.parse(l) as Json).filter((o) => o._aws !== undefined);
}

/** The per-feature EMF documents (dimensions Endpoint + Feature). */
function featureDocs(lines: string[]): Json[] {
  return emfDocs(lines).filter((d) => d.Feature !== undefined);
}

/** The one per-evaluation EMF document (dimension Endpoint only). */
function evaluationDoc(lines: string[]): Json {
  const docs = emfDocs(lines).filter((d) => d.Feature === undefined);
  expect(docs).toHaveLength(1);
  const meta = (docs[0]!._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] })
    .CloudWatchMetrics[0]!;
  expect(meta.Namespace).toBe('Plinth/Drift');
  expect(meta.Dimensions).toEqual([['Endpoint']]);
  expect(meta.Metrics).toEqual([
    { Name: 'FeaturesDrifting', Unit: 'Count' },
    { Name: 'FeaturesInsufficient', Unit: 'Count' },
    { Name: 'FeaturesUnbaselined', Unit: 'Count' },
    { Name: 'DriftEvaluations', Unit: 'Count' },
  ]);
  return docs[0]!;
}

function putEntries(h: Harness): PutEventsRequestEntry[] {
  return h.eb.commandCalls(PutEventsCommand).flatMap((c) => (c.args[0].input as { Entries: PutEventsRequestEntry[] }).Entries);
}

function setupHarness(s3?: () => S3Client): () => Harness {
  let h: Harness | undefined;
  let capture: ReturnType<typeof startCapture> | undefined;
  beforeEach(() => {
    capture = startCapture();
    const lines = capture.lines;
    const eb = mockClient(handlerClients.eventBridge);
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-1' }] });
    if (s3) routeTo(handlerClients.s3, s3());
    process.env.EVENT_BUS_NAME = 'plinth-ml-bus';
    h = { lines, eb };
  });
  afterEach(() => {
    capture?.stop();
    if (h) expectMatchesGolden('plinth-drift-stats', h.lines);
    h?.eb.restore();
    unrouteAll();
    jest.restoreAllMocks();
    delete process.env.EVENT_BUS_NAME;
  });
  return () => {
    if (!h) throw new Error('harness not ready');
    return h;
  };
}

describe('drift-stats handler (inline baseline; EventBridge mocked with aws-sdk-client-mock)', () => {
  const harness = setupHarness();

  it('publishes ONE Model Drift Detected event with only the drifting features, and EMF per feature', async () => {
    // GIVEN a window where only age drifts
    const h = harness();
    // WHEN the handler runs
    const res = await handler(event({ window: windowCounts({ age: driftingAge() }) }));
    // THEN the evaluation says drift on age only
    expect(res.status).toBe('drift');
    expect(res.drifting).toEqual(['age']);
    expect(res.eventPublished).toBe(true);
    // AND exactly one PutEvents entry went to EVENT_BUS_NAME with source/detail-type of the contract
    const entries = putEntries(h);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ EventBusName: 'plinth-ml-bus', Source: DRIFT_SOURCE, DetailType: DRIFT_DETAIL_TYPE });
    expect(DRIFT_SOURCE).toBe('plinth.drift');
    expect(DRIFT_DETAIL_TYPE).toBe('Model Drift Detected');
    const detail = JSON.parse(entries[0]!.Detail!) as DriftEventDetail;
    const age = res.features.age as EvaluatedFeature;
    expect(detail).toMatchObject({
      endpointName: 'fraud-prod',
      window: { start: '2031-03-01T00:00:00Z', end: '2031-03-01T01:00:00Z' },
      baselineVersion: 1,
      baselineCreatedAt: '2031-01-01T00:00:00.000Z',
    });
    expect(detail.features).toEqual([
      { name: 'age', type: 'numeric', reasons: age.reasons, n: age.n, psi: age.psi, ks: age.ks, missingRateDelta: 0, unseenShare: 0, unseenCategories: 0, unseen: [] },
    ]);
    expect(age.reasons).toEqual(['psi', 'ks']);
    // AND one EMF document per feature, namespace Plinth/Drift, dimensions Endpoint+Feature
    const docs = featureDocs(h.lines);
    expect(docs.map((d) => d.Feature).sort()).toEqual(['age', 'channel', 'income']);
    const ageDoc = docs.find((d) => d.Feature === 'age')!;
    expect(ageDoc).toMatchObject({ Endpoint: 'fraud-prod', PSI: age.psi, KS: age.ks, MissingRateDelta: 0, UnseenShare: 0, InsufficientData: 0 });
    const meta = (ageDoc._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] }).CloudWatchMetrics[0]!;
    expect(meta.Namespace).toBe(METRIC_NAMESPACE);
    expect(METRIC_NAMESPACE).toBe('Plinth/Drift');
    expect(meta.Dimensions).toEqual([['Endpoint', 'Feature']]);
    expect(meta.Metrics.map((m) => m.Name).sort()).toEqual(['InsufficientData', 'KS', 'MissingRateDelta', 'PSI', 'UnseenShare']);
    // categorical features have no KS metric
    expect(docs.find((d) => d.Feature === 'channel')).not.toHaveProperty('KS');
    // AND one per-evaluation document for the endpoint alarm: one feature drifting
    expect(evaluationDoc(h.lines)).toMatchObject({ Endpoint: 'fraud-prod', FeaturesDrifting: 1, FeaturesInsufficient: 0, DriftEvaluations: 1 });
  });

  it('publishes no event when nothing drifts (the statistics are still emitted)', async () => {
    // GIVEN a window with the baseline's proportions
    const h = harness();
    // WHEN
    const res = await handler(event());
    // THEN
    expect(res.status).toBe('ok');
    expect(res.drifting).toEqual([]);
    expect(res.eventPublished).toBe(false);
    expect(h.eb.commandCalls(PutEventsCommand)).toHaveLength(0);
    const docs = featureDocs(h.lines);
    expect(docs).toHaveLength(3);
    for (const d of docs) expect(d).toMatchObject({ PSI: 0, MissingRateDelta: 0, InsufficientData: 0 });
    expect(evaluationDoc(h.lines)).toMatchObject({ Endpoint: 'fraud-prod', FeaturesDrifting: 0, FeaturesInsufficient: 0, FeaturesUnbaselined: 0, DriftEvaluations: 1 });
    expect(res.unbaselined).toEqual([]);
  });

  it('a baseline that declares features unbaselined: "ok" for what it compared, and the unwatched features listed and counted every run', async () => {
    // GIVEN the baseline of a training sample that had no merchant_category or card_present (request-only fields)
    const h = harness();
    const base = event();
    const baseline = { ...(base.baseline as Json), unbaselined: { merchant_category: { type: 'categorical', reason: 'absent-from-training-sample' }, card_present: { type: 'categorical', reason: 'absent-from-training-sample' } } };
    // and a raw window that carries one of them (it is known, so not an unknown feature)
    const window = base.window as { features: Record<string, unknown> };
    const features = { ...window.features, card_present: { type: 'categorical', counts: { true: 400, false: 600 }, missing: 0, total: 1000 } };
    // WHEN
    const res = await handler({ ...base, baseline, window: { features } });
    // THEN the compared features read ok, the unbaselined ones are listed (never evaluated) and counted
    expect(res.status).toBe('ok');
    expect(Object.keys(res.features).sort()).toEqual(['age', 'channel', 'income']);
    expect(res.unbaselined).toEqual(['card_present', 'merchant_category']);
    expect(res.unknownFeatures).toEqual([]);
    expect(evaluationDoc(h.lines)).toMatchObject({ FeaturesDrifting: 0, FeaturesUnbaselined: 2 });
    const log = h.lines.map((l) => JSON.parse(l) as Json).find((l) => l.msg === 'drift evaluation finished')!;
    expect(log.unbaselined).toEqual(['card_present', 'merchant_category']);
    // AND a baseline whose unbaselined entry is malformed, or overlaps a baselined feature, is refused
    await expect(handler({ ...base, baseline: { ...(base.baseline as Json), unbaselined: { card_present: { type: 'numeric' } } } })).rejects.toThrow(/reason: "absent-from-training-sample"/);
    await expect(handler({ ...base, baseline: { ...(base.baseline as Json), unbaselined: { age: { type: 'numeric', reason: 'absent-from-training-sample' } } } })).rejects.toThrow(/has a baseline too/);
  });

  it('insufficient data emits InsufficientData = 1 and no event, even when the few values are wildly off', async () => {
    // GIVEN every feature with 50 non-missing values (minSamples 100), far from the baseline
    const h = harness();
    const ageF = BASELINE.features.age as Extract<FeatureCounts, { type: 'numeric' }>;
    const incomeF = BASELINE.features.income as Extract<FeatureCounts, { type: 'numeric' }>;
    const window = {
      features: {
        age: { type: 'numeric', counts: ageF.counts.map((_, i) => (i === 0 ? 50 : 0)), missing: 0, total: 50 },
        income: { type: 'numeric', counts: incomeF.counts.map(() => 0), missing: 50, total: 50 },
        channel: { type: 'categorical', counts: { never: 50 }, missing: 0, total: 50 },
      },
    };
    // WHEN (50 rows per feature in all: too few to judge even the missing rate)
    const res = await handler(event({ window, thresholds: { psi: 0, ks: 0, missingRate: 0, unseenShare: 0 } }));
    // THEN
    expect(res.status).toBe('insufficient-data');
    expect(res.insufficient).toEqual(['age', 'channel', 'income']);
    expect(res.drifting).toEqual([]);
    expect(h.eb.commandCalls(PutEventsCommand)).toHaveLength(0);
    const docs = featureDocs(h.lines);
    expect(docs).toHaveLength(3);
    expect(evaluationDoc(h.lines)).toMatchObject({ FeaturesDrifting: 0, FeaturesInsufficient: 3, DriftEvaluations: 1 });
    for (const d of docs) {
      expect(d.InsufficientData).toBe(1);
      expect(d).not.toHaveProperty('PSI');
    }
    // the all-missing income stays visible through its missing-rate delta
    expect(docs.find((d) => d.Feature === 'income')!.MissingRateDelta).toBeCloseTo(1 - incomeF.missing / incomeF.total, 12);
  });

  it('a feature that went all-missing over enough rows drifts, sorts first in the event, and carries no PSI', async () => {
    // GIVEN income always missing over 500 rows, and age shifted (PSI well past 0.2)
    const h = harness();
    const ageF = BASELINE.features.age as Extract<FeatureCounts, { type: 'numeric' }>;
    const incomeF = BASELINE.features.income as Extract<FeatureCounts, { type: 'numeric' }>;
    const channelF = BASELINE.features.channel as Extract<FeatureCounts, { type: 'categorical' }>;
    const window = {
      features: {
        age: { type: 'numeric', counts: ageF.counts.map((_, i) => (i === 0 ? 500 : 0)), missing: 0, total: 500 },
        income: { type: 'numeric', counts: incomeF.counts.map(() => 0), missing: 500, total: 500 },
        channel: { ...channelF },
      },
    };
    // WHEN
    const res = await handler(event({ window, thresholds: { psi: 0.2, ks: 0.1, missingRate: 0.05, unseenShare: 0.01 } }));
    // THEN
    expect(res.drifting).toEqual(['age', 'income']);
    expect(res.features.income).toMatchObject({ status: 'drift', reasons: ['missingRate'], psi: null, distributionNotCompared: 'below-min-samples' });
    const detail = JSON.parse(h.eb.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries![0]!.Detail!);
    expect(detail.features.map((f: { name: string }) => f.name)).toEqual(['income', 'age']);
    expect(detail.features[0]).toMatchObject({ psi: null, missingRateDelta: 1 - incomeF.missing / incomeF.total });
    const income = featureDocs(h.lines).find((d) => d.Feature === 'income')!;
    expect(income).toMatchObject({ InsufficientData: 0, MissingRateDelta: 1 - incomeF.missing / incomeF.total });
    expect(income).not.toHaveProperty('PSI');
  });

  it('bins a raw window sample with the baseline edges (same result as evaluating the sample directly)', async () => {
    // GIVEN a raw sample from a shifted population
    const h = harness();
    const sample = trainingSample(2, 3000, 1);
    // WHEN
    const res = await handler(event({ window: { sample } }));
    // THEN
    const direct = evaluateDrift(BASELINE, { sample }, THRESHOLDS, { minSamples: 100 });
    expect(res.features).toEqual(direct.features);
    expect(res.drifting).toEqual(['age']);
    expect(putEntries(h)).toHaveLength(1);
  });

  it('uses the default bus when EVENT_BUS_NAME is not set', async () => {
    // GIVEN no EVENT_BUS_NAME
    const h = harness();
    delete process.env.EVENT_BUS_NAME;
    // WHEN a drifting window is evaluated
    await handler(event({ window: windowCounts({ age: driftingAge() }) }));
    // THEN
    expect(putEntries(h)[0]!.EventBusName).toBe('default');
  });

  it('fails when EventBridge rejects the entry (so the job is retried)', async () => {
    // GIVEN PutEvents answering FailedEntryCount 1
    const h = harness();
    h.eb.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }] });
    // WHEN / THEN
    await expect(handler(event({ window: windowCounts({ age: driftingAge() }) }))).rejects.toThrow(/InternalFailure/);
  });

  it.each([
    ['no endpointName', { endpointName: '' }, /endpointName/],
    ['bad thresholds', { thresholds: { psi: 0.2 } }, /thresholds.ks/],
    ['a window without features or sample', { window: {} }, /window/],
    ['window bins over other edges', { window: windowCounts({ age: { type: 'numeric', edges: [null, 1, null], counts: [100, 100], missing: 0, total: 200 } }) }, /edges/],
    ['a baseline of another version', { baseline: { version: 9, createdAt: 'x', features: {} } }, /version/],
    // nothing to compare must not read as 'ok'
    ['a baseline without features', { baseline: { version: 1, createdAt: 'x', features: {} } }, /baseline has no features/],
  ] as const)('rejects %s with DriftInputError and publishes nothing', async (_what, overrides, message) => {
    // GIVEN a malformed event
    const h = harness();
    // WHEN / THEN
    const p = handler(event(overrides as Partial<DriftStatsEvent>));
    await expect(p).rejects.toThrow(DriftInputError);
    await expect(handler(event(overrides as Partial<DriftStatsEvent>))).rejects.toThrow(message);
    expect(h.eb.commandCalls(PutEventsCommand)).toHaveLength(0);
  });
});

describeWithMoto('drift-stats handler with the baseline in S3 (moto S3; EventBridge mocked)', (moto) => {
  const BUCKET = 'plinth-drift-baselines';
  const KEY = 'fraud-prod/baseline-v1.json';
  let s3: S3Client;
  const harness = setupHarness(() => s3);

  beforeAll(async () => {
    s3 = new S3Client(motoClientConfig(moto.endpoint));
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: JSON.stringify(BASELINE), ContentType: 'application/json' }));
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'broken.json', Body: '{"version":1,' }));
  });

  it('reads the baseline from S3 and evaluates exactly like the inline baseline', async () => {
    // GIVEN the baseline stored in S3 and a drifting window
    const h = harness();
    const window = windowCounts({ age: driftingAge() });
    // WHEN the handler gets an S3 reference, and (separately) the inline baseline
    const fromS3 = await handler(event({ baseline: { s3: { bucket: BUCKET, key: KEY } }, window }));
    const inline = await handler(event({ window }));
    // THEN both evaluations are identical and each published its event
    expect(fromS3).toEqual(inline);
    expect(fromS3.drifting).toEqual(['age']);
    expect(putEntries(h)).toHaveLength(2);
  });

  it('publishes nothing for a non-drifting window evaluated against the S3 baseline', async () => {
    // GIVEN the S3 baseline and a window with the baseline proportions
    const h = harness();
    // WHEN
    const res = await handler(event({ baseline: { s3: { bucket: BUCKET, key: KEY } } }));
    // THEN
    expect(res.status).toBe('ok');
    expect(h.eb.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('fails on a missing baseline object and on a baseline that is not JSON', async () => {
    // GIVEN references to a missing key and to a truncated document
    harness();
    // WHEN / THEN
    await expect(handler(event({ baseline: { s3: { bucket: BUCKET, key: 'nope.json' } } }))).rejects.toMatchObject({ name: 'NoSuchKey' });
    await expect(handler(event({ baseline: { s3: { bucket: BUCKET, key: 'broken.json' } } }))).rejects.toThrow(/not JSON/);
  });
});
