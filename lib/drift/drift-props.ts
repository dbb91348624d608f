/** A feature the drift job watches. */
export interface DriftFeatureDefinition {
  /** An SQL-safe identifier: letters, digits and `_`, starting with a letter or `_`. */
  readonly name: string;
  /** `numeric` gets PSI and KS; `categorical` gets PSI and the share of unseen values. */
  readonly type: 'numeric' | 'categorical';
}

/** When a feature counts as drifted. */
export interface DriftThresholds {
  /** Population stability index. @default 0.2 */
  readonly psi?: number;
  /** Kolmogorov-Smirnov statistic (numeric features). @default 0.1 */
  readonly ks?: number;
  /** Share of missing values. @default 0.05 */
  readonly missingRate?: number;
  /** Share of categorical values not seen in the baseline. @default 0.01 */
  readonly unseenShare?: number;
}

/** The thresholds a drift job uses where none are given. */
export const DEFAULT_DRIFT_THRESHOLDS: Required<DriftThresholds> = { psi: 0.2, ks: 0.1, missingRate: 0.05, unseenShare: 0.01 };

/**
 * Data drift detection over an endpoint's data capture, and the retraining it starts. The drift
 * job runs on `schedule` over the last `windowHours`; a feature past any threshold emits
 * `Model Drift Detected`, which starts the model's retraining at most once per `debounceMinutes`.
 */
export interface DriftSettings {
  /** EventBridge schedule expression, e.g. `rate(1 hour)` or `cron(0 * * * ? *)`. */
  readonly schedule: string;
  /** Hours of capture each run reads (1 to 168). */
  readonly windowHours: number;
  /**
   * How long SageMaker may take to upload a request's data capture: each window ends at the last
   * full hour at least this many minutes before the run (`[end − windowHours h, end)`, with
   * `end = floor-to-hour(run − captureSettleMinutes)`), so a run does not count an hour whose
   * capture files are still arriving. Consecutive runs `windowHours` apart still tile the capture
   * without gap or overlap (every end moves by the same amount). Whole minutes, 0 to 1440.
   *
   * @default DEFAULT_DRIFT_CAPTURE_SETTLE_MINUTES (15)
   */
  readonly captureSettleMinutes?: number;
  /** @default DEFAULT_DRIFT_THRESHOLDS */
  readonly thresholds?: DriftThresholds;
  /** Non-missing values a feature needs in the window before it is judged. @default 100 */
  readonly minSamples?: number;
  /**
   * An external SageMaker Pipeline (in this account and region) that retrains the model, for a
   * model without the platform's own training pipeline.
   *
   * @default - the model's own training pipeline, when one is wired (see DriftRetraining)
   */
  readonly retrainingPipelineName?: string;
  /** At most one retraining start per endpoint in this period. @default 1440 (one day) */
  readonly debounceMinutes?: number;
}

/** Default of {@link DriftSettings.debounceMinutes}. */
export const DEFAULT_DRIFT_DEBOUNCE_MINUTES = 24 * 60;
/** Default of {@link DriftSettings.captureSettleMinutes}: SageMaker uploads capture files minutes after the requests. */
export const DEFAULT_DRIFT_CAPTURE_SETTLE_MINUTES = 15;
/** Largest {@link DriftSettings.captureSettleMinutes} (one day); lambdas/drift-query checks the same bound. */
export const MAX_DRIFT_CAPTURE_SETTLE_MINUTES = 24 * 60;
/** Default of {@link DriftSettings.minSamples}. */
export const DEFAULT_DRIFT_MIN_SAMPLES = 100;
