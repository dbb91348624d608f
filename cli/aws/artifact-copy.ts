/**
 * Copies a model artifact from one environment's account to another's, through this machine (the
 * accounts share no bucket policy), and proves the copy: the SHA-256 of what was read must match
 * the source's pin when it has one (`plinth:artifact-sha256`), and what the target bucket returns
 * must hash the same.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { CliError } from '../errors';

/** `s3://bucket/key` split, or undefined for anything else. */
export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return match ? { bucket: match[1]!, key: match[2]! } : undefined;
}

export interface CopiedArtifact {
  readonly uri: string;
  readonly sha256: string;
  readonly bytes: number;
  /** The S3 version of the copy (the artifact buckets are versioned). */
  readonly versionId?: string;
}

async function hashStream(body: Readable, into?: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      bytes += chunk.length;
      done(null, chunk);
    },
  });
  if (into) await pipeline(body, tap, createWriteStream(into));
  else await pipeline(body, tap, new Transform({ transform: (_c, _e, done) => done() }));
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * Reads `sourceUri` with `from`, checks it against `pinnedSha256` (when given), writes it to
 * `s3://targetBucket/targetKey` with `to`, and reads the copy back to check its SHA-256.
 */
export async function copyArtifact(
  from: S3Client,
  sourceUri: string,
  to: S3Client,
  targetBucket: string,
  targetKey: string,
  pinnedSha256?: string,
): Promise<CopiedArtifact> {
  const source = parseS3Uri(sourceUri);
  if (!source) throw new CliError(`"${sourceUri}" is not an s3:// URI`, 'fix the model package: its artifacts must be in S3');
  const dir = mkdtempSync(join(tmpdir(), 'plinth-promote-'));
  const file = join(dir, 'artifact');
  try {
    const got = await from.send(new GetObjectCommand({ Bucket: source.bucket, Key: source.key }));
    const read = await hashStream(got.Body as Readable, file);
    if (pinnedSha256 && read.sha256 !== pinnedSha256.toLowerCase()) {
      throw new CliError(
        `${sourceUri} has SHA-256 ${read.sha256}, but the version pins ${pinnedSha256}: the artifact changed after approval`,
        'do not promote this version; register and approve it again from a known artifact',
      );
    }
    const upload = new Upload({ client: to, params: { Bucket: targetBucket, Key: targetKey, Body: createReadStream(file), ContentLength: read.bytes } });
    const put = (await upload.done()) as { VersionId?: string };
    const back = await to.send(new GetObjectCommand({ Bucket: targetBucket, Key: targetKey, ...(put.VersionId ? { VersionId: put.VersionId } : {}) }));
    const copied = await hashStream(back.Body as Readable);
    if (copied.sha256 !== read.sha256) {
      throw new CliError(`the copy s3://${targetBucket}/${targetKey} hashes ${copied.sha256}, not ${read.sha256}`, 'retry the promotion; nothing was registered');
    }
    return { uri: `s3://${targetBucket}/${targetKey}`, sha256: read.sha256, bytes: read.bytes, versionId: put.VersionId };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
