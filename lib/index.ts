// Plinth's public API: L3 constructs with secure defaults, guardrails and the compliance gate.
export * from './keys/platform-keys';
export * from './network/platform-network';
export * from './network/platform-network-props';
export * from './storage/secure-bucket';
export * from './guardrails/permissions-boundary';
export * from './guardrails/platform-guardrails';
export * from './guardrails/required-tags';
export * from './guardrails/removal-policy-guard';
export * from './guardrails/endpoint-instance-limits';
export * from './compliance/acknowledge';
export * from './compliance/compliance-gate';
export * from './compliance/enforce-gate';
export * from './compliance/validation-report';
export * from './platform/foundation-stack';
export * from './platform/platform-stage';
export * from './platform/platform-app';
