/**
 * Environment contract of drift-baseline (hand-written validation; an invalid
 * environment throws DriftInputError, so the function's Errors metric fires).
 */

import { FeatureSpec } from '../drift-stats/baseline';
import { isJsonObject, parseJsonObject } from '../shared/json';
import { DriftInputError } from '../drift-stats/statistics';
import { FEATURE_NAME } from '../drift-query/sql';

export const DEFAULT_BASELINE_PREFIX = 'drift-baselines/';
export const DEFAULT_MAX_SAMPLE_RECORDS = 100_000;
export const MAX_SAMPLE_RECORDS_LIMIT = 5_000_000;
/**
 * Default largest share of malformed records (of all records read) a training sample may have and
 * still make a baseline. Skipped records are rarely random (a delimiter inside a value, one writer's
 * lines, one category's encoding), so they can remove part of the distribution. At 1 % that bias
 * moves any proportion by at most 0.01: under the default thresholds (PSI 0.2, KS 0.1, missing rate
 * 0.05) that cannot make drift on its own, and it is the default unseen-share threshold. Above it
 * the baseline is refused (BaselineFailed, with the counts) rather than trusted.
 */
export const DEFAULT_MAX_MALFORMED_SHARE = 0.01;
const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const PIPELINE_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255}$/;

export interface ModelDrift {
  endpointName: string;
  /** Feature name → spec, as buildBaseline() takes it. */
  features: Record<string, FeatureSpec>;
  /** The model's own training pipeline: its packages' samples are derived from their verified execution. */
  pipelineName?: string;
}

export interface BaselineConfig {
  /** Model package group name → its endpoint and drift features. */
  models: Map<string, ModelDrift>;
  baselineBucket: string;
  /** The only bucket training samples are read from (the registry's artifact bucket). */
  sampleBucket: string;
  /** Ends with '/' (or is empty). */
  baselinePrefix: string;
  maxSampleRecords: number;
  /** Largest share of malformed records, malformed / (valid + malformed), that still makes a baseline. */
  maxMalformedShare: number;
  environment?: string;
}

function positiveInt(v: unknown, where: string): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isSafeInteger(v) || (v as number) < 1) throw new DriftInputError(`${where} must be a positive integer`);
  return v as number;
}

function parseFeature(raw: unknown, where: string): [string, FeatureSpec] {
  if (!isJsonObject(raw)) throw new DriftInputError(`${where} must be an object { name, type }`);
  const { name, type } = raw;
  if (typeof name !== 'string' || !FEATURE_NAME.test(name)) {
    throw new DriftInputError(`${where}.name must match ${FEATURE_NAME.source} (the drift query reads features by this name)`);
  }
  if (type === 'numeric') {
    const bins = positiveInt(raw.bins, `${where}.bins`);
    const limit = raw.valueBinLimit;
    if (limit !== undefined && (!Number.isSafeInteger(limit) || (limit as number) < 0)) {
      throw new DriftInputError(`${where}.valueBinLimit must be an integer >= 0 (0 = always bin by quantile)`);
    }
    return [name, { type, ...(bins !== undefined ? { bins } : {}), ...(limit !== undefined ? { valueBinLimit: limit as number } : {}) }];
  }
  if (type === 'categorical') {
    const maxCategories = positiveInt(raw.maxCategories, `${where}.maxCategories`);
    return [name, { type, ...(maxCategories !== undefined ? { maxCategories } : {}) }];
  }
  throw new DriftInputError(`${where}.type must be "numeric" or "categorical"`);
}

/** MODELS: { "<group>": { "endpointName": "...", "pipelineName"?: "...", "features": [{ "name", "type", "bins"?, "valueBinLimit"?, "maxCategories"? }] } } */
export function parseModels(raw: string): Map<string, ModelDrift> {
  const json = parseJsonObject(raw, DriftInputError, {
    notJson: 'MODELS is not JSON',
    notObject: 'MODELS must be a JSON object of model package group name -> { endpointName, features }',
  });
  const models = new Map<string, ModelDrift>();
  for (const [group, entry] of Object.entries(json)) {
    const where = `MODELS.${group}`;
    if (!SAGEMAKER_NAME.test(group)) throw new DriftInputError(`${where}: not a model package group name`);
    if (!isJsonObject(entry)) throw new DriftInputError(`${where} must be an object { endpointName, features }`);
    if (typeof entry.endpointName !== 'string' || !SAGEMAKER_NAME.test(entry.endpointName)) {
      throw new DriftInputError(`${where}.endpointName must be a SageMaker endpoint name`);
    }
    if (!Array.isArray(entry.features) || entry.features.length === 0) throw new DriftInputError(`${where}.features must be a non-empty array`);
    const features: Record<string, FeatureSpec> = {};
    entry.features.forEach((f, i) => {
      const [name, spec] = parseFeature(f, `${where}.features[${i}]`);
      if (Object.prototype.hasOwnProperty.call(features, name)) throw new DriftInputError(`${where}: feature ${name} is listed twice`);
      features[name] = spec;
    });
    if (entry.pipelineName !== undefined && (typeof entry.pipelineName !== 'string' || !PIPELINE_NAME.test(entry.pipelineName))) {
      throw new DriftInputError(`${where}.pipelineName must be a SageMaker pipeline name`);
    }
    models.set(group, { endpointName: entry.endpointName, features, ...(entry.pipelineName !== undefined ? { pipelineName: entry.pipelineName as string } : {}) });
  }
  return models;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): BaselineConfig {
  const modelsText = env.MODELS?.trim();
  if (!modelsText) throw new DriftInputError('environment variable MODELS is required');
  const baselineBucket = env.BASELINE_BUCKET?.trim();
  if (!baselineBucket) throw new DriftInputError('environment variable BASELINE_BUCKET is required');
  const sampleBucket = env.TRAINING_SAMPLE_BUCKET?.trim();
  if (!sampleBucket) throw new DriftInputError('environment variable TRAINING_SAMPLE_BUCKET is required');
  const baselinePrefix = env.BASELINE_PREFIX?.trim() || DEFAULT_BASELINE_PREFIX;
  if (!baselinePrefix.endsWith('/') || baselinePrefix.startsWith('/')) throw new DriftInputError('BASELINE_PREFIX must end with "/" and not start with one');
  const maxText = env.MAX_SAMPLE_RECORDS?.trim();
  const maxSampleRecords = maxText ? (/^\d+$/.test(maxText) ? Number(maxText) : NaN) : DEFAULT_MAX_SAMPLE_RECORDS;
  if (!(maxSampleRecords >= 1 && maxSampleRecords <= MAX_SAMPLE_RECORDS_LIMIT)) {
    throw new DriftInputError(`MAX_SAMPLE_RECORDS must be an integer in 1..${MAX_SAMPLE_RECORDS_LIMIT}`);
  }
  const shareText = env.MAX_MALFORMED_SHARE?.trim();
  const maxMalformedShare = shareText ? (/^\d+(\.\d+)?$/.test(shareText) ? Number(shareText) : NaN) : DEFAULT_MAX_MALFORMED_SHARE;
  if (!(maxMalformedShare >= 0 && maxMalformedShare < 1)) throw new DriftInputError('MAX_MALFORMED_SHARE must be a number in [0, 1)');
  const environment = env.PLINTH_ENV?.trim();
  return {
    models: parseModels(modelsText),
    baselineBucket,
    sampleBucket,
    baselinePrefix,
    maxSampleRecords,
    maxMalformedShare,
    ...(environment ? { environment } : {}),
  };
}
