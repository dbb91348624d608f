/**
 * A window whose counts are the baseline's own, each multiplied by `factor`: the same proportions,
 * so it drifts on no statistic (tests that need a quiet window, or one feature overridden).
 */
import type { Baseline, WindowFeatureCounts } from '../../../../lambdas/drift-stats/statistics';

export function scaledWindow(baseline: Baseline, factor: number, overrides: Record<string, WindowFeatureCounts> = {}): { features: Record<string, WindowFeatureCounts> } {
  const features: Record<string, WindowFeatureCounts> = {};
  for (const [name, f] of Object.entries(baseline.features)) {
    features[name] =
      f.type === 'numeric'
        ? { type: 'numeric', counts: f.counts.map((c) => c * factor), missing: f.missing * factor, total: f.total * factor, edges: f.edges }
        : { type: 'categorical', counts: Object.fromEntries(Object.entries(f.counts).map(([k, c]) => [k, c * factor])), missing: f.missing * factor, total: f.total * factor };
  }
  return { features: { ...features, ...overrides } };
}
