/**
 * model-quality's log lines and EMF documents against the golden capture from before the
 * Powertools change (see golden.ts). AWS is aws-sdk-client-mock; Athena returns the rows the real
 * query produced in DuckDB (the fixture of test/lambdas/model-quality/handler.test.ts).
 */
import { AthenaClient, GetQueryResultsCommand } from '@aws-sdk/client-athena';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeEndpointCommand, DescribeEndpointConfigCommand, DescribeModelCommand, ListTagsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/model-quality/index';
import type { QualityJob } from '../../../lambdas/model-quality/index';
import { RESULT_COLUMNS } from '../../../lambdas/model-quality/sql';
import type { ResultRow } from '../../../lambdas/model-quality/evaluate';
import { qualityDatabase, runQualityQuery } from '../../../scripts/local/quality-duckdb';
import { expectGolden, goldenRun } from './golden';
import type { GoldenRecord } from './golden';

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

const EVALUATE = {
  action: 'evaluate',
  queryExecutionId: 'q-123',
  window: { start: '2030-01-10T00:00:00.000Z', end: '2030-01-11T00:00:00.000Z' },
  labelsUntil: '2030-01-12T00:00:00.000Z',
  runAt: '2030-01-12T00:00:00.000Z',
};

describe('model-quality telemetry is what it was before Powertools', () => {
  let rows: ResultRow[];
  beforeAll(async () => {
    rows = await fixtureRows();
    process.env.JOB = JSON.stringify(JOB);
  });
  afterAll(() => {
    delete process.env.JOB;
  });
  beforeEach(() => {
    jest.useFakeTimers({ now: Date.parse('2030-01-12T00:05:00.000Z'), doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask'] });
    for (const m of [athena, s3, sagemaker, cloudWatch, events]) m.reset();
    athena.on(GetQueryResultsCommand).resolves(asAthena(rows));
    // Each variant serves a model without a package tag: the configured floor is the baseline.
    sagemaker.on(DescribeEndpointCommand).resolves({ EndpointConfigName: 'cfg-1' } as never);
    sagemaker.on(DescribeEndpointConfigCommand).resolves({ ProductionVariants: JOB.variants.map((VariantName) => ({ VariantName, ModelName: `${VariantName}-initial` })) } as never);
    sagemaker.on(DescribeModelCommand).resolves({ ModelArn: 'arn:aws:sagemaker:us-east-1:123456789012:model/initial' });
    sagemaker.on(ListTagsCommand).resolves({ Tags: [] });
    // No previous run: the A/B experiment starts with this window.
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' }));
    cloudWatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'pninetynine0', Values: [90_000] },
        { Id: 'pninetynine1', Values: [95_000] },
        { Id: 'invocations0', Values: [60] },
        { Id: 'invocations1', Values: [60] },
        { Id: 'instances0', Values: [1] },
      ],
    });
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    s3.on(PutObjectCommand).resolves({});
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('writes the same log fields, metric names, dimensions and values', async () => {
    // GIVEN an evaluation against the configured floor, one whose events are refused, and bad input
    const scenarios: Record<string, GoldenRecord[]> = {};
    scenarios.evaluate = await goldenRun(() => handler(EVALUATE));
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'x' }] });
    scenarios.eventsRefused = await goldenRun(() => handler(EVALUATE));
    scenarios.badInput = await goldenRun(() => handler({ action: 'promote' }));
    // THEN each wrote what it wrote before
    expect(scenarios.evaluate.length).toBeGreaterThan(0);
    expectGolden('model-quality', scenarios);
  });
});
