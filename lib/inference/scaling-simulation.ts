/**
 * Scaling what-if: replays a request-rate trace against an endpoint variant's configured scaling
 * policy, second by second, and reports seconds overloaded, instance-hours, estimated cost and the
 * peak queue. Every modelling choice is a named assumption printed with the result; each is
 * explained, with its source, in docs/scaling-simulation.md.
 *
 * The three functions the `plinth simulate-scaling` command calls:
 *
 * ```ts
 * const trace = parseScalingTrace(fs.readFileSync(file, 'utf8'));        // throws ScalingTraceError naming the line
 * const result = simulateScaling(environmentConfig, endpointName, trace, { traceName: file, prices }); // throws ScalingSimulationError
 * process.stdout.write(formatScalingReport(result));
 * ```
 *
 * `simulateScaling`'s options override the policy or an assumption for a what-if, e.g.
 * `{ metric: 'invocations' }` replays the same trace against invocations-per-instance tracking with
 * the equivalent target (see {@link equivalentTarget}).
 */
import { PlinthError } from '../errors';
import { CronSchedule, scheduledActionInEffect, type ScheduledCapacity } from './scaling-schedule';

export type { ScheduledCapacity } from './scaling-schedule';

/** A trace that cannot be read; the message names the line and what to change. */
export class ScalingTraceError extends PlinthError {}

/** A simulation that cannot run (unknown endpoint, no scaling policy, unsupported metric). */
export class ScalingSimulationError extends PlinthError {}

/** Requests per second at 1-second resolution, from {@link parseScalingTrace}. */
export interface ScalingTrace {
  /** The first row's timestamp as written. */
  readonly start: string;
  /** Requests per second for each second from the start; a row's rate holds until the next row. */
  readonly requestsPerSecond: Float64Array;
}

/** The scaling metrics Plinth configures (config `scaling.metric`) that the simulation models. */
export type SimulatedMetric = 'concurrency' | 'invocations';

/** A variant's scaling policy, as the simulation sees it. */
export interface SimulatedPolicy {
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly metric: SimulatedMetric;
  /** Concurrent requests per instance (concurrency), or invocations per instance per minute (invocations). */
  readonly target: number;
  readonly scaleOutCooldownSeconds: number;
  readonly scaleInCooldownSeconds: number;
  /**
   * Step scaling on the same metric at 1-minute resolution; bounds are metric values. As in
   * Application Auto Scaling, the step whose bounds contain the datapoint applies (lower bound
   * inclusive, upper exclusive); an open bound extends to the next step's ({@link normalizeSteps}).
   */
  readonly steps: ReadonlyArray<SimulatedStep>;
  /**
   * Scheduled actions of the scalable target: each moves min and max capacity when its cron fires.
   *
   * @default - none
   */
  readonly schedule?: readonly ScheduledCapacity[];
}

/** One step adjustment: add `change` instances when the metric is in [lower, upper). */
export interface SimulatedStep {
  readonly lower?: number;
  readonly upper?: number;
  readonly change: number;
}

/** The modelling assumptions; each is printed with the result. */
export interface ScalingAssumptions {
  /** Seconds between datapoints of the tracked metric: 10 (high-resolution concurrency) or 60 (standard). */
  readonly metricPeriodSeconds: number;
  /** Consecutive datapoints above target before target tracking scales out. */
  readonly scaleOutDatapoints: number;
  /** Consecutive datapoints below `scaleInThreshold` × target before target tracking scales in. */
  readonly scaleInDatapoints: number;
  readonly scaleInThreshold: number;
  /** From the scale-out decision until the new instances serve. */
  readonly instanceStartSeconds: number;
  /** Time the model takes for one request. */
  readonly serviceTimeMs: number;
  /** Requests one instance works on at once; more wait in the queue. */
  readonly maxConcurrentRequestsPerInstance: number;
}

/** Options for {@link simulateScaling}: what to simulate, and what-if overrides. */
export interface ScalingWhatIf extends Partial<ScalingAssumptions> {
  /** @default the endpoint's first production variant with a scaling policy */
  readonly variantName?: string;
  /** Replay against another metric; the target becomes {@link equivalentTarget} unless `target` is given. */
  readonly metric?: SimulatedMetric;
  readonly target?: number;
  /** Shown in the report. @default 'trace' */
  readonly traceName?: string;
  /**
   * Instance prices for the cost estimate; the blueprint passes `SAGEMAKER_REALTIME_PRICES`
   * (config/pricing/sagemaker-instances.ts).
   *
   * @default - no cost estimate
   */
  readonly prices?: InstancePriceTable;
}

/** On-demand prices of instance types, for cost estimates. Not a bill: one region, no savings plans. */
export interface InstancePriceTable {
  /** When the figures were taken from the price page, and how. */
  readonly asOf: string;
  readonly source: string;
  readonly region: string;
  readonly currency: 'USD';
  /** Instance type → price per instance-hour. */
  readonly pricePerHour: Readonly<Record<string, number>>;
}

/**
 * The environment as far as the simulation reads it: its name and each endpoint's variants with
 * their scaling (the blueprint's `EnvironmentConfig` is one).
 */
export interface ScalingEnvironment {
  readonly name: string;
  readonly modelRegistry: {
    readonly models: ReadonlyArray<{
      readonly endpointName: string;
      readonly endpoint: {
        readonly variants: ReadonlyArray<{
          readonly name: string;
          readonly instanceType: string;
          readonly scaling?: Omit<ConfiguredScaling, 'metric'> & { readonly metric: SimulatedMetric | 'gpu-utilization' };
        }>;
      };
    }>;
  };
}

/** One named assumption and where docs/ explains it. */
export interface NamedAssumption {
  readonly name: string;
  readonly value: string;
  readonly source: string;
}

/** What {@link simulatePolicy} measured. */
export interface PolicyOutcome {
  readonly simulatedSeconds: number;
  /** Seconds at whose end requests were still waiting (demand above serving capacity). */
  readonly secondsOverloaded: number;
  /** Billed from the scale-out decision to the scale-in. */
  readonly instanceHours: number;
  /** Most requests waiting at the end of any second. */
  readonly peakQueue: number;
  readonly peakInstances: number;
  readonly scaleOuts: number;
  readonly scaleIns: number;
  /** Every scaling action: the second (from the trace's start) it was decided, and the fleet before and after. */
  readonly actions: Array<{ readonly second: number; readonly from: number; readonly to: number }>;
  /** Instances (in service and starting) at the end of each minute. */
  readonly instancesPerMinute: number[];
  /** Scheduled actions that fired during the trace (each one changes min and max capacity). */
  readonly scheduledActions: number;
}

/** What {@link simulateScaling} returns; {@link formatScalingReport} prints it. */
export interface ScalingSimulation extends PolicyOutcome {
  readonly environment: string;
  readonly endpointName: string;
  readonly variantName: string;
  readonly instanceType: string;
  readonly traceName: string;
  readonly traceStart: string;
  readonly peakRequestsPerSecond: number;
  readonly policy: SimulatedPolicy;
  readonly assumptions: ScalingAssumptions;
  /** Each assumption by name, with its value and its source in docs/. */
  readonly namedAssumptions: NamedAssumption[];
  readonly pricePerHour?: number;
  readonly estimatedCostUsd?: number;
  /** The table the cost was estimated with. @default - none given: no cost estimate */
  readonly prices?: InstancePriceTable;
}

const DOC = 'docs/scaling-simulation.md';
const MAX_TRACE_SECONDS = 31 * 24 * 3600;

/** AWS's published range for a GPU instance to come into service is about 4-9 minutes; the middle of it. */
export const DEFAULT_GPU_INSTANCE_START_SECONDS = 390;

/** The assumptions for a metric, before overrides. */
export function defaultAssumptions(metric: SimulatedMetric): ScalingAssumptions {
  return {
    metricPeriodSeconds: metric === 'concurrency' ? 10 : 60,
    scaleOutDatapoints: 3,
    scaleInDatapoints: 15,
    scaleInThreshold: 0.9,
    instanceStartSeconds: DEFAULT_GPU_INSTANCE_START_SECONDS,
    serviceTimeMs: 100,
    maxConcurrentRequestsPerInstance: 8,
  };
}

/**
 * The target on `metric` that asks for the same fleet as `policy`'s target at steady state
 * (Little's law: concurrency = requests per second × service time).
 */
export function equivalentTarget(policy: Pick<SimulatedPolicy, 'metric' | 'target'>, metric: SimulatedMetric, serviceTimeMs: number): number {
  if (policy.metric === metric) return policy.target;
  const serviceSeconds = serviceTimeMs / 1000;
  return metric === 'invocations' ? (policy.target / serviceSeconds) * 60 : (policy.target / 60) * serviceSeconds;
}

/**
 * Reads a trace: CSV with a header line and rows of `timestamp,requests_per_second`. The timestamp
 * is ISO 8601 (`2026-11-20T08:00:00Z`) or seconds (from any origin); rows are in increasing time
 * order, and a row's rate holds until the next row. The last row holds for as long as the step
 * before it (1 s for a one-row trace).
 *
 * @throws ScalingTraceError naming the line and what to change
 */
export function parseScalingTrace(csv: string): ScalingTrace {
  const lines = csv.split(/\r?\n/);
  const rows: { seconds: number; rate: number }[] = [];
  let start = '';
  lines.forEach((raw, index) => {
    const line = raw.trim();
    const at = `line ${index + 1}`;
    if (line === '' || line.startsWith('#')) return;
    const cells = line.split(',').map((cell) => cell.trim());
    if (rows.length === 0 && start === '' && Number.isNaN(Number(cells[1]))) {
      if (cells.length !== 2) throw new ScalingTraceError(`${at}: the header must have two columns: timestamp,requests_per_second`);
      start = 'header';
      return;
    }
    if (cells.length !== 2) throw new ScalingTraceError(`${at}: expected 2 columns (timestamp,requests_per_second), found ${cells.length}`);
    const [timestamp, rateText] = cells;
    const seconds = /^-?\d+(\.\d+)?$/.test(timestamp) ? Number(timestamp) : Date.parse(timestamp) / 1000;
    if (!Number.isFinite(seconds)) throw new ScalingTraceError(`${at}: timestamp "${timestamp}" is neither ISO 8601 (2026-11-20T08:00:00Z) nor a number of seconds`);
    const rate = Number(rateText);
    if (rateText === '' || !Number.isFinite(rate) || rate < 0) throw new ScalingTraceError(`${at}: requests_per_second "${rateText}" must be a number >= 0`);
    const previous = rows[rows.length - 1];
    if (previous && seconds <= previous.seconds) throw new ScalingTraceError(`${at}: timestamp "${timestamp}" is not after the row before it; sort the trace by time`);
    if (rows.length === 0) start = timestamp;
    rows.push({ seconds, rate });
  });
  if (rows.length === 0) throw new ScalingTraceError('the trace has no rows: write timestamp,requests_per_second lines after the header');
  const origin = rows[0].seconds;
  const lastStep = rows.length > 1 ? rows[rows.length - 1].seconds - rows[rows.length - 2].seconds : 1;
  const total = Math.round(rows[rows.length - 1].seconds - origin + lastStep);
  if (total > MAX_TRACE_SECONDS) throw new ScalingTraceError(`the trace spans ${total} s; the simulation takes at most 31 days (${MAX_TRACE_SECONDS} s)`);
  const requestsPerSecond = new Float64Array(total);
  rows.forEach((row, i) => {
    const from = Math.round(row.seconds - origin);
    const to = i + 1 < rows.length ? Math.round(rows[i + 1].seconds - origin) : total;
    requestsPerSecond.fill(row.rate, from, to);
  });
  return { start, requestsPerSecond };
}

/**
 * Replays `trace` against the scaling policy of `endpointName`'s variant in `environment`
 * (config/models/*.ts through the environment config), with `whatIf` overrides.
 *
 * @throws ScalingSimulationError for an unknown endpoint or variant, a variant without scaling, or a GPU-utilization policy
 */
export function simulateScaling(environment: ScalingEnvironment, endpointName: string, trace: ScalingTrace, whatIf: ScalingWhatIf = {}): ScalingSimulation {
  const models = environment.modelRegistry.models;
  const model = models.find((m) => m.endpointName === endpointName);
  if (!model) {
    throw new ScalingSimulationError(
      `no endpoint "${endpointName}" in ${environment.name}; endpoints: ${models.map((m) => m.endpointName).join(', ') || '(none)'}`,
    );
  }
  const variants = model.endpoint.variants;
  const variant = whatIf.variantName ? variants.find((v) => v.name === whatIf.variantName) : variants.find((v) => v.scaling);
  if (!variant) {
    throw new ScalingSimulationError(
      whatIf.variantName
        ? `endpoint "${endpointName}" has no production variant "${whatIf.variantName}"; variants: ${variants.map((v) => v.name).join(', ')}`
        : `endpoint "${endpointName}" has no variant with a scaling policy; add scaling to a variant in config/models/`,
    );
  }
  const scaling = variant.scaling;
  if (!scaling) throw new ScalingSimulationError(`variant "${variant.name}" of "${endpointName}" has no scaling policy: it stays at its initial count`);
  if (scaling.metric === 'gpu-utilization') {
    throw new ScalingSimulationError(`variant "${variant.name}" scales on GPU utilization, which depends on the model; the simulation models concurrency and invocations only`);
  }
  const metric = whatIf.metric ?? scaling.metric;
  const defaults = defaultAssumptions(metric);
  const assumptions: ScalingAssumptions = {
    metricPeriodSeconds: whatIf.metricPeriodSeconds ?? defaults.metricPeriodSeconds,
    scaleOutDatapoints: whatIf.scaleOutDatapoints ?? defaults.scaleOutDatapoints,
    scaleInDatapoints: whatIf.scaleInDatapoints ?? defaults.scaleInDatapoints,
    scaleInThreshold: whatIf.scaleInThreshold ?? defaults.scaleInThreshold,
    instanceStartSeconds: whatIf.instanceStartSeconds ?? defaults.instanceStartSeconds,
    serviceTimeMs: whatIf.serviceTimeMs ?? defaults.serviceTimeMs,
    maxConcurrentRequestsPerInstance: whatIf.maxConcurrentRequestsPerInstance ?? defaults.maxConcurrentRequestsPerInstance,
  };
  const configured = { metric: scaling.metric, target: scaling.target };
  const metricChanged = metric !== scaling.metric;
  const deployed = configuredPolicy(scaling as ConfiguredScaling);
  const policy: SimulatedPolicy = {
    ...deployed,
    metric,
    target: whatIf.target ?? equivalentTarget(configured, metric, assumptions.serviceTimeMs),
    // Step bounds are in the configured metric's units; they do not carry over to another metric.
    steps: metricChanged ? [] : deployed.steps,
  };
  const outcome = simulatePolicy(trace, policy, assumptions);
  const prices = whatIf.prices;
  const pricePerHour = prices?.pricePerHour[variant.instanceType];
  let peakRequestsPerSecond = 0;
  for (const rate of trace.requestsPerSecond) peakRequestsPerSecond = Math.max(peakRequestsPerSecond, rate);
  return {
    ...outcome,
    environment: environment.name,
    endpointName,
    variantName: variant.name,
    instanceType: variant.instanceType,
    traceName: whatIf.traceName ?? 'trace',
    traceStart: trace.start,
    peakRequestsPerSecond,
    policy,
    assumptions,
    namedAssumptions: nameAssumptions(policy, assumptions, metricChanged ? configured : undefined, traceEpochMs(trace)),
    pricePerHour,
    estimatedCostUsd: pricePerHour === undefined ? undefined : outcome.instanceHours * pricePerHour,
    prices,
  };
}

/** A variant's `scaling` config (config/model-registry.ts), as far as the simulation reads it. */
export interface ConfiguredScaling {
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly metric: SimulatedMetric;
  readonly target: number;
  readonly scaleOutCooldownSeconds: number;
  readonly scaleInCooldownSeconds: number;
  readonly steps: ReadonlyArray<SimulatedStep>;
  readonly schedule?: { readonly scaleDownCron: string; readonly scaleUpCron: string; readonly offHoursCapacity: number; readonly timeZone?: string };
}

/**
 * The policy a variant's scaling config deploys, as `InferenceEndpoint` synthesizes it: steps
 * normalized as Application Auto Scaling applies them, and the off-hours schedule as two
 * scheduled actions. A test compares it with the policy read back from each synthesized environment.
 */
export function configuredPolicy(scaling: ConfiguredScaling): SimulatedPolicy {
  const schedule = scaling.schedule;
  return {
    minCapacity: scaling.minCapacity,
    maxCapacity: scaling.maxCapacity,
    metric: scaling.metric,
    target: scaling.target,
    scaleOutCooldownSeconds: scaling.scaleOutCooldownSeconds,
    scaleInCooldownSeconds: scaling.scaleInCooldownSeconds,
    steps: normalizeSteps(scaling.steps),
    schedule: schedule
      ? [
          {
            name: 'ScaleDownOffHours',
            cron: schedule.scaleDownCron,
            timeZone: schedule.timeZone ?? 'UTC',
            minCapacity: Math.min(scaling.minCapacity, schedule.offHoursCapacity),
            maxCapacity: schedule.offHoursCapacity,
          },
          { name: 'ScaleUpWorkingHours', cron: schedule.scaleUpCron, timeZone: schedule.timeZone ?? 'UTC', minCapacity: scaling.minCapacity, maxCapacity: scaling.maxCapacity },
        ]
      : [],
  };
}

/**
 * Steps as Application Auto Scaling applies them: sorted, each open bound closed by its
 * neighbour's (`{ lower: 12 }, { lower: 24 }` becomes 12..24 and 24..inf), an open first lower
 * bound at 0, and no-change steps dropped. The same completion aws-cdk-lib's step scaling does
 * before it writes the step adjustments.
 */
export function normalizeSteps(steps: ReadonlyArray<SimulatedStep>): SimulatedStep[] {
  if (steps.length === 0) return [];
  const sorted = steps.map((s) => ({ ...s })).sort((a, b) => (a.lower ?? a.upper ?? 0) - (b.lower ?? b.upper ?? 0));
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = 0; i < sorted.length - 1; i++) {
      if (sorted[i].upper !== undefined && sorted[i + 1].lower === undefined) {
        sorted[i + 1].lower = sorted[i].upper;
        changed = true;
      }
    }
    for (let i = sorted.length - 1; i >= 1; i--) {
      if (sorted[i].lower !== undefined && sorted[i - 1].upper === undefined) {
        sorted[i - 1].upper = sorted[i].lower;
        changed = true;
      }
    }
  }
  if (sorted[0].lower === undefined) sorted[0].lower = 0;
  return sorted
    .filter((s) => s.change !== 0)
    .map((s) => (s.upper === undefined || s.upper === Infinity ? { lower: s.lower, change: s.change } : { lower: s.lower, upper: s.upper, change: s.change }));
}

/** The trace's wall-clock start, when its timestamps are ISO 8601 (scheduled actions need one). */
function traceEpochMs(trace: ScalingTrace): number | undefined {
  if (/^-?\d+(\.\d+)?$/.test(trace.start)) return undefined;
  const ms = Date.parse(trace.start);
  return Number.isFinite(ms) ? ms : undefined;
}

function describeSchedule(policy: SimulatedPolicy, startMs: number | undefined): string {
  const actions = policy.schedule ?? [];
  if (actions.length === 0) return 'none configured';
  const listed = actions.map((x) => `${x.name} cron(${x.cron}) ${x.timeZone ?? 'UTC'}: ${x.minCapacity}-${x.maxCapacity} instances`).join('; ');
  if (startMs === undefined) return `${listed}; NOT simulated: the trace's timestamps are seconds, not wall-clock time (write ISO 8601 timestamps)`;
  const inEffect = scheduledActionInEffect(actions, startMs);
  return `${listed}; applied when due, min and max capacity move at once; in effect at the trace's start: ${inEffect ? inEffect.name : 'none (config min-max)'}`;
}

function nameAssumptions(policy: SimulatedPolicy, a: ScalingAssumptions, configured: { metric: string; target: number } | undefined, startMs: number | undefined): NamedAssumption[] {
  const metricName = policy.metric === 'concurrency' ? 'ConcurrentRequestsPerModel' : 'InvocationsPerInstance';
  const perInstance = a.maxConcurrentRequestsPerInstance / (a.serviceTimeMs / 1000);
  return [
    {
      name: 'metric period',
      value: `${a.metricPeriodSeconds} s datapoints of ${metricName}${a.metricPeriodSeconds === 10 ? ' (high-resolution)' : ' (standard)'}`,
      source: `${DOC}#metric-period`,
    },
    {
      name: 'target tracking',
      value:
        `scale out after ${a.scaleOutDatapoints} datapoints above ${round(policy.target)}, in after ${a.scaleInDatapoints} below ` +
        `${round(a.scaleInThreshold * policy.target)}; new capacity = ceil(instances x metric / target)` +
        (configured ? `; target ${round(policy.target)} is equivalent to the configured ${configured.metric} target ${configured.target}` : ''),
      source: `${DOC}#target-tracking`,
    },
    {
      name: 'step scaling',
      value:
        policy.steps.length > 0
          ? `on 1-minute datapoints: ${normalizeSteps(policy.steps).map((s) => `${s.lower ?? '-inf'}..${s.upper ?? 'inf'}: ${s.change > 0 ? '+' : ''}${s.change}`).join(', ')}; the step whose bounds contain the datapoint applies; the larger proposal wins`
          : 'none',
      source: `${DOC}#step-scaling`,
    },
    {
      name: 'scheduled actions',
      value: describeSchedule(policy, startMs),
      source: `${DOC}#scheduled-actions`,
    },
    {
      name: 'cooldowns',
      value: `scale-out ${policy.scaleOutCooldownSeconds} s, scale-in ${policy.scaleInCooldownSeconds} s; no scale-in during a scale-out cooldown; no action while instances are starting (endpoint Updating)`,
      source: `${DOC}#cooldowns`,
    },
    {
      name: 'instance start time',
      value: `${a.instanceStartSeconds} s from decision to serving (AWS: about 4-9 min for GPU instances, less with container caching); billed from the decision`,
      source: `${DOC}#instance-start-time`,
    },
    {
      name: 'max cap',
      value: `${policy.minCapacity}-${policy.maxCapacity} instances (scaling.minCapacity/maxCapacity, capped by endpointInstanceLimits at synth)`,
      source: `${DOC}#max-cap`,
    },
    {
      name: 'serving capacity',
      value: `${a.maxConcurrentRequestsPerInstance} concurrent requests per instance x ${a.serviceTimeMs} ms each = ${round(perInstance)} req/s per instance; excess requests queue, none time out`,
      source: `${DOC}#serving-capacity`,
    },
    {
      name: 'initial state',
      value: 'the fleet starts at the steady-state size for the first second\'s rate, within min-max',
      source: `${DOC}#initial-state`,
    },
  ];
}

/**
 * How many of a metric's latest datapoints in a row were above the high threshold, or below the low
 * one: the scale-out and scale-in alarms target tracking creates. Like an alarm, a streak is not
 * reset by a scaling action; cooldowns and the Updating state hold the next action instead.
 */
class DatapointStreak {
  private above = 0;
  private below = 0;
  public add(value: number, high: number, low: number): void {
    this.above = value > high ? this.above + 1 : 0;
    this.below = value < low ? this.below + 1 : 0;
  }
  public aboveFor(count: number): boolean {
    return this.above >= count;
  }
  public belowFor(count: number): boolean {
    return this.below >= count;
  }
}

/**
 * The simulation itself, on a resolved policy and assumptions (what {@link simulateScaling} calls).
 * Each second: instances due come into service; the fleet serves up to its capacity and the rest
 * waits; metrics accumulate; at the end of each metric period the policies may act.
 */
export function simulatePolicy(trace: ScalingTrace, policy: SimulatedPolicy, a: ScalingAssumptions): PolicyOutcome {
  const rates = trace.requestsPerSecond;
  const serviceSeconds = a.serviceTimeMs / 1000;
  const perInstanceRate = a.maxConcurrentRequestsPerInstance / serviceSeconds;
  // Scheduled actions move the bounds; without a wall clock (or a schedule) they stay as configured.
  const startMs = traceEpochMs(trace);
  const schedules = startMs === undefined ? [] : (policy.schedule ?? []).map((x) => ({ action: x, cron: new CronSchedule(x.cron, x.timeZone ?? 'UTC') }));
  const initial = schedules.length > 0 ? scheduledActionInEffect(policy.schedule ?? [], startMs as number) : undefined;
  let minCapacity = initial?.minCapacity ?? policy.minCapacity;
  let maxCapacity = initial?.maxCapacity ?? policy.maxCapacity;
  let scheduledActions = 0;
  const steps = normalizeSteps(policy.steps);
  const clamp = (n: number) => Math.min(maxCapacity, Math.max(minCapacity, n));
  const metricOf = (inflightPerSecondSum: number, arrivals: number, instances: number, seconds: number): number =>
    policy.metric === 'concurrency'
      ? inflightPerSecondSum / seconds / Math.max(instances, 1)
      : (arrivals * (60 / seconds)) / Math.max(instances, 1);

  const first = rates.length > 0 ? rates[0] : 0;
  const steadyState = policy.metric === 'concurrency' ? (first * serviceSeconds) / policy.target : (first * 60) / policy.target;
  let inService = clamp(Math.ceil(steadyState - 1e-9));
  const starting: { readyAt: number; count: number }[] = [];
  let startingCount = 0;
  let queue = 0;
  let secondsOverloaded = 0;
  let instanceSeconds = 0;
  let peakQueue = 0;
  let peakInstances = inService;
  let scaleOuts = 0;
  let scaleIns = 0;
  let lastScaleOut = -Infinity;
  let lastScaleIn = -Infinity;
  const instancesPerMinute: number[] = [];
  const actions: Array<{ second: number; from: number; to: number }> = [];
  const tracking = new DatapointStreak();
  let periodInflight = 0;
  let periodArrivals = 0;
  let minuteInflight = 0;
  let minuteArrivals = 0;

  const scaleOutTo = (desired: number, now: number) => {
    const current = inService + startingCount;
    const add = Math.min(maxCapacity, desired) - current;
    if (add <= 0) return;
    actions.push({ second: now, from: current, to: current + add });
    starting.push({ readyAt: now + a.instanceStartSeconds, count: add });
    startingCount += add;
    scaleOuts += 1;
    lastScaleOut = now;
  };

  for (let t = 0; t < rates.length; t++) {
    while (starting.length > 0 && starting[0].readyAt <= t) {
      const ready = starting.shift() as { readyAt: number; count: number };
      inService += ready.count;
      startingCount -= ready.count;
    }
    if (schedules.length > 0 && ((startMs as number) / 1000 + t) % 60 === 0) {
      const fired = schedules.filter((x) => x.cron.matches((startMs as number) + t * 1000));
      if (fired.length > 0) {
        // A scheduled action is not held by cooldowns: the fleet moves into the new bounds at once.
        const action = fired[fired.length - 1].action;
        minCapacity = action.minCapacity;
        maxCapacity = action.maxCapacity;
        scheduledActions += 1;
        const current = inService + startingCount;
        if (current > maxCapacity) {
          let excess = current - maxCapacity;
          while (excess > 0 && starting.length > 0) {
            const last = starting[starting.length - 1];
            const cancel = Math.min(excess, last.count);
            last.count -= cancel;
            startingCount -= cancel;
            excess -= cancel;
            if (last.count === 0) starting.pop();
          }
          inService -= excess;
          actions.push({ second: t, from: current, to: maxCapacity });
          scaleIns += 1;
          lastScaleIn = t;
        } else if (current < minCapacity) {
          scaleOutTo(minCapacity, t);
        }
      }
    }
    const arrivals = rates[t];
    const demand = queue + arrivals;
    const served = Math.min(demand, inService * perInstanceRate);
    queue = demand - served;
    if (queue > 1e-9) secondsOverloaded += 1;
    else queue = 0;
    peakQueue = Math.max(peakQueue, queue);
    instanceSeconds += inService + startingCount;
    peakInstances = Math.max(peakInstances, inService + startingCount);
    // Little's law: requests in flight = throughput x service time, plus those waiting.
    const inflight = served * serviceSeconds + queue;
    periodInflight += inflight;
    periodArrivals += arrivals;
    minuteInflight += inflight;
    minuteArrivals += arrivals;
    const now = t + 1;
    const updating = startingCount > 0;

    if (now % a.metricPeriodSeconds === 0) {
      const value = metricOf(periodInflight, periodArrivals, inService, a.metricPeriodSeconds);
      periodInflight = 0;
      periodArrivals = 0;
      tracking.add(value, policy.target, a.scaleInThreshold * policy.target);
      const inScaleOutCooldown = now - lastScaleOut < policy.scaleOutCooldownSeconds;
      if (!updating && inService === 0 && value > 0) {
        // Scale from zero: any demand asks for the first instance.
        scaleOutTo(Math.max(1, minCapacity), now);
      } else if (!updating && !inScaleOutCooldown && tracking.aboveFor(a.scaleOutDatapoints)) {
        scaleOutTo(Math.ceil((inService * value) / policy.target - 1e-9), now);
      } else if (
        !updating &&
        !inScaleOutCooldown &&
        now - lastScaleIn >= policy.scaleInCooldownSeconds &&
        tracking.belowFor(a.scaleInDatapoints)
      ) {
        const desired = clamp(Math.ceil((inService * value) / policy.target - 1e-9));
        if (desired < inService) {
          actions.push({ second: now, from: inService, to: desired });
          inService = desired;
          scaleIns += 1;
          lastScaleIn = now;
        }
      }
    }

    if (now % 60 === 0) {
      // Step scaling acts on 1-minute datapoints of the same metric (invocations: the variant's total).
      const minuteValue =
        policy.metric === 'concurrency' ? minuteInflight / 60 / Math.max(inService, 1) : minuteArrivals;
      minuteInflight = 0;
      minuteArrivals = 0;
      // Application Auto Scaling applies the one step whose bounds contain the datapoint.
      const step = steps.find((s) => (s.lower ?? -Infinity) <= minuteValue && minuteValue < (s.upper ?? Infinity));
      const cooling = now - lastScaleOut < policy.scaleOutCooldownSeconds;
      if (step && step.change > 0 && startingCount === 0 && !cooling) {
        scaleOutTo(inService + step.change, now);
      }
      instancesPerMinute.push(inService + startingCount);
    }
  }
  return {
    simulatedSeconds: rates.length,
    secondsOverloaded,
    instanceHours: instanceSeconds / 3600,
    peakQueue,
    peakInstances,
    scaleOuts,
    scaleIns,
    actions,
    instancesPerMinute,
    scheduledActions,
  };
}

/** The report `plinth simulate-scaling` prints: the result, then every assumption with its source. */
export function formatScalingReport(s: ScalingSimulation): string {
  const p = s.policy;
  const metric =
    p.metric === 'concurrency'
      ? `concurrent requests per instance (${s.assumptions.metricPeriodSeconds} s datapoints), target ${round(p.target)}`
      : `invocations per instance per minute (${s.assumptions.metricPeriodSeconds} s datapoints), target ${round(p.target)}`;
  const cost =
    s.prices === undefined
      ? 'unknown: no price table given'
      : s.estimatedCostUsd === undefined
        ? `unknown: ${s.instanceType} is not in the price table (${s.prices.source})`
        : `$${s.estimatedCostUsd.toFixed(2)} (${s.instanceType} at $${s.pricePerHour}/h, ${s.prices.region} on-demand, prices as of ${s.prices.asOf})`;
  const rows: Array<[string, string]> = [
    ['seconds overloaded', `${s.secondsOverloaded} of ${s.simulatedSeconds} (${percent(s.secondsOverloaded, s.simulatedSeconds)})`],
    ['instance-hours', round(s.instanceHours).toString()],
    ['estimated cost', cost],
    ['peak queue', `${Math.round(s.peakQueue)} requests`],
    ['peak instances', `${s.peakInstances} of max ${p.maxCapacity}`],
    ['scaling actions', `${s.scaleOuts} out, ${s.scaleIns} in`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return [
    `Scaling what-if: ${s.environment} / ${s.endpointName} / ${s.variantName} (${s.instanceType}, ${p.minCapacity}-${p.maxCapacity} instances)`,
    `Policy: target tracking on ${metric}; cooldowns out ${p.scaleOutCooldownSeconds} s, in ${p.scaleInCooldownSeconds} s`,
    `Trace: ${s.traceName}, from ${s.traceStart}, ${duration(s.simulatedSeconds)}, peak ${round(s.peakRequestsPerSecond)} req/s`,
    '',
    ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`),
    '',
    'Assumptions (each explained in the source given):',
    ...s.namedAssumptions.map((x) => `  - ${x.name}: ${x.value} [${x.source}]`),
    '',
  ].join('\n');
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function percent(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${round((100 * part) / whole)}%`;
}

function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h} h ${m} min${s ? ` ${s} s` : ''}`;
}
