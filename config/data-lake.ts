import { z } from 'zod';
import { datasetProblems, toDatasetSchema, type DatasetDefinition } from '../lib/data-lake/dataset';

export { toDatasetSchema };

/**
 * One dataset the lake ingests. Its rules live in `lib/data-lake/dataset.ts` (`datasetProblems`),
 * which `DataLake` also runs, so a construct used directly validates exactly what the config does.
 */
export const datasetConfigSchema = z
  .custom<DatasetDefinition>((value) => typeof value === 'object' && value !== null && !Array.isArray(value), {
    message: 'a dataset must be an object with name, version, format, fields and freshnessMinutes',
  })
  .superRefine((dataset, ctx) => {
    for (const problem of datasetProblems([dataset])) ctx.addIssue({ code: 'custom', path: problem.path.slice(1) as (string | number)[], message: problem.message });
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
      // Each dataset alone is checked above; across datasets, only a duplicate name remains.
      for (const problem of datasetProblems(datasets)) {
        if (/is declared twice$/.test(problem.message) && problem.path[1] === 'name') ctx.addIssue({ code: 'custom', path: [...problem.path] as (string | number)[], message: problem.message });
      }
    }),
  })
  .strict();

/** A dataset as the config declares it: the construct's `DatasetDefinition`. */
export type DatasetConfig = DatasetDefinition;
export type DataLakeConfig = z.output<typeof dataLakeConfigSchema>;
