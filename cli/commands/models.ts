import {
  CreateModelPackageCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  DescribeModelPackageCommand,
  ListEndpointConfigsCommand,
  ListModelPackagesCommand,
  UpdateEndpointCommand,
  UpdateModelPackageCommand,
  type ModelPackageSummary,
  type SageMakerClient,
} from '@aws-sdk/client-sagemaker';
import { ENVIRONMENT_NAMES, type EnvironmentConfig } from '../../config';
import { copyArtifact, parseS3Uri } from '../aws/artifact-copy';
import { listStackResources } from '../aws/cloudformation';
import { type EnvironmentSession, openEnvironmentSession } from '../aws/environment-session';
import { type ParsedArgs, optionValue } from '../args';
import { approverRoleName, callerIdentity, roleNameOf } from '../aws/identity';
import type { Command } from '../command';
import { type CommandContext, environmentConfig } from '../context';
import { CliError, EXIT, UsageError } from '../errors';
import { formatTable } from '../table';
import { compare } from './models-compare';

const USAGE = 'plinth models list|approve|reject|promote|rollback|compare [options]';
const SUBCOMMANDS = `subcommands:
  list      [--env dev] [--group NAME]               model package versions and their approval
  approve   GROUP/VERSION|ARN [--env dev] [--note T]  approve a version (needs the approver role)
  reject    GROUP/VERSION|ARN [--env dev] [--note T]  reject a version
  promote   GROUP/VERSION --from dev --to staging [--from-role ARN|--from-profile P] [--to-role ARN|--to-profile P]
                                                     copy an approved version and its artifacts to the next environment's account, pending approval there
  rollback  --env dev --endpoint NAME [--to CONFIG]   return an endpoint to its previous endpoint config and wait
  compare   --env dev --endpoint NAME [--window 7d]   quality per variant from the latest evidence, and the A/B verdict`;

/** Seconds between DescribeEndpoint polls while a rollback runs. */
export const ROLLBACK_POLL_SECONDS = 15;

export const modelsCommand: Command = {
  name: 'models',
  summary: 'list, approve, reject, promote, roll back and compare model versions',
  usage: USAGE,
  options: [
    { name: 'env', description: 'environment (config/<env>.ts); default dev' },
    { name: 'group', description: 'list: only this model package group' },
    { name: 'note', description: 'approve/reject: the approval description recorded on the version' },
    { name: 'from', description: 'promote: source environment' },
    { name: 'to', description: 'promote: target environment; rollback: endpoint config to return to (default: the previous one)' },
    { name: 'from-role', description: 'promote: role in the source environment\'s account to assume for reading (see docs/model-promotion.md)' },
    { name: 'from-profile', description: 'promote: AWS profile whose credentials are in the source environment\'s account' },
    { name: 'to-role', description: 'promote: role in the target environment\'s account to assume for registering' },
    { name: 'to-profile', description: 'promote: AWS profile whose credentials are in the target environment\'s account' },
    { name: 'endpoint', description: 'rollback, compare: endpoint name' },
    { name: 'window', description: 'compare: how old the latest evidence may be, e.g. 7d, 36h (default 7d)' },
    { name: 'bucket', description: 'compare: the capture bucket (default: found in the <env>-Models stack)' },
    { name: 'timeout-minutes', description: 'rollback: how long to wait for InService (default 60)' },
  ],
  async run(args, context) {
    const [sub, ...rest] = args.positionals;
    switch (sub) {
      case 'list':
        return list(args, context);
      case 'approve':
      case 'reject':
        return decide(sub, rest, args, context);
      case 'promote':
        return promote(rest, args, context);
      case 'rollback':
        return rollback(args, context);
      case 'compare':
        return compare(args, context);
      default:
        throw new UsageError(sub === undefined ? 'missing subcommand' : `unknown subcommand "models ${sub}"`, `${USAGE}\n\n${SUBCOMMANDS}`);
    }
  },
};

async function list(args: ParsedArgs, context: CommandContext): Promise<number> {
  const config = environmentConfig(optionValue(args, 'env', 'dev')!);
  const groups = optionValue(args, 'group') ? [optionValue(args, 'group')!] : config.modelRegistry.models.map((m) => m.name);
  const { sagemaker } = context.clients(config.region);
  const rows: ModelPackageSummary[] = [];
  for (const group of groups) {
    let token: string | undefined;
    do {
      const page = await sagemaker.send(new ListModelPackagesCommand({ ModelPackageGroupName: group, NextToken: token, SortBy: 'CreationTime', SortOrder: 'Descending' }));
      rows.push(...(page.ModelPackageSummaryList ?? []));
      token = page.NextToken;
    } while (token);
  }
  const versions = rows.map((r) => ({
    group: r.ModelPackageGroupName ?? '',
    version: r.ModelPackageVersion ?? 0,
    approval: r.ModelApprovalStatus ?? '',
    status: r.ModelPackageStatus ?? '',
    created: r.CreationTime?.toISOString() ?? '',
    arn: r.ModelPackageArn ?? '',
  }));
  if (context.json) context.out(JSON.stringify({ ok: true, environment: config.name, versions }));
  else if (versions.length === 0) context.out(`no model versions in ${groups.join(', ')} (${config.name})`);
  else context.out(formatTable(['group', 'version', 'approval', 'status', 'created'], versions.map((v) => [v.group, String(v.version), v.approval, v.status, v.created])));
  return EXIT.ok;
}

async function decide(action: 'approve' | 'reject', rest: readonly string[], args: ParsedArgs, context: CommandContext): Promise<number> {
  const reference = single(rest, `plinth models ${action} GROUP/VERSION|ARN [--env dev] [--note TEXT]`);
  const config = environmentConfig(optionValue(args, 'env', 'dev')!);
  const { sagemaker } = context.clients(config.region);
  if (action === 'approve') await requireApproverRole(context, config.name, config.region);
  const arn = await resolvePackage(context, config.region, reference, config.name);
  const status = action === 'approve' ? 'Approved' : 'Rejected';
  await sagemaker.send(
    new UpdateModelPackageCommand({ ModelPackageArn: arn, ModelApprovalStatus: status, ApprovalDescription: optionValue(args, 'note') }),
  );
  if (context.json) context.out(JSON.stringify({ ok: true, modelPackageArn: arn, approval: status }));
  else context.out(`${arn}: ${status}${action === 'approve' ? ' (deploy-model rolls it onto its endpoint through the canary)' : ''}`);
  return EXIT.ok;
}

/**
 * Approval is the approver role's job (docs/model-promotion.md). The CLI asks STS who is calling and
 * compares the role in that ARN with the approver role the environment's Models stack created.
 */
async function requireApproverRole(context: CommandContext, environment: string, region: string): Promise<void> {
  const call = await context.callContext(region);
  const [caller, approver] = await Promise.all([
    callerIdentity(call),
    approverRoleName(call, environment).catch((error: unknown) => {
      // No Models stack: the environment is not deployed in this account (or region).
      if (error instanceof Error && /does not exist/.test(error.message)) return undefined;
      throw error;
    }),
  ]);
  if (!approver) {
    throw new CliError(
      `${environment} is not deployed here: no stack ${environment}-Models, so no approver role (account ${caller.account}, region ${region})`,
      `deploy ${environment} first (npx cdk deploy -c env=${environment} '${environment}/*'), or point AWS_PROFILE/AWS_REGION at its account`,
    );
  }
  if (roleNameOf(caller.arn) !== approver) {
    throw new CliError(
      `refused: approving needs the approver role ${approver}, and you are ${caller.arn}`,
      `assume the approver role (e.g. a profile with role_arn = arn:aws:iam::${caller.account}:role/${approver}) and retry`,
    );
  }
}

/** Metadata that records what happened to the version in its source environment, not what the model is. */
const SOURCE_ONLY_METADATA = new Set(['plinth:drift-baseline']);
export const PROMOTED_FROM = 'plinth:promoted-from';
export const ARTIFACT_SHA256 = 'plinth:artifact-sha256';
export const ARTIFACT_VERSION_ID = 'plinth:artifact-version-id';
const TRAINING_SAMPLE = 'plinth:training-sample';

/** The registries `config` lets deploy-model pull from (its own ECR unless allowedImageRegistries says otherwise). */
function allowedRegistries(config: EnvironmentConfig, account: string): { registries: string[]; own: string } {
  const own = `${account}.dkr.ecr.${config.region}.amazonaws.com`;
  const listed = config.modelRegistry.allowedImageRegistries;
  return { registries: listed.length > 0 ? [...listed] : [own], own };
}

/**
 * Where a promoted image may be pulled from in the target: kept when its registry is in the target's
 * allowed registries; rewritten to the target's own ECR only when that is the one allowed registry
 * (the image must be replicated there); refused otherwise.
 */
export function imageForTarget(image: string, targetName: string, target: { registries: readonly string[]; own: string }): { image: string; note?: string } {
  const registry = image.split('/')[0]!;
  if (target.registries.includes(registry)) {
    return registry === target.own ? { image } : { image, note: `image kept: ${registry} is in ${targetName}'s allowedImageRegistries` };
  }
  if (target.registries.length === 1 && target.registries[0] === target.own) {
    const rewritten = `${target.own}${image.slice(registry.length)}`;
    return { image: rewritten, note: `image rewritten to ${targetName}'s own ECR (its only allowed registry): ${rewritten}; replicate ${image.slice(registry.length + 1)} there before approving` };
  }
  throw new CliError(
    `image ${image} is from ${registry}, which ${targetName} does not allow (allowedImageRegistries: ${target.registries.join(', ')})`,
    `replicate the image into one of those registries, or add ${registry} to ${targetName}'s modelRegistry.allowedImageRegistries`,
  );
}

/**
 * Copies an approved version from one environment's registry into the next one's, pending approval
 * there: read in the source account, artifacts copied into the target's artifact bucket and checked
 * by SHA-256, metadata kept, the image kept or rewritten as the target's allowedImageRegistries say.
 */
async function promote(rest: readonly string[], args: ParsedArgs, context: CommandContext): Promise<number> {
  const usage = 'plinth models promote GROUP/VERSION|ARN --from dev --to staging [--from-role ARN|--from-profile NAME] [--to-role ARN|--to-profile NAME]';
  const reference = single(rest, usage);
  const fromName = optionValue(args, 'from');
  const toName = optionValue(args, 'to');
  if (!fromName || !toName) throw new UsageError('promote needs --from and --to', usage);
  const order: readonly string[] = ENVIRONMENT_NAMES;
  if (order.indexOf(toName) !== order.indexOf(fromName) + 1) {
    throw new UsageError(`promotion runs ${order.join(' → ')}: ${toName} does not follow ${fromName}`);
  }
  const from = environmentConfig(fromName);
  const to = environmentConfig(toName);
  const base = await context.callContext(from.region);
  const source = await openEnvironmentSession(from, { profile: optionValue(args, 'from-profile'), roleArn: optionValue(args, 'from-role') }, base, 'from');
  const target = await openEnvironmentSession(to, { profile: optionValue(args, 'to-profile'), roleArn: optionValue(args, 'to-role') }, base, 'to');

  const arn = await resolvePackageWith(source.sagemaker, reference, from.name);
  const described = await source.sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
  if (described.ModelApprovalStatus !== 'Approved') {
    throw new CliError(`${arn} is ${described.ModelApprovalStatus ?? 'not approved'} in ${from.name}`, `approve it in ${from.name} first: plinth models approve ${reference} --env ${from.name}`);
  }
  const group = described.ModelPackageGroupName!;
  const version = described.ModelPackageVersion ?? 0;
  const bucket = await artifactBucketOf(target);
  const metadata = described.CustomerMetadataProperties ?? {};
  const notes: string[] = [];

  // Images: kept where the target allows their registry; rewritten only where it allows just its own ECR.
  const targetRegistries = allowedRegistries(to, target.account);
  const containers = [];
  // The pin (contract with deploy-model) covers the primary artifact: the first container's model data.
  let pinChecked = false;
  for (const container of described.InferenceSpecification?.Containers ?? []) {
    const placed = imageForTarget(container.Image ?? '', to.name, targetRegistries);
    if (placed.note) notes.push(placed.note);
    const newImage = placed.image;
    // Model data: copied into the target's artifact bucket, which its model role can read.
    let modelDataUrl = container.ModelDataUrl;
    let pinned: { sha256: string; versionId?: string } | undefined;
    if (modelDataUrl) {
      const copied = await copyArtifact(source.s3, modelDataUrl, target.s3, bucket, promotedKey(from.name, group, version, modelDataUrl), pinChecked ? undefined : metadata[ARTIFACT_SHA256]);
      context.progress(`copied ${modelDataUrl} → ${copied.uri} (${copied.bytes} bytes, SHA-256 ${copied.sha256} verified)`);
      modelDataUrl = copied.uri;
      if (!pinChecked) pinned = { sha256: copied.sha256, versionId: copied.versionId };
      pinChecked = true;
    }
    containers.push({ ...container, Image: newImage, ModelDataUrl: modelDataUrl, pinned });
  }
  // Every plinth:* key is kept, pointing at the target's copies; keys recording the source's own jobs are not.
  const properties: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata)) if (!SOURCE_ONLY_METADATA.has(key)) properties[key] = value;
  const sample = metadata[TRAINING_SAMPLE];
  if (sample && parseS3Uri(sample)) {
    const copied = await copyArtifact(source.s3, sample, target.s3, bucket, promotedKey(from.name, group, version, sample));
    context.progress(`copied ${sample} → ${copied.uri} (training sample, SHA-256 ${copied.sha256} verified)`);
    properties[TRAINING_SAMPLE] = copied.uri;
  }
  const pin = containers.find((c) => c.pinned)?.pinned;
  if (pin) {
    properties[ARTIFACT_SHA256] = pin.sha256;
    if (pin.versionId) properties[ARTIFACT_VERSION_ID] = pin.versionId;
    else delete properties[ARTIFACT_VERSION_ID];
  }
  properties[PROMOTED_FROM] = arn;

  const created = await target.sagemaker.send(
    new CreateModelPackageCommand({
      ModelPackageGroupName: group,
      ModelApprovalStatus: 'PendingManualApproval',
      InferenceSpecification: described.InferenceSpecification
        ? { ...described.InferenceSpecification, Containers: containers.map(({ pinned: _pinned, ...c }) => c) }
        : undefined,
      ModelPackageDescription: `promoted from ${from.name}: ${arn}`,
      CustomerMetadataProperties: properties,
    }),
  );
  if (context.json) {
    context.out(JSON.stringify({ ok: true, from: arn, to: created.ModelPackageArn, approval: 'PendingManualApproval', metadata: properties, notes }));
  } else {
    for (const note of notes) context.out(`note: ${note}`);
    context.out(`${arn} → ${created.ModelPackageArn} (PendingManualApproval in ${to.name}; approve it there with the approver role)`);
  }
  return EXIT.ok;
}

/** Where a promoted artifact goes in the target bucket: by source environment, group, version and source key. */
function promotedKey(fromName: string, group: string, version: number, uri: string): string {
  return `promoted/${fromName}/${group}/v${version}/${parseS3Uri(uri)?.key ?? 'artifact'}`;
}

/** The artifact bucket of the environment's Models stack (the ModelRegistry's `Artifacts`). */
async function artifactBucketOf(session: EnvironmentSession): Promise<string> {
  const stack = `${session.environment}-Models`;
  let resources;
  try {
    resources = await listStackResources(session.call, stack);
  } catch (error) {
    if (error instanceof Error && /does not exist/.test(error.message)) {
      throw new CliError(`stack ${stack} does not exist in account ${session.account}`, `deploy ${session.environment} first: npx cdk deploy -c env=${session.environment} '${session.environment}/*'`);
    }
    throw error;
  }
  const bucket = resources.find((r) => r.type === 'AWS::S3::Bucket' && /^RegistryArtifacts/.test(r.logicalId));
  if (!bucket) throw new CliError(`stack ${stack} has no model artifact bucket`, `deploy ${session.environment} with this version of Plinth first`);
  return bucket.physicalId;
}

async function rollback(args: ParsedArgs, context: CommandContext): Promise<number> {
  const endpoint = optionValue(args, 'endpoint');
  if (!endpoint) throw new UsageError('rollback needs --endpoint NAME', 'plinth models rollback --env dev --endpoint NAME [--to CONFIG]');
  const timeoutMinutes = Number(optionValue(args, 'timeout-minutes', '60'));
  if (!Number.isFinite(timeoutMinutes) || timeoutMinutes <= 0) throw new UsageError('--timeout-minutes must be a positive number');
  const config = environmentConfig(optionValue(args, 'env', 'dev')!);
  const { sagemaker } = context.clients(config.region);
  const current = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpoint })).catch((error: unknown) => {
    if (error instanceof Error && /Could not find endpoint|does not exist/i.test(error.message)) {
      throw new CliError(
        `endpoint ${endpoint} does not exist in ${config.name} (region ${config.region})`,
        `deploy ${config.name} first (npx cdk deploy -c env=${config.name} '${config.name}/*'); its endpoints are listed by plinth status --env ${config.name}`,
      );
    }
    throw error;
  });
  if (current.EndpointStatus !== 'InService') {
    throw new CliError(`endpoint ${endpoint} is ${current.EndpointStatus}, not InService`, 'wait for the running deployment to finish (plinth status), then retry');
  }
  const currentConfig = current.EndpointConfigName!;
  const target = optionValue(args, 'to') ?? (await previousEndpointConfig(context, config.region, endpoint, currentConfig));
  if (target === currentConfig) throw new CliError(`endpoint ${endpoint} already runs ${target}`, 'nothing to roll back; pass --to CONFIG for another config');
  context.progress(`rolling ${endpoint} back: ${currentConfig} → ${target}`);
  await sagemaker.send(new UpdateEndpointCommand({ EndpointName: endpoint, EndpointConfigName: target }));
  const started = Date.now();
  for (;;) {
    await context.sleep(ROLLBACK_POLL_SECONDS * 1000);
    const now = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
    const elapsed = Math.round((Date.now() - started) / 1000);
    context.progress(`  ${endpoint}: ${now.EndpointStatus} (${elapsed} s)`);
    if (now.EndpointStatus === 'InService') {
      if (now.EndpointConfigName !== target) {
        throw new CliError(`${endpoint} is InService on ${now.EndpointConfigName}, not ${target}: SageMaker rolled the update back`, `read FailureReason with: aws sagemaker describe-endpoint --endpoint-name ${endpoint}`);
      }
      break;
    }
    if (now.EndpointStatus === 'Failed') {
      throw new CliError(`${endpoint} failed during the rollback: ${now.FailureReason ?? 'no reason given'}`, 'follow docs/runbooks for endpoint errors');
    }
    if (Date.now() - started > timeoutMinutes * 60_000) {
      throw new CliError(`${endpoint} is still ${now.EndpointStatus} after ${timeoutMinutes} min`, `keep watching with plinth status --env ${config.name}; the update continues in SageMaker`);
    }
  }
  if (context.json) context.out(JSON.stringify({ ok: true, endpoint, from: currentConfig, to: target }));
  else context.out(`${endpoint} is InService on ${target} (was ${currentConfig})`);
  return EXIT.ok;
}

/** The newest endpoint config of `endpoint` created before the current one. */
async function previousEndpointConfig(context: CommandContext, region: string, endpoint: string, currentConfig: string): Promise<string> {
  const { sagemaker } = context.clients(region);
  const current = await sagemaker.send(new DescribeEndpointConfigCommand({ EndpointConfigName: currentConfig }));
  const createdAt = current.CreationTime?.getTime() ?? Number.POSITIVE_INFINITY;
  const listed = await sagemaker.send(new ListEndpointConfigsCommand({ NameContains: endpoint, SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 100 }));
  const previous = (listed.EndpointConfigs ?? []).find(
    (c) => c.EndpointConfigName !== currentConfig && (c.CreationTime?.getTime() ?? 0) < createdAt,
  );
  if (!previous?.EndpointConfigName) {
    throw new CliError(`no endpoint config of ${endpoint} is older than ${currentConfig}`, 'pass --to CONFIG to name the config to return to');
  }
  return previous.EndpointConfigName;
}

/** An ARN as given, or GROUP/VERSION looked up in the registry. */
async function resolvePackage(context: CommandContext, region: string, reference: string, environment?: string): Promise<string> {
  return resolvePackageWith(context.clients(region).sagemaker, reference, environment);
}

/** An ARN as given, or GROUP/VERSION looked up in the registry `sagemaker` is signed for. */
async function resolvePackageWith(sagemaker: SageMakerClient, reference: string, environment?: string): Promise<string> {
  if (reference.startsWith('arn:')) return reference;
  const match = /^([a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62})\/(\d+)$/.exec(reference);
  if (!match) throw new UsageError(`"${reference}" is neither a model package ARN nor GROUP/VERSION (e.g. fraud-detector/3)`);
  const [, group, version] = match;
  let token: string | undefined;
  do {
    const page = await sagemaker.send(new ListModelPackagesCommand({ ModelPackageGroupName: group, NextToken: token }));
    const found = page.ModelPackageSummaryList?.find((p) => p.ModelPackageVersion === Number(version));
    if (found?.ModelPackageArn) return found.ModelPackageArn;
    token = page.NextToken;
  } while (token);
  throw new CliError(`model package ${group}/${version} does not exist${environment ? ` in ${environment}` : ''}`, `list the versions with: plinth models list --group ${group}${environment ? ` --env ${environment}` : ''}`);
}

function single(rest: readonly string[], usage: string): string {
  if (rest.length !== 1) throw new UsageError(rest.length === 0 ? 'missing GROUP/VERSION or ARN' : `unexpected arguments: ${rest.slice(1).join(' ')}`, usage);
  return rest[0]!;
}
