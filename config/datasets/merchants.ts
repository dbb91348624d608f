import type { DatasetDefinition } from '../../lib/data-lake/dataset';

/** Merchant reference data, a daily CSV export from the partner system. */
export const merchants: DatasetDefinition = {
  name: 'merchants',
  version: 1,
  format: 'csv',
  recordIdField: 'merchant_id',
  duplicatePolicy: 'reject',
  freshnessMinutes: 26 * 60,
  fields: [
    { name: 'merchant_id', type: 'string', required: true, nullable: false, maxLength: 32 },
    { name: 'name', type: 'string', required: true, nullable: false, maxLength: 256 },
    { name: 'country', type: 'string', required: true, nullable: false, maxLength: 2 },
    { name: 'risk_tier', type: 'integer', required: false, min: 1, max: 5 },
  ],
};
