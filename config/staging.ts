import { merchants } from './datasets/merchants';
import { accountFeatures } from './feature-groups/account-features';
import { fraudDetector } from './models/fraud-detector';
import { transactions } from './datasets/transactions';
import { transactionsLabels } from './datasets/transactions-labels';
import { groundTruthDataset } from './datasets/ground-truth';
import type { EnvironmentConfigInput } from './schema';

/** Staging: production-like, keeps its data. */
export const staging: EnvironmentConfigInput = {
  name: 'staging',
  account: '222222222222',
  region: 'us-east-1',
  network: { vpcCidr: '10.20.0.0/16', availabilityZones: ["us-east-1a", "us-east-1b"] },
  tags: { owner: 'ml-platform', costCenter: 'cc-1001', dataClassification: 'confidential' },
  logRetentionDays: 90,
  removalPolicy: 'retain',
  alarmEmail: 'ml-platform-staging@example.com',
  cost: { monthlyBudgetUsd: 5000, alertThresholdsPercent: [50, 80, 100], anomalyThresholdUsd: 250 },
  dataLake: {
    lifecycle: { infrequentAccessAfterDays: 30, glacierAfterDays: 180, noncurrentVersionExpirationDays: 90 },
    athenaBytesScannedCutoffPerQuery: 10_000_000_000,
    ingestion: { maxReceiveCount: 5, reservedConcurrency: 10, batchSize: 5 },
    datasets: [transactions, merchants, transactionsLabels, groundTruthDataset('fraud-detector')],
  },
  featureStore: { onlineStorageType: 'Standard', featureGroups: [accountFeatures] },
  modelRegistry: {
    models: [fraudDetector('staging', { account: '222222222222', region: 'us-east-1', instanceType: 'ml.g5.xlarge', minCapacity: 1, maxCapacity: 4, offHours: false })],
    canary: { percent: 20, waitMinutes: 15 },
  },
  endpointInstanceLimits: { minPerVariant: 1, maxPerVariant: 4 },
};
