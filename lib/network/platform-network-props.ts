import type { RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as logs from 'aws-cdk-lib/aws-logs';

/** Properties for {@link PlatformNetwork}. */
export interface PlatformNetworkProps {
  /** IPv4 CIDR of the VPC, e.g. `10.10.0.0/16`. */
  readonly vpcCidr: string;
  /**
   * Availability zones to spread the isolated subnets over. Given explicitly so synth never
   * needs AWS credentials to look them up.
   */
  readonly availabilityZones: readonly string[];
  /** The key that encrypts the flow-log group. */
  readonly logsKey: kms.IKey;
  /**
   * How long flow logs are kept.
   *
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly flowLogRetention?: logs.RetentionDays;
  /**
   * What happens to the flow-log group when it leaves the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Interface endpoints beyond the ones every Plinth environment gets (see `PLATFORM_INTERFACE_ENDPOINTS`).
   *
   * @default - none
   */
  readonly additionalInterfaceEndpoints?: Record<string, ec2.InterfaceVpcEndpointAwsService>;
}
