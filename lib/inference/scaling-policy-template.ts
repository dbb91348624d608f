import { PlinthError } from '../errors';
import type { SimulatedMetric, SimulatedPolicy, SimulatedStep } from './scaling-simulation';
import type { ScheduledCapacity } from './scaling-schedule';

/** A CloudFormation template as synthesized (`Template.toJSON()` or a `*.template.json`). */
export interface CloudFormationTemplate {
  readonly Resources?: Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>;
}

const PREDEFINED: Record<string, SimulatedMetric> = {
  SageMakerVariantConcurrentRequestsPerModelHighResolution: 'concurrency',
  SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution: 'concurrency',
  SageMakerVariantInvocationsPerInstance: 'invocations',
  SageMakerInferenceComponentInvocationsPerCopy: 'invocations',
};

/**
 * Reads the scaling policy of `endpointName`'s `variantName` back from a synthesized template: the
 * scalable target (capacity and scheduled actions), its target-tracking policy, and its
 * step-scaling policies with their alarms' thresholds, turned into absolute metric bounds. This is
 * what the simulation should replay; a test compares it with {@link configuredPolicy}.
 *
 * @throws PlinthError when the template has no scalable target for the variant, or a policy the simulation does not model
 */
export function policyFromTemplate(template: CloudFormationTemplate, endpointName: string, variantName: string): SimulatedPolicy {
  const resources = Object.entries(template.Resources ?? {});
  const where = `endpoint ${endpointName} variant ${variantName}`;
  const target = resources.find(
    ([, r]) => r.Type === 'AWS::ApplicationAutoScaling::ScalableTarget' && r.Properties?.ResourceId === `endpoint/${endpointName}/variant/${variantName}`,
  );
  if (!target) throw new PlinthError(`the template has no scalable target for ${where}; is scaling configured for it?`);
  const [targetId, { Properties: tp = {} }] = target;
  const policies = resources.filter(
    ([, r]) => r.Type === 'AWS::ApplicationAutoScaling::ScalingPolicy' && JSON.stringify(r.Properties?.ScalingTargetId) === JSON.stringify({ Ref: targetId }),
  );
  const tracking = policies.map(([, r]) => r.Properties ?? {}).find((p) => p.PolicyType === 'TargetTrackingScaling');
  if (!tracking) throw new PlinthError(`${where} has no target-tracking policy in the template`);
  const config = tracking.TargetTrackingScalingPolicyConfiguration as {
    TargetValue: number;
    ScaleInCooldown?: number;
    ScaleOutCooldown?: number;
    PredefinedMetricSpecification?: { PredefinedMetricType: string };
  };
  const metric = PREDEFINED[config.PredefinedMetricSpecification?.PredefinedMetricType ?? ''];
  if (!metric) throw new PlinthError(`${where} tracks a metric the simulation does not model (${JSON.stringify(config.PredefinedMetricSpecification ?? 'custom metric')})`);

  const steps: SimulatedStep[] = [];
  const stepCooldowns: number[] = [];
  for (const [policyId, { Properties: p = {} }] of policies) {
    if (p.PolicyType !== 'StepScaling') continue;
    const alarm = resources.find(
      ([, r]) => r.Type === 'AWS::CloudWatch::Alarm' && JSON.stringify(r.Properties?.AlarmActions ?? []).includes(JSON.stringify({ Ref: policyId })),
    );
    if (!alarm) throw new PlinthError(`step-scaling policy ${policyId} of ${where} has no alarm in the template`);
    const threshold = alarm[1].Properties?.Threshold as number;
    const step = p.StepScalingPolicyConfiguration as {
      Cooldown?: number;
      StepAdjustments: Array<{ MetricIntervalLowerBound?: number; MetricIntervalUpperBound?: number; ScalingAdjustment: number }>;
    };
    if (step.Cooldown !== undefined) stepCooldowns.push(step.Cooldown);
    for (const adjustment of step.StepAdjustments) {
      steps.push({
        ...(adjustment.MetricIntervalLowerBound === undefined ? {} : { lower: threshold + adjustment.MetricIntervalLowerBound }),
        ...(adjustment.MetricIntervalUpperBound === undefined ? {} : { upper: threshold + adjustment.MetricIntervalUpperBound }),
        change: adjustment.ScalingAdjustment,
      });
    }
  }
  steps.sort((a, b) => (a.lower ?? -Infinity) - (b.lower ?? -Infinity));
  const scaleOutCooldownSeconds = config.ScaleOutCooldown ?? 0;
  if (stepCooldowns.some((c) => c !== scaleOutCooldownSeconds)) {
    throw new PlinthError(`${where}: the step-scaling cooldown (${stepCooldowns.join(', ')} s) differs from target tracking's scale-out cooldown (${scaleOutCooldownSeconds} s); the simulation uses one`);
  }
  const scheduled = (tp.ScheduledActions ?? []) as Array<{
    ScheduledActionName: string;
    Schedule: string;
    Timezone?: string;
    ScalableTargetAction: { MinCapacity: number; MaxCapacity: number };
  }>;
  const schedule: ScheduledCapacity[] = scheduled.map((a) => {
    const cron = /^cron\((.+)\)$/.exec(a.Schedule);
    if (!cron) throw new PlinthError(`${where}: scheduled action ${a.ScheduledActionName} uses "${a.Schedule}"; the simulation reads cron(...) schedules only`);
    return {
      name: a.ScheduledActionName,
      cron: cron[1],
      timeZone: a.Timezone ?? 'UTC',
      minCapacity: a.ScalableTargetAction.MinCapacity,
      maxCapacity: a.ScalableTargetAction.MaxCapacity,
    };
  });
  return {
    minCapacity: tp.MinCapacity as number,
    maxCapacity: tp.MaxCapacity as number,
    metric,
    target: config.TargetValue,
    scaleOutCooldownSeconds,
    scaleInCooldownSeconds: config.ScaleInCooldown ?? 0,
    steps,
    schedule,
  };
}
