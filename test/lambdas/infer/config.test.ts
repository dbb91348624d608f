/**
 * Environment contract of the gateway, and the handler's behaviour when it is
 * broken (500 misconfigured, nothing called).
 */

import { ConfigError, getPath, loadConfig, parseConfig } from '../../../lambdas/infer/config';
import { captureOutput, captureOutputAsync } from '../../support/lambda-output';

const BASE: Record<string, string> = {
  ENDPOINT_NAME: 'fraud-primary',
  FALLBACK: '{"type":"default","prediction":{"label":"review","score":0.5},"confidence":0}',
  BREAKER_TABLE: 'breaker',
  CONFIDENCE_THRESHOLD: '0.8',
  INPUT_SCHEMA:
    '{"features":[{"name":"amount","type":"number","required":true,"min":0,"max":100000},{"name":"currency","type":"string","enum":["EUR","USD"]},{"name":"card_present","type":"boolean"}]}',
  REVIEW_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/review',
};

describe('parseConfig', () => {
  it('applies the documented defaults', () => {
    // GIVEN only the required variables
    // WHEN parsed
    const c = parseConfig(BASE);
    // THEN defaults fill the rest
    expect(c).toMatchObject({
      endpointName: 'fraud-primary',
      invokeTimeoutMs: 2000,
      maxPayloadBytes: 65536,
      fallback: { type: 'default', label: 'review', confidence: 0, prediction: { label: 'review', score: 0.5 } },
      breaker: { table: 'breaker', failureThreshold: 5, windowMs: 60_000, openMs: 30_000 },
      confidenceThreshold: 0.8,
      confidencePath: ['confidence'],
      labelPath: ['label'],
      modelName: 'fraud-primary',
      environment: 'unknown',
    });
    expect(c.targetVariant).toBeUndefined();
    expect([...c.highStakesLabels]).toEqual([]);
  });

  it('reads every optional variable', () => {
    // GIVEN all optional variables set
    const env = {
      ...BASE,
      TARGET_VARIANT: 'blue',
      INVOKE_TIMEOUT_MS: '1500',
      MAX_PAYLOAD_BYTES: '1024',
      FALLBACK: '{"type":"endpoint","endpointName":"fraud-small"}',
      BREAKER_FAILURE_THRESHOLD: '3',
      BREAKER_WINDOW_SECONDS: '10',
      BREAKER_OPEN_SECONDS: '0.5',
      HIGH_STAKES_LABELS: ' block ,, escalate ',
      CONFIDENCE_FIELD: 'scores.p',
      LABEL_FIELD: 'class',
      MODEL_NAME: 'fraud-xgb',
      PLINTH_ENV: 'prod',
    };
    // WHEN parsed
    const c = parseConfig(env);
    // THEN each is honoured
    expect(c).toMatchObject({
      targetVariant: 'blue',
      invokeTimeoutMs: 1500,
      maxPayloadBytes: 1024,
      fallback: { type: 'endpoint', endpointName: 'fraud-small' },
      breaker: { failureThreshold: 3, windowMs: 10_000, openMs: 500 },
      confidencePath: ['scores', 'p'],
      labelPath: ['class'],
      modelName: 'fraud-xgb',
      environment: 'prod',
    });
    expect([...c.highStakesLabels]).toEqual(['block', 'escalate']);
  });

  it.each<[string, Record<string, string | undefined>, string]>([
    ['ENDPOINT_NAME missing', { ENDPOINT_NAME: undefined }, 'ENDPOINT_NAME'],
    ['FALLBACK not JSON', { FALLBACK: '{type:default}' }, 'FALLBACK'],
    ['FALLBACK of unknown type', { FALLBACK: '{"type":"random"}' }, 'FALLBACK'],
    ['FALLBACK default without a label', { FALLBACK: '{"type":"default","prediction":{"score":1}}' }, 'FALLBACK'],
    ['FALLBACK default with confidence 2', { FALLBACK: '{"type":"default","prediction":{"label":"x"},"confidence":2}' }, 'FALLBACK'],
    ['FALLBACK endpoint = primary', { FALLBACK: '{"type":"endpoint","endpointName":"fraud-primary"}' }, 'FALLBACK'],
    ['CONFIDENCE_THRESHOLD missing', { CONFIDENCE_THRESHOLD: undefined }, 'CONFIDENCE_THRESHOLD'],
    ['CONFIDENCE_THRESHOLD above 1', { CONFIDENCE_THRESHOLD: '1.2' }, 'CONFIDENCE_THRESHOLD'],
    ['INVOKE_TIMEOUT_MS not an integer', { INVOKE_TIMEOUT_MS: '2s' }, 'INVOKE_TIMEOUT_MS'],
    ['BREAKER_FAILURE_THRESHOLD 0', { BREAKER_FAILURE_THRESHOLD: '0' }, 'BREAKER_FAILURE_THRESHOLD'],
    ['BREAKER_OPEN_SECONDS 0', { BREAKER_OPEN_SECONDS: '0' }, 'BREAKER_OPEN_SECONDS'],
    ['INPUT_SCHEMA with a typo', { INPUT_SCHEMA: '{"features":[{"name":"a","type":"number","minimum":0}]}' }, 'INPUT_SCHEMA'],
    ['LABEL_FIELD through __proto__', { LABEL_FIELD: '__proto__.label' }, 'LABEL_FIELD'],
    ['BREAKER_TABLE missing', { BREAKER_TABLE: '' }, 'BREAKER_TABLE'],
    ['REVIEW_QUEUE_URL missing', { REVIEW_QUEUE_URL: undefined }, 'REVIEW_QUEUE_URL'],
    ['MAX_PAYLOAD_BYTES above 128 KiB', { MAX_PAYLOAD_BYTES: '131073' }, 'MAX_PAYLOAD_BYTES'],
    ['ENDPOINT_NAME with an underscore', { ENDPOINT_NAME: 'fraud_primary' }, 'ENDPOINT_NAME'],
    ['MODEL_NAME with a dot', { MODEL_NAME: 'fraud.v7' }, 'MODEL_NAME'],
    ['FALLBACK endpoint with a slash', { FALLBACK: '{"type":"endpoint","endpointName":"a/b"}' }, 'FALLBACK'],
  ])('rejects %s, naming the variable', (_name, patch, variable) => {
    // GIVEN one bad variable
    const env: Record<string, string | undefined> = { ...BASE, ...patch };
    // WHEN parsed
    let caught: unknown;
    try {
      parseConfig(env);
    } catch (err) {
      caught = err;
    }
    // THEN a ConfigError names it
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).variable).toBe(variable);
  });

  it('memoises on the raw values and re-parses when they change', () => {
    // GIVEN an environment
    const env: Record<string, string | undefined> = { ...BASE };
    // WHEN loaded twice, then after a change
    const a = loadConfig(env);
    const b = loadConfig(env);
    env.CONFIDENCE_THRESHOLD = '0.6';
    const c = loadConfig(env);
    // THEN the same object is reused until a value changes
    expect(b).toBe(a);
    expect(c).not.toBe(a);
    expect(c.confidenceThreshold).toBe(0.6);
  });

  it('getPath only follows own properties', () => {
    // GIVEN an object and a path into its prototype
    const obj = JSON.parse('{"a":{"b":1}}') as unknown;
    // WHEN looked up
    // THEN own paths resolve, inherited ones do not
    expect(getPath(obj, ['a', 'b'])).toBe(1);
    expect(getPath(obj, ['toString'])).toBeUndefined();
    expect(getPath(obj, ['a', 'b', 'c'])).toBeUndefined();
  });
});

describe('handler with a broken environment', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
    jest.restoreAllMocks();
  });

  it('answers 500 misconfigured, logs the variable, and calls nothing', async () => {
    // GIVEN an environment without FALLBACK and clients that would fail the test if used
    process.env = { ...saved, ...BASE, FALLBACK: '' };
    const { clients } = await import('../../../lambdas/infer/clients');
    const boom = (): Promise<never> => Promise.reject(new Error('must not be called'));
    for (const client of [clients.sagemaker, clients.dynamodb, clients.sqs]) jest.spyOn(client, 'send').mockImplementation(boom as never);
    const { handler } = await import('../../../lambdas/infer/index');
    // WHEN a valid request arrives
    const { result: res, lines } = await captureOutputAsync(() => handler({ body: '{"amount":1}', isBase64Encoded: false, requestContext: { http: { method: 'POST' } } } as never));
    // THEN 500 {error:'misconfigured'}, with the variable in the log and an EMF line
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body as string)).toEqual({ error: 'misconfigured' });
    const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.some((l) => l.msg === 'gateway misconfigured' && l.variable === 'FALLBACK')).toBe(true);
    expect(logged.some((l) => l._aws !== undefined && l.Unavailable === 1 && l.Endpoint === 'fraud-primary')).toBe(true);
  });

  it('loading the handler module does no I/O and reads no configuration', () => {
    // GIVEN an empty environment and captured output
    process.env = {};
    // WHEN the module is loaded fresh
    let loaded: unknown;
    const lines = captureOutput(() =>
      jest.isolateModules(() => {
        loaded = require('../../../lambdas/infer/index');
      }),
    );
    // THEN it exports the handler and wrote nothing
    expect(typeof (loaded as { handler: unknown }).handler).toBe('function');
    expect(lines).toEqual([]);
  });
});
