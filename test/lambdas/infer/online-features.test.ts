import { BatchGetRecordCommand, SageMakerFeatureStoreRuntimeClient } from '@aws-sdk/client-sagemaker-featurestore-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { ConfigError } from '../../../lambdas/infer/config';
import { parseOnlineFeatures, setOnlineFeatureClient, withOnlineFeatures, type OnlineFeaturesConfig, type OnlineMetrics } from '../../../lambdas/infer/online-features';

const RAW = {
  featureGroup: 'account-spend',
  entityKeyField: 'account_id',
  features: ['txn_count_24h', 'amount_sum_24h'],
  types: { txn_count_24h: 'integer', amount_sum_24h: 'number' },
  timeoutMs: 30,
};
const CFG = parseOnlineFeatures(JSON.stringify(RAW))!;
const fs = mockClient(SageMakerFeatureStoreRuntimeClient);
const metrics = (): OnlineMetrics => ({ OnlineLookupMs: 0, OnlineMisses: 0, OnlineTimeouts: 0, OnlineErrors: 0 });
const REQUEST = { account_id: 'a1', amount: 10 };
const record = (values: Record<string, string>) => ({ Records: [{ FeatureGroupName: 'account-spend', RecordIdentifierValueAsString: 'a1', Record: Object.entries(values).map(([FeatureName, ValueAsString]) => ({ FeatureName, ValueAsString })) }], Errors: [], UnprocessedIdentifiers: [] });

beforeEach(() => {
  fs.reset();
  setOnlineFeatureClient(new SageMakerFeatureStoreRuntimeClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }));
});
afterAll(() => setOnlineFeatureClient(undefined));

describe('online features: found', () => {
  test('asks BatchGetRecord for the entity and the configured features, and merges them typed into the model input', async () => {
    fs.on(BatchGetRecordCommand).resolves(record({ txn_count_24h: '3', amount_sum_24h: '12.5' }));
    const m = metrics();
    const out = await withOnlineFeatures(CFG, REQUEST, m, {});
    expect(out).toEqual({ kind: 'features', features: { account_id: 'a1', amount: 10, txn_count_24h: 3, amount_sum_24h: 12.5 }, degraded: false, source: 'record' });
    expect(fs.commandCalls(BatchGetRecordCommand)[0].args[0].input).toEqual({
      Identifiers: [{ FeatureGroupName: 'account-spend', RecordIdentifiersValueAsString: ['a1'], FeatureNames: ['txn_count_24h', 'amount_sum_24h'] }],
      // the record's expiry (event time + the group's TTL) comes back with it
      ExpirationTimeResponse: 'Enabled',
    });
    expect(m.OnlineMisses + m.OnlineTimeouts + m.OnlineErrors).toBe(0);
  });

  test('online values win over request values unless requestWins is set', async () => {
    fs.on(BatchGetRecordCommand).resolves(record({ txn_count_24h: '3', amount_sum_24h: '12.5' }));
    const req = { ...REQUEST, txn_count_24h: 99 };
    expect(await withOnlineFeatures(CFG, req, metrics(), {})).toMatchObject({ features: { txn_count_24h: 3 } });
    expect(await withOnlineFeatures({ ...CFG, requestWins: true }, req, metrics(), {})).toMatchObject({ features: { txn_count_24h: 99, amount_sum_24h: 12.5 } });
  });
});

describe('online features: missing records, timeouts and errors take the configured path', () => {
  test('a new entity follows the default policy, the fallback, counted as a miss', async () => {
    fs.on(BatchGetRecordCommand).resolves({ Records: [], Errors: [], UnprocessedIdentifiers: [] });
    const m = metrics();
    expect(await withOnlineFeatures(CFG, REQUEST, m, {})).toEqual({ kind: 'fallback', reason: 'missing' });
    expect(m.OnlineMisses).toBe(1);
  });

  test('missing → defaults (degraded) or → 400 when configured', async () => {
    fs.on(BatchGetRecordCommand).resolves({ Records: [], Errors: [], UnprocessedIdentifiers: [] });
    const withDefaults = { ...CFG, onMissing: 'defaults' as const, defaults: { txn_count_24h: 0, amount_sum_24h: 0 } };
    expect(await withOnlineFeatures(withDefaults, REQUEST, metrics(), {})).toEqual({ kind: 'features', features: { ...REQUEST, txn_count_24h: 0, amount_sum_24h: 0 }, degraded: true, source: 'defaults' });
    expect(await withOnlineFeatures({ ...CFG, onMissing: 'reject' }, REQUEST, metrics(), {})).toEqual({ kind: 'reject', body: { error: 'no online features for account_id', rule: 'unknown-entity', field: 'account_id' } });
  });

  test('a record past its TTL (Feature Store deletes expired records days later) is a miss, not fresh features', async () => {
    // GIVEN the entity's record expired a minute ago, but the online store still returns it
    const expired = record({ txn_count_24h: '3', amount_sum_24h: '12.5' });
    (expired.Records[0] as Record<string, unknown>).ExpiresAt = new Date(Date.now() - 60_000).toISOString();
    fs.on(BatchGetRecordCommand).resolves(expired);
    const m = metrics();
    const props: Record<string, unknown> = {};
    // WHEN / THEN the default policy applies (the fallback), counted as a miss and logged as expired
    expect(await withOnlineFeatures(CFG, REQUEST, m, props)).toEqual({ kind: 'fallback', reason: 'missing' });
    expect(m.OnlineMisses).toBe(1);
    expect(props.onlineFeatures).toBe('expired');
    // AND with onMissing defaults, the defaults stand in (degraded), never the expired values
    const withDefaults = { ...CFG, onMissing: 'defaults' as const, defaults: { txn_count_24h: 0, amount_sum_24h: 0 } };
    expect(await withOnlineFeatures(withDefaults, REQUEST, metrics(), {})).toEqual({ kind: 'features', features: { ...REQUEST, txn_count_24h: 0, amount_sum_24h: 0 }, degraded: true, source: 'defaults' });
    // AND a record that expires later is found
    (expired.Records[0] as Record<string, unknown>).ExpiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const fresh: Record<string, unknown> = {};
    expect(await withOnlineFeatures(CFG, REQUEST, metrics(), fresh)).toMatchObject({ kind: 'features', source: 'record', features: { txn_count_24h: 3 } });
    expect(fresh.onlineFeatures).toBe('found');
  });

  test('a lookup slower than its budget is abandoned at the budget and counted as a timeout', async () => {
    fs.on(BatchGetRecordCommand).callsFake(() => new Promise((resolve) => setTimeout(() => resolve(record({ txn_count_24h: '1' })), 2000)));
    const m = metrics();
    const started = Date.now();
    const out = await withOnlineFeatures(CFG, REQUEST, m, {});
    expect(Date.now() - started).toBeLessThan(500);
    expect(out).toEqual({ kind: 'fallback', reason: 'unavailable' });
    expect(m.OnlineTimeouts).toBe(1);
  });

  test('throttling takes the unavailable path (defaults when configured), counted as an error', async () => {
    fs.on(BatchGetRecordCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }));
    const m = metrics();
    const props: Record<string, unknown> = {};
    const cfg = { ...CFG, onUnavailable: 'defaults' as const, defaults: { txn_count_24h: 0, amount_sum_24h: 0 } };
    expect(await withOnlineFeatures(cfg, REQUEST, m, props)).toMatchObject({ kind: 'features', degraded: true, source: 'defaults' });
    expect(m.OnlineErrors).toBe(1);
    expect(props.onlineFeatures).toBe('throttled:ThrottlingException');
  });

  test('a per-identifier error in the answer is unavailable, not found', async () => {
    fs.on(BatchGetRecordCommand).resolves({ Records: [], Errors: [{ FeatureGroupName: 'account-spend', RecordIdentifierValueAsString: 'a1', ErrorCode: 'ThrottlingException', ErrorMessage: 'x' }], UnprocessedIdentifiers: [] });
    expect(await withOnlineFeatures(CFG, REQUEST, metrics(), {})).toEqual({ kind: 'fallback', reason: 'unavailable' });
  });

  test('any other failure (a non-AWS error) never escapes', async () => {
    fs.on(BatchGetRecordCommand).callsFake(() => {
      throw new TypeError('boom');
    });
    await expect(withOnlineFeatures(CFG, REQUEST, metrics(), {})).resolves.toEqual({ kind: 'fallback', reason: 'unavailable' });
  });
});

describe('online features: bad input', () => {
  test.each<[string, Record<string, unknown>]>([
    ['no entity key in the request', { amount: 10 }],
    ['a null entity key', { account_id: null as unknown as string }],
    ['an empty entity key', { account_id: '' }],
    ['a boolean entity key', { account_id: true }],
  ])('%s is a miss, and nothing is looked up', async (_n, request) => {
    const m = metrics();
    expect(await withOnlineFeatures(CFG, request as never, m, {})).toEqual({ kind: 'fallback', reason: 'missing' });
    expect(fs.commandCalls(BatchGetRecordCommand)).toHaveLength(0);
    expect(m.OnlineMisses).toBe(1);
  });

  test('record values that do not read as their type are not used; their defaults stand in (degraded)', async () => {
    fs.on(BatchGetRecordCommand).resolves(record({ txn_count_24h: '2.5', amount_sum_24h: 'NaN' }));
    const cfg = { ...CFG, defaults: { txn_count_24h: 0, amount_sum_24h: 0 } };
    expect(await withOnlineFeatures(cfg, REQUEST, metrics(), {})).toEqual({ kind: 'features', features: { ...REQUEST, txn_count_24h: 0, amount_sum_24h: 0 }, degraded: true, source: 'record' });
  });

  test('features the record carries but the config did not ask for are ignored', async () => {
    fs.on(BatchGetRecordCommand).resolves(record({ txn_count_24h: '1', amount_sum_24h: '2', ssn: '123' }));
    const out = (await withOnlineFeatures(CFG, REQUEST, metrics(), {})) as Extract<Awaited<ReturnType<typeof withOnlineFeatures>>, { kind: 'features' }>;
    expect(out.features).not.toHaveProperty('ssn');
  });

  test.each<[string, unknown, RegExp]>([
    ['not JSON', '{', /not valid JSON/],
    ['an array', '[]', /JSON object/],
    ['no features', JSON.stringify({ ...RAW, features: [] }), /non-empty array/],
    ['a feature name with a dot', JSON.stringify({ ...RAW, features: ['a.b'] }), /not a feature name/],
    ['a missing type', JSON.stringify({ ...RAW, types: { txn_count_24h: 'integer' } }), /types.amount_sum_24h/],
    ['a zero budget', JSON.stringify({ ...RAW, timeoutMs: 0 }), /timeoutMs/],
    ['an unknown missing policy', JSON.stringify({ ...RAW, onMissing: 'ignore' }), /onMissing/],
    ['defaults policy without every default', JSON.stringify({ ...RAW, onUnavailable: 'defaults', defaults: { txn_count_24h: 0 } }), /missing amount_sum_24h/],
    ['a default for an unknown feature', JSON.stringify({ ...RAW, defaults: { other: 1 } }), /defaults.other/],
    ['__proto__ as the entity key', JSON.stringify({ ...RAW, entityKeyField: '__proto__' }), /entityKeyField/],
  ])('ONLINE_FEATURES with %s is a ConfigError naming the field', (_n, raw, message) => {
    expect(() => parseOnlineFeatures(raw as string)).toThrow(ConfigError);
    expect(() => parseOnlineFeatures(raw as string)).toThrow(message);
  });

  test('absent or blank ONLINE_FEATURES means no lookup; defaults fill in fallback and 50 ms', () => {
    expect(parseOnlineFeatures(undefined)).toBeUndefined();
    expect(parseOnlineFeatures('  ')).toBeUndefined();
    const { timeoutMs: _t, ...rest } = RAW;
    expect(parseOnlineFeatures(JSON.stringify(rest))).toMatchObject<Partial<OnlineFeaturesConfig>>({ timeoutMs: 50, onMissing: 'fallback', onUnavailable: 'fallback', requestWins: false });
  });
});
