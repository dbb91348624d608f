/**
 * Environment contract of the deploy-model Lambda (the CDK side sets exactly
 * these variables). Hand-written validation: no zod in the Lambda (cold start).
 *
 * An invalid environment is an operator error: {@link loadConfig} throws a
 * ConfigError and the handler fails the whole batch (Lambda Errors metric,
 * messages stay in the queue, DLQ after maxReceiveCount).
 */

import { isJsonObject } from '../shared/json';
import { ConfigError } from './errors';

export interface Deployment {
  /** Model package group whose approved versions this endpoint variant follows. */
  modelPackageGroupName: string;
  endpointName: string;
  variantName: string;
  /** CloudWatch alarms that roll the blue/green deployment back (1..10). */
  rollbackAlarmNames: string[];
  /**
   * The inference component serving the variant, when it is served by one: the rollout then
   * updates the component (rolling update) instead of the endpoint (blue/green canary).
   */
  inferenceComponentName?: string;
}

export interface DeployConfig {
  env: string;
  deployments: Deployment[];
  modelExecutionRoleArn: string;
  subnetIds: string[];
  securityGroupIds: string[];
  modelsKmsKeyArn: string;
  /** Lower-case ECR registry hosts, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com */
  allowedImageRegistries: string[];
  canaryPercent: number;
  canaryWaitSeconds: number;
  terminationWaitSeconds: number;
  maxExecutionTimeoutSeconds: number;
  alarmTopicArn: string;
  eventBusName: string;
  /** The registry's artifact bucket: every pinned artifact lives there, and so do the approved copies. */
  artifactBucket: string;
}

export const DEFAULT_TERMINATION_WAIT_SECONDS = 300;
export const DEFAULT_MAX_EXECUTION_TIMEOUT_SECONDS = 3600;
export const DEFAULT_EVENT_BUS_NAME = 'default';

/** SageMaker resource names (groups, endpoints, variants): ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62} */
export const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\-/]+$/;
const KMS_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[\w\-/]+$/;
const SNS_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{1,17}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{1,17}$/;
/** Private ECR registry host (also FIPS and China partitions). */
const ECR_REGISTRY = /^\d{12}\.dkr\.ecr(-fips)?\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/;
const EVENT_BUS = /^([\w.\-/]{1,256}|arn:aws[a-z-]*:events:[a-z0-9-]+:\d{12}:event-bus\/[\w.\-/]{1,256})$/;
const ALARM_NAME = /^[^\x00-\x1f]{1,255}$/;

type Env = Record<string, string | undefined>;

function required(env: Env, name: string): string {
  const v = env[name]?.trim();
  if (!v) throw new ConfigError(`${name} is required`);
  return v;
}

function matching(env: Env, name: string, re: RegExp): string {
  const v = required(env, name);
  if (!re.test(v)) throw new ConfigError(`${name} is invalid: ${JSON.stringify(v)}`);
  return v;
}

function list(env: Env, name: string, re: RegExp, max: number): string[] {
  const items = required(env, name)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (items.length === 0) throw new ConfigError(`${name} must list at least one value`);
  if (items.length > max) throw new ConfigError(`${name} lists ${items.length} values, at most ${max} allowed`);
  for (const item of items) {
    if (!re.test(item)) throw new ConfigError(`${name} contains an invalid value: ${JSON.stringify(item)}`);
  }
  return [...new Set(items)];
}

function integer(env: Env, name: string, min: number, max: number, fallback?: number): number {
  const raw = env[name]?.trim();
  if (!raw) {
    if (fallback === undefined) throw new ConfigError(`${name} is required`);
    return fallback;
  }
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function parseDeployments(raw: string): Deployment[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('DEPLOYMENTS is not valid JSON');
  }
  if (!Array.isArray(parsed)) throw new ConfigError('DEPLOYMENTS must be a JSON array');
  const seen = new Set<string>();
  return parsed.map((item, i) => {
    const where = `DEPLOYMENTS[${i}]`;
    if (!isJsonObject(item)) throw new ConfigError(`${where} must be an object`);
    const name = (key: string): string => {
      const v = item[key];
      if (typeof v !== 'string' || !SAGEMAKER_NAME.test(v)) {
        throw new ConfigError(`${where}.${key} must be a SageMaker name ([a-zA-Z0-9-], max 63), got ${JSON.stringify(v)}`);
      }
      return v;
    };
    const modelPackageGroupName = name('modelPackageGroupName');
    const endpointName = name('endpointName');
    const variantName = name('variantName');
    const alarms = item.rollbackAlarmNames;
    if (!Array.isArray(alarms) || alarms.length < 1 || alarms.length > 10) {
      // AutoRollbackConfiguration accepts 1..10 alarms; a canary without rollback alarms is not a canary.
      throw new ConfigError(`${where}.rollbackAlarmNames must list 1 to 10 alarm names`);
    }
    for (const a of alarms) {
      if (typeof a !== 'string' || !ALARM_NAME.test(a)) throw new ConfigError(`${where}.rollbackAlarmNames contains an invalid alarm name`);
    }
    // Two groups driving the same variant would fight over it.
    const key = `${endpointName}/${variantName}`;
    if (seen.has(key)) throw new ConfigError(`${where}: endpoint ${endpointName} variant ${variantName} is listed twice`);
    seen.add(key);
    const component = item.inferenceComponentName;
    if (component !== undefined && (typeof component !== 'string' || !SAGEMAKER_NAME.test(component))) {
      throw new ConfigError(`${where}.inferenceComponentName must be a SageMaker name ([a-zA-Z0-9-], max 63), got ${JSON.stringify(component)}`);
    }
    return {
      modelPackageGroupName,
      endpointName,
      variantName,
      rollbackAlarmNames: [...(alarms as string[])],
      ...(component === undefined ? {} : { inferenceComponentName: component }),
    };
  });
}

export function loadConfig(env: Env = process.env): DeployConfig {
  const canaryWaitSeconds = integer(env, 'CANARY_WAIT_SECONDS', 0, 3600);
  const terminationWaitSeconds = integer(env, 'TERMINATION_WAIT_SECONDS', 0, 3600, DEFAULT_TERMINATION_WAIT_SECONDS);
  const maxExecutionTimeoutSeconds = integer(env, 'MAX_EXECUTION_TIMEOUT_SECONDS', 600, 28800, DEFAULT_MAX_EXECUTION_TIMEOUT_SECONDS);
  if (maxExecutionTimeoutSeconds <= canaryWaitSeconds + terminationWaitSeconds) {
    // SageMaker requires the timeout to exceed the total waiting time of the deployment.
    throw new ConfigError(
      `MAX_EXECUTION_TIMEOUT_SECONDS (${maxExecutionTimeoutSeconds}) must be greater than CANARY_WAIT_SECONDS + TERMINATION_WAIT_SECONDS (${canaryWaitSeconds + terminationWaitSeconds})`,
    );
  }
  return {
    env: matching(env, 'PLINTH_ENV', /^[a-zA-Z0-9-]{1,32}$/),
    deployments: parseDeployments(required(env, 'DEPLOYMENTS')),
    modelExecutionRoleArn: matching(env, 'MODEL_EXECUTION_ROLE_ARN', ROLE_ARN),
    subnetIds: list(env, 'SUBNET_IDS', SUBNET_ID, 16),
    securityGroupIds: list(env, 'SECURITY_GROUP_IDS', SECURITY_GROUP_ID, 5),
    modelsKmsKeyArn: matching(env, 'MODELS_KMS_KEY_ARN', KMS_ARN),
    allowedImageRegistries: list(
      { ALLOWED_IMAGE_REGISTRIES: env.ALLOWED_IMAGE_REGISTRIES?.toLowerCase() },
      'ALLOWED_IMAGE_REGISTRIES',
      ECR_REGISTRY,
      50,
    ),
    // Blue/green canary: the canary step may be at most 50% of the fleet.
    canaryPercent: integer(env, 'CANARY_PERCENT', 1, 50),
    canaryWaitSeconds,
    terminationWaitSeconds,
    maxExecutionTimeoutSeconds,
    alarmTopicArn: matching(env, 'ALARM_TOPIC_ARN', SNS_ARN),
    artifactBucket: matching(env, 'ARTIFACT_BUCKET', /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/),
    eventBusName: env.EVENT_BUS_NAME?.trim() ? matching(env, 'EVENT_BUS_NAME', EVENT_BUS) : DEFAULT_EVENT_BUS_NAME,
  };
}
