import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { acknowledgeFinding } from '../compliance/acknowledge';
import type { PlatformServiceProps } from '../compute/platform-service-props';
import { VpcFunction } from '../compute/vpc-function';
import { PlinthError } from '../errors';
import { failureModeAlarm } from '../monitoring/failure-modes';
import { PLATFORM_WAIVER } from '../compliance/platform-waiver';

/** The namespace `endpoint-capacity` publishes to. */
export const ENDPOINT_CAPACITY_NAMESPACE = 'Plinth/Endpoints';
const METRIC_PERIOD = Duration.minutes(5);

/** One endpoint to watch: its production variants and their caps. */
export interface WatchedEndpoint {
  /** Used in construct IDs and alarm names. */
  readonly modelName: string;
  readonly endpointName: string;
  /** Variant name → its maxCapacity (the cost cap). */
  readonly variantMaxCapacity: Readonly<Record<string, number>>;
}

/** Properties for {@link EndpointCapacityWatch}. */
export interface EndpointCapacityWatchProps extends PlatformServiceProps {
  readonly endpoints: readonly WatchedEndpoint[];
  /** How long a variant may sit at its cap before the alarm fires; a multiple of 5 minutes. */
  readonly atMaxFor: Duration;
}

/**
 * Instance count against the cap, per endpoint variant. SageMaker publishes no instance-count
 * metric for variants, so a small function (`endpoint-capacity`) reads DescribeEndpoint every
 * minute and publishes InstanceCount, MaxInstanceCount and AtMaxCapacity; an alarm fires when a
 * variant has been at its cap for the configured time (load the cap cannot serve, or a scaling loop).
 */
export class EndpointCapacityWatch extends Construct {
  public readonly function: lambda.IFunction;
  /** `<model>/<variant>` → its alarm. */
  public readonly alarms: Record<string, cloudwatch.Alarm> = {};
  /** The watch cannot describe an endpoint, or does not run: its AtMaxCapacity alarms read OK unmeasured. */
  public readonly blindAlarm: cloudwatch.Alarm;
  private readonly endpoints: readonly WatchedEndpoint[];

  constructor(scope: Construct, id: string, props: EndpointCapacityWatchProps) {
    super(scope, id);
    if (props.endpoints.length === 0) throw new PlinthError(`EndpointCapacityWatch ${this.node.path}: no endpoints to watch`);
    const periods = props.atMaxFor.toMinutes() / METRIC_PERIOD.toMinutes();
    if (!Number.isInteger(periods) || periods < 1) {
      throw new PlinthError(`EndpointCapacityWatch ${this.node.path}: atMaxFor must be a multiple of 5 minutes (got ${props.atMaxFor.toMinutes()} minutes)`);
    }
    this.endpoints = props.endpoints;
    const stack = Stack.of(this);
    const created = new VpcFunction(this, 'Function', {
      handlerFolder: 'endpoint-capacity',
      description: 'Plinth endpoint-capacity: instance count against the cap, per endpoint variant',
      statements: [
        new iam.PolicyStatement({
          sid: 'DescribeEndpoints',
          actions: ['sagemaker:DescribeEndpoint'],
          resources: props.endpoints.map((e) => stack.formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: e.endpointName.toLowerCase() })),
        }),
      ],
      environment: {
        ENDPOINTS: JSON.stringify(props.endpoints.map((e) => ({ endpointName: e.endpointName, variants: e.variantMaxCapacity }))),
        PLINTH_ENV: props.environmentName,
      },
      vpc: props.vpc,
      logsKey: props.logsKey,
      logRetention: props.logRetention,
      removalPolicy: props.removalPolicy,
      timeout: Duration.seconds(30),
      reservedConcurrency: 1,
      keepLogicalIdsOf: { function: 'Function', logGroup: 'Logs', role: 'FunctionRole', policy: 'FunctionPolicy', securityGroup: 'FunctionSecurityGroup' },
    });
    this.function = created.function;
    for (const pack of ['NIST.800.53.R5', 'HIPAA.Security']) {
      acknowledgeFinding(created.function, {
        rule: `${pack}-LambdaDLQ`,
        reason: 'Invoked by a one-minute schedule to publish a gauge; a failed run has nothing to redeliver, the next minute measures again.',
        ...PLATFORM_WAIVER,
      });
    }
    new events.Rule(this, 'EveryMinute', {
      description: 'Measures endpoint variant instance counts against their caps',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.function, { retryAttempts: 0 })],
    });

    // A variant the function cannot read publishes no AtMaxCapacity, which the alarms above read as
    // OK: this alarm makes the watch's own blindness loud (an endpoint it cannot describe, or no run).
    this.blindAlarm = failureModeAlarm(this, 'CapacityWatchBlind', 'capacity-watch-blind', {
      alarmAction: props.alarmAction,
      runbookBaseUrl: props.runbookBaseUrl,
      description: 'The endpoint capacity watch could not describe an endpoint, or did not run, for 15 minutes: AtMaxCapacity reads OK without being measured.',
      metric: new cloudwatch.Metric({
        namespace: ENDPOINT_CAPACITY_NAMESPACE,
        metricName: 'EndpointsUnreadable',
        dimensionsMap: { Watch: 'endpoint-capacity' },
        statistic: cloudwatch.Stats.MAXIMUM,
        period: Duration.minutes(5),
      }),
      threshold: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
    });

    for (const endpoint of props.endpoints) {
      for (const [variantName, max] of Object.entries(endpoint.variantMaxCapacity)) {
        this.alarms[`${endpoint.modelName}/${variantName}`] = failureModeAlarm(this, `AtMaxCapacity-${endpoint.modelName}-${variantName}`, 'endpoint-at-max-capacity', {
          alarmAction: props.alarmAction,
          runbookBaseUrl: props.runbookBaseUrl,
          description: `Variant ${variantName} of ${endpoint.endpointName} has run at its cap of ${max} instances for ${props.atMaxFor.toMinutes()} minutes.`,
          metric: this.metricAtMaxCapacity(endpoint.endpointName, variantName),
          threshold: 1,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          evaluationPeriods: periods,
          treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        });
      }
    }
  }

  /** The watched variants of an endpoint (those with autoscaling). */
  public variantsOf(endpointName: string): string[] {
    return Object.keys(this.endpoints.find((e) => e.endpointName === endpointName)?.variantMaxCapacity ?? {});
  }

  /** 1 while the variant is at its cap; its Minimum over a period is 1 only if it was there the whole period. */
  public metricAtMaxCapacity(endpointName: string, variantName: string): cloudwatch.Metric {
    return this.metric('AtMaxCapacity', endpointName, variantName, cloudwatch.Stats.MINIMUM);
  }

  /** The variant's instance count (as published every minute). */
  public metricInstanceCount(endpointName: string, variantName: string): cloudwatch.Metric {
    return this.metric('InstanceCount', endpointName, variantName, cloudwatch.Stats.MAXIMUM);
  }

  /** The variant's cap, for drawing next to the instance count. */
  public metricMaxInstanceCount(endpointName: string, variantName: string): cloudwatch.Metric {
    return this.metric('MaxInstanceCount', endpointName, variantName, cloudwatch.Stats.MAXIMUM);
  }

  private metric(metricName: string, endpointName: string, variantName: string, statistic: string): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: ENDPOINT_CAPACITY_NAMESPACE,
      metricName,
      dimensionsMap: { Endpoint: endpointName, Variant: variantName },
      statistic,
      period: METRIC_PERIOD,
    });
  }
}
