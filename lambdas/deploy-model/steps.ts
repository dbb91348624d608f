/**
 * SageMaker and bus calls shared by both rollouts (blue/green on the endpoint, rolling update of
 * an inference component): each one maps the answers that matter onto the error taxonomy of
 * errors.ts.
 */

import { AddTagsCommand, CreateModelCommand, DescribeEndpointCommand, DescribeModelCommand, ListTagsCommand } from '@aws-sdk/client-sagemaker';
import type { DescribeEndpointCommandOutput, Tag } from '@aws-sdk/client-sagemaker';
import type { DeployClients } from './clients';
import type { DeployConfig } from './config';
import { SUBMITTED_TAG_KEY } from './endpoint-config';
import { DeploymentFailure, classifyError, describeError, messageOf } from './errors';
import type { ApprovalEvent } from './event';
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

/** Tags what a rollout was submitted with (an endpoint config, or a model), for the rollback guard. */
export async function markSubmitted(ctx: Ctx, arn: string | undefined, what: string, log: Record<string, unknown>): Promise<void> {
  if (!arn) {
    logger.warn(`${what} ARN unknown: rollback guard tag not set`, log);
    return;
  }
  try {
    await ctx.clients.sagemaker.send(new AddTagsCommand({ ResourceArn: arn, Tags: [{ Key: SUBMITTED_TAG_KEY, Value: 'true' }] }));
  } catch (err) {
    // Best effort: only the protection against redeploying a rolled-back version is lost.
    logger.error(`could not tag the ${what} as submitted`, { ...log, ...describeError(err) });
  }
}

/**
 * CreateModel, or verify that the existing model of that name is ours.
 *
 * @returns the model's ARN (undefined only if SageMaker did not say)
 */
export async function ensureModel(ctx: Ctx, ev: ApprovalEvent, modelName: string): Promise<string | undefined> {
  const { config } = ctx;
  try {
    const created = await ctx.clients.sagemaker.send(
      new CreateModelCommand({
        ModelName: modelName,
        ExecutionRoleArn: config.modelExecutionRoleArn,
        // The package ARN makes SageMaker use exactly the (validated) containers of the package.
        PrimaryContainer: { ModelPackageName: ev.modelPackageArn },
        EnableNetworkIsolation: true,
        VpcConfig: { Subnets: config.subnetIds, SecurityGroupIds: config.securityGroupIds },
      }),
    );
    logger.info('model created', { messageId: ctx.messageId, modelName });
    return created.ModelArn;
  } catch (err) {
    const cls = classifyError(err);
    if (cls === 'rejected') throw new DeploymentFailure('sagemaker-rejected', `CreateModel ${modelName} was rejected: ${messageOf(err)}`);
    if (cls !== 'already-exists') throw err;
    const existing = await ctx.clients.sagemaker.send(new DescribeModelCommand({ ModelName: modelName }));
    const source = existing.PrimaryContainer?.ModelPackageName ?? existing.Containers?.[0]?.ModelPackageName;
    if (source?.toLowerCase() !== ev.modelPackageArn.toLowerCase() || existing.EnableNetworkIsolation !== true) {
      throw new DeploymentFailure(
        'name-collision',
        `model ${modelName} already exists but was not created by this deployer from ${ev.modelPackageArn} (source ${source ?? 'none'}, network isolation ${String(existing.EnableNetworkIsolation)})`,
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
