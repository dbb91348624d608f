/**
 * DynamoDB access for the review loop. Every state transition is ONE
 * conditional write, so concurrent Lambdas and reviewers can never move a case
 * backwards or overwrite each other:
 *
 *   (absent) --intake--> pending --claim--> claimed --submit--> labelled
 *                           |                  |  ^ claim (lease lapsed / same reviewer)
 *                           +---expiry---------+--+--> expired
 *
 * `labelled` and `expired` are terminal; items are never deleted.
 * Reads of the GSI only rely on its keys (status, createdAt) and caseId, so
 * they work with any projection; the abandoned-claim filter in claim-next
 * and the per-model gauges of review-expiry use `claimLeaseUntil` and `model`
 * when the index projects them (projection ALL recommended).
 */

import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ReviewItem, ReviewStatus, STATUS_INDEX } from './case';

export function isConditionalCheckFailed(err: unknown): boolean {
  return err instanceof Error && err.name === 'ConditionalCheckFailedException';
}

/** Key material of a GSI entry (plus whatever else the index projects). */
export type IndexEntry = Pick<ReviewItem, 'caseId' | 'status' | 'createdAt'> & Partial<ReviewItem>;

export interface IndexPage {
  items: IndexEntry[];
  nextKey: Record<string, unknown> | undefined;
}

export interface QueryStatusOptions {
  /** Only entries with createdAt <= this (ISO). */
  createdAtLte?: string;
  /** Only entries whose claimLeaseUntil < this (ISO): abandoned claims. Needs the attribute projected. */
  leaseBefore?: string;
  /**
   * Only entries due by this time (ISO): slaDeadline <= it. An index that does not project
   * slaDeadline lets every entry through (the caller's conditional write still decides), so a
   * narrower projection costs writes, never a missed expiry.
   */
  dueBy?: string;
  limit?: number;
  startKey?: Record<string, unknown>;
}

export type PutResult = { kind: 'created' } | { kind: 'exists'; existing: ReviewItem };

export class ReviewTable {
  constructor(
    private readonly ddb: DynamoDBDocumentClient,
    readonly name: string,
  ) {}

  /** Create the case unless its caseId exists (never overwrite: a redelivery must not reset a claimed/labelled case). */
  async putNewCase(item: ReviewItem): Promise<PutResult> {
    try {
      await this.ddb.send(
        new PutCommand({
          TableName: this.name,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#caseId)',
          ExpressionAttributeNames: { '#caseId': 'caseId' },
        }),
      );
      return { kind: 'created' };
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw err;
    }
    const existing = await this.get(item.caseId);
    // Items are never deleted, so the case that failed the condition must be there.
    if (!existing) throw new Error(`case ${item.caseId} failed attribute_not_exists but cannot be read back`);
    return { kind: 'exists', existing };
  }

  async get(caseId: string): Promise<ReviewItem | undefined> {
    const out = await this.ddb.send(new GetCommand({ TableName: this.name, Key: { caseId }, ConsistentRead: true }));
    return out.Item as ReviewItem | undefined;
  }

  /** One page of the `status-createdAt` index, oldest first. */
  async queryStatus(status: ReviewStatus, opts: QueryStatusOptions = {}): Promise<IndexPage> {
    const names: Record<string, string> = { '#status': 'status' };
    const values: Record<string, unknown> = { ':status': status };
    let keyCondition = '#status = :status';
    if (opts.createdAtLte !== undefined) {
      names['#createdAt'] = 'createdAt';
      values[':createdAtLte'] = opts.createdAtLte;
      keyCondition += ' AND #createdAt <= :createdAtLte';
    }
    const filters: string[] = [];
    if (opts.leaseBefore !== undefined) {
      names['#claimLeaseUntil'] = 'claimLeaseUntil';
      values[':leaseBefore'] = opts.leaseBefore;
      filters.push('#claimLeaseUntil < :leaseBefore');
    }
    if (opts.dueBy !== undefined) {
      names['#slaDeadline'] = 'slaDeadline';
      values[':dueBy'] = opts.dueBy;
      filters.push('(attribute_not_exists(#slaDeadline) OR #slaDeadline <= :dueBy)');
    }
    const filter = filters.length > 0 ? filters.join(' AND ') : undefined;
    const out = await this.ddb.send(
      new QueryCommand({
        TableName: this.name,
        IndexName: STATUS_INDEX,
        KeyConditionExpression: keyCondition,
        ...(filter ? { FilterExpression: filter } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ScanIndexForward: true,
        ...(opts.limit !== undefined ? { Limit: opts.limit } : {}),
        ...(opts.startKey ? { ExclusiveStartKey: opts.startKey } : {}),
      }),
    );
    return { items: (out.Items ?? []) as IndexEntry[], nextKey: out.LastEvaluatedKey };
  }

  /**
   * pending -> claimed, or take over a claim whose lease lapsed, or renew the
   * caller's own claim. Returns the claimed item, or undefined when the
   * condition failed (or the case does not exist).
   */
  async claim(caseId: string, reviewer: string, nowIso: string, leaseUntilIso: string): Promise<ReviewItem | undefined> {
    return this.conditionalUpdate({
      caseId,
      update: 'SET #status = :claimed, #claimedBy = :reviewer, #claimedAt = :now, #claimLeaseUntil = :leaseUntil',
      condition:
        'attribute_exists(#caseId) AND (#status = :pending OR (#status = :claimed AND (#claimLeaseUntil < :now OR #claimedBy = :reviewer)))',
      names: ['caseId', 'status', 'claimedBy', 'claimedAt', 'claimLeaseUntil'],
      values: { ':claimed': 'claimed', ':pending': 'pending', ':reviewer': reviewer, ':now': nowIso, ':leaseUntil': leaseUntilIso },
    });
  }

  /**
   * Fix the ground-truth key of a case before writing the object, so every
   * retry of a submit (even on another day) writes the same S3 key. Only for
   * the claim holder; also allowed on a case that expired while the holder
   * was working (its label is kept, see review-api).
   */
  async reserveGroundTruthKey(caseId: string, reviewer: string, key: string): Promise<ReviewItem | undefined> {
    return this.conditionalUpdate({
      caseId,
      update: 'SET #groundTruthKey = if_not_exists(#groundTruthKey, :key)',
      condition: '(#status = :claimed OR #status = :expired) AND #claimedBy = :reviewer',
      names: ['status', 'claimedBy', 'groundTruthKey'],
      values: { ':claimed': 'claimed', ':expired': 'expired', ':reviewer': reviewer, ':key': key },
    });
  }

  /** claimed (by `reviewer`) -> labelled. */
  async markLabelled(
    caseId: string,
    reviewer: string,
    label: string,
    labelledAt: string,
    notes: string | undefined,
  ): Promise<ReviewItem | undefined> {
    return this.conditionalUpdate({
      caseId,
      update: `SET #status = :labelled, #label = :label, #labelledBy = :reviewer, #labelledAt = :labelledAt${
        notes !== undefined ? ', #notes = :notes' : ''
      }`,
      condition: '#status = :claimed AND #claimedBy = :reviewer',
      names: ['status', 'label', 'labelledBy', 'labelledAt', 'claimedBy', ...(notes !== undefined ? ['notes'] : [])],
      values: {
        ':labelled': 'labelled',
        ':claimed': 'claimed',
        ':label': label,
        ':reviewer': reviewer,
        ':labelledAt': labelledAt,
        ...(notes !== undefined ? { ':notes': notes } : {}),
      },
    });
  }

  /** Record a label that arrived after the case expired (status stays `expired`; the ground truth is kept). */
  async recordLateLabel(
    caseId: string,
    reviewer: string,
    label: string,
    labelledAt: string,
    notes: string | undefined,
  ): Promise<ReviewItem | undefined> {
    return this.conditionalUpdate({
      caseId,
      update: `SET #label = :label, #labelledBy = :reviewer, #labelledAt = :labelledAt${
        notes !== undefined ? ', #notes = :notes' : ''
      }`,
      condition: '#status = :expired AND #claimedBy = :reviewer',
      names: ['status', 'label', 'labelledBy', 'labelledAt', 'claimedBy', ...(notes !== undefined ? ['notes'] : [])],
      values: {
        ':expired': 'expired',
        ':label': label,
        ':reviewer': reviewer,
        ':labelledAt': labelledAt,
        ...(notes !== undefined ? { ':notes': notes } : {}),
      },
    });
  }

  /** pending|claimed with slaDeadline <= now -> expired. Undefined when the case moved on (or is not due). */
  async expire(caseId: string, nowIso: string): Promise<ReviewItem | undefined> {
    return this.conditionalUpdate({
      caseId,
      update: 'SET #status = :expired, #expiredAt = :now',
      condition: '(#status = :pending OR #status = :claimed) AND #slaDeadline <= :now',
      names: ['status', 'expiredAt', 'slaDeadline'],
      values: { ':expired': 'expired', ':pending': 'pending', ':claimed': 'claimed', ':now': nowIso },
    });
  }

  private async conditionalUpdate(req: {
    caseId: string;
    update: string;
    condition: string;
    names: string[];
    values: Record<string, unknown>;
  }): Promise<ReviewItem | undefined> {
    const names: Record<string, string> = {};
    for (const n of req.names) names[`#${n}`] = n;
    try {
      const out = await this.ddb.send(
        new UpdateCommand({
          TableName: this.name,
          Key: { caseId: req.caseId },
          UpdateExpression: req.update,
          ConditionExpression: req.condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: req.values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes as ReviewItem | undefined;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return undefined;
      throw err;
    }
  }
}
