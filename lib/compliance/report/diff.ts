import type { ComplianceReport, FindingRef, ReportDiff } from './model';

const findingKey = (f: FindingRef) => `${f.plugin}|${f.finding}|${f.path}`;
const waiverKey = (w: { id: string; path: string }) => `${w.id}|${w.path}`;
const resourceKey = (r: { stack: string; logicalId: string }) => `${r.stack}|${r.logicalId}`;

function onlyIn<T>(items: readonly T[], other: readonly T[], key: (item: T) => string): T[] {
  const keys = new Set(other.map(key));
  const seen = new Set<string>();
  return items.filter((item) => {
    const k = key(item);
    if (keys.has(k) || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * What changed between two reports of the same environment: findings that are newly open or
 * no longer open, waivers added or removed, resources added or removed.
 */
export function diffComplianceReports(previous: ComplianceReport, current: ComplianceReport): ReportDiff {
  const open = (report: ComplianceReport): FindingRef[] =>
    report.findings.filter((f) => f.outcome === 'fail').map((f) => ({ plugin: f.plugin, finding: f.finding, path: f.path }));
  const waivers = (report: ComplianceReport) => report.waivers.map((w) => ({ id: w.id, path: w.path }));
  const resources = (report: ComplianceReport) => report.inventory.map((r) => ({ stack: r.stack, logicalId: r.logicalId, type: r.type, path: r.path }));
  return {
    previousGeneratedAt: previous.evidence.generatedAt,
    previousCommit: previous.evidence.git.commit,
    newFindings: onlyIn(open(current), open(previous), findingKey),
    resolvedFindings: onlyIn(open(previous), open(current), findingKey),
    newWaivers: onlyIn(waivers(current), waivers(previous), waiverKey),
    removedWaivers: onlyIn(waivers(previous), waivers(current), waiverKey),
    addedResources: onlyIn(resources(current), resources(previous), resourceKey),
    removedResources: onlyIn(resources(previous), resources(current), resourceKey),
  };
}
