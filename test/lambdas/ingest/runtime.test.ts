import { ConfigError, loadConfig } from '../../../lambdas/ingest/config';
import {
  SourceStreamError,
  UnreadableDataError,
  isObjectGoneError,
  isTransientError,
} from '../../../lambdas/ingest/errors';
import { emitObjectMetrics, emptyMetrics } from '../../../lambdas/ingest/metrics';
import { captureOutput } from '../../support/lambda-output';
import { expectMatchesGolden } from '../../support/runtime-golden';
import { SchemaStore } from '../../../lambdas/ingest/schema-store';
import { InvalidSchemaConfigError } from '../../../lambdas/ingest/errors';

const sdkError = (name: string, status: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status }, ...extra });

describe('error classification', () => {
  it('labels throttling, 5xx and network errors transient, data and 4xx errors not', () => {
    // GIVEN a spread of errors
    // WHEN each is classified
    // THEN only infrastructure hiccups are transient
    expect(isTransientError(sdkError('SlowDown', 503))).toBe(true);
    expect(isTransientError(sdkError('InternalError', 500))).toBe(true);
    expect(isTransientError(sdkError('ThrottlingException', 400))).toBe(true);
    expect(isTransientError(sdkError('Whatever', 400, { $retryable: { throttling: false } }))).toBe(true);
    expect(isTransientError(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isTransientError(new SourceStreamError(new Error('x')))).toBe(true);
    expect(isTransientError(sdkError('AccessDenied', 403))).toBe(false);
    expect(isTransientError(new UnreadableDataError('corrupt-gzip', 'x'))).toBe(false);
  });

  it('recognises a vanished object version but not a missing bucket', () => {
    // GIVEN NoSuchKey / 412 / NoSuchBucket
    // WHEN each is classified
    // THEN only the first two mean "object gone"
    expect(isObjectGoneError(sdkError('NoSuchKey', 404))).toBe(true);
    expect(isObjectGoneError(sdkError('PreconditionFailed', 412))).toBe(true);
    expect(isObjectGoneError(sdkError('NoSuchBucket', 404))).toBe(false);
    expect(isObjectGoneError(sdkError('SlowDown', 503))).toBe(false);
  });
});

describe('loadConfig', () => {
  const base = { CURATED_BUCKET: 'c', QUARANTINE_BUCKET: 'q', SCHEMA_PARAMETER_PREFIX: '/p/' };

  it('applies documented defaults', () => {
    // GIVEN only the required variables
    // WHEN the configuration is loaded
    // THEN defaults fill the rest
    expect(loadConfig(base)).toEqual({
      rawBucket: undefined,
      curatedBucket: 'c',
      quarantineBucket: 'q',
      schemaParameterPrefix: '/p/',
      schemaCacheSeconds: 60,
      eventBusName: 'default',
      env: 'unknown',
      maxTrackedIds: 1_000_000,
    });
    expect(loadConfig({ ...base, MAX_TRACKED_IDS: ' 250000 ' }).maxTrackedIds).toBe(250_000);
  });

  it('rejects missing buckets and a bad cache TTL', () => {
    // GIVEN incomplete or invalid environments
    // WHEN the configuration is loaded
    // THEN a ConfigError is thrown
    expect(() => loadConfig({ ...base, CURATED_BUCKET: '' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, SCHEMA_PARAMETER_PREFIX: undefined })).toThrow('SCHEMA_PARAMETER_PREFIX');
    expect(() => loadConfig({ ...base, SCHEMA_CACHE_SECONDS: 'soon' })).toThrow('SCHEMA_CACHE_SECONDS');
    for (const bad of ['0', '-5', '2.5', 'many', '1e400']) expect(() => loadConfig({ ...base, MAX_TRACKED_IDS: bad })).toThrow('MAX_TRACKED_IDS');
  });
});

describe('EMF metrics', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1700000000000 }));
  afterEach(() => jest.useRealTimers());

  it('writes one CloudWatch EMF document with namespace Plinth/Ingest and dimension Dataset', () => {
    // GIVEN captured output
    const m = { ...emptyMetrics(), RecordsIn: 5, RecordsCurated: 4, RecordsQuarantined: 1, ProcessingLatencyMs: 12 };
    // WHEN metrics are emitted
    const lines = captureOutput(() => emitObjectMetrics('tx', m, { objectId: 'o1' }, 1700000000000));
    expectMatchesGolden('plinth-ingest', lines);
    // THEN the document follows the EMF specification
    expect(lines).toHaveLength(1);
    const doc = JSON.parse(lines[0]!);
    expect(doc._aws.Timestamp).toBe(1700000000000);
    expect(doc._aws.CloudWatchMetrics).toHaveLength(1);
    const directive = doc._aws.CloudWatchMetrics[0];
    expect(directive.Namespace).toBe('Plinth/Ingest');
    expect(directive.Dimensions).toEqual([['Dataset']]);
    expect(directive.Metrics.map((x: { Name: string }) => x.Name).sort()).toEqual(
      [
        'AdditiveDriftFields',
        'BreakingDriftRecords',
        'DuplicateEventsSkipped',
        'DuplicateIdsUntracked',
        'ObjectsGone',
        'ObjectsReceived',
        'ObjectsUnreadable',
        'ProcessingLatencyMs',
        'QuarantinedSpannedLines',
        'RecordsCurated',
        'RecordsIn',
        'RecordsQuarantined',
      ].sort(),
    );
    expect(directive.Metrics.find((x: { Name: string }) => x.Name === 'ProcessingLatencyMs').Unit).toBe('Milliseconds');
    for (const metric of directive.Metrics) expect(typeof doc[metric.Name]).toBe('number');
    expect(doc).toMatchObject({ Dataset: 'tx', RecordsIn: 5, RecordsCurated: 4, RecordsQuarantined: 1, ObjectsReceived: 1, objectId: 'o1' });
  });
});

describe('SchemaStore', () => {
  const schemaJson = (version: number) =>
    JSON.stringify({ name: 'tx', version, format: 'jsonl', fields: [{ name: 'a', type: 'string' }] });

  it('caches per dataset for the TTL, then re-reads (config changes apply without redeploy)', async () => {
    // GIVEN a fetcher whose value changes and a controllable clock
    let now = 0;
    let version = 1;
    const calls: string[] = [];
    const store = new SchemaStore(async (name) => {
      calls.push(name);
      return schemaJson(version);
    }, () => now);
    // WHEN read twice within the TTL, then after it
    expect((await store.get('/p/', 'tx', 60))!.schema.version).toBe(1);
    version = 2;
    now = 59_000;
    expect((await store.get('/p/', 'tx', 60))!.schema.version).toBe(1);
    now = 60_001;
    // THEN the new version is seen only after expiry, with one fetch per fill
    expect((await store.get('/p/', 'tx', 60))!.schema.version).toBe(2);
    expect(calls).toEqual(['/p/tx', '/p/tx']);
  });

  it('caches "not found" but not failures, and shares one in-flight fetch', async () => {
    // GIVEN a fetcher that fails once, then reports not found
    let n = 0;
    const store = new SchemaStore(async () => {
      n++;
      await new Promise((r) => setTimeout(r, 5));
      if (n === 1) throw new Error('ssm throttled');
      return undefined;
    }, () => 0);
    // WHEN called concurrently and again
    const [a, b] = await Promise.allSettled([store.get('/p/', 'x', 60), store.get('/p/', 'x', 60)]);
    // THEN both concurrent callers saw the one failure, the retry fetched again, and not-found is cached
    expect(a.status).toBe('rejected');
    expect(b.status).toBe('rejected');
    expect(await store.get('/p/', 'x', 60)).toBeUndefined();
    expect(await store.get('/p/', 'x', 60)).toBeUndefined();
    expect(n).toBe(2);
  });

  it('reports an invalid schema parameter as a configuration error', async () => {
    // GIVEN parameters with broken JSON and an invalid schema
    const bad = new SchemaStore(async () => '{not json', () => 0);
    const invalid = new SchemaStore(async () => JSON.stringify({ name: 'tx', version: 1, format: 'xml', fields: [] }), () => 0);
    // WHEN the schema is read
    // THEN both raise InvalidSchemaConfigError (retry the message, do not quarantine the data)
    await expect(bad.get('/p/', 'tx', 60)).rejects.toThrow(InvalidSchemaConfigError);
    await expect(invalid.get('/p/', 'tx', 60)).rejects.toThrow('format must be one of');
  });
});
