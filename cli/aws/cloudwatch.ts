import { type AwsCallContext, queryCall, xmlMembers, xmlValue } from './signed-request';

const VERSION = '2010-08-01';

/** Names of every metric and composite alarm currently in ALARM. */
export async function alarmsInAlarm(context: AwsCallContext): Promise<string[]> {
  const names: string[] = [];
  let token: string | undefined;
  do {
    const xml = await queryCall(context, 'monitoring', VERSION, 'DescribeAlarms', {
      StateValue: 'ALARM',
      MaxRecords: '100',
      'AlarmTypes.member.1': 'MetricAlarm',
      'AlarmTypes.member.2': 'CompositeAlarm',
      ...(token ? { NextToken: token } : {}),
    });
    for (const list of ['MetricAlarms', 'CompositeAlarms']) {
      for (const member of xmlMembers(xml, list)) {
        const name = xmlValue(member, 'AlarmName');
        if (name) names.push(name);
      }
    }
    token = xmlValue(xml, 'NextToken');
  } while (token);
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
  const xml = await queryCall(context, 'monitoring', VERSION, 'GetMetricStatistics', {
    Namespace: metric.namespace,
    MetricName: metric.name,
    'Dimensions.member.1.Name': metric.dimension.name,
    'Dimensions.member.1.Value': metric.dimension.value,
    StartTime: new Date(now.getTime() - hours * 3_600_000).toISOString(),
    EndTime: now.toISOString(),
    Period: '3600',
    'Statistics.member.1': 'Sum',
  });
  return xmlMembers(xml, 'Datapoints')
    .map((m) => ({ timestamp: new Date(xmlValue(m, 'Timestamp') ?? 0), sum: Number(xmlValue(m, 'Sum') ?? 0) }))
    .sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
}
