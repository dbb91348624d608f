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
  endpointInstanceLimits: { minPerVariant: 0, maxPerVariant: 2 },
};
