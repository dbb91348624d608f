import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { DefaultDashboardFactory, MonitoringFacade } from 'cdk-monitoring-constructs';
import { QUALITY_METRIC_NAMESPACE } from '../quality/model-quality-monitor';
import type { ModelQualityMonitor } from '../quality/model-quality-monitor';
import { Construct } from 'constructs';
import type { DataLake } from '../data-lake/data-lake';
import type { ModelDriftMonitor } from '../drift/model-drift-monitor';
import type { EndpointCapacityWatch } from '../inference/endpoint-capacity-watch';
import type { InferenceEndpoint } from '../inference/inference-endpoint';
import type { InferenceGateway } from '../inference/inference-gateway';
import type { ModelDeployment } from '../model-registry/model-deployment';
import { REVIEW_METRIC_NAMESPACE, type HumanReviewQueue } from '../review/human-review-queue';

/** Properties for {@link PlatformMonitoring}. */
export interface PlatformMonitoringProps {
  /** Prefixes the dashboard's name, e.g. the environment name. */
  readonly dashboardNamePrefix: string;
  readonly dataLake: DataLake;
  readonly endpoints: readonly InferenceEndpoint[];
  readonly gateways: readonly InferenceGateway[];
  readonly reviewQueues: readonly HumanReviewQueue[];
  readonly deployment: ModelDeployment;
  /** Instance count against the cap per variant, when the environment has autoscaled variants. */
  readonly capacityWatch?: EndpointCapacityWatch;
  /**
   * The drift jobs; each endpoint's section shows its job's metrics.
   *
   * @default - none
   */
  readonly driftMonitors?: readonly ModelDriftMonitor[];
  /** Quality jobs: quality per variant, label coverage and cost per 1,000 on each endpoint's row. @default none */
  readonly qualityMonitors?: readonly ModelQualityMonitor[];
  /**
   * Show the account's estimated charges (AWS/Billing, published in us-east-1 only).
   *
   * @default true
   */
  readonly showBilling?: boolean;
}

const FIVE_MINUTES = Duration.minutes(5);

/** Quality per variant, label coverage and cost per 1,000 (daily, from the quality job). */
function qualityGroups(monitor: ModelQualityMonitor | undefined): Array<{ title: string; metrics: cloudwatch.Metric[] }> {
  if (!monitor) return [];
  const perVariant = (metricName: string) =>
    monitor.variantNames.map(
      (v) =>
        new cloudwatch.Metric({
          namespace: QUALITY_METRIC_NAMESPACE,
          metricName,
          dimensionsMap: { Endpoint: monitor.endpointName, Variant: v },
          statistic: cloudwatch.Stats.AVERAGE,
          period: Duration.days(1),
          label: v,
        }),
    );
  return [
    { title: 'Quality per variant (primary metric)', metrics: perVariant('PrimaryMetric') },
    { title: 'Label coverage (labelled / predicted)', metrics: perVariant('LabelCoverage') },
    { title: 'Cost per 1,000 predictions', metrics: perVariant('CostPer1000') },
  ];
}

/**
 * One CloudWatch dashboard per environment: endpoints (traffic, errors, latency, GPU, concurrency,
 * and the gateway's degraded and needs-review answers), ingestion (records in, curated,
 * quarantined, drift, freshness, queue and DLQ), the review loop (backlog and age), deployments,
 * and cost. cdk-monitoring-constructs draws the services it covers (Lambda, SQS, DynamoDB,
 * billing); SageMaker and Plinth's own metrics are drawn here. Alarms are not created here: every
 * alarm comes from `failureModeAlarm` next to what it watches.
 */
export class PlatformMonitoring extends Construct {
  public readonly facade: MonitoringFacade;

  constructor(scope: Construct, id: string, props: PlatformMonitoringProps) {
    super(scope, id);
    this.facade = new MonitoringFacade(this, 'Facade', {
      dashboardFactory: new DefaultDashboardFactory(this, 'Dashboards', {
        dashboardNamePrefix: props.dashboardNamePrefix,
        createDashboard: true,
        createSummaryDashboard: false,
        createAlarmDashboard: false,
      }),
    });
    const facade = this.facade;
    const sum = (m: cloudwatch.Metric) => m.with({ statistic: cloudwatch.Stats.SUM, period: FIVE_MINUTES });

    for (const endpoint of props.endpoints) {
      const gateway = props.gateways.find((g) => g.endpointName === endpoint.endpointName);
      const drift = props.driftMonitors?.find((m) => m.endpointName === endpoint.endpointName);
      facade.addLargeHeader(`Endpoint ${endpoint.endpointName}`);
      facade.monitorCustom({
        alarmFriendlyName: `endpoint-${endpoint.endpointName}`,
        metricGroups: [
          { title: 'Invocations and errors', metrics: [sum(endpoint.metricInvocations()), sum(endpoint.metricInvocation4xxErrors()), sum(endpoint.metricInvocation5xxErrors())] },
          {
            title: 'Model latency p50 / p99 (µs)',
            metrics: [
              endpoint.metricModelLatency({ statistic: cloudwatch.Stats.p(50), period: FIVE_MINUTES, label: 'p50' }),
              endpoint.metricModelLatency({ statistic: cloudwatch.Stats.p(99), period: FIVE_MINUTES, label: 'p99' }),
              endpoint.metricOverheadLatency({ statistic: cloudwatch.Stats.p(99), period: FIVE_MINUTES, label: 'overhead p99' }),
            ],
          },
          { title: 'GPU utilisation and memory (%)', metrics: [endpoint.metricGpuUtilization({ period: FIVE_MINUTES }), endpoint.metricGpuMemoryUtilization({ period: FIVE_MINUTES })] },
          { title: 'Concurrent requests per model (high resolution)', metrics: [endpoint.metricConcurrentRequestsPerModel()] },
          ...(props.capacityWatch && props.capacityWatch.variantsOf(endpoint.endpointName).length > 0
            ? [
                {
                  title: 'Instances against the cap',
                  metrics: props.capacityWatch.variantsOf(endpoint.endpointName).flatMap((variant) => [
                    props.capacityWatch!.metricInstanceCount(endpoint.endpointName, variant).with({ label: `${variant} instances` }),
                    props.capacityWatch!.metricMaxInstanceCount(endpoint.endpointName, variant).with({ label: `${variant} cap` }),
                  ]),
                },
              ]
            : []),
          ...(drift ? [{ title: 'Drift: features drifting, insufficient data, unbaselined, blind runs, capture hours skipped', metrics: [drift.metricFeaturesDrifting(), drift.metricFeaturesInsufficient(), drift.metricFeaturesUnbaselined(), drift.metricDriftBlind(), drift.metricCaptureHoursSkipped()] }] : []),
          ...qualityGroups(props.qualityMonitors?.find((m) => m.endpointName === endpoint.endpointName)),
          ...(gateway
            ? [
                {
                  title: 'Gateway: requests, degraded, needs review, rejected',
                  metrics: ['Requests', 'Degraded', 'NeedsReview', 'BadRequests', 'BreakerOpen'].map((name) => gateway.metric(name, { period: FIVE_MINUTES })),
                },
              ]
            : []),
        ],
      });
    }

    facade.addLargeHeader('Ingestion');
    const datasets = Object.keys(props.dataLake.tables);
    const ingest = (metricName: string, dataset: string) => props.dataLake.metricIngest(metricName, dataset, { period: FIVE_MINUTES, label: `${dataset} ${metricName}` });
    facade.monitorCustom({
      alarmFriendlyName: 'ingestion',
      metricGroups: [
        { title: 'Records in, curated, quarantined', metrics: datasets.flatMap((d) => ['RecordsIn', 'RecordsCurated', 'RecordsQuarantined'].map((m) => ingest(m, d))) },
        { title: 'Schema drift', metrics: datasets.flatMap((d) => ['AdditiveDriftFields', 'BreakingDriftRecords'].map((m) => ingest(m, d))) },
        { title: 'Freshness: objects received', metrics: datasets.map((d) => ingest('ObjectsReceived', d)) },
      ],
    });
    facade.monitorSqsQueueWithDlq({ queue: props.dataLake.ingestion.queue, deadLetterQueue: props.dataLake.ingestion.deadLetterQueue, alarmFriendlyName: 'ingestion-queue' });
    facade.monitorLambdaFunction({ lambdaFunction: props.dataLake.ingestion.function, alarmFriendlyName: 'ingest-function' });

    for (const review of props.reviewQueues) {
      facade.addLargeHeader(`Human review: ${review.modelName}`);
      const reviewMetric = (metricName: string, statistic: string) =>
        new cloudwatch.Metric({ namespace: REVIEW_METRIC_NAMESPACE, metricName, dimensionsMap: { Model: review.modelName }, statistic, period: FIVE_MINUTES });
      facade.monitorCustom({
        alarmFriendlyName: `review-${review.modelName}`,
        metricGroups: [
          { title: 'Backlog', metrics: [reviewMetric('PendingCases', cloudwatch.Stats.MAXIMUM), reviewMetric('CasesExpired', cloudwatch.Stats.SUM), reviewMetric('CasesLabelled', cloudwatch.Stats.SUM)] },
          { title: 'Oldest pending case (s)', metrics: [reviewMetric('OldestPendingAgeSeconds', cloudwatch.Stats.MAXIMUM)] },
        ],
      });
      facade.monitorSqsQueueWithDlq({ queue: review.queue, deadLetterQueue: review.deadLetterQueue, alarmFriendlyName: `review-queue-${review.modelName}` });
      facade.monitorDynamoTable({ table: review.table as dynamodb.ITable, alarmFriendlyName: `review-table-${review.modelName}` });
    }

    facade.addLargeHeader('Model deployments');
    facade.monitorCustom({
      alarmFriendlyName: 'deployments',
      metricGroups: [
        { title: 'Approved versions waiting, oldest wait (s)', metrics: [props.deployment.metricPendingApprovals(), props.deployment.metricOldestApprovalAge()] },
        { title: 'Failed deployments, undelivered approvals', metrics: [props.deployment.metricFailedDeployments(), props.deployment.metricUndeliveredApprovals()] },
      ],
    });
    facade.monitorSqsQueueWithDlq({ queue: props.deployment.queue, deadLetterQueue: props.deployment.deadLetterQueue, alarmFriendlyName: 'deployment-queue' });
    facade.monitorLambdaFunction({ lambdaFunction: props.deployment.function, alarmFriendlyName: 'deploy-model-function' });

    if (props.showBilling ?? true) {
      facade.addLargeHeader('Cost');
      facade.monitorBilling({ alarmFriendlyName: 'billing' });
    }
  }
}
