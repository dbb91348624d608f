import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { alarmActionFor, FAILURE_MODE_METADATA_KEY, failureModeAlarmName, FAILURE_MODES, failureModesOf, type AlarmDestination, type FailureModeId } from '../monitoring/failure-modes';
import type { InferenceEndpoint } from './inference-endpoint';
import type { InferenceGateway } from './inference-gateway';

/** Properties for {@link endpointHealthAlarm}. */
export interface EndpointHealthAlarmProps {
  readonly endpoint: InferenceEndpoint;
  /** @default - the endpoint has no gateway */
  readonly gateway?: InferenceGateway;
  readonly alarmAction: AlarmDestination;
  /** @default 'docs/runbooks/' */
  readonly runbookBaseUrl?: string;
}

const HEALTH_MODES: FailureModeId[] = ['endpoint-errors', 'endpoint-degraded'];

/**
 * The one critical page for a serving path: a composite alarm that fires when the endpoint's 5xx
 * or latency alarm, or its gateway's degraded or breaker-open alarm, is in ALARM. Those alarms
 * notify the warning topic on their own, so an incident pages once, not four times.
 */
export function endpointHealthAlarm(scope: Construct, id: string, props: EndpointHealthAlarmProps): cloudwatch.CompositeAlarm {
  const members: cloudwatch.IAlarm[] = [
    props.endpoint.errorAlarm,
    props.endpoint.latencyAlarm,
    ...(props.gateway?.alarms.filter((a) => failureModesOf(a).includes('endpoint-degraded')) ?? []),
  ];
  const runbook = FAILURE_MODES['endpoint-errors'].runbook.replace(/^docs\/runbooks\//, props.runbookBaseUrl ?? 'docs/runbooks/');
  const alarm = new cloudwatch.CompositeAlarm(scope, id, {
    // `<env>-Health-<model>` in the platform (the id carries the model), as the runbooks name it.
    compositeAlarmName: failureModeAlarmName(scope, id),
    alarmRule: cloudwatch.AlarmRule.anyOf(...members.map((m) => cloudwatch.AlarmRule.fromAlarm(m, cloudwatch.AlarmState.ALARM))),
    alarmDescription: `${props.endpoint.endpointName} is unhealthy: 5xx errors, p99 latency over budget, or answers served degraded. Runbook: ${runbook}`,
  });
  alarm.addAlarmAction(alarmActionFor(props.alarmAction, 'critical'));
  alarm.node.addMetadata(FAILURE_MODE_METADATA_KEY, HEALTH_MODES);
  return alarm;
}
