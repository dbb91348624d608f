/**
 * SageMaker and bus calls shared by both rollouts (blue/green on the endpoint, rolling update of
 * an inference component): each one maps the answers that matter onto the error taxonomy of
 * errors.ts.
 */

import { AddTagsCommand, CreateModelCommand, DescribeEndpointCommand, DescribeModelCommand, ListTagsCommand } from '@aws-sdk/client-sagemaker';
import type { ContainerDefinition, DescribeEndpointCommandOutput, Tag } from '@aws-sdk/client-sagemaker';
import type { DeployClients } from './clients';
import type { DeployConfig } from './config';
import { SUBMITTED_TAG_KEY } from './endpoint-config';
import { DeploymentFailure, classifyError, describeError, messageOf } from './errors';
import type { ApprovalEvent } from './event';
import type { ModelPackage } from './package-validation';
import { logger } from './log';
import { STARTED_DETAIL_TYPE, notifyAlarmTopic, putEvent } from './notify';
import type { StartedDetail } from './notify';

/** Endpoint (and inference component) states in which an update is, or will soon be, possible: retry later. */
export const BUSY_ENDPOINT_STATUSES: ReadonlySet<string> = new Set(['Creating', 'Updating', 'SystemUpdating', 'RollingBack']);

export type TargetOutcome = 'deployment-started' | 'already-deployed' | 'failed';

/** What every step needs: the configuration, the clients, and the SQS message being processed. */
export interface Ctx {
  config: DeployConfig;
  clients: DeployClients;
  messageId: string;
}

export async function describeEndpoint(ctx: Ctx, endpointName: string): Promise<DescribeEndpointCommandOutput> {
  try {
    return await ctx.clients.sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpointName }));
  } catch (err) {
    if (classifyError(err) === 'not-found') {
      throw new DeploymentFailure('endpoint-not-found', `endpoint ${endpointName} does not exist: ${messageOf(err)}`);
    }
    throw err;
  }
}

/**
 * ListTags (all pages). When the function is not allowed to list tags
 * (sagemaker:ListTags missing from its policy) this degrades instead of
 * blocking every deployment: it logs an error and returns undefined, and the
 * callers go on without copied tags / without the rollback guard.
 */
export async function listTags(ctx: Ctx, arn: string | undefined, purpose: string): Promise<Tag[] | undefined> {
  if (!arn) return [];
  const tags: Tag[] = [];
  let nextToken: string | undefined;
  try {
    do {
      const page = await ctx.clients.sagemaker.send(new ListTagsCommand({ ResourceArn: arn, NextToken: nextToken }));
      tags.push(...(page.Tags ?? []));
      nextToken = page.NextToken || undefined;
    } while (nextToken);
  } catch (err) {
    const name = (err as { name?: unknown } | null)?.name;
    if (name !== 'AccessDeniedException' && name !== 'AccessDenied') throw err;
    logger.error(`sagemaker:ListTags denied: continuing without ${purpose}`, { messageId: ctx.messageId, resourceArn: arn, ...describeError(err) });
    return undefined;
  }
  return tags;
}

/**
 * Tags what a rollout was submitted with (an endpoint config, or a model), for the rollback guard.
 * The rollout is already in flight, so a failure never fails the message; but without the tag a
 * replayed approval after a rollback would deploy the same version again, so the alarm topic is told.
 */
export async function markSubmitted(ctx: Ctx, arn: string | undefined, what: string, log: Record<string, unknown>): Promise<void> {
  let error: string;
  if (!arn) {
    logger.warn(`${what} ARN unknown: rollback guard tag not set`, log);
    error = `the ${what} ARN is unknown`;
  } else {
    try {
      await ctx.clients.sagemaker.send(new AddTagsCommand({ ResourceArn: arn, Tags: [{ Key: SUBMITTED_TAG_KEY, Value: 'true' }] }));
      return;
    } catch (err) {
      logger.error(`could not tag the ${what} as submitted`, { ...log, ...describeError(err) });
      error = messageOf(err);
    }
  }
  await notifyAlarmTopic(ctx.clients, ctx.config, `[plinth ${ctx.config.env}] Rollback guard not set: ${String(log.endpointName ?? '')}`, {
    problem: 'rollback guard not set: a replayed approval after a rollback of this rollout would deploy it again',
    error,
    resource: arn ?? null,
    tagToAdd: `${SUBMITTED_TAG_KEY}=true`,
    ...log,
  }).catch((e: unknown) => logger.error('alarm topic notification failed', describeError(e)));
}

/**
 * What a model is built from: the package's validated containers, with the model data replaced by
 * the approved copy of the pinned artifact (artifact-pin.ts).
 */
export interface ModelSource {
  containers: ContainerDefinition[];
}

/** The package's containers, their model data pointed at the approved copy. */
export function modelSourceOf(pkg: ModelPackage, approvedModelDataUrl: string | undefined): ModelSource {
  const containers = (pkg.InferenceSpecification?.Containers ?? []).map((c): ContainerDefinition => ({
    Image: c.Image,
    ...(c.ModelDataUrl ? { ModelDataUrl: approvedModelDataUrl ?? c.ModelDataUrl } : {}),
    ...(c.Environment && Object.keys(c.Environment).length > 0 ? { Environment: c.Environment } : {}),
  }));
  return { containers };
}

function sameContainers(a: readonly ContainerDefinition[], b: readonly ContainerDefinition[]): boolean {
  return a.length === b.length && a.every((c, i) => c.Image === b[i].Image && (c.ModelDataUrl ?? '') === (b[i].ModelDataUrl ?? ''));
}

/**
 * CreateModel from the approved copy, or verify that the existing model of that name is ours.
 *
 * @returns the model's ARN (undefined only if SageMaker did not say)
 */
export async function ensureModel(ctx: Ctx, ev: ApprovalEvent, modelName: string, source: ModelSource): Promise<string | undefined> {
  const { config } = ctx;
  const single = source.containers.length === 1;
  try {
    const created = await ctx.clients.sagemaker.send(
      new CreateModelCommand({
        ModelName: modelName,
        ExecutionRoleArn: config.modelExecutionRoleArn,
        // Never the package ARN: SageMaker would then read the artifact's newest S3 version, which
        // the registrant can overwrite. The containers are the package's (validated) ones, the
        // model data the approved copy.
        ...(single ? { PrimaryContainer: source.containers[0] } : { Containers: source.containers }),
        EnableNetworkIsolation: true,
        VpcConfig: { Subnets: config.subnetIds, SecurityGroupIds: config.securityGroupIds },
        Tags: [{ Key: 'plinth:model-package', Value: ev.modelPackageArn }],
      }),
    );
    logger.info('model created', { messageId: ctx.messageId, modelName });
    return created.ModelArn;
  } catch (err) {
    const cls = classifyError(err);
    if (cls === 'rejected') throw new DeploymentFailure('sagemaker-rejected', `CreateModel ${modelName} was rejected: ${messageOf(err)}`);
    if (cls !== 'already-exists') throw err;
    const existing = await ctx.clients.sagemaker.send(new DescribeModelCommand({ ModelName: modelName }));
    const containers = existing.PrimaryContainer ? [existing.PrimaryContainer] : (existing.Containers ?? []);
    if (!sameContainers(containers, source.containers) || existing.EnableNetworkIsolation !== true) {
      throw new DeploymentFailure(
        'name-collision',
        `model ${modelName} already exists but was not created by this deployer from the approved copy of ${ev.modelPackageArn} ` +
          `(model data ${containers.map((c) => c.ModelDataUrl ?? 'none').join(', ')}, network isolation ${String(existing.EnableNetworkIsolation)})`,
      );
    }
    logger.info('model already exists (previous attempt)', { messageId: ctx.messageId, modelName });
    return existing.ModelArn;
  }
}

/**
 * Records the promotion decision on the bus. The rollout is already in flight, so a failure here
 * never fails the message: it is logged and sent to the alarm topic instead.
 */
export async function recordStarted(ctx: Ctx, ev: ApprovalEvent, detail: StartedDetail): Promise<void> {
  logger.info('deployment started', { ...detail, messageId: ctx.messageId });
  try {
    await putEvent(ctx.clients, ctx.config, STARTED_DETAIL_TYPE, detail, [ev.modelPackageArn]);
  } catch (err) {
    // The decision is in effect and is in this log line; make the gap visible.
    logger.error('deployment started but the Model Deployment Started event could not be recorded', { ...detail, ...describeError(err) });
    await notifyAlarmTopic(ctx.clients, ctx.config, `[plinth ${ctx.config.env}] Model deployment started but not recorded: ${detail.endpointName}`, {
      problem: 'Model Deployment Started event could not be put on the event bus',
      error: messageOf(err),
      ...detail,
    }).catch((e: unknown) => logger.error('alarm topic notification failed', describeError(e)));
  }
}
