import type { z } from 'zod';
import type { datasetConfigSchema } from '../data-lake';

/** The lake dataset that holds a model's ground truth: `<model with _>_ground_truth`. */
export function groundTruthDatasetName(modelName: string): string {
  return `${modelName.replace(/-/g, '_').toLowerCase()}_ground_truth`;
}

/**
 * Ground truth for one model, ingested by the lake's resilient path (quarantine, conservation): one
 * record per labelled prediction, joined to data capture by `inference_id` (the gateway's id).
 * A later record for the same id replaces an earlier one in the quality job (latest observed_at wins).
 */
export function groundTruthDataset(modelName: string, freshnessMinutes = 24 * 60): z.input<typeof datasetConfigSchema> {
  return {
    name: groundTruthDatasetName(modelName),
    version: 1,
    format: 'jsonl',
    freshnessMinutes,
    fields: [
      { name: 'inference_id', type: 'string', required: true, nullable: false, maxLength: 64 },
      { name: 'label', type: 'string', required: true, nullable: false, maxLength: 256 },
      { name: 'observed_at', type: 'timestamp', required: true, nullable: false },
      /** Optional business outcome of the decision, e.g. money saved (+) or lost (−). */
      { name: 'outcome_value', type: 'number', required: false, min: -1_000_000_000, max: 1_000_000_000 },
    ],
  };
}
