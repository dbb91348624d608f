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
} from '@aws-sdk/client-sagemaker';
import { ENVIRONMENT_NAMES } from '../../config';
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
  promote   GROUP/VERSION --from dev --to staging     copy an approved version to the next environment, pending approval there
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
  const arn = await resolvePackage(context, config.region, reference);
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
  const [caller, approver] = await Promise.all([callerIdentity(call), approverRoleName(call, environment)]);
  if (!approver) {
    throw new CliError(`cannot find the approver role of ${environment} (stack ${environment}-Models)`, `deploy ${environment} first, or check AWS_REGION/AWS_PROFILE point at its account`);
  }
  if (roleNameOf(caller.arn) !== approver) {
    throw new CliError(
      `refused: approving needs the approver role ${approver}, and you are ${caller.arn}`,
      `assume the approver role (e.g. a profile with role_arn = arn:aws:iam::${caller.account}:role/${approver}) and retry`,
    );
  }
}

async function promote(rest: readonly string[], args: ParsedArgs, context: CommandContext): Promise<number> {
  const reference = single(rest, 'plinth models promote GROUP/VERSION --from dev --to staging');
  const fromName = optionValue(args, 'from');
  const toName = optionValue(args, 'to');
  if (!fromName || !toName) throw new UsageError('promote needs --from and --to', 'plinth models promote GROUP/VERSION --from dev --to staging');
  const order: readonly string[] = ENVIRONMENT_NAMES;
  if (order.indexOf(toName) !== order.indexOf(fromName) + 1) {
    throw new UsageError(`promotion runs ${order.join(' → ')}: ${toName} does not follow ${fromName}`);
  }
  const from = environmentConfig(fromName);
  const to = environmentConfig(toName);
  const arn = await resolvePackage(context, from.region, reference);
  const source = await context.clients(from.region).sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
  if (source.ModelApprovalStatus !== 'Approved') {
    throw new CliError(`${arn} is ${source.ModelApprovalStatus ?? 'not approved'} in ${from.name}`, `approve it in ${from.name} first: plinth models approve ${reference} --env ${from.name}`);
  }
  const fromRegistry = `${from.account}.dkr.ecr.${from.region}.amazonaws.com`;
  const toRegistry = `${to.account}.dkr.ecr.${to.region}.amazonaws.com`;
  // Each environment pulls only from its own ECR (deploy-model's allowed registries); images are replicated there.
  const containers = (source.InferenceSpecification?.Containers ?? []).map((c) => ({ ...c, Image: c.Image?.replace(fromRegistry, toRegistry) }));
  const created = await context.clients(to.region).sagemaker.send(
    new CreateModelPackageCommand({
      ModelPackageGroupName: source.ModelPackageGroupName,
      ModelApprovalStatus: 'PendingManualApproval',
      InferenceSpecification: source.InferenceSpecification ? { ...source.InferenceSpecification, Containers: containers } : undefined,
      ModelPackageDescription: `promoted from ${from.name}: ${arn}`,
      CustomerMetadataProperties: { 'plinth:promoted-from': arn },
    }),
  );
  if (context.json) context.out(JSON.stringify({ ok: true, from: arn, to: created.ModelPackageArn, approval: 'PendingManualApproval' }));
  else context.out(`${arn} → ${created.ModelPackageArn} (PendingManualApproval in ${to.name}; approve it there with the approver role)`);
  return EXIT.ok;
}

async function rollback(args: ParsedArgs, context: CommandContext): Promise<number> {
  const endpoint = optionValue(args, 'endpoint');
  if (!endpoint) throw new UsageError('rollback needs --endpoint NAME', 'plinth models rollback --env dev --endpoint NAME [--to CONFIG]');
  const timeoutMinutes = Number(optionValue(args, 'timeout-minutes', '60'));
  if (!Number.isFinite(timeoutMinutes) || timeoutMinutes <= 0) throw new UsageError('--timeout-minutes must be a positive number');
  const config = environmentConfig(optionValue(args, 'env', 'dev')!);
  const { sagemaker } = context.clients(config.region);
  const current = await sagemaker.send(new DescribeEndpointCommand({ EndpointName: endpoint }));
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
async function resolvePackage(context: CommandContext, region: string, reference: string): Promise<string> {
  if (reference.startsWith('arn:')) return reference;
  const match = /^([a-zA-Z0-9](?:-*[a-zA-Z0-9]){0,62})\/(\d+)$/.exec(reference);
  if (!match) throw new UsageError(`"${reference}" is neither a model package ARN nor GROUP/VERSION (e.g. fraud-detector/3)`);
  const [, group, version] = match;
  const { sagemaker } = context.clients(region);
  let token: string | undefined;
  do {
    const page = await sagemaker.send(new ListModelPackagesCommand({ ModelPackageGroupName: group, NextToken: token }));
    const found = page.ModelPackageSummaryList?.find((p) => p.ModelPackageVersion === Number(version));
    if (found?.ModelPackageArn) return found.ModelPackageArn;
    token = page.NextToken;
  } while (token);
  throw new CliError(`model package ${group}/${version} does not exist`, `list the versions with: plinth models list --group ${group}`);
}

function single(rest: readonly string[], usage: string): string {
  if (rest.length !== 1) throw new UsageError(rest.length === 0 ? 'missing GROUP/VERSION or ARN' : `unexpected arguments: ${rest.slice(1).join(' ')}`, usage);
  return rest[0]!;
}
