/**
 * A known quality run, end to end on this machine: gateway-style answers (with inference ids)
 * captured for two variants, a ground-truth label file, the quality job's SQL in DuckDB, and the
 * evidence file the job would write. Used by the smoke check and the CLI tests.
 */
import { evaluate } from '../../lambdas/model-quality/evaluate';
import type { Evidence } from '../../lambdas/model-quality/evaluate';
import { qualityDatabase, runQualityQuery } from './quality-duckdb';
import type { CapturedPrediction, GroundTruthRow } from './quality-duckdb';

export interface KnownRun {
  readonly captured: CapturedPrediction[];
  /** The label file as JSON Lines (the ground-truth dataset's format). */
  readonly labelFile: string;
  readonly evidence: Evidence;
}

/** 120 answers per variant over the day before `runAt − 24 h`; every second one labelled. */
export async function knownQualityRun(endpointName: string, runAt: Date, inferenceIds?: readonly string[]): Promise<KnownRun> {
  const end = new Date(runAt.getTime() - 24 * 3_600_000);
  const start = new Date(end.getTime() - 24 * 3_600_000);
  const captured: CapturedPrediction[] = [];
  const truth: GroundTruthRow[] = [];
  let k = 0;
  for (let i = 0; i < 120; i++) {
    const fraud = i % 4 === 0;
    for (const variant of ['primary', 'challenger']) {
      const id = inferenceIds?.[k] ?? `${variant}-${i}`;
      k += 1;
      const score = variant === 'primary' ? (fraud ? 0.6 + (i % 5) / 20 : 0.05 + (i % 9) / 20) : (fraud ? 0.55 + (i % 7) / 20 : 0.1 + (i % 9) / 18);
      const at = new Date(start.getTime() + (i + 0.5) * 12 * 60_000).toISOString();
      captured.push({ variant, inferenceId: id, inferenceTime: at, output: JSON.stringify({ label: score >= 0.5 ? 'fraud' : 'legitimate', confidence: 0.9, score }) });
      if (i % 2 === 0) truth.push({ inference_id: id, label: fraud ? 'fraud' : 'legitimate', observed_at: new Date(Date.parse(at) + 6 * 3_600_000).toISOString(), outcome_value: fraud ? 120 : -2 });
    }
  }
  const db = await qualityDatabase(captured, truth, []);
  const rows = await runQualityQuery(db, {
    variants: ['primary', 'challenger'],
    windowStart: start,
    windowEnd: end,
    labelsUntil: runAt,
    problemType: 'binary_classification',
    scorePath: '$.score',
    positiveLabel: 'fraud',
    threshold: 0.5,
    bins: 1000,
    withReviews: false,
  });
  db.closeSync();
  const price = { instanceType: 'ml.g5.xlarge', pricePerHour: 1.408, currency: 'USD', asOf: '2026-11-22', source: 'config/pricing/sagemaker-instances.ts' };
  const evidence = evaluate(
    rows,
    {
      endpointName,
      modelName: 'fraud-detector',
      variants: ['primary', 'challenger'],
      problemType: 'binary_classification',
      primaryMetric: 'auc',
      threshold: 0.5,
      minSamples: 30,
      tolerance: 0.03,
      baseline: { value: 0.85, source: 'configured-floor' },
      coverageFloor: 0.05,
      labelDelayHours: 24,
      outcome: { name: 'fraud loss avoided', unit: 'USD' },
      abTest: { champion: 'primary', alpha: 0.05, minimumEffect: 0.005, guardrails: { p99LatencyIncrease: 0.1, errorRateIncrease: 0.005, costPer1000Increase: 0.2 } },
      window: { start: start.toISOString(), end: end.toISOString() },
      labelsUntil: runAt.toISOString(),
      runAt: runAt.toISOString(),
    },
    {
      primary: { p50LatencyMs: 12, p99LatencyMs: 48, invocations: 120, errors: 0, instanceHours: 24, price },
      challenger: { p50LatencyMs: 13, p99LatencyMs: 50, invocations: 120, errors: 0, instanceHours: 24, price },
    },
  );
  return { captured, labelFile: truth.map((t) => JSON.stringify(t)).join('\n') + '\n', evidence };
}
