/**
 * The drift job reads the baseline twice: drift-query renders the SQL from its edges, drift-stats
 * compares the counts with its counts. An approval that replaces `current.json` between the two
 * (the Athena step takes minutes) must not make drift-stats compare counts binned over the OLD
 * edges with the NEW baseline: with the same number of bins nothing else notices, and the answer
 * is silently wrong. drift-query pins the object it read (S3 version id), drift-stats reads that one.
 * S3: a real client against a private moto_server (versioned bucket); EventBridge mocked.
 */

import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { describeWithMoto, motoClientConfig } from '../../support/moto';
import { buildBaseline } from '../../../lambdas/drift-stats/baseline';
import { clients as statsClients, handler as statsHandler } from '../../../lambdas/drift-stats/index';
import { clients as queryClients, handler as queryHandler } from '../../../lambdas/drift-query/index';
import { countSample, DriftInputError, evaluateDrift } from '../../../lambdas/drift-stats/statistics';
import type { Baseline, NumericCounts } from '../../../lambdas/drift-stats/statistics';
import { startCapture } from '../../support/lambda-output';
import { routeTo, unrouteAll } from '../../support/sdk-clients';

const THRESHOLDS = { psi: 0.2, ks: 0.1, missingRate: 0.05, unseenShare: 0.01 };

/** n values: `share` of them each value of `values`, in order. */
function mix(n: number, values: number[], shares: number[]): number[] {
  return values.flatMap((v, i) => Array.from({ length: Math.round(n * shares[i]!) }, () => v));
}
// The baseline the query was rendered from: values 0, 1, 2 at 80/10/10 % (value bins).
const OLD: Baseline = buildBaseline({ amount: mix(1000, [0, 1, 2], [0.8, 0.1, 0.1]) }, { features: { amount: { type: 'numeric' } }, createdAt: '2031-01-01T00:00:00.000Z' });
// The baseline an approval writes meanwhile: values 5, 6, 7 at 10/10/80 %. As many bins, other edges.
const NEW: Baseline = buildBaseline({ amount: mix(1000, [5, 6, 7], [0.1, 0.1, 0.8]) }, { features: { amount: { type: 'numeric' } }, createdAt: '2031-02-01T00:00:00.000Z' });

describeWithMoto('the drift job evaluates against the baseline its query was rendered from (moto S3)', (moto) => {
  const BUCKET = 'plinth-capture-pin';
  const KEY = 'drift-baselines/fraud-prod/current.json';
  const ENV = {
    ENDPOINT_NAME: 'fraud-prod',
    CAPTURE_DATABASE: 'plinth_capture',
    CAPTURE_TABLE: 'capture_fraud_prod',
    CAPTURE_VARIANTS: 'AllTraffic',
    WINDOW_HOURS: '1',
    CAPTURE_SETTLE_MINUTES: '5',
    BASELINE_BUCKET: BUCKET,
    BASELINE_KEY: KEY,
    COVERAGE_KEY: 'drift-coverage/fraud-prod.json',
  };
  let s3: S3Client;
  let capture: ReturnType<typeof startCapture>;

  beforeAll(async () => {
    s3 = new S3Client(motoClientConfig(moto.endpoint));
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
  });
  beforeEach(() => {
    capture = startCapture();
    routeTo(queryClients.s3, s3);
    routeTo(statsClients.s3, s3);
    Object.assign(process.env, ENV);
  });
  afterEach(() => {
    capture.stop();
    unrouteAll();
    for (const k of Object.keys(ENV)) delete process.env[k];
  });

  it('a baseline replaced between BuildQuery and Evaluate changes nothing: the pinned version is used and the drift is seen', async () => {
    // GIVEN the old baseline is current when the job builds its query
    expect((NEW.features.amount as NumericCounts).counts).toHaveLength((OLD.features.amount as NumericCounts).counts.length);
    expect((NEW.features.amount as NumericCounts).edges).not.toEqual((OLD.features.amount as NumericCounts).edges);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: JSON.stringify(OLD) }));
    const query = await queryHandler({ time: '2031-03-01T10:05:00Z' });
    // AND a window that drifted from it (0, 1, 2 at 10/10/80 %), counted over the OLD edges by bin
    // index (what the rendered SQL returns: no edges)
    const { edges: _binnedOver, ...counts } = countSample(OLD.features.amount!, mix(500, [0, 1, 2], [0.1, 0.1, 0.8])) as NumericCounts;
    const window = { features: { amount: counts } };
    // WHEN an approval replaces current.json before Evaluate runs
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: JSON.stringify(NEW) }));
    const eb = mockClient(statsClients.eventBridge);
    eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e' }] });
    try {
      const res = await statsHandler({
        endpointName: 'fraud-prod',
        windowStart: query.windowStart,
        windowEnd: query.windowEnd,
        baseline: query.baseline,
        window,
        thresholds: THRESHOLDS,
      });
      // THEN the counts are compared with the baseline they were binned over: drift, and its event
      expect(res.baselineCreatedAt).toBe(OLD.createdAt);
      expect(res.features).toEqual(evaluateDrift(OLD, window, THRESHOLDS).features);
      expect(res.status).toBe('drift');
      expect(eb.commandCalls(PutEventsCommand)).toHaveLength(1);
      // (by bin index against the new baseline the same counts read 'ok': the silent answer this prevents)
      expect(evaluateDrift(NEW, window, THRESHOLDS).drifting).toEqual([]);
    } finally {
      eb.restore();
    }
  });

  it('without versioning the ETag pins it: a replaced baseline fails the run loudly (DriftInputError), never a silent comparison', async () => {
    // GIVEN an unversioned bucket holding the old baseline when the query is built
    const unversioned = 'plinth-capture-pin-unversioned';
    await s3.send(new CreateBucketCommand({ Bucket: unversioned }));
    process.env.BASELINE_BUCKET = unversioned;
    await s3.send(new PutObjectCommand({ Bucket: unversioned, Key: KEY, Body: JSON.stringify(OLD) }));
    const query = await queryHandler({ time: '2031-03-01T10:05:00Z' });
    expect(query.baseline.s3).toEqual({ bucket: unversioned, key: KEY, etag: expect.any(String) });
    const event = { endpointName: 'fraud-prod', windowStart: query.windowStart, windowEnd: query.windowEnd, baseline: query.baseline, window: { features: {} }, thresholds: THRESHOLDS };
    // WHEN the baseline is replaced before Evaluate
    await s3.send(new PutObjectCommand({ Bucket: unversioned, Key: KEY, Body: JSON.stringify(NEW) }));
    // THEN Evaluate refuses it as bad input (not retried; the job fails and DriftJobFailed says so)
    await expect(statsHandler(event)).rejects.toThrow(/replaced after the query was rendered/);
    await expect(statsHandler(event)).rejects.toBeInstanceOf(DriftInputError);
  });

  it('a version id that is not a string is bad input', async () => {
    await expect(
      statsHandler({
        endpointName: 'fraud-prod',
        windowStart: '2031-03-01T09:00:00Z',
        windowEnd: '2031-03-01T10:00:00Z',
        baseline: { s3: { bucket: BUCKET, key: KEY, versionId: 7 } },
        window: { features: {} },
        thresholds: THRESHOLDS,
      }),
    ).rejects.toThrow(DriftInputError);
  });
});
