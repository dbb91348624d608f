import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { EnvironmentConfig } from '../../config/schema';
import { PlatformAlarmTopic } from '../alerting/platform-alarm-topic';
import { CostGuardrails } from '../cost/cost-guardrails';
import { PlatformKeys } from '../keys/platform-keys';
import { PlatformNetwork } from '../network/platform-network';
import { AccessLogsBucket } from '../storage/secure-bucket';

/** Properties for {@link FoundationStack}. */
export interface FoundationStackProps extends StackProps {
  readonly config: EnvironmentConfig;
}

/** Per-environment base: keys, the VPC with its endpoints, the access-log bucket, the alarm topic and cost guardrails. */
export class FoundationStack extends Stack {
  public readonly keys: PlatformKeys;
  public readonly network: PlatformNetwork;
  public readonly accessLogs: AccessLogsBucket;
  /** Every alarm of the environment notifies this topic; the config's alarm e-mail subscribes. */
  public readonly alarms: PlatformAlarmTopic;
  /** The environment's budget and cost anomaly detection. */
  public readonly cost: CostGuardrails;

  constructor(scope: Construct, id: string, props: FoundationStackProps) {
    super(scope, id, props);
    const { config } = props;
    const removalPolicy = config.removalPolicy === 'destroy' ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN;
    this.keys = new PlatformKeys(this, 'Keys', { removalPolicy });
    this.accessLogs = new AccessLogsBucket(this, 'AccessLogs', { removalPolicy });
    this.alarms = new PlatformAlarmTopic(this, 'Alarms', { encryptionKey: this.keys.logs, emails: [config.alarmEmail] });
    this.cost = new CostGuardrails(this, 'Cost', {
      environmentName: config.name,
      monthlyBudgetUsd: config.cost.monthlyBudgetUsd,
      alertThresholdsPercent: config.cost.alertThresholdsPercent,
      anomalyThresholdUsd: config.cost.anomalyThresholdUsd,
      topic: this.alarms.topic,
      topicKey: this.keys.logs,
    });
    this.network = new PlatformNetwork(this, 'Network', {
      vpcCidr: config.network.vpcCidr,
      availabilityZones: config.network.availabilityZones,
      logsKey: this.keys.logs,
      flowLogRetention: (config.network.flowLogRetentionDays ?? config.logRetentionDays) as logs.RetentionDays,
      removalPolicy,
    });
  }
}
