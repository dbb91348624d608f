/**
 * Calls into one environment's account. Each environment runs in its own account (config/<env>.ts
 * `account`), so a command that spans two (promote) needs credentials for each: a named profile
 * (`--from-profile`), a role to assume there with the current credentials (`--from-role`), or the
 * current credentials. Whichever is used, STS must confirm the account before anything is read.
 */
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { EnvironmentConfig } from '../../config';
import { CliError } from '../errors';
import { type AwsCallContext, clientSettings } from './connection';

/** How to reach an environment's account. */
export interface EnvironmentAccess {
  /** A profile in ~/.aws/config whose credentials are in the environment's account. */
  readonly profile?: string;
  /** A role in the environment's account to assume with the current credentials. */
  readonly roleArn?: string;
}

/** Clients signed for one environment's account. */
export interface EnvironmentSession {
  readonly environment: string;
  readonly account: string;
  readonly region: string;
  readonly call: AwsCallContext;
  readonly sagemaker: SageMakerClient;
  readonly s3: S3Client;
}

/**
 * The account an environment is expected in: config/<env>.ts, unless `PLINTH_<ENV>_ACCOUNT` says
 * otherwise (the local deploy runs dev in the emulator's account and prints that variable).
 */
export function expectedAccount(config: EnvironmentConfig, env: NodeJS.ProcessEnv = process.env): string {
  return env[`PLINTH_${config.name.toUpperCase()}_ACCOUNT`]?.trim() || config.account;
}

/** Opens a session in `config`'s account and checks with STS that it is that account. */
export async function openEnvironmentSession(
  config: EnvironmentConfig,
  access: EnvironmentAccess,
  base: AwsCallContext,
  flag: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<EnvironmentSession> {
  const region = config.region;
  let credentials = base.credentials;
  if (access.roleArn) {
    const sts = new STSClient(clientSettings({ ...base, region }));
    const assumed = await sts.send(new AssumeRoleCommand({ RoleArn: access.roleArn, RoleSessionName: `plinth-${config.name}`, DurationSeconds: 3600 }));
    const c = assumed.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) throw new CliError(`assuming ${access.roleArn} returned no credentials`, `check that role's trust policy lets you assume it`);
    credentials = { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  } else if (access.profile) {
    const probe = new STSClient({ region, profile: access.profile });
    credentials = await probe.config.credentials();
    probe.destroy();
  }
  const call: AwsCallContext = { ...base, region, credentials };
  const identity = await new STSClient(clientSettings(call)).send(new GetCallerIdentityCommand({}));
  const expected = expectedAccount(config, env);
  if (identity.Account !== expected) {
    const how = access.roleArn ? `the role ${access.roleArn}` : access.profile ? `profile ${access.profile}` : 'your current credentials';
    throw new CliError(
      `${how} reach account ${identity.Account}, but ${config.name} is account ${expected} (config/${config.name}.ts)`,
      `pass --${flag}-profile PROFILE (a profile in ${expected}) or --${flag}-role arn:aws:iam::${expected}:role/NAME (assumed with your credentials)`,
    );
  }
  const settings = clientSettings(call);
  return {
    environment: config.name,
    account: expected,
    region,
    call,
    sagemaker: new SageMakerClient(settings),
    s3: new S3Client({ ...settings, ...(base.endpoint ? { forcePathStyle: true } : {}) }),
  };
}
