import type { App } from 'aws-cdk-lib';
import type { EnvironmentConfig } from '../../config/schema';
import { applyComplianceGate } from '../compliance/compliance-gate';
import { PlatformStage } from './platform-stage';

/** Builds one {@link PlatformStage} per environment under the compliance gate. */
export function buildPlatformApp(app: App, environments: readonly EnvironmentConfig[]): PlatformStage[] {
  applyComplianceGate(app);
  return environments.map((config) => new PlatformStage(app, config.name, { config }));
}
