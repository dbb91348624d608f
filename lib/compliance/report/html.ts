import type { ComplianceReport } from './model';
import { summaryCounts } from './render';

const escape = (text: unknown) =>
  String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

const OUTCOME_CLASS: Record<string, string> = { pass: 'pass', fail: 'fail', acknowledged: 'ack', 'not-applicable': 'na' };
const OUTCOME_LABEL: Record<string, string> = { pass: 'pass', fail: 'FAIL', acknowledged: 'acknowledged', 'not-applicable': 'not applicable' };
const badge = (outcome: string) => `<span class="badge ${OUTCOME_CLASS[outcome] ?? ''}">${escape(OUTCOME_LABEL[outcome] ?? outcome)}</span>`;

function table(header: string[], rows: string[][], className = ''): string {
  if (rows.length === 0) return '<p class="none">None.</p>';
  return `<table class="${className}"><thead><tr>${header.map((h) => `<th>${escape(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem;color:#1b1f24;max-width:1400px}
h1{font-size:1.6rem;margin:0 0 .5rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:2px solid #d0d7de;padding-bottom:.2rem}h3{font-size:1.05rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem;font-size:12.5px}th,td{border:1px solid #d0d7de;padding:.25rem .4rem;text-align:left;vertical-align:top;word-break:break-word}
th{background:#f3f5f7}code{font-size:12px}.none{color:#57606a;font-style:italic}
.summary{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:.5rem;margin:1rem 0}
.summary div{border:1px solid #d0d7de;border-radius:6px;padding:.5rem}.summary b{display:block;font-size:1.4rem}
.badge{display:inline-block;white-space:nowrap;border-radius:4px;padding:0 .35rem;font-size:11.5px;font-weight:600}
.pass{background:#dafbe1;color:#116329}.fail{background:#ffebe9;color:#a40e26}.ack{background:#fff8c5;color:#7d4e00}.na{background:#eaeef2;color:#57606a}
.soon{color:#a40e26;font-weight:600}details{margin:.2rem 0}summary{cursor:pointer}
nav a{margin-right:.8rem}
@media print{body{margin:0;font-size:10.5px;max-width:none}nav{display:none}h2{break-before:auto;break-after:avoid}tr,td,th{break-inside:avoid}details>summary{list-style:none}
a{color:inherit;text-decoration:none}.summary div{break-inside:avoid}}
`;

/**
 * The report as one self-contained HTML page: no external fetches, prints cleanly (every
 * collapsed section opens before printing). The summary counts carry `data-count` attributes.
 */
export function renderHtml(report: ComplianceReport): string {
  const e = report.evidence;
  const parts: string[] = [];
  parts.push(`<h1>Compliance report: ${escape(e.environment || '(app)')}</h1>`);
  parts.push(
    '<nav><a href="#evidence">Evidence</a><a href="#matrix">Control matrix</a><a href="#plinth">Plinth ML rules</a><a href="#findings">Findings</a><a href="#waivers">Waivers</a><a href="#inventory">Inventory</a><a href="#diff">Changes</a><a href="#rules">Rule evaluations</a></nav>',
  );
  parts.push(
    `<section class="summary" id="summary">${summaryCounts(report)
      .map(([key, label, value]) => `<div><b data-count="${key}">${value}</b>${escape(label)}</div>`)
      .join('')}</section>`,
  );
  parts.push('<h2 id="evidence">Evidence</h2>');
  parts.push(
    table(
      ['item', 'value'],
      [
        ['environment', escape(e.environment)],
        ['account / region', `${escape(e.account)} / ${escape(e.region)}`],
        ['synthesized at', escape(e.generatedAt)],
        ['git commit', `<code>${escape(e.git.commit ?? 'unknown')}</code> ${e.git.dirty ? '<span class="soon">uncommitted changes</span>' : e.git.dirty === false ? '(clean)' : ''}`],
        ['aws-cdk-lib', escape(e.versions.awsCdkLib)],
        ['cdk-nag', escape(e.versions.cdkNag)],
        ['CloudFormation validator (@aws/cloudformation-validate)', escape(e.versions.cloudFormationValidator)],
        ['Control Tower guard (cdk-validator-cfnguard / cfn-guard)', `${escape(e.versions.cdkValidatorCfnguard)} / ${escape(e.versions.cfnGuard)}`],
        ['Plinth rules', escape(e.versions.plinthRules)],
        ['gate', `nag packs ${e.gate.nagPacks ? 'on' : 'off'}, Plinth rules ${e.gate.plinthRules ? 'on' : 'off'}, Control Tower ${e.gate.controlTower ? 'on' : 'off'}`],
      ],
    ),
  );
  parts.push(table(['stack', 'template', 'sha256'], e.templates.map((t) => [escape(t.stack), `<code>${escape(`${e.assemblyDirectory}/${t.file}`)}</code>`, `<code>${escape(t.sha256)}</code>`])));

  parts.push('<h2 id="matrix">Control matrix</h2>');
  parts.push('<p>Each control, the rules that test it and their results over every resource they evaluated. Open a rule under <a href="#rules">Rule evaluations</a> for its resources.</p>');
  for (const framework of report.frameworks) {
    parts.push(`<h3>${escape(framework.name)}</h3>`);
    parts.push(
      table(
        ['control', 'result', 'rules', 'pass', 'fail', 'acknowledged', 'not applicable'],
        framework.controls.map((c) => [
          escape(c.id),
          badge(c.outcome),
          c.rules.map((r) => `<a href="#rule-${escape(r)}">${escape(r)}</a>`).join(', '),
          String(c.pass),
          String(c.fail),
          String(c.acknowledged),
          String(c.notApplicable),
        ]),
      ),
    );
    if (framework.notAssessedByTooling.length > 0) {
      parts.push(`<p><b>Not assessed by tooling</b> (${escape(framework.name)}):</p>`);
      parts.push(table(['control', 'title', 'procedure'], framework.notAssessedByTooling.map((m) => [escape(m.id), escape(m.title), escape(m.procedure)])));
    }
  }

  parts.push("<h2 id=\"plinth\">Plinth's ML rules</h2>");
  parts.push(
    table(
      ['rule', 'what it requires', 'NIST 800-53 R5', 'evaluated', 'pass', 'fail', 'acknowledged'],
      report.rules.filter((r) => r.source === 'plinth').map((r) => [escape(r.id), escape(r.title), escape(r.controls.join(', ')), String(r.resourcesEvaluated - r.notApplicable), String(r.pass), String(r.fail), String(r.acknowledged)]),
    ),
  );

  parts.push('<h2 id="findings">Findings</h2>');
  parts.push(
    table(
      ['result', 'plugin', 'finding', 'resource', 'message', 'waiver'],
      report.findings.map((f) => [
        badge(f.outcome),
        escape(f.plugin),
        `<code>${escape(f.finding)}</code>`,
        `<code>${escape(f.path)}</code>`,
        escape(f.message),
        f.waiver ? `${escape(f.waiver.reason)} <i>(owner ${escape(f.waiver.owner)}, expires ${escape(f.waiver.expires)})</i>` : '',
      ]),
      'findings',
    ),
  );

  parts.push('<h2 id="waivers">Waiver register</h2>');
  parts.push(
    table(
      ['rule', 'resource path', 'reason', 'owner', 'expires', 'days left', 'findings'],
      report.waivers.map((w) => [
        `<code>${escape(w.id)}</code>`,
        `<code>${escape(w.path)}</code>`,
        escape(w.reason),
        escape(w.owner),
        escape(w.expires),
        w.expiringSoon ? `<span class="soon">${w.daysLeft} (expires within 30 days)</span>` : String(w.daysLeft),
        String(w.findingsCovered),
      ]),
    ),
  );

  parts.push('<h2 id="inventory">Resource inventory</h2>');
  parts.push(
    table(
      ['type', 'path', 'encryption', 'public exposure', 'logging', 'data classification', 'owner'],
      report.inventory.map((i) => [escape(i.type), `<code>${escape(i.path)}</code>`, escape(i.encryption), escape(i.publicExposure), escape(i.logging), escape(i.dataClassification ?? '(untagged)'), escape(i.owner ?? '(untagged)')]),
    ),
  );

  parts.push('<h2 id="diff">Changes since the previous report</h2>');
  const d = report.diff;
  if (!d) parts.push('<p class="none">No previous report to compare with.</p>');
  else {
    parts.push(`<p>Compared with the report of ${escape(d.previousGeneratedAt)} (commit <code>${escape(d.previousCommit ?? 'unknown')}</code>).</p>`);
    parts.push(
      table(['change', 'item'], [
        ...d.newFindings.map((f) => ['new finding', escape(`${f.finding} at ${f.path}`)]),
        ...d.resolvedFindings.map((f) => ['resolved finding', escape(`${f.finding} at ${f.path}`)]),
        ...d.newWaivers.map((w) => ['new waiver', escape(`${w.id} at ${w.path}`)]),
        ...d.removedWaivers.map((w) => ['removed waiver', escape(`${w.id} at ${w.path}`)]),
        ...d.addedResources.map((r) => ['added resource', escape(`${r.type} ${r.path}`)]),
        ...d.removedResources.map((r) => ['removed resource', escape(`${r.type} ${r.path}`)]),
      ]),
    );
  }

  parts.push('<h2 id="rules">Rule evaluations</h2>');
  parts.push('<p>Every rule that ran, with the resources it evaluated. Not-applicable results are counted, not listed.</p>');
  for (const rule of report.rules) {
    const head = `<code>${escape(rule.id)}</code> ${escape(rule.title)}: ${rule.pass} pass, ${rule.fail} fail, ${rule.acknowledged} acknowledged, ${rule.notApplicable} not applicable`;
    if (rule.results.length === 0) {
      parts.push(`<p id="rule-${escape(rule.id)}">${head}</p>`);
      continue;
    }
    parts.push(
      `<details id="rule-${escape(rule.id)}"><summary>${head}</summary>${table(
        ['resource', 'result', 'findings'],
        rule.results.map((r) => [`<code>${escape(r.path)}</code>`, badge(r.outcome), escape(r.findings.join(', '))]),
      )}</details>`,
    );
  }

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Compliance report: ${escape(e.environment)}</title><style>${STYLE}</style></head>
<body>${parts.join('\n')}
<script>window.addEventListener('beforeprint',function(){document.querySelectorAll('details').forEach(function(d){d.open=true;});});</script>
</body></html>
`;
}
