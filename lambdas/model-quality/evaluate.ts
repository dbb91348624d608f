/**
 * From the quality query's rows (sql.ts) and the variants' operational figures (latency,
 * errors, instance-hours from CloudWatch) to the run's evidence: quality per variant with
 * intervals, label coverage and delay, outcome and cost per 1,000, decay against the baseline,
 * ground-truth staleness and the A/B verdict. Pure: no I/O.
 */

import { decide } from './ab-test';
import type { AbDecision, GuardrailTolerances, LossSums } from './ab-test';
import {
  ClassCell,
  classificationQuality,
  ClassificationQuality,
  costPer1000,
  CostPer1000,
  DEFAULT_ALPHA,
  Interval,
  per1000,
  PriceUsed,
  proportion,
  Proportion,
  QualityInputError,
  regressionQuality,
  RegressionQuality,
  RegressionSums,
} from './statistics';

export const EVIDENCE_SCHEMA_VERSION = 1;
/** Capture holding less than 1/CAPTURE_SHORTFALL of the requests it should have recorded is missing. */
export const CAPTURE_SHORTFALL = 2;

/** One result row as text cells (Athena GetQueryResults, or DuckDB in tests). */
export interface ResultRow {
  kind: string;
  variant: string | null;
  bin: string | null;
  predicted: string | null;
  actual: string | null;
  n: string;
  sum1: string | null;
  sum2: string | null;
  sum3: string | null;
  last_label_at: string | null;
}

export type PrimaryMetric = 'auc' | 'precision' | 'recall' | 'calibrationError' | 'mae' | 'rmse';
export const HIGHER_IS_BETTER: Readonly<Record<PrimaryMetric, boolean>> = {
  auc: true,
  precision: true,
  recall: true,
  calibrationError: false,
  mae: false,
  rmse: false,
};

export interface Operational {
  readonly p50LatencyMs?: number;
  readonly p99LatencyMs?: number;
  readonly invocations?: number;
  readonly errors?: number;
  readonly instanceHours?: number;
  readonly price?: PriceUsed;
}

export interface EvaluationSettings {
  readonly endpointName: string;
  readonly modelName: string;
  readonly variants: readonly string[];
  readonly problemType: 'binary_classification' | 'regression';
  readonly primaryMetric: PrimaryMetric;
  readonly threshold: number;
  readonly minSamples: number;
  readonly tolerance: number;
  /** The headline baseline (the champion's, or the only variant's): what a variant without its own is judged against. */
  readonly baseline: { value: number; source: 'evaluation.json' | 'configured-floor'; uri?: string; modelPackageArn?: string; reason?: string };
  /** Per variant, the model it serves now (the endpoint's current config), when known: a new model restarts an A/B experiment. */
  readonly variantModels?: Readonly<Record<string, string>>;
  /** Per variant, the baseline of the model it serves (contract B); a variant not listed takes `baseline`. */
  readonly variantBaselines?: Readonly<Record<string, EvaluationSettings['baseline']>>;
  readonly coverageFloor: number;
  readonly labelDelayHours: number;
  /**
   * The share of requests data capture records: with each variant's Invocations, what the capture
   * should hold. @default 100
   */
  readonly captureSamplingPercent?: number;
  readonly outcome?: { name: string; unit: string };
  readonly abTest?: { champion: string; alpha: number; minimumEffect: number; guardrails: GuardrailTolerances };
  readonly window: { start: string; end: string };
  readonly labelsUntil: string;
  readonly runAt: string;
  readonly alpha?: number;
}

export interface VariantEvidence {
  readonly variant: string;
  readonly predictions: number;
  readonly labelled: number;
  /** Predictions whose score is missing, not a number, or (classification) outside [0, 1]: never evaluated. */
  readonly unscored: number;
  /** Predictions whose latest labels disagree (different labels at the same latest observed_at): never evaluated. */
  readonly conflictingLabels: number;
  readonly coverage: Proportion;
  readonly labelDelayMedianSeconds: number | undefined;
  readonly outcome?: { name: string; unit: string; total: number; per1000: number | undefined };
  readonly classification?: ClassificationQuality;
  readonly regression?: RegressionQuality;
  readonly primary: { metric: PrimaryMetric; value: number | undefined; interval: Interval | undefined };
  readonly latency: { p50Ms: number | undefined; p99Ms: number | undefined };
  readonly errorRate: Proportion | undefined;
  readonly cost: CostPer1000 | undefined;
  /** What this variant's primary metric is judged against: the evaluation of the package it serves, else the floor. */
  readonly baseline: EvaluationSettings['baseline'];
  /** Enough samples behind the primary metric to judge it (>= minSamples): predicted positives for precision, labelled positives for recall, labelled predictions otherwise. */
  readonly judged: boolean;
  readonly decayed: boolean;
  readonly notes: string[];
}

export interface Evidence {
  readonly schemaVersion: 1;
  readonly endpointName: string;
  readonly modelName: string;
  readonly runAt: string;
  readonly window: { start: string; end: string };
  readonly labelsUntil: string;
  readonly problemType: EvaluationSettings['problemType'];
  readonly primaryMetric: PrimaryMetric;
  readonly threshold: number;
  readonly minSamples: number;
  readonly baseline: EvaluationSettings['baseline'] & { tolerance: number };
  readonly labels: { observed: number; lastObservedAt: string | undefined };
  readonly staleness: { stale: boolean; coverage: Proportion; reasons: string[] };
  readonly variants: VariantEvidence[];
  readonly decay: Array<{ variant: string; metric: PrimaryMetric; value: number; baseline: number; tolerance: number }>;
  readonly abTest?: AbDecision & {
    champion: string;
    challenger: string;
    loss: string;
    /** This run's window alone: the loss sums its labelled predictions add. */
    window: { challenger: LossSums; champion: LossSums };
    /** What the verdict is computed on: every window of this experiment so far (see accumulate). */
    cumulative: CumulativeAb;
    /** started: a new experiment (or a changed one); added: this window was added; kept: it overlaps what is already counted. */
    accumulation: 'started' | 'added' | 'kept';
    /** Why the experiment (re)started, when it did although an earlier run existed. */
    restartedBecause?: string;
  };
}

/**
 * The A/B test's running totals across runs. The mSPRT's guarantee (the chance of EVER rejecting
 * "no difference" wrongly is at most alpha, however often one looks) holds for one stream of data
 * that grows. Each run evaluates a new window; testing every window on its own data would be a new
 * test per run, and over a few dozen daily runs a false verdict becomes likely. So each run adds
 * its window's loss sums to the previous run's totals (from latest.json) and judges the totals.
 * A window is added once: one that starts before the totals end (a retried run, overlapping
 * windows) is not added again. A change of champion, challenger, served model, loss, alpha or
 * minimum effect starts a new experiment.
 */
export interface CumulativeAb {
  readonly champion: string;
  readonly challenger: string;
  /** The model each arm served (the endpoint's current config), when known: a new model is a new experiment. */
  readonly championModel: string | null;
  readonly challengerModel: string | null;
  readonly loss: string;
  readonly alpha: number;
  readonly minimumEffect: number;
  /** Start of the first window counted. */
  readonly since: string;
  /** End of the last window counted. */
  readonly through: string;
  readonly windows: number;
  readonly challengerSums: LossSums;
  readonly championSums: LossSums;
}

function addSums(a: LossSums, b: LossSums): LossSums {
  return { n: a.n + b.n, sum: a.sum + b.sum, sumSq: a.sumSq + b.sumSq };
}

/** The totals after this run, and what happened to this window. */
export function accumulate(
  previous: CumulativeAb | undefined,
  identity: Omit<CumulativeAb, 'since' | 'through' | 'windows' | 'challengerSums' | 'championSums'>,
  window: { start: string; end: string },
  sums: { challenger: LossSums; champion: LossSums },
): { cumulative: CumulativeAb; accumulation: 'started' | 'added' | 'kept'; restartedBecause?: string } {
  const fresh: CumulativeAb = { ...identity, since: window.start, through: window.end, windows: 1, challengerSums: sums.challenger, championSums: sums.champion };
  if (previous === undefined) return { cumulative: fresh, accumulation: 'started' };
  const changed = (Object.keys(identity) as Array<keyof typeof identity>).filter((k) => previous[k] !== identity[k]);
  if (changed.length > 0) {
    return { cumulative: fresh, accumulation: 'started', restartedBecause: changed.map((k) => `${k} ${JSON.stringify(previous[k])} -> ${JSON.stringify(identity[k])}`).join('; ') };
  }
  if (Date.parse(window.start) < Date.parse(previous.through)) return { cumulative: previous, accumulation: 'kept' };
  return {
    cumulative: {
      ...previous,
      through: window.end,
      windows: previous.windows + 1,
      challengerSums: addSums(previous.challengerSums, sums.challenger),
      championSums: addSums(previous.championSums, sums.champion),
    },
    accumulation: 'added',
  };
}

function int(v: string | null, what: string): number {
  const n = v === null ? NaN : Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new QualityInputError(`${what} must be a non-negative integer (got ${JSON.stringify(v)})`);
  return n;
}

function num(v: string | null, what: string, fallback?: number): number {
  if (v === null || v === '') {
    if (fallback !== undefined) return fallback;
    throw new QualityInputError(`${what} is missing`);
  }
  const n = Number(v);
  if (!Number.isFinite(n)) throw new QualityInputError(`${what} must be a number (got ${JSON.stringify(v)})`);
  return n;
}

function bit(v: string | null, what: string): boolean {
  if (v === '1' || v === 'true') return true;
  if (v === '0' || v === 'false') return false;
  throw new QualityInputError(`${what} must be 0 or 1 (got ${JSON.stringify(v)})`);
}

interface Parsed {
  traffic: Map<string, { predictions: number; labelled: number; outcome: number; delay: number | undefined }>;
  unscored: Map<string, number>;
  conflicting: Map<string, number>;
  cells: Map<string, ClassCell[]>;
  brier: Map<string, LossSums>;
  regression: Map<string, RegressionSums>;
  labels: { observed: number; lastObservedAt: string | undefined };
}

export function parseRows(rows: readonly ResultRow[], variants: readonly string[]): Parsed {
  const known = new Set(variants);
  const out: Parsed = { traffic: new Map(), unscored: new Map(), conflicting: new Map(), cells: new Map(), brier: new Map(), regression: new Map(), labels: { observed: 0, lastObservedAt: undefined } };
  let labelRows = 0;
  for (const r of rows) {
    if (r.kind === 'labels') {
      labelRows += 1;
      out.labels = { observed: int(r.n, 'labels n'), lastObservedAt: r.last_label_at ?? undefined };
      if (r.last_label_at !== null && Number.isNaN(Date.parse(r.last_label_at))) throw new QualityInputError(`last_label_at is not a time: ${r.last_label_at}`);
      continue;
    }
    if (r.variant === null || !known.has(r.variant)) throw new QualityInputError(`row for unknown variant ${JSON.stringify(r.variant)} (kind ${r.kind})`);
    const v = r.variant;
    if (r.kind === 'traffic') {
      const predictions = int(r.n, 'traffic n');
      const labelled = int(r.sum1 === null ? '0' : String(Number(r.sum1)), 'traffic labelled');
      if (labelled > predictions) throw new QualityInputError(`variant ${v}: ${labelled} labelled of ${predictions} predictions`);
      out.traffic.set(v, { predictions, labelled, outcome: num(r.sum2, 'outcome sum', 0), delay: r.sum3 === null ? undefined : num(r.sum3, 'label delay') });
    } else if (r.kind === 'class') {
      const n = int(r.n, 'class n');
      const cell: ClassCell = { bin: int(r.bin, 'bin'), predicted: bit(r.predicted, 'predicted'), actual: bit(r.actual, 'actual'), n, scoreSum: num(r.sum1, 'score sum') };
      out.cells.set(v, [...(out.cells.get(v) ?? []), cell]);
      const b = out.brier.get(v) ?? { n: 0, sum: 0, sumSq: 0 };
      out.brier.set(v, { n: b.n + n, sum: b.sum + num(r.sum2, 'brier sum'), sumSq: b.sumSq + num(r.sum3, 'brier sum of squares') });
    } else if (r.kind === 'unscored') {
      out.unscored.set(v, int(r.n, 'unscored n'));
    } else if (r.kind === 'conflicting') {
      out.conflicting.set(v, int(r.n, 'conflicting n'));
    } else if (r.kind === 'reg') {
      out.regression.set(v, { n: int(r.n, 'reg n'), absSum: num(r.sum1, 'abs sum'), sqSum: num(r.sum2, 'square sum'), quadSum: num(r.sum3, 'fourth-power sum') });
    } else {
      throw new QualityInputError(`unknown row kind ${JSON.stringify(r.kind)}`);
    }
  }
  if (labelRows !== 1) throw new QualityInputError(`the result must have exactly one 'labels' row (got ${labelRows})`);
  return out;
}

function primaryOf(metric: PrimaryMetric, c: ClassificationQuality | undefined, r: RegressionQuality | undefined): VariantEvidence['primary'] {
  switch (metric) {
    case 'auc':
      return { metric, value: c?.auc.value, interval: c?.auc.interval };
    case 'precision':
      return { metric, value: c?.precision.value, interval: c?.precision.interval };
    case 'recall':
      return { metric, value: c?.recall.value, interval: c?.recall.interval };
    case 'calibrationError':
      return { metric, value: c?.calibrationError.value, interval: c?.calibrationError.interval };
    case 'mae':
      return { metric, value: r?.mae.value, interval: r?.mae.interval };
    case 'rmse':
      return { metric, value: r?.rmse.value, interval: r?.rmse.interval };
  }
}

/** The samples a primary metric is computed from, which `minSamples` applies to. */
function judgedOn(metric: PrimaryMetric, samples: number, c: ClassificationQuality | undefined): { n: number; what: string } {
  if (metric === 'precision') return { n: (c?.confusion.tp ?? 0) + (c?.confusion.fp ?? 0), what: 'predicted positives' };
  if (metric === 'recall') return { n: c?.positives ?? 0, what: 'labelled positives' };
  return { n: samples, what: 'labelled samples' };
}

/** Per-prediction loss of the A/B test for the primary metric (see ab-test.ts). */
function lossOf(metric: PrimaryMetric, p: Parsed, variant: string, c: ClassificationQuality | undefined): { sums: LossSums; name: string } {
  const zero = { n: 0, sum: 0, sumSq: 0 };
  switch (metric) {
    case 'auc':
    case 'calibrationError':
      return { sums: p.brier.get(variant) ?? zero, name: 'Brier score' };
    case 'precision': {
      const fp = c?.confusion.fp ?? 0;
      return { sums: { n: (c?.confusion.tp ?? 0) + fp, sum: fp, sumSq: fp }, name: 'false-alarm rate among predicted positives' };
    }
    case 'recall': {
      const fn = c?.confusion.fn ?? 0;
      return { sums: { n: (c?.confusion.tp ?? 0) + fn, sum: fn, sumSq: fn }, name: 'miss rate among positives' };
    }
    case 'mae': {
      const r = p.regression.get(variant);
      return { sums: r ? { n: r.n, sum: r.absSum, sumSq: r.sqSum } : zero, name: 'absolute error' };
    }
    case 'rmse': {
      const r = p.regression.get(variant);
      return { sums: r ? { n: r.n, sum: r.sqSum, sumSq: r.quadSum } : zero, name: 'squared error' };
    }
  }
}

/**
 * @param previousAb the previous run's A/B totals (its evidence's abTest.cumulative), to add this window to
 */
export function evaluate(rows: readonly ResultRow[], s: EvaluationSettings, operational: Readonly<Record<string, Operational>> = {}, previousAb?: CumulativeAb): Evidence {
  const alpha = s.alpha ?? DEFAULT_ALPHA;
  const parsed = parseRows(rows, s.variants);
  const higher = HIGHER_IS_BETTER[s.primaryMetric];
  const variants: VariantEvidence[] = s.variants.map((variant) => {
    const t = parsed.traffic.get(variant) ?? { predictions: 0, labelled: 0, outcome: 0, delay: undefined };
    const classification = s.problemType === 'binary_classification' ? classificationQuality(parsed.cells.get(variant) ?? [], alpha) : undefined;
    const regression = s.problemType === 'regression' ? regressionQuality(parsed.regression.get(variant) ?? { n: 0, absSum: 0, sqSum: 0, quadSum: 0 }, alpha) : undefined;
    const primary = primaryOf(s.primaryMetric, classification, regression);
    const samples = classification?.samples ?? regression?.samples ?? 0;
    // The metric is judged on the samples it is computed from: precision on the predicted
    // positives, recall on the labelled positives, not on every labelled prediction (500 labels
    // with 2 predicted positives give a precision of 0/2, not a figure to retrain on).
    const basis = judgedOn(s.primaryMetric, samples, classification);
    const judged = basis.n >= s.minSamples && primary.value !== undefined;
    const baseline = s.variantBaselines?.[variant] ?? s.baseline;
    const decayed = judged && (higher ? primary.value! < baseline.value - s.tolerance : primary.value! > baseline.value + s.tolerance);
    const op = operational[variant] ?? {};
    const notes = [...(classification?.notes ?? regression?.notes ?? [])];
    const unscored = parsed.unscored.get(variant) ?? 0;
    if (unscored > t.predictions) throw new QualityInputError(`variant ${variant}: ${unscored} unscored of ${t.predictions} predictions`);
    if (unscored > 0) {
      const usable = s.problemType === 'binary_classification' ? 'missing, not a number, or outside [0, 1]' : 'missing or not a finite number';
      notes.push(`${unscored} of ${t.predictions} predictions have no usable score (${usable}): they are not evaluated`);
    }
    const conflictingLabels = parsed.conflicting.get(variant) ?? 0;
    if (conflictingLabels > t.predictions) throw new QualityInputError(`variant ${variant}: ${conflictingLabels} conflicting of ${t.predictions} predictions`);
    if (conflictingLabels > 0) notes.push(`${conflictingLabels} predictions have labels that disagree at the same observed_at (latest observation): they are not evaluated`);
    if (t.predictions === 0) notes.push('no predictions in the window (zero traffic)');
    else if (basis.n < s.minSamples) notes.push(`${basis.n} ${basis.what}; at least ${s.minSamples} are needed to judge ${s.primaryMetric} decay`);
    const cost = op.instanceHours !== undefined && op.price !== undefined ? costPer1000(op.instanceHours, op.invocations ?? t.predictions, op.price) : undefined;
    return {
      variant,
      predictions: t.predictions,
      labelled: t.labelled,
      unscored,
      conflictingLabels,
      coverage: proportion(t.labelled, t.predictions, alpha),
      labelDelayMedianSeconds: t.delay,
      ...(s.outcome ? { outcome: { ...s.outcome, total: t.outcome, per1000: per1000(t.outcome, t.predictions) } } : {}),
      ...(classification ? { classification } : {}),
      ...(regression ? { regression } : {}),
      primary,
      latency: { p50Ms: op.p50LatencyMs, p99Ms: op.p99LatencyMs },
      errorRate: op.invocations !== undefined && op.errors !== undefined ? proportion(Math.min(op.errors, op.invocations), op.invocations, alpha) : undefined,
      cost,
      baseline,
      judged,
      decayed,
      notes,
    };
  });

  const predictions = variants.reduce((a, v) => a + v.predictions, 0);
  const labelled = variants.reduce((a, v) => a + v.labelled, 0);
  const coverage = proportion(labelled, predictions, alpha);
  const reasons: string[] = [];
  const delayMs = Math.max(1, s.labelDelayHours) * 3_600_000;
  const last = parsed.labels.lastObservedAt;
  if (last === undefined) reasons.push('no ground truth has ever been observed for this model');
  else if (Date.parse(s.runAt) - Date.parse(last) > delayMs) reasons.push(`no label observed since ${last}, longer than the configured delay of ${s.labelDelayHours} h`);
  if (predictions > 0 && coverage.value! < s.coverageFloor) {
    reasons.push(`label coverage ${(100 * coverage.value!).toFixed(2)}% is below the floor of ${(100 * s.coverageFloor).toFixed(2)}%`);
  }
  // Zero or few predictions read as a quiet window (no decay judged, coverage fine). When the
  // endpoint served far more requests than the capture holds, capture is what is missing.
  const sampling = s.captureSamplingPercent ?? 100;
  for (const v of variants) {
    const invocations = operational[v.variant]?.invocations;
    if (invocations === undefined) continue;
    const expected = (invocations * sampling) / 100;
    if (expected >= s.minSamples && v.predictions < expected / CAPTURE_SHORTFALL) {
      reasons.push(
        `variant ${v.variant}: capture holds ${v.predictions} predictions for ${invocations} requests at ${sampling}% sampling (about ${Math.round(expected)} expected): ` +
          'data capture is missing, so this window\'s quality is not the endpoint\'s',
      );
    }
  }

  const evidence: Evidence = {
    schemaVersion: EVIDENCE_SCHEMA_VERSION,
    endpointName: s.endpointName,
    modelName: s.modelName,
    runAt: s.runAt,
    window: s.window,
    labelsUntil: s.labelsUntil,
    problemType: s.problemType,
    primaryMetric: s.primaryMetric,
    threshold: s.threshold,
    minSamples: s.minSamples,
    baseline: { ...s.baseline, tolerance: s.tolerance },
    labels: { observed: parsed.labels.observed, lastObservedAt: last },
    staleness: { stale: reasons.length > 0, coverage, reasons },
    variants,
    decay: variants
      .filter((v) => v.decayed)
      .map((v) => ({ variant: v.variant, metric: s.primaryMetric, value: v.primary.value!, baseline: v.baseline.value, tolerance: s.tolerance })),
  };
  if (!s.abTest) return evidence;
  // One champion, one challenger: a missing verdict, or a second challenger never compared, would read as
  // "nothing to decide". The construct refuses such a configuration at synth; this is the run-time guard.
  const champion = variants.find((v) => v.variant === s.abTest!.champion);
  const others = variants.filter((v) => v.variant !== s.abTest!.champion);
  if (!champion) throw new QualityInputError(`abTest: the champion ${JSON.stringify(s.abTest.champion)} is not one of the variants (${s.variants.join(', ')})`);
  if (others.length !== 1) {
    throw new QualityInputError(
      `abTest needs exactly one challenger; variants has ` +
        (others.length === 0 ? `none besides ${JSON.stringify(champion.variant)}` : `${others.length} (${others.map((v) => v.variant).join(', ')})`),
    );
  }
  const challenger = others[0]!;
  const cls = (v: VariantEvidence) => v.classification;
  const lossCh = lossOf(s.primaryMetric, parsed, challenger.variant, cls(challenger));
  const lossCp = lossOf(s.primaryMetric, parsed, champion.variant, cls(champion));
  const rails = (v: VariantEvidence) => ({ p99LatencyMs: v.latency.p99Ms, errorRate: v.errorRate?.value, costPer1000: v.cost?.value });
  const model = (v: string): string | null => s.variantModels?.[v] ?? null;
  const { cumulative, accumulation, restartedBecause } = accumulate(
    previousAb,
    {
      champion: champion.variant,
      challenger: challenger.variant,
      championModel: model(champion.variant),
      challengerModel: model(challenger.variant),
      loss: lossCh.name,
      alpha: s.abTest.alpha,
      minimumEffect: s.abTest.minimumEffect,
    },
    s.window,
    { challenger: lossCh.sums, champion: lossCp.sums },
  );
  const decision = decide({
    challenger: cumulative.challengerSums,
    champion: cumulative.championSums,
    minimumEffect: s.abTest.minimumEffect,
    minSamples: s.minSamples,
    alpha: s.abTest.alpha,
    lossName: lossCh.name,
    guardrails: { challenger: rails(challenger), champion: rails(champion), tolerances: s.abTest.guardrails },
  });
  const span = `labelled predictions of ${cumulative.windows} window(s) since ${cumulative.since}`;
  return {
    ...evidence,
    abTest: {
      ...decision,
      reasons: [...decision.reasons, `judged on the ${span}`],
      champion: champion.variant,
      challenger: challenger.variant,
      loss: lossCh.name,
      window: { challenger: lossCh.sums, champion: lossCp.sums },
      cumulative,
      accumulation,
      ...(restartedBecause !== undefined ? { restartedBecause } : {}),
    },
  };
}
