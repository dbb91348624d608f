import type { App } from 'aws-cdk-lib';
import type { EnvironmentConfig } from '../../config/schema';
import { applyComplianceGate } from '../compliance/compliance-gate';
import { PlatformStage, type PlatformStageProps } from './platform-stage';

/**
 * Builds one {@link PlatformStage} per environment under the compliance gate.
 *
 * @param promotionTargets the accounts later on the promotion path than an environment
 * @param trainingSetJob builds the training-set job the training pipelines use (see {@link PlatformStageProps})
 */
export function buildPlatformApp(
  app: App,
  environments: readonly EnvironmentConfig[],
  promotionTargets: (environment: string) => readonly string[] = () => [],
  trainingSetJob?: PlatformStageProps['trainingSetJob'],
): PlatformStage[] {
  applyComplianceGate(app);
  return environments.map(
    (config) => new PlatformStage(app, config.name, { config, promotionTargetAccounts: promotionTargets(config.name), trainingSetJob }),
  );
}
