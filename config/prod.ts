import { merchants } from './datasets/merchants';
import { accountFeatures } from './feature-groups/account-features';
import { fraudDetector } from './models/fraud-detector';
import { transactions } from './datasets/transactions';
import { transactionsLabels } from './datasets/transactions-labels';
import { groundTruthDataset } from './datasets/ground-truth';
import type { EnvironmentConfigInput } from './schema';

/** Production: never deletes data, three AZs, long log retention. */
export const prod: EnvironmentConfigInput = {
  name: 'prod',
  account: '333333333333',
  region: 'us-east-1',
  network: { vpcCidr: '10.30.0.0/16', availabilityZones: ["us-east-1a", "us-east-1b", "us-east-1c"] },
  tags: { owner: 'ml-platform', costCenter: 'cc-1001', dataClassification: 'restricted' },
  logRetentionDays: 365,
  removalPolicy: 'retain',
  alarmEmail: 'ml-platform-oncall@example.com',
  cost: { monthlyBudgetUsd: 25000, alertThresholdsPercent: [50, 80, 100], anomalyThresholdUsd: 1000 },
  dataLake: {
    lifecycle: { infrequentAccessAfterDays: 90, glacierAfterDays: 365, noncurrentVersionExpirationDays: 365 },
    athenaBytesScannedCutoffPerQuery: 100_000_000_000,
    ingestion: { maxReceiveCount: 5, reservedConcurrency: 50, batchSize: 5 },
    datasets: [transactions, merchants, transactionsLabels, groundTruthDataset('fraud-detector')],
  },
  featureStore: { onlineStorageType: 'Standard', featureGroups: [accountFeatures] },
  modelRegistry: {
    models: [fraudDetector('prod', { account: '333333333333', region: 'us-east-1', instanceType: 'ml.g5.2xlarge', minCapacity: 2, maxCapacity: 8, offHours: false })],
    canary: { percent: 10, waitMinutes: 30 },
  },
  endpointInstanceLimits: { minPerVariant: 2, maxPerVariant: 8 },
};
