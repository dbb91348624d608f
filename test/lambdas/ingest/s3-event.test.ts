import { createHash } from 'node:crypto';
import { decodeS3Key, parseSqsBody } from '../../../lambdas/ingest/s3-event';
import { MalformedMessageError } from '../../../lambdas/ingest/errors';
import { datasetFromKey, fileNameOf, ingestDateOf, layoutFor, objectIdOf } from '../../../lambdas/ingest/layout';

const record = (over: Record<string, unknown> = {}, object: Record<string, unknown> = {}) => ({
  eventVersion: '2.1',
  eventSource: 'aws:s3',
  eventTime: '2024-05-06T23:59:59.999Z',
  eventName: 'ObjectCreated:Put',
  s3: { bucket: { name: 'raw' }, object: { key: 'tx/a+b%2Bc.jsonl', eTag: 'e1', size: 10, ...object } },
  ...over,
});

describe('parseSqsBody', () => {
  it('extracts every ObjectCreated record with a decoded key', () => {
    // GIVEN a body with two created objects and one removal
    const body = JSON.stringify({
      Records: [record(), record({ eventName: 'ObjectRemoved:Delete' }), record({ eventName: 'ObjectCreated:CompleteMultipartUpload' }, { key: 'tx/x%C3%A9.csv', eTag: '"e2"' })],
    });
    // WHEN parsed
    const parsed = parseSqsBody(body);
    // THEN created objects are returned (keys decoded, quotes stripped), the removal is listed as ignored
    expect(parsed).toEqual({
      kind: 's3',
      objects: [
        { bucket: 'raw', key: 'tx/a b+c.jsonl', etag: 'e1', size: 10, eventName: 'ObjectCreated:Put', eventTime: '2024-05-06T23:59:59.999Z' },
        { bucket: 'raw', key: 'tx/xé.csv', etag: 'e2', size: 10, eventName: 'ObjectCreated:CompleteMultipartUpload', eventTime: '2024-05-06T23:59:59.999Z' },
      ],
      ignored: [{ eventName: 'ObjectRemoved:Delete', key: 'tx/a+b%2Bc.jsonl' }],
    });
  });

  it('recognises s3:TestEvent', () => {
    // GIVEN the test event S3 sends when a notification is configured
    const body = JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: '2024-05-06T00:00:00Z', Bucket: 'raw' });
    // WHEN the body is parsed
    // THEN it is classified as such
    expect(parseSqsBody(body)).toEqual({ kind: 'test-event' });
  });

  it.each([
    ['not JSON', 'hello'],
    ['JSON array', '[]'],
    ['no Records', '{"foo":1}'],
    ['empty Records', '{"Records":[]}'],
    ['not from S3', JSON.stringify({ Records: [record({ eventSource: 'aws:sns' })] })],
    ['missing eTag', JSON.stringify({ Records: [record({}, { eTag: undefined })] })],
    ['bad eventTime', JSON.stringify({ Records: [record({ eventTime: 'yesterday' })] })],
    ['bad key encoding', JSON.stringify({ Records: [record({}, { key: 'tx/%E0%A4%A' })] })],
  ])('rejects %s as a malformed message', (_label, body) => {
    // GIVEN a body that is not a usable S3 event
    // WHEN the body is parsed
    // THEN parsing throws MalformedMessageError (the message will be failed, not dropped)
    expect(() => parseSqsBody(body)).toThrow(MalformedMessageError);
  });

  it('decodes + as space and %2B as plus', () => {
    // GIVEN an S3-event encoded key
    // WHEN the key is decoded
    // THEN it is decoded like S3 encodes it
    expect(decodeS3Key('a+b%2Bc%20d/%F0%9F%98%80')).toBe('a b+c d/😀');
  });
});

describe('parseSqsBody: EventBridge events from S3', () => {
  const ebEvent = (detailType: string, key: string) =>
    JSON.stringify({
      version: '0',
      id: '17793124-05d4-b198-2fde-7ededc63b103',
      'detail-type': detailType,
      source: 'aws.s3',
      account: '111122223333',
      time: '2021-11-12T00:00:00Z',
      region: 'ca-central-1',
      resources: ['arn:aws:s3:::raw'],
      detail: {
        version: '0',
        bucket: { name: 'raw' },
        object: { key, size: 5, etag: 'b1946ac92492d2347c6235b4d2611184', sequencer: '617f08299329d189' },
        'request-id': 'N4N7GDK58NMKJ12R',
        requester: '123456789012',
        reason: 'PutObject',
      },
    });

  it('extracts an Object Created event and keeps the raw key as a fallback when decoding changes it', () => {
    // GIVEN an EventBridge "Object Created" event with an encoded-looking key
    // WHEN the body is parsed
    const parsed = parseSqsBody(ebEvent('Object Created', 'tx/a+b%2Bc.jsonl'));
    // THEN the decoded key is primary and the raw key is the alternate
    expect(parsed).toEqual({
      kind: 's3',
      ignored: [],
      objects: [
        {
          bucket: 'raw',
          key: 'tx/a b+c.jsonl',
          alternateKey: 'tx/a+b%2Bc.jsonl',
          etag: 'b1946ac92492d2347c6235b4d2611184',
          size: 5,
          eventName: 'ObjectCreated:PutObject',
          eventTime: '2021-11-12T00:00:00Z',
        },
      ],
    });
  });

  it('uses a key that is not valid URL encoding as is, and needs no alternate for plain keys', () => {
    // GIVEN keys with a literal % and a plain key
    // WHEN the body is parsed
    const pct = parseSqsBody(ebEvent('Object Created', 'tx/100%.csv'));
    const plain = parseSqsBody(ebEvent('Object Created', 'tx/plain.csv'));
    // THEN they are used unchanged
    expect(pct.kind === 's3' && pct.objects[0]).toMatchObject({ key: 'tx/100%.csv' });
    expect(pct.kind === 's3' && pct.objects[0]!.alternateKey).toBeUndefined();
    expect(plain.kind === 's3' && plain.objects[0]!.alternateKey).toBeUndefined();
  });

  it('ignores other S3 detail-types and rejects incomplete events', () => {
    // GIVEN an Object Deleted event and an event without detail.object
    // WHEN the body is parsed
    // THEN the first is ignored, the second is malformed
    expect(parseSqsBody(ebEvent('Object Deleted', 'tx/a.csv'))).toEqual({
      kind: 's3',
      objects: [],
      ignored: [{ eventName: 'Object Deleted', key: 'tx/a.csv' }],
    });
    expect(() => parseSqsBody(JSON.stringify({ source: 'aws.s3', 'detail-type': 'Object Created', detail: {} }))).toThrow(
      MalformedMessageError,
    );
  });
});

describe('layout', () => {
  const ref = { bucket: 'raw', key: 'tx/2024/file one.jsonl', etag: 'abc', eventName: 'ObjectCreated:Put', eventTime: '2024-05-06T23:59:59.999Z' };

  it('derives objectId from sha256(bucket/key#etag)', () => {
    // GIVEN an object reference
    // WHEN the layout is computed
    // THEN the id is the first 32 hex chars of the documented hash
    const expected = createHash('sha256').update('raw/tx/2024/file one.jsonl#abc').digest('hex').slice(0, 32);
    expect(objectIdOf(ref)).toBe(expected);
    expect(objectIdOf({ ...ref, etag: 'abd' })).not.toBe(expected);
  });

  it('uses the event date in UTC, not processing time', () => {
    // GIVEN event times around midnight with offsets
    // WHEN the layout is computed
    // THEN the UTC date is used
    expect(ingestDateOf('2024-05-06T23:59:59.999Z')).toBe('2024-05-06');
    expect(ingestDateOf('2024-05-06T23:30:00-02:00')).toBe('2024-05-07');
  });

  it('builds the documented keys', () => {
    // GIVEN a dataset segment
    // WHEN the layout is computed
    const l = layoutFor(ref, 'tx');
    const id = objectIdOf(ref);
    // THEN every key follows the contract
    expect(l).toEqual({
      objectId: id,
      ingestDate: '2024-05-06',
      datasetSegment: 'tx',
      curatedKey: `tx/ingest_date=2024-05-06/${id}.jsonl`,
      quarantineKey: `tx/ingest_date=2024-05-06/${id}.jsonl`,
      manifestKey: `_manifests/tx/${id}.json`,
      unreadablePrefix: `tx/_unreadable/ingest_date=2024-05-06/${id}/`,
      unreadableObjectKey: `tx/_unreadable/ingest_date=2024-05-06/${id}/file one.jsonl`,
      unreadableReasonKey: `tx/_unreadable/ingest_date=2024-05-06/${id}/reason.json`,
    });
  });

  it('takes the dataset from the first key segment and rejects unusable names', () => {
    // GIVEN assorted keys
    // WHEN the layout is computed
    // THEN only safe names are valid datasets
    expect(datasetFromKey('tx/a/b.csv')).toEqual({ dataset: 'tx', valid: true });
    expect(datasetFromKey('file.csv')).toEqual({ dataset: '', valid: false });
    expect(datasetFromKey('/x.csv').valid).toBe(false);
    expect(datasetFromKey('../x.csv').valid).toBe(false);
    expect(datasetFromKey('a b/x.csv').valid).toBe(false);
  });

  it('never lets the original file name collide with reason.json', () => {
    // GIVEN keys ending in reason.json or a slash
    // WHEN the layout is computed
    // THEN the copied object gets a distinct name
    expect(fileNameOf('tx/reason.json')).toBe('reason.json.original');
    expect(fileNameOf('tx/dir/')).toBe('object');
  });
});
