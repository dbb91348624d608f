import type { App } from 'aws-cdk-lib';
import type { EnvironmentConfig } from '../../config/schema';
import { applyComplianceGate, type ComplianceGateOptions } from '../compliance/compliance-gate';
import { PlatformStage, type PlatformStageProps } from './platform-stage';

/**
 * Builds one {@link PlatformStage} per environment under the compliance gate.
 *
 * @param promotionTargets the accounts later on the promotion path than an environment
 * @param trainingSetJob builds the training-set job the training pipelines use (see {@link PlatformStageProps})
 * @param gate options of the compliance gate (the main job starts the validator engine in a worker)
 */
export function buildPlatformApp(
  app: App,
  environments: readonly EnvironmentConfig[],
  promotionTargets: (environment: string) => readonly string[] = () => [],
  trainingSetJob?: PlatformStageProps['trainingSetJob'],
  gate: ComplianceGateOptions = {},
): PlatformStage[] {
  applyComplianceGate(app, gate);
  return environments.map(
    (config) => new PlatformStage(app, config.name, { config, promotionTargetAccounts: promotionTargets(config.name), trainingSetJob }),
  );
}
