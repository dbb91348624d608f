import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/schema';
import { PlatformMonitoring } from '../monitoring/platform-monitoring';
import type { DataLakeStack } from './data-lake-stack';
import type { ModelsStack } from './models-stack';

/** Properties for {@link MonitoringStack}. */
export interface MonitoringStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly dataLake: DataLakeStack;
  readonly models: ModelsStack;
}

/** The environment's dashboard. Its alarms live next to what they watch, in the other stacks. */
export class MonitoringStack extends Stack {
  public readonly monitoring: PlatformMonitoring;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    this.monitoring = new PlatformMonitoring(this, 'Monitoring', {
      dashboardNamePrefix: `plinth-${props.config.name}`,
      dataLake: props.dataLake.dataLake,
      endpoints: Object.values(props.models.endpoints),
      gateways: Object.values(props.models.gateways),
      reviewQueues: Object.values(props.dataLake.reviewQueues),
      deployment: props.models.deployment,
      capacityWatch: props.models.capacityWatch,
      driftWatchedEndpoints: Object.values(props.models.driftMonitors).map((m) => m.endpointName),
      qualityMonitors: Object.values(props.models.qualityMonitors),
      // AWS publishes estimated charges in us-east-1 only.
      showBilling: props.config.region === 'us-east-1',
    });
  }
}
