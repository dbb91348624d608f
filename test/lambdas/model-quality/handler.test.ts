/**
 * The model-quality handler end to end with mocked AWS clients (aws-sdk-client-mock): Athena
 * returns the rows the real query produced in DuckDB; S3 receives the evidence; EventBridge the
 * decay and verdict events; CloudWatch gives latency, errors and instance counts.
 */
import { AthenaClient, GetQueryResultsCommand } from '@aws-sdk/client-athena';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeEndpointCommand, DescribeEndpointConfigCommand, DescribeModelCommand, DescribeModelPackageCommand, ListModelPackagesCommand, ListTagsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { handler, QualityInputError, renderStep } from '../../../lambdas/model-quality/index';
import type { QualityJob } from '../../../lambdas/model-quality/index';
import { fakeDate } from '../../support/sdk-clients';
import { RESULT_COLUMNS } from '../../../lambdas/model-quality/sql';
import type { ResultRow } from '../../../lambdas/model-quality/evaluate';
import { qualityDatabase, runQualityQuery } from '../../../scripts/local/quality-duckdb';

const athena = mockClient(AthenaClient);
const s3 = mockClient(S3Client);
const sagemaker = mockClient(SageMakerClient);
const cloudWatch = mockClient(CloudWatchClient);
const events = mockClient(EventBridgeClient);

const JOB: QualityJob = {
  endpointName: 'fraud-detector-dev',
  modelName: 'fraud-detector',
  modelPackageGroupName: 'fraud-detector',
  variants: ['primary', 'challenger'],
  database: 'lake',
  captureTable: 'capture',
  groundTruthTable: 'ground_truth',
  reviewTable: 'review_labels',
  evidenceBucket: 'evidence-bucket',
  evidencePrefix: 'quality-evidence/',
  windowHours: 24,
  labelDelayHours: 24,
  problemType: 'binary_classification',
  primaryMetric: 'auc',
  scorePath: '$.score',
  positiveLabel: 'fraud',
  threshold: 0.5,
  minSamples: 20,
  tolerance: 0.05,
  floor: 0.8,
  coverageFloor: 0.05,
  captureSamplingPercent: 100,
  outcome: { name: 'money saved', unit: 'EUR' },
  abTest: { champion: 'primary', alpha: 0.05, minimumEffect: 0.02, guardrails: { p99LatencyIncrease: 0.1, errorRateIncrease: 0.005, costPer1000Increase: 0.2 } },
  prices: { primary: { instanceType: 'ml.g5.xlarge', pricePerHour: 1.408, currency: 'USD', asOf: '2026-11-22', source: 'config/pricing' } },
};

function asAthena(rows: ResultRow[]): { ResultSet: { Rows: Array<{ Data: Array<{ VarCharValue?: string }> }> } } {
  const cell = (v: string | null) => (v === null ? {} : { VarCharValue: v });
  return {
    ResultSet: {
      Rows: [
        { Data: RESULT_COLUMNS.map((c) => ({ VarCharValue: c })) },
        ...rows.map((r) => ({ Data: RESULT_COLUMNS.map((c) => cell(r[c])) })),
      ],
    },
  };
}

/** 60 labelled predictions per variant; the primary ranks well, the challenger less so. */
async function fixtureRows(): Promise<ResultRow[]> {
  const captured = [];
  const truth = [];
  for (let i = 0; i < 60; i++) {
    const fraud = i % 3 === 0;
    for (const [variant, good] of [['primary', true], ['challenger', false]] as const) {
      const id = `${variant}-${i}`;
      const score = good ? (fraud ? 0.7 + (i % 7) / 30 : 0.1 + (i % 11) / 30) : ((i * 37) % 100) / 100;
      captured.push({ variant, inferenceId: id, inferenceTime: `2030-01-10T${String(i % 24).padStart(2, '0')}:00:00Z`, output: JSON.stringify({ score }) });
      truth.push({ inference_id: id, label: fraud ? 'fraud' : 'legitimate', observed_at: '2030-01-11T06:00:00Z', outcome_value: fraud ? 50 : 0 });
    }
  }
  const c = await qualityDatabase(captured, truth, []);
  const rows = await runQualityQuery(c, {
    variants: JOB.variants,
    windowStart: new Date('2030-01-10T00:00:00Z'),
    windowEnd: new Date('2030-01-11T00:00:00Z'),
    labelsUntil: new Date('2030-01-12T00:00:00Z'),
    problemType: 'binary_classification',
    scorePath: '$.score',
    positiveLabel: 'fraud',
    threshold: 0.5,
    bins: 1000,
  });
  c.closeSync();
  return rows;
}

const LATEST = 'quality-evidence/fraud-detector-dev/latest.json';

const EVALUATE = {
  action: 'evaluate',
  queryExecutionId: 'q-123',
  window: { start: '2030-01-10T00:00:00.000Z', end: '2030-01-11T00:00:00.000Z' },
  labelsUntil: '2030-01-12T00:00:00.000Z',
  runAt: '2030-01-12T00:00:00.000Z',
};

describe('model-quality handler', () => {
  let lines: string[];
  let rows: ResultRow[];
  beforeAll(async () => {
    rows = await fixtureRows();
  });
  beforeEach(() => {
    for (const m of [athena, s3, sagemaker, cloudWatch, events]) m.reset();
    lines = [];
    const grab = (chunk: unknown): boolean => {
      lines.push(...String(chunk).split('\n').filter((l) => l.length > 0));
      return true;
    };
    jest.spyOn(process.stdout, 'write').mockImplementation(grab as never);
    jest.spyOn(process.stderr, 'write').mockImplementation(grab as never);
    // The job runs when its window closes: EMF timestamps (runAt) are then current, as CloudWatch requires.
    fakeDate(Date.parse(EVALUATE.runAt));
    process.env.JOB = JSON.stringify(JOB);
    athena.on(GetQueryResultsCommand).resolves(asAthena(rows));
    // The endpoint serves the models its first deployment created: no package tag, so the floor is the baseline.
    sagemaker.on(DescribeEndpointCommand).resolves({ EndpointName: JOB.endpointName, EndpointConfigName: 'cfg-1' } as never);
    sagemaker.on(DescribeEndpointConfigCommand).resolves({
      ProductionVariants: [
        { VariantName: 'primary', ModelName: 'fd-primary-initial' },
        { VariantName: 'challenger', ModelName: 'fd-challenger-initial' },
      ],
    } as never);
    sagemaker.on(DescribeModelCommand).callsFake((input: { ModelName: string }) => ({ ModelArn: `arn:aws:sagemaker:us-east-1:123456789012:model/${input.ModelName}` }));
    sagemaker.on(ListTagsCommand).resolves({ Tags: [] });
    // No previous run: the A/B experiment starts with this window.
    s3.on(GetObjectCommand, { Bucket: JOB.evidenceBucket, Key: LATEST }).rejects(Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }));
    cloudWatch.on(GetMetricDataCommand).resolves({ MetricDataResults: [] });
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    s3.on(PutObjectCommand).resolves({});
  });
  afterEach(() => {
    jest.restoreAllMocks();
    jest.useRealTimers();
  });
  afterAll(() => {
    delete process.env.JOB;
  });

  it('render: the window ends labelDelayHours before the run, on whole hours', async () => {
    const out = (await handler({ action: 'render', time: '2030-01-12T00:17:42Z' })) as ReturnType<typeof renderStep>;
    expect(out.window).toEqual({ start: '2030-01-10T00:00:00.000Z', end: '2030-01-11T00:00:00.000Z' });
    expect(out.labelsUntil).toBe('2030-01-12T00:00:00.000Z');
    expect(out.queryString).toContain('json_extract_scalar');
  });

  it('evaluate: writes the evidence, emits metrics and the decay and verdict events (floor baseline)', async () => {
    // GIVEN no approved package (the floor 0.8 is the baseline), latency/instances from CloudWatch
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'pninetynine0', Values: [90_000] },
        { Id: 'pninetynine1', Values: [95_000] },
        { Id: 'invocations0', Values: [60] },
        { Id: 'invocations1', Values: [60] },
        { Id: 'instances0', Values: [1] },
      ],
    });
    // WHEN the evaluate step runs
    const out = (await handler(EVALUATE)) as { evidenceUri: string; decayed: string[]; verdict: string; stale: boolean };
    // THEN the evidence went to the run key and latest.json
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
    expect(puts).toEqual(['quality-evidence/fraud-detector-dev/runs/2030-01-12T00-00-00.000Z.json', 'quality-evidence/fraud-detector-dev/latest.json']);
    const evidence = JSON.parse(s3.commandCalls(PutObjectCommand)[1]!.args[0].input.Body as string);
    expect(evidence.baseline).toMatchObject({ value: 0.8, source: 'configured-floor' });
    const primary = evidence.variants.find((v: { variant: string }) => v.variant === 'primary');
    expect(primary.primary.value).toBe(1);
    expect(primary.cost).toMatchObject({ instanceHours: 24, value: (24 * 1.408 * 1000) / 60, price: { instanceType: 'ml.g5.xlarge', asOf: '2026-11-22' } });
    expect(primary.latency.p99Ms).toBe(90);
    // AND the challenger (AUC well under 0.8 − 0.05) decayed: one Model Quality Decayed event with the contract's fields
    expect(out.decayed).toEqual(['challenger']);
    const entries = events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries!;
    const decay = entries.find((e) => e.DetailType === 'Model Quality Decayed')!;
    expect(decay.Source).toBe('plinth.quality');
    expect(JSON.parse(decay.Detail!)).toMatchObject({ endpointName: 'fraud-detector-dev', variant: 'challenger', metric: 'auc', baseline: 0.8, tolerance: 0.05, evidenceUri: out.evidenceUri, window: EVALUATE.window });
    // AND the verdict event says champion-better (the challenger's Brier score is worse)
    const verdict = JSON.parse(entries.find((e) => e.DetailType === 'Model A/B Verdict')!.Detail!);
    expect(verdict).toMatchObject({ verdict: 'champion-better', champion: 'primary', challenger: 'challenger' });
    // AND the EMF has per-variant quality and the endpoint's stale flag
    const emf = lines.map((l) => JSON.parse(l)).filter((o) => o._aws);
    expect(emf.find((d) => d.Variant === 'primary')).toMatchObject({ PrimaryMetric: 1, LabelCoverage: 1, QualityDecayed: 0 });
    expect(emf.find((d) => d.Variant === undefined)).toMatchObject({ GroundTruthStale: 0, QualityDecayed: 1, QualityRuns: 1 });
  });

  it('evaluate: each variant is judged against the evaluation.json of the package it serves, not the latest Approved one (contract B)', async () => {
    // GIVEN the group's latest Approved package (v3, AUC 0.99) whose canary rolled back: the endpoint still serves v1 on primary
    sagemaker.on(ListModelPackagesCommand).resolves({ ModelPackageSummaryList: [{ ModelPackageArn: 'arn:pkg/3', ModelPackageGroupName: 'fraud-detector', ModelPackageStatus: 'Completed', CreationTime: new Date() }] });
    sagemaker.on(DescribeEndpointConfigCommand).resolves({
      ProductionVariants: [
        { VariantName: 'primary', ModelName: 'fraud-detector-dev-primary-v1' },
        { VariantName: 'challenger', ModelName: 'fraud-detector-dev-challenger-v2' },
      ],
    } as never);
    // AND deploy-model tagged each model with the package it was built from
    sagemaker.on(ListTagsCommand).callsFake((input: { ResourceArn: string }) => ({
      Tags: [{ Key: 'plinth:model-package', Value: input.ResourceArn.endsWith('-v1') ? 'arn:pkg/1' : 'arn:pkg/2' }, { Key: 'owner', Value: 'fraud' }],
    }));
    const auc: Record<string, number> = { 'arn:pkg/1': 0.97, 'arn:pkg/2': 0.6, 'arn:pkg/3': 0.99 };
    sagemaker.on(DescribeModelPackageCommand).callsFake((input: { ModelPackageName: string }) => ({
      ModelMetrics: { ModelQuality: { Statistics: { S3Uri: `s3://reg/${input.ModelPackageName.slice(-1)}/evaluation.json`, ContentType: 'application/json' } } },
    }));
    s3.on(GetObjectCommand).callsFake((input: { Key: string }) => ({
      Body: { transformToString: async () => JSON.stringify({ schemaVersion: 1, problemType: 'binary_classification', primaryMetric: 'auc', samples: 1000, metrics: { auc: auc[`arn:pkg/${input.Key[0]}`] }, champion: null }) },
    }));
    // WHEN
    const out = (await handler(EVALUATE)) as { decayed: string[] };
    // THEN each variant's baseline is its own package's evaluation; the rolled-back v3 is read by nobody
    const evidence = JSON.parse(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Body as string);
    const byVariant = Object.fromEntries(evidence.variants.map((v: { variant: string; baseline: unknown; primary: { value: number } }) => [v.variant, v]));
    expect(byVariant.primary.baseline).toEqual({ value: 0.97, source: 'evaluation.json', uri: 's3://reg/1/evaluation.json', modelPackageArn: 'arn:pkg/1' });
    expect(byVariant.challenger.baseline).toEqual({ value: 0.6, source: 'evaluation.json', uri: 's3://reg/2/evaluation.json', modelPackageArn: 'arn:pkg/2' });
    expect(sagemaker.commandCalls(DescribeModelPackageCommand).map((c) => c.args[0].input.ModelPackageName).sort()).toEqual(['arn:pkg/1', 'arn:pkg/2']);
    // AND the headline baseline is the champion's
    expect(evidence.baseline).toEqual({ value: 0.97, source: 'evaluation.json', uri: 's3://reg/1/evaluation.json', modelPackageArn: 'arn:pkg/1', tolerance: 0.05 });
    // AND decay is judged per variant against its own baseline: primary AUC 1 >= 0.97 − 0.05; challenger
    // AUC 0.495 (scipy.stats.mannwhitneyu over its 20 positive and 40 negative scores: U = 396 of 800) < 0.6 − 0.05
    expect(byVariant.primary.primary.value).toBe(1);
    expect(byVariant.challenger.primary.value).toBeCloseTo(0.495, 12);
    expect(out.decayed).toEqual(['challenger']);
    expect(evidence.decay).toEqual([{ variant: 'challenger', metric: 'auc', value: byVariant.challenger.primary.value, baseline: 0.6, tolerance: 0.05 }]);
  });

  it('evaluate: a variant whose model deploy-model did not build (no package tag), or that runs no model of its own, is judged against the floor, with the reason', async () => {
    // GIVEN primary runs a model without the package tag, and the challenger is absent from the current config
    sagemaker.on(DescribeEndpointConfigCommand).resolves({ ProductionVariants: [{ VariantName: 'primary', ModelName: 'hand-made' }] } as never);
    // WHEN
    await handler(EVALUATE);
    // THEN both fall back to the floor, and the evidence says why
    const evidence = JSON.parse(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Body as string);
    const byVariant = Object.fromEntries(evidence.variants.map((v: { variant: string; baseline: unknown }) => [v.variant, v.baseline]));
    expect(byVariant.primary).toEqual({ value: 0.8, source: 'configured-floor', reason: 'model hand-made was not deployed from a registered package (no plinth:model-package tag)' });
    expect(byVariant.challenger).toEqual({ value: 0.8, source: 'configured-floor', reason: 'variant challenger runs no model of its own in endpoint config cfg-1 (absent, or an inference component)' });
    expect(sagemaker.commandCalls(DescribeModelPackageCommand)).toHaveLength(0);
  });

  it('evaluate: reads every page of a model\'s tags; an AWS error reading the endpoint fails the step (retried), never a silent floor', async () => {
    // GIVEN the package tag on the second page of ListTags
    sagemaker.on(ListTagsCommand).callsFake((input: { NextToken?: string }) =>
      input.NextToken === undefined ? { Tags: [{ Key: 'owner', Value: 'fraud' }], NextToken: 'p2' } : { Tags: [{ Key: 'plinth:model-package', Value: 'arn:pkg/1' }] },
    );
    sagemaker.on(DescribeModelPackageCommand).resolves({ ModelMetrics: { ModelQuality: { Statistics: { S3Uri: 's3://reg/1/evaluation.json', ContentType: 'application/json' } } } } as never);
    s3.on(GetObjectCommand).resolves({ Body: { transformToString: async () => JSON.stringify({ schemaVersion: 1, metrics: { auc: 0.9 } }) } } as never);
    await handler(EVALUATE);
    const evidence = JSON.parse(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Body as string);
    expect(evidence.variants.map((v: { baseline: { value: number } }) => v.baseline.value)).toEqual([0.9, 0.9]);
    // AND the one package is described once for both variants
    expect(sagemaker.commandCalls(DescribeModelPackageCommand)).toHaveLength(1);
    // WHEN DescribeEndpoint is throttled
    s3.resetHistory();
    sagemaker.on(DescribeEndpointCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));
    await expect(handler(EVALUATE)).rejects.toThrow('Rate exceeded');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('evaluate: the A/B verdict adds this window to the previous run\'s totals from latest.json, and says so in the verdict event', async () => {
    // GIVEN the previous run (the day before) counted 100 labelled predictions per arm of the same experiment
    const previous = {
      champion: 'primary',
      challenger: 'challenger',
      championModel: 'fd-primary-initial',
      challengerModel: 'fd-challenger-initial',
      loss: 'Brier score',
      alpha: 0.05,
      minimumEffect: 0.02,
      since: '2030-01-09T00:00:00.000Z',
      through: '2030-01-10T00:00:00.000Z',
      windows: 1,
      challengerSums: { n: 100, sum: 30, sumSq: 12 },
      championSums: { n: 100, sum: 5, sumSq: 1 },
    };
    s3.on(GetObjectCommand, { Bucket: JOB.evidenceBucket, Key: LATEST }).resolves({ Body: { transformToString: async () => JSON.stringify({ abTest: { cumulative: previous } }) } } as never);
    // WHEN this day's window (60 labels per arm) is evaluated
    await handler(EVALUATE);
    // THEN the totals are the previous ones plus this window's, and the verdict is judged on them
    const evidence = JSON.parse(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.Body as string);
    const w = evidence.abTest.window;
    expect(w.challenger.n).toBe(60);
    expect(evidence.abTest.accumulation).toBe('added');
    expect(evidence.abTest.cumulative).toEqual({
      ...previous,
      through: '2030-01-11T00:00:00.000Z',
      windows: 2,
      challengerSums: { n: 160, sum: 30 + w.challenger.sum, sumSq: 12 + w.challenger.sumSq },
      championSums: { n: 160, sum: 5 + w.champion.sum, sumSq: 1 + w.champion.sumSq },
    });
    expect(evidence.abTest.test.difference).toBeCloseTo((30 + w.challenger.sum) / 160 - (5 + w.champion.sum) / 160, 12);
    const verdict = JSON.parse(events.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries!.find((e) => e.DetailType === 'Model A/B Verdict')!.Detail!);
    expect(verdict.judgedOn).toEqual({ since: '2030-01-09T00:00:00.000Z', through: '2030-01-11T00:00:00.000Z', windows: 2, challengerLabelled: 160, championLabelled: 160 });
  });

  it('evaluate: a previous evidence file that cannot be read (other than missing) fails the step rather than restarting the experiment', async () => {
    s3.on(GetObjectCommand, { Bucket: JOB.evidenceBucket, Key: LATEST }).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    await expect(handler(EVALUATE)).rejects.toThrow('Access Denied');
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('evaluate: a failed EventBridge entry fails the step so it is retried', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'x' }] });
    await expect(handler(EVALUATE)).rejects.toThrow(/refused 1/);
  });

  describe('bad input is refused with QualityInputError and touches nothing', () => {
    const header = { Data: RESULT_COLUMNS.map((c) => ({ VarCharValue: c })) };
    const row = (cells: Array<string | undefined>) => ({ Data: cells.map((v) => (v === undefined ? {} : { VarCharValue: v })) });
    const labelsRow = row(['labels', undefined, undefined, undefined, undefined, '0', undefined, undefined, undefined, undefined]);
    const none = (): void => undefined;
    it.each<[string, unknown, () => void]>([
      ['a null event', null, none],
      ['a string event', 'evaluate', none],
      ['an unknown action', { action: 'promote' }, none],
      ['render without a time', { action: 'render' }, none],
      ['render with a bad time', { action: 'render', time: 'yesterday' }, none],
      ['evaluate with an unsafe query id', { ...EVALUATE, queryExecutionId: '../../x' }, none],
      ['evaluate with extra fields', { ...EVALUATE, shiftTraffic: true }, none],
      ['evaluate without a window', { ...EVALUATE, window: undefined }, none],
      ['a JOB env that is not JSON', { action: 'render', time: '2030-01-01T00:00:00Z' }, () => (process.env.JOB = '{oops')],
      ['a JOB env with an unsafe table', { action: 'render', time: '2030-01-01T00:00:00Z' }, () => (process.env.JOB = JSON.stringify({ ...JOB, captureTable: 'x"; --' }))],
      ['a result with the wrong header', EVALUATE, () => athena.on(GetQueryResultsCommand).resolves({ ResultSet: { Rows: [row(['a', 'b'])] } })],
      ['a result row for an unknown variant', EVALUATE, () => athena.on(GetQueryResultsCommand).resolves({ ResultSet: { Rows: [header, labelsRow, row(['traffic', 'shadow', undefined, undefined, undefined, '5', '0', '0', undefined, undefined])] } })],
      ['a result row with a negative count', EVALUATE, () => athena.on(GetQueryResultsCommand).resolves({ ResultSet: { Rows: [header, labelsRow, row(['traffic', 'primary', undefined, undefined, undefined, '-5', '0', '0', undefined, undefined])] } })],
      ['a result row of an unknown kind', EVALUATE, () => athena.on(GetQueryResultsCommand).resolves({ ResultSet: { Rows: [header, labelsRow, row(['bogus', 'primary', undefined, undefined, undefined, '5', '0', '0', undefined, undefined])] } })],
      ['a result without the labels row', EVALUATE, () => athena.on(GetQueryResultsCommand).resolves({ ResultSet: { Rows: [header] } })],
      ['more labelled than predicted', EVALUATE, () => athena.on(GetQueryResultsCommand).resolves({ ResultSet: { Rows: [header, labelsRow, row(['traffic', 'primary', undefined, undefined, undefined, '5', '6', '0', undefined, undefined])] } })],
    ])('%s', async (_name, event, arrange) => {
      arrange();
      await expect(handler(event)).rejects.toThrow(QualityInputError);
      expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
      expect(events.commandCalls(PutEventsCommand)).toHaveLength(0);
    });
  });
});
