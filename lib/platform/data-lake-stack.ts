import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/schema';
import { DataLake } from '../data-lake/data-lake';
import { HumanReviewQueue } from '../review/human-review-queue';
import type { FoundationStack } from './foundation-stack';

/** Properties for {@link DataLakeStack}. */
export interface DataLakeStackProps extends StackProps {
  readonly config: EnvironmentConfig;
  readonly foundation: FoundationStack;
}

/** The environment's data lake, its ingestion pipelines, and the human review loops that label into it. */
export class DataLakeStack extends Stack {
  public readonly dataLake: DataLake;
  /** Model name → the human review loop of its gateway (models with a `review` config only). */
  public readonly reviewQueues: Record<string, HumanReviewQueue> = {};

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
      alarmAction: foundation.alarms,
      environmentName: config.name,
    });
    // Review labels are ground truth for retraining, so the loop lives with the lake it writes to.
    for (const model of config.modelRegistry.models) {
      if (!model.review) continue;
      this.reviewQueues[model.name] = new HumanReviewQueue(this, `Review-${model.name}`, {
        modelName: model.name,
        allowedLabels: model.review.allowedLabels,
        sla: Duration.minutes(model.review.slaMinutes),
        groundTruthBucket: this.dataLake.curated.bucket,
        encryptionKey: foundation.keys.dataLake,
        logsKey: foundation.keys.logs,
        vpc: foundation.network.vpc,
        alarmAction: foundation.alarms,
        logRetention: config.logRetentionDays as logs.RetentionDays,
        removalPolicy: config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
        environmentName: config.name,
      });
    }
  }
}
