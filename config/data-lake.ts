import { z } from 'zod';
import { DatasetSchemaError, parseDatasetSchema } from '../lambdas/ingest/dataset-schema';
import type { DatasetSchema } from '../lambdas/ingest/dataset-schema';

/** A dataset's name is its S3 prefix in every zone and its Glue table name. */
const DATASET_NAME = /^[a-z][a-z0-9_]{0,62}$/;
const FIELD_NAME = /^[a-z_][a-z0-9_]{0,127}$/;

const fieldSchema = z
  .object({
    name: z.string().regex(FIELD_NAME, 'field names must be lowercase letters, digits and _ (they become Glue columns)'),
    type: z.enum(['string', 'integer', 'number', 'boolean', 'timestamp']),
    required: z.boolean().optional(),
    nullable: z.boolean().optional(),
    min: z.number().optional(),
    max: z.number().optional(),
    maxLength: z.number().int().nonnegative().optional(),
    enum: z.array(z.union([z.string(), z.number(), z.boolean()])).optional(),
  })
  .strict();

/** One dataset the lake ingests: its schema (what the ingest Lambda validates) and its freshness. */
export const datasetConfigSchema = z
  .object({
    name: z.string().regex(DATASET_NAME, 'dataset name must be lowercase letters, digits and _, starting with a letter'),
    version: z.number().int().positive('version must be a positive integer; bump it on every schema change'),
    format: z.enum(['jsonl', 'csv'], { error: 'format must be "jsonl" or "csv" (gzip of either is detected)' }),
    recordIdField: z.string().optional(),
    duplicatePolicy: z.enum(['keep-first', 'reject']).optional(),
    fields: z.array(fieldSchema).min(1, 'declare at least one field'),
    freshnessMinutes: z
      .number()
      .int('freshnessMinutes must be whole minutes')
      .min(5, 'freshnessMinutes must be at least 5 (the alarm period)')
      .max(7 * 24 * 60, 'freshnessMinutes can be at most 10080 (7 days, the longest alarm window)'),
  })
  .strict()
  .superRefine((dataset, ctx) => {
    // The Lambda's own parser is the last word on what it accepts: run it at synth too.
    try {
      parseDatasetSchema(toDatasetSchema(dataset));
    } catch (error) {
      if (!(error instanceof DatasetSchemaError)) throw error;
      ctx.addIssue({ code: 'custom', message: `${error.message.replace(/^invalid dataset schema: /, '')}` });
    }
  });

export const dataLakeConfigSchema = z
  .object({
    lifecycle: z
      .object({
        infrequentAccessAfterDays: z.number().int().min(30, 'S3 moves objects to infrequent access after 30 days at the earliest'),
        glacierAfterDays: z.number().int().positive(),
        noncurrentVersionExpirationDays: z.number().int().positive(),
      })
      .refine((l) => l.glacierAfterDays > l.infrequentAccessAfterDays, {
        path: ['glacierAfterDays'],
        message: 'dataLake.lifecycle.glacierAfterDays must be later than infrequentAccessAfterDays',
      }),
    athenaBytesScannedCutoffPerQuery: z
      .number()
      .int()
      .min(10_000_000, 'athenaBytesScannedCutoffPerQuery must be at least 10 MB (Athena\'s minimum)'),
    ingestion: z.object({
      maxReceiveCount: z.number().int().min(1).max(1000, 'maxReceiveCount must be 1 to 1000'),
      reservedConcurrency: z.number().int().min(1, 'reservedConcurrency must be at least 1'),
      batchSize: z.number().int().min(1).max(10, 'batchSize must be 1 to 10 (SQS standard-queue Lambda batch)').default(5),
    }),
    datasets: z.array(datasetConfigSchema).superRefine((datasets, ctx) => {
      const seen = new Set<string>();
      datasets.forEach((d, index) => {
        if (seen.has(d.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `dataset "${d.name}" is declared twice` });
        seen.add(d.name);
      });
    }),
  })
  .strict();

export type DatasetConfig = z.output<typeof datasetConfigSchema>;
export type DataLakeConfig = z.output<typeof dataLakeConfigSchema>;

/** The schema document the ingest Lambda reads from SSM (the config minus CDK-only settings). */
export function toDatasetSchema(dataset: DatasetConfig | z.input<typeof datasetConfigSchema>): DatasetSchema {
  const { freshnessMinutes: _freshness, ...schema } = dataset;
  return schema as DatasetSchema;
}
