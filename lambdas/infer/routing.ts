/**
 * Confidence routing: does an answer need a human?
 *
 *   degraded        the answer came from the fallback (always reviewed)
 *   high-stakes     label ∈ HIGH_STAKES_LABELS (whatever the confidence)
 *   low-confidence  confidence < CONFIDENCE_THRESHOLD (strictly below: a
 *                   confidence equal to the threshold is NOT reviewed)
 *
 * `reason` is the first that applies in that order; `reasons` lists them all.
 */

export type ReviewReason = 'degraded' | 'high-stakes' | 'low-confidence';

export interface RoutingInput {
  label: string;
  confidence: number;
  degraded: boolean;
}

export interface RoutingPolicy {
  confidenceThreshold: number;
  highStakesLabels: ReadonlySet<string>;
}

export type RoutingDecision = { needsReview: false } | { needsReview: true; reason: ReviewReason; reasons: ReviewReason[] };

export function route(answer: RoutingInput, policy: RoutingPolicy): RoutingDecision {
  const reasons: ReviewReason[] = [];
  if (answer.degraded) reasons.push('degraded');
  if (policy.highStakesLabels.has(answer.label)) reasons.push('high-stakes');
  if (answer.confidence < policy.confidenceThreshold) reasons.push('low-confidence');
  const [reason] = reasons;
  return reason === undefined ? { needsReview: false } : { needsReview: true, reason, reasons };
}
