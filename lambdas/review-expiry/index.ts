/**
 * review-expiry: scheduled every 5 minutes.
 *
 *  1. For status `pending` and `claimed`: query the `status-createdAt` GSI
 *     (no scan) for the entries whose own slaDeadline has passed (filter
 *     slaDeadline <= now), then expire each case with ONE conditional update
 *     `(status = pending OR status = claimed) AND slaDeadline <= now`
 *     -> status `expired`, expiredAt = now. The item's own slaDeadline is the
 *     authority, never the current SLA_MINUTES: a case keeps the deadline it
 *     was given at intake. (Selecting by createdAt <= now - SLA_MINUTES, as
 *     before, let cases taken in under a shorter SLA expire up to the increase
 *     late once SLA_MINUTES was raised, and spent a failed conditional write
 *     per run on each case not yet due after it was lowered.) The GSI is
 *     eventually consistent; a case labelled or claimed meanwhile is left
 *     alone by the condition. Expired cases are kept, never deleted.
 *  2. Gauges from the `pending` partition (oldest first): PendingCases and
 *     OldestPendingAgeSeconds (0 when there is none).
 *  3. EMF (Plinth/Review, dimension Model): CasesExpired, PendingCases,
 *     OldestPendingAgeSeconds, ALWAYS emitted for Model=`_all` (0s included:
 *     the alarms need data points), and per model for every model seen this
 *     run and every model listed in the optional REVIEW_MODELS.
 *
 * Failures are thrown (the Lambda errors, the next run catches up); a run
 * that approaches its timeout stops expiring and the next run continues.
 *
 * Env: REVIEW_TABLE, PLINTH_ENV, REVIEW_MODELS (optional). SLA_MINUTES is
 * intake's: every case carries its deadline.
 */

import type { Context } from 'aws-lambda';
import { ReviewItem } from '../shared-review/case';
import { ddb } from '../shared-review/clients';
import { plinthEnv, reviewModels, tableName } from '../shared-review/config';
import { ALL_MODELS, emitReviewMetrics, METRIC_NAMESPACE } from '../shared-review/metrics';
import { IndexEntry, ReviewTable } from '../shared-review/table';
import { createLogger, createMetrics, describeError, forEachLimit } from '../shared/runtime';

const logger = createLogger('plinth-review-expiry');
const metrics = createMetrics(METRIC_NAMESPACE);

export const PAGE_SIZE = 100;
export const UPDATE_CONCURRENCY = 8;
/** Stop expiring when less than this is left before the Lambda timeout (gauges still get emitted). */
export const SAFETY_MARGIN_MS = 20_000;

export interface ExpirySummary {
  expired: number;
  /** Candidates the conditional update refused (labelled/claimed meanwhile, or slaDeadline not reached). */
  skipped: number;
  pending: number;
  oldestPendingAgeSeconds: number;
  /** True when the run stopped early (timeout budget); the next run continues. */
  truncated: boolean;
}

interface ModelStats {
  expired: number;
  pending: number;
  oldestPendingCreatedAt: string | undefined;
}

function ageSeconds(createdAt: string | undefined, nowMs: number): number {
  if (createdAt === undefined) return 0;
  const ms = nowMs - Date.parse(createdAt);
  return Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
}

export async function handler(_event?: unknown, context?: Pick<Context, 'getRemainingTimeInMillis'>): Promise<ExpirySummary> {
  const t = new Date();
  const nowIso = t.toISOString();
  const nowMs = t.getTime();
  let table: ReviewTable;
  try {
    table = new ReviewTable(ddb, tableName());
  } catch (err) {
    logger.error('review-expiry misconfigured', { ...describeError(err) });
    throw err;
  }
  const outOfTime = (): boolean =>
    typeof context?.getRemainingTimeInMillis === 'function' && context.getRemainingTimeInMillis() < SAFETY_MARGIN_MS;

  const stats = new Map<string, ModelStats>();
  const statsFor = (model: string): ModelStats => {
    let s = stats.get(model);
    if (!s) stats.set(model, (s = { expired: 0, pending: 0, oldestPendingCreatedAt: undefined }));
    return s;
  };
  for (const m of reviewModels()) statsFor(m);

  const expiredIds = new Set<string>();
  let skipped = 0;
  let truncated = false;
  try {
    // 1. Expire overdue pending and claimed cases.
    for (const status of ['pending', 'claimed'] as const) {
      let startKey: Record<string, unknown> | undefined;
      do {
        if (outOfTime()) {
          truncated = true;
          break;
        }
        // A deadline is never before its case's createdAt, so createdAt <= now bounds the key range.
        const page = await table.queryStatus(status, { createdAtLte: nowIso, dueBy: nowIso, limit: PAGE_SIZE, ...(startKey ? { startKey } : {}) });
        // The item's slaDeadline is checked again by the conditional update (authoritative, whatever the index projects).
        await forEachLimit(page.items, UPDATE_CONCURRENCY, async (entry: IndexEntry) => {
          const expired: ReviewItem | undefined = await table.expire(entry.caseId, nowIso);
          if (!expired) {
            skipped++;
            return;
          }
          expiredIds.add(expired.caseId);
          statsFor(expired.model).expired++;
          logger.warn('case expired without a label (SLA missed)', {
            caseId: expired.caseId,
            model: expired.model,
            previousStatus: status,
            createdAt: expired.createdAt,
            slaDeadline: expired.slaDeadline,
            claimedBy: expired.claimedBy,
          });
        });
        startKey = page.nextKey;
      } while (startKey);
      if (truncated) break;
    }

    // 2. Gauges over what is still pending (the GSI may lag our own updates: skip what we just expired).
    let pending = 0;
    let oldest: string | undefined;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await table.queryStatus('pending', { ...(startKey ? { startKey } : {}) });
      for (const entry of page.items) {
        if (expiredIds.has(entry.caseId)) continue;
        pending++;
        if (oldest === undefined || entry.createdAt < oldest) oldest = entry.createdAt;
        if (typeof entry.model === 'string') {
          const s = statsFor(entry.model);
          s.pending++;
          if (s.oldestPendingCreatedAt === undefined || entry.createdAt < s.oldestPendingCreatedAt) {
            s.oldestPendingCreatedAt = entry.createdAt;
          }
        }
      }
      startKey = page.nextKey;
    } while (startKey);

    // 3. Metrics: the aggregate always, then per model.
    const env = plinthEnv();
    const summary: ExpirySummary = {
      expired: expiredIds.size,
      skipped,
      pending,
      oldestPendingAgeSeconds: ageSeconds(oldest, nowMs),
      truncated,
    };
    emitReviewMetrics(
      metrics,
      ALL_MODELS,
      { CasesExpired: summary.expired, PendingCases: summary.pending, OldestPendingAgeSeconds: summary.oldestPendingAgeSeconds },
      { Environment: env },
    );
    for (const [model, s] of [...stats].sort(([a], [b]) => a.localeCompare(b))) {
      emitReviewMetrics(
        metrics,
        model,
        { CasesExpired: s.expired, PendingCases: s.pending, OldestPendingAgeSeconds: ageSeconds(s.oldestPendingCreatedAt, nowMs) },
        { Environment: env },
      );
    }
    logger.info('expiry run finished', { ...summary, now: nowIso });
    return summary;
  } catch (err) {
    logger.error('review-expiry run failed (cases expired so far stay expired; the next run continues)', {
      expiredSoFar: expiredIds.size,
      ...describeError(err),
    });
    throw err;
  }
}
