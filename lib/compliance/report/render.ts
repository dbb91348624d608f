import type { ComplianceReport, Finding, RuleSummary } from './model';

const OUTCOME_LABEL: Record<string, string> = {
  pass: 'pass',
  fail: 'FAIL',
  acknowledged: 'acknowledged',
  'not-applicable': 'not applicable',
};

/** The headline numbers every output form shows, in this order. */
export function summaryCounts(report: ComplianceReport): Array<[key: string, label: string, value: number]> {
  const s = report.summary;
  return [
    ['resources', 'Resources', s.resources],
    ['rules', 'Rules', s.rules],
    ['evaluations', 'Evaluations', s.evaluations],
    ['pass', 'Pass', s.pass],
    ['fail', 'Fail', s.fail],
    ['acknowledged', 'Acknowledged', s.acknowledged],
    ['notApplicable', 'Not applicable', s.notApplicable],
    ['openFindings', 'Open findings', s.openFindings],
    ['acknowledgedFindings', 'Acknowledged findings', s.acknowledgedFindings],
    ['waivers', 'Waivers', s.waivers],
    ['waiversExpiringSoon', 'Waivers expiring within 30 days', s.waiversExpiringSoon],
    ['controlsAssessed', 'Controls assessed by tooling', s.controlsAssessed],
    ['controlsNotAssessed', 'Controls not assessed by tooling', s.controlsNotAssessed],
  ];
}

// ---------------------------------------------------------------- Markdown

const md = (text: unknown) => String(text ?? '').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function mdTable(header: string[], rows: unknown[][]): string {
  if (rows.length === 0) return '_None._\n';
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(md).join(' | ')} |`)].join('\n') + '\n';
}

/** The report as Markdown: the same sections as index.html. */
export function renderMarkdown(report: ComplianceReport): string {
  const e = report.evidence;
  const out: string[] = [];
  out.push(`# Compliance report: ${e.environment || '(app)'}\n`);
  out.push('## Evidence\n');
  out.push(
    mdTable(
      ['item', 'value'],
      [
        ['environment', e.environment],
        ['account / region', `${e.account} / ${e.region}`],
        ['synthesized at', e.generatedAt],
        ['git commit', `${e.git.commit ?? 'unknown'}${e.git.dirty ? ' (uncommitted changes)' : e.git.dirty === false ? ' (clean)' : ''}`],
        ['aws-cdk-lib', e.versions.awsCdkLib],
        ['cdk-nag', e.versions.cdkNag],
        ['CloudFormation validator (@aws/cloudformation-validate)', e.versions.cloudFormationValidator],
        ['Control Tower guard (cdk-validator-cfnguard / cfn-guard)', `${e.versions.cdkValidatorCfnguard} / ${e.versions.cfnGuard}`],
        ['Plinth rules', e.versions.plinthRules],
        ['gate', `nag packs ${e.gate.nagPacks ? 'on' : 'off'}, Plinth rules ${e.gate.plinthRules ? 'on' : 'off'}, Control Tower ${e.gate.controlTower ? 'on' : 'off'}`],
      ],
    ),
  );
  out.push(mdTable(['stack', 'template', 'sha256'], e.templates.map((t) => [t.stack, `${e.assemblyDirectory}/${t.file}`, t.sha256])));
  out.push('## Summary\n');
  out.push(mdTable(['count', 'value'], summaryCounts(report).map(([, label, value]) => [label, value])));
  out.push('## Control matrix\n');
  for (const framework of report.frameworks) {
    out.push(`### ${framework.name}\n`);
    out.push(
      mdTable(
        ['control', 'result', 'rules', 'pass', 'fail', 'acknowledged', 'not applicable'],
        framework.controls.map((c) => [c.id, OUTCOME_LABEL[c.outcome], c.rules.join(', '), c.pass, c.fail, c.acknowledged, c.notApplicable]),
      ),
    );
    if (framework.notAssessedByTooling.length > 0) {
      out.push(`Not assessed by tooling (${framework.name}):\n`);
      out.push(mdTable(['control', 'title', 'procedure'], framework.notAssessedByTooling.map((m) => [m.id, m.title, m.procedure])));
    }
  }
  out.push("## Plinth's ML rules\n");
  out.push(ruleTable(report.rules.filter((r) => r.source === 'plinth')));
  out.push('## Findings\n');
  out.push(
    mdTable(
      ['result', 'plugin', 'finding', 'resource', 'message', 'waiver'],
      report.findings.map((f) => [OUTCOME_LABEL[f.outcome], f.plugin, f.finding, f.path, f.message, f.waiver ? `${f.waiver.reason} (owner ${f.waiver.owner}, expires ${f.waiver.expires})` : '']),
    ),
  );
  out.push('## Waiver register\n');
  out.push(
    mdTable(
      ['rule', 'resource path', 'reason', 'owner', 'expires', 'days left', 'findings'],
      report.waivers.map((w) => [w.id, w.path, w.reason, w.owner, w.expires, `${w.daysLeft}${w.expiringSoon ? ' ⚠ expires within 30 days' : ''}`, w.findingsCovered]),
    ),
  );
  out.push('## Resource inventory\n');
  out.push(
    mdTable(
      ['type', 'path', 'encryption', 'public exposure', 'logging', 'data classification', 'owner'],
      report.inventory.map((i) => [i.type, i.path, i.encryption, i.publicExposure, i.logging, i.dataClassification ?? '(untagged)', i.owner ?? '(untagged)']),
    ),
  );
  out.push('## Changes since the previous report\n');
  out.push(renderDiffMarkdown(report));
  out.push('## Rule evaluations\n');
  out.push('Every rule with the resources it evaluated (not-applicable results are counted, not listed).\n');
  out.push(ruleTable(report.rules));
  for (const rule of report.rules.filter((r) => r.results.length > 0)) {
    out.push(`### ${rule.id}\n`);
    out.push(mdTable(['resource', 'result', 'findings'], rule.results.map((r) => [r.path, OUTCOME_LABEL[r.outcome], r.findings.join(', ')])));
  }
  return out.join('\n');
}

function ruleTable(rules: readonly RuleSummary[]): string {
  return mdTable(
    ['rule', 'plugin', 'title', 'controls', 'evaluated', 'pass', 'fail', 'acknowledged', 'not applicable'],
    rules.map((r) => [r.id, r.plugin, r.title, r.controls.join(', '), r.resourcesEvaluated, r.pass, r.fail, r.acknowledged, r.notApplicable]),
  );
}

function renderDiffMarkdown(report: ComplianceReport): string {
  const d = report.diff;
  if (!d) return '_No previous report to compare with._\n';
  const lines = [`Compared with the report of ${d.previousGeneratedAt} (commit ${d.previousCommit ?? 'unknown'}).\n`];
  lines.push(mdTable(['change', 'item'], [
    ...d.newFindings.map((f) => ['new finding', `${f.finding} at ${f.path}`]),
    ...d.resolvedFindings.map((f) => ['resolved finding', `${f.finding} at ${f.path}`]),
    ...d.newWaivers.map((w) => ['new waiver', `${w.id} at ${w.path}`]),
    ...d.removedWaivers.map((w) => ['removed waiver', `${w.id} at ${w.path}`]),
    ...d.addedResources.map((r) => ['added resource', `${r.type} ${r.path}`]),
    ...d.removedResources.map((r) => ['removed resource', `${r.type} ${r.path}`]),
  ]));
  return lines.join('\n');
}

// ---------------------------------------------------------------- CSV

const csvCell = (value: unknown) => {
  const text = String(value ?? '');
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

export const FINDINGS_CSV_HEADER = [
  'outcome', 'plugin', 'rule', 'finding', 'severity', 'environment', 'stack', 'logical_id', 'resource_type',
  'construct_path', 'template', 'message', 'waiver_reason', 'waiver_owner', 'waiver_expires',
] as const;

/** Every finding, open and acknowledged, one per line. */
export function renderFindingsCsv(report: ComplianceReport): string {
  const rows = report.findings.map((f) => [
    f.outcome, f.plugin, f.rule, f.finding, f.severity, report.evidence.environment, f.stack, f.logicalId, f.type,
    f.path, f.templateFile, f.message, f.waiver?.reason, f.waiver?.owner, f.waiver?.expires,
  ]);
  return [FINDINGS_CSV_HEADER, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

// ---------------------------------------------------------------- SARIF

const SARIF_LEVEL: Record<string, 'error' | 'warning' | 'note'> = { error: 'error', fatal: 'error', high: 'error', critical: 'error', warning: 'warning', medium: 'warning' };

/** The findings as SARIF 2.1.0: open ones as results, acknowledged ones as results with an accepted suppression. */
export function renderSarif(report: ComplianceReport): object {
  const ruleIds = [...new Set(report.findings.map((f) => f.rule))];
  const ruleById = new Map(report.rules.map((r) => [r.id, r]));
  const ruleOf = (f: Finding) => ruleById.get(f.rule);
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'Plinth compliance gate',
            version: report.evidence.versions.plinthRules,
            informationUri: 'https://github.com/cdklabs/cdk-nag',
            rules: ruleIds.map((id) => {
              const rule = ruleById.get(id);
              const sample = report.findings.find((f) => f.rule === id) as Finding;
              return {
                id,
                shortDescription: { text: rule?.title || sample.message || id },
                defaultConfiguration: { level: SARIF_LEVEL[(rule?.severity ?? sample.severity).toLowerCase()] ?? 'warning' },
                properties: { plugin: sample.plugin, controls: rule?.controls ?? [] },
              };
            }),
          },
        },
        automationDetails: { id: `plinth-compliance/${report.evidence.environment}/` },
        results: report.findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: ruleIds.indexOf(f.rule),
          level: SARIF_LEVEL[(ruleOf(f)?.severity ?? f.severity).toLowerCase()] ?? 'warning',
          message: { text: `${f.finding} at ${f.path}: ${f.message}` },
          locations: [
            {
              ...(f.templateFile
                ? { physicalLocation: { artifactLocation: { uri: `${report.evidence.assemblyDirectory}/${f.templateFile}`.replace(/^\.\//, '') } } }
                : {}),
              logicalLocations: [{ fullyQualifiedName: f.path, name: f.logicalId || f.path, kind: 'resource' }],
            },
          ],
          partialFingerprints: { plinthFinding: `${f.plugin}|${f.finding}|${f.path}` },
          ...(f.outcome === 'acknowledged'
            ? {
                suppressions: [
                  {
                    kind: 'external',
                    status: 'accepted',
                    justification: f.waiver ? `${f.waiver.reason} (owner ${f.waiver.owner}, expires ${f.waiver.expires})` : 'acknowledged',
                  },
                ],
              }
            : {}),
        })),
      },
    ],
  };
}
