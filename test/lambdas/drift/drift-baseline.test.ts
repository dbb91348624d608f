/**
 * drift-baseline: the streaming reservoir reader (pure, in-memory streams),
 * the environment contract, and the handler.
 *  - Handler, moto: S3 (training sample, baseline objects) and SageMaker
 *    (moto 5 supports CreateModelPackage / DescribeModelPackage /
 *    UpdateModelPackage with CustomerMetadataProperties). Two moto quirks:
 *    UpdateModelPackage REPLACES the properties (AWS merges; the handler sends
 *    the merged map, correct for both) and clears ModelApprovalStatus when it
 *    is not passed.
 *  - Handler, aws-sdk-client-mock for SageMaker: the paths moto cannot show
 *    (a package that already has its baseline, one no longer approved).
 *  - The handler's module-scope clients: routed to moto, or mocked with
 *    aws-sdk-client-mock. Time: jest fake Date. EMF/log lines captured from
 *    stdout/stderr and checked against the fields and metrics of before.
 */

import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectVersionsCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  CreateModelPackageCommand,
  CreateModelPackageGroupCommand,
  DescribeModelPackageCommand,
  SageMakerClient,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { describeWithMoto, motoClientConfig } from '../../support/moto';
import { loadConfig, parseModels } from '../../../lambdas/drift-baseline/config';
import { clients as handlerClients, handler, parseS3Uri } from '../../../lambdas/drift-baseline/index';
import { startCapture } from '../../support/lambda-output';
import { expectGoldenCovered, expectMatchesGolden } from '../../support/runtime-golden';
import { fakeDate, routeTo, unrouteAll } from '../../support/sdk-clients';
import { readTrainingSample, Reservoir, SampleUnreadableError, sampleFormat, seededRandom } from '../../../lambdas/drift-baseline/sample';
import { buildBaseline, parseBaseline } from '../../../lambdas/drift-stats/baseline';
import { DriftInputError } from '../../../lambdas/drift-stats/statistics';
import type { RawValue } from '../../../lambdas/drift-stats/statistics';

type Json = Record<string, unknown>;

async function* chunks(text: string | Buffer, size = 7): AsyncGenerator<Uint8Array> {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

const FEATURES = ['amount', 'currency'];

describe('Reservoir / seededRandom', () => {
  it('never holds more than its capacity, keeps the first items until full, and is reproducible per seed', () => {
    // GIVEN reservoirs of 100 over 10 000 items, two with the same seed and one with another
    const run = (seed: string): Reservoir<number> => {
      const r = new Reservoir<number>(100, seededRandom(seed));
      for (let i = 0; i < 10_000; i++) {
        r.offer(i);
        if (r.items.length > 100) throw new Error('over capacity');
        if (i < 100 && r.items.length !== i + 1) throw new Error('not filling first');
      }
      return r;
    };
    // WHEN
    const a = run('arn:a');
    const b = run('arn:a');
    const c = run('arn:c');
    // THEN
    expect(a.items).toHaveLength(100);
    expect(a.seen).toBe(10_000);
    expect(b.items).toEqual(a.items);
    expect(c.items).not.toEqual(a.items);
  });

  it('samples uniformly: every position is kept with probability k/n (mean and quartiles of the kept indexes)', () => {
    // GIVEN 1000 kept out of 200 000
    const r = new Reservoir<number>(1000, seededRandom('uniformity'));
    for (let i = 0; i < 200_000; i++) r.offer(i);
    const kept = [...r.items].sort((x, y) => x - y);
    // THEN the kept indexes look uniform over [0, 200 000): mean and quartiles within 5 %
    const mean = kept.reduce((s, x) => s + x, 0) / kept.length;
    expect(Math.abs(mean - 100_000)).toBeLessThan(5_000);
    expect(Math.abs(kept[250]! - 50_000)).toBeLessThan(5_000);
    expect(Math.abs(kept[750]! - 150_000)).toBeLessThan(5_000);
  });
});

describe('readTrainingSample (streamed, in-memory sources)', () => {
  it('reads JSON Lines, counting and skipping malformed lines without failing', async () => {
    // GIVEN good records mixed with broken JSON, non-objects, blank lines and CRLF
    const text = ['{"amount": 12.5, "currency": "EUR", "extra": 1}', 'not json', '[1,2]', '', '{"amount": null}', '"str"', '{"amount": "7", "currency": true}\r', '{"currency": {"nested": 1}}', '{"amount": 3'].join('\n');
    // WHEN
    const r = await readTrainingSample(chunks(text), { format: 'jsonl', features: FEATURES, capacity: 100, seed: 's' });
    // THEN
    expect(r.totalRecords).toBe(4);
    expect(r.malformedRecords).toBe(4);
    expect(r.sampledRecords).toBe(4);
    expect(r.columns).toEqual({ amount: [12.5, null, '7', null], currency: ['EUR', null, true, null] });
  });

  it('reads CSV with a header (empty field = missing), skipping rows with the wrong width or broken quotes', async () => {
    const text = '\ufeffid,currency,amount\n1,EUR,12.5\n2,"US,D",\n3,,7\n4,GBP\n5,"bad"x,1\n6,"multi\nline",2\n';
    const r = await readTrainingSample(chunks(text), { format: 'csv', features: FEATURES, capacity: 100, seed: 's' });
    expect(r.columns).toEqual({ amount: ['12.5', null, '7', '2'], currency: ['EUR', 'US,D', null, 'multi\nline'] });
    expect(r.malformedRecords).toBe(2);
    expect(r.totalRecords).toBe(4);
  });

  it('reads gzip (detected from the bytes), and refuses invalid UTF-8 and a CSV without a header', async () => {
    const gz = gzipSync(Buffer.from('{"amount":1,"currency":"EUR"}\n{"amount":2,"currency":"USD"}\n'));
    const r = await readTrainingSample(chunks(gz, 5), { format: 'jsonl', features: FEATURES, capacity: 10, seed: 's' });
    expect(r.columns).toEqual({ amount: [1, 2], currency: ['EUR', 'USD'] });
    await expect(readTrainingSample(chunks(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), { format: 'jsonl', features: FEATURES, capacity: 10, seed: 's' })).rejects.toThrow(SampleUnreadableError);
    await expect(readTrainingSample(chunks(''), { format: 'csv', features: FEATURES, capacity: 10, seed: 's' })).rejects.toThrow(/empty/);
  });

  it('reports a feature the sample does not have at all (no key in any record, no CSV column) as absent, not as all-missing', async () => {
    // GIVEN samples without "currency": a CSV without the column, JSON Lines without the key in any valid record
    const csv = await readTrainingSample(chunks('amount,other\n1,2\n3,4\n'), { format: 'csv', features: FEATURES, capacity: 10, seed: 's' });
    const jsonl = await readTrainingSample(chunks('{"amount":1}\n{"amount":2}\nnot json {"currency":"EUR"}\n'), { format: 'jsonl', features: FEATURES, capacity: 10, seed: 's' });
    // THEN currency is absent from both (a malformed line that mentions it does not count)
    expect(csv.absentFeatures).toEqual(['currency']);
    expect(jsonl.absentFeatures).toEqual(['currency']);
    expect(csv.columns.amount).toEqual(['1', '3']);
    // AND a key that is present but null in every record is a feature that was always missing: not absent
    const nulls = await readTrainingSample(chunks('{"amount":1,"currency":null}\n{"amount":2,"currency":null}\n'), { format: 'jsonl', features: FEATURES, capacity: 10, seed: 's' });
    expect(nulls.absentFeatures).toEqual([]);
    expect(nulls.columns.currency).toEqual([null, null]);
  });

  it('streams a sample larger than MAX records into exactly MAX, reproducibly', async () => {
    // GIVEN 100 000 lines produced lazily, one chunk at a time
    async function* lines(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 100_000; i += 1000) {
        let s = '';
        for (let j = i; j < i + 1000; j++) s += `{"amount":${j},"currency":"c${j % 7}"}\n`;
        yield Buffer.from(s);
      }
    }
    // WHEN read twice with a reservoir of 2000
    const a = await readTrainingSample(lines(), { format: 'jsonl', features: FEATURES, capacity: 2000, seed: 'arn:x' });
    const b = await readTrainingSample(lines(), { format: 'jsonl', features: FEATURES, capacity: 2000, seed: 'arn:x' });
    // THEN
    expect([a.totalRecords, a.sampledRecords, a.malformedRecords]).toEqual([100_000, 2000, 0]);
    expect(a.columns.amount).toHaveLength(2000);
    expect(b.columns).toEqual(a.columns);
    // the sampled rows stay intact (amount j goes with currency c(j % 7))
    a.columns.amount!.forEach((x, i) => expect(a.columns.currency![i]).toBe(`c${(x as number) % 7}`));
  });

  it('chooses the format from the key', () => {
    expect(sampleFormat('train/sample.csv')).toBe('csv');
    expect(sampleFormat('train/sample.CSV.gz')).toBe('csv');
    expect(sampleFormat('train/sample.jsonl')).toBe('jsonl');
    expect(sampleFormat('train/sample.json.gz')).toBe('jsonl');
    expect(parseS3Uri('s3://my-bucket/a/b.csv')).toEqual({ bucket: 'my-bucket', key: 'a/b.csv' });
    expect(parseS3Uri('https://x/y')).toBeUndefined();
    expect(parseS3Uri('s3://bucket')).toBeUndefined();
  });
});

describe('drift-baseline environment', () => {
  const models = JSON.stringify({ fraud: { endpointName: 'fraud-prod', features: [{ name: 'amount', type: 'numeric', bins: 20 }, { name: 'currency', type: 'categorical' }] } });

  it('reads MODELS and the defaults', () => {
    const c = loadConfig({ MODELS: models, BASELINE_BUCKET: 'b', TRAINING_SAMPLE_BUCKET: 't' });
    expect(c.models.get('fraud')).toEqual({ endpointName: 'fraud-prod', features: { amount: { type: 'numeric', bins: 20 }, currency: { type: 'categorical' } } });
    expect([c.baselinePrefix, c.maxSampleRecords, c.maxMalformedShare]).toEqual(['drift-baselines/', 100_000, 0.01]);
    expect(loadConfig({ MODELS: models, BASELINE_BUCKET: 'b', TRAINING_SAMPLE_BUCKET: 't', MAX_MALFORMED_SHARE: '0' }).maxMalformedShare).toBe(0);
  });

  it.each([
    ['MODELS not JSON', '{'],
    ['a feature name the drift query cannot read', JSON.stringify({ fraud: { endpointName: 'e', features: [{ name: 'a-b', type: 'numeric' }] } })],
    ['an unknown feature type', JSON.stringify({ fraud: { endpointName: 'e', features: [{ name: 'a', type: 'text' }] } })],
    ['no features', JSON.stringify({ fraud: { endpointName: 'e', features: [] } })],
    ['a duplicated feature', JSON.stringify({ fraud: { endpointName: 'e', features: [{ name: 'a', type: 'numeric' }, { name: 'a', type: 'categorical' }] } })],
    ['a bad endpoint name', JSON.stringify({ fraud: { endpointName: 'e_1', features: [{ name: 'a', type: 'numeric' }] } })],
    ['a bad pipeline name', JSON.stringify({ fraud: { endpointName: 'e', pipelineName: 'a/b', features: [{ name: 'a', type: 'numeric' }] } })],
  ])('rejects %s', (_what, raw) => {
    expect(() => parseModels(raw)).toThrow(DriftInputError);
  });

  it('rejects a bad MAX_SAMPLE_RECORDS, MAX_MALFORMED_SHARE or BASELINE_PREFIX, and a missing bucket', () => {
    expect(() => loadConfig({ MODELS: models, BASELINE_BUCKET: 'b', TRAINING_SAMPLE_BUCKET: 't', MAX_SAMPLE_RECORDS: '0' })).toThrow(/MAX_SAMPLE_RECORDS/);
    expect(() => loadConfig({ MODELS: models, BASELINE_BUCKET: 'b', TRAINING_SAMPLE_BUCKET: 't', BASELINE_PREFIX: 'no-slash' })).toThrow(/BASELINE_PREFIX/);
    for (const share of ['1', '1.5', '-0.1', 'x', '5%']) {
      expect(() => loadConfig({ MODELS: models, BASELINE_BUCKET: 'b', TRAINING_SAMPLE_BUCKET: 't', MAX_MALFORMED_SHARE: share })).toThrow(/MAX_MALFORMED_SHARE/);
    }
    expect(() => loadConfig({ MODELS: models })).toThrow(/BASELINE_BUCKET/);
    expect(() => loadConfig({ MODELS: models, BASELINE_BUCKET: 'b' })).toThrow(/TRAINING_SAMPLE_BUCKET/);
  });
});

const NOW = new Date('2026-11-21T12:00:00.000Z');
const MODELS = { fraud: { endpointName: 'fraud-prod', features: [{ name: 'amount', type: 'numeric' }, { name: 'currency', type: 'categorical' }] } };

function approvalEvent(arn: string, status = 'Approved', group = 'fraud'): Json {
  const version = Number(arn.split('/').pop());
  return {
    version: '0',
    id: 'evt-1',
    'detail-type': 'SageMaker Model Package State Change',
    source: 'aws.sagemaker',
    account: '123456789012',
    time: '2026-11-21T12:00:00Z',
    region: 'us-east-1',
    resources: [arn],
    detail: { ModelPackageGroupName: group, ModelPackageVersion: version, ModelPackageArn: arn, ModelApprovalStatus: status },
  };
}

function trainingRecords(n: number): Json[] {
  const out: Json[] = [];
  for (let i = 0; i < n; i++) out.push({ amount: (i * 37) % 1000, currency: ['EUR', 'USD', 'GBP'][i % 3], other: i });
  return out;
}

function emf(lines: string[]): Json[] {
  return lines.map((l) => JSON.parse(l) as Json).filter((o) => o._aws !== undefined);
}

function setEnv(env: Record<string, string>): void {
  process.env.MODELS = env.MODELS ?? JSON.stringify(MODELS);
  process.env.BASELINE_BUCKET = env.BASELINE_BUCKET ?? 'plinth-baselines';
  process.env.TRAINING_SAMPLE_BUCKET = env.TRAINING_SAMPLE_BUCKET ?? 'plinth-training';
  process.env.PLINTH_ENV = 'dev';
  if (env.MAX_SAMPLE_RECORDS) process.env.MAX_SAMPLE_RECORDS = env.MAX_SAMPLE_RECORDS;
}

function clearEnv(): void {
  for (const k of ['MODELS', 'BASELINE_BUCKET', 'TRAINING_SAMPLE_BUCKET', 'BASELINE_PREFIX', 'MAX_SAMPLE_RECORDS', 'PLINTH_ENV']) delete process.env[k];
}

describeWithMoto('drift-baseline handler (moto S3 + moto SageMaker)', (moto) => {
  const TRAIN = 'plinth-training';
  const OUT = 'plinth-baselines';
  let s3: S3Client;
  let sm: SageMakerClient;
  let lines: string[];
  let capture: ReturnType<typeof startCapture>;
  let groupSeq = 0;

  beforeAll(async () => {
    s3 = new S3Client(motoClientConfig(moto.endpoint));
    sm = new SageMakerClient(motoClientConfig(moto.endpoint));
    await s3.send(new CreateBucketCommand({ Bucket: TRAIN }));
    await s3.send(new CreateBucketCommand({ Bucket: OUT }));
  });
  beforeEach(() => {
    capture = startCapture();
    lines = capture.lines;
    routeTo(handlerClients.s3, s3);
    routeTo(handlerClients.sagemaker, sm);
    fakeDate(NOW.getTime());
    setEnv({});
  });
  afterEach(() => {
    capture.stop();
    expectMatchesGolden('plinth-drift-baseline', lines);
    unrouteAll();
    jest.restoreAllMocks();
    jest.useRealTimers();
    clearEnv();
  });

  /** A fresh group (named like MODELS expects, or `fraud` under another name) with one Approved package. */
  async function approvedPackage(properties: Record<string, string>, group = `fraud${++groupSeq}`): Promise<{ arn: string; group: string }> {
    await sm.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: group }));
    const res = await sm.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName: group,
        ModelApprovalStatus: 'Approved',
        ...(Object.keys(properties).length ? { CustomerMetadataProperties: properties } : {}),
        InferenceSpecification: {
          Containers: [{ Image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud:1' }],
          SupportedContentTypes: ['application/json'],
          SupportedResponseMIMETypes: ['application/json'],
        },
      }),
    );
    process.env.MODELS = JSON.stringify({ [group]: MODELS.fraud });
    return { arn: res.ModelPackageArn!, group };
  }

  async function readJson(bucket: string, key: string): Promise<unknown> {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await res.Body!.transformToString()) as unknown;
  }

  it('builds the baseline from the JSON Lines sample, writes versioned + current, and records it on the package', async () => {
    // GIVEN an approved package whose training sample has 500 records and 2 malformed lines
    const records = trainingRecords(500);
    const key = 'fraud/train-sample.jsonl';
    await s3.send(new PutObjectCommand({ Bucket: TRAIN, Key: key, Body: [...records.map((r) => JSON.stringify(r)), 'oops', '[]'].join('\n') }));
    const { arn, group } = await approvedPackage({ 'plinth:training-sample': `s3://${TRAIN}/${key}`, team: 'fraud-ml' });
    // WHEN the approval event arrives
    const res = await handler(approvalEvent(arn, 'Approved', group));
    // THEN
    const versionedKey = `drift-baselines/fraud-prod/${group}-v1.json`;
    expect(res).toEqual({
      status: 'built',
      endpointName: 'fraud-prod',
      trainingSample: `s3://${TRAIN}/${key}`,
      sampleDerivedFrom: 'package-metadata',
      baselineUri: `s3://${OUT}/${versionedKey}`,
      currentUri: `s3://${OUT}/drift-baselines/fraud-prod/current.json`,
      current: 'replaced',
      currentModelPackageArn: arn,
      sampledRecords: 500,
      totalRecords: 500,
      malformedRecords: 2,
      malformedShare: 2 / 502,
      unbaselined: [],
    });
    // AND both objects hold the baseline buildBaseline gives on the same records, plus its source
    const expected = buildBaseline(
      { amount: records.map((r) => r.amount as RawValue), currency: records.map((r) => r.currency as RawValue) },
      { features: { amount: { type: 'numeric' }, currency: { type: 'categorical' } }, createdAt: NOW },
    );
    const versioned = await readJson(OUT, versionedKey);
    // (the 2 malformed lines are recorded in the document: 2 of 502 is under the 1 % bound)
    expect(versioned).toEqual({ ...expected, source: { modelPackageArn: arn, trainingSample: `s3://${TRAIN}/${key}`, sampledRecords: 500, totalRecords: 500, malformedRecords: 2 } });
    expect(await readJson(OUT, 'drift-baselines/fraud-prod/current.json')).toEqual(versioned);
    // AND the drift job can read it back (parseBaseline accepts and returns the source)
    expect(parseBaseline(versioned).source).toMatchObject({ modelPackageArn: arn, malformedRecords: 2 });
    // AND the package carries the versioned URI next to its existing properties
    const described = await sm.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
    expect(described.CustomerMetadataProperties).toEqual({
      'plinth:training-sample': `s3://${TRAIN}/${key}`,
      team: 'fraud-ml',
      'plinth:drift-baseline': res.status === 'built' ? res.baselineUri : '',
    });
    // AND BaselineBuilt = 1 for the endpoint, with the malformed records it skipped (a metric, and a warn line)
    expect(emf(lines)).toEqual([expect.objectContaining({ Endpoint: 'fraud-prod', BaselineBuilt: 1, SampleRecordsMalformed: 2, FeaturesUnbaselined: 0, environment: 'dev' })]);
    const built = lines.map((l) => JSON.parse(l) as Json).find((l) => l.msg === 'drift baseline built')!;
    expect(built).toMatchObject({ level: 'warn', malformedRecords: 2, malformedShare: 2 / 502 });
  });

  it('current.json only moves forward: an older version approved (or retried) after a newer one leaves it on the newer', async () => {
    // GIVEN one group with three versions, each with its own training sample
    const group = `fraud${++groupSeq}`;
    await sm.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: group }));
    const arns: string[] = [];
    for (const v of [1, 2, 3]) {
      const key = `fraud/${group}-v${v}.jsonl`;
      await s3.send(new PutObjectCommand({ Bucket: TRAIN, Key: key, Body: trainingRecords(50 * v).map((r) => JSON.stringify(r)).join('\n') }));
      const res = await sm.send(
        new CreateModelPackageCommand({
          ModelPackageGroupName: group,
          ModelApprovalStatus: 'Approved',
          CustomerMetadataProperties: { 'plinth:training-sample': `s3://${TRAIN}/${key}` },
          InferenceSpecification: { Containers: [{ Image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud:1' }], SupportedContentTypes: ['application/json'], SupportedResponseMIMETypes: ['application/json'] },
        }),
      );
      arns.push(res.ModelPackageArn!);
    }
    process.env.MODELS = JSON.stringify({ [group]: MODELS.fraud });
    const currentSource = async () => parseBaseline(await readJson(OUT, 'drift-baselines/fraud-prod/current.json')).source?.modelPackageArn;
    // WHEN v2's approval is processed first
    expect(await handler(approvalEvent(arns[1]!, 'Approved', group))).toMatchObject({ status: 'built', current: 'replaced', currentModelPackageArn: arns[1] });
    expect(await currentSource()).toBe(arns[1]);
    // AND v1's approval arrives after it (out of order, or an old approval's retry)
    const late = await handler(approvalEvent(arns[0]!, 'Approved', group));
    // THEN v1 gets its versioned baseline, but current.json stays v2's (the old code moved it back to v1)
    expect(late).toMatchObject({ status: 'built', baselineUri: `s3://${OUT}/drift-baselines/fraud-prod/${group}-v1.json`, current: 'kept', currentModelPackageArn: arns[1] });
    expect(await currentSource()).toBe(arns[1]);
    expect(parseBaseline(await readJson(OUT, `drift-baselines/fraud-prod/${group}-v1.json`)).source?.modelPackageArn).toBe(arns[0]);
    const kept = lines.map((l) => JSON.parse(l) as Json).find((l) => l.msg === 'current.json holds a newer version: left alone');
    expect(kept).toMatchObject({ level: 'info', modelPackageArn: arns[0], currentModelPackageArn: arns[1] });
    // AND a newer version still moves it forward, and says which package it names
    expect(await handler(approvalEvent(arns[2]!, 'Approved', group))).toMatchObject({ status: 'built', current: 'replaced' });
    expect(await currentSource()).toBe(arns[2]);
    const head = await s3.send(new HeadObjectCommand({ Bucket: OUT, Key: 'drift-baselines/fraud-prod/current.json' }));
    expect(head.Metadata).toEqual({ 'plinth-model-package-arn': arns[2] });
  });

  it('samples a CSV training sample larger than MAX_SAMPLE_RECORDS down to MAX, reproducibly', async () => {
    // GIVEN 5000 CSV records and MAX_SAMPLE_RECORDS = 1000
    process.env.MAX_SAMPLE_RECORDS = '1000';
    const key = 'fraud/train.csv';
    const csv = ['other,amount,currency', ...trainingRecords(5000).map((r) => `${r.other as number},${r.amount as number},${r.currency as string}`)].join('\n');
    await s3.send(new PutObjectCommand({ Bucket: TRAIN, Key: key, Body: csv }));
    const { arn, group } = await approvedPackage({ 'plinth:training-sample': `s3://${TRAIN}/${key}` });
    // WHEN
    const res = await handler(approvalEvent(arn, 'Approved', group));
    // THEN
    expect(res).toMatchObject({ status: 'built', sampledRecords: 1000, totalRecords: 5000, malformedRecords: 0 });
    const baseline = parseBaseline(await readJson(OUT, `drift-baselines/fraud-prod/${group}-v1.json`));
    expect(baseline.features.amount!.total).toBe(1000);
    expect(baseline.source).toEqual({ modelPackageArn: arn, trainingSample: `s3://${TRAIN}/${key}`, sampledRecords: 1000, totalRecords: 5000, malformedRecords: 0 });
    // AND the sample is the reservoir seeded by the ARN (the same read gives the same baseline)
    const again = await readTrainingSample((await s3.send(new GetObjectCommand({ Bucket: TRAIN, Key: key }))).Body as AsyncIterable<Uint8Array>, {
      format: 'csv',
      features: ['amount', 'currency'],
      capacity: 1000,
      seed: arn,
    });
    expect(buildBaseline(again.columns, { features: { amount: { type: 'numeric' }, currency: { type: 'categorical' } }, createdAt: NOW }).features).toEqual(baseline.features);
  });

  it('a feature the sample does not have (a request-only field): built for the others, declared unbaselined in the document, the log and the metric', async () => {
    // GIVEN a CSV sample without the "amount" column
    const key = 'fraud/no-amount.csv';
    await s3.send(new PutObjectCommand({ Bucket: TRAIN, Key: key, Body: ['other,currency', ...trainingRecords(300).map((r) => `${r.other as number},${r.currency as string}`)].join('\n') }));
    const { arn, group } = await approvedPackage({ 'plinth:training-sample': `s3://${TRAIN}/${key}` });
    // WHEN
    const res = await handler(approvalEvent(arn, 'Approved', group));
    // THEN the baseline is built for currency, and says amount has none (not an all-missing amount)
    expect(res).toMatchObject({ status: 'built', totalRecords: 300, malformedRecords: 0, unbaselined: ['amount'] });
    const doc = await readJson(OUT, `drift-baselines/fraud-prod/${group}-v1.json`);
    const baseline = parseBaseline(doc);
    expect(Object.keys(baseline.features)).toEqual(['currency']);
    expect(baseline.unbaselined).toEqual({ amount: { type: 'numeric', reason: 'absent-from-training-sample' } });
    // AND the build is counted with the feature it could not baseline, and logged at warn
    expect(emf(lines)).toEqual([expect.objectContaining({ Endpoint: 'fraud-prod', BaselineBuilt: 1, FeaturesUnbaselined: 1, SampleRecordsMalformed: 0, unbaselined: ['amount'] })]);
    expect(lines.map((l) => JSON.parse(l) as Json).find((l) => l.msg === 'drift baseline built')).toMatchObject({ level: 'warn', unbaselined: ['amount'] });
  });

  it.each([
    ['no training-sample metadata', {}, /no CustomerMetadataProperties "plinth:training-sample"/],
    ['a training-sample that is not an s3 URI', { 'plinth:training-sample': 'https://example.com/x.csv' }, /not an s3:\/\/bucket\/key URI/],
    ['a training sample that does not exist', { 'plinth:training-sample': 's3://plinth-training/missing.jsonl' }, /does not exist as of the package's registration/],
    ['a training sample outside the platform\'s sample bucket', { 'plinth:training-sample': 's3://no-such-training-bucket/x.jsonl' }, /outside the platform's training-sample bucket plinth-training/],
    ['a training sample with no valid record', { 'plinth:training-sample': 's3://plinth-training/garbage.jsonl' }, /no valid record \(2 malformed\)/],
    ['a CSV sample with none of the drift features', { 'plinth:training-sample': 's3://plinth-training/wrong.csv' }, /has none of the drift features \(amount, currency\)/],
    ['a sample with more than 1 % malformed records', { 'plinth:training-sample': 's3://plinth-training/torn.jsonl' }, /2 malformed records of 101 read \(1\.98 % > MAX_MALFORMED_SHARE 1 %\).*not trusted/],
  ])('%s: error log + BaselineFailed, no throw, nothing written', async (_what, properties, reason) => {
    // GIVEN
    await s3.send(new PutObjectCommand({ Bucket: TRAIN, Key: 'garbage.jsonl', Body: 'a\nb\n' }));
    await s3.send(new PutObjectCommand({ Bucket: TRAIN, Key: 'wrong.csv', Body: 'x,y\n1,EUR\n' }));
    await s3.send(new PutObjectCommand({ Bucket: TRAIN, Key: 'torn.jsonl', Body: [...trainingRecords(99).map((r) => JSON.stringify(r)), '{"amount": 1, "curr', 'ency": "EUR"}'].join('\n') }));
    const { arn, group } = await approvedPackage(properties as Record<string, string>);
    // WHEN
    const res = await handler(approvalEvent(arn, 'Approved', group));
    // THEN
    expect(res.status).toBe('failed');
    expect(res.status === 'failed' && res.reason).toMatch(reason);
    expect(emf(lines)).toEqual([expect.objectContaining({ Endpoint: 'fraud-prod', BaselineFailed: 1 })]);
    expect(lines.map((l) => JSON.parse(l) as Json).some((l) => l.level === 'error' && l.service === 'plinth-drift-baseline')).toBe(true);
    const described = await sm.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
    expect(described.CustomerMetadataProperties?.['plinth:drift-baseline']).toBeUndefined();
  });

  it('reads the sample as it was when the package was registered: an overwrite after registration changes nothing (versioned bucket)', async () => {
    // GIVEN a versioned sample bucket, a sample, and a package registered after it
    const bucket = 'plinth-training-versioned';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    process.env.TRAINING_SAMPLE_BUCKET = bucket;
    const records = trainingRecords(200);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'fraud/sample.jsonl', Body: records.map((r) => JSON.stringify(r)).join('\n') }));
    const { arn, group } = await approvedPackage({ 'plinth:training-sample': `s3://${bucket}/fraud/sample.jsonl` });
    // WHEN the registrant overwrites the sample with one they shaped (S3 times are whole seconds) and the approval arrives
    await new Promise((r) => setTimeout(r, 1100));
    const shaped = trainingRecords(200).map((r) => ({ ...r, amount: 99_999 }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'fraud/sample.jsonl', Body: shaped.map((r) => JSON.stringify(r)).join('\n') }));
    const res = await handler(approvalEvent(arn, 'Approved', group));
    // THEN the baseline is the registered sample's
    expect(res).toMatchObject({ status: 'built', totalRecords: 200 });
    const expected = buildBaseline(
      { amount: records.map((r) => r.amount as RawValue), currency: records.map((r) => r.currency as RawValue) },
      { features: { amount: { type: 'numeric' }, currency: { type: 'categorical' } }, createdAt: NOW },
    );
    expect(parseBaseline(await readJson(OUT, `drift-baselines/fraud-prod/${group}-v1.json`)).features).toEqual(expected.features);
  });

  it('refuses a sample first written after the package was registered', async () => {
    const bucket = 'plinth-training-late';
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    process.env.TRAINING_SAMPLE_BUCKET = bucket;
    const { arn, group } = await approvedPackage({ 'plinth:training-sample': `s3://${bucket}/late.jsonl` });
    await new Promise((r) => setTimeout(r, 1100));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'late.jsonl', Body: JSON.stringify({ amount: 1, currency: 'EUR' }) }));
    const res = await handler(approvalEvent(arn, 'Approved', group));
    expect(res).toMatchObject({ status: 'failed', reason: expect.stringMatching(/does not exist as of the package's registration .*write the sample before registering/) as unknown });
  });

  it('a group that is not in MODELS: BaselineFailed on the ModelPackageGroup dimension, no AWS call', async () => {
    process.env.MODELS = JSON.stringify(MODELS);
    const res = await handler(approvalEvent('arn:aws:sagemaker:us-east-1:123456789012:model-package/churn/4', 'Approved', 'churn'));
    expect(res).toMatchObject({ status: 'failed', reason: expect.stringMatching(/churn is not in MODELS/) as unknown });
    expect(emf(lines)).toEqual([expect.objectContaining({ ModelPackageGroup: 'churn', BaselineFailed: 1 })]);
  });

  it('an event that is not an approval event: BaselineFailed, no throw; a Rejected event: skipped', async () => {
    expect(await handler({ source: 'aws.sagemaker', 'detail-type': 'Something else' })).toMatchObject({ status: 'failed' });
    expect(emf(lines)).toEqual([expect.objectContaining({ ModelPackageGroup: 'unknown', BaselineFailed: 1 })]);
    lines.length = 0;
    expect(await handler(approvalEvent('arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud/2', 'Rejected'))).toMatchObject({ status: 'skipped' });
    expect(emf(lines)).toEqual([]);
  });

  it('propagates AWS errors (the asynchronous invoke retries): a package SageMaker does not know', async () => {
    await expect(handler(approvalEvent('arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud/999'))).rejects.toMatchObject({ name: 'ValidationException' });
  });

  it('rejects a malformed environment (throws DriftInputError: the function errors)', async () => {
    process.env.MODELS = '{';
    await expect(handler(approvalEvent('arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud/1'))).rejects.toThrow(DriftInputError);
  });
});

describe('drift-baseline handler (SageMaker mocked with aws-sdk-client-mock: states moto cannot produce)', () => {
  const ARN = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud/3';
  const smMock = mockClient(handlerClients.sagemaker);
  const s3Mock = mockClient(handlerClients.s3);
  let lines: string[];
  let capture: ReturnType<typeof startCapture>;

  beforeEach(() => {
    smMock.reset();
    s3Mock.reset();
    capture = startCapture();
    lines = capture.lines;
    setEnv({ TRAINING_SAMPLE_BUCKET: 'plinth-artifacts' });
  });
  afterEach(() => {
    capture.stop();
    expectMatchesGolden('plinth-drift-baseline', lines);
    clearEnv();
  });
  afterAll(() => {
    smMock.restore();
    s3Mock.restore();
    expectGoldenCovered('plinth-drift-baseline');
  });

  describe('current.json under concurrent approvals (S3 answers the conditional write with 412)', () => {
    const v = (n: number) => `arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud/${n}`;
    const CURRENT = 'drift-baselines/fraud-prod/current.json';
    const notFound = () => Object.assign(new Error('Not Found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
    const preconditionFailed = () => Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
    beforeEach(() => {
      smMock.on(DescribeModelPackageCommand).resolves({
        ModelApprovalStatus: 'Approved',
        CreationTime: new Date('2026-11-21T11:00:00Z'),
        CustomerMetadataProperties: { 'plinth:training-sample': 's3://plinth-artifacts/samples/k.jsonl' },
      });
      smMock.on(UpdateModelPackageCommand).resolves({});
      s3Mock.on(ListObjectVersionsCommand).resolves({ Versions: [{ Key: 'samples/k.jsonl', VersionId: 'v1', LastModified: new Date('2026-11-21T10:00:00Z') }] });
      s3Mock.on(GetObjectCommand).callsFake(async () => ({ Body: chunks(trainingRecords(20).map((r) => JSON.stringify(r)).join('\n')) }));
      // This version's own baseline object does not exist yet
      s3Mock.on(HeadObjectCommand, { Key: 'drift-baselines/fraud-prod/fraud-v3.json' }).rejects(notFound());
    });
    const currentPuts = () => s3Mock.commandCalls(PutObjectCommand).filter((c) => c.args[0].input.Key === CURRENT).map((c) => c.args[0].input);

    it('a newer version written between the read and the write wins: the 412 makes this run read again and leave it', async () => {
      // GIVEN current.json holds v2; between this run's read and its write, v4's approval replaces it
      s3Mock.on(HeadObjectCommand, { Key: CURRENT })
        .resolvesOnce({ ETag: '"v2-etag"', Metadata: { 'plinth-model-package-arn': v(2) } })
        .resolves({ ETag: '"v4-etag"', Metadata: { 'plinth-model-package-arn': v(4) } });
      s3Mock.on(PutObjectCommand, { Key: CURRENT }).rejects(preconditionFailed());
      s3Mock.on(PutObjectCommand, { Key: 'drift-baselines/fraud-prod/fraud-v3.json' }).resolves({});
      // WHEN v3's approval is processed
      const res = await handler(approvalEvent(ARN));
      // THEN its write was conditional on the v2 object it read, lost, and after reading v4 it wrote nothing more
      expect(res).toMatchObject({ status: 'built', current: 'kept', currentModelPackageArn: v(4) });
      expect(currentPuts()).toEqual([expect.objectContaining({ IfMatch: '"v2-etag"', Metadata: { 'plinth-model-package-arn': ARN } })]);
      expect(currentPuts()[0]).not.toHaveProperty('IfNoneMatch');
      // AND the versioned baseline is still written
      expect(s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key)).toEqual([CURRENT, 'drift-baselines/fraud-prod/fraud-v3.json']);
    });

    it('the first write is If-None-Match; losing it to an older version, the run reads again and replaces that one conditionally', async () => {
      // GIVEN no current.json; v1's approval creates one between this run's read and its write
      s3Mock.on(HeadObjectCommand, { Key: CURRENT }).rejectsOnce(notFound()).resolves({ ETag: '"v1-etag"', Metadata: { 'plinth-model-package-arn': v(1) } });
      s3Mock.on(PutObjectCommand, { Key: CURRENT, IfNoneMatch: '*' }).rejects(preconditionFailed());
      s3Mock.on(PutObjectCommand, { Key: CURRENT, IfMatch: '"v1-etag"' }).resolves({});
      s3Mock.on(PutObjectCommand, { Key: 'drift-baselines/fraud-prod/fraud-v3.json' }).resolves({});
      const res = await handler(approvalEvent(ARN));
      expect(res).toMatchObject({ status: 'built', current: 'replaced', currentModelPackageArn: ARN });
      expect(currentPuts().map((p) => ({ IfNoneMatch: p.IfNoneMatch, IfMatch: p.IfMatch }))).toEqual([
        { IfNoneMatch: '*', IfMatch: undefined },
        { IfNoneMatch: undefined, IfMatch: '"v1-etag"' },
      ]);
      expect(lines.map((l) => JSON.parse(l) as Json).filter((l) => l.msg === 'current.json changed while it was written: read again')).toHaveLength(1);
    });

    it('a current.json written before the metadata is ordered by the package its body names', async () => {
      // GIVEN a current.json without metadata whose baseline is v5's
      s3Mock.on(HeadObjectCommand, { Key: CURRENT }).resolves({ ETag: '"legacy"' });
      s3Mock.on(GetObjectCommand, { Key: CURRENT }).resolves({ ETag: '"legacy"', Body: chunks(JSON.stringify({ source: { modelPackageArn: v(5) } })) as never });
      s3Mock.on(PutObjectCommand).resolves({});
      expect(await handler(approvalEvent(ARN))).toMatchObject({ status: 'built', current: 'kept', currentModelPackageArn: v(5) });
      expect(currentPuts()).toEqual([]);
    });

    it('keeps losing the race: fails after CURRENT_WRITE_ATTEMPTS (the invoke is retried), versioned object not written', async () => {
      s3Mock.on(HeadObjectCommand, { Key: CURRENT }).resolves({ ETag: '"v2-etag"', Metadata: { 'plinth-model-package-arn': v(2) } });
      s3Mock.on(PutObjectCommand).rejects(preconditionFailed());
      await expect(handler(approvalEvent(ARN))).rejects.toThrow(/5 conditional writes lost to concurrent approvals/);
      expect(currentPuts()).toHaveLength(5);
      expect(s3Mock.commandCalls(PutObjectCommand).filter((c) => c.args[0].input.Key !== CURRENT)).toEqual([]);
    });
  });

  it('does nothing for a package that already has its drift baseline (a replayed approval or the metadata update event)', async () => {
    const own = 's3://plinth-baselines/drift-baselines/fraud-prod/fraud-v3.json';
    smMock.on(DescribeModelPackageCommand).resolves({
      ModelApprovalStatus: 'Approved',
      CustomerMetadataProperties: { 'plinth:training-sample': 's3://t/k.jsonl', 'plinth:drift-baseline': own },
    });
    s3Mock.on(HeadObjectCommand).resolves({});
    const res = await handler(approvalEvent(ARN));
    expect(res).toEqual({ status: 'skipped', reason: `already built: ${own}` });
    // only the existence check of the baseline object it names
    expect(s3Mock.calls().map((c) => c.args[0].constructor.name)).toEqual(['HeadObjectCommand']);
    expect(smMock.commandCalls(UpdateModelPackageCommand)).toHaveLength(0);
    expect(emf(lines)).toEqual([]);
  });

  it('never skips because of a plinth:drift-baseline the job did not write: a foreign URI, or its own URI with no object behind it', async () => {
    for (const claimed of ['s3://attacker-bucket/fake-baseline.json', 's3://plinth-baselines/drift-baselines/fraud-prod/fraud-v3.json']) {
      s3Mock.reset();
      smMock.on(DescribeModelPackageCommand).resolves({
        ModelApprovalStatus: 'Approved',
        CreationTime: new Date('2026-11-21T11:00:00Z'),
        CustomerMetadataProperties: { 'plinth:training-sample': 's3://plinth-artifacts/samples/k.jsonl', 'plinth:drift-baseline': claimed },
      });
      s3Mock.on(ListObjectVersionsCommand).resolves({ Versions: [{ Key: 'samples/k.jsonl', VersionId: 'v1', LastModified: new Date('2026-11-21T10:00:00Z') }] });
      s3Mock.on(HeadObjectCommand).rejects(Object.assign(new Error('Not Found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }));
      s3Mock.on(GetObjectCommand).rejects(Object.assign(new Error('no such key'), { name: 'NoSuchKey' }));
      // WHEN the approval arrives THEN the job goes on to read the training sample instead of skipping
      const res = await handler(approvalEvent(ARN));
      expect(res).toMatchObject({ status: 'failed', reason: expect.stringContaining('training sample s3://plinth-artifacts/samples/k.jsonl does not exist') });
      expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(1);
    }
  });

  it('does nothing for a package that is no longer approved when described', async () => {
    smMock.on(DescribeModelPackageCommand).resolves({ ModelApprovalStatus: 'Rejected', CustomerMetadataProperties: { 'plinth:training-sample': 's3://t/k.jsonl' } });
    expect(await handler(approvalEvent(ARN))).toEqual({ status: 'skipped', reason: 'status Rejected' });
    expect(s3Mock.calls()).toHaveLength(0);
  });
});
