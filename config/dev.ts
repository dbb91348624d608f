import { merchants } from './datasets/merchants';
import { accountFeatures } from './feature-groups/account-features';
import { fraudDetector } from './models/fraud-detector';
import { transactions } from './datasets/transactions';
import { transactionsLabels } from './datasets/transactions-labels';
import { groundTruthDataset } from './datasets/ground-truth';
import type { EnvironmentConfigInput } from './schema';

/** Development: cheap, disposable data, fast feedback. */
export const dev: EnvironmentConfigInput = {
  name: 'dev',
  account: '111111111111',
  region: 'us-east-1',
  network: { vpcCidr: '10.10.0.0/16', availabilityZones: ["us-east-1a", "us-east-1b"] },
  tags: { owner: 'ml-platform', costCenter: 'cc-1001', dataClassification: 'internal' },
  logRetentionDays: 30,
  removalPolicy: 'destroy',
  alarmEmail: 'ml-platform-dev@example.com',
  cost: { monthlyBudgetUsd: 2000, alertThresholdsPercent: [50, 80, 100], anomalyThresholdUsd: 100 },
  dataLake: {
    lifecycle: { infrequentAccessAfterDays: 30, glacierAfterDays: 90, noncurrentVersionExpirationDays: 30 },
    athenaBytesScannedCutoffPerQuery: 1_000_000_000,
    ingestion: { maxReceiveCount: 3, reservedConcurrency: 5, batchSize: 5 },
    datasets: [transactions, merchants, transactionsLabels, groundTruthDataset('fraud-detector')],
  },
  featureStore: { onlineStorageType: 'Standard', featureGroups: [accountFeatures] },
  modelRegistry: {
    models: [fraudDetector('dev', { account: '111111111111', region: 'us-east-1', instanceType: 'ml.g5.xlarge', minCapacity: 1, maxCapacity: 2, offHours: true, challenger: { image: '111111111111.dkr.ecr.us-east-1.amazonaws.com/fraud-detector-serving:1.1.0' } })],
    canary: { percent: 50, waitMinutes: 5 },
  },
  endpointInstanceLimits: { minPerVariant: 0, maxPerVariant: 2 },
};
