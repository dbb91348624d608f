/**
 * review-api: the reviewers' tool calls its function URL (IAM auth, SigV4) with a JSON body:
 *
 *   { action: 'claim',  caseId? }
 *   { action: 'submit', caseId, label, notes? }
 *   { action: 'get',    caseId }
 *
 * The reviewer is the verified IAM caller on the request context (request.ts identify), never
 * the body: a claim is renewed, and a label submitted, only by the identity that holds it.
 *
 * Answers `{ ok: true, case }` or `{ ok: false, error, code }` with code
 * bad-request | not-found | conflict | expired. Infrastructure failures
 * (DynamoDB/S3 errors after SDK retries) and misconfiguration are THROWN (the
 * invoke fails, the tool retries); they never change a case.
 *
 * claim: a given caseId, or the oldest claimable case from the
 *   `status-createdAt` GSI (oldest `pending`, merged with abandoned claims
 *   whose lease lapsed), each tried with one conditional update; on a lost
 *   race the next candidate is tried. Condition: pending, OR claimed with
 *   claimLeaseUntil < now (takeover), OR claimed by the same reviewer (a
 *   retried claim renews the lease instead of failing).
 * submit: label must be in ALLOWED_LABELS; only the claim holder. Order:
 *   1. fix the item's groundTruthKey (conditional on holder; if_not_exists, so
 *      every retry, even on another day, targets the same object);
 *   2. PUT the ground truth to S3 (deterministic key: a retry overwrites);
 *      if this fails the case is still `claimed` by the reviewer -> retry;
 *   3. claimed -> labelled (conditional on status = claimed AND claimedBy).
 *   If the case expired meanwhile (expiry job) while this reviewer held the
 *   claim, the ground truth is KEPT in S3, the label is recorded on the
 *   expired item (status stays `expired`) and code `expired` is returned.
 *   A retried submit of an already labelled case with the same label by the
 *   same reviewer answers ok (idempotent).
 * get: the case.
 *
 * Env: REVIEW_TABLE, CLAIM_LEASE_MINUTES (30), ALLOWED_LABELS,
 *      GROUND_TRUTH_BUCKET, GROUND_TRUTH_PREFIX ("ground-truth/"), PLINTH_ENV.
 * EMF (Plinth/Review, dimension Model): CasesClaimed, CasesLabelled.
 */

import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ReviewCase, ReviewItem, groundTruthKey, groundTruthRecord, toReviewCase } from '../shared-review/case';
import { ddb, SDK_MAX_ATTEMPTS } from '../shared-review/clients';
import { allowedLabels, claimLeaseMinutes, groundTruthLocation, plinthEnv, tableName } from '../shared-review/config';
import { emitReviewMetrics, METRIC_NAMESPACE } from '../shared-review/metrics';
import { createLogger, createMetrics, describeError } from '../shared/runtime';
import { IndexEntry, IndexPage, ReviewTable } from '../shared-review/table';
import { ApiErrorCode, ApiRequest, identify, parseRequest } from './request';

export type { ApiRequest, ApiErrorCode } from './request';

export type ApiResponse = { ok: true; case: ReviewCase } | { ok: false; error: string; code: ApiErrorCode };

const logger = createLogger('plinth-review-api');
const metrics = createMetrics(METRIC_NAMESPACE);
/** Ground truth objects (constructed once; region and endpoint from the standard SDK settings). */
export const s3 = new S3Client({ maxAttempts: SDK_MAX_ATTEMPTS });

/** GSI page size when looking for the next case to claim. */
export const CLAIM_PAGE_SIZE = 25;
/** Conditional claim attempts before answering `conflict` (heavy contention). */
export const MAX_CLAIM_ATTEMPTS = 25;
/** GSI pages read per partition by one claim-next. */
const MAX_PAGES = 10;

function fail(code: ApiErrorCode, error: string): ApiResponse {
  return { ok: false, code, error };
}

function success(item: ReviewItem): ApiResponse {
  return { ok: true, case: toReviewCase(item) };
}

/** Why a conditional write on this case was refused, from a fresh read. */
function explain(item: ReviewItem | undefined, reviewer: string | undefined): ApiResponse {
  if (!item) return fail('not-found', 'no such case');
  switch (item.status) {
    case 'expired':
      return fail('expired', `case expired at ${item.expiredAt ?? item.slaDeadline}`);
    case 'labelled':
      return fail('conflict', 'case is already labelled');
    case 'pending':
      return fail('conflict', 'case is not claimed: claim it first');
    case 'claimed':
      if (item.claimedBy !== reviewer) {
        return fail('conflict', `case is claimed by another reviewer until ${item.claimLeaseUntil ?? '?'}`);
      }
      return fail('conflict', 'case changed concurrently: retry');
    default:
      return fail('conflict', `case is in an unexpected state ${String(item.status)}`);
  }
}

/** Lazily paged, oldest-first stream of one GSI partition. */
class Cursor {
  private buffer: IndexEntry[] = [];
  private startKey: Record<string, unknown> | undefined;
  private done = false;
  private pages = 0;

  constructor(private readonly fetchPage: (startKey: Record<string, unknown> | undefined) => Promise<IndexPage>) {}

  async peek(): Promise<IndexEntry | undefined> {
    while (this.buffer.length === 0 && !this.done) {
      if (this.pages >= MAX_PAGES) {
        this.done = true;
        break;
      }
      const page = await this.fetchPage(this.startKey);
      this.pages++;
      this.buffer.push(...page.items);
      this.startKey = page.nextKey;
      if (!page.nextKey) this.done = true;
    }
    return this.buffer[0];
  }

  shift(): void {
    this.buffer.shift();
  }
}

async function claimNext(table: ReviewTable, reviewer: string, nowIso: string, leaseUntil: string): Promise<ApiResponse> {
  const pending = new Cursor((startKey) =>
    table.queryStatus('pending', { limit: CLAIM_PAGE_SIZE, ...(startKey ? { startKey } : {}) }),
  );
  const abandoned = new Cursor(async (startKey) => {
    try {
      return await table.queryStatus('claimed', {
        leaseBefore: nowIso,
        limit: CLAIM_PAGE_SIZE,
        ...(startKey ? { startKey } : {}),
      });
    } catch (err) {
      // Taking over abandoned claims is a bonus of claim-next (they stay claimable by caseId and expire anyway).
      logger.warn('could not look for abandoned claims; serving pending cases only', { ...describeError(err) });
      return { items: [], nextKey: undefined };
    }
  });

  let conflicts = 0;
  for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS; attempt++) {
    const [p, a] = await Promise.all([pending.peek(), abandoned.peek()]);
    if (!p && !a) break;
    const fromPending = p !== undefined && (a === undefined || p.createdAt <= a.createdAt);
    const candidate = (fromPending ? p : a) as IndexEntry;
    (fromPending ? pending : abandoned).shift();
    const claimed = await table.claim(candidate.caseId, reviewer, nowIso, leaseUntil);
    if (claimed) return claimedResponse(claimed, reviewer, { takeover: !fromPending, conflictsBefore: conflicts });
    conflicts++;
  }
  if (conflicts > 0) return fail('conflict', 'every candidate case was claimed concurrently: retry');
  return fail('not-found', 'no case is waiting for review');
}

function claimedResponse(item: ReviewItem, reviewer: string, fields: Record<string, unknown>): ApiResponse {
  logger.info('case claimed', {
    caseId: item.caseId,
    model: item.model,
    reviewer,
    claimLeaseUntil: item.claimLeaseUntil,
    ...fields,
  });
  emitReviewMetrics(metrics, item.model, { CasesClaimed: 1 }, { Environment: plinthEnv(), caseId: item.caseId });
  return success(item);
}

async function claim(table: ReviewTable, req: Extract<ApiRequest, { action: 'claim' }>): Promise<ApiResponse> {
  const t = new Date();
  const nowIso = t.toISOString();
  const leaseUntil = new Date(t.getTime() + claimLeaseMinutes() * 60_000).toISOString();
  if (req.caseId === undefined) return claimNext(table, req.reviewer, nowIso, leaseUntil);
  const claimed = await table.claim(req.caseId, req.reviewer, nowIso, leaseUntil);
  if (claimed) return claimedResponse(claimed, req.reviewer, { requested: true });
  return explain(await table.get(req.caseId), req.reviewer);
}

async function submit(table: ReviewTable, req: Extract<ApiRequest, { action: 'submit' }>): Promise<ApiResponse> {
  const labels = allowedLabels();
  if (!labels.includes(req.label)) {
    return fail('bad-request', `label "${req.label}" is not allowed (allowed: ${labels.join(', ')})`);
  }
  const location = groundTruthLocation();
  const fields = { caseId: req.caseId, reviewer: req.reviewer, label: req.label };

  const current = await table.get(req.caseId);
  if (!current) return fail('not-found', 'no such case');
  if (current.status === 'labelled') {
    if (current.labelledBy === req.reviewer && current.label === req.label) {
      logger.info('submit retried for a case already labelled with the same label: ok', fields);
      return success(current);
    }
    return explain(current, req.reviewer);
  }
  const holder = current.claimedBy === req.reviewer && (current.status === 'claimed' || current.status === 'expired');
  if (!holder) return explain(current, req.reviewer);

  // 1. Fix the object key once for this case (same key for every retry).
  const labelledAt = new Date().toISOString();
  const reserved = await table.reserveGroundTruthKey(
    req.caseId,
    req.reviewer,
    groundTruthKey(location.prefix, current.model, labelledAt, current.caseId),
  );
  if (!reserved || !reserved.groundTruthKey) return explain(await table.get(req.caseId), req.reviewer);
  const key = reserved.groundTruthKey;

  // 2. Ground truth first: if this fails, the case is still claimed by the reviewer and nothing is lost.
  const record = groundTruthRecord(reserved, req.label, req.reviewer, labelledAt, req.notes);
  try {
    await s3.send(
      new PutObjectCommand({
        Bucket: location.bucket,
        Key: key,
        Body: JSON.stringify(record),
        ContentType: 'application/json',
      }),
    );
  } catch (err) {
    logger.error('writing ground truth failed: case stays claimed, submit can be retried', {
      ...fields,
      bucket: location.bucket,
      key,
      ...describeError(err),
    });
    throw err;
  }
  const gtFields = { ...fields, model: reserved.model, groundTruth: `s3://${location.bucket}/${key}` };

  // 3. claimed -> labelled.
  if (reserved.status === 'claimed') {
    const labelled = await table.markLabelled(req.caseId, req.reviewer, req.label, labelledAt, req.notes);
    if (labelled) {
      logger.info('case labelled', gtFields);
      emitReviewMetrics(metrics, labelled.model, { CasesLabelled: 1 }, { Environment: plinthEnv(), caseId: labelled.caseId });
      return success(labelled);
    }
  }
  const after = await table.get(req.caseId);
  if (after?.status === 'expired' && after.claimedBy === req.reviewer) {
    // Expired while the reviewer held the claim: keep the ground truth and record the label, status stays expired.
    const late = await table.recordLateLabel(req.caseId, req.reviewer, req.label, labelledAt, req.notes);
    logger.warn('case expired before the label was recorded: ground truth kept, case stays expired', {
      ...gtFields,
      lateLabelRecorded: late !== undefined,
    });
    return fail('expired', `case expired at ${after.expiredAt ?? after.slaDeadline}; the label was kept as ground truth at s3://${location.bucket}/${key}`);
  }
  if (after?.status === 'labelled' && after.labelledBy === req.reviewer && after.label === req.label) {
    return success(after); // a concurrent duplicate submit won
  }
  logger.warn('case changed while submitting: ground truth object written but case not labelled', {
    ...gtFields,
    status: after?.status,
    claimedBy: after?.claimedBy,
  });
  return explain(after, req.reviewer);
}

export async function handler(event: unknown): Promise<ApiResponse> {
  const identity = identify(event);
  if (!identity.ok) {
    logger.warn('request refused: no verified reviewer', { error: identity.error });
    return fail('forbidden', identity.error);
  }
  const parsed = parseRequest(identity.body);
  if (!parsed.ok) {
    logger.warn('bad request', { error: parsed.error });
    return fail('bad-request', parsed.error);
  }
  const req = parsed.request;
  try {
    const table = new ReviewTable(ddb, tableName());
    switch (req.action) {
      case 'claim':
        return await claim(table, req);
      case 'submit':
        return await submit(table, req);
      case 'get': {
        const item = await table.get(req.caseId);
        return item ? success(item) : fail('not-found', 'no such case');
      }
    }
  } catch (err) {
    logger.error('review-api request failed', { action: req.action, ...describeError(err) });
    throw err;
  }
}
