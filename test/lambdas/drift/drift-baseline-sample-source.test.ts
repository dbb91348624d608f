/**
 * Finding 9 of #20: the data scientist must not shape the drift baseline through package metadata.
 *  - resolveTrainingSample (pure decision, the ListPipelineExecutionSteps pages given as data);
 *  - the handler end to end with the S3 and SageMaker clients mocked at class level
 *    (aws-sdk-client-mock): which object it reads, what it writes, and that it never skips
 *    because of metadata the registrant set. On the code before the fix, the handler read
 *    "plinth:training-sample" whatever the package's lineage, and skipped for a pre-set
 *    "plinth:drift-baseline" that named the existing object without checking who made it.
 */

import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, ListObjectVersionsCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import {
  DescribeModelPackageCommand,
  type DescribeModelPackageCommandOutput,
  ListPipelineExecutionStepsCommand,
  type ListPipelineExecutionStepsCommandOutput,
  SageMakerClient,
  UpdateModelPackageCommand,
} from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../../lambdas/drift-baseline/index';
import { PIPELINE_OUTPUTS_PREFIX as HANDLER_PREFIX, resolveTrainingSample, SampleSourceError, type DescribedPackage } from '../../../lambdas/drift-baseline/sample-source';
import { buildBaseline } from '../../../lambdas/drift-stats/baseline';
import type { RawValue } from '../../../lambdas/drift-stats/statistics';
import { PIPELINE_OUTPUTS_PREFIX } from '../../../lib/model-registry/model-registry';

const ACCOUNT = '123456789012';
const PIPELINE = 'plinth-dev-fraud-training';
const EXECUTION = `arn:aws:sagemaker:us-east-1:${ACCOUNT}:pipeline/${PIPELINE}/execution/k1q2w3e4r5t6`;
const ARN = `arn:aws:sagemaker:us-east-1:${ACCOUNT}:model-package/fraud/7`;
const SAMPLES = 'plinth-artifacts';
const PIPELINE_DIR = `s3://${SAMPLES}/evaluations/fraud/k1q2w3e4r5t6/evaluation`;
const PIPELINE_SAMPLE = `${PIPELINE_DIR}/training-sample.jsonl`;
/** Where a registrant would like the baseline to come from: same bucket, a key they can write. */
const SHAPED_SAMPLE = `s3://${SAMPLES}/scratch/shaped.csv`;

/** What the pipeline's RegisterModel step leaves on the package. */
function pipelinePackage(extra: Record<string, string> = {}): DescribedPackage & Partial<DescribeModelPackageCommandOutput> {
  return {
    CreationTime: new Date('2026-12-04T11:00:00Z'),
    MetadataProperties: { GeneratedBy: EXECUTION },
    ModelMetrics: { ModelQuality: { Statistics: { ContentType: 'application/json', S3Uri: `${PIPELINE_DIR}/evaluation.json` } } },
    CustomerMetadataProperties: { 'plinth:training-sample': PIPELINE_SAMPLE, 'plinth:pipeline-execution': EXECUTION, ...extra },
  };
}

function steps(...registered: (string | undefined)[]): ListPipelineExecutionStepsCommandOutput {
  return {
    $metadata: {},
    PipelineExecutionSteps: registered.map((arn, i) => ({
      StepName: `Step${i}`,
      StepStatus: 'Succeeded',
      Metadata: arn === undefined ? { ProcessingJob: { Arn: `arn:aws:sagemaker:us-east-1:${ACCOUNT}:processing-job/p${i}` } } : { RegisterModel: { Arn: arn } },
    })),
  };
}

describe('resolveTrainingSample', () => {
  const base = { modelPackageArn: ARN, pipelineName: PIPELINE, sampleBucket: SAMPLES };
  const oneExecution = (registered: string) => (arn: string) =>
    arn === EXECUTION ? Promise.resolve(steps(undefined, registered)) : Promise.reject(Object.assign(new Error('no such execution'), { name: 'ResourceNotFound' }));

  it('a package its pipeline registered: the sample the evaluation step wrote, whatever plinth:training-sample says', async () => {
    // GIVEN the pipeline's package, whose plinth:training-sample the registrant rewrote to a sample they shaped
    const described = pipelinePackage({ 'plinth:training-sample': SHAPED_SAMPLE });
    // WHEN
    const source = await resolveTrainingSample({ ...base, described, listSteps: oneExecution(ARN) });
    // THEN
    expect(source).toEqual({
      uri: PIPELINE_SAMPLE,
      bucket: SAMPLES,
      key: 'evaluations/fraud/k1q2w3e4r5t6/evaluation/training-sample.jsonl',
      derivedFrom: 'pipeline',
      pipelineExecutionArn: EXECUTION,
    });
  });

  it('decides by GeneratedBy alone: a rewritten plinth:pipeline-execution changes nothing, and cannot make a hand-registered package look like the pipeline\'s', async () => {
    const rewritten = pipelinePackage({ 'plinth:pipeline-execution': EXECUTION.replace('k1q2', 'x9x9') });
    expect(await resolveTrainingSample({ ...base, described: rewritten, listSteps: oneExecution(ARN) })).toMatchObject({ uri: PIPELINE_SAMPLE, derivedFrom: 'pipeline' });
    const never = (): Promise<ListPipelineExecutionStepsCommandOutput> => Promise.reject(new Error('must not be called'));
    const handMade = { CustomerMetadataProperties: { 'plinth:pipeline-execution': EXECUTION, 'plinth:training-sample': SHAPED_SAMPLE } };
    expect(await resolveTrainingSample({ ...base, described: handMade, listSteps: never })).toMatchObject({ uri: SHAPED_SAMPLE, derivedFrom: 'package-metadata' });
  });

  it('finds the RegisterModel step on a later page', async () => {
    const pages: Record<string, ListPipelineExecutionStepsCommandOutput> = { first: { ...steps(undefined, undefined), NextToken: 't2' }, t2: steps(ARN) };
    const source = await resolveTrainingSample({ ...base, described: pipelinePackage(), listSteps: (_arn, token) => Promise.resolve(pages[token ?? 'first']!) });
    expect(source.derivedFrom).toBe('pipeline');
  });

  it.each([
    ['an execution that registered another package', { listSteps: oneExecution(`arn:aws:sagemaker:us-east-1:${ACCOUNT}:model-package/fraud/6`) }, pipelinePackage(), /pipeline execution .* which did not register it/],
    ['an execution that does not exist', { listSteps: oneExecution(ARN) }, { ...pipelinePackage(), MetadataProperties: { GeneratedBy: EXECUTION.replace('k1q2w3e4r5t6', 'zzzz') }, CustomerMetadataProperties: {} }, /did not register it/],
    ['a pipeline package without its evaluation report', { listSteps: oneExecution(ARN) }, { ...pipelinePackage(), ModelMetrics: {} }, /no ModelQuality report/],
    [
      'a pipeline report outside the pipeline outputs prefix',
      { listSteps: oneExecution(ARN) },
      { ...pipelinePackage(), ModelMetrics: { ModelQuality: { Statistics: { S3Uri: `s3://${SAMPLES}/scratch/evaluation.json` } } } },
      /not under evaluations\//,
    ],
  ])('refuses %s (a claim SageMaker does not confirm is forged lineage)', async (_what, deps, described, reason) => {
    await expect(resolveTrainingSample({ ...base, ...deps, described })).rejects.toThrow(reason);
    await expect(resolveTrainingSample({ ...base, ...deps, described })).rejects.toBeInstanceOf(SampleSourceError);
  });

  it('a hand-registered package (no pipeline claim, or one of another pipeline): its plinth:training-sample, only inside the sample bucket', async () => {
    const never = (): Promise<ListPipelineExecutionStepsCommandOutput> => Promise.reject(new Error('must not be called'));
    const other = EXECUTION.replace(PIPELINE, 'someone-elses-pipeline');
    for (const MetadataProperties of [undefined, { GeneratedBy: other }]) {
      const described = { ...(MetadataProperties ? { MetadataProperties } : {}), CustomerMetadataProperties: { 'plinth:training-sample': SHAPED_SAMPLE } };
      expect(await resolveTrainingSample({ ...base, described, listSteps: never })).toEqual({ uri: SHAPED_SAMPLE, bucket: SAMPLES, key: 'scratch/shaped.csv', derivedFrom: 'package-metadata' });
    }
    const outside = { CustomerMetadataProperties: { 'plinth:training-sample': 's3://attacker-bucket/sample.csv' } };
    await expect(resolveTrainingSample({ ...base, described: outside, listSteps: never })).rejects.toThrow(/outside the platform's training-sample bucket plinth-artifacts/);
    await expect(resolveTrainingSample({ ...base, described: {}, listSteps: never })).rejects.toThrow(/no CustomerMetadataProperties "plinth:training-sample"/);
  });

  it('propagates AWS errors other than not-found (the invoke is retried)', async () => {
    const throttled = () => Promise.reject(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    await expect(resolveTrainingSample({ ...base, described: pipelinePackage(), listSteps: throttled })).rejects.toMatchObject({ name: 'ThrottlingException' });
  });

  it('uses the prefix the registry denies to human roles', () => {
    // The handler cannot import lib/; its copy must stay equal to the registry's.
    expect(PIPELINE_DIR.replace(`s3://${SAMPLES}/`, '').startsWith(PIPELINE_OUTPUTS_PREFIX)).toBe(true);
    expect(HANDLER_PREFIX).toBe(PIPELINE_OUTPUTS_PREFIX);
  });
});

describe('drift-baseline handler: the sample and the skip are the platform\'s decision', () => {
  const s3Mock = mockClient(S3Client);
  const smMock = mockClient(SageMakerClient);
  const features = { amount: { type: 'numeric' as const }, currency: { type: 'categorical' as const } };
  const rows = (n: number, shift: number) => Array.from({ length: n }, (_, i) => [(i * 37) % 1000 + shift, ['EUR', 'USD', 'GBP'][i % 3]!] as const);
  const csv = (r: readonly (readonly [number, string])[]) => ['amount,currency', ...r.map(([a, c]) => `${a},${c}`)].join('\n');
  const jsonl = (r: readonly (readonly [number, string])[]) => r.map(([amount, currency]) => JSON.stringify({ amount, currency })).join('\n');
  const PIPELINE_ROWS = rows(300, 0);
  const SHAPED_ROWS = rows(300, 5000);
  const objects: Record<string, string> = {
    'evaluations/fraud/k1q2w3e4r5t6/evaluation/training-sample.jsonl': jsonl(PIPELINE_ROWS),
    'scratch/shaped.csv': csv(SHAPED_ROWS),
  };
  const approval = {
    version: '0',
    id: 'evt-9',
    'detail-type': 'SageMaker Model Package State Change',
    source: 'aws.sagemaker',
    account: ACCOUNT,
    time: '2026-12-04T12:00:00Z',
    region: 'us-east-1',
    resources: [ARN],
    detail: { ModelPackageGroupName: 'fraud', ModelPackageVersion: 7, ModelPackageArn: ARN, ModelApprovalStatus: 'Approved' },
  };
  const OWN = 's3://plinth-baselines/drift-baselines/fraud-prod/fraud-v7.json';

  beforeEach(() => {
    s3Mock.reset();
    smMock.reset();
    process.env.MODELS = JSON.stringify({ fraud: { endpointName: 'fraud-prod', pipelineName: PIPELINE, features: [{ name: 'amount', type: 'numeric' }, { name: 'currency', type: 'categorical' }] } });
    process.env.BASELINE_BUCKET = 'plinth-baselines';
    process.env.TRAINING_SAMPLE_BUCKET = SAMPLES;
    s3Mock.on(HeadObjectCommand).rejects(Object.assign(new Error('Not Found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }));
    s3Mock.on(GetObjectCommand).callsFake((input: { Bucket: string; Key: string }) => {
      const body = input.Bucket === SAMPLES ? objects[input.Key] : undefined;
      if (body === undefined) throw Object.assign(new Error('no such key'), { name: 'NoSuchKey' });
      return { Body: Readable.from([Buffer.from(body)]) as never };
    });
    s3Mock.on(PutObjectCommand).resolves({});
    s3Mock.on(ListObjectVersionsCommand).callsFake((input: { Bucket: string; Prefix: string }) => ({
      Versions: input.Bucket === SAMPLES && objects[input.Prefix] !== undefined ? [{ Key: input.Prefix, VersionId: 'v1', LastModified: new Date('2026-12-04T10:00:00Z') }] : [],
    }));
    smMock.on(UpdateModelPackageCommand).resolves({ ModelPackageArn: ARN });
    smMock.on(ListPipelineExecutionStepsCommand, { PipelineExecutionArn: EXECUTION }).resolves(steps(undefined, ARN));
  });
  afterEach(() => {
    for (const k of ['MODELS', 'BASELINE_BUCKET', 'TRAINING_SAMPLE_BUCKET']) delete process.env[k];
  });
  afterAll(() => {
    s3Mock.restore();
    smMock.restore();
  });

  function written(key: string): { features: unknown; source: unknown } {
    const put = s3Mock.commandCalls(PutObjectCommand).find((c) => c.args[0].input.Key === key);
    if (!put) throw new Error(`nothing written to ${key}`);
    return JSON.parse(put.args[0].input.Body as string) as { features: unknown; source: unknown };
  }

  it('builds a pipeline package\'s baseline from the pipeline\'s sample, not the one its metadata names', async () => {
    // GIVEN the pipeline's package, whose plinth:training-sample the data scientist pointed at a sample they shaped
    smMock.on(DescribeModelPackageCommand).resolves({ ModelApprovalStatus: 'Approved', ...pipelinePackage({ 'plinth:training-sample': SHAPED_SAMPLE }) });
    // WHEN
    const res = await handler(approval);
    // THEN the baseline is the pipeline sample's, to the bin
    expect(res).toMatchObject({ status: 'built', trainingSample: PIPELINE_SAMPLE, sampleDerivedFrom: 'pipeline', totalRecords: 300 });
    const expected = buildBaseline(
      { amount: PIPELINE_ROWS.map(([a]) => a as RawValue), currency: PIPELINE_ROWS.map(([, c]) => c as RawValue) },
      { features },
    );
    const versioned = written('drift-baselines/fraud-prod/fraud-v7.json');
    expect(versioned.features).toEqual(expected.features);
    expect(versioned.source).toMatchObject({ trainingSample: PIPELINE_SAMPLE });
    expect(s3Mock.commandCalls(GetObjectCommand).map((c) => [c.args[0].input.Key, c.args[0].input.VersionId])).toEqual([['evaluations/fraud/k1q2w3e4r5t6/evaluation/training-sample.jsonl', 'v1']]);
  });

  it('a package an older evaluation step registered (only training-sample.csv, Python-formatted): refused with the reason, never read', async () => {
    // GIVEN the pipeline's package whose folder holds only the legacy CSV sample
    const jsonlKey = 'evaluations/fraud/k1q2w3e4r5t6/evaluation/training-sample.jsonl';
    const legacyKey = 'evaluations/fraud/k1q2w3e4r5t6/evaluation/training-sample.csv';
    const saved = objects[jsonlKey]!;
    delete objects[jsonlKey];
    objects[legacyKey] = csv(PIPELINE_ROWS);
    try {
      smMock.on(DescribeModelPackageCommand).resolves({ ModelApprovalStatus: 'Approved', ...pipelinePackage() });
      // WHEN
      const res = await handler(approval);
      // THEN BaselineFailed says why and what to do; the CSV is never read and nothing is written
      expect(res).toMatchObject({ status: 'failed', reason: expect.stringMatching(/training-sample\.jsonl does not exist.*training-sample\.csv, which is not read.*retrain/) as unknown });
      expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
      expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    } finally {
      objects[jsonlKey] = saved;
      delete objects[legacyKey];
    }
  });

  it('refuses (BaselineFailed, nothing written) a package that claims the pipeline\'s lineage the pipeline does not confirm', async () => {
    // GIVEN a hand-registered package copying the pipeline's GeneratedBy, with a shaped sample
    smMock.on(ListPipelineExecutionStepsCommand, { PipelineExecutionArn: EXECUTION }).resolves(steps(undefined, ARN.replace(/7$/, '6')));
    smMock.on(DescribeModelPackageCommand).resolves({ ModelApprovalStatus: 'Approved', ...pipelinePackage({ 'plinth:training-sample': SHAPED_SAMPLE }) });
    // WHEN
    const res = await handler(approval);
    // THEN
    expect(res).toMatchObject({ status: 'failed', reason: expect.stringContaining('did not register it') as unknown });
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('refuses a hand-registered package whose sample lies outside the platform\'s sample bucket (not an AccessDenied retried to the DLQ)', async () => {
    smMock.on(DescribeModelPackageCommand).resolves({ ModelApprovalStatus: 'Approved', CustomerMetadataProperties: { 'plinth:training-sample': 's3://attacker-bucket/x.csv' } });
    const res = await handler(approval);
    expect(res).toMatchObject({ status: 'failed', reason: expect.stringContaining('outside the platform\'s training-sample bucket') as unknown });
    expect(s3Mock.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  it('a pre-set plinth:drift-baseline naming the job\'s own URI does not make it skip: the object is what counts', async () => {
    // GIVEN the registrant pre-set the exact URI the job would write, before any baseline exists
    smMock.on(DescribeModelPackageCommand).resolves({ ModelApprovalStatus: 'Approved', ...pipelinePackage({ 'plinth:drift-baseline': OWN }) });
    // WHEN
    const res = await handler(approval);
    // THEN it builds (the object did not exist) and writes current, then versioned (last: it marks the version done)
    expect(res).toMatchObject({ status: 'built', baselineUri: OWN });
    expect(s3Mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key)).toEqual(['drift-baselines/fraud-prod/current.json', 'drift-baselines/fraud-prod/fraud-v7.json']);
  });

  it('skips when the versioned object exists, whatever the metadata says, and puts a wrong plinth:drift-baseline right', async () => {
    s3Mock.on(HeadObjectCommand).resolves({});
    for (const claimed of [undefined, 's3://attacker-bucket/fake.json', OWN]) {
      smMock.resetHistory();
      s3Mock.resetHistory();
      smMock.on(DescribeModelPackageCommand).resolves({ ModelApprovalStatus: 'Approved', ...pipelinePackage(claimed ? { 'plinth:drift-baseline': claimed } : {}) });
      expect(await handler(approval)).toEqual({ status: 'skipped', reason: `already built: ${OWN}` });
      expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
      const updates = smMock.commandCalls(UpdateModelPackageCommand).map((c) => c.args[0].input.CustomerMetadataProperties?.['plinth:drift-baseline']);
      expect(updates).toEqual(claimed === OWN ? [] : [OWN]);
    }
  });
});
