/**
 * Deterministic output layout. Every key depends only on (bucket, key, ETag,
 * S3 eventTime), so a replay of the same object version - on any day - writes
 * exactly the same keys (idempotent overwrite), and the manifest HeadObject
 * check turns duplicates into no-ops.
 */

import { createHash } from 'node:crypto';
import { S3ObjectRef } from './s3-event';

/** Dataset names usable in SSM parameter names, S3 keys and metric dimensions. */
const DATASET_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Dataset name = first path segment of the (decoded) key, if it is a usable name. */
export function datasetFromKey(key: string): { dataset: string; valid: boolean } {
  const slash = key.indexOf('/');
  const dataset = slash > 0 ? key.slice(0, slash) : '';
  return { dataset, valid: slash > 0 && DATASET_NAME.test(dataset) };
}

/** sha256("<bucket>/<key>#<etag>") hex, first 32 chars. */
export function objectIdOf(ref: Pick<S3ObjectRef, 'bucket' | 'key' | 'etag'>): string {
  return createHash('sha256').update(`${ref.bucket}/${ref.key}#${ref.etag}`).digest('hex').slice(0, 32);
}

/** UTC date (YYYY-MM-DD) of the S3 event - not of processing. */
export function ingestDateOf(eventTime: string): string {
  return new Date(eventTime).toISOString().slice(0, 10);
}

/** Original file name for the `_unreadable/` copy; never collides with the sibling `reason.json`. */
export function fileNameOf(key: string): string {
  const name = key.slice(key.lastIndexOf('/') + 1);
  if (name.length === 0) return 'object';
  return name === 'reason.json' ? 'reason.json.original' : name;
}

export interface ObjectLayout {
  objectId: string;
  ingestDate: string;
  /** Dataset path segment used in output keys (`_unknown` when the key has no usable dataset segment). */
  datasetSegment: string;
  curatedKey: string;
  quarantineKey: string;
  manifestKey: string;
  unreadablePrefix: string;
  unreadableObjectKey: string;
  unreadableReasonKey: string;
}

export function layoutFor(ref: S3ObjectRef, datasetSegment: string): ObjectLayout {
  const objectId = objectIdOf(ref);
  const ingestDate = ingestDateOf(ref.eventTime);
  const partition = `ingest_date=${ingestDate}`;
  const unreadablePrefix = `${datasetSegment}/_unreadable/${partition}/${objectId}/`;
  return {
    objectId,
    ingestDate,
    datasetSegment,
    curatedKey: `${datasetSegment}/${partition}/${objectId}.jsonl`,
    quarantineKey: `${datasetSegment}/${partition}/${objectId}.jsonl`,
    manifestKey: `_manifests/${datasetSegment}/${objectId}.json`,
    unreadablePrefix,
    unreadableObjectKey: `${unreadablePrefix}${fileNameOf(ref.key)}`,
    unreadableReasonKey: `${unreadablePrefix}reason.json`,
  };
}
