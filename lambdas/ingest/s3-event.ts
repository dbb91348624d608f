/**
 * Parsing of SQS message bodies announcing new S3 objects. Two shapes are
 * accepted:
 *  1. S3 event notifications (`{"Records":[{"eventSource":"aws:s3",...}]}`,
 *     S3 -> SQS directly); keys are URL-encoded with `+` for spaces.
 *  2. EventBridge events from S3 (`{"source":"aws.s3","detail-type":"Object Created",...}`,
 *     S3 -> EventBridge rule -> SQS). The key is decoded the same way; since
 *     AWS does not document that encoding for EventBridge, the raw key is kept
 *     as `alternateKey` and tried when the decoded key does not exist.
 */

import { isJsonObject, parseJsonObject } from '../shared/json';
import { MalformedMessageError } from './errors';

export interface S3ObjectRef {
  bucket: string;
  /** URL-decoded object key. */
  key: string;
  /** ETag as given by the event (no surrounding quotes). */
  etag: string;
  size?: number;
  eventName: string;
  /** ISO timestamp of the S3 event. */
  eventTime: string;
  /** EventBridge only: the key exactly as in the event, when it differs from `key`. */
  alternateKey?: string;
}

export type ParsedBody =
  | { kind: 'test-event' }
  | { kind: 's3'; objects: S3ObjectRef[]; ignored: Array<{ eventName: string; key?: string }> };

/** S3 event keys are URL-encoded with `+` for spaces. */
export function decodeS3Key(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch {
    throw new MalformedMessageError(`object key is not valid URL encoding: ${encoded.slice(0, 200)}`);
  }
}

function str(obj: Record<string, unknown>, key: string, where: string): string {
  const v = obj[key];
  if (typeof v !== 'string' || v.length === 0) throw new MalformedMessageError(`${where}.${key} must be a non-empty string`);
  return v;
}

/**
 * Parse an SQS body. Throws MalformedMessageError for anything that is not
 * valid JSON or not an S3 event notification (the message is then reported as
 * a batch item failure so it ends up in the DLQ, never silently dropped).
 */
export function parseSqsBody(body: string): ParsedBody {
  const json = parseJsonObject(body, MalformedMessageError, { notJson: 'SQS body is not valid JSON', notObject: 'SQS body is not a JSON object' });
  if (json.Event === 's3:TestEvent') return { kind: 'test-event' };
  if (json.source === 'aws.s3' && typeof json['detail-type'] === 'string') return parseEventBridge(json);
  const records = json.Records;
  if (!Array.isArray(records) || records.length === 0) {
    throw new MalformedMessageError('SQS body has no S3 Records[]');
  }
  const objects: S3ObjectRef[] = [];
  const ignored: Array<{ eventName: string; key?: string }> = [];
  records.forEach((r: unknown, i: number) => {
    const where = `Records[${i}]`;
    if (!isJsonObject(r)) throw new MalformedMessageError(`${where} is not an object`);
    if (r.eventSource !== 'aws:s3') throw new MalformedMessageError(`${where}.eventSource is not aws:s3`);
    const eventName = str(r, 'eventName', where);
    const s3 = r.s3;
    if (!isJsonObject(s3) || !isJsonObject(s3.bucket) || !isJsonObject(s3.object)) {
      throw new MalformedMessageError(`${where}.s3 must contain bucket and object`);
    }
    const rawKey = str(s3.object, 'key', `${where}.s3.object`);
    if (!eventName.startsWith('ObjectCreated:')) {
      ignored.push({ eventName, key: rawKey });
      return;
    }
    const eventTime = str(r, 'eventTime', where);
    if (!Number.isFinite(Date.parse(eventTime))) throw new MalformedMessageError(`${where}.eventTime is not a timestamp`);
    const ref: S3ObjectRef = {
      bucket: str(s3.bucket, 'name', `${where}.s3.bucket`),
      key: decodeS3Key(rawKey),
      etag: str(s3.object, 'eTag', `${where}.s3.object`).replace(/^"|"$/g, ''),
      eventName,
      eventTime,
    };
    if (typeof s3.object.size === 'number') ref.size = s3.object.size;
    objects.push(ref);
  });
  return { kind: 's3', objects, ignored };
}

/** EventBridge "Object Created" event from S3 (other S3 detail-types are ignored). */
function parseEventBridge(json: Record<string, unknown>): ParsedBody {
  const detailType = json['detail-type'] as string;
  const detail = json.detail;
  if (!isJsonObject(detail) || !isJsonObject(detail.bucket) || !isJsonObject(detail.object)) {
    throw new MalformedMessageError('EventBridge S3 event must contain detail.bucket and detail.object');
  }
  const rawKey = str(detail.object, 'key', 'detail.object');
  if (detailType !== 'Object Created') return { kind: 's3', objects: [], ignored: [{ eventName: detailType, key: rawKey }] };
  const eventTime = str(json, 'time', '(event)');
  if (!Number.isFinite(Date.parse(eventTime))) throw new MalformedMessageError('time is not a timestamp');
  let decoded: string | undefined;
  try {
    decoded = decodeURIComponent(rawKey.replace(/\+/g, ' '));
  } catch {
    decoded = undefined; // not URL-encoded (e.g. a literal "%"): use the key as is
  }
  const ref: S3ObjectRef = {
    bucket: str(detail.bucket, 'name', 'detail.bucket'),
    key: decoded ?? rawKey,
    etag: str(detail.object, 'etag', 'detail.object').replace(/^"|"$/g, ''),
    eventName: `ObjectCreated:${typeof detail.reason === 'string' ? detail.reason : 'EventBridge'}`,
    eventTime,
  };
  if (decoded !== undefined && decoded !== rawKey) ref.alternateKey = rawKey;
  if (typeof detail.object.size === 'number') ref.size = detail.object.size;
  return { kind: 's3', objects: [ref], ignored: [] };
}
