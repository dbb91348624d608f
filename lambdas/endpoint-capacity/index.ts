/**
 * endpoint-capacity — publishes each endpoint variant's instance count against its configured
 * maximum, so an alarm can tell when a variant has been pinned at its cost cap for too long.
 * SageMaker publishes no instance-count metric for endpoint variants; this is the metric.
 *
 * ── CONTRACT ──────────────────────────────────────────────────────────────
 * Trigger: EventBridge schedule (every minute). The event is ignored.
 * Env:
 *   ENDPOINTS   JSON [{ "endpointName": "...", "variants": { "<variantName>": <maxCapacity> } }]
 *   PLINTH_ENV  logged.
 * For every endpoint: sagemaker:DescribeEndpoint. For every configured variant found in
 * ProductionVariants, one EMF document (namespace `Plinth/Endpoints`, dimensions
 * [Endpoint, Variant]): InstanceCount (CurrentInstanceCount), MaxInstanceCount (config),
 * AtMaxCapacity (1 when InstanceCount >= MaxInstanceCount, else 0).
 * An endpoint that is missing, or not InService/Updating, gets no capacity document but a
 * warning log (it cannot be at capacity); a configured variant the endpoint does not have is
 * logged as a warning, and so is a variant that reports no CurrentInstanceCount (serverless, or
 * still being created): it is not measured rather than measured as 0. Any other AWS error for one endpoint is logged and the others are still
 * measured; the invocation fails (so Lambda's Errors metric shows it) only if every endpoint failed.
 * Every run that parsed ENDPOINTS also publishes one document (dimensions [Watch], Watch =
 * `endpoint-capacity`): EndpointsUnreadable = the endpoints it could not describe (not counting one
 * that does not exist yet or is not serving), with `failedEndpoints` as a property.
 * IAM: sagemaker:DescribeEndpoint on the listed endpoints.
 * ──────────────────────────────────────────────────────────────────────────
 */

import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { createLogger, createMetrics, describeError, publishMetrics } from '../shared/runtime';

export const METRIC_NAMESPACE = 'Plinth/Endpoints';

/** The function's SDK client, created once per execution environment. */
export const sagemaker = new SageMakerClient({ maxAttempts: 3 });
const logger = createLogger('plinth-endpoint-capacity');
const metrics = createMetrics(METRIC_NAMESPACE);

export interface WatchedEndpoint {
  endpointName: string;
  variants: Record<string, number>;
}

export class CapacityConfigError extends Error {
  override readonly name = 'CapacityConfigError';
}

/** Parses ENDPOINTS; throws CapacityConfigError naming what is wrong. */
export function parseEndpoints(raw: string | undefined): WatchedEndpoint[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw ?? '');
  } catch {
    throw new CapacityConfigError('ENDPOINTS must be JSON [{"endpointName": "...", "variants": {"<variant>": <max>}}]');
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new CapacityConfigError('ENDPOINTS must be a non-empty JSON array');
  return parsed.map((entry: unknown, i) => {
    const e = entry as Partial<WatchedEndpoint> | null;
    if (!e || typeof e.endpointName !== 'string' || e.endpointName === '') throw new CapacityConfigError(`ENDPOINTS[${i}].endpointName is missing`);
    if (!e.variants || typeof e.variants !== 'object' || Object.keys(e.variants).length === 0) {
      throw new CapacityConfigError(`ENDPOINTS[${i}].variants must map variant names to their maxCapacity`);
    }
    for (const [name, max] of Object.entries(e.variants)) {
      if (typeof max !== 'number' || !Number.isInteger(max) || max < 0) throw new CapacityConfigError(`ENDPOINTS[${i}].variants.${name} must be an integer >= 0`);
    }
    return { endpointName: e.endpointName, variants: e.variants as Record<string, number> };
  });
}

export interface VariantCapacity {
  endpointName: string;
  variantName: string;
  instanceCount: number;
  maxInstanceCount: number;
  atMaxCapacity: boolean;
}

export interface CapacityResult {
  measured: VariantCapacity[];
  failedEndpoints: string[];
}

const MEASURABLE = new Set(['InService', 'Updating', 'SystemUpdating', 'UpdateRollbackFailed']);

export async function handler(_event?: unknown): Promise<CapacityResult> {
  const endpoints = parseEndpoints(process.env.ENDPOINTS);
  const environment = process.env.PLINTH_ENV;
  const measured: VariantCapacity[] = [];
  const failedEndpoints: string[] = [];
  for (const watched of endpoints) {
    let described;
    try {
      described = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: watched.endpointName }));
    } catch (err) {
      const e = err as Error;
      if (e.name === 'ValidationException' && /could not find|not found/i.test(e.message)) {
        logger.warn('endpoint does not exist yet; nothing to measure', { endpointName: watched.endpointName, environment });
        continue;
      }
      logger.error('could not describe the endpoint', { endpointName: watched.endpointName, ...describeError(err), environment });
      failedEndpoints.push(watched.endpointName);
      continue;
    }
    const status = described.EndpointStatus ?? 'Unknown';
    if (!MEASURABLE.has(status)) {
      logger.warn('endpoint is not serving; nothing to measure', { endpointName: watched.endpointName, status, environment });
      continue;
    }
    const variants = new Map((described.ProductionVariants ?? []).map((v) => [v.VariantName ?? '', v]));
    for (const [variantName, maxInstanceCount] of Object.entries(watched.variants)) {
      const variant = variants.get(variantName);
      if (!variant) {
        logger.warn('configured variant is not on the endpoint', { endpointName: watched.endpointName, variantName, environment });
        continue;
      }
      // A variant without an instance count (serverless, or one SageMaker is still creating) is not
      // measured: publishing 0 would read as "no instances, far from the cap" and hide a full variant.
      if (variant.CurrentInstanceCount === undefined) {
        logger.warn('variant reports no instance count: not measured', { endpointName: watched.endpointName, variantName, environment });
        continue;
      }
      const instanceCount = variant.CurrentInstanceCount;
      const atMaxCapacity = instanceCount >= maxInstanceCount;
      measured.push({ endpointName: watched.endpointName, variantName, instanceCount, maxInstanceCount, atMaxCapacity });
      publishMetrics(metrics, {
        dimensions: { Endpoint: watched.endpointName, Variant: variantName },
        values: { InstanceCount: instanceCount, MaxInstanceCount: maxInstanceCount, AtMaxCapacity: atMaxCapacity ? 1 : 0 },
        properties: { status, ...(environment ? { environment } : {}) },
      });
    }
  }
  // The watch's own health, every run: a variant it could not read publishes no AtMaxCapacity at
  // all, which its alarm reads as OK. CapacityWatchBlind fires on a count >= 1, and on no run at all.
  publishMetrics(metrics, {
    dimensions: { Watch: 'endpoint-capacity' },
    values: { EndpointsUnreadable: failedEndpoints.length },
    properties: { failedEndpoints, ...(environment ? { environment } : {}) },
  });
  if (failedEndpoints.length === endpoints.length) {
    throw new Error(`could not describe any endpoint (${failedEndpoints.join(', ')}); see the error logs`);
  }
  return { measured, failedEndpoints };
}
