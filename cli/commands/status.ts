import { DescribeEndpointCommand } from '@aws-sdk/client-sagemaker';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { optionValue } from '../args';
import { type StackResourceSummary, listStackResources } from '../aws/cloudformation';
import { alarmsInAlarm, hourlySums } from '../aws/cloudwatch';
import type { AwsCallContext } from '../aws/connection';
import type { Command } from '../command';
import { type CommandContext, environmentConfig } from '../context';
import { EXIT } from '../errors';
import { formatTable } from '../table';

/** Hours of ingestion metrics that `status` summarises. */
export const STATUS_WINDOW_HOURS = 24;

const STACKS = ['Foundation', 'DataLake', 'Models', 'Monitoring'] as const;

export interface EndpointStatus {
  name: string;
  status: string;
  lastDeployment?: string;
  /** maxInstances: the variant's configured scaling.maxCapacity, the cap the cost-spike runbook checks against. */
  variants: Array<{ name: string; currentInstances?: number; desiredInstances?: number; maxInstances?: number; weight?: number }>;
}

export interface PipelineStatus {
  dataset: string;
  lastIngestion?: string;
  recordsCurated: number;
  recordsQuarantined: number;
  /** quarantined / (curated + quarantined) over the window; undefined with no records */
  quarantineRate?: number;
}

export interface EnvironmentStatus {
  environment: string;
  endpoints: EndpointStatus[];
  alarmsInAlarm: string[];
  pipelines: PipelineStatus[];
  ingestionDlqDepth?: number;
  review: Array<{ queue: string; backlog?: number; dlqDepth?: number }>;
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'endpoints, alarms in ALARM, pipelines (last ingestion, quarantine rate, DLQ) and review backlog',
  usage: 'plinth status [--env dev] [--json]',
  options: [{ name: 'env', description: 'environment (config/<env>.ts); default dev' }],
  async run(args, context) {
    const config = environmentConfig(optionValue(args, 'env', 'dev')!);
    context.progress(`reading ${config.name} (${config.region})...`);
    const call = await context.callContext(config.region);
    const resources = await environmentResources(call, config.name);
    const status: EnvironmentStatus = {
      environment: config.name,
      endpoints: await Promise.all(
        config.modelRegistry.models.map((m) =>
          endpointStatus(context, config.region, m.endpointName, Object.fromEntries(m.endpoint.variants.flatMap((v) => (v.scaling ? [[v.name, v.scaling.maxCapacity]] : [])))),
        ),
      ),
      alarmsInAlarm: await environmentAlarms(call, resources),
      pipelines: await Promise.all(config.dataLake.datasets.map((d) => pipelineStatus(call, d.name))),
      ingestionDlqDepth: await depthOf(context, config.region, find(resources, /^DataLakeIngestionDeadLetterQueue/)),
      review: await Promise.all(
        resources
          .filter((r) => r.type === 'AWS::SQS::Queue' && /^Review.*Queue/.test(r.logicalId) && !/DeadLetter/.test(r.logicalId))
          .map(async (queue) => ({
            queue: queue.physicalId,
            backlog: await depthOf(context, config.region, queue),
            dlqDepth: await depthOf(context, config.region, find(resources, new RegExp(`^${queue.logicalId.replace(/Queue.*$/, '')}DeadLetterQueue`))),
          })),
      ),
    };
    context.out(context.json ? JSON.stringify({ ok: true, ...status }) : formatStatus(status));
    return EXIT.ok;
  },
};

async function environmentResources(call: AwsCallContext, environment: string): Promise<StackResourceSummary[]> {
  const all: StackResourceSummary[] = [];
  for (const stack of STACKS) {
    try {
      all.push(...(await listStackResources(call, `${environment}-${stack}`)));
    } catch (error) {
      if (!(error instanceof Error && /does not exist/.test(error.message))) throw error;
    }
  }
  return all;
}

async function endpointStatus(context: CommandContext, region: string, name: string, maxByVariant: Record<string, number>): Promise<EndpointStatus> {
  try {
    const endpoint = await context.clients(region).sagemaker.send(new DescribeEndpointCommand({ EndpointName: name }));
    return {
      name,
      status: endpoint.EndpointStatus ?? 'unknown',
      lastDeployment: endpoint.LastModifiedTime?.toISOString(),
      variants: (endpoint.ProductionVariants ?? []).map((v) => ({
        name: v.VariantName ?? '',
        currentInstances: v.CurrentInstanceCount,
        desiredInstances: v.DesiredInstanceCount,
        maxInstances: maxByVariant[v.VariantName ?? ''],
        weight: v.CurrentWeight,
      })),
    };
  } catch (error) {
    if (error instanceof Error && /Could not find|does not exist|not found/i.test(error.message)) return { name, status: 'not deployed', variants: [] };
    throw error;
  }
}

async function environmentAlarms(call: AwsCallContext, resources: readonly StackResourceSummary[]): Promise<string[]> {
  const ours = new Set(resources.filter((r) => /^AWS::CloudWatch::(Composite)?Alarm$/.test(r.type)).map((r) => r.physicalId));
  return (await alarmsInAlarm(call)).filter((name) => ours.has(name));
}

async function pipelineStatus(call: AwsCallContext, dataset: string): Promise<PipelineStatus> {
  const metric = (name: string) => ({ namespace: 'Plinth/Ingest', name, dimension: { name: 'Dataset', value: dataset } });
  const [received, curated, quarantined] = await Promise.all(
    ['ObjectsReceived', 'RecordsCurated', 'RecordsQuarantined'].map((name) => hourlySums(call, metric(name), STATUS_WINDOW_HOURS)),
  );
  const total = (points: ReadonlyArray<{ sum: number }>) => points.reduce((sum, p) => sum + p.sum, 0);
  const lastHour = [...received!].reverse().find((p) => p.sum > 0);
  const c = total(curated!);
  const q = total(quarantined!);
  return {
    dataset,
    lastIngestion: lastHour?.timestamp.toISOString(),
    recordsCurated: c,
    recordsQuarantined: q,
    quarantineRate: c + q > 0 ? q / (c + q) : undefined,
  };
}

function find(resources: readonly StackResourceSummary[], logicalId: RegExp): StackResourceSummary | undefined {
  return resources.find((r) => r.type === 'AWS::SQS::Queue' && logicalId.test(r.logicalId));
}

async function depthOf(context: CommandContext, region: string, queue: StackResourceSummary | undefined): Promise<number | undefined> {
  if (!queue) return undefined;
  const attributes = await context.clients(region).sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queue.physicalId, AttributeNames: ['ApproximateNumberOfMessages'] }),
  );
  return Number(attributes.Attributes?.ApproximateNumberOfMessages ?? 0);
}

export function formatStatus(status: EnvironmentStatus): string {
  const dash = (value: unknown): string => (value === undefined ? '-' : String(value));
  const endpoints = status.endpoints.length
    ? formatTable(
        ['endpoint', 'status', 'variants (current/desired instances of max, weight)', 'last deployment'],
        status.endpoints.map((e) => [
          e.name,
          e.status,
          e.variants.map((v) => `${v.name} ${dash(v.currentInstances)}/${dash(v.desiredInstances)} of max ${dash(v.maxInstances)} w${dash(v.weight)}`).join(', ') || '-',
          dash(e.lastDeployment),
        ]),
      )
    : 'no endpoints configured';
  const pipelines = formatTable(
    ['dataset', `last ingestion (${STATUS_WINDOW_HOURS} h)`, 'curated', 'quarantined', 'quarantine rate'],
    status.pipelines.map((p) => [
      p.dataset,
      p.lastIngestion ? `hour of ${p.lastIngestion}` : 'none',
      String(p.recordsCurated),
      String(p.recordsQuarantined),
      p.quarantineRate === undefined ? '-' : `${(p.quarantineRate * 100).toFixed(1)}%`,
    ]),
  );
  const review = status.review.length
    ? status.review.map((r) => `  ${r.queue}: ${dash(r.backlog)} waiting, ${dash(r.dlqDepth)} in DLQ`).join('\n')
    : '  no review queue deployed';
  return [
    `Plinth ${status.environment}`,
    '',
    endpoints,
    '',
    `alarms in ALARM: ${status.alarmsInAlarm.length === 0 ? 'none' : status.alarmsInAlarm.join(', ')}`,
    '',
    pipelines,
    `ingestion DLQ depth: ${dash(status.ingestionDlqDepth)}`,
    '',
    'review backlog:',
    review,
  ].join('\n');
}
