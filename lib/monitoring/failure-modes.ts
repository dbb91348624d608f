import { Stack, Stage, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct, IConstruct } from 'constructs';
import { PlinthError } from '../errors';

/** How urgent: `critical` pages on-call now; `warning` goes to the team's queue. */
export type Severity = 'critical' | 'warning';

/** Routes an alarm to the notification target of its severity (e.g. `PlatformAlarmTopic`). */
export interface AlarmRouting {
  actionFor(severity: Severity): cloudwatch.IAlarmAction;
}

/** Where an alarm notifies: one action for every severity, or a routing by severity. */
export type AlarmDestination = cloudwatch.IAlarmAction | AlarmRouting;

/** The action for `severity` at `destination`. */
export function alarmActionFor(destination: AlarmDestination, severity: Severity): cloudwatch.IAlarmAction {
  return 'actionFor' in destination ? destination.actionFor(severity) : destination;
}

/** Who is paged first for a failure mode. */
export type FailureModeOwner = 'ml-platform' | 'data-engineering' | 'model-owner' | 'review-operations';

/** One way production fails, written down before it happens. */
export interface FailureMode {
  readonly title: string;
  /** The alarm(s) or metric that detect it, in words; the alarms themselves carry the mode's id. */
  readonly detection: string;
  /** What the platform does by itself, before anyone reads the alarm. */
  readonly mitigation: string;
  /** The runbook, relative to the repository root. */
  readonly runbook: string;
  readonly owner: FailureModeOwner;
  /** How urgent its alarms are, unless an alarm says otherwise (see composite alarms). */
  readonly severity: Severity;
}

/**
 * The catalogue of failure modes. Every alarm Plinth creates names one of these (see
 * {@link failureModeAlarm}); a test walks the synthesized app and fails if an alarm has no entry,
 * or an entry has no alarm, runbook or mitigation. `docs/failure-modes.md` is generated from it.
 */
export const FAILURE_MODES = {
  'source-offline': {
    title: 'Data source offline',
    detection: '`<env>-SourceSilent-<dataset>`: no object arrived within the dataset\'s freshnessMinutes (missing data breaches).',
    mitigation: 'Nothing partial is published: each object is ingested all-or-nothing, so consumers keep reading the last complete partition.',
    runbook: 'docs/runbooks/data-lake-source-silent.md',
    owner: 'data-engineering',
    severity: 'warning',
  },
  'schema-drift-breaking': {
    title: 'Breaking schema drift',
    detection: '`<env>-BreakingDrift-<dataset>`: records with a missing required field or a type change (metric BreakingDriftRecords).',
    mitigation: 'Each breaking record is quarantined with a machine-readable reason; curated data stays valid; a Schema Drift Detected event is emitted.',
    runbook: 'docs/runbooks/data-lake-breaking-drift.md',
    owner: 'data-engineering',
    severity: 'warning',
  },
  'quarantine-rate-high': {
    title: 'Quarantine rate high',
    detection: '`<env>-QuarantineRate-<dataset>`: more than the configured share (default 5%) of a dataset\'s records went to quarantine in 15 minutes; lines swallowed by one oversized record (a stray quote) count too (metrics RecordsQuarantined + QuarantinedSpannedLines over RecordsIn). `<env>-Unreadable-<dataset>`: an object could not be read at all (corrupt gzip, invalid UTF-8, empty, CSV without a header; metric ObjectsUnreadable), which adds no record to the rate; `<env>-Unreadable-unknown-dataset` likewise for objects under a prefix without a dataset schema.',
    mitigation: 'Every quarantined record keeps its reason, an excerpt and its byte range in the source object; curated holds only validated records; the ingestion manifest flags objects whose quarantined records span many lines, so the raw object can be repaired and replayed.',
    runbook: 'docs/runbooks/data-lake-quarantine-rate.md',
    owner: 'data-engineering',
    severity: 'warning',
  },
  'schema-drift-additive': {
    title: 'Additive schema drift',
    detection: '`<env>-AdditiveDrift-<dataset>`: records carry columns the schema does not declare (metric AdditiveDriftFields).',
    mitigation: 'Records are accepted and the new columns kept in curated; a Schema Drift Detected event records the fields so the schema can be updated.',
    runbook: 'docs/runbooks/data-lake-breaking-drift.md',
    owner: 'data-engineering',
    severity: 'warning',
  },
  'duplicate-check-truncated': {
    title: 'Duplicate-id check past its bound',
    detection: '`<env>-DuplicateCheckTruncated-<dataset>` (datasets with a recordIdField): an object held more distinct record ids than the duplicate check stores (1,000,000 per object), so a repeat of an id it could not store was curated (metric DuplicateIdsUntracked: the records whose id was not stored).',
    mitigation: 'Every record is still validated, and checked against the ids stored; the object\'s manifest marks it (duplicates.trackingTruncated, duplicates.idsUntracked) so consumers can deduplicate it on the recordIdField, and the runbook splits and replays it.',
    runbook: 'docs/runbooks/data-lake-duplicate-check-truncated.md',
    owner: 'data-engineering',
    severity: 'warning',
  },
  'ingestion-dead-letters': {
    title: 'Ingestion messages dead-lettered',
    detection: '`<env>-IngestDeadLetters`: the ingestion DLQ holds a message after every retry.',
    mitigation: 'Transient failures were retried (SDK retries, then SQS redelivery); the raw object is untouched and the message kept 14 days for a redrive, which is idempotent.',
    runbook: 'docs/runbooks/data-lake-ingest-dlq.md',
    owner: 'data-engineering',
    severity: 'critical',
  },
  throttling: {
    title: 'Throttling and backlog',
    detection: '`<env>-IngestBacklog` (oldest ingestion message over 30 minutes) and `<env>-IngestThrottles` (the ingest function is throttled).',
    mitigation: 'Messages wait in the queue (14-day retention) and are retried with backoff; reserved concurrency keeps ingestion from starving other functions.',
    runbook: 'docs/runbooks/data-lake-ingest-backlog.md',
    owner: 'data-engineering',
    severity: 'warning',
  },
  'endpoint-errors': {
    title: 'Endpoint 5xx errors or latency',
    detection: '`<env>-Errors5xx-<endpoint>` and `<env>-LatencyP99-<endpoint>` (warnings), and the `<env>-Health-<model>` composite alarm that pages when any of them, or the gateway\'s degraded alarms, fire.',
    mitigation: 'During a deployment SageMaker rolls the canary back on these alarms; at any time the gateway answers from its fallback and its circuit breaker stops calling a failing primary.',
    runbook: 'docs/runbooks/endpoint-degraded.md',
    owner: 'model-owner',
    severity: 'critical',
  },
  'model-rollback': {
    title: 'Model rollback',
    detection: '`<env>-Errors5xx-<endpoint>` or `<env>-LatencyP99-<endpoint>` in ALARM while a blue/green deployment runs (the same alarms are the deployment\'s auto-rollback alarms).',
    mitigation: 'SageMaker shifts all traffic back to the previous endpoint config; a replayed approval does not redeploy a rolled-back version.',
    runbook: 'docs/runbooks/model-rollback.md',
    owner: 'model-owner',
    severity: 'critical',
  },
  'endpoint-degraded': {
    title: 'Serving degraded (fallback in use)',
    detection: '`<env>-Degraded-<model>` (fallback answers for 5 minutes) and `<env>-BreakerOpen-<model>` on each gateway.',
    mitigation: 'Callers get the fallback model\'s or the rule-based answer, marked degraded and sent to human review; a single half-open probe closes the breaker when the primary recovers.',
    runbook: 'docs/runbooks/endpoint-degraded.md',
    owner: 'model-owner',
    severity: 'critical',
  },
  'low-confidence': {
    title: 'Low-confidence answers surge',
    detection: '`<env>-LowConfidenceShare-<model>`: over 20% of a gateway\'s answers needed review for 15 minutes.',
    mitigation: 'Every low-confidence or high-stakes answer is returned provisional (needs_review) and queued for a person; none is acted on silently.',
    runbook: 'docs/runbooks/review-backlog-over-sla.md',
    owner: 'model-owner',
    severity: 'warning',
  },
  'out-of-distribution-input': {
    title: 'Out-of-distribution input',
    detection: '`<env>-OutOfDistributionShare-<model>`: over 5% of a gateway\'s requests were rejected against the declared input schema for 15 minutes.',
    mitigation: 'Input outside the declared types, ranges or categories gets a 400 with the field and rule, and never reaches the model.',
    runbook: 'docs/runbooks/endpoint-degraded.md',
    owner: 'model-owner',
    severity: 'warning',
  },
  'review-backlog': {
    title: 'Review backlog over SLA',
    detection: '`<env>-BacklogAge-<model>` (oldest pending case past 80% of the SLA, or the expiry job silent), `<env>-CasesExpired-<model>`, `<env>-ReviewDeadLetters-<model>`.',
    mitigation: 'Cases past the SLA are marked expired and kept with their inputs (never lost); claims lapse so abandoned cases return to the queue.',
    runbook: 'docs/runbooks/review-backlog-over-sla.md',
    owner: 'review-operations',
    severity: 'critical',
  },
  'cost-spike': {
    title: 'Cost spike',
    detection: 'The environment budget (actual and forecast spend past each configured threshold) and Cost Anomaly Detection (an anomaly with at least the configured impact), both notifying the alarm topic.',
    mitigation: 'Every endpoint variant is capped at its maxCapacity and the environment\'s endpointInstanceLimits; Athena queries stop at the workgroup\'s scan limit; dev scales down off-hours.',
    runbook: 'docs/runbooks/cost-spike.md',
    owner: 'ml-platform',
    severity: 'warning',
  },
  'deployment-stuck': {
    title: 'Model deployment stuck',
    detection: '`<env>-DeploymentStuck` (an approval waited over an hour), `<env>-DeploymentDeadLetters`, `<env>-ApprovalsUndelivered`.',
    mitigation: 'Approvals wait in a FIFO queue and retry every 12 minutes for about five hours; the endpoint keeps serving the previous version meanwhile.',
    runbook: 'docs/runbooks/model-deployment-stuck.md',
    owner: 'ml-platform',
    severity: 'warning',
  },
  'endpoint-at-max-capacity': {
    title: 'Endpoint pinned at its instance cap',
    detection: '`<env>-AtMaxCapacity-<model>-<variant>`: the variant has run at its configured maxCapacity for cost.atMaxCapacityAlarmMinutes (metric AtMaxCapacity, namespace Plinth/Endpoints, published every minute by endpoint-capacity; SageMaker has no instance-count metric).',
    mitigation: 'The cap holds: spend cannot grow past maxCapacity; requests beyond capacity queue, time out at the gateway and get the fallback answer marked degraded.',
    runbook: 'docs/runbooks/endpoint-at-max-capacity.md',
    owner: 'ml-platform',
    severity: 'warning',
  },
  'capacity-watch-blind': {
    title: 'Endpoint capacity not measured',
    detection: '`<env>-CapacityWatchBlind`: for 15 minutes the endpoint capacity watch could not describe an endpoint it watches (metric EndpointsUnreadable, namespace Plinth/Endpoints, dimension Watch), or published nothing at all (missing data breaches). Its variants then publish no AtMaxCapacity, which their alarms read as OK.',
    mitigation: 'The caps hold without the watch: autoscaling never goes past a variant\'s maxCapacity and the environment\'s endpointInstanceLimits are enforced at synth; the watch measures again every minute, and the alarm clears on its own once it reads every endpoint.',
    runbook: 'docs/runbooks/capacity-watch-blind.md',
    owner: 'ml-platform',
    severity: 'warning',
  },
  'drift-detected': {
    title: 'Data drift detected',
    detection: '`<env>-DriftDetected-<endpoint>`: the scheduled drift job found at least one feature past its PSI, KS, missing-rate or unseen-category threshold (metric FeaturesDrifting, namespace Plinth/Drift).',
    mitigation: 'A Model Drift Detected event starts the model\'s retraining pipeline with the evidence as parameters, at most once per debounce period; the retrained model registers as PendingManualApproval and waits at the approval gate.',
    runbook: 'docs/runbooks/drift-detected.md',
    owner: 'model-owner',
    severity: 'warning',
  },
  'drift-loop-broken': {
    title: 'Drift job or retraining start failed',
    detection: '`<env>-DriftJobFailed-<endpoint>` (a drift state machine execution failed, timed out or was aborted, including a missing baseline), `<env>-DriftJobSilent-<endpoint>` (no window evaluated in twice the schedule: the job is not running at all), `<env>-DriftEventsUndelivered` (a drift event could not start retraining, or an approval could not build its baseline, after every retry), `<env>-BaselineJobFailed` (an approved package got no drift baseline), `<env>-DriftWindowGap-<endpoint>` (capture hours no run evaluated and none will: older than the week a window may reach back; metric CaptureHoursSkipped, namespace Plinth/Drift).',
    mitigation: 'The next scheduled run retries the drift job, and its window reaches back to where the last evaluated window ended (up to a week), so the hours of failed, late or missed runs are judged then; retraining starts are retried by EventBridge and Lambda and kept in a dead-letter queue; the endpoint keeps serving and the last good baseline stays in place.',
    runbook: 'docs/runbooks/drift-loop-broken.md',
    owner: 'ml-platform',
    severity: 'warning',
  },
  'drift-blind': {
    title: 'Drift job blind (capture missing)',
    detection: '`<env>-DriftBlind-<endpoint>`: the drift job found too little capture to judge any feature (each had fewer than minSamples rows) although the endpoint\'s production variants served at least twice minSamples requests that capture should have recorded (AWS/SageMaker Invocations × the capture sampling percentage; metric DriftBlind, namespace Plinth/Drift). Without it such a run reads FeaturesDrifting = 0, like a quiet window.',
    mitigation: 'No Model Drift Detected event and no retraining start from a window without evidence; the endpoint keeps serving; every scheduled run checks again, so the alarm clears by itself once capture returns.',
    runbook: 'docs/runbooks/drift-blind.md',
    owner: 'ml-platform',
    severity: 'warning',
  },
  'model-quality-decay': {
    title: 'Model quality decayed',
    detection: '<env>-QualityDecayed-<model>: the quality job judged a variant (at least minSamples labelled predictions) and its primary metric is worse than the baseline (the deployed package\'s evaluation.json, else the configured floor) by more than the tolerance (metric QualityDecayed, namespace Plinth/Quality).',
    mitigation: 'A Model Quality Decayed event starts the model\'s retraining pipeline with the evidence file as its cause, through the same debounced rule as drift; the retrained model waits at the approval gate.',
    runbook: 'docs/runbooks/model-quality-decay.md',
    owner: 'model-owner',
    severity: 'warning',
  },
  'ground-truth-stale': {
    title: 'Ground truth stale or missing',
    detection: '<env>-GroundTruthStale-<model>: label coverage of the window is below the configured floor, or no label has been observed for longer than the configured delay, or never, or a variant\'s capture holds less than half the predictions its requests (AWS/SageMaker Invocations × the capture sampling percentage) should have left, when that is at least minSamples (metric GroundTruthStale, namespace Plinth/Quality); <env>-QualityJobFailed-<model> when the job itself fails or does not run.',
    mitigation: 'The quality job keeps running and says "no labels" instead of reporting green; no decay event or A/B verdict is based on too few labels (minimum sample size), so nothing retrains or is promoted on missing evidence.',
    runbook: 'docs/runbooks/ground-truth-stale.md',
    owner: 'data-engineering',
    severity: 'warning',
  },
  // --- feature pipelines (#13) ---
  'features-stale': {
    title: 'Features stale',
    detection: '<env>-FeaturesStale-<group>: feature-ingest wrote no record of the group in twice its refresh period (metric RecordsWritten, namespace Plinth/Features; missing data breaches): no run, failed runs, or runs that succeeded but materialized nothing (no row in the window, or every row rejected).',
    mitigation: 'The gateway keeps serving: records past the online TTL are misses and follow the model\'s missing-record policy (fallback by default, counted as degraded); training sets drop records older than the TTL instead of using stale values.',
    runbook: 'docs/runbooks/features-stale.md',
    owner: 'data-engineering',
    severity: 'warning',
  },
  'feature-ingest-dead-letters': {
    title: 'Feature rows dead-lettered',
    detection: '<env>-FeatureDeadLetters-<group>: feature-ingest rejected rows (missing key, wrong type, out of range, refused by Feature Store, or too late: arrived more than the pipeline\'s lateness allowance after the event, so the run could not read all of its history; metric RecordsRejected, namespace Plinth/Features).',
    mitigation: 'Valid rows are written; every rejected row is kept with its reason under the dead-letter prefix (90 days), so nothing is dropped silently and a fixed run (for too-late rows, a backfill whose windowStart is before their event time) can re-ingest it idempotently.',
    runbook: 'docs/runbooks/feature-ingest-dead-letters.md',
    owner: 'data-engineering',
    severity: 'warning',
  },
  'feature-pipeline-failed': {
    title: 'Feature pipeline failed',
    detection: '<env>-FeaturePipelineFailed-<group>: a feature pipeline execution failed, timed out or was aborted (Athena query, scan limit, or a staged object that kept failing).',
    mitigation: 'Steps are retried with jittered backoff; the next scheduled run takes the rows that arrived in the failed window again (its arrival window looks back twice the refresh period) and rewrites them idempotently; the online store keeps its last records.',
    runbook: 'docs/runbooks/feature-pipeline-failed.md',
    owner: 'data-engineering',
    severity: 'warning',
  },
  // Training pipeline and batch inference (lib/training/).
  'training-failed': {
    title: 'Retraining failed',
    detection: '`<env>-TrainingFailed-<model>` (a training pipeline\'s TrainingSet, Train or Evaluate step failed, or its training-set bridge failed; SageMaker Pipelines metric StepFailed).',
    mitigation: 'Nothing is registered, so nothing can be approved or deployed: the endpoint keeps serving the current model; a new drift event (after the debounce period) or a manual start retries.',
    runbook: 'docs/runbooks/training-failed.md',
    owner: 'model-owner',
    severity: 'warning',
  },
  'evaluation-gate-rejected': {
    title: 'Retrained model rejected by the evaluation gate',
    detection: '`<env>-EvaluationGateRejected-<model>`: the RejectGate step of a training pipeline ran (the new model missed the floor or fell behind the champion by more than the tolerance); the alarm text gives the gate and the execution\'s FailureReason the values.',
    mitigation: 'The rejected model is never registered; the champion keeps serving; the evaluation report stays in the artifact bucket for diagnosis.',
    runbook: 'docs/runbooks/evaluation-gate-rejected.md',
    owner: 'model-owner',
    severity: 'warning',
  },
  'pipeline-stuck': {
    title: 'Training pipeline stuck',
    detection: '`<env>-PipelineStuck-<model>`: more executions started than finished within the stuck window, or a training-set callback sits in the dead-letter queue.',
    mitigation: 'Training jobs stop at their max runtime (Spot at max wait); the bridge state machine times out after two days and fails the step; retrain-trigger\'s debounce keeps a second execution from piling on.',
    runbook: 'docs/runbooks/pipeline-stuck.md',
    owner: 'ml-platform',
    severity: 'warning',
  },
  'batch-inference-failed': {
    title: 'Batch inference failed',
    detection: '`<env>-BatchInferenceFailed-<model>`: a batch inference execution failed, timed out or was aborted (a transform job failed, or a partition\'s input and output rows differ: ConservationError).',
    mitigation: 'Nothing partial is published: predictions are written only after the row counts match, to one fixed key per partition; the failed partition is released in the tracking table and claimed again by the next scheduled run; other partitions of the run are still scored.',
    runbook: 'docs/runbooks/batch-inference-failed.md',
    owner: 'model-owner',
    severity: 'warning',
  },
  'batch-inference-late-input': {
    title: 'Batch inference late input unscored',
    detection: '`<env>-BatchInferenceLateInput-<model>`: the last run found objects that arrived after their day partition had left the lookback window (a late ingest or a dead-letter redrive) and did not claim them (`LateObjectsUnscored` in `Plinth/BatchInference`).',
    mitigation: 'Each run sweeps `lateArrivalHorizon` days before the window and claims such partitions like any other, oldest first after the window\'s own days, scoring them whole; a partition over the per-run maximum is claimed by the next run; one scored before input fingerprints were recorded stays counted until an operator deletes its tracking item.',
    runbook: 'docs/runbooks/batch-inference-late-input.md',
    owner: 'model-owner',
    severity: 'warning',
  },
} as const satisfies Record<string, FailureMode>;

export type FailureModeId = keyof typeof FAILURE_MODES;

/** Metadata key that ties an alarm to the failure modes it detects. */
export const FAILURE_MODE_METADATA_KEY = 'plinth:failure-modes';

/** Properties for {@link failureModeAlarm}. */
export interface FailureModeAlarmProps extends Omit<cloudwatch.AlarmProps, 'alarmDescription' | 'alarmName'> {
  /** What fired, in words; the runbook link is appended. */
  readonly description: string;
  /**
   * What the alarm watches (a model, an endpoint, a dataset), appended to its name:
   * `<env>-<id>-<subject>`. Leave it out when the id already names it or there is one per environment.
   *
   * @default - none: the alarm is named `<env>-<id>`
   */
  readonly subject?: string;
  /** Notified when the alarm fires (by severity, when it is a routing). */
  readonly alarmAction: AlarmDestination;
  /**
   * Overrides the modes' severity, e.g. `warning` for an alarm a composite alarm pages for.
   *
   * @default - critical if any of the modes is critical, else warning
   */
  readonly severity?: Severity;
  /** Where runbooks live (a URL or path prefix ending in `/`). @default 'docs/runbooks/' */
  readonly runbookBaseUrl?: string;
}

/**
 * Creates an alarm for one or more catalogued failure modes: its description links the first
 * mode's runbook, it notifies `alarmAction`, and it is tagged so the coverage test can find it.
 */
export function failureModeAlarm(
  scope: Construct,
  id: string,
  modes: FailureModeId | readonly FailureModeId[],
  props: FailureModeAlarmProps,
): cloudwatch.Alarm {
  const ids = typeof modes === 'string' ? [modes] : [...modes];
  const { description, alarmAction, runbookBaseUrl, severity, subject: _subject, ...alarmProps } = props;
  const runbook = FAILURE_MODES[ids[0]].runbook.replace(/^docs\/runbooks\//, runbookBaseUrl ?? 'docs/runbooks/');
  const alarm = new cloudwatch.Alarm(scope, id, {
    ...alarmProps,
    alarmName: failureModeAlarmName(scope, id, props.subject),
    alarmDescription: `${description} Runbook: ${runbook}`,
  });
  const level = severity ?? (ids.some((m) => FAILURE_MODES[m].severity === 'critical') ? 'critical' : 'warning');
  alarm.addAlarmAction(alarmActionFor(alarmAction, level));
  alarm.node.addMetadata(FAILURE_MODE_METADATA_KEY, ids);
  return alarm;
}

/**
 * The name an alarm pages with, `<env>-<id>[-<subject>]`, as the runbooks and
 * `docs/failure-modes.md` name it: `prod-Health-fraud-detector`, `dev-SourceSilent-transactions`.
 * `<env>` is the environment's stage (`dev`, `staging`, `prod`); outside a stage, the stack name,
 * so names stay unique within an account and region. Renaming replaces the alarm, which holds no state.
 */
export function failureModeAlarmName(scope: Construct, id: string, subject?: string): string {
  const stageName = Stage.of(scope)?.stageName;
  const env = stageName ? stageName : Stack.of(scope).stackName;
  const parts = [env, id, ...(subject === undefined ? [] : [subject])];
  for (const part of parts) {
    if (Token.isUnresolved(part)) continue;
    if (!/^[A-Za-z0-9._-]+$/.test(part)) {
      throw new PlinthError(`failureModeAlarm: "${part}" cannot be part of an alarm name; use letters, digits, '.', '_' and '-' in the id and subject`);
    }
  }
  return parts.join('-');
}

/**
 * Tags a detector that is not a CloudWatch alarm (a budget, an anomaly subscription) with the
 * failure modes it detects, so the coverage test counts it.
 */
export function markFailureModeDetector(detector: IConstruct, modes: readonly FailureModeId[]): void {
  detector.node.addMetadata(FAILURE_MODE_METADATA_KEY, [...modes]);
}

/** Metadata key on alarms that drive automation (step scaling) rather than notify anyone. */
export const CONTROL_ALARM_METADATA_KEY = 'plinth:control-alarm';

/** Marks an alarm as a control alarm: it drives automation (say, step scaling) and pages no one. */
export function markControlAlarm(alarm: IConstruct, purpose: string): void {
  alarm.node.addMetadata(CONTROL_ALARM_METADATA_KEY, purpose);
}

/** Whether an alarm was marked as a control alarm, and why. */
export function controlAlarmPurpose(alarm: IConstruct): string | undefined {
  return alarm.node.metadata.find((m) => m.type === CONTROL_ALARM_METADATA_KEY)?.data as string | undefined;
}

/** The failure modes an alarm construct was created for (empty when none). */
export function failureModesOf(alarm: IConstruct): FailureModeId[] {
  return alarm.node.metadata.filter((m) => m.type === FAILURE_MODE_METADATA_KEY).flatMap((m) => m.data as FailureModeId[]);
}
