import { GetMetricStatisticsCommand, paginateDescribeAlarms } from '@aws-sdk/client-cloudwatch';
import { type AwsCallContext, controlPlaneClients } from './connection';

/** Names of every metric and composite alarm currently in ALARM. */
export async function alarmsInAlarm(context: AwsCallContext): Promise<string[]> {
  const names: string[] = [];
  const pages = paginateDescribeAlarms(
    { client: controlPlaneClients(context).cloudWatch },
    { StateValue: 'ALARM', MaxRecords: 100, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
  );
  for await (const page of pages) {
    for (const alarm of [...(page.MetricAlarms ?? []), ...(page.CompositeAlarms ?? [])]) {
      if (alarm.AlarmName) names.push(alarm.AlarmName);
    }
  }
  return names;
}

export interface Datapoint {
  readonly timestamp: Date;
  readonly sum: number;
}

/** GetMetricStatistics (Sum) of one metric with one dimension over the last `hours`, hourly. */
export async function hourlySums(
  context: AwsCallContext,
  metric: { namespace: string; name: string; dimension: { name: string; value: string } },
  hours: number,
  now: Date = new Date(),
): Promise<Datapoint[]> {
  const answer = await controlPlaneClients(context).cloudWatch.send(
    new GetMetricStatisticsCommand({
      Namespace: metric.namespace,
      MetricName: metric.name,
      Dimensions: [{ Name: metric.dimension.name, Value: metric.dimension.value }],
      StartTime: new Date(now.getTime() - hours * 3_600_000),
      EndTime: now,
      Period: 3600,
      Statistics: ['Sum'],
    }),
  );
  return (answer.Datapoints ?? [])
    .map((d) => ({ timestamp: d.Timestamp ?? new Date(0), sum: d.Sum ?? 0 }))
    .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
}
