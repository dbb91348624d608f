import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/schema';
import { DataLake } from '../data-lake/data-lake';
import type { FoundationStack } from './foundation-stack';

/** Properties for {@link DataLakeStack}. */
export interface DataLakeStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly foundation: FoundationStack;
}

/** The environment's data lake and its ingestion pipelines. */
export class DataLakeStack extends Stack {
  public readonly dataLake: DataLake;

  constructor(scope: Construct, id: string, props: DataLakeStackProps) {
    super(scope, id, props);
    const { config, foundation } = props;
    this.dataLake = new DataLake(this, 'DataLake', {
      encryptionKey: foundation.keys.dataLake,
      logsKey: foundation.keys.logs,
      serverAccessLogsBucket: foundation.accessLogs.bucket,
      vpc: foundation.network.vpc,
      datasets: config.dataLake.datasets,
      lifecycle: config.dataLake.lifecycle,
      athenaBytesScannedCutoffPerQuery: config.dataLake.athenaBytesScannedCutoffPerQuery,
      ingestion: config.dataLake.ingestion,
      logRetention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      alarmAction: foundation.alarms.alarmAction,
      environmentName: config.name,
    });
  }
}
