import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { artifactLocation, handler } from '../../../lambdas/pin-artifact/index';
import { startCapture } from '../../support/lambda-output';

const BUCKET = 'plinth-dev-models-artifacts';
const KEY = 'models/fraud-detector/pipelines-abc-Train-x1/output/model.tar.gz';
const URI = `s3://${BUCKET}/${KEY}`;
const BYTES = Buffer.from('the model the pipeline trained');
const SHA = createHash('sha256').update(BYTES).digest('hex');
const body = () => Readable.from([BYTES]) as never;

describe('pin-artifact handler', () => {
  const s3 = mockClient(S3Client);
  let lines: string[];
  let capture: ReturnType<typeof startCapture>;
  beforeEach(() => {
    s3.reset();
    capture = startCapture();
    lines = capture.lines;
    process.env.ARTIFACT_BUCKET = BUCKET;
    process.env.MODELS_PREFIX = 'models/fraud-detector/';
  });
  afterEach(() => capture.stop());

  it('pins the current version: its version id and the SHA-256 of exactly that version', async () => {
    s3.on(HeadObjectCommand).resolves({ VersionId: 'v-42', ContentLength: BYTES.length });
    s3.on(GetObjectCommand, { Bucket: BUCKET, Key: KEY, VersionId: 'v-42' }).resolves({ Body: body() });
    await expect(handler({ artifactUri: URI })).resolves.toEqual({
      artifactUri: URI,
      artifactVersionId: 'v-42',
      artifactSha256: SHA,
      artifactBytes: String(BYTES.length),
    });
    // read by version, never "whatever is current"
    expect(s3.commandCalls(GetObjectCommand)[0].args[0].input).toEqual({ Bucket: BUCKET, Key: KEY, VersionId: 'v-42' });
    expect(lines.map((l) => JSON.parse(l).msg)).toContain('artifact pinned');
  });

  it.each([
    [undefined, 'no S3 version id'],
    ['null', 'no S3 version id'],
  ])('refuses an artifact without a version id (VersionId %p): deploy-model could never verify it', async (versionId, message) => {
    s3.on(HeadObjectCommand).resolves({ VersionId: versionId, ContentLength: 3 });
    s3.on(GetObjectCommand).resolves({ Body: body() });
    await expect(handler({ artifactUri: URI })).rejects.toThrow(message);
    expect(s3.commandCalls(GetObjectCommand)).toHaveLength(0);
  });

  it('refuses when the artifact is replaced while it is hashed (the version changed between the two looks)', async () => {
    s3.on(HeadObjectCommand).resolvesOnce({ VersionId: 'v-1' }).resolvesOnce({ VersionId: 'v-2' });
    s3.on(GetObjectCommand).resolves({ Body: body() });
    await expect(handler({ artifactUri: URI })).rejects.toThrow(/replaced while it was being pinned \(version v-1 became v-2\)/);
  });

  it('fails with the S3 error when the artifact does not exist', async () => {
    s3.on(HeadObjectCommand).rejects(Object.assign(new Error('Not Found'), { name: 'NotFound' }));
    await expect(handler({ artifactUri: URI })).rejects.toThrow('Not Found');
    expect(lines.map((l) => JSON.parse(l))).toEqual(expect.arrayContaining([expect.objectContaining({ msg: 'artifact not pinned', errorName: 'NotFound' })]));
  });

  it.each([
    [null, 'event'],
    [{}, 'artifactUri'],
    [{ artifactUri: 42 }, 'artifactUri'],
    [{ artifactUri: '' }, 'artifactUri is missing'],
  ])('refuses bad arguments %p, naming the field', async (event, field) => {
    await expect(handler(event)).rejects.toThrow(field);
    expect(s3.calls()).toHaveLength(0);
  });

  it.each([
    ['https://example.com/model.tar.gz', 'is not an s3://bucket/key URI'],
    [`s3://other-bucket/${KEY}`, "not in the registry's artifact bucket"],
    [`s3://${BUCKET}/models/other-model/output/model.tar.gz`, "not under this model's prefix models/fraud-detector/"],
    [`s3://${BUCKET}/approved/fraud-detector/3/model.tar.gz`, 'holds only the deployer'],
    [`s3://${BUCKET}/models/fraud-detector/../other/model.tar.gz`, '".." segment'],
  ])('refuses %s', (uri, message) => {
    expect(() => artifactLocation(uri, { ARTIFACT_BUCKET: BUCKET, MODELS_PREFIX: 'models/fraud-detector/' })).toThrow(message);
  });

  it('names the variable when its environment is incomplete', async () => {
    delete process.env.MODELS_PREFIX;
    await expect(handler({ artifactUri: URI })).rejects.toThrow('MODELS_PREFIX');
  });
});
