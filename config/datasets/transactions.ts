import type { DatasetDefinition } from '../../lib/data-lake/dataset';

/** Card transactions from the payments system, as JSON Lines. Scored by the fraud model. */
export const transactions: DatasetDefinition = {
  name: 'transactions',
  version: 1,
  format: 'jsonl',
  recordIdField: 'transaction_id',
  duplicatePolicy: 'keep-first',
  freshnessMinutes: 60,
  fields: [
    { name: 'transaction_id', type: 'string', required: true, nullable: false, maxLength: 64 },
    { name: 'account_id', type: 'string', required: true, nullable: false, maxLength: 64 },
    { name: 'amount', type: 'number', required: true, nullable: false, min: 0, max: 1_000_000 },
    { name: 'currency', type: 'string', required: true, nullable: false, enum: ['EUR', 'GBP', 'USD'] },
    { name: 'merchant_category', type: 'string', required: false, maxLength: 8 },
    { name: 'occurred_at', type: 'timestamp', required: true, nullable: false },
    { name: 'card_present', type: 'boolean', required: false },
  ],
};
