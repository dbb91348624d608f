/**
 * batch-inference handler against moto (S3, DynamoDB, SageMaker model packages): the Approved
 * package is resolved at run time, only ended day partitions inside the lookback are claimed,
 * a rerun claims nothing already scored or in flight, a failed partition is claimed again,
 * conservation (input rows = output rows) fails loudly and publishes nothing, and bad events
 * are refused with the field named.
 */
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateModelPackageCommand, CreateModelPackageGroupCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import {
  BatchInferenceInputError,
  ClaimLostError,
  ConservationError,
  clients as handlerClients,
  dayBefore,
  handler,
  inputFingerprint,
  resourceName,
  rows,
  type PlanResult,
  type PublishResult,
} from '../../../lambdas/batch-inference';
import { describeWithMoto, motoClientConfig } from '../../support/moto';
import { emfDocuments, logLines, startCapture } from '../../support/lambda-output';
import { expectMatchesGolden } from '../../support/runtime-golden';
import { routeTo, unrouteAll } from '../../support/sdk-clients';

const SOURCE = 'curated-lake';
const OUT = 'predictions-lake';
const TABLE = 'bi-tracking';
const GROUP = 'fraud-detector';
const ENV = {
  TRACKING_TABLE: TABLE,
  MODEL_PACKAGE_GROUP: GROUP,
  RESOURCE_PREFIX: 'bi-fraud',
  SOURCE_BUCKET: SOURCE,
  SOURCE_PREFIX: 'transactions/',
  PARTITION_KEY: 'ingest_date',
  LOOKBACK_DAYS: '3',
  LATE_HORIZON_DAYS: '30',
  MAX_PARTITIONS: '2',
  CLAIM_TIMEOUT_MINUTES: '360',
  OUTPUT_BUCKET: OUT,
  OUTPUT_PREFIX: 'predictions/fraud-detector/',
  STAGING_PREFIX: 'batch-inference-staging/fraud-detector/',
  PLINTH_ENV: 'test',
};
const NOW = '2031-03-10T01:30:00Z';

describe('batch-inference helpers', () => {
  it('counts non-empty lines as rows', () => {
    expect(rows('{"a":1}\n\n{"a":2}\r\n  \n{"a":3}')).toEqual(['{"a":1}', '{"a":2}', '{"a":3}']);
    expect(rows('')).toEqual([]);
  });
  it('names SageMaker resources within 63 characters, distinct per run and partition', () => {
    const a = resourceName('plinth-dev-bi-fraud', 'run-1', '2031-03-09');
    expect(a).toMatch(/^plinth-dev-bi-fraud-20310309-[0-9a-f]{12}$/);
    expect(a.length).toBeLessThanOrEqual(63);
    expect(resourceName('plinth-dev-bi-fraud', 'run-2', '2031-03-09')).not.toBe(a);
  });
});

describeWithMoto('batch-inference handler (moto)', (moto) => {
  let s3: S3Client;
  let ddb: DynamoDBClient;
  let sm: SageMakerClient;
  let logs: string[] = [];
  let capture: ReturnType<typeof startCapture> | undefined;

  beforeEach(async () => {
    await moto.server.reset();
    const config = motoClientConfig(moto.endpoint);
    s3 = new S3Client(config);
    ddb = new DynamoDBClient(config);
    sm = new SageMakerClient(config);
    routeTo(handlerClients.s3, s3);
    routeTo(handlerClients.dynamodb, ddb);
    routeTo(handlerClients.sagemaker, sm);
    capture = startCapture();
    logs = capture.lines;
    Object.assign(process.env, ENV);
    for (const Bucket of [SOURCE, OUT]) await s3.send(new CreateBucketCommand({ Bucket }));
    await ddb.send(
      new CreateTableCommand({
        TableName: TABLE,
        KeySchema: [{ AttributeName: 'partition', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'partition', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  });
  afterEach(() => {
    capture?.stop();
    expectMatchesGolden('plinth-batch-inference', logs);
    unrouteAll();
    jest.restoreAllMocks();
    for (const k of Object.keys(ENV)) delete process.env[k];
  });

  async function approve(): Promise<string> {
    await sm.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: GROUP })).catch(() => undefined);
    const res = await sm.send(
      new CreateModelPackageCommand({
        ModelPackageGroupName: GROUP,
        ModelApprovalStatus: 'Approved',
        InferenceSpecification: { Containers: [{ Image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/fraud:1' }], SupportedContentTypes: ['application/jsonlines'], SupportedResponseMIMETypes: ['application/jsonlines'] },
      }),
    );
    return res.ModelPackageArn!;
  }
  async function put(bucket: string, key: string, body: string): Promise<void> {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  }
  async function partition(day: string, files: Record<string, number>): Promise<void> {
    for (const [name, n] of Object.entries(files)) {
      await put(SOURCE, `transactions/ingest_date=${day}/${name}`, Array.from({ length: n }, (_, i) => JSON.stringify({ id: `${day}-${name}-${i}`, amount: i })).join('\n') + '\n');
    }
  }
  /** What Batch Transform would write: one output line per input row, `<input>.out` under the staging prefix. */
  async function transform(p: PlanResult['partitions'][number], drop = 0): Promise<void> {
    const inputPrefix = p.inputUri.replace(`s3://${SOURCE}/`, '');
    const stagingPrefix = p.stagingUri.replace(`s3://${OUT}/`, '');
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: SOURCE, Prefix: inputPrefix }));
    for (const o of listed.Contents ?? []) {
      const text = await (await s3.send(new GetObjectCommand({ Bucket: SOURCE, Key: o.Key! }))).Body!.transformToString();
      const scores = rows(text).map((_, i) => JSON.stringify({ score: (i % 10) / 10 }));
      await put(OUT, `${stagingPrefix}${o.Key!.slice(inputPrefix.length)}.out`, scores.slice(drop).join('\n') + '\n');
    }
  }
  async function status(day: string): Promise<Record<string, string> | undefined> {
    const item = (await ddb.send(new GetItemCommand({ TableName: TABLE, Key: { partition: { S: day } } }))).Item;
    return item && Object.fromEntries(Object.entries(item).map(([k, v]) => [k, (v.S ?? v.N)!]));
  }
  const plan = (runId: string, time = NOW) => handler({ action: 'plan', runId, time }) as Promise<PlanResult>;
  const publish = (p: PlanResult, i: number) =>
    handler({ action: 'publish', runId: p.runId, modelPackageArn: p.modelPackageArn, modelPackageVersion: p.modelPackageVersion, partition: p.partitions[i] }) as Promise<PublishResult>;

  it('scores nothing without an Approved package', async () => {
    await partition('2031-03-08', { 'a.jsonl': 3 });
    await sm.send(new CreateModelPackageGroupCommand({ ModelPackageGroupName: GROUP }));
    const res = await plan('run-1');
    expect(res).toEqual({ status: 'no-approved-model', runId: 'run-1', partitions: [] });
    expect(await status('2031-03-08')).toBeUndefined();
  });

  it('claims only ended days inside the lookback, oldest first, at most MAX_PARTITIONS, with the Approved package resolved at run time', async () => {
    // GIVEN partitions before the lookback, inside it, and today's (still being written)
    for (const day of ['2031-03-01', '2031-03-06', '2031-03-07', '2031-03-08', '2031-03-09', '2031-03-10']) await partition(day, { 'a.jsonl': 2 });
    await put(SOURCE, 'transactions/not-a-partition/x.jsonl', '{}\n');
    const arn = await approve();
    // WHEN the job plans at 01:30 on 03-10 with a 3-day lookback (03-07..03-09) and 2 per run
    const res = await plan('run-1');
    // THEN the two oldest ready days are claimed for the latest Approved package
    expect(res.status).toBe('ready');
    expect(res.modelPackageArn).toBe(arn);
    expect(res.modelPackageVersion).toBe(1);
    expect(res.modelName).toBe(resourceName('bi-fraud', 'run-1'));
    expect(res.partitions.map((p) => p.partition)).toEqual(['2031-03-07', '2031-03-08']);
    expect(res.partitions[0]).toEqual({
      partition: '2031-03-07',
      inputUri: `s3://${SOURCE}/transactions/ingest_date=2031-03-07/`,
      stagingUri: `s3://${OUT}/batch-inference-staging/fraud-detector/run-1/2031-03-07/`,
      transformJobName: resourceName('bi-fraud', 'run-1', '2031-03-07'),
    });
    expect(await status('2031-03-07')).toMatchObject({ status: 'CLAIMED', runId: 'run-1', modelPackageArn: arn });
    expect(await status('2031-03-06')).toBeUndefined();
    expect(await status('2031-03-10')).toBeUndefined();
  });

  it('a rerun scores no partition twice: scored and in-flight partitions are skipped, the rest picked up', async () => {
    for (const day of ['2031-03-07', '2031-03-08', '2031-03-09']) await partition(day, { 'a.jsonl': 4, 'b.jsonl': 1 });
    await approve();
    const first = await plan('run-1');
    await transform(first.partitions[0]);
    await publish(first, 0); // 03-07 SCORED, 03-08 still CLAIMED by run-1
    const second = await plan('run-2');
    expect(second.partitions.map((p) => p.partition)).toEqual(['2031-03-09']);
    await transform(second.partitions[0]);
    await publish(second, 0);
    // A third run (even the same execution name replayed) finds nothing new
    const third = await plan('run-3');
    expect(third).toMatchObject({ status: 'nothing-new', partitions: [] });
    expect(await status('2031-03-07')).toMatchObject({ status: 'SCORED', runId: 'run-1', inputRows: '5', outputRows: '5' });
    expect(await status('2031-03-08')).toMatchObject({ status: 'CLAIMED', runId: 'run-1' });
    // A claim older than the claim timeout (a run that died) is taken over
    const late = await plan('run-4', '2031-03-10T08:00:00Z');
    expect(late.partitions.map((p) => p.partition)).toEqual(['2031-03-08']);
  });

  it('an object that lands in a scored partition later (a late or redriven ingest) gets the partition scored again, whole; an unchanged one is not', async () => {
    // GIVEN 03-08 scored with one object of 3 rows
    await partition('2031-03-08', { 'a.jsonl': 3 });
    await approve();
    const first = await plan('run-1');
    await transform(first.partitions[0]);
    await publish(first, 0);
    expect(await status('2031-03-08')).toMatchObject({ status: 'SCORED', inputObjects: '1', inputRows: '3' });
    // AND a run with nothing new claims nothing
    expect(await plan('run-2', '2031-03-10T02:00:00Z')).toMatchObject({ status: 'nothing-new', partitions: [] });
    // WHEN an ingest that was backlogged writes 2 more rows into 03-08 (ingest_date is the raw object's arrival day)
    await partition('2031-03-08', { 'late.jsonl': 2 });
    const third = await plan('run-3', '2031-03-10T03:00:00Z');
    // THEN the partition is claimed again, and the re-run is logged with what was scored before
    expect(third.partitions.map((p) => p.partition)).toEqual(['2031-03-08']);
    const rescored = logs.map((l) => JSON.parse(l)).find((l) => l.msg === 'partition scored again: its input objects changed after it was scored');
    expect(rescored).toMatchObject({ level: 'warn', partition: '2031-03-08', previousRunId: 'run-1', previousInputObjects: '1' });
    // AND its predictions are replaced by all 5 rows, none twice
    await transform(third.partitions[0]);
    expect(await publish(third, 0)).toMatchObject({ inputRows: 5, outputRows: 5 });
    const text = await (await s3.send(new GetObjectCommand({ Bucket: OUT, Key: 'predictions/fraud-detector/input_partition=2031-03-08/predictions.jsonl' }))).Body!.transformToString();
    expect(rows(text).map((l) => JSON.parse(JSON.parse(l).input_record).id).sort()).toEqual(['2031-03-08-a.jsonl-0', '2031-03-08-a.jsonl-1', '2031-03-08-a.jsonl-2', '2031-03-08-late.jsonl-0', '2031-03-08-late.jsonl-1']);
    expect(await status('2031-03-08')).toMatchObject({ status: 'SCORED', runId: 'run-3', inputObjects: '2', inputRows: '5' });
    // AND once scored whole, it is left alone
    expect(await plan('run-4', '2031-03-10T04:00:00Z')).toMatchObject({ status: 'nothing-new', partitions: [] });
  });

  // moto stamps LastModified with the real clock, so the late-arrival tests run at the real time:
  // their days are counted back from now, and every object they write "arrives" now.
  async function scoredFrom(day: string, withFingerprint = true): Promise<void> {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: SOURCE, Prefix: `transactions/ingest_date=${day}/` }));
    const objects = (listed.Contents ?? []).map((o) => ({ key: o.Key!, etag: o.ETag ?? '' }));
    await ddb.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          partition: { S: day },
          status: { S: 'SCORED' },
          runId: { S: 'run-in-window' },
          inputObjects: { N: String(objects.length) },
          ...(withFingerprint ? { inputFingerprint: { S: inputFingerprint(objects) } } : {}),
        },
      }),
    );
  }
  const lateMetrics = () =>
    emfDocuments(logs)
      .filter((d) => (d._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0].Namespace === 'Plinth/BatchInference')
      .map((d) => ({ Model: d.Model, LateObjectsClaimed: d.LateObjectsClaimed, LateObjectsUnscored: d.LateObjectsUnscored }));

  it('an object redriven into a day that has left the lookback window is claimed and scored whole, not skipped', async () => {
    const now = new Date();
    const day = dayBefore(now, 10); // lookback 3: the day left the window a week ago
    // GIVEN the day was scored while it was in the window
    await partition(day, { 'a.jsonl': 2 });
    await scoredFrom(day);
    await approve();
    expect(await plan('run-0', now.toISOString())).toMatchObject({ status: 'nothing-new', partitions: [] });
    // WHEN a dead-letter redrive writes a row into that day now
    await partition(day, { 'redrive.jsonl': 1 });
    const res = await plan('run-1', now.toISOString());
    // THEN the day is claimed again (the old code never listed it: nothing-new)
    expect(res.partitions.map((p) => p.partition)).toEqual([day]);
    expect(await status(day)).toMatchObject({ status: 'CLAIMED', runId: 'run-1' });
    expect(logLines(logs).find((l) => l.msg === 'partition claimed for objects that arrived after it left the lookback window')).toMatchObject({ level: 'warn', partition: day });
    // AND scored whole: all 3 rows, none twice
    await transform(res.partitions[0]);
    expect(await publish(res, 0)).toMatchObject({ inputRows: 3, outputRows: 3 });
    const text = await (await s3.send(new GetObjectCommand({ Bucket: OUT, Key: `predictions/fraud-detector/input_partition=${day}/predictions.jsonl` }))).Body!.transformToString();
    expect(rows(text).map((l) => JSON.parse(JSON.parse(l).input_record).id).sort()).toEqual([`${day}-a.jsonl-0`, `${day}-a.jsonl-1`, `${day}-redrive.jsonl-0`]);
    // AND once scored, a later run leaves it alone and counts nothing unscored
    expect(await plan('run-2', now.toISOString())).toMatchObject({ status: 'nothing-new', partitions: [] });
    // Both objects of the day "arrived" now (moto's clock), so both count as late when claimed.
    expect(lateMetrics()).toEqual([
      { Model: GROUP, LateObjectsClaimed: 0, LateObjectsUnscored: 0 },
      { Model: GROUP, LateObjectsClaimed: 2, LateObjectsUnscored: 0 },
      { Model: GROUP, LateObjectsClaimed: 0, LateObjectsUnscored: 0 },
    ]);
  });

  it('late objects a run cannot claim are counted in LateObjectsUnscored with the reason, never skipped quietly', async () => {
    const now = new Date();
    const [noFingerprint, d1, d2, overCap] = [13, 12, 11, 10].map((n) => dayBefore(now, n));
    // GIVEN a day scored before fingerprints were recorded that received a late object,
    await partition(noFingerprint, { 'a.jsonl': 1 });
    await scoredFrom(noFingerprint, false);
    await partition(noFingerprint, { 'redrive.jsonl': 1 });
    // AND three old days never scored that received late objects (2 per run at most),
    for (const day of [d1, d2, overCap]) await partition(day, { 'a.jsonl': 1, 'b.jsonl': 1 });
    // AND a day beyond the sweep (3 days lookback + 30 days horizon), which is not read at all
    const beyond = dayBefore(now, 3 + 30 + 1);
    await partition(beyond, { 'a.jsonl': 1 });
    await approve();
    const res = await plan('run-1', now.toISOString());
    // THEN the two oldest claimable days are claimed, oldest first
    expect(res.partitions.map((p) => p.partition)).toEqual([d1, d2]);
    // AND what is left is counted and explained: 2 objects of the unfingerprinted day, 2 over the maximum
    expect(lateMetrics()).toEqual([{ Model: GROUP, LateObjectsClaimed: 4, LateObjectsUnscored: 4 }]);
    const unscored = logLines(logs).filter((l) => l.msg === 'late objects not scored by this run');
    expect(unscored).toEqual([
      expect.objectContaining({ level: 'warn', partition: noFingerprint, lateObjects: 2, reason: expect.stringMatching(/^scored before input fingerprints were recorded/) }),
      expect.objectContaining({ level: 'warn', partition: overCap, lateObjects: 2, reason: 'the per-run maximum (2) was reached; the next run claims it' }),
    ]);
    expect(await status(overCap)).toBeUndefined();
    expect(await status(beyond)).toBeUndefined();
    // AND the next run claims the day left over; the unfingerprinted one stays counted until an operator acts
    const next = await plan('run-2', now.toISOString());
    expect(next.partitions.map((p) => p.partition)).toEqual([overCap]);
    expect(lateMetrics()[1]).toEqual({ Model: GROUP, LateObjectsClaimed: 2, LateObjectsUnscored: 2 });
  });

  it('the window\'s days are claimed before late days: a redrive never makes a window day age out unscored', async () => {
    const now = new Date();
    // GIVEN two ended days in the window and a late day, with 2 partitions per run
    const [w1, w2] = [2, 1].map((n) => dayBefore(now, n));
    const late = dayBefore(now, 10);
    for (const day of [w1, w2, late]) await partition(day, { 'a.jsonl': 1 });
    await approve();
    // WHEN the job plans
    const res = await plan('run-1', now.toISOString());
    // THEN the window's days take the run's two slots, and the late day is counted for the next run
    expect(res.partitions.map((p) => p.partition)).toEqual([w1, w2]);
    expect(lateMetrics()).toEqual([{ Model: GROUP, LateObjectsClaimed: 0, LateObjectsUnscored: 1 }]);
    expect(logLines(logs).filter((l) => l.msg === 'late objects not scored by this run')).toEqual([
      expect.objectContaining({ partition: late, reason: 'the per-run maximum (2) was reached; the next run claims it' }),
    ]);
    expect((await plan('run-2', now.toISOString())).partitions.map((p) => p.partition)).toEqual([late]);
  });

  it('publishes each row once with its lineage and conserves rows; a failed partition is released and claimed again', async () => {
    await partition('2031-03-09', { 'a.jsonl': 3, 'nested/b.jsonl': 2 });
    await approve();
    const arn = await approve(); // version 2 is the latest Approved
    const first = await plan('run-1');
    expect(first.modelPackageArn).toBe(arn);
    expect(first.modelPackageVersion).toBe(2);
    await handler({ action: 'release', runId: 'run-1', partition: first.partitions[0], error: { Error: 'SageMaker.TransformJobFailed' } });
    expect(await status('2031-03-09')).toMatchObject({ status: 'FAILED', runId: 'run-1' });
    // The failed partition is claimed by the next run
    const second = await plan('run-2');
    expect(second.partitions.map((p) => p.partition)).toEqual(['2031-03-09']);
    await transform(second.partitions[0]);
    const res = await publish(second, 0);
    expect(res).toEqual({ partition: '2031-03-09', inputRows: 5, outputRows: 5, predictionsUri: `s3://${OUT}/predictions/fraud-detector/input_partition=2031-03-09/predictions.jsonl` });
    const text = await (await s3.send(new GetObjectCommand({ Bucket: OUT, Key: 'predictions/fraud-detector/input_partition=2031-03-09/predictions.jsonl' }))).Body!.transformToString();
    const published = rows(text).map((l) => JSON.parse(l));
    expect(published).toHaveLength(5);
    expect(new Set(published.map((r) => JSON.parse(r.input_record).id)).size).toBe(5);
    expect(published[0]).toEqual({
      input_record: JSON.stringify({ id: '2031-03-09-a.jsonl-0', amount: 0 }),
      prediction: JSON.stringify({ score: 0 }),
      model_package_arn: arn,
      model_package_version: 2,
      run_id: 'run-2',
      input_partition: '2031-03-09',
      input_key: 'transactions/ingest_date=2031-03-09/a.jsonl',
      input_line: 1,
    });
    expect(published[4]).toMatchObject({ input_key: 'transactions/ingest_date=2031-03-09/nested/b.jsonl', input_line: 2 });
    // Staging output is removed once published
    const staging = await s3.send(new ListObjectsV2Command({ Bucket: OUT, Prefix: 'batch-inference-staging/' }));
    expect(staging.Contents ?? []).toEqual([]);
    // Publishing again for a settled partition is refused (the claim is gone)
    await transform(second.partitions[0]);
    await expect(publish(second, 0)).rejects.toThrow(ClaimLostError);
  });

  it('a run whose claim was taken over publishes nothing: the predictions of the run that holds the claim stay', async () => {
    // GIVEN run-1 claimed a day and is slow; after the claim timeout run-2 (a newer model) takes it over and publishes
    await partition('2031-03-09', { 'a.jsonl': 3 });
    await approve();
    const slow = await plan('run-1');
    await transform(slow.partitions[0]);
    await approve();
    const takeover = await plan('run-2', '2031-03-10T08:00:00Z');
    expect(takeover.partitions.map((p) => p.partition)).toEqual(['2031-03-09']);
    await transform(takeover.partitions[0]);
    await publish(takeover, 0);
    // WHEN run-1 finally publishes
    await expect(publish(slow, 0)).rejects.toThrow(ClaimLostError);
    // THEN the published predictions are still run-2's, as the tracking table says
    const text = await (await s3.send(new GetObjectCommand({ Bucket: OUT, Key: 'predictions/fraud-detector/input_partition=2031-03-09/predictions.jsonl' }))).Body!.transformToString();
    expect(new Set(rows(text).map((l) => JSON.parse(l).run_id))).toEqual(new Set(['run-2']));
    expect(await status('2031-03-09')).toMatchObject({ status: 'SCORED', runId: 'run-2', modelPackageVersion: '2' });
  });

  it('fails loudly when the transform output has fewer rows than the input, and publishes nothing', async () => {
    await partition('2031-03-09', { 'a.jsonl': 4 });
    await approve();
    const p = await plan('run-1');
    await transform(p.partitions[0], 1);
    await expect(publish(p, 0)).rejects.toThrow(
      new ConservationError('partition 2031-03-09: transactions/ingest_date=2031-03-09/a.jsonl has 4 rows but its transform output batch-inference-staging/fraud-detector/run-1/2031-03-09/a.jsonl.out has 3; nothing published'),
    );
    const out = await s3.send(new ListObjectsV2Command({ Bucket: OUT, Prefix: 'predictions/' }));
    expect(out.Contents ?? []).toEqual([]);
    expect(await status('2031-03-09')).toMatchObject({ status: 'CLAIMED' });
  });

  it('fails loudly when an input object has no transform output, or the output has an object no input has', async () => {
    await partition('2031-03-09', { 'a.jsonl': 2, 'b.jsonl': 2 });
    await approve();
    const p = await plan('run-1');
    await transform(p.partitions[0]);
    await s3.send(new PutObjectCommand({ Bucket: OUT, Key: 'batch-inference-staging/fraud-detector/run-1/2031-03-09/c.jsonl.out', Body: '{"score":1}\n' }));
    await expect(publish(p, 0)).rejects.toThrow(/unexpected output batch-inference-staging\/fraud-detector\/run-1\/2031-03-09\/c\.jsonl\.out/);
    await partition('2031-03-09', { 'd.jsonl': 1 });
    await expect(publish(p, 0)).rejects.toThrow(/no output for transactions\/ingest_date=2031-03-09\/d\.jsonl/);
  });
});

describe('batch-inference bad input', () => {
  beforeEach(() => Object.assign(process.env, ENV));
  afterEach(() => {
    for (const k of Object.keys(ENV)) delete process.env[k];
  });
  const partition = {
    partition: '2031-03-09',
    inputUri: `s3://${SOURCE}/transactions/ingest_date=2031-03-09/`,
    stagingUri: `s3://${OUT}/batch-inference-staging/fraud-detector/run-1/2031-03-09/`,
    transformJobName: 'bi-fraud-20310309-abc',
  };

  it.each([
    [null, /event: \(root\)/],
    ['plan', /event: \(root\)/],
    [{ action: 'score' }, /event: action/],
    [{ action: 'plan', runId: 'run-1' }, /event: time/],
    [{ action: 'plan', runId: 'run 1!', time: NOW }, /event: runId: runId is the execution name/],
    [{ action: 'publish', runId: 'run-1', modelPackageArn: 'arn', modelPackageVersion: 0, partition }, /event: modelPackageVersion/],
    [{ action: 'publish', runId: 'run-1', modelPackageArn: 'arn', modelPackageVersion: 1, partition: { ...partition, partition: '2031/03/09' } }, /partition.partition: partition is a UTC day/],
  ])('refuses %j', async (event, message) => {
    await expect(handler(event)).rejects.toThrow(BatchInferenceInputError);
    await expect(handler(event)).rejects.toThrow(message);
  });

  it('refuses a publish for a partition outside the source or another run\'s staging prefix', async () => {
    const base = { action: 'publish', runId: 'run-1', modelPackageArn: 'arn', modelPackageVersion: 1 };
    await expect(handler({ ...base, partition: { ...partition, inputUri: `s3://${SOURCE}/secrets/` } })).rejects.toThrow(/is not partition 2031-03-09 of the source/);
    await expect(handler({ ...base, partition: { ...partition, stagingUri: `s3://${OUT}/batch-inference-staging/fraud-detector/run-2/2031-03-09/` } })).rejects.toThrow(
      /is not this run's staging prefix/,
    );
  });

  it('refuses a bad environment, naming the variable', async () => {
    process.env.SOURCE_PREFIX = 'transactions';
    await expect(handler({ action: 'plan', runId: 'r', time: NOW })).rejects.toThrow(/environment: SOURCE_PREFIX: SOURCE_PREFIX is a key prefix ending in \//);
  });
});
