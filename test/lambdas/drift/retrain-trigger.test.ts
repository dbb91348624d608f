/**
 * retrain-trigger.
 *  - DynamoDB: real SDK client against a private moto_server (moto DynamoDB).
 *  - SageMaker StartPipelineExecution: MOCKED with aws-sdk-client-mock on the
 *    handler's module-scope client (requests recorded and asserted).
 *  - Time: jest fake Date (no sleeping). EMF/logs: captured stdout/stderr,
 *    checked against the fields and metrics of before (test/support/runtime-golden.ts).
 *
 * moto_server serves requests on parallel threads without per-item locking,
 * so two simultaneous conditional writes on one item are not guaranteed to be
 * atomic THERE (real DynamoDB serialises writes per item). The storm test
 * therefore installs `serialisePutItems` on the DynamoDB client: it holds
 * every PutItem until all racers have sent theirs (the worst interleaving:
 * all 50 handlers are past their reads and in flight), then lets them reach
 * moto one at a time, as DynamoDB applies them. What is under test is the
 * Lambda's condition expression.
 */

import { createHash } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { StartPipelineExecutionCommand } from '@aws-sdk/client-sagemaker';
import type { StartPipelineExecutionCommandInput } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import type { AwsStub } from 'aws-sdk-client-mock';
import { describeWithMoto, motoClientConfig, MOTO_REGION } from '../../support/moto';
import { clients as handlerClients, handler, RetrainConfigError } from '../../../lambdas/retrain-trigger/index';
import type { DriftEvent, RetrainOutcome } from '../../../lambdas/retrain-trigger/index';
import { clientRequestToken, driftEvidence, MAX_PARAMETER_CHARS } from '../../../lambdas/retrain-trigger/evidence';
import { startCapture } from '../../support/lambda-output';
import { expectGoldenCovered, expectMatchesGolden } from '../../support/runtime-golden';
import { fakeDate, routeTo, unrouteAll } from '../../support/sdk-clients';

type Json = Record<string, unknown>;

const T0 = Date.parse('2031-03-01T09:00:00.000Z');
const MIN = 60_000;
const DEBOUNCE_MINUTES = 60;
const PIPELINES = { 'fraud-prod': 'fraud-retrain', 'churn-prod': 'churn-retrain' };

/** Independent expectation of the token: SHA-256 hex of "plinth-retrain:<event id>". */
function expectedToken(eventId: string): string {
  return createHash('sha256').update(`plinth-retrain:${eventId}`).digest('hex');
}

function driftEvent(id: string, endpointName = 'fraud-prod'): DriftEvent {
  return {
    id,
    source: 'plinth.drift',
    'detail-type': 'Model Drift Detected',
    time: '2031-03-01T08:59:00Z',
    detail: {
      endpointName,
      window: { start: '2031-03-01T08:00:00Z', end: '2031-03-01T09:00:00Z' },
      baselineVersion: 1,
      features: [
        { name: 'income', type: 'numeric', reasons: ['psi'], n: 5000, psi: 0.2512345, ks: 0.0912, missingRateDelta: 0.001, unseenShare: 0, unseenCategories: 0, unseen: [] },
        { name: 'age', type: 'numeric', reasons: ['psi', 'ks'], n: 5000, psi: 0.8312345, ks: 0.41234, missingRateDelta: 0, unseenShare: 0, unseenCategories: 0, unseen: [] },
      ],
    },
  };
}

describe('retrain-trigger evidence (pure)', () => {
  it('DriftEvidence is compact JSON, largest PSI first, never longer than 1024 characters', () => {
    // GIVEN 200 drifting features with long names
    const features = Array.from({ length: 200 }, (_, i) => ({ name: `feature_with_a_long_name_${i}`, psi: i / 100, ks: 0.123456789, missingRateDelta: 0, unseenShare: 0, reasons: ['psi'] }));
    // WHEN
    const s = driftEvidence(features);
    const parsed = JSON.parse(s) as { features: { name: string; psi: number; ks: number }[]; omitted: number };
    // THEN it fits the SageMaker parameter limit and says how many it left out
    expect(s.length).toBeLessThanOrEqual(MAX_PARAMETER_CHARS);
    expect(parsed.features[0]).toMatchObject({ name: 'feature_with_a_long_name_199', psi: 1.99, ks: 0.1235 });
    expect(parsed.features.length).toBeGreaterThan(3);
    expect(parsed.features.length + parsed.omitted).toBe(200);
  });

  it('a feature that drifted on its missing rate alone (psi null) comes first and keeps its missing-rate delta', () => {
    // GIVEN a feature that went all-missing (no PSI) and two shifted ones
    const features = [
      { name: 'age', psi: 0.4, missingRateDelta: 0, unseenShare: 0, reasons: ['psi'] },
      { name: 'income', psi: null, missingRateDelta: 0.98, unseenShare: null, reasons: ['missingRate'] },
      { name: 'zip', psi: 3.2, missingRateDelta: 0, unseenShare: 0, reasons: ['psi'] },
    ];
    // WHEN
    const parsed = JSON.parse(driftEvidence(features)) as { features: Record<string, unknown>[] };
    // THEN the broken feature leads, without a made-up PSI
    expect(parsed.features.map((f) => f.name)).toEqual(['income', 'zip', 'age']);
    expect(parsed.features[0]).toEqual({ name: 'income', missingRateDelta: 0.98, reasons: ['missingRate'] });
  });

  it('DriftEvidence adds the features the drift event already left out to its own omitted count', () => {
    // GIVEN one feature, and a drift event that had left 5 out; WHEN / THEN
    expect(JSON.parse(driftEvidence([{ name: 'a', psi: 1 }], 5))).toEqual({ features: [{ name: 'a', psi: 1 }], omitted: 5 });
    // a count that is not a non-negative integer is ignored
    expect(JSON.parse(driftEvidence([{ name: 'a', psi: 1 }], -1)).omitted).toBe(0);
    expect(JSON.parse(driftEvidence([{ name: 'a', psi: 1 }], 'x')).omitted).toBe(0);
  });

  it('the ClientRequestToken is a deterministic 64-hex SHA-256 of the event id', () => {
    // GIVEN two event ids
    // WHEN tokens are derived
    // THEN same id -> same token (32..128 chars), different id -> different token
    expect(clientRequestToken('evt-1')).toBe(expectedToken('evt-1'));
    expect(clientRequestToken('evt-1')).toMatch(/^[0-9a-f]{64}$/);
    expect(clientRequestToken('evt-2')).not.toBe(clientRequestToken('evt-1'));
  });
});

describeWithMoto('retrain-trigger (moto DynamoDB; SageMaker StartPipelineExecution mocked with aws-sdk-client-mock)', (moto) => {
  let tableCounter = 0;
  let table: string;
  let ddb: DynamoDBClient;
  let sm: AwsStub<any, any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  let clockMs: number;
  let lines: string[];
  let capture: ReturnType<typeof startCapture> | undefined;

  const fakeStart = async (input: StartPipelineExecutionCommandInput): Promise<{ PipelineExecutionArn: string }> => ({
    PipelineExecutionArn: `arn:aws:sagemaker:${MOTO_REGION}:123456789012:pipeline/${input.PipelineName}/execution/${input.ClientRequestToken!.slice(0, 12)}`,
  });
  const starts = (): StartPipelineExecutionCommandInput[] =>
    sm.commandCalls(StartPipelineExecutionCommand).map((c) => c.args[0].input as StartPipelineExecutionCommandInput);
  const emf = (metric: string): Json[] => lines.map((l) => JSON.parse(l) as Json).filter((o) => o._aws !== undefined && o[metric] === 1);
  const logs = (msg: string): Json[] => lines.map((l) => JSON.parse(l) as Json).filter((o) => o.msg === msg);
  const lockItem = async (endpointName: string): Promise<Json | undefined> =>
    (await ddb.send(new GetItemCommand({ TableName: table, Key: { endpointName: { S: endpointName } }, ConsistentRead: true }))).Item as Json | undefined;

  /** PutItems are held until `barrier` of them are in flight, then reach moto one at a time (see header). */
  function serialisePutItems(client: DynamoDBClient, barrier: number): { released: () => boolean } {
    let chain: Promise<unknown> = Promise.resolve();
    let waiting: (() => void)[] = [];
    let remaining = barrier;
    let byTimeout = false;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName !== 'PutItemCommand') return next(args);
        if (remaining > 0) {
          await new Promise<void>((resolve) => {
            // never hang on a broken expectation: release after 5 s (and say so)
            const timer = setTimeout(() => {
              byTimeout = true;
              resolve();
            }, 5000);
            waiting.push(() => {
              clearTimeout(timer);
              resolve();
            });
            remaining--;
            if (remaining === 0) {
              for (const w of waiting) w();
              waiting = [];
            }
          });
        }
        const run = chain.then(() => next(args));
        chain = run.catch(() => undefined);
        return run;
      },
      { step: 'initialize', name: 'serialisePutItems' },
    );
    return { released: () => !byTimeout };
  }

  beforeEach(async () => {
    table = `plinth-retrain-debounce-${++tableCounter}`;
    ddb = new DynamoDBClient(motoClientConfig(moto.endpoint));
    await ddb.send(
      new CreateTableCommand({
        TableName: table,
        AttributeDefinitions: [{ AttributeName: 'endpointName', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'endpointName', KeyType: 'HASH' }],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
    process.env.DEBOUNCE_TABLE = table;
    process.env.DEBOUNCE_MINUTES = String(DEBOUNCE_MINUTES);
    process.env.PIPELINES = JSON.stringify(PIPELINES);
    process.env.PLINTH_ENV = 'test';
    sm = mockClient(handlerClients.sagemaker);
    sm.on(StartPipelineExecutionCommand).callsFake(fakeStart);
    routeTo(handlerClients.dynamodb, ddb);
    clockMs = T0;
    fakeDate(clockMs);
    capture = startCapture();
    lines = capture.lines;
  });

  afterEach(() => {
    capture?.stop();
    expectMatchesGolden('plinth-retrain-trigger', lines);
    sm.restore();
    unrouteAll();
    jest.restoreAllMocks();
    jest.useRealTimers();
    for (const k of ['DEBOUNCE_TABLE', 'DEBOUNCE_MINUTES', 'PIPELINES', 'PLINTH_ENV']) delete process.env[k];
  });

  it('a quality decay event is a second cause under the same debounce: drift first, quality debounced', async () => {
    // GIVEN a drift event that started retraining
    await handler(driftEvent('evt-drift-1'));
    // WHEN a Model Quality Decayed event for the same endpoint arrives in the same period
    const quality: DriftEvent = {
      id: 'evt-quality-1',
      source: 'plinth.quality',
      'detail-type': 'Model Quality Decayed',
      time: '2031-03-01T09:00:00Z',
      detail: {
        endpointName: 'fraud-prod',
        variant: 'primary',
        window: { start: '2031-02-28T00:00:00Z', end: '2031-03-01T00:00:00Z' },
        metric: 'auc',
        value: 0.71234567,
        baseline: 0.9,
        tolerance: 0.05,
        evidenceUri: 's3://capture/quality-evidence/fraud-prod/runs/x.json',
      },
    };
    const out = await handler(quality);
    // THEN it is debounced: one start for two causes
    expect(out.outcome).toBe('debounced');
    expect(starts()).toHaveLength(1);
    // WHEN the period has passed
    clockMs += DEBOUNCE_MINUTES * MIN; jest.setSystemTime(clockMs);
    const later = await handler({ ...quality, id: 'evt-quality-2' });
    // THEN the quality event starts retraining, with its cause and evidence as the evidence parameter
    expect(later.outcome).toBe('started');
    const params = Object.fromEntries(starts()[1]!.PipelineParameters!.map((p) => [p.Name, p.Value]));
    expect(JSON.parse(params.DriftEvidence!)).toEqual({
      cause: 'quality',
      variant: 'primary',
      metric: 'auc',
      value: 0.7123,
      baseline: 0.9,
      tolerance: 0.05,
      evidenceUri: 's3://capture/quality-evidence/fraud-prod/runs/x.json',
    });
    expect(params.TriggeredBy).toBe('evt-quality-2');
    expect(params.WindowEnd).toBe('2031-03-01T00:00:00Z');
    expect(starts()[1]!.PipelineExecutionDescription).toContain('quality retraining');
  });

  it('a storm of 50 concurrent drift events starts exactly ONE pipeline execution', async () => {
    // GIVEN 50 distinct drift events for one endpoint, all arriving at once (writes racing at the worst interleaving)
    const gate = serialisePutItems(ddb, 50);
    const ids = Array.from({ length: 50 }, (_, i) => `evt-storm-${i}`);
    // WHEN they are handled concurrently
    const outcomes: RetrainOutcome[] = await Promise.all(ids.map((id) => handler(driftEvent(id))));
    // THEN one started, 49 were debounced
    expect(gate.released()).toBe(true);
    const started = outcomes.filter((o) => o.outcome === 'started');
    const debounced = outcomes.filter((o) => o.outcome === 'debounced');
    expect(started).toHaveLength(1);
    expect(debounced).toHaveLength(49);
    expect(starts()).toHaveLength(1);
    // AND the one execution carries the winner's evidence and an event-derived token
    const winnerId = ids[outcomes.findIndex((o) => o.outcome === 'started')]!;
    const input = starts()[0]!;
    expect(input.PipelineName).toBe('fraud-retrain');
    expect(input.ClientRequestToken).toBe(expectedToken(winnerId));
    const params = Object.fromEntries((input.PipelineParameters ?? []).map((p) => [p.Name, p.Value]));
    expect(params.TriggeredBy).toBe(winnerId);
    expect(params.WindowEnd).toBe('2031-03-01T09:00:00Z');
    expect(JSON.parse(params.DriftEvidence!)).toEqual({
      features: [
        { name: 'age', psi: 0.8312, ks: 0.4123, missingRateDelta: 0, unseenShare: 0, reasons: ['psi', 'ks'] },
        { name: 'income', psi: 0.2512, ks: 0.0912, missingRateDelta: 0.001, unseenShare: 0, reasons: ['psi'] },
      ],
      omitted: 0,
    });
    // AND the lock names the winner; every loser logged `debounced` and emitted RetrainingDebounced
    expect((await lockItem('fraud-prod'))?.triggeredBy).toEqual({ S: winnerId });
    expect(logs('debounced')).toHaveLength(49);
    expect(emf('RetrainingDebounced')).toHaveLength(49);
    expect(emf('RetrainingDebounced')[0]).toMatchObject({ Endpoint: 'fraud-prod', environment: 'test' });
    expect(emf('RetrainingStarted')).toHaveLength(1);
    for (const d of debounced) expect(d).toMatchObject({ heldBy: winnerId });
  });

  it('debounces per endpoint: another endpoint is not blocked', async () => {
    // GIVEN a retraining just started for fraud-prod
    await handler(driftEvent('evt-a', 'fraud-prod'));
    // WHEN churn-prod drifts a minute later
    clockMs += MIN; jest.setSystemTime(clockMs);
    const res = await handler(driftEvent('evt-b', 'churn-prod'));
    // THEN churn-prod starts its own pipeline
    expect(res.outcome).toBe('started');
    expect(starts().map((s) => s.PipelineName)).toEqual(['fraud-retrain', 'churn-retrain']);
  });

  it('after DEBOUNCE_MINUTES a new drift event starts another retraining (not one millisecond earlier)', async () => {
    // GIVEN a retraining started at T0
    expect((await handler(driftEvent('evt-1'))).outcome).toBe('started');
    // WHEN a new event arrives 1 ms before the period ends
    clockMs = T0 + DEBOUNCE_MINUTES * MIN - 1; jest.setSystemTime(clockMs);
    const early = await handler(driftEvent('evt-2'));
    // THEN it is debounced
    expect(early).toMatchObject({ outcome: 'debounced', heldBy: 'evt-1', lastStartedAt: new Date(T0).toISOString() });
    // WHEN another arrives exactly DEBOUNCE_MINUTES after the start
    clockMs = T0 + DEBOUNCE_MINUTES * MIN; jest.setSystemTime(clockMs);
    const late = await handler(driftEvent('evt-3'));
    // THEN it starts a second execution and takes over the lock
    expect(late.outcome).toBe('started');
    expect(starts().map((s) => s.ClientRequestToken)).toEqual([expectedToken('evt-1'), expectedToken('evt-3')]);
    expect((await lockItem('fraud-prod'))?.startedAt).toEqual({ N: String(T0 + DEBOUNCE_MINUTES * MIN) });
  });

  it('honours a per-endpoint debounce period from PIPELINES over the default', async () => {
    // GIVEN fraud-prod debounces for 10 minutes, churn-prod uses the 60-minute default
    process.env.PIPELINES = JSON.stringify({ 'fraud-prod': { pipelineName: 'fraud-retrain', debounceMinutes: 10 }, 'churn-prod': 'churn-retrain' });
    expect((await handler(driftEvent('evt-1', 'fraud-prod'))).outcome).toBe('started');
    expect((await handler(driftEvent('evt-2', 'churn-prod'))).outcome).toBe('started');
    // WHEN both drift again 10 minutes later
    clockMs = T0 + 10 * MIN; jest.setSystemTime(clockMs);
    // THEN only fraud-prod's period has passed
    expect((await handler(driftEvent('evt-3', 'fraud-prod'))).outcome).toBe('started');
    expect((await handler(driftEvent('evt-4', 'churn-prod'))).outcome).toBe('debounced');
    expect(starts().map((s) => s.PipelineName)).toEqual(['fraud-retrain', 'churn-retrain', 'fraud-retrain']);
  });

  it('a failing StartPipelineExecution releases the lock and throws (the next event can start)', async () => {
    // GIVEN SageMaker failing once
    sm.on(StartPipelineExecutionCommand)
      .rejectsOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }))
      .callsFake(fakeStart);
    // WHEN a drift event is handled
    // THEN the handler throws the SageMaker error (delivery retried) ...
    await expect(handler(driftEvent('evt-fail'))).rejects.toThrow('Rate exceeded');
    // ... the lock is gone, and the failure is visible
    expect(await lockItem('fraud-prod')).toBeUndefined();
    expect(emf('RetrainingStartFailed')).toHaveLength(1);
    // AND a later event (same period) is not debounced by the failed attempt
    clockMs += MIN; jest.setSystemTime(clockMs);
    const next = await handler(driftEvent('evt-next'));
    expect(next.outcome).toBe('started');
    expect(starts()).toHaveLength(2);
  });

  it('the release only deletes the lock this invocation wrote', async () => {
    // GIVEN SageMaker that fails after another writer replaced the lock meanwhile
    sm.on(StartPipelineExecutionCommand).callsFakeOnce(async () => {
      await ddb.send(
        new PutItemCommand({
          TableName: table,
          Item: { endpointName: { S: 'fraud-prod' }, startedAt: { N: String(T0) }, triggeredBy: { S: 'evt-other' }, lockToken: { S: 'someone-else' } },
        }),
      );
      throw new Error('InternalFailure');
    });
    // WHEN the handler fails
    await expect(handler(driftEvent('evt-mine'))).rejects.toThrow('InternalFailure');
    // THEN the other writer's lock is still there
    expect((await lockItem('fraud-prod'))?.lockToken).toEqual({ S: 'someone-else' });
    expect(logs('could not release the debounce lock')).toHaveLength(1);
  });

  it('a retried event (same id) after a failure starts with the SAME ClientRequestToken', async () => {
    // GIVEN the first delivery fails in SageMaker
    sm.on(StartPipelineExecutionCommand).rejectsOnce(new Error('ServiceUnavailable')).callsFake(fakeStart);
    await expect(handler(driftEvent('evt-retry'))).rejects.toThrow('ServiceUnavailable');
    // WHEN EventBridge/Lambda retries the same event
    clockMs += 2 * MIN; jest.setSystemTime(clockMs);
    const res = await handler(driftEvent('evt-retry'));
    // THEN the retry starts, with the same token as the failed attempt
    expect(res.outcome).toBe('started');
    const tokens = starts().map((s) => s.ClientRequestToken);
    expect(tokens).toHaveLength(2);
    expect(tokens[1]).toBe(tokens[0]);
    expect(tokens[0]).toBe(expectedToken('evt-retry'));
  });

  it('a duplicate delivery of the winning event re-sends the same token (SageMaker dedups); other events stay debounced', async () => {
    // GIVEN the event already started a retraining
    const first = await handler(driftEvent('evt-dup'));
    // WHEN it is delivered again five minutes later, and a different event arrives too
    clockMs += 5 * MIN; jest.setSystemTime(clockMs);
    const again = await handler(driftEvent('evt-dup'));
    const other = await handler(driftEvent('evt-different'));
    // THEN the duplicate passes the lock with the same ClientRequestToken (idempotent start) ...
    expect(first.outcome).toBe('started');
    expect(again.outcome).toBe('started');
    expect(starts().map((s) => s.ClientRequestToken)).toEqual([expectedToken('evt-dup'), expectedToken('evt-dup')]);
    // ... and the different event is still debounced
    expect(other).toMatchObject({ outcome: 'debounced', heldBy: 'evt-dup' });
  });

  it('starts the platform\'s own pipeline by ARN with the window and the cause as parameters, still debounced', async () => {
    // GIVEN the endpoint's pipeline is a TrainingPipeline, configured by ARN
    const arn = 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/plinth-test-fraud-detector-training';
    process.env.PIPELINES = JSON.stringify({ 'fraud-prod': { pipelineArn: arn, debounceMinutes: 30 } });
    // WHEN two drift events arrive within the debounce period
    const first = await handler(driftEvent('evt-platform-1'));
    clockMs += 10 * MIN; jest.setSystemTime(clockMs);
    const second = await handler(driftEvent('evt-platform-2'));
    // THEN one execution started, by ARN, with the drift window, the evidence and the cause
    expect(first.outcome).toBe('started');
    expect(second.outcome).toBe('debounced');
    expect(starts()).toHaveLength(1);
    const input = starts()[0]!;
    expect(input.PipelineName).toBe(arn);
    const params = Object.fromEntries((input.PipelineParameters ?? []).map((p) => [p.Name, p.Value]));
    expect(params).toEqual({
      DriftEvidence: expect.stringContaining('"name":"age"'),
      TriggeredBy: 'evt-platform-1',
      WindowStart: '2031-03-01T08:00:00Z',
      WindowEnd: '2031-03-01T09:00:00Z',
      Cause: 'drift',
    });
  });

  it('a quality decay event starts the platform\'s own pipeline with Cause=quality (the package records the real cause)', async () => {
    // GIVEN the endpoint's pipeline is a TrainingPipeline, configured by ARN
    const arn = 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/plinth-test-fraud-detector-training';
    process.env.PIPELINES = JSON.stringify({ 'fraud-prod': { pipelineArn: arn } });
    // WHEN a Model Quality Decayed event arrives
    const out = await handler({
      id: 'evt-quality-platform',
      source: 'plinth.quality',
      'detail-type': 'Model Quality Decayed',
      detail: { endpointName: 'fraud-prod', variant: 'primary', window: { start: '2031-02-28T00:00:00Z', end: '2031-03-01T00:00:00Z' }, metric: 'auc', value: 0.7, baseline: 0.9, tolerance: 0.05, evidenceUri: 's3://c/e.json' },
    });
    // THEN the execution's Cause (written to the package as plinth:cause) is quality, not drift
    expect(out.outcome).toBe('started');
    const params = Object.fromEntries((starts()[0]!.PipelineParameters ?? []).map((p) => [p.Name, p.Value]));
    expect(params).toMatchObject({ Cause: 'quality', TriggeredBy: 'evt-quality-platform', WindowStart: '2031-02-28T00:00:00Z', WindowEnd: '2031-03-01T00:00:00Z' });
  });

  it('counts the drifting features the drift event itself left out (featuresOmitted) as omitted', async () => {
    // GIVEN a drift event whose detail was trimmed to fit EventBridge: 2 features kept, 30 left out
    const event = driftEvent('evt-trimmed');
    event.detail.featuresOmitted = 30;
    // WHEN it starts retraining
    await handler(event);
    // THEN the evidence says 30 features are not listed, not 0
    const params = Object.fromEntries(starts()[0]!.PipelineParameters!.map((p) => [p.Name, p.Value]));
    const evidence = JSON.parse(params.DriftEvidence!) as { features: unknown[]; omitted: number };
    expect(evidence.features).toHaveLength(2);
    expect(evidence.omitted).toBe(30);
  });

  it('a named external pipeline gets only the three parameters it is documented to declare', async () => {
    await handler(driftEvent('evt-external'));
    const params = (starts()[0]!.PipelineParameters ?? []).map((p) => p.Name).sort();
    expect(params).toEqual(['DriftEvidence', 'TriggeredBy', 'WindowEnd']);
  });

  it('refuses a PIPELINES entry that names both kinds of pipeline, or a malformed ARN', async () => {
    process.env.PIPELINES = JSON.stringify({ 'fraud-prod': { pipelineArn: 'arn:aws:sagemaker:us-east-1:123456789012:pipeline/p', pipelineName: 'p' } });
    await expect(handler(driftEvent('evt-x'))).rejects.toThrow(/PIPELINES must be JSON/);
    process.env.PIPELINES = JSON.stringify({ 'fraud-prod': { pipelineArn: 'fraud-retrain' } });
    await expect(handler(driftEvent('evt-x'))).rejects.toThrow(/pipelineArn is not a SageMaker pipeline ARN/);
    expect(starts()).toHaveLength(0);
  });

  it('an endpoint without a pipeline in PIPELINES takes no lock, starts nothing and says so', async () => {
    // GIVEN drift on an endpoint that PIPELINES does not list
    // WHEN
    const res = await handler(driftEvent('evt-x', 'unknown-endpoint'));
    // THEN
    expect(res).toEqual({ outcome: 'not-configured', endpointName: 'unknown-endpoint' });
    expect(starts()).toHaveLength(0);
    expect(await lockItem('unknown-endpoint')).toBeUndefined();
    expect(emf('RetrainingNotConfigured')).toHaveLength(1);
  });

  it('refuses to run with broken configuration or an event without an endpoint', async () => {
    // GIVEN invalid PIPELINES / DEBOUNCE_MINUTES, then a malformed event
    process.env.PIPELINES = '{not json';
    await expect(handler(driftEvent('evt-c'))).rejects.toThrow(RetrainConfigError);
    process.env.PIPELINES = JSON.stringify({ 'fraud-prod': { pipelineName: 'fraud-retrain', debounceMinutes: -5 } });
    await expect(handler(driftEvent('evt-c'))).rejects.toThrow(/PIPELINES\["fraud-prod"\].debounceMinutes/);
    process.env.PIPELINES = JSON.stringify({ 'fraud-prod': { debounceMinutes: 5 } });
    await expect(handler(driftEvent('evt-c'))).rejects.toThrow(/PIPELINES must be JSON/);
    process.env.PIPELINES = JSON.stringify(PIPELINES);
    process.env.DEBOUNCE_MINUTES = '0';
    await expect(handler(driftEvent('evt-c'))).rejects.toThrow(/DEBOUNCE_MINUTES/);
    process.env.DEBOUNCE_MINUTES = String(DEBOUNCE_MINUTES);
    // WHEN / THEN
    await expect(handler({ id: 'evt-c', detail: {} } as unknown as DriftEvent)).rejects.toThrow(/endpointName/);
    expect(starts()).toHaveLength(0);
  });

  afterAll(() => expectGoldenCovered('plinth-retrain-trigger'));
});
