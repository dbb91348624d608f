/**
 * The bytes served are the bytes approved.
 *
 * A model package carries a pin of its artifact in its customer metadata: the S3 version id of
 * `model.tar.gz` and its SHA-256 (contract F: `plinth:artifact-version-id`,
 * `plinth:artifact-sha256`). Before anything is deployed, the deployer
 *  1. refuses a package whose artifact is not pinned;
 *  2. refuses it when the object's current version is not the pinned one (it was replaced after
 *     pinning, e.g. after approval), or when the pinned version's SHA-256 differs from the pin;
 *  3. copies the pinned version to `approved/<group>/<version>/` (a prefix that only this
 *     function may write: the bucket policy denies everyone else) and builds the model from that
 *     copy, so a scale-out or an instance replacement reads the approved bytes too.
 */

import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { CopyObjectCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { DeploymentFailure } from './errors';
import type { ModelPackage } from './package-validation';

export const PIN_SHA256_KEY = 'plinth:artifact-sha256';
export const PIN_VERSION_KEY = 'plinth:artifact-version-id';
/** Key prefix of approved copies in the artifact bucket; only the deployer may write under it. */
export const APPROVED_PREFIX = 'approved/';

export interface ArtifactPin {
  sha256: string;
  versionId: string;
}

export interface ArtifactLocation {
  bucket: string;
  key: string;
}

/** `s3://bucket/key` → location; undefined for anything else. */
export function parseS3Uri(uri: string): ArtifactLocation | undefined {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(uri.trim());
  return m ? { bucket: m[1], key: m[2] } : undefined;
}

/** The pin recorded on the package, or why there is none. */
export function pinOf(pkg: ModelPackage): ArtifactPin | string {
  const meta = pkg.CustomerMetadataProperties ?? {};
  const sha256 = meta[PIN_SHA256_KEY]?.trim().toLowerCase();
  const versionId = meta[PIN_VERSION_KEY]?.trim();
  if (!sha256 || !versionId) return `model package has no artifact pin (customer metadata ${PIN_SHA256_KEY} and ${PIN_VERSION_KEY} are required)`;
  if (!/^[0-9a-f]{64}$/.test(sha256)) return `${PIN_SHA256_KEY} is not a hex SHA-256: ${JSON.stringify(sha256)}`;
  return { sha256, versionId };
}

/**
 * The package's one artifact, which must live in the registry's artifact bucket; undefined when
 * no container has model data (an image-only model has nothing in S3 to swap).
 */
export function artifactOf(pkg: ModelPackage, artifactBucket: string): ArtifactLocation | undefined {
  const urls = (pkg.InferenceSpecification?.Containers ?? []).map((c) => c.ModelDataUrl).filter((u): u is string => !!u);
  if (urls.length === 0) return undefined;
  if (new Set(urls).size > 1) throw new DeploymentFailure('artifact-mismatch', `the package's containers name ${urls.length} different artifacts; a pin covers exactly one`);
  const loc = parseS3Uri(urls[0]);
  if (!loc || loc.bucket !== artifactBucket) {
    throw new DeploymentFailure('artifact-mismatch', `artifact ${urls[0]} is not in the registry's artifact bucket ${artifactBucket}`);
  }
  if (loc.key.startsWith(APPROVED_PREFIX)) {
    throw new DeploymentFailure('artifact-mismatch', `artifact ${urls[0]} is under ${APPROVED_PREFIX}, which holds only the deployer's copies`);
  }
  return loc;
}

/** Hex SHA-256 of a stream. */
export async function sha256Of(body: Readable | AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of body) hash.update(chunk as Uint8Array);
  return hash.digest('hex');
}

/**
 * Refuses (DeploymentFailure 'artifact-mismatch') an artifact that does not match its pin;
 * resolves when the current object is the pinned version with the pinned SHA-256.
 */
export async function verifyPin(s3: S3Client, loc: ArtifactLocation, pin: ArtifactPin): Promise<void> {
  const uri = `s3://${loc.bucket}/${loc.key}`;
  const head = await s3.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: loc.key }));
  if (head.VersionId !== pin.versionId) {
    throw new DeploymentFailure(
      'artifact-mismatch',
      `artifact ${uri} was replaced after it was pinned: current version ${head.VersionId ?? 'none (bucket not versioned)'}, pinned version ${pin.versionId}`,
    );
  }
  const obj = await s3.send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.key, VersionId: pin.versionId }));
  const actual = await sha256Of(obj.Body as Readable);
  if (actual !== pin.sha256) {
    throw new DeploymentFailure('artifact-mismatch', `artifact ${uri} version ${pin.versionId} has SHA-256 ${actual}, the pin says ${pin.sha256}`);
  }
}

/** Where the approved copy of a package's artifact lives. */
export function approvedKey(group: string, version: number, loc: ArtifactLocation): string {
  const file = loc.key.split('/').pop() ?? 'model.tar.gz';
  return `${APPROVED_PREFIX}${group}/${version}/${file}`;
}

/**
 * Copies the pinned version to the approved prefix (idempotent: same source, same bytes; the
 * bucket's default KMS encryption applies); returns its S3 URI.
 */
export async function copyApproved(s3: S3Client, loc: ArtifactLocation, pin: ArtifactPin, group: string, version: number): Promise<string> {
  const key = approvedKey(group, version, loc);
  await s3.send(
    new CopyObjectCommand({
      Bucket: loc.bucket,
      Key: key,
      CopySource: `${loc.bucket}/${loc.key.split('/').map(encodeURIComponent).join('/')}?versionId=${encodeURIComponent(pin.versionId)}`,
      MetadataDirective: 'REPLACE',
      Metadata: { 'artifact-sha256': pin.sha256, 'source-version-id': pin.versionId },
    }),
  );
  return `s3://${loc.bucket}/${key}`;
}
