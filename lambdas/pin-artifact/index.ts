/**
 * pin-artifact — the training pipeline's `PinArtifact` step (a SageMaker Pipelines Lambda step).
 *
 * It pins the artifact the `Train` step just wrote, so that what the pipeline registers can later
 * pass deploy-model's pin check (contract F; lambdas/deploy-model/artifact-pin.ts):
 *  1. HeadObject on `model.tar.gz`: its current S3 version id (the bucket must be versioned);
 *  2. the SHA-256 of exactly that version (GetObject with the version id, streamed);
 *  3. HeadObject again: if the current version changed while it was hashed, the artifact was
 *     replaced under the pipeline and the step fails rather than pin bytes nobody trained.
 * It returns `{ artifactUri, artifactVersionId, artifactSha256, artifactBytes }`; the Register step
 * writes the version id and hash into the package's customer metadata as `plinth:artifact-version-id`
 * and `plinth:artifact-sha256` (the keys deploy-model reads).
 *
 * Input (the step's Arguments): `{ "artifactUri": "s3://<bucket>/<models prefix>.../model.tar.gz" }`.
 * Env: ARTIFACT_BUCKET (the registry's artifact bucket), MODELS_PREFIX (`models/<model>/`), PLINTH_ENV.
 *
 * Anything unexpected fails the invocation with a message that says what is wrong; SageMaker fails
 * the step with it (the execution's FailureReason) and nothing is registered.
 */

import type { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import * as z from 'zod'; // not `{ z }`: the namespace import lets esbuild drop zod's unused locales (cold start)
import { APPROVED_PREFIX, parseS3Uri, sha256Of, type ArtifactLocation } from '../deploy-model/artifact-pin';
import { createLogger, describeError, parseEnv } from '../shared/runtime';

const logger = createLogger('plinth-pin-artifact');

/** The variables CDK sets (TrainingPipeline). */
export const envSchema = z.object({
  ARTIFACT_BUCKET: z.string().min(3, 'ARTIFACT_BUCKET is missing'),
  MODELS_PREFIX: z.string().regex(/^[^/].*\/$/, 'MODELS_PREFIX must be a key prefix ending in "/" (models/<model>/)'),
  PLINTH_ENV: z.string().optional(),
});
export type PinEnv = z.infer<typeof envSchema>;

/** The step's arguments. */
export const eventSchema = z.object({ artifactUri: z.string().min(1, 'artifactUri is missing') });

/** What the step returns; each key is one of the step's output parameters. */
export interface PinOutput {
  readonly artifactUri: string;
  readonly artifactVersionId: string;
  readonly artifactSha256: string;
  readonly artifactBytes: string;
}

/** The step refused to pin: the message says why. */
export class PinRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PinRefused';
  }
}

/** Where the artifact is, checked against the bucket and prefix this pipeline trains into. */
export function artifactLocation(uri: string, env: Pick<PinEnv, 'ARTIFACT_BUCKET' | 'MODELS_PREFIX'>): ArtifactLocation {
  const loc = parseS3Uri(uri);
  if (!loc) throw new PinRefused(`artifactUri ${JSON.stringify(uri)} is not an s3://bucket/key URI`);
  if (loc.bucket !== env.ARTIFACT_BUCKET) throw new PinRefused(`artifact ${uri} is not in the registry's artifact bucket ${env.ARTIFACT_BUCKET}`);
  if (loc.key.startsWith(APPROVED_PREFIX)) throw new PinRefused(`artifact ${uri} is under ${APPROVED_PREFIX}, which holds only the deployer's copies`);
  if (!loc.key.startsWith(env.MODELS_PREFIX)) throw new PinRefused(`artifact ${uri} is not under this model's prefix ${env.MODELS_PREFIX}`);
  if (loc.key.split('/').includes('..')) throw new PinRefused(`artifact ${uri} has a ".." segment`);
  return loc;
}

/** Pins the current version of `loc`: version id and SHA-256, refusing an unversioned or changing object. */
export async function pinArtifact(s3: S3Client, loc: ArtifactLocation): Promise<PinOutput> {
  const uri = `s3://${loc.bucket}/${loc.key}`;
  const head = await s3.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
  const versionId = head.VersionId;
  // S3 reports the version id "null" for objects written while versioning was off: not a pin.
  if (!versionId || versionId === 'null') {
    throw new PinRefused(`artifact ${uri} has no S3 version id (is versioning enabled on ${loc.bucket}?); deploy-model accepts only version-pinned artifacts`);
  }
  const obj = await s3.send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key, VersionId: versionId }));
  if (!obj.Body) throw new PinRefused(`artifact ${uri} version ${versionId} returned no body`);
  const sha256 = await sha256Of(obj.Body as Readable);
  const after = await s3.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
  if (after.VersionId !== versionId) {
    throw new PinRefused(`artifact ${uri} was replaced while it was being pinned (version ${versionId} became ${after.VersionId ?? 'none'}); rerun the pipeline`);
  }
  return { artifactUri: uri, artifactVersionId: versionId, artifactSha256: sha256, artifactBytes: String(head.ContentLength ?? 0) };
}

const s3 = new S3Client({ maxAttempts: 3 });

export async function handler(event: unknown): Promise<PinOutput> {
  const env = parseEnv(envSchema);
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) {
    const reason = parsed.error.issues.map((i) => `${i.path.join('.') || 'event'}: ${i.message}`).join('; ');
    logger.error('not a pin request', { reason, environment: env.PLINTH_ENV });
    throw new PinRefused(`the PinArtifact step's arguments are not { artifactUri }: ${reason}`);
  }
  try {
    const pin = await pinArtifact(s3, artifactLocation(parsed.data.artifactUri, env));
    logger.info('artifact pinned', { ...pin, environment: env.PLINTH_ENV });
    return pin;
  } catch (err) {
    logger.error('artifact not pinned', { artifactUri: parsed.data.artifactUri, ...describeError(err), environment: env.PLINTH_ENV });
    throw err;
  }
}
