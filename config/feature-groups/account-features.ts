import type { z } from 'zod';
import type { featureGroupConfigSchema } from '../feature-store';

/** Per-account spending features for the fraud model, refreshed from the curated transactions. */
export const accountFeatures: z.input<typeof featureGroupConfigSchema> = {
  name: 'account-spend',
  description: 'Rolling spend per account for fraud scoring',
  recordIdentifier: 'account_id',
  eventTime: 'event_time',
  features: [
    { name: 'account_id', type: 'String' },
    { name: 'event_time', type: 'String' },
    { name: 'txn_count_24h', type: 'Integral' },
    { name: 'amount_sum_24h', type: 'Fractional' },
    { name: 'amount_max_7d', type: 'Fractional' },
    { name: 'distinct_merchants_7d', type: 'Integral' },
  ],
  onlineStore: true,
  offlineStore: true,
  onlineTtlHours: 72,
};
