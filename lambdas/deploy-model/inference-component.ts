/**
 * Rollout of an approved version onto a variant served by an inference component (scale-to-zero
 * endpoints). The endpoint config names no model there, so a blue/green UpdateEndpoint cannot
 * swap it: the inference component's model is replaced instead, by UpdateInferenceComponent with
 * a rolling update (one copy per batch, `canaryWait` between batches) that SageMaker rolls back
 * on the same alarms as the canary.
 *
 * Idempotency mirrors the endpoint path (deploy.ts): the model name is deterministic, so a
 * replayed approval finds the component already running it (no-op), or finds the model of a
 * previous attempt tagged as submitted while the component runs another one (rolled back or
 * failed): that one is never redeployed automatically.
 */

import { DescribeInferenceComponentCommand, DescribeModelCommand, UpdateInferenceComponentCommand } from '@aws-sdk/client-sagemaker';
import type { DescribeInferenceComponentCommandOutput, InferenceComponentSpecification } from '@aws-sdk/client-sagemaker';
import type { Deployment } from './config';
import { SUBMITTED_TAG_KEY } from './endpoint-config';
import { DeploymentFailure, RetryableError, classifyError, messageOf } from './errors';
import type { ApprovalEvent } from './event';
import { logger } from './log';
import { modelNameFor } from './names';
import type { InferenceComponentStartedDetail } from './notify';
import { BUSY_ENDPOINT_STATUSES, describeEndpoint, ensureModel, listTags, markSubmitted, recordStarted } from './steps';
import type { Ctx, ModelSource, TargetOutcome } from './steps';

/** Copies replaced per batch of the rolling update: the smallest step, like a canary. */
export const COPIES_PER_BATCH = 1;

type ComponentTarget = Deployment & { inferenceComponentName: string };

async function describeComponent(ctx: Ctx, name: string): Promise<DescribeInferenceComponentCommandOutput> {
  try {
    return await ctx.clients.sagemaker.send(new DescribeInferenceComponentCommand({ InferenceComponentName: name }));
  } catch (err) {
    if (classifyError(err) === 'not-found') {
      throw new DeploymentFailure('endpoint-not-found', `inference component ${name} does not exist: ${messageOf(err)}`);
    }
    throw err;
  }
}

/** DescribeModel's ARN, or undefined when no model of that name exists yet. */
async function findModelArn(ctx: Ctx, modelName: string): Promise<string | undefined> {
  try {
    return (await ctx.clients.sagemaker.send(new DescribeModelCommand({ ModelName: modelName }))).ModelArn;
  } catch (err) {
    if (classifyError(err) === 'not-found') return undefined;
    throw err;
  }
}

/**
 * The component's specification with only the model replaced. Everything a copy needs (compute,
 * startup timeouts, caching) is carried over; a component built on another one (an adapter) has
 * no model of its own and cannot be rolled this way.
 */
export function specificationWithModel(current: DescribeInferenceComponentCommandOutput, modelName: string): InferenceComponentSpecification {
  const spec = current.Specification;
  if (!spec?.ModelName || spec.BaseInferenceComponentName) {
    throw new DeploymentFailure(
      'endpoint-not-updatable',
      `inference component ${current.InferenceComponentName} has no model of its own${spec?.BaseInferenceComponentName ? ` (it adapts ${spec.BaseInferenceComponentName})` : ''}; it cannot take a model version`,
    );
  }
  if (!spec.ComputeResourceRequirements) {
    throw new DeploymentFailure('endpoint-not-updatable', `inference component ${current.InferenceComponentName} reports no compute requirements to carry over`);
  }
  return {
    ModelName: modelName,
    ComputeResourceRequirements: structuredClone(spec.ComputeResourceRequirements),
    ...(spec.StartupParameters ? { StartupParameters: structuredClone(spec.StartupParameters) } : {}),
    ...(spec.DataCacheConfig?.EnableCaching !== undefined ? { DataCacheConfig: { EnableCaching: spec.DataCacheConfig.EnableCaching } } : {}),
  };
}

export async function deployToInferenceComponent(ctx: Ctx, ev: ApprovalEvent, target: ComponentTarget, source: ModelSource): Promise<TargetOutcome> {
  const { config } = ctx;
  const componentName = target.inferenceComponentName;
  const modelName = modelNameFor(target.endpointName, target.variantName, ev.modelPackageVersion);
  const log = { messageId: ctx.messageId, endpointName: target.endpointName, variantName: target.variantName, inferenceComponentName: componentName, modelName };

  const component = await describeComponent(ctx, componentName);
  if (component.EndpointName !== target.endpointName || (component.VariantName !== undefined && component.VariantName !== target.variantName)) {
    throw new DeploymentFailure(
      'unknown-variant',
      `inference component ${componentName} serves ${component.EndpointName ?? '?'}/${component.VariantName ?? '?'}, not ${target.endpointName}/${target.variantName}`,
    );
  }
  const previousModelName = component.Specification?.ModelName;
  const status = component.InferenceComponentStatus ?? 'unknown';

  // Same approval delivered twice (or already deployed): nothing to do.
  if (previousModelName === modelName) {
    logger.info('already deployed: inference component already runs this model version', { ...log, status });
    return 'already-deployed';
  }
  if (BUSY_ENDPOINT_STATUSES.has(status)) {
    throw new RetryableError(`inference component ${componentName} is ${status}; the deployment will be retried`);
  }
  if (status !== 'InService') {
    throw new DeploymentFailure(
      'endpoint-not-updatable',
      `inference component ${componentName} is ${status}${component.FailureReason ? ` (${component.FailureReason})` : ''}`,
    );
  }
  const endpoint = await describeEndpoint(ctx, target.endpointName);
  const endpointStatus = endpoint.EndpointStatus ?? 'unknown';
  if (BUSY_ENDPOINT_STATUSES.has(endpointStatus)) {
    throw new RetryableError(`endpoint ${target.endpointName} is ${endpointStatus}; the deployment will be retried`);
  }
  const specification = specificationWithModel(component, modelName);

  const previousModelArn = await findModelArn(ctx, modelName);
  if (previousModelArn) {
    const tags = await listTags(ctx, previousModelArn, 'the rollback guard');
    if (tags?.some((t) => t.Key === SUBMITTED_TAG_KEY)) {
      // UpdateInferenceComponent to this very model was accepted before, yet the component runs
      // another one: the rolling update was rolled back (alarm) or failed. A human decides.
      throw new DeploymentFailure(
        'previously-rolled-back',
        `${modelName} was already rolled out to inference component ${componentName}, which is back on ${previousModelName} (rolled back or failed). ` +
          `Not redeploying automatically; delete model ${modelName} to allow a new attempt.`,
      );
    }
  }

  const modelArn = (await ensureModel(ctx, ev, modelName, source)) ?? previousModelArn;

  try {
    await ctx.clients.sagemaker.send(
      new UpdateInferenceComponentCommand({
        InferenceComponentName: componentName,
        Specification: specification,
        // RuntimeConfig is deliberately not set: the copy count belongs to autoscaling (down to zero).
        DeploymentConfig: {
          RollingUpdatePolicy: {
            MaximumBatchSize: { Type: 'COPY_COUNT', Value: COPIES_PER_BATCH },
            WaitIntervalInSeconds: config.canaryWaitSeconds,
            MaximumExecutionTimeoutInSeconds: config.maxExecutionTimeoutSeconds,
          },
          AutoRollbackConfiguration: { Alarms: target.rollbackAlarmNames.map((AlarmName) => ({ AlarmName })) },
        },
      }),
    );
  } catch (err) {
    const cls = classifyError(err);
    if (cls === 'conflict') throw new RetryableError(`inference component ${componentName} is being updated: ${messageOf(err)}`, err);
    if (cls === 'not-found') throw new DeploymentFailure('endpoint-not-found', `UpdateInferenceComponent ${componentName}: ${messageOf(err)}`);
    if (cls === 'rejected') throw new DeploymentFailure('sagemaker-rejected', `UpdateInferenceComponent ${componentName} was rejected: ${messageOf(err)}`);
    throw err;
  }

  // From here on the rollout is in flight: nothing below may make the message fail (a retry
  // would find the component Updating, then running the model: a no-op).
  await markSubmitted(ctx, modelArn, 'model', log);
  const detail: InferenceComponentStartedDetail = {
    env: config.env,
    modelPackageArn: ev.modelPackageArn,
    group: ev.modelPackageGroupName,
    version: ev.modelPackageVersion,
    endpointName: target.endpointName,
    variantName: target.variantName,
    modelName,
    inferenceComponentName: componentName,
    previousModelName: previousModelName ?? '',
    copiesPerBatch: COPIES_PER_BATCH,
  };
  await recordStarted(ctx, ev, detail);
  return 'deployment-started';
}
