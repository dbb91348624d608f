import type { z } from 'zod';
import type { featureGroupConfigSchema } from '../feature-store';

/**
 * Per-account spending features for the fraud model, computed from the curated transactions: for
 * each account and each time it transacted, the trailing 24-hour count and sum, the 7-day maximum
 * and the number of distinct merchant categories in 7 days. The same definition fills the store
 * (feature pipeline), builds training sets (point in time) and serves the gateway (online lookup).
 */
export const accountFeatures: z.input<typeof featureGroupConfigSchema> = {
  name: 'account-spend',
  description: 'Rolling spend per account for fraud scoring',
  recordIdentifier: 'account_id',
  eventTime: 'event_time',
  features: [
    { name: 'account_id', type: 'String' },
    { name: 'event_time', type: 'String' },
    { name: 'txn_count_24h', type: 'Integral', min: 0, max: 10_000 },
    { name: 'amount_sum_24h', type: 'Fractional', min: 0, max: 10_000_000 },
    { name: 'amount_max_7d', type: 'Fractional', min: 0, max: 1_000_000 },
    { name: 'distinct_categories_7d', type: 'Integral', min: 0, max: 10_000 },
  ],
  onlineStore: true,
  offlineStore: true,
  onlineTtlHours: 72,
  source: {
    dataset: 'transactions',
    // The widest window below is 7 days.
    lookbackDays: 7,
    sql: `
WITH txn AS (
  SELECT account_id, occurred_at, from_iso8601_timestamp(occurred_at) AS ts, amount, merchant_category
  FROM transactions
)
SELECT
  cur.account_id AS account_id,
  cur.occurred_at AS event_time,
  CAST(SUM(CASE WHEN prev.ts > cur.ts - INTERVAL '1' DAY THEN 1 ELSE 0 END) AS BIGINT) AS txn_count_24h,
  CAST(SUM(CASE WHEN prev.ts > cur.ts - INTERVAL '1' DAY THEN prev.amount ELSE 0 END) AS DOUBLE) AS amount_sum_24h,
  CAST(MAX(prev.amount) AS DOUBLE) AS amount_max_7d,
  CAST(COUNT(DISTINCT prev.merchant_category) AS BIGINT) AS distinct_categories_7d
FROM (SELECT DISTINCT account_id, occurred_at, ts FROM txn) cur
JOIN txn prev
  ON prev.account_id = cur.account_id
 AND prev.ts <= cur.ts
 AND prev.ts > cur.ts - INTERVAL '7' DAY
GROUP BY cur.account_id, cur.occurred_at`,
  },
  refresh: { schedule: 'rate(1 hour)' },
};
