/**
 * One SQS message = one model package approval → (maybe) one canary
 * deployment per endpoint variant that follows the package's group.
 *
 * Idempotency: every resource name is deterministic (names.ts). A replayed
 * approval finds the endpoint already running the model (no-op), finds the
 * endpoint config of a previous attempt (reused, not duplicated), or finds
 * that a previous attempt was submitted and did not stick (rolled back):
 * that one is never redeployed automatically.
 *
 * Returns normally when the message must be acknowledged (deployed, no-op,
 * skipped, or a clear failure that was recorded); throws when it must be
 * retried by SQS.
 *
 * A variant served by an inference component (DEPLOYMENTS[].inferenceComponentName)
 * is rolled out by inference-component.ts instead, with the same outcomes.
 */

import {
  CreateEndpointConfigCommand,
  DescribeEndpointConfigCommand,
  DescribeModelPackageCommand,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import type { DeployClients } from './clients';
import type { DeployConfig, Deployment } from './config';
import { SUBMITTED_TAG_KEY, buildEndpointConfigInput, copyableTags, findVariant } from './endpoint-config';
import type { CurrentEndpointConfig } from './endpoint-config';
import { DeploymentFailure, RetryableError, classifyError, httpStatusOf, messageOf } from './errors';
import { parseApprovalEvent } from './event';
import type { ApprovalEvent } from './event';
import { deployToInferenceComponent } from './inference-component';
import { logger } from './log';
import { endpointConfigNameFor, modelNameFor } from './names';
import { recordFailure } from './notify';
import type { EndpointStartedDetail, FailedDetail } from './notify';
import { validatePackage } from './package-validation';
import type { ModelPackage } from './package-validation';
import { BUSY_ENDPOINT_STATUSES, describeEndpoint, ensureModel, listTags, markSubmitted, modelSourceOf, recordStarted } from './steps';
import type { Ctx, ModelSource, TargetOutcome } from './steps';
import { artifactOf, copyApproved, pinOf, verifyPin } from './artifact-pin';

export { BUSY_ENDPOINT_STATUSES } from './steps';
export type { TargetOutcome } from './steps';
export type MessageOutcome = 'malformed' | 'skipped-not-approved' | 'skipped-not-our-group' | 'failed' | 'processed';

export interface SqsMessage {
  messageId: string;
  body: string;
}

export async function processMessage(message: SqsMessage, config: DeployConfig, clients: DeployClients): Promise<MessageOutcome> {
  const ctx: Ctx = { config, clients, messageId: message.messageId };
  const parsed = parseApprovalEvent(message.body);
  if (!parsed.ok) {
    // A malformed event can never succeed: retrying it would only end in the
    // DLQ after maxReceiveCount without telling anyone why. Instead it is
    // recorded as a `Model Deployment Failed` event (reason malformed-event),
    // the alarm topic is notified, and the message is ACKED. Nothing is
    // deployed. (If recording itself fails, the message is retried.)
    await fail(ctx, { reason: 'malformed-event', message: parsed.error });
    return 'malformed';
  }
  const ev = parsed.event;
  const base = { messageId: ctx.messageId, eventId: ev.eventId, modelPackageArn: ev.modelPackageArn, group: ev.modelPackageGroupName, version: ev.modelPackageVersion };

  if (ev.modelApprovalStatus !== 'Approved') {
    logger.info('skipped: not approved', { ...base, status: ev.modelApprovalStatus, source: 'event' });
    return 'skipped-not-approved';
  }
  const targets = config.deployments.filter((d) => d.modelPackageGroupName === ev.modelPackageGroupName);
  if (targets.length === 0) {
    logger.info('skipped: group not deployed by this environment', base);
    return 'skipped-not-our-group';
  }

  let pkg: ModelPackage;
  try {
    pkg = await describeModelPackage(ctx, ev);
  } catch (err) {
    if (err instanceof DeploymentFailure) {
      await fail(ctx, failedDetail(ev, err));
      return 'failed';
    }
    throw err;
  }

  // The event may be stale: an approval revoked since then must not deploy.
  if (pkg.ModelApprovalStatus !== 'Approved') {
    logger.info('skipped: not approved', { ...base, status: pkg.ModelApprovalStatus, source: 'DescribeModelPackage' });
    return 'skipped-not-approved';
  }
  const invalid = packageProblems(pkg, ev, config);
  if (invalid.length > 0) {
    await fail(ctx, failedDetail(ev, new DeploymentFailure('invalid-package', invalid.join('; '))));
    return 'failed';
  }
  if (pkg.ModelPackageStatus === 'Pending' || pkg.ModelPackageStatus === 'InProgress') {
    throw new RetryableError(`model package ${ev.modelPackageArn} is still ${pkg.ModelPackageStatus}`);
  }

  // The bytes served are the bytes approved: verify the pin, then deploy only the approved copy.
  let source: ModelSource;
  try {
    source = modelSourceOf(pkg, await approvedArtifact(ctx, ev, pkg));
  } catch (err) {
    if (err instanceof DeploymentFailure) {
      await fail(ctx, failedDetail(ev, err));
      return 'failed';
    }
    throw err;
  }

  // Several endpoints may follow the same group. A retryable error on one of
  // them retries the whole message: the ones already done are then no-ops.
  for (const target of targets) {
    try {
      const outcome = await deployTarget(ctx, ev, target, source);
      logger.info(`target ${outcome}`, { ...base, endpointName: target.endpointName, variantName: target.variantName });
    } catch (err) {
      if (!(err instanceof DeploymentFailure)) throw err;
      await fail(ctx, { ...failedDetail(ev, err), endpointName: target.endpointName, variantName: target.variantName });
    }
  }
  return 'processed';
}

function failedDetail(ev: ApprovalEvent, err: DeploymentFailure): Omit<FailedDetail, 'env' | 'sqsMessageId'> {
  return {
    reason: err.reason,
    message: err.message,
    modelPackageArn: ev.modelPackageArn,
    group: ev.modelPackageGroupName,
    version: ev.modelPackageVersion,
    sourceEventId: ev.eventId,
  };
}

async function fail(ctx: Ctx, detail: Omit<FailedDetail, 'env' | 'sqsMessageId'>): Promise<void> {
  const full: FailedDetail = { env: ctx.config.env, sqsMessageId: ctx.messageId, ...detail };
  // Powertools Logger reserves (and drops) a field named `message`: the failure text is logged as failureMessage.
  const { message: failureMessage, ...fields } = full;
  logger.error('deployment failed', { ...fields, failureMessage });
  await recordFailure(ctx.clients, ctx.config, full);
}

function packageProblems(pkg: ModelPackage, ev: ApprovalEvent, config: DeployConfig): string[] {
  const problems: string[] = [];
  if (pkg.ModelPackageGroupName !== undefined && pkg.ModelPackageGroupName !== ev.modelPackageGroupName) {
    problems.push(`registry says group ${pkg.ModelPackageGroupName}, event says ${ev.modelPackageGroupName}`);
  }
  if (pkg.ModelPackageVersion !== undefined && pkg.ModelPackageVersion !== ev.modelPackageVersion) {
    problems.push(`registry says version ${pkg.ModelPackageVersion}, event says ${ev.modelPackageVersion}`);
  }
  return [...problems, ...validatePackage(pkg, config.allowedImageRegistries)];
}

/**
 * Verifies the package's artifact against its pin and copies the pinned version to the approved
 * prefix; returns the copy's URI (undefined for an image-only package). A mismatch is a
 * DeploymentFailure: recorded, sent to the alarm topic naming the artifact, never deployed.
 */
async function approvedArtifact(ctx: Ctx, ev: ApprovalEvent, pkg: ModelPackage): Promise<string | undefined> {
  const loc = artifactOf(pkg, ctx.config.artifactBucket);
  if (!loc) return undefined;
  const pin = pinOf(pkg);
  if (typeof pin === 'string') throw new DeploymentFailure('artifact-mismatch', `${pin}; artifact s3://${loc.bucket}/${loc.key}`);
  try {
    await verifyPin(ctx.clients.s3, loc, pin);
  } catch (err) {
    if (err instanceof DeploymentFailure) throw err;
    const name = (err as { name?: unknown } | null)?.name;
    if (name === 'NotFound' || name === 'NoSuchKey' || name === 'NoSuchVersion' || httpStatusOf(err) === 404) throw new DeploymentFailure('artifact-mismatch', `pinned artifact s3://${loc.bucket}/${loc.key} version ${pin.versionId} does not exist: ${messageOf(err)}`);
    throw err;
  }
  const uri = await copyApproved(ctx.clients.s3, loc, pin, ev.modelPackageGroupName, ev.modelPackageVersion);
  logger.info('artifact matches its pin; approved copy written', { messageId: ctx.messageId, modelPackageArn: ev.modelPackageArn, approvedCopy: uri, sha256: pin.sha256 });
  return uri;
}

async function describeModelPackage(ctx: Ctx, ev: ApprovalEvent): Promise<ModelPackage> {
  try {
    return await ctx.clients.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: ev.modelPackageArn }));
  } catch (err) {
    const cls = classifyError(err);
    if (cls === 'not-found' || cls === 'rejected') {
      throw new DeploymentFailure('package-not-found', `model package ${ev.modelPackageArn} does not exist: ${messageOf(err)}`);
    }
    throw err;
  }
}

/** DescribeEndpointConfig, or undefined when it does not exist. */
async function findEndpointConfig(ctx: Ctx, name: string): Promise<CurrentEndpointConfig | undefined> {
  try {
    return await ctx.clients.sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: name }));
  } catch (err) {
    if (classifyError(err) === 'not-found') return undefined;
    throw err;
  }
}

async function deployTarget(ctx: Ctx, ev: ApprovalEvent, target: Deployment, source: ModelSource): Promise<TargetOutcome> {
  if (target.inferenceComponentName) {
    return deployToInferenceComponent(ctx, ev, { ...target, inferenceComponentName: target.inferenceComponentName }, source);
  }
  const { config } = ctx;
  const modelName = modelNameFor(target.endpointName, target.variantName, ev.modelPackageVersion);
  const log = { messageId: ctx.messageId, endpointName: target.endpointName, variantName: target.variantName, modelName };

  const endpoint = await describeEndpoint(ctx, target.endpointName);
  const status = endpoint.EndpointStatus ?? 'unknown';
  const currentName = endpoint.EndpointConfigName;
  if (!currentName) throw new RetryableError(`endpoint ${target.endpointName} (${status}) has no endpoint config yet`);
  const current = await findEndpointConfig(ctx, currentName);
  if (!current) {
    throw new DeploymentFailure('endpoint-not-updatable', `endpoint ${target.endpointName} runs endpoint config ${currentName}, which was deleted: its settings cannot be copied`);
  }
  const variant = findVariant(current, target.variantName);

  // Same approval delivered twice (or already deployed): nothing to do.
  if (variant.ModelName === modelName) {
    logger.info('already deployed: variant already runs this model version', { ...log, endpointConfigName: currentName, status });
    return 'already-deployed';
  }
  if (BUSY_ENDPOINT_STATUSES.has(status)) {
    throw new RetryableError(`endpoint ${target.endpointName} is ${status}; the deployment will be retried`);
  }
  if (status !== 'InService') {
    throw new DeploymentFailure('endpoint-not-updatable', `endpoint ${target.endpointName} is ${status}${endpoint.FailureReason ? ` (${endpoint.FailureReason})` : ''}`);
  }

  const configName = endpointConfigNameFor(target.endpointName, ev.modelPackageVersion, currentName, target.variantName, modelName);
  const previous = await findEndpointConfig(ctx, configName);
  if (previous) {
    if (findVariant(previous, target.variantName).ModelName !== modelName) {
      throw new DeploymentFailure('name-collision', `endpoint config ${configName} exists but does not run ${modelName} on ${target.variantName}`);
    }
    const tags = await listTags(ctx, previous.EndpointConfigArn, 'the rollback guard');
    if (tags?.some((t) => t.Key === SUBMITTED_TAG_KEY)) {
      // UpdateEndpoint to this very config was accepted before, yet the endpoint
      // is back on the config it started from: the canary was rolled back (alarm)
      // or the update failed. Redeploying it because an approval was replayed
      // would repeat a failed rollout: a human decides.
      throw new DeploymentFailure(
        'previously-rolled-back',
        `${modelName} was already rolled out to ${target.endpointName} with endpoint config ${configName} and the endpoint is back on ${currentName} (rolled back or failed). ` +
          `Not redeploying automatically; delete endpoint config ${configName} to allow a new attempt.`,
      );
    }
    logger.info('reusing endpoint config of a previous attempt', { ...log, endpointConfigName: configName });
  }

  await ensureModel(ctx, ev, modelName, source);

  let configArn = previous?.EndpointConfigArn;
  if (!previous) {
    const input = buildEndpointConfigInput(current, {
      endpointConfigName: configName,
      variantName: target.variantName,
      modelName,
      tags: copyableTags(await listTags(ctx, current.EndpointConfigArn, 'copying the tags of the current endpoint config')),
      defaultKmsKeyArn: config.modelsKmsKeyArn,
    });
    if (!current.KmsKeyId && !input.KmsKeyId) {
      logger.warn('no KmsKeyId set: an instance type has local NVMe storage (hardware-encrypted)', { ...log, endpointConfigName: configName });
    }
    try {
      configArn = (await ctx.clients.sagemaker.send(new CreateEndpointConfigCommand(input))).EndpointConfigArn;
    } catch (err) {
      const cls = classifyError(err);
      if (cls === 'already-exists') {
        // Created concurrently by another delivery of the same approval: same deterministic content.
        configArn = (await findEndpointConfig(ctx, configName))?.EndpointConfigArn;
      } else if (cls === 'not-found') {
        throw new RetryableError(`CreateEndpointConfig ${configName}: ${messageOf(err)}`, err);
      } else if (cls === 'rejected') {
        throw new DeploymentFailure('sagemaker-rejected', `CreateEndpointConfig ${configName} was rejected: ${messageOf(err)}`);
      } else {
        throw err;
      }
    }
  }

  try {
    await ctx.clients.sagemaker.send(
      new UpdateEndpointCommand({
        EndpointName: target.endpointName,
        EndpointConfigName: configName,
        // RetainAllVariantProperties is deliberately not set: the new config's variant properties apply.
        DeploymentConfig: {
          BlueGreenUpdatePolicy: {
            TrafficRoutingConfiguration: {
              Type: 'CANARY',
              CanarySize: { Type: 'CAPACITY_PERCENT', Value: config.canaryPercent },
              WaitIntervalInSeconds: config.canaryWaitSeconds,
            },
            TerminationWaitInSeconds: config.terminationWaitSeconds,
            MaximumExecutionTimeoutInSeconds: config.maxExecutionTimeoutSeconds,
          },
          AutoRollbackConfiguration: { Alarms: target.rollbackAlarmNames.map((AlarmName) => ({ AlarmName })) },
        },
      }),
    );
  } catch (err) {
    const cls = classifyError(err);
    if (cls === 'conflict') throw new RetryableError(`endpoint ${target.endpointName} is being updated: ${messageOf(err)}`, err);
    if (cls === 'not-found') throw new DeploymentFailure('endpoint-not-found', `UpdateEndpoint ${target.endpointName}: ${messageOf(err)}`);
    if (cls === 'rejected') throw new DeploymentFailure('sagemaker-rejected', `UpdateEndpoint ${target.endpointName} was rejected: ${messageOf(err)}`);
    throw err;
  }

  // From here on the deployment is in flight: nothing below may make the
  // message fail (a retry would find the endpoint Updating, then a no-op).
  await markSubmitted(ctx, configArn, 'endpoint config', log);
  const detail: EndpointStartedDetail = {
    env: config.env,
    modelPackageArn: ev.modelPackageArn,
    group: ev.modelPackageGroupName,
    version: ev.modelPackageVersion,
    endpointName: target.endpointName,
    variantName: target.variantName,
    modelName,
    endpointConfigName: configName,
    previousEndpointConfigName: currentName,
    canaryPercent: config.canaryPercent,
  };
  await recordStarted(ctx, ev, detail);
  return 'deployment-started';
}
