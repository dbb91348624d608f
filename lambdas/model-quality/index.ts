/**
 * model-quality — the quality job's Lambda (lib/quality/model-quality-monitor.ts). Two steps of
 * one Step Functions execution:
 *
 *   { "action": "render", "time": ISO }        → { queryString, window: {start, end}, labelsUntil, runAt }
 *       window = [time − labelDelayHours − windowHours, time − labelDelayHours), labels seen until `time`.
 *   { "action": "evaluate", "queryExecutionId", "window", "labelsUntil", "runAt" }
 *       → { evidenceUri, stale, decayed: [variant], verdict? }
 *       reads the Athena rows (GetQueryResults, paged), each variant's baseline (the evaluation.json
 *       of the package the variant serves now — contract B: the model in the endpoint's current
 *       config and its plinth:model-package tag — else the configured floor), with an A/B test the
 *       previous run's running totals (latest.json abTest.cumulative: the verdict is on every window
 *       of the experiment so far, see evaluate.ts accumulate), each variant's latency,
 *       errors and instance count (CloudWatch), and writes:
 *         - the evidence JSON to s3://EVIDENCE_BUCKET/EVIDENCE_PREFIX<endpoint>/runs/<runAt>.json
 *           and .../latest.json (plinth models compare reads latest.json);
 *         - EMF, namespace Plinth/Quality: per [Endpoint, Variant] PrimaryMetric, LabelCoverage,
 *           LabelledSamples, Predictions, QualityDecayed, CostPer1000, OutcomePer1000; per
 *           [Endpoint] GroundTruthStale (1 when stale), QualityDecayed (count), QualityRuns = 1;
 *         - events on EVENT_BUS_NAME, source plinth.quality: `Model Quality Decayed` per decayed
 *           variant (detail { endpointName, variant, window, metric, value, baseline, tolerance,
 *           evidenceUri }, contract C) and `Model A/B Verdict` when an A/B test is configured.
 *           Nothing here shifts traffic.
 *
 * Errors: QualityInputError for malformed events/rows/config (not retryable); AWS errors propagate.
 * Env: JOB (JSON, see jobSchema), EVENT_BUS_NAME (default 'default'), PLINTH_ENV.
 */

import { AthenaClient, GetQueryResultsCommand } from '@aws-sdk/client-athena';
import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeModelPackageCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import * as z from 'zod'; // not `{ z }`: the namespace import lets esbuild drop zod's unused locales (cold start)
import { createLogger, createMetrics, MetricUnit, publishMetrics } from '../shared/runtime';
import { MODEL_PACKAGE_TAG, packageOfModel, readServedVariants } from '../shared/served-models';
import { evaluate, HIGHER_IS_BETTER } from './evaluate';
import type { CumulativeAb, EvaluationSettings, Evidence, Operational, ResultRow } from './evaluate';
import { DIALECTS, renderQualityQuery, RESULT_COLUMNS } from './sql';
import { QualityInputError } from './statistics';

export { QualityInputError } from './statistics';

export const QUALITY_SOURCE = 'plinth.quality';
export const DECAY_DETAIL_TYPE = 'Model Quality Decayed';
export const VERDICT_DETAIL_TYPE = 'Model A/B Verdict';
export const METRIC_NAMESPACE = 'Plinth/Quality';

export const SDK_MAX_ATTEMPTS = 3;
/** The function's clients, constructed once (region and endpoints from the standard SDK settings). */
const clients = {
  athena: new AthenaClient({ maxAttempts: SDK_MAX_ATTEMPTS }),
  s3: new S3Client({ maxAttempts: SDK_MAX_ATTEMPTS }),
  sagemaker: new SageMakerClient({ maxAttempts: SDK_MAX_ATTEMPTS }),
  cloudWatch: new CloudWatchClient({ maxAttempts: SDK_MAX_ATTEMPTS }),
  eventBridge: new EventBridgeClient({ maxAttempts: SDK_MAX_ATTEMPTS }),
};
const logger = createLogger('plinth-model-quality');
const metrics = createMetrics(METRIC_NAMESPACE);
export const MAX_RESULT_ROWS = 100_000;
const HOUR_MS = 3_600_000;

const name = z.string().regex(/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/);
const identifier = z.string().regex(/^[A-Za-z0-9_][A-Za-z0-9_-]{0,254}$/);
const price = z.object({ instanceType: z.string(), pricePerHour: z.number().nonnegative(), currency: z.string(), asOf: z.string(), source: z.string() }).strict();

/** The job's configuration (env JOB), written by the construct. */
export const jobSchema = z
  .object({
    endpointName: name,
    modelName: name,
    modelPackageGroupName: name,
    variants: z.array(name).min(1),
    database: identifier,
    captureTable: identifier,
    groundTruthTable: identifier,
    reviewTable: identifier.optional(),
    evidenceBucket: z.string().min(3),
    evidencePrefix: z.string().regex(/^([A-Za-z0-9_.-]+\/)*$/),
    windowHours: z.number().int().positive(),
    labelDelayHours: z.number().int().nonnegative(),
    problemType: z.enum(['binary_classification', 'regression']),
    primaryMetric: z.enum(['auc', 'precision', 'recall', 'calibrationError', 'mae', 'rmse']),
    scorePath: z.string(),
    positiveLabel: z.string().optional(),
    threshold: z.number().min(0).max(1),
    minSamples: z.number().int().positive(),
    tolerance: z.number().positive(),
    floor: z.number(),
    coverageFloor: z.number().min(0).max(1),
    /** The share of requests the endpoint's data capture records: scales Invocations to the predictions capture should hold. */
    captureSamplingPercent: z.number().gt(0).max(100).default(100),
    outcome: z.object({ name: z.string(), unit: z.string() }).optional(),
    abTest: z
      .object({
        champion: name,
        alpha: z.number().gt(0).lt(1),
        minimumEffect: z.number().positive(),
        guardrails: z.object({ p99LatencyIncrease: z.number().min(0), errorRateIncrease: z.number().min(0), costPer1000Increase: z.number().min(0) }),
      })
      .optional(),
    /** Variant → the price of its instance type (config/pricing), for cost per 1,000. */
    prices: z.record(z.string(), price).default({}),
  })
  .strict();
export type QualityJob = z.output<typeof jobSchema>;

const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'must be an ISO-8601 time');
const eventSchema = z.discriminatedUnion('action', [
  z.object({ action: z.literal('render'), time: iso }).strict(),
  z
    .object({
      action: z.literal('evaluate'),
      queryExecutionId: z.string().regex(/^[a-zA-Z0-9-]{1,128}$/),
      window: z.object({ start: iso, end: iso }).strict(),
      labelsUntil: iso,
      runAt: iso,
    })
    .strict(),
]);

function fail(what: string, error: z.ZodError): never {
  throw new QualityInputError(`${what}: ${error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`);
}

export function loadJob(env: NodeJS.ProcessEnv = process.env): QualityJob {
  let raw: unknown;
  try {
    raw = JSON.parse(env.JOB ?? '');
  } catch {
    throw new QualityInputError('env JOB must be the job configuration as JSON');
  }
  const parsed = jobSchema.safeParse(raw);
  if (!parsed.success) fail('env JOB', parsed.error);
  return parsed.data;
}

export function renderStep(job: QualityJob, time: string): { queryString: string; window: { start: string; end: string }; labelsUntil: string; runAt: string } {
  // Whole hours, so a re-run of the same execution covers the same predictions.
  const run = Math.floor(Date.parse(time) / HOUR_MS) * HOUR_MS;
  const end = run - job.labelDelayHours * HOUR_MS;
  const start = end - job.windowHours * HOUR_MS;
  const queryString = renderQualityQuery({
    dialect: DIALECTS.athena,
    database: job.database,
    captureTable: job.captureTable,
    groundTruthTable: job.groundTruthTable,
    ...(job.reviewTable ? { reviewTable: job.reviewTable } : {}),
    variants: job.variants,
    windowStart: new Date(start),
    windowEnd: new Date(end),
    labelsUntil: new Date(run),
    problemType: job.problemType,
    scorePath: job.scorePath,
    ...(job.positiveLabel ? { positiveLabel: job.positiveLabel } : {}),
    threshold: job.threshold,
    bins: 1000,
  });
  return { queryString, window: { start: new Date(start).toISOString(), end: new Date(end).toISOString() }, labelsUntil: new Date(run).toISOString(), runAt: new Date(run).toISOString() };
}

export async function readRows(athena: AthenaClient, queryExecutionId: string): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  let token: string | undefined;
  let first = true;
  do {
    const page = await athena.send(new GetQueryResultsCommand({ QueryExecutionId: queryExecutionId, MaxResults: 1000, ...(token ? { NextToken: token } : {}) }));
    const all = page.ResultSet?.Rows ?? [];
    let i = 0;
    if (first) {
      const header = (all[0]?.Data ?? []).map((d) => d.VarCharValue);
      if (header.length !== RESULT_COLUMNS.length || header.some((h, k) => h !== RESULT_COLUMNS[k])) {
        throw new QualityInputError(`query ${queryExecutionId}: the header must be ${RESULT_COLUMNS.join(',')} (got ${JSON.stringify(header)})`);
      }
      i = 1;
      first = false;
    }
    for (; i < all.length; i++) {
      const cells = (all[i]!.Data ?? []).map((d) => d.VarCharValue ?? null);
      if (cells.length !== RESULT_COLUMNS.length || cells[0] === null || cells[5] === null) {
        throw new QualityInputError(`query ${queryExecutionId}: malformed row ${JSON.stringify(cells)}`);
      }
      const [kind, variant, bin, predicted, actual, n, sum1, sum2, sum3, last] = cells as [string, ...Array<string | null>];
      rows.push({ kind, variant: variant!, bin: bin!, predicted: predicted!, actual: actual!, n: n!, sum1: sum1!, sum2: sum2!, sum3: sum3!, last_label_at: last! });
    }
    if (rows.length > MAX_RESULT_ROWS) throw new QualityInputError(`query ${queryExecutionId} returned more than ${MAX_RESULT_ROWS} rows`);
    token = page.NextToken;
  } while (token);
  return rows;
}

const evaluationSchema = z.object({ schemaVersion: z.literal(1), metrics: z.record(z.string(), z.number().optional()) }).passthrough();

export { MODEL_PACKAGE_TAG } from '../shared/served-models';

type Baseline = EvaluationSettings['baseline'];

/** Contract B: a package's evaluation.json value of the primary metric, or why there is none. */
async function packageEvaluation(job: QualityJob, arn: string): Promise<{ value: number; uri: string } | { reason: string }> {
  const pkg = await clients.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
  const uri = pkg.ModelMetrics?.ModelQuality?.Statistics?.S3Uri;
  const m = uri ? /^s3:\/\/([^/]+)\/(.+)$/.exec(uri) : null;
  if (!m) return { reason: `package ${arn} registers no evaluation.json` };
  const obj = await clients.s3.send(new GetObjectCommand({ Bucket: m[1], Key: m[2] }));
  let json: unknown;
  try {
    json = JSON.parse(await obj.Body!.transformToString());
  } catch {
    return { reason: `${uri} is not JSON` };
  }
  const parsed = evaluationSchema.safeParse(json);
  const value = parsed.success ? parsed.data.metrics[job.primaryMetric] : undefined;
  if (value === undefined || !Number.isFinite(value)) return { reason: `${uri} has no ${job.primaryMetric}` };
  return { value, uri: uri as string };
}

/**
 * Contract B, per variant: the evaluation.json of the package each variant SERVES now (the model in
 * the endpoint's current config, and the package deploy-model built it from), else the configured
 * floor, with the reason. Not the group's latest Approved package: an approval whose canary rolled
 * back, whose deployment failed or is still waiting, or a challenger's package, is not what the
 * variant serves, and judging the served model against it reads decay that is not there or hides
 * decay that is. AWS errors propagate (the job retries; QualityJobFailed watches).
 */
export async function readBaselines(job: QualityJob): Promise<{ baselines: Record<string, Baseline>; models: Record<string, string> }> {
  const floor = (reason: string): Baseline => ({ value: job.floor, source: 'configured-floor', reason });
  const served = await readServedVariants(clients.sagemaker, job.endpointName);
  // A missing endpoint fails the run (retried; QualityJobFailed watches), as any other AWS error.
  if (served.endpoint === 'not-found') throw new Error(`endpoint ${job.endpointName}: ${served.message}`);
  if (!served.endpointConfigName) return { baselines: Object.fromEntries(job.variants.map((v) => [v, floor(`endpoint ${job.endpointName} has no endpoint config yet`)])), models: {} };
  const evaluations = new Map<string, Promise<{ value: number; uri: string } | { reason: string }>>();
  const out: Record<string, Baseline> = {};
  const models: Record<string, string> = {};
  for (const variant of job.variants) {
    const modelName = served.variants.find((pv) => pv.variantName === variant)?.modelName;
    if (!modelName) {
      out[variant] = floor(`variant ${variant} runs no model of its own in endpoint config ${served.endpointConfigName} (absent, or an inference component)`);
      continue;
    }
    models[variant] = modelName;
    const arn = await packageOfModel(clients.sagemaker, modelName);
    if (!arn) {
      out[variant] = floor(`model ${modelName} was not deployed from a registered package (no ${MODEL_PACKAGE_TAG} tag)`);
      continue;
    }
    if (!evaluations.has(arn)) evaluations.set(arn, packageEvaluation(job, arn));
    const evaluation = await evaluations.get(arn)!;
    out[variant] = 'value' in evaluation ? { value: evaluation.value, source: 'evaluation.json', uri: evaluation.uri, modelPackageArn: arn } : floor(evaluation.reason);
  }
  return { baselines: out, models };
}

const lossSums = z.object({ n: z.number().int().nonnegative(), sum: z.number().finite(), sumSq: z.number().finite().nonnegative() }).strict();
const cumulativeSchema = z
  .object({
    champion: z.string(),
    challenger: z.string(),
    championModel: z.string().nullable(),
    challengerModel: z.string().nullable(),
    loss: z.string(),
    alpha: z.number(),
    minimumEffect: z.number(),
    since: iso,
    through: iso,
    windows: z.number().int().positive(),
    challengerSums: lossSums,
    championSums: lossSums,
  })
  .strict();

/**
 * The A/B totals of the previous run (latest.json's abTest.cumulative), to add this window to; undefined
 * when there is no previous run, it had no A/B test, or it predates the totals (each is logged).
 * Any other S3 error fails the run: judging this window alone would silently restart the experiment.
 */
export async function readPreviousAb(job: QualityJob): Promise<CumulativeAb | undefined> {
  const key = `${job.evidencePrefix}${job.endpointName}/latest.json`;
  let text: string;
  try {
    const obj = await clients.s3.send(new GetObjectCommand({ Bucket: job.evidenceBucket, Key: key }));
    text = await obj.Body!.transformToString();
  } catch (err) {
    if ((err as { name?: unknown }).name === 'NoSuchKey') return undefined;
    throw err;
  }
  let previous: unknown;
  try {
    previous = (JSON.parse(text) as { abTest?: { cumulative?: unknown } }).abTest?.cumulative;
  } catch {
    logger.warn('the previous evidence is not JSON: the A/B experiment starts again from this window', { key });
    return undefined;
  }
  if (previous === undefined) return undefined;
  const parsed = cumulativeSchema.safeParse(previous);
  if (!parsed.success) {
    logger.warn('the previous evidence has no usable A/B totals: the experiment starts again from this window', { key, problems: parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`) });
    return undefined;
  }
  return parsed.data;
}

/** Latency (p50/p99 of ModelLatency), invocations, errors and the average instance count per variant. */
export async function readOperational(job: QualityJob, start: Date, end: Date): Promise<Record<string, Operational>> {
  const queries: MetricDataQuery[] = [];
  const seconds = Math.max(60, Math.round((end.getTime() - start.getTime()) / 1000 / 60) * 60);
  job.variants.forEach((variant, i) => {
    const dims = [
      { Name: 'EndpointName', Value: job.endpointName },
      { Name: 'VariantName', Value: variant },
    ];
    const q = (id: string, namespace: string, metric: string, stat: string, dimensions = dims) =>
      queries.push({ Id: `${id}${i}`, MetricStat: { Metric: { Namespace: namespace, MetricName: metric, Dimensions: dimensions }, Period: seconds, Stat: stat }, ReturnData: true });
    q('pfifty', 'AWS/SageMaker', 'ModelLatency', 'p50');
    q('pninetynine', 'AWS/SageMaker', 'ModelLatency', 'p99');
    q('invocations', 'AWS/SageMaker', 'Invocations', 'Sum');
    q('fivexx', 'AWS/SageMaker', 'Invocation5XXErrors', 'Sum');
    q('instances', 'Plinth/Endpoints', 'InstanceCount', 'Average', [
      { Name: 'Endpoint', Value: job.endpointName },
      { Name: 'Variant', Value: variant },
    ]);
  });
  const values = new Map<string, number>();
  let token: string | undefined;
  do {
    const out = await clients.cloudWatch.send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: start, EndTime: end, ...(token ? { NextToken: token } : {}) }));
    for (const r of out.MetricDataResults ?? []) {
      if (r.Id && r.Values && r.Values.length > 0) values.set(r.Id, r.Values.reduce((a, b) => a + b, 0) / (r.Id.startsWith('invocations') || r.Id.startsWith('fivexx') ? 1 : r.Values.length));
    }
    token = out.NextToken;
  } while (token);
  const hours = (end.getTime() - start.getTime()) / HOUR_MS;
  return Object.fromEntries(
    job.variants.map((variant, i) => {
      const get = (id: string) => values.get(`${id}${i}`);
      const p50 = get('pfifty');
      const p99 = get('pninetynine');
      const invocations = get('invocations');
      const instances = get('instances');
      const op: Operational = {
        // ModelLatency is in microseconds.
        ...(p50 !== undefined ? { p50LatencyMs: p50 / 1000 } : {}),
        ...(p99 !== undefined ? { p99LatencyMs: p99 / 1000 } : {}),
        ...(invocations !== undefined ? { invocations: Math.round(invocations), errors: Math.round(get('fivexx') ?? 0) } : {}),
        ...(instances !== undefined ? { instanceHours: instances * hours } : {}),
        ...(job.prices[variant] ? { price: job.prices[variant] } : {}),
      };
      return [variant, op];
    }),
  );
}

function settingsOf(job: QualityJob, baselines: Readonly<Record<string, Baseline>>, e: { window: { start: string; end: string }; labelsUntil: string; runAt: string }): EvaluationSettings {
  // The evidence's headline baseline is the champion's (the first variant without an A/B test); each variant carries its own.
  const headline = job.abTest?.champion ?? job.variants[0]!;
  return {
    endpointName: job.endpointName,
    modelName: job.modelName,
    variants: job.variants,
    problemType: job.problemType,
    primaryMetric: job.primaryMetric,
    threshold: job.threshold,
    minSamples: job.minSamples,
    tolerance: job.tolerance,
    baseline: baselines[headline] ?? { value: job.floor, source: 'configured-floor' },
    variantBaselines: baselines,
    coverageFloor: job.coverageFloor,
    labelDelayHours: job.labelDelayHours,
    captureSamplingPercent: job.captureSamplingPercent,
    ...(job.outcome ? { outcome: job.outcome } : {}),
    ...(job.abTest ? { abTest: job.abTest } : {}),
    window: e.window,
    labelsUntil: e.labelsUntil,
    runAt: e.runAt,
  };
}

function emit(evidence: Evidence, timestamp: number): void {
  for (const v of evidence.variants) {
    const values: Record<string, number> = { Predictions: v.predictions, LabelledSamples: v.labelled, QualityDecayed: v.decayed ? 1 : 0 };
    if (v.coverage.value !== undefined) values.LabelCoverage = v.coverage.value;
    if (v.primary.value !== undefined && v.judged) values.PrimaryMetric = v.primary.value;
    if (v.cost?.value !== undefined) values.CostPer1000 = v.cost.value;
    if (v.outcome?.per1000 !== undefined) values.OutcomePer1000 = v.outcome.per1000;
    publishMetrics(metrics, {
      dimensions: { Endpoint: evidence.endpointName, Variant: v.variant },
      values,
      units: { LabelCoverage: MetricUnit.NoUnit, PrimaryMetric: MetricUnit.NoUnit, CostPer1000: MetricUnit.NoUnit, OutcomePer1000: MetricUnit.NoUnit },
      properties: { metric: evidence.primaryMetric },
      timestamp,
    });
  }
  publishMetrics(metrics, {
    dimensions: { Endpoint: evidence.endpointName },
    values: { GroundTruthStale: evidence.staleness.stale ? 1 : 0, QualityDecayed: evidence.decay.length, QualityRuns: 1 },
    properties: { staleReasons: evidence.staleness.reasons },
    timestamp,
  });
}

export async function handler(event: unknown): Promise<unknown> {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) fail('event', parsed.error);
  const job = loadJob();
  const e = parsed.data;
  if (e.action === 'render') return renderStep(job, e.time);

  const rows = await readRows(clients.athena, e.queryExecutionId);
  const { baselines, models } = await readBaselines(job);
  for (const [variant, b] of Object.entries(baselines)) {
    if (b.reason !== undefined) logger.info('no registered evaluation metric: the configured floor is the baseline', { variant, reason: b.reason, floor: job.floor });
  }
  const operational = await readOperational(job, new Date(e.window.start), new Date(e.window.end));
  const previousAb = job.abTest ? await readPreviousAb(job) : undefined;
  const evidence = evaluate(rows, { ...settingsOf(job, baselines, e), variantModels: models }, operational, previousAb);

  const runKey = `${job.evidencePrefix}${job.endpointName}/runs/${e.runAt.replace(/[:]/g, '-')}.json`;
  const evidenceUri = `s3://${job.evidenceBucket}/${runKey}`;
  const body = JSON.stringify({ ...evidence, evidenceUri }, null, 2);
  for (const Key of [runKey, `${job.evidencePrefix}${job.endpointName}/latest.json`]) {
    await clients.s3.send(new PutObjectCommand({ Bucket: job.evidenceBucket, Key, Body: body, ContentType: 'application/json' }));
  }
  emit(evidence, Date.parse(e.runAt));

  const bus = process.env.EVENT_BUS_NAME ?? 'default';
  const entries = [
    ...evidence.decay.map((d) => ({
      Source: QUALITY_SOURCE,
      DetailType: DECAY_DETAIL_TYPE,
      EventBusName: bus,
      Detail: JSON.stringify({ endpointName: job.endpointName, variant: d.variant, window: e.window, metric: d.metric, value: d.value, baseline: d.baseline, tolerance: d.tolerance, evidenceUri }),
    })),
    ...(evidence.abTest
      ? [
          {
            Source: QUALITY_SOURCE,
            DetailType: VERDICT_DETAIL_TYPE,
            EventBusName: bus,
            Detail: JSON.stringify({
              endpointName: job.endpointName,
              window: e.window,
              champion: evidence.abTest.champion,
              challenger: evidence.abTest.challenger,
              verdict: evidence.abTest.verdict,
              reasons: evidence.abTest.reasons,
              samplesStillNeeded: evidence.abTest.samplesStillNeeded,
              difference: evidence.abTest.test?.difference,
              interval: evidence.abTest.test?.interval,
              loss: evidence.abTest.loss,
              // The verdict is on every window of the experiment so far, not on this window alone.
              judgedOn: {
                since: evidence.abTest.cumulative.since,
                through: evidence.abTest.cumulative.through,
                windows: evidence.abTest.cumulative.windows,
                challengerLabelled: evidence.abTest.cumulative.challengerSums.n,
                championLabelled: evidence.abTest.cumulative.championSums.n,
              },
              evidenceUri,
            }),
          },
        ]
      : []),
  ];
  if (entries.length > 0) {
    const out = await clients.eventBridge.send(new PutEventsCommand({ Entries: entries }));
    if ((out.FailedEntryCount ?? 0) > 0) throw new Error(`EventBridge refused ${out.FailedEntryCount} quality event(s); the job retries`);
  }
  logger[evidence.decay.length > 0 || evidence.staleness.stale ? 'warn' : 'info']('quality evaluated', {
    endpointName: job.endpointName,
    evidenceUri,
    stale: evidence.staleness.stale,
    staleReasons: evidence.staleness.reasons,
    decayed: evidence.decay.map((d) => d.variant),
    baselines: Object.fromEntries(Object.entries(baselines).map(([v, b]) => [v, b.source])),
    higherIsBetter: HIGHER_IS_BETTER[job.primaryMetric],
    verdict: evidence.abTest?.verdict,
  });
  return {
    evidenceUri,
    stale: evidence.staleness.stale,
    decayed: evidence.decay.map((d) => d.variant),
    ...(evidence.abTest ? { verdict: evidence.abTest.verdict } : {}),
  };
}
