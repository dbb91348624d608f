/**
 * The training sample and data capture of the SAME records must give the drift job the same
 * feature values, or drift reads "drift" (or fails) where nothing changed.
 *
 * The whole path, with nothing re-implemented:
 *  1. lib/training/evaluation/evaluate.py `write_sample` (run with python3) writes the sample of a
 *     training table holding the values pyarrow's to_pylist gives for a Parquet table: bool, a
 *     DOUBLE column of merchant codes (5411.0), int, float, str (also ""), None;
 *  2. lambdas/drift-baseline's handler builds the baseline from it, as for a package the model's
 *     own pipeline registered (S3 and SageMaker mocked at class level);
 *  3. the capture of the same records, each body JSON.stringify(request features + the record)
 *     as the gateway sends it, the request carrying two fields the training table does not have
 *     (amount, currency);
 *  4. lambdas/drift-query's statement, run in DuckDB over that capture, counts the window over
 *     the baseline's bins; lambdas/drift-stats' handler evaluates it.
 * Expected: every window count equals the baseline's, so PSI = KS = missing-rate change = 0,
 * status "ok", and the two request-only fields are declared unbaselined, not failed and not
 * silently dropped. Before the fix, step 2 failed outright (the CSV header has no column
 * "amount"), and without request-only features the Python-formatted CSV (True, 5411.0) made
 * card_present and mcc drift against capture of the same records: the last test keeps the old
 * writer to show that, with PSI checked against a hand computation.
 */

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeModelPackageCommand, ListPipelineExecutionStepsCommand, SageMakerClient, UpdateModelPackageCommand } from '@aws-sdk/client-sagemaker';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as baselineHandler } from '../../../lambdas/drift-baseline/index';
import { readTrainingSample } from '../../../lambdas/drift-baseline/sample';
import { DUCKDB, renderBinCountSql } from '../../../lambdas/drift-query/sql';
import { windowFromBinCounts } from '../../../lambdas/drift-stats/athena-window';
import { buildBaseline, parseBaseline } from '../../../lambdas/drift-stats/baseline';
import { handler as statsHandler } from '../../../lambdas/drift-stats/index';
import { PSI_EPSILON, type Baseline, type CategoricalCounts, type EvaluatedFeature } from '../../../lambdas/drift-stats/statistics';
import { startCapture } from '../../support/lambda-output';
import { CAPTURE_DATABASE, CAPTURE_TABLE, captureRecord, runDriftSql } from './support/duckdb-capture';

const ROOT = path.join(__dirname, '..', '..', '..');
const ACCOUNT = '123456789012';
const PIPELINE = 'plinth-dev-fraud-training';
const EXECUTION = `arn:aws:sagemaker:us-east-1:${ACCOUNT}:pipeline/${PIPELINE}/execution/k1q2w3e4r5t6`;
const ARN = `arn:aws:sagemaker:us-east-1:${ACCOUNT}:model-package/fraud/3`;
const SAMPLES = 'plinth-artifacts';
const DIR = 'evaluations/fraud/k1q2w3e4r5t6/evaluation';
const RECORDS = 400;

/** The drift features: two only the request has (amount, currency), five from the training table. */
const FEATURES = [
  { name: 'amount', type: 'numeric' },
  { name: 'currency', type: 'categorical' },
  { name: 'card_present', type: 'categorical' },
  { name: 'mcc', type: 'categorical' },
  { name: 'merchant_category', type: 'categorical' },
  { name: 'txn_count_24h', type: 'numeric' },
  { name: 'amount_sum_24h', type: 'numeric' },
] as const;
const TABLE_FEATURES = ['amount_sum_24h', 'card_present', 'mcc', 'merchant_category', 'txn_count_24h'];
const THRESHOLDS = { psi: 0.2, ks: 0.1, missingRate: 0.05, unseenShare: 0.01 };

/**
 * Python: a training table as pyarrow gives a Parquet one (Python values), written by the
 * evaluation script's write_sample; the old writer (csv.writer, verbatim from before the fix) for
 * the last test; and the records themselves as JSON, for the capture side.
 */
const PYTHON = String.raw`
import csv, json, random, sys
sys.path.insert(0, sys.argv[1])
import evaluate as ev
import numpy as np

out, n = sys.argv[2], int(sys.argv[3])
rng = random.Random(20261205)
table = {"account_id": [], "occurred_at": [], "is_fraud": [], "card_present": [], "mcc": [], "merchant_category": [], "txn_count_24h": [], "amount_sum_24h": []}
for i in range(n):
    table["account_id"].append("acct-%04d" % (i % 37))
    table["occurred_at"].append("2026-11-%02dT%02d:00:00Z" % (1 + i % 28, i % 24))
    table["is_fraud"].append(int(rng.random() < 0.1))
    table["card_present"].append(None if i % 20 == 0 else rng.random() < 0.7)
    table["mcc"].append(None if i % 25 == 0 else float(rng.choice([5411, 5812, 5999, 4111])))  # a DOUBLE column
    table["merchant_category"].append(None if i % 30 == 0 else rng.choice(["grocery", "travel", "fuel", ""]))
    table["txn_count_24h"].append(rng.randint(0, 30))
    table["amount_sum_24h"].append(round(rng.uniform(0, 5000), 2) if i % 10 else float(100 * (i % 7)))

ev.write_sample(table, out + "/training-sample.jsonl", rows=10 * n)

def old_write_sample(train, path, rows, seed=7):
    names = list(train.keys())
    total = len(train[names[0]]) if names else 0
    pick = np.sort(np.random.default_rng(seed).choice(total, size=min(rows, total), replace=False)) if total else []
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(names)
        for i in pick:
            w.writerow([train[n][i] for n in names])
    return len(pick)

old_write_sample(table, out + "/legacy-training-sample.csv", 10 * n)
with open(out + "/records.json", "w") as f:
    json.dump([{k: table[k][i] for k in table} for i in range(n)], f, allow_nan=False)
`;

interface Written {
  sample: string;
  legacyCsv: string;
  records: Record<string, unknown>[];
}

function writeWithPipelineScript(): Written {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-sample-'));
  const run = spawnSync('python3', ['-c', PYTHON, path.join(ROOT, 'lib', 'training', 'evaluation'), dir, String(RECORDS)], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  if (run.error) throw new Error(`python3 could not be started: ${run.error.message}`);
  expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  return {
    sample: fs.readFileSync(path.join(dir, 'training-sample.jsonl'), 'utf8'),
    legacyCsv: fs.readFileSync(path.join(dir, 'legacy-training-sample.csv'), 'utf8'),
    records: JSON.parse(fs.readFileSync(path.join(dir, 'records.json'), 'utf8')) as Record<string, unknown>[],
  };
}

/** Capture of the same records: what the gateway sends, JSON.stringify(request features + the record). */
function captureOf(records: readonly Record<string, unknown>[]): ReturnType<typeof captureRecord>[] {
  return records.map((r, i) => captureRecord({ amount: ((i * 37) % 1000) + 0.5, currency: ['EUR', 'USD', 'GBP'][i % 3], ...r }));
}

/** Counts the drift job's query gives over that capture (the statement run in DuckDB). */
async function windowCounts(baseline: Baseline, records: readonly Record<string, unknown>[]): Promise<ReturnType<typeof windowFromBinCounts>['features']> {
  const sql = renderBinCountSql(
    {
      database: CAPTURE_DATABASE,
      table: CAPTURE_TABLE,
      variants: ['AllTraffic'],
      windowStart: new Date('2026-11-21T08:00:00Z'),
      windowEnd: new Date('2026-11-21T10:00:00Z'),
      baseline,
    },
    DUCKDB,
  );
  return windowFromBinCounts(baseline, await runDriftSql(sql, captureOf(records))).features;
}

async function evaluate(baseline: Baseline, window: Awaited<ReturnType<typeof windowCounts>>) {
  return statsHandler({
    endpointName: 'fraud-prod',
    windowStart: '2026-11-21T08:00:00Z',
    windowEnd: '2026-11-21T10:00:00Z',
    baseline: JSON.parse(JSON.stringify(baseline)) as unknown,
    window: { features: window },
    thresholds: THRESHOLDS,
    minSamples: 100,
  });
}

describe('a baseline from the pipeline-written training sample, against capture of the same records', () => {
  const s3 = mockClient(S3Client);
  const sm = mockClient(SageMakerClient);
  const eb = mockClient(EventBridgeClient);
  let written: Written;
  let output: ReturnType<typeof startCapture>;

  beforeAll(() => {
    written = writeWithPipelineScript();
  });
  beforeEach(() => {
    output = startCapture();
    s3.reset();
    sm.reset();
    eb.reset();
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    process.env.MODELS = JSON.stringify({ fraud: { endpointName: 'fraud-prod', pipelineName: PIPELINE, features: FEATURES } });
    process.env.BASELINE_BUCKET = 'plinth-baselines';
    process.env.TRAINING_SAMPLE_BUCKET = SAMPLES;
    // the package the model's own pipeline registered, and the sample its Evaluate step wrote next to evaluation.json
    sm.on(DescribeModelPackageCommand).resolves({
      ModelApprovalStatus: 'Approved',
      CreationTime: new Date('2026-12-04T11:00:00Z'),
      MetadataProperties: { GeneratedBy: EXECUTION },
      ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: `s3://${SAMPLES}/${DIR}/evaluation.json` } } },
      CustomerMetadataProperties: {},
    });
    sm.on(ListPipelineExecutionStepsCommand).resolves({ PipelineExecutionSteps: [{ StepName: 'Register', StepStatus: 'Succeeded', Metadata: { RegisterModel: { Arn: ARN } } }] });
    sm.on(UpdateModelPackageCommand).resolves({ ModelPackageArn: ARN });
    s3.on(HeadObjectCommand).rejects(Object.assign(new Error('Not Found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }));
    s3.on(ListObjectVersionsCommand).callsFake((input: { Prefix: string }) => ({
      Versions: input.Prefix === `${DIR}/training-sample.jsonl` ? [{ Key: input.Prefix, VersionId: 'v1', LastModified: new Date('2026-12-04T10:59:00Z') }] : [],
    }));
    s3.on(GetObjectCommand).callsFake((input: { Key: string }) => {
      if (input.Key !== `${DIR}/training-sample.jsonl`) throw Object.assign(new Error('no such key'), { name: 'NoSuchKey' });
      return { Body: Readable.from([Buffer.from(written.sample)]) as never };
    });
    s3.on(PutObjectCommand).resolves({});
  });
  afterEach(() => {
    output.stop();
    for (const k of ['MODELS', 'BASELINE_BUCKET', 'TRAINING_SAMPLE_BUCKET']) delete process.env[k];
  });
  afterAll(() => {
    s3.restore();
    sm.restore();
    eb.restore();
  });

  async function builtBaseline(): Promise<Baseline> {
    const res = await baselineHandler({
      version: '0',
      id: 'evt-1',
      'detail-type': 'SageMaker Model Package State Change',
      source: 'aws.sagemaker',
      account: ACCOUNT,
      time: '2026-12-04T12:00:00Z',
      region: 'us-east-1',
      resources: [ARN],
      detail: { ModelPackageGroupName: 'fraud', ModelPackageVersion: 3, ModelPackageArn: ARN, ModelApprovalStatus: 'Approved' },
    });
    expect(res).toMatchObject({ status: 'built', sampleDerivedFrom: 'pipeline', totalRecords: RECORDS, sampledRecords: RECORDS, malformedRecords: 0 });
    const put = s3.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Key === 'drift-baselines/fraud-prod/fraud-v3.json');
    return parseBaseline(JSON.parse(put!.args[0].input.Body as string));
  }

  it('the sample holds the values capture holds: true/false and 5411, not Python\'s True and 5411.0', () => {
    expect(written.sample).not.toMatch(/True|False|NaN|5411\.0/);
    expect(written.sample).toMatch(/"card_present":(true|false),"mcc":5411,/);
    const first = JSON.parse(written.sample.split('\n')[0]!) as Record<string, unknown>;
    expect(Object.keys(first).sort()).toEqual(['account_id', 'amount_sum_24h', 'card_present', 'is_fraud', 'mcc', 'merchant_category', 'occurred_at', 'txn_count_24h']);
    // and the legacy writer's did not
    expect(written.legacyCsv).toMatch(/,True,5411\.0,|,False,5411\.0,/);
  });

  it('reads "ok" with every count equal to the baseline\'s; the request-only fields are declared unbaselined, not failed or dropped', async () => {
    // GIVEN the baseline drift-baseline builds from the pipeline's sample
    const baseline = await builtBaseline();
    expect(Object.keys(baseline.features).sort()).toEqual(TABLE_FEATURES);
    expect(baseline.unbaselined).toEqual({
      amount: { type: 'numeric', reason: 'absent-from-training-sample' },
      currency: { type: 'categorical', reason: 'absent-from-training-sample' },
    });
    // and the categories are the ones capture has (JSON's, formatted as String(x))
    expect(Object.keys((baseline.features.card_present as CategoricalCounts).counts).sort()).toEqual(['false', 'true']);
    expect(Object.keys((baseline.features.mcc as CategoricalCounts).counts).sort()).toEqual(['4111', '5411', '5812', '5999']);
    expect(Object.keys((baseline.features.merchant_category as CategoricalCounts).counts).sort()).toEqual(['', 'fuel', 'grocery', 'travel']);
    // WHEN the drift job counts capture of the same records over its bins
    const window = await windowCounts(baseline, written.records);
    // THEN every feature's counts and missing are the baseline's, exactly
    for (const name of TABLE_FEATURES) {
      const { edges: _edges, binning: _binning, ...base } = baseline.features[name] as CategoricalCounts & { edges?: unknown; binning?: unknown };
      expect({ name, counts: window[name] }).toEqual({ name, counts: base });
    }
    // AND drift-stats reads ok: PSI, KS and the missing-rate change are all 0, and the unwatched fields are named
    const res = await evaluate(baseline, window);
    expect(res.status).toBe('ok');
    expect(res.drifting).toEqual([]);
    expect(res.unbaselined).toEqual(['amount', 'currency']);
    expect(res.unknownFeatures).toEqual([]);
    for (const name of TABLE_FEATURES) {
      const f = res.features[name] as EvaluatedFeature;
      expect({ name, status: f.status, psi: f.psi, missingRateDelta: f.missingRateDelta, ks: f.ks ?? 0, unseenShare: f.unseenShare ?? 0 }).toEqual({
        name,
        status: 'ok',
        psi: 0,
        missingRateDelta: 0,
        ks: 0,
        unseenShare: 0,
      });
    }
    expect(eb.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  it('the writer before the fix: its CSV makes card_present and mcc drift against capture of the same records (PSI as computed by hand)', async () => {
    // GIVEN the baseline of the old CSV sample, read by the same reader and binned by the same code
    // (only the table's features: with the request-only ones the old job failed outright)
    const read = await readTrainingSample(Readable.from([Buffer.from(written.legacyCsv)]), { format: 'csv', features: TABLE_FEATURES, capacity: 100_000, seed: ARN });
    const spec = Object.fromEntries(FEATURES.filter((f) => TABLE_FEATURES.includes(f.name)).map((f) => [f.name, { type: f.type }]));
    const baseline = buildBaseline(read.columns, { features: spec, createdAt: '2026-12-04T12:00:00.000Z' });
    expect(Object.keys((baseline.features.card_present as CategoricalCounts).counts).sort()).toEqual(['False', 'True']);
    // WHEN capture of the same records is evaluated against it
    const res = await evaluate(baseline, await windowCounts(baseline, written.records));
    // THEN nothing changed, yet two features drift: every capture value is a category the baseline never had
    expect(res.status).toBe('drift');
    expect(res.drifting).toEqual(expect.arrayContaining(['card_present', 'mcc']));
    const card = res.features.card_present as EvaluatedFeature;
    expect(card.unseenShare).toBe(1);
    // PSI by hand: baseline {True: qT, False: qF}, window {true: qT, false: qF} (the same shares), each
    // side's categories at epsilon on the other: PSI = 2 * sum over v of (q_v - eps) * ln(q_v / eps)
    const present = written.records.map((r) => r.card_present).filter((v) => v !== null);
    const qT = present.filter((v) => v === true).length / present.length;
    const eps = PSI_EPSILON;
    const expected = 2 * ((qT - eps) * Math.log(qT / eps) + (1 - qT - eps) * Math.log((1 - qT) / eps));
    expect(card.psi).toBeCloseTo(expected, 10);
  });
});
