/**
 * Pure helpers of retrain-trigger: the pipeline parameters built from a
 * `Model Drift Detected` event and the idempotency token.
 */

import { createHash } from 'node:crypto';

/** SageMaker pipeline parameter values are limited to 1024 characters. */
export const MAX_PARAMETER_CHARS = 1024;
const MAX_NAME_CHARS = 100;

export interface EvidenceFeature {
  name: string;
  psi?: number;
  ks?: number;
  missingRateDelta?: number;
  unseenShare?: number;
  reasons?: string[];
}

function round4(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? Number(x.toPrecision(4)) : undefined;
}

function compactFeature(f: unknown): EvidenceFeature | undefined {
  if (typeof f !== 'object' || f === null) return undefined;
  const o = f as Record<string, unknown>;
  if (typeof o.name !== 'string') return undefined;
  const out: EvidenceFeature = { name: o.name.length > MAX_NAME_CHARS ? o.name.slice(0, MAX_NAME_CHARS) : o.name };
  for (const k of ['psi', 'ks', 'missingRateDelta', 'unseenShare'] as const) {
    const v = round4(o[k]);
    if (v !== undefined) out[k] = v;
  }
  if (Array.isArray(o.reasons)) out.reasons = o.reasons.filter((r): r is string => typeof r === 'string').slice(0, 4);
  return out;
}

/**
 * DriftEvidence parameter: compact JSON `{"features":[{name, psi, ks?,
 * missingRateDelta, unseenShare, reasons}], "omitted": n}` with numbers
 * rounded to 4 significant digits, largest PSI first, as many features as fit
 * in 1024 characters (`omitted` counts the rest, plus `alreadyOmitted`: the
 * drifting features the drift event itself left out, its `featuresOmitted`).
 */
export function driftEvidence(features: unknown, alreadyOmitted?: unknown): string {
  const before = typeof alreadyOmitted === 'number' && Number.isSafeInteger(alreadyOmitted) && alreadyOmitted > 0 ? alreadyOmitted : 0;
  const all = (Array.isArray(features) ? features : [])
    .map(compactFeature)
    .filter((f): f is EvidenceFeature => f !== undefined)
    // No psi: the feature drifted on its missing rate alone (it went all-missing), the most broken; first.
    .sort((a, b) => (b.psi ?? Infinity) - (a.psi ?? Infinity) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const kept: EvidenceFeature[] = [];
  for (const f of all) {
    const candidate = JSON.stringify({ features: [...kept, f], omitted: before + all.length - kept.length - 1 });
    if (candidate.length > MAX_PARAMETER_CHARS) break;
    kept.push(f);
  }
  return JSON.stringify({ features: kept, omitted: before + all.length - kept.length });
}

/**
 * ClientRequestToken for StartPipelineExecution: SHA-256 of the event id
 * (64 hex chars; SageMaker wants 32..128). The same event — an EventBridge
 * retry or duplicate delivery — always yields the same token, so SageMaker
 * starts at most one execution for it.
 */
export function clientRequestToken(eventId: string): string {
  return createHash('sha256').update(`plinth-retrain:${eventId}`).digest('hex');
}

/** Cut a parameter value to the SageMaker limit. */
export function parameterValue(s: string): string {
  return s.length > MAX_PARAMETER_CHARS ? s.slice(0, MAX_PARAMETER_CHARS) : s;
}

function finite(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
}

function shortString(x: unknown, max: number): string | undefined {
  return typeof x === 'string' ? x.slice(0, max) : undefined;
}

/**
 * Evidence parameter for a `Model Quality Decayed` event (source plinth.quality): compact JSON
 * `{"cause":"quality", variant, metric, value, baseline, tolerance, evidenceUri}` (numbers to 4
 * significant digits), cut to 1024 characters by dropping the evidence URI first.
 */
export function qualityEvidence(detail: Record<string, unknown>): string {
  const out: Record<string, unknown> = {
    cause: 'quality',
    variant: shortString(detail.variant, 63),
    metric: shortString(detail.metric, 32),
    value: round4(detail.value),
    baseline: round4(detail.baseline),
    tolerance: finite(detail.tolerance),
    evidenceUri: shortString(detail.evidenceUri, 900),
  };
  const text = JSON.stringify(out);
  if (text.length <= MAX_PARAMETER_CHARS) return text;
  delete out.evidenceUri;
  return JSON.stringify(out);
}
