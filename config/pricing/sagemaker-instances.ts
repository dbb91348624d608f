import type { InstancePriceTable } from '../../lib/inference/scaling-simulation';

/**
 * On-demand prices of SageMaker AI real-time inference instances, for cost estimates (the scaling
 * what-if, `lib/inference/scaling-simulation.ts`). Not a bill: no savings plans, no data transfer,
 * no storage, one region.
 *
 * Update this table, and `asOf`, from https://aws.amazon.com/sagemaker/ai/pricing/ (tab "Real-Time
 * Inference", region US East (N. Virginia)) when a price changes or an instance type is added.
 */

/** The table's shape is the simulation's (lib/ may not import config/). */
export type { InstancePriceTable };

export const SAGEMAKER_REALTIME_PRICES: InstancePriceTable = {
  // Recorded 2026-11-22 from the published us-east-1 list as the author last knew it (mid-2024 figures);
  // this repository has no network access, so they were not re-checked on that date. Verify before budgeting.
  asOf: '2026-11-22 (figures as published mid-2024; not re-verified)',
  source: 'https://aws.amazon.com/sagemaker/ai/pricing/ (Real-Time Inference, on-demand)',
  region: 'us-east-1',
  currency: 'USD',
  pricePerHour: {
    'ml.g4dn.xlarge': 0.7364,
    'ml.g4dn.2xlarge': 0.94,
    'ml.g4dn.4xlarge': 1.505,
    'ml.g4dn.8xlarge': 2.72,
    'ml.g4dn.12xlarge': 4.89,
    'ml.g4dn.16xlarge': 5.44,
    'ml.g5.xlarge': 1.408,
    'ml.g5.2xlarge': 1.515,
    'ml.g5.4xlarge': 2.03,
    'ml.g5.8xlarge': 3.06,
    'ml.g5.12xlarge': 7.09,
    'ml.g5.16xlarge': 5.12,
    'ml.g5.24xlarge': 10.18,
    'ml.g5.48xlarge': 20.36,
    'ml.m5.large': 0.115,
    'ml.m5.xlarge': 0.23,
    'ml.m5.2xlarge': 0.461,
    'ml.c5.large': 0.119,
    'ml.c5.xlarge': 0.238,
  },
};
