import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SSMClient } from '@aws-sdk/client-ssm';
import { ENVIRONMENT_NAMES, loadEnvironments, type EnvironmentConfig } from '../config';
import { type AwsCallContext, resolveCallContext } from './aws/connection';
import { UsageError } from './errors';

/** What a command may use: output streams, the environment's config and AWS clients. */
export interface CommandContext {
  readonly json: boolean;
  /** Result text (or JSON) on stdout. */
  out(text: string): void;
  /** Progress and warnings on stderr, so --json stays parseable. */
  progress(text: string): void;
  /** SDK clients for `region` (default: AWS_REGION); AWS_PROFILE and AWS_ENDPOINT_URL apply. */
  clients(region?: string): AwsClients;
  /** Where and as whom to call the control-plane APIs (CloudFormation, CloudWatch, STS, Lambda). */
  callContext(region?: string): Promise<AwsCallContext>;
  /** Waits between polls (tests replace it). */
  sleep(ms: number): Promise<void>;
}

export interface AwsClients {
  readonly sagemaker: SageMakerClient;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
  readonly ssm: SSMClient;
}

/** The validated config of `name`; an unknown name is a usage error. */
export function environmentConfig(name: string): EnvironmentConfig {
  const known: readonly string[] = ENVIRONMENT_NAMES;
  if (!known.includes(name)) {
    throw new UsageError(`unknown environment "${name}": pass --env with one of ${known.join(', ')} (each is config/<name>.ts)`);
  }
  try {
    return loadEnvironments(name)[0]!;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message.split('\n')[0]! : String(error));
  }
}

/** The real context: process streams, real clients. */
export function processContext(json: boolean, env: NodeJS.ProcessEnv = process.env): CommandContext {
  const cache = new Map<string, AwsClients>();
  return {
    json,
    out: (text) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    progress: (text) => void process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    clients: (region) => {
      const key = region ?? '';
      const existing = cache.get(key);
      if (existing) return existing;
      const settings = { ...(region ? { region } : {}), maxAttempts: 3 };
      // An emulator on localhost has no virtual-host buckets, and its queue URLs name AWS's host.
      const emulated = Boolean(env.AWS_ENDPOINT_URL);
      const created: AwsClients = {
        sagemaker: new SageMakerClient(settings),
        sqs: new SQSClient({ ...settings, ...(emulated ? { useQueueUrlAsEndpoint: false } : {}) }),
        s3: new S3Client({ ...settings, ...(emulated ? { forcePathStyle: true } : {}) }),
        ssm: new SSMClient(settings),
      };
      cache.set(key, created);
      return created;
    },
    callContext: async (region) => {
      const resolved = await resolveCallContext(env);
      return region ? { ...resolved, region } : resolved;
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
}
