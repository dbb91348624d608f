import * as fs from 'fs';
import * as path from 'path';
import { loadEnvironments } from '../../config';
import { SAGEMAKER_REALTIME_PRICES } from '../../config/pricing/sagemaker-instances';
import {
  defaultAssumptions,
  equivalentTarget,
  formatScalingReport,
  normalizeSteps,
  parseScalingTrace,
  ScalingSimulationError,
  ScalingTraceError,
  simulatePolicy,
  simulateScaling,
} from '../../lib/inference/scaling-simulation';
import type { ScalingAssumptions, ScalingTrace, SimulatedPolicy } from '../../lib/inference/scaling-simulation';

/** A trace from (second, rate) changes: each rate holds until the next change, and the trace is `length` s long. */
function traceOf(length: number, changes: Array<[second: number, rate: number]>): ScalingTrace {
  const requestsPerSecond = new Float64Array(length);
  changes.forEach(([from, rate], i) => requestsPerSecond.fill(rate, from, i + 1 < changes.length ? changes[i + 1][0] : length));
  return { start: '0', requestsPerSecond };
}

// 8 concurrent requests of 100 ms each: 80 requests per second per instance.
const ASSUMPTIONS: ScalingAssumptions = { ...defaultAssumptions('concurrency'), serviceTimeMs: 100, maxConcurrentRequestsPerInstance: 8, instanceStartSeconds: 390 };
const POLICY: SimulatedPolicy = {
  minCapacity: 1,
  maxCapacity: 4,
  metric: 'concurrency',
  target: 4,
  scaleOutCooldownSeconds: 120,
  scaleInCooldownSeconds: 600,
  steps: [],
};

describe('parseScalingTrace', () => {
  test('holds each rate until the next row; the last row lasts as long as the step before it', () => {
    const trace = parseScalingTrace('timestamp,requests_per_second\n0,10\n2,20\n5,0\n');
    expect(Array.from(trace.requestsPerSecond)).toEqual([10, 10, 20, 20, 20, 0, 0, 0]);
    expect(trace.start).toBe('0');
  });

  test('reads ISO 8601 timestamps', () => {
    const trace = parseScalingTrace('timestamp,requests_per_second\n2026-11-20T00:00:00Z,5\n2026-11-20T00:00:03Z,7\n');
    expect(Array.from(trace.requestsPerSecond)).toEqual([5, 5, 5, 7, 7, 7]);
    expect(trace.start).toBe('2026-11-20T00:00:00Z');
  });

  test.each([
    ['timestamp,requests_per_second\n0,1\n0,2\n', /line 3: .*not after the row before it/],
    ['timestamp,requests_per_second\n0,-1\n', /line 2: requests_per_second "-1" must be a number >= 0/],
    ['timestamp,requests_per_second\n0,1,2\n', /line 2: expected 2 columns/],
    ['timestamp,requests_per_second\nyesterday,1\n', /line 2: timestamp "yesterday" is neither ISO 8601/],
    ['timestamp,requests_per_second\n', /no rows/],
  ])('rejects %j naming the line and the fix', (csv, message) => {
    expect(() => parseScalingTrace(csv)).toThrow(ScalingTraceError);
    expect(() => parseScalingTrace(csv)).toThrow(message);
  });

  test('both shipped example traces parse, each a 24 h or shorter trace at 1 s resolution', () => {
    for (const name of ['daily-cycle.csv', 'spike-6x.csv']) {
      const trace = parseScalingTrace(fs.readFileSync(path.join(__dirname, '..', '..', 'bench', 'traces', name), 'utf8'));
      expect(trace.requestsPerSecond.length).toBeGreaterThan(3600);
      expect(trace.requestsPerSecond.length).toBeLessThanOrEqual(86_400);
    }
  });
});

describe('simulatePolicy', () => {
  test('a fixed fleet within capacity: no overload, instance-hours = instances x hours', () => {
    const fixed = { ...POLICY, minCapacity: 2, maxCapacity: 2 };
    const outcome = simulatePolicy(traceOf(3600, [[0, 100]]), fixed, ASSUMPTIONS);
    expect(outcome).toMatchObject({ secondsOverloaded: 0, peakQueue: 0, instanceHours: 2, scaleOuts: 0, scaleIns: 0 });
  });

  test('an overloaded fixed fleet queues the excess and drains it after the burst', () => {
    // One instance serves 80 req/s. 100 req/s for 10 s leaves 20 more waiting each second: 200 at the peak;
    // then 80 drain per second: 120, 40, 0. Overloaded: the 10 burst seconds and 2 draining ones.
    const single = { ...POLICY, minCapacity: 1, maxCapacity: 1 };
    const outcome = simulatePolicy(traceOf(20, [[0, 100], [10, 0]]), single, ASSUMPTIONS);
    expect(outcome.peakQueue).toBeCloseTo(200, 9);
    expect(outcome.secondsOverloaded).toBe(12);
  });

  test('high-resolution concurrency scales out 30 s after the load rises; the instance serves 390 s later', () => {
    // 20 req/s needs 1 instance (20 x 0.1 s = 2 concurrent < 4). At 60 s the rate triples: 6 concurrent.
    // Datapoints for [60,70), [70,80), [80,90) are above 4: scale out at 90 s to ceil(1 x 6 / 4) = 2.
    const outcome = simulatePolicy(traceOf(600, [[0, 20], [60, 60]]), POLICY, ASSUMPTIONS);
    expect(outcome.scaleOuts).toBe(1);
    expect(outcome.peakInstances).toBe(2);
    // 1 instance for 90 s, then 2 (one starting, billed) for 510 s: 1110 instance-seconds.
    expect(outcome.instanceHours).toBeCloseTo(1110 / 3600, 9);
    expect(outcome.instancesPerMinute.slice(0, 3)).toEqual([1, 2, 2]);
  });

  test('invocations per instance on 60 s datapoints reacts to the same rise at 240 s', () => {
    // Equivalent target: 4 concurrent / 0.1 s x 60 = 2400 invocations per instance per minute. 60 req/s = 3600/min.
    // Datapoints at 120, 180 and 240 s are above: scale out at 240 s to ceil(3600 / 2400) = 2.
    const invocations: SimulatedPolicy = { ...POLICY, metric: 'invocations', target: equivalentTarget(POLICY, 'invocations', 100) };
    expect(invocations.target).toBeCloseTo(2400, 9);
    const outcome = simulatePolicy(traceOf(600, [[0, 20], [60, 60]]), invocations, { ...ASSUMPTIONS, metricPeriodSeconds: 60 });
    expect(outcome.scaleOuts).toBe(1);
    expect(outcome.instanceHours).toBeCloseTo((240 + 2 * 360) / 3600, 9);
    expect(outcome.instancesPerMinute.slice(0, 5)).toEqual([1, 1, 1, 2, 2]);
  });

  test('scales in after 15 datapoints below 90% of target, to the size the metric asks for', () => {
    // 110 req/s starts on ceil(110 x 0.1 / 4) = 3 instances at 3.67 concurrent each (between 3.6 and 4: no action).
    // At 60 s the rate drops to 10: 0.33 each. Datapoints at 70..210 s are 15 below 3.6: scale in at 210 s to
    // ceil(3 x 0.33 / 4) = 1.
    const outcome = simulatePolicy(traceOf(300, [[0, 110], [60, 10]]), POLICY, ASSUMPTIONS);
    expect(outcome.scaleIns).toBe(1);
    expect(outcome.instancesPerMinute).toEqual([3, 3, 3, 1, 1]);
    expect(outcome.instanceHours).toBeCloseTo((3 * 210 + 90) / 3600, 9);
  });

  test('never goes past the max cap, however far the metric is over target', () => {
    const outcome = simulatePolicy(traceOf(1200, [[0, 10], [30, 10_000]]), POLICY, ASSUMPTIONS);
    expect(outcome.peakInstances).toBe(4);
    expect(Math.max(...outcome.instancesPerMinute)).toBe(4);
  });

  test('step scaling adds its change on a 1-minute datapoint in its interval', () => {
    // 150 req/s on 1 instance of 20 x 100 ms (200 req/s): 15 concurrent, in [12, 24) -> +2 at 60 s.
    // Target tracking's target (100) is never reached, and its scale-in is switched off here, so only the step
    // acts; the instances serve at 450 s.
    const steps: SimulatedPolicy = { ...POLICY, target: 100, steps: [{ lower: 12, upper: 24, change: 2 }, { lower: 24, change: 4 }] };
    const outcome = simulatePolicy(traceOf(600, [[0, 150]]), steps, {
      ...ASSUMPTIONS,
      maxConcurrentRequestsPerInstance: 20,
      scaleInDatapoints: Number.MAX_SAFE_INTEGER,
    });
    expect(outcome.actions).toEqual([{ second: 60, from: 1, to: 3 }]);
    expect(outcome.scaleOuts).toBe(1);
    expect(outcome.peakInstances).toBe(3);
    expect(outcome.instanceHours).toBeCloseTo((60 + 3 * 540) / 3600, 9);
  });

  test('step scaling applies the step whose bounds contain the datapoint, not the first that starts below it', () => {
    // Configured as in config/models/fraud-detector.ts: { lower: 12, +2 }, { lower: 24, +4 }. Application Auto
    // Scaling closes the first step at 24, so a datapoint of 24 or more adds 4. 300 req/s on one instance serving
    // 200 req/s: 20 in service plus a backlog growing 100 a second, 3050 on average over the first minute.
    const configured: SimulatedPolicy = { ...POLICY, maxCapacity: 10, target: 100_000, steps: [{ lower: 12, change: 2 }, { lower: 24, change: 4 }] };
    const outcome = simulatePolicy(traceOf(120, [[0, 300]]), configured, { ...ASSUMPTIONS, maxConcurrentRequestsPerInstance: 20 });
    expect(outcome.actions[0]).toEqual({ second: 60, from: 1, to: 5 });
    expect(normalizeSteps(configured.steps)).toEqual([
      { lower: 12, upper: 24, change: 2 },
      { lower: 24, change: 4 },
    ]);
  });

  test('scheduled actions move the bounds when due: dev\'s off-hours schedule on a Friday', () => {
    // 2026-11-20 is a Friday. The last action before 00:00 was Thursday's 19:00 scale-down: max 1 until 07:00.
    // 500 req/s asks for more than 2 instances all day. At 07:00 the bounds become 1-2 and target tracking adds
    // the second instance on its next datapoint (07:00:10; its streak above target is hours long); at 19:00 the
    // scale-down cuts the fleet to 1 at once. Instance-seconds: 25,210 x 1 + 43,190 x 2 + 18,000 x 1 = 129,590.
    const day = { start: '2026-11-20T00:00:00Z', requestsPerSecond: new Float64Array(86_400).fill(500) };
    const dev: SimulatedPolicy = {
      ...POLICY,
      maxCapacity: 2,
      schedule: [
        { name: 'ScaleDownOffHours', cron: '0 19 ? * MON-FRI *', timeZone: 'UTC', minCapacity: 1, maxCapacity: 1 },
        { name: 'ScaleUpWorkingHours', cron: '0 7 ? * MON-FRI *', timeZone: 'UTC', minCapacity: 1, maxCapacity: 2 },
      ],
    };
    const outcome = simulatePolicy(day, dev, ASSUMPTIONS);
    expect(outcome.scheduledActions).toBe(2);
    expect(outcome.instanceHours).toBeCloseTo(129_590 / 3600, 9);
    expect([outcome.instancesPerMinute[59], outcome.instancesPerMinute[719], outcome.instancesPerMinute[1199]]).toEqual([1, 2, 1]);
    // Without the schedule the same day runs 2 instances throughout.
    expect(simulatePolicy(day, { ...dev, schedule: [] }, ASSUMPTIONS).instanceHours).toBeCloseTo(48, 9);
    // A Saturday has no action: Friday's 19:00 scale-down holds all day.
    const saturday = simulatePolicy({ ...day, start: '2026-11-21T00:00:00Z' }, dev, ASSUMPTIONS);
    expect([saturday.scheduledActions, saturday.instanceHours]).toEqual([0, 24]);
  });

  test('scales from zero on the first demand (inference components)', () => {
    const toZero = { ...POLICY, minCapacity: 0 };
    const outcome = simulatePolicy(traceOf(520, [[0, 0], [100, 5]]), toZero, ASSUMPTIONS);
    // The first datapoint with demand ends at 110 s: one instance, serving at 500 s. 5 req/s queue until then: 2000.
    // At 510 s its datapoint (backlog 1925 on 1 instance) is the third above target: scale out to the max, 4.
    expect(outcome.peakQueue).toBeCloseTo(5 * 400, 9);
    expect(outcome.scaleOuts).toBe(2);
    expect(outcome.instanceHours).toBeCloseTo((390 + 10 + 4 * 10) / 3600, 9);
  });
});

describe('simulateScaling against the configured policy', () => {
  const [prod] = loadEnvironments('prod');
  const endpoint = prod.modelRegistry.models[0].endpointName;
  const variant = prod.modelRegistry.models[0].endpoint.variants[0];

  test('uses the variant\'s policy and instance type from config, and prices its instance-hours', () => {
    const result = simulateScaling(prod, endpoint, traceOf(3600, [[0, 50]]), { traceName: 'flat', prices: SAGEMAKER_REALTIME_PRICES });
    expect(result.policy).toMatchObject({
      minCapacity: variant.scaling?.minCapacity,
      maxCapacity: variant.scaling?.maxCapacity,
      metric: variant.scaling?.metric,
      target: variant.scaling?.target,
      scaleOutCooldownSeconds: variant.scaling?.scaleOutCooldownSeconds,
      scaleInCooldownSeconds: variant.scaling?.scaleInCooldownSeconds,
    });
    expect(result.instanceType).toBe(variant.instanceType);
    expect(result.pricePerHour).toBe(SAGEMAKER_REALTIME_PRICES.pricePerHour[variant.instanceType]);
    expect(result.estimatedCostUsd).toBeCloseTo(result.instanceHours * (result.pricePerHour as number), 9);
  });

  test('without a price table it gives no cost and the report says why (the simulation reads no config of its own)', () => {
    const result = simulateScaling(prod, endpoint, traceOf(600, [[0, 50]]), { traceName: 'flat' });
    expect(result.estimatedCostUsd).toBeUndefined();
    expect(formatScalingReport(result)).toMatch(/estimated cost.*unknown: no price table given/);
    const partial = { ...SAGEMAKER_REALTIME_PRICES, pricePerHour: {} };
    expect(formatScalingReport(simulateScaling(prod, endpoint, traceOf(600, [[0, 50]]), { prices: partial }))).toMatch(/is not in the price table/);
  });

  test('a metric what-if swaps in the equivalent target and drops the configured steps', () => {
    const result = simulateScaling(prod, endpoint, traceOf(600, [[0, 50]]), { metric: 'invocations', serviceTimeMs: 100 });
    expect(result.policy.metric).toBe('invocations');
    expect(result.policy.target).toBeCloseTo(((variant.scaling?.target as number) / 0.1) * 60, 9);
    expect(result.policy.steps).toEqual([]);
    expect(result.assumptions.metricPeriodSeconds).toBe(60);
  });

  test('the report gives every figure and every named assumption with its source in docs/', () => {
    const report = formatScalingReport(simulateScaling(prod, endpoint, traceOf(600, [[0, 50]]), { traceName: 'flat.csv' }));
    for (const figure of ['seconds overloaded', 'instance-hours', 'estimated cost', 'peak queue']) expect(report).toContain(figure);
    for (const name of ['metric period', 'target tracking', 'cooldowns', 'instance start time', 'max cap']) {
      expect(report).toMatch(new RegExp(`- ${name}: .*\\[docs/scaling-simulation\\.md#`));
    }
    const anchors = [...report.matchAll(/docs\/scaling-simulation\.md#([a-z-]+)/g)].map((m) => m[1]);
    const doc = fs.readFileSync(path.join(__dirname, '..', '..', 'docs', 'scaling-simulation.md'), 'utf8');
    for (const anchor of anchors) expect(doc).toContain(`<a id="${anchor}"></a>`);
  });

  test('dev\'s off-hours schedule is simulated and listed among the assumptions', () => {
    const [dev] = loadEnvironments('dev');
    const trace = parseScalingTrace(fs.readFileSync(path.join(__dirname, '..', '..', 'bench', 'traces', 'daily-cycle.csv'), 'utf8'));
    const result = simulateScaling(dev, dev.modelRegistry.models[0].endpointName, trace);
    expect(result.scheduledActions).toBe(2);
    const schedule = result.namedAssumptions.find((x) => x.name === 'scheduled actions');
    expect(schedule?.value).toMatch(/ScaleDownOffHours cron\(0 19 \? \* MON-FRI \*\) UTC: 1-1 instances; ScaleUpWorkingHours .* in effect at the trace's start: ScaleDownOffHours/);
    // 12 off-hours at 1 instance: fewer than the 2 x 24 = 48 a schedule-blind replay could reach.
    expect(result.instanceHours).toBeLessThan(37);
    // With timestamps in seconds there is no wall clock to place the schedule on: said, not guessed.
    const seconds = simulateScaling(dev, dev.modelRegistry.models[0].endpointName, traceOf(600, [[0, 50]]));
    expect(seconds.namedAssumptions.find((x) => x.name === 'scheduled actions')?.value).toMatch(/NOT simulated: the trace's timestamps are seconds/);
    expect(seconds.scheduledActions).toBe(0);
  });

  test('names the endpoints there are when the endpoint is unknown', () => {
    expect(() => simulateScaling(prod, 'nope', traceOf(10, [[0, 1]]))).toThrow(ScalingSimulationError);
    expect(() => simulateScaling(prod, 'nope', traceOf(10, [[0, 1]]))).toThrow(new RegExp(endpoint));
  });
});
