/**
 * PutRecord with bounded concurrency: at most `maxConcurrency` calls in flight; throttling and
 * 5xx are retried with exponential backoff and full jitter (delay = random × min(max, base × 2^n)).
 * Every record ends as written or rejected, never neither: the caller's count stays conserved.
 */
import { PutRecordCommand, type FeatureValue, type SageMakerFeatureStoreRuntimeClient } from '@aws-sdk/client-sagemaker-featurestore-runtime';
import { isTransientAwsError, messageOf, nameOf } from '../shared/aws-errors';
import type { Rejection } from './records';

export interface WriteItem {
  index: number;
  record: FeatureValue[];
}

export interface WriteOptions {
  featureGroupName: string;
  maxConcurrency: number;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  sleep: (ms: number) => Promise<void>;
  random: () => number;
}

export interface WriteOutcome {
  written: number;
  rejected: Array<{ index: number } & Rejection>;
  /** Throttling or 5xx answers seen (each retried or given up on). */
  throttles: number;
  retries: number;
}

/** Errors no record can get past: the job must fail (and be re-run), not dead-letter every row. */
const FATAL = new Set(['AccessDeniedException', 'AccessDenied', 'ResourceNotFound', 'ResourceNotFoundException', 'UnrecognizedClientException', 'ExpiredTokenException', 'InvalidSignatureException']);

export class FeatureWriteFatalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FeatureWriteFatalError';
  }
}

/** Full-jitter backoff before attempt `attempt` (1 = first retry). */
export function backoffMs(attempt: number, opts: Pick<WriteOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const ceiling = Math.min(opts.maxDelayMs, opts.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(opts.random() * ceiling);
}

export async function writeRecords(client: SageMakerFeatureStoreRuntimeClient, items: readonly WriteItem[], opts: WriteOptions): Promise<WriteOutcome> {
  const outcome: WriteOutcome = { written: 0, rejected: [], throttles: 0, retries: 0 };
  let next = 0;
  let fatal: unknown;
  const writeOne = async (item: WriteItem): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.send(new PutRecordCommand({ FeatureGroupName: opts.featureGroupName, Record: item.record }));
        outcome.written++;
        return;
      } catch (err) {
        const name = nameOf(err);
        if (FATAL.has(name)) throw new FeatureWriteFatalError(`PutRecord to ${opts.featureGroupName} failed with ${name}: ${messageOf(err)}`);
        if (!isTransientAwsError(err)) {
          outcome.rejected.push({ index: item.index, reason: 'put-rejected', detail: `${name || 'Error'}: ${messageOf(err)}`.slice(0, 500) });
          return;
        }
        outcome.throttles++;
        if (attempt >= opts.maxAttempts) {
          outcome.rejected.push({ index: item.index, reason: 'put-failed-after-retries', detail: `${name || 'Error'} after ${attempt} attempts: ${messageOf(err)}`.slice(0, 500) });
          return;
        }
        outcome.retries++;
        await opts.sleep(backoffMs(attempt, opts));
      }
    }
  };
  const worker = async (): Promise<void> => {
    while (fatal === undefined && next < items.length) {
      const item = items[next++];
      try {
        await writeOne(item);
      } catch (err) {
        fatal ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(opts.maxConcurrency, items.length) }, worker));
  if (fatal !== undefined) throw fatal;
  return outcome;
}
