/**
 * feature-ingest configuration from the environment, parsed with zod at the edge.
 *
 *   FEATURE_GROUP       required  JSON: { name, recordIdentifier, eventTime, features: [{ name, type, min?, max? }] }
 *                                 (the group's definition, rendered at synth by FeaturePipeline)
 *   DEAD_LETTER_BUCKET  required  where rejected rows go, one JSON line each with its reason
 *   DEAD_LETTER_PREFIX  required  e.g. dead-letters/account-spend/
 *   MAX_CONCURRENCY     10        PutRecord calls in flight per invocation, 1..100
 *   MAX_ATTEMPTS        6         attempts per record on throttling and 5xx, 1..20
 *   BASE_DELAY_MS       50        first backoff ceiling (full jitter, doubling), 1..10000
 *   MAX_DELAY_MS        5000      largest backoff ceiling, >= BASE_DELAY_MS
 *   PLINTH_ENV          unknown   environment name in logs
 */
import * as z from 'zod'; // not `{ z }`: the namespace import lets esbuild drop zod's unused locales (cold start)

const featureSchema = z.object({
  name: z.string().min(1),
  type: z.enum(['String', 'Integral', 'Fractional']),
  min: z.number().optional(),
  max: z.number().optional(),
});

export const groupSchema = z
  .object({
    name: z.string().min(1),
    recordIdentifier: z.string().min(1),
    eventTime: z.string().min(1),
    features: z.array(featureSchema).min(1),
  })
  .refine((g) => g.features.some((f) => f.name === g.recordIdentifier) && g.features.some((f) => f.name === g.eventTime), {
    message: 'recordIdentifier and eventTime must be declared features',
  });

export type IngestGroup = z.output<typeof groupSchema>;

const intIn = (dflt: number, min: number, max: number) => z.coerce.number().int().min(min).max(max).default(dflt);

const envSchema = z.object({
  FEATURE_GROUP: z.string().transform((raw, ctx) => {
    try {
      return groupSchema.parse(JSON.parse(raw));
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `FEATURE_GROUP is not a valid group definition: ${(err as Error).message}` });
      return z.NEVER;
    }
  }),
  DEAD_LETTER_BUCKET: z.string().min(1, 'set DEAD_LETTER_BUCKET'),
  DEAD_LETTER_PREFIX: z.string().min(1, 'set DEAD_LETTER_PREFIX'),
  MAX_CONCURRENCY: intIn(10, 1, 100),
  MAX_ATTEMPTS: intIn(6, 1, 20),
  BASE_DELAY_MS: intIn(50, 1, 10_000),
  MAX_DELAY_MS: intIn(5000, 1, 60_000),
  PLINTH_ENV: z.string().default('unknown'),
});

export interface IngestConfig {
  group: IngestGroup;
  deadLetterBucket: string;
  deadLetterPrefix: string;
  maxConcurrency: number;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  environment: string;
}

export class FeatureIngestConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeatureIngestConfigError';
  }
}

export function parseConfig(env: Record<string, string | undefined>): IngestConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new FeatureIngestConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || 'env'}: ${i.message}`).join('; '));
  }
  const e = parsed.data;
  if (e.MAX_DELAY_MS < e.BASE_DELAY_MS) throw new FeatureIngestConfigError('MAX_DELAY_MS must be at least BASE_DELAY_MS');
  return {
    group: e.FEATURE_GROUP,
    deadLetterBucket: e.DEAD_LETTER_BUCKET,
    deadLetterPrefix: e.DEAD_LETTER_PREFIX,
    maxConcurrency: e.MAX_CONCURRENCY,
    maxAttempts: e.MAX_ATTEMPTS,
    baseDelayMs: e.BASE_DELAY_MS,
    maxDelayMs: e.MAX_DELAY_MS,
    environment: e.PLINTH_ENV,
  };
}
