import { PlinthError } from '../lib/errors';

/** The CLI's exit codes. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Wrong command line: exit 2 with the command's usage. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A failure the operator can act on: what went wrong and what to do next. Exit 1. */
export class CliError extends Error {
  constructor(
    readonly cause_: string,
    readonly nextStep: string,
  ) {
    super(`${cause_}\n  next step: ${nextStep}`);
    this.name = 'CliError';
  }
}

/**
 * Turns any error into a CliError whose text names the cause and the next step. SDK errors are
 * reduced to their name and message: a raw SDK stack trace is never shown.
 */
export function explain(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof PlinthError) {
    // Plinth's own errors already say what to change.
    return new CliError(error.message, 'change what the message names, then run the command again');
  }
  const name = (error as { name?: string } | undefined)?.name ?? '';
  const code = (error as { code?: string } | undefined)?.code ?? '';
  const message = error instanceof Error ? error.message : String(error);
  const text = `${name} ${code} ${message}`;
  if (name === 'CredentialsProviderError' || /Could not load credentials|Missing credentials|Unable to locate credentials/i.test(message)) {
    return new CliError(`no AWS credentials: ${message}`, 'set AWS_PROFILE (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), or run `aws sso login`');
  }
  if (/ExpiredToken|TokenRefreshRequired|expired/i.test(text)) {
    return new CliError(`AWS credentials expired: ${message}`, 'refresh them (e.g. `aws sso login --profile $AWS_PROFILE`) and retry');
  }
  if (/AccessDenied|UnauthorizedOperation|NotAuthorized|Forbidden/i.test(text)) {
    return new CliError(`AWS denied the call: ${message}`, 'use a role allowed to do this (see docs/model-promotion.md for the roles)');
  }
  if (/Region is missing|region/i.test(message) && /missing/i.test(message)) {
    return new CliError(`no AWS region: ${message}`, 'set AWS_REGION, or pass --env so the region comes from config/<env>.ts');
  }
  if (code === 'ECONNREFUSED' || /ECONNREFUSED|fetch failed|ENOTFOUND|getaddrinfo/i.test(message)) {
    return new CliError(`cannot reach AWS: ${message}`, 'check the network, or AWS_ENDPOINT_URL if you point the CLI at an emulator');
  }
  if (/ValidationException|ValidationError|ResourceNotFound|does not exist|Could not find/i.test(text)) {
    return new CliError(`${name ? `${name}: ` : ''}${message}`, 'check the name or ARN you passed (see `plinth models list`)');
  }
  return new CliError(`${name && name !== 'Error' ? `${name}: ` : ''}${message}`, 'retry; if it persists, run `plinth doctor`');
}
