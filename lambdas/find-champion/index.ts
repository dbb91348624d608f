/**
 * find-champion — the training pipeline's champion lookup (the bridge state machine's
 * `FindChampion` state, lib/training/training-pipeline.ts).
 *
 * The champion is the model a retrained model must beat: the incumbent the model's endpoint
 * SERVES now (contract B, lambdas/shared/served-models.ts), not the group's latest Approved
 * package, which may be approved and not deployed (canary rolled back, promotion pending, a failed
 * deployment). With several production variants (an A/B test) it is the package of the variant
 * with the largest current weight; between variants of equal weight, the most recently approved
 * of their packages (Approved before any other status, then the latest LastModifiedTime, which an
 * approval sets; SageMaker records no approval time of its own; then the highest version).
 *
 * When the served package cannot be learnt (the model has no endpoint, the endpoint does not
 * exist yet or serves nothing, its models carry no `plinth:model-package` tag, or the tag names a
 * package outside this model's group) the champion is the latest Approved package, and the answer
 * says so: `championSource` is `latest-approved` (or `none` with no Approved package either) and
 * `championReason` says why. Every answer is logged, and an EMF metric (Plinth/Training,
 * ChampionFallback by Model: 1 when not `served`) makes fallbacks countable.
 *
 * Input: ignored (the bridge passes its execution name for the log). Output (strings, the bridge
 * passes them to the pipeline as callback outputs):
 *   { championArn: <arn> | "none", championUri: <s3 uri> | "", championSource: "served" |
 *     "latest-approved" | "none", championReason: <text, at most 256 characters> }
 * Env: MODEL_PACKAGE_GROUP, PACKAGE_ARN_PREFIX (arn:...:model-package/<group>/), ENDPOINT_NAME
 * (absent or empty: the model has no endpoint), PLINTH_ENV.
 *
 * AWS errors propagate (the bridge retries and then fails the pipeline step with the error).
 */

import { DescribeModelPackageCommand, ListModelPackagesCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import type { DescribeModelPackageCommandOutput } from '@aws-sdk/client-sagemaker';
import { createLogger, createMetrics, publishMetrics } from '../shared/runtime';
import { MODEL_PACKAGE_TAG, packageOfModel, readServedVariants } from '../shared/served-models';

export const METRIC_NAMESPACE = 'Plinth/Training';
export const FALLBACK_METRIC = 'ChampionFallback';
/** CustomerMetadataProperties values are at most 256 characters; the reason is recorded there. */
export const MAX_REASON_LENGTH = 256;

const logger = createLogger('plinth-find-champion');
const metrics = createMetrics(METRIC_NAMESPACE);

/** The variables CDK sets (TrainingPipeline). */
export interface ChampionEnv {
  readonly MODEL_PACKAGE_GROUP: string;
  readonly PACKAGE_ARN_PREFIX: string;
  /** '' when the model has no endpoint. */
  readonly ENDPOINT_NAME: string;
  readonly PLINTH_ENV?: string;
}

const GROUP_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const PACKAGE_ARN_PREFIX = /^arn:[^:]+:sagemaker:[^:]*:[^:]*:model-package\/[^/]+\/$/;

/**
 * The environment, checked by hand (no schema library: it would more than double this function's
 * cold start for four variables; docs/performance.md, Lambda cold start).
 */
export function championEnv(env: NodeJS.ProcessEnv = process.env): ChampionEnv {
  const problems: string[] = [];
  const group = env.MODEL_PACKAGE_GROUP ?? '';
  const prefix = env.PACKAGE_ARN_PREFIX ?? '';
  if (!GROUP_NAME.test(group)) problems.push('MODEL_PACKAGE_GROUP: MODEL_PACKAGE_GROUP must be a model package group name');
  if (!PACKAGE_ARN_PREFIX.test(prefix)) problems.push('PACKAGE_ARN_PREFIX: PACKAGE_ARN_PREFIX must be arn:...:model-package/<group>/');
  if (problems.length > 0) throw new Error(`invalid environment: ${problems.join('; ')}`);
  return {
    MODEL_PACKAGE_GROUP: group,
    PACKAGE_ARN_PREFIX: prefix,
    ENDPOINT_NAME: env.ENDPOINT_NAME ?? '',
    ...(env.PLINTH_ENV !== undefined ? { PLINTH_ENV: env.PLINTH_ENV } : {}),
  };
}

export type ChampionSource = 'served' | 'latest-approved' | 'none';

export interface Champion {
  readonly championArn: string;
  readonly championUri: string;
  readonly championSource: ChampionSource;
  readonly championReason: string;
}

/** Not-served statuses: the endpoint answers no request in them (Updating, RollingBack... still serve the current config). */
const NOT_SERVING = new Set(['Creating', 'Deleting', 'Failed', 'OutOfService']);

type Served = { arn: string; reason: string } | { reason: string };

/** The served champion per the rule above, or why there is none. */
export async function servedChampion(sagemaker: SageMakerClient, env: ChampionEnv): Promise<Served> {
  const endpointName = env.ENDPOINT_NAME;
  const served = await readServedVariants(sagemaker, endpointName);
  if (served.endpoint === 'not-found') return { reason: `endpoint ${endpointName} does not exist (yet)` };
  if (served.status && NOT_SERVING.has(served.status)) return { reason: `endpoint ${endpointName} is ${served.status}: it serves no model` };
  if (!served.endpointConfigName || served.variants.length === 0) return { reason: `endpoint ${endpointName} has no production variant in its current config` };
  const top = Math.max(...served.variants.map((v) => v.weight));
  if (!(top > 0)) return { reason: `no production variant of endpoint ${endpointName} takes traffic (all weights 0)` };
  const heaviest = served.variants.filter((v) => v.weight === top);
  const names = heaviest.map((v) => v.variantName).join(', ');
  const excluded: string[] = [];
  const candidates = new Map<string, string[]>(); // package ARN → its variants
  for (const variant of heaviest) {
    if (!variant.modelName) {
      excluded.push(`${variant.variantName} runs no model of its own`);
      continue;
    }
    const arn = await packageOfModel(sagemaker, variant.modelName);
    if (!arn) {
      excluded.push(`model ${variant.modelName} of ${variant.variantName} has no ${MODEL_PACKAGE_TAG} tag`);
      continue;
    }
    if (!arn.toLowerCase().startsWith(env.PACKAGE_ARN_PREFIX.toLowerCase())) {
      excluded.push(`${variant.variantName} serves a package outside group ${env.MODEL_PACKAGE_GROUP} (${arn})`);
      continue;
    }
    candidates.set(arn, [...(candidates.get(arn) ?? []), variant.variantName]);
  }
  const unknown = excluded.length > 0 ? `; not considered: ${excluded.join('; ')}` : '';
  if (candidates.size === 0) return { reason: `the served package of endpoint ${endpointName} is unknown (weight ${top}: ${names})${unknown}` };
  const weight = `weight ${top} of ${sum(served.variants.map((v) => v.weight))}`;
  if (candidates.size === 1) {
    const [arn, variants] = [...candidates][0]!;
    return { arn, reason: `served by ${variants.join(', ')} of ${endpointName} (${weight})${unknown}` };
  }
  // Equal weights, different packages: the most recently approved of them.
  const described = await Promise.all([...candidates.keys()].map(async (arn) => ({ arn, pkg: await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn })) })));
  described.sort((a, b) => rank(b.pkg) - rank(a.pkg) || time(b.pkg) - time(a.pkg) || (b.pkg.ModelPackageVersion ?? 0) - (a.pkg.ModelPackageVersion ?? 0));
  const chosen = described[0]!;
  return {
    arn: chosen.arn,
    reason: `served by ${candidates.get(chosen.arn)!.join(', ')} of ${endpointName} (${weight}, tied with ${described.length - 1} other package(s): the most recently approved)${unknown}`,
  };
}

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const rank = (p: DescribeModelPackageCommandOutput) => (p.ModelApprovalStatus === 'Approved' ? 1 : 0);
const time = (p: DescribeModelPackageCommandOutput) => (p.LastModifiedTime ?? p.CreationTime)?.getTime() ?? 0;

/** The group's latest Approved package (by creation time), or undefined. */
async function latestApproved(sagemaker: SageMakerClient, group: string): Promise<string | undefined> {
  const out = await sagemaker.send(
    new ListModelPackagesCommand({ ModelPackageGroupName: group, ModelApprovalStatus: 'Approved', SortBy: 'CreationTime', SortOrder: 'Descending', MaxResults: 1 }),
  );
  return out.ModelPackageSummaryList?.[0]?.ModelPackageArn;
}

/** The champion package's model artifact (what the evaluation step scores). */
async function artifactOf(sagemaker: SageMakerClient, arn: string): Promise<string> {
  const pkg = await sagemaker.send(new DescribeModelPackageCommand({ ModelPackageName: arn }));
  const uri = pkg.InferenceSpecification?.Containers?.[0]?.ModelDataUrl;
  if (!uri) throw new Error(`champion ${arn} has no ModelDataUrl in its first container: the evaluation step cannot score it`);
  return uri;
}

function clip(text: string): string {
  return text.length <= MAX_REASON_LENGTH ? text : `${text.slice(0, MAX_REASON_LENGTH - 1)}…`;
}

/** The champion, how it was chosen and why. */
export async function findChampion(sagemaker: SageMakerClient, env: ChampionEnv): Promise<Champion> {
  let why: string;
  if (env.ENDPOINT_NAME) {
    const served = await servedChampion(sagemaker, env);
    if ('arn' in served) return { championArn: served.arn, championUri: await artifactOf(sagemaker, served.arn), championSource: 'served', championReason: clip(served.reason) };
    why = served.reason;
  } else {
    why = 'the model has no endpoint';
  }
  const arn = await latestApproved(sagemaker, env.MODEL_PACKAGE_GROUP);
  if (!arn) return { championArn: 'none', championUri: '', championSource: 'none', championReason: clip(`${why}; and group ${env.MODEL_PACKAGE_GROUP} has no Approved package`) };
  return { championArn: arn, championUri: await artifactOf(sagemaker, arn), championSource: 'latest-approved', championReason: clip(`latest Approved package, because ${why}`) };
}

const sagemaker = new SageMakerClient({ maxAttempts: 3 });

export async function handler(event: unknown): Promise<Champion> {
  const env = championEnv();
  const champion = await findChampion(sagemaker, env);
  const fallback = champion.championSource !== 'served';
  logger[fallback ? 'warn' : 'info'](fallback ? 'champion is not the served model: fallback' : 'champion is the served model', {
    ...champion,
    modelPackageGroup: env.MODEL_PACKAGE_GROUP,
    endpointName: env.ENDPOINT_NAME || undefined,
    execution: typeof event === 'object' && event !== null ? (event as { execution?: unknown }).execution : undefined,
  });
  publishMetrics(metrics, {
    dimensions: { Model: env.MODEL_PACKAGE_GROUP },
    values: { [FALLBACK_METRIC]: fallback ? 1 : 0 },
    properties: { championSource: champion.championSource, championReason: champion.championReason },
  });
  return champion;
}
