/**
 * The pin the training pipeline's PinArtifact step writes is the pin deploy-model checks: on a
 * real versioned bucket (moto), a package carrying the step's output as its customer metadata
 * passes deploy-model's pinOf + verifyPin, and an artifact replaced after pinning is refused.
 */
import { createHash } from 'node:crypto';
import { CreateBucketCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { PIN_SHA256_KEY, PIN_VERSION_KEY, pinOf, verifyPin } from '../../../lambdas/deploy-model/artifact-pin';
import { DeploymentFailure } from '../../../lambdas/deploy-model/errors';
import { artifactLocation, pinArtifact } from '../../../lambdas/pin-artifact/index';
import { describeWithMoto, motoClientConfig } from '../../support/moto';

const BUCKET = 'plinth-dev-models-artifacts';
const ENV = { ARTIFACT_BUCKET: BUCKET, MODELS_PREFIX: 'models/fraud-detector/' };

describeWithMoto('pin-artifact against deploy-model\'s pin check (moto)', (moto) => {
  let s3: S3Client;
  beforeEach(async () => {
    await moto.server.reset();
    s3 = new S3Client(motoClientConfig(moto.endpoint));
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  });

  const registeredMetadata = (pin: { artifactSha256: string; artifactVersionId: string }) => ({
    // exactly what the Register step writes (lib/training/training-pipeline.ts)
    CustomerMetadataProperties: { [PIN_SHA256_KEY]: pin.artifactSha256, [PIN_VERSION_KEY]: pin.artifactVersionId },
  });

  it('a freshly trained artifact, pinned by the step, passes deploy-model\'s check', async () => {
    await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
    const key = 'models/fraud-detector/pipelines-abc-Train-x1/output/model.tar.gz';
    const bytes = Buffer.alloc(3 * 1024 * 1024 + 17, 7); // several chunks of stream
    const put = await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bytes }));
    const loc = artifactLocation(`s3://${BUCKET}/${key}`, ENV);

    const pin = await pinArtifact(s3, loc);

    expect(pin.artifactVersionId).toBe(put.VersionId);
    expect(pin.artifactSha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(pin.artifactBytes).toBe(String(bytes.length));
    const recorded = pinOf(registeredMetadata(pin));
    expect(typeof recorded).not.toBe('string');
    await expect(verifyPin(s3, loc, recorded as Exclude<typeof recorded, string>)).resolves.toBeUndefined();
  });

  it('an artifact replaced after pinning fails deploy-model\'s check as artifact-mismatch', async () => {
    await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
    const key = 'models/fraud-detector/pipelines-def-Train-x2/output/model.tar.gz';
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'trained' }));
    const loc = artifactLocation(`s3://${BUCKET}/${key}`, ENV);
    const pin = await pinArtifact(s3, loc);
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'swapped' }));

    const failure = await verifyPin(s3, loc, pinOf(registeredMetadata(pin)) as { sha256: string; versionId: string }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(DeploymentFailure);
    expect((failure as DeploymentFailure).message).toMatch(/replaced after it was pinned/);
  });

  it('an unversioned bucket gets no pin at all (the step fails instead of registering an unverifiable package)', async () => {
    const key = 'models/fraud-detector/pipelines-ghi-Train-x3/output/model.tar.gz';
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'trained' }));
    await expect(pinArtifact(s3, artifactLocation(`s3://${BUCKET}/${key}`, ENV))).rejects.toThrow(/no S3 version id/);
  });
});
