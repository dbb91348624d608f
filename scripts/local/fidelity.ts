/**
 * The fidelity report of a local deploy: for each CloudFormation resource type in the deployed
 * templates, how many resources the emulator materialised and how many it skipped, and why.
 * "Materialised" is what the emulator's ListStackResources returns, never what the template or
 * the CDK CLI says.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EmulatorSkip } from './emulator';

/** One resource of a deployed template. */
export interface TemplateResource {
  readonly stack: string;
  readonly logicalId: string;
  readonly type: string;
  /** The construct path (aws:cdk:path), when the template records it. */
  readonly path?: string;
}

export type SkipCause = 'type not implemented by moto' | 'moto failed to create it' | 'custom resource not run' | 'stack not deployed';

export interface SkippedResource extends TemplateResource {
  readonly cause: SkipCause;
  readonly reason: string;
}

export interface TypeFidelity {
  readonly type: string;
  readonly materialised: number;
  readonly skipped: number;
}

export interface FidelityReport {
  readonly materialised: number;
  readonly skipped: number;
  readonly total: number;
  /** materialised / total, 0..1 */
  readonly ratio: number;
  readonly byType: readonly TypeFidelity[];
  readonly skippedResources: readonly SkippedResource[];
}

/** CDK's own bookkeeping, not infrastructure: left out of the counts. */
const NOT_INFRASTRUCTURE = new Set(['AWS::CDK::Metadata']);

/**
 * Compares the templates with what the emulator holds.
 *
 * @param materialised logical IDs the emulator lists, by stack name; a stack missing here was not deployed
 * @param skips the emulator launcher's reports of resources it could not create
 */
export function buildFidelityReport(
  resources: readonly TemplateResource[],
  materialised: ReadonlyMap<string, ReadonlySet<string>>,
  skips: readonly EmulatorSkip[],
  notDeployedReason: (stack: string) => string = () => 'stack not deployed',
): FidelityReport {
  const counted = resources.filter((r) => !NOT_INFRASTRUCTURE.has(r.type));
  const byType = new Map<string, { materialised: number; skipped: number }>();
  const skippedResources: SkippedResource[] = [];
  for (const resource of counted) {
    const entry = byType.get(resource.type) ?? { materialised: 0, skipped: 0 };
    byType.set(resource.type, entry);
    const listed = materialised.get(resource.stack);
    if (listed?.has(resource.logicalId)) {
      entry.materialised += 1;
      continue;
    }
    entry.skipped += 1;
    skippedResources.push({ stack: resource.stack, logicalId: resource.logicalId, type: resource.type, ...skipCause(resource, listed !== undefined, skips, notDeployedReason) });
  }
  const materialisedCount = counted.length - skippedResources.length;
  return {
    materialised: materialisedCount,
    skipped: skippedResources.length,
    total: counted.length,
    ratio: counted.length === 0 ? 0 : materialisedCount / counted.length,
    byType: [...byType.entries()]
      .map(([type, counts]) => ({ type, ...counts }))
      .sort((a, b) => a.type.localeCompare(b.type)),
    skippedResources,
  };
}

function skipCause(
  resource: TemplateResource,
  stackDeployed: boolean,
  skips: readonly EmulatorSkip[],
  notDeployedReason: (stack: string) => string,
): { cause: SkipCause; reason: string } {
  if (!stackDeployed) return { cause: 'stack not deployed', reason: notDeployedReason(resource.stack) };
  const reported = skips.find((s) => s.logicalId === resource.logicalId && s.type === resource.type);
  if (reported && isCustomResource(resource.type)) return { cause: 'custom resource not run', reason: reported.reason };
  if (reported) return { cause: 'moto failed to create it', reason: withRootCause(reported, skips) };
  return { cause: 'type not implemented by moto', reason: `moto's CloudFormation has no model for ${resource.type}` };
}

function isCustomResource(type: string): boolean {
  return type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';
}

/**
 * A skip caused by another one ("references undefined resource X") also names the first skip in
 * the chain, so the report shows the root cause.
 */
export function withRootCause(skip: EmulatorSkip, skips: readonly EmulatorSkip[]): string {
  let current = skip;
  const seen = new Set<string>([skip.logicalId]);
  for (;;) {
    const referenced = /references undefined resource (\w+)/.exec(current.reason)?.[1];
    const next = referenced ? skips.find((s) => s.logicalId === referenced) : undefined;
    if (!next || seen.has(next.logicalId)) break;
    seen.add(next.logicalId);
    current = next;
  }
  return current === skip ? skip.reason : `${skip.reason} (root cause: ${current.logicalId} ${current.type}: ${current.reason})`;
}

/** One line for the console and the README: "fidelity: 180/270 resources materialised (67%), 90 skipped". */
export function fidelityHeadline(report: FidelityReport): string {
  const percent = Math.round(report.ratio * 100);
  return `fidelity: ${report.materialised}/${report.total} resources materialised (${percent}%), ${report.skipped} skipped by the emulator`;
}

/** The report as Markdown: the per-type table, then each skipped resource with its reason. */
export function formatFidelityMarkdown(report: FidelityReport): string {
  const lines = [
    '# Local deploy fidelity',
    '',
    fidelityHeadline(report),
    '',
    '| CloudFormation type | materialised | skipped |',
    '| --- | ---: | ---: |',
    ...report.byType.map((t) => `| ${t.type} | ${t.materialised} | ${t.skipped} |`),
    '',
    '## Skipped resources',
    '',
  ];
  if (report.skippedResources.length === 0) lines.push('None.');
  const byCause = groupBy(report.skippedResources, (r) => r.cause);
  for (const [cause, skipped] of byCause) {
    lines.push(`### ${cause} (${skipped.length})`, '');
    for (const r of skipped) lines.push(`- ${r.stack} ${r.logicalId} (${r.type}): ${r.reason}`);
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** The per-type table for the console. */
export function formatFidelityTable(report: FidelityReport): string {
  const width = Math.max(...report.byType.map((t) => t.type.length), 'type'.length);
  const rows = report.byType.map((t) => `  ${t.type.padEnd(width)}  ${String(t.materialised).padStart(5)}  ${String(t.skipped).padStart(5)}`);
  return [`  ${'type'.padEnd(width)}  ${'made'.padStart(5)}  ${'skip'.padStart(5)}`, ...rows].join('\n');
}

/** Writes fidelity.json and fidelity.md into `directory`; returns their paths. */
export function writeFidelityReport(directory: string, report: FidelityReport): { json: string; markdown: string } {
  mkdirSync(directory, { recursive: true });
  const json = join(directory, 'fidelity.json');
  const markdown = join(directory, 'fidelity.md');
  writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(markdown, formatFidelityMarkdown(report));
  return { json, markdown };
}

function groupBy<T, K>(items: readonly T[], key: (item: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return groups;
}
