/**
 * Is the drift job blind? A window where every feature had too little data to judge reads
 * FeaturesDrifting = 0, exactly like a quiet hour. When the endpoint served plenty of requests in
 * that window, the capture the job reads is what is missing (data capture switched off, its
 * bucket or key refusing SageMaker's writes, the capture table pointing elsewhere), and "no
 * drift" means nothing. This compares the window's captured evidence with the endpoint's own
 * request count (AWS/SageMaker Invocations, which does not depend on capture).
 *
 * The state machine passes `traffic: { variants, samplingPercent }` (the endpoint's production
 * variants and the share of requests data capture records). The count is read only when every
 * feature is insufficient, so a healthy run costs no CloudWatch call.
 *
 * Blind when invocations × samplingPercent / 100 >= BLIND_FACTOR × minSamples: at least twice the
 * rows the job needs were expected in capture, yet no feature had minSamples. The factor leaves
 * room for capture files SageMaker has not uploaded yet at the window's end and for sampling's
 * randomness, so a window near the threshold does not page.
 */

import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { MetricDataQuery } from '@aws-sdk/client-cloudwatch';
import { DriftInputError } from './statistics';

/** Expected captured rows must reach this multiple of minSamples before too little data counts as blind. */
export const BLIND_FACTOR = 2;
/** SageMaker variant names (the Invocations metric's VariantName dimension). */
const VARIANT_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
/** GetMetricData takes at most 500 queries. */
const MAX_VARIANTS = 500;

export interface TrafficCheck {
  /** The production variants whose capture the job reads. */
  readonly variants: readonly string[];
  /** The share of requests data capture records, in (0, 100]. */
  readonly samplingPercent: number;
}

export interface CaptureEvidence {
  /** Requests the variants served in the window (AWS/SageMaker Invocations, Sum). */
  readonly invocations: number;
  /** invocations × samplingPercent / 100: the rows capture should hold. */
  readonly expectedRows: number;
  /** Every feature insufficient although expectedRows >= BLIND_FACTOR × minSamples. */
  readonly blind: boolean;
}

/** `event.traffic`, validated; undefined when the caller did not ask for the check. */
export function parseTrafficCheck(v: unknown): TrafficCheck | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== 'object' || v === null) throw new DriftInputError('traffic must be { variants, samplingPercent }');
  const { variants, samplingPercent } = v as { variants?: unknown; samplingPercent?: unknown };
  if (!Array.isArray(variants) || variants.length === 0 || variants.length > MAX_VARIANTS || !variants.every((x) => typeof x === 'string' && VARIANT_NAME.test(x))) {
    throw new DriftInputError(`traffic.variants must be 1..${MAX_VARIANTS} SageMaker variant names`);
  }
  if (typeof samplingPercent !== 'number' || !(samplingPercent > 0 && samplingPercent <= 100)) {
    throw new DriftInputError('traffic.samplingPercent must be a number in (0, 100]: the share of requests data capture records');
  }
  return { variants: [...new Set(variants as string[])], samplingPercent };
}

/**
 * Requests the variants served in [start, end): the sum of every datapoint of every page. A
 * variant without datapoints served nothing (SageMaker publishes Invocations only when called).
 */
export async function countInvocations(cloudWatch: CloudWatchClient, endpointName: string, variants: readonly string[], start: Date, end: Date): Promise<number> {
  const seconds = Math.max(60, Math.round((end.getTime() - start.getTime()) / 60_000) * 60);
  // Whole hours (drift-query's windows are) give one datapoint per hour; a shorter window one for all of it.
  const period = seconds % 3600 === 0 ? 3600 : seconds;
  const queries: MetricDataQuery[] = variants.map((variant, i) => ({
    Id: `invocations${i}`,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/SageMaker',
        MetricName: 'Invocations',
        Dimensions: [
          { Name: 'EndpointName', Value: endpointName },
          { Name: 'VariantName', Value: variant },
        ],
      },
      Period: period,
      Stat: 'Sum',
    },
    ReturnData: true,
  }));
  let total = 0;
  let token: string | undefined;
  do {
    const out = await cloudWatch.send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: start, EndTime: end, ...(token ? { NextToken: token } : {}) }));
    for (const r of out.MetricDataResults ?? []) {
      for (const value of r.Values ?? []) {
        if (!Number.isFinite(value) || value < 0) throw new Error(`CloudWatch returned ${value} invocations for ${r.Id}`);
        total += value;
      }
    }
    token = out.NextToken;
  } while (token);
  return Math.round(total);
}

/** Whether a window where every feature was insufficient is blind, given the endpoint's requests. */
export function captureEvidence(invocations: number, check: TrafficCheck, minSamples: number): CaptureEvidence {
  const expectedRows = (invocations * check.samplingPercent) / 100;
  return { invocations, expectedRows, blind: expectedRows >= BLIND_FACTOR * Math.max(1, minSamples) };
}
