import { z } from 'zod';

/** SageMaker's model-package-group and endpoint name rule. */
export const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;

/** One model: its package group in the registry and the endpoint variant that follows its approved version. */
export const modelConfigSchema = z
  .object({
    name: z.string().regex(SAGEMAKER_NAME, 'model name must be 1-63 letters, digits and hyphens (SageMaker naming)'),
    description: z.string().max(1000).optional(),
    endpointName: z.string().regex(SAGEMAKER_NAME, 'endpointName must be 1-63 letters, digits and hyphens (SageMaker naming)'),
    variantName: z.string().regex(SAGEMAKER_NAME, 'variantName must be 1-63 letters, digits and hyphens').default('primary'),
    /** CloudWatch alarms whose ALARM state rolls a canary back, besides the endpoint's own. */
    rollbackAlarmNames: z.array(z.string().min(1)).max(8, 'at most 8 extra rollback alarms (SageMaker takes 10, Plinth adds 2)').default([]),
    /** p99 model latency (ms) above which a canary rolls back. */
    rollbackP99LatencyMs: z.number().positive('rollbackP99LatencyMs must be positive').default(1000),
  })
  .strict();

export const modelRegistryConfigSchema = z
  .object({
    models: z.array(modelConfigSchema).superRefine((models, ctx) => {
      const seen = new Set<string>();
      models.forEach((m, i) => {
        if (seen.has(m.name)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `model "${m.name}" is declared twice` });
        seen.add(m.name);
      });
    }),
    canary: z
      .object({
        percent: z.number().int().min(1, 'canary.percent must be 1-50').max(50, 'canary.percent must be 1-50'),
        waitMinutes: z.number().int().min(1).max(60, 'canary.waitMinutes can be at most 60 (SageMaker\'s canary wait limit is one hour)'),
      })
      .strict(),
    /** ECR registry hosts that inference images may come from; default: this account's ECR in this region. */
    allowedImageRegistries: z.array(z.string().regex(/^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/, 'allowedImageRegistries entries look like 123456789012.dkr.ecr.us-east-1.amazonaws.com')).default([]),
  })
  .strict();

export type ModelConfig = z.output<typeof modelConfigSchema>;
export type ModelRegistryConfig = z.output<typeof modelRegistryConfigSchema>;
