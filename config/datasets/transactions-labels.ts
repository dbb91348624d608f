import type { DatasetDefinition } from '../../lib/data-lake/dataset';

/**
 * The fraud model's training labels: one record per card transaction once its outcome is known
 * (a chargeback, or none by the end of the dispute period), as JSON Lines from the disputes system.
 * The model's training set (config/models/fraud-detector.ts, `training.trainingSet.labels`) joins
 * each label, at the transaction's time, with the account's features as they were just before it.
 * `is_fraud` is 1 or 0: the evaluation step reads labels as numbers.
 */
export const transactionsLabels: DatasetDefinition = {
  name: 'transactions_labels',
  version: 1,
  format: 'jsonl',
  recordIdField: 'transaction_id',
  duplicatePolicy: 'reject',
  // The disputes system exports once a day.
  freshnessMinutes: 26 * 60,
  fields: [
    { name: 'transaction_id', type: 'string', required: true, nullable: false, maxLength: 64 },
    { name: 'account_id', type: 'string', required: true, nullable: false, maxLength: 64 },
    { name: 'occurred_at', type: 'timestamp', required: true, nullable: false },
    { name: 'is_fraud', type: 'integer', required: true, nullable: false, min: 0, max: 1 },
    { name: 'labelled_at', type: 'timestamp', required: false },
  ],
};
