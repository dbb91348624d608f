import { FAILURE_MODES } from './failure-modes';

/** `docs/failure-modes.md`, generated from the catalogue (`npm run docs:failure-modes`). */
export function renderFailureModesMarkdown(): string {
  const rows = Object.entries(FAILURE_MODES).map(
    ([id, mode]) =>
      `| \`${id}\` | ${mode.title} | ${mode.severity} | ${mode.detection} | ${mode.mitigation} | [${mode.runbook.replace('docs/', '')}](${mode.runbook.replace('docs/', '')}) | ${mode.owner} |`,
  );
  return [
    '# Failure modes',
    '',
    '<!-- Generated from lib/monitoring/failure-modes.ts by `npm run docs:failure-modes`; a test keeps it in sync. -->',
    '',
    'Every way Plinth is known to fail in production, with the alarm that detects it, what the',
    'platform does about it automatically, the runbook for the person paged, and who that is. Every',
    'alarm in the app names its failure mode, and a test fails if an alarm has no entry here or an',
    'entry has no alarm, runbook or mitigation. Critical alarms notify the critical topic (page now);',
    'warnings notify the warning topic. An endpoint\'s 5xx, latency, degraded and breaker alarms are',
    'warnings that feed one critical composite alarm per serving path, so an incident pages once.',
    '',
    'An alarm is named `<env>-<alarm>[-<subject>]`, the way it arrives in a page: `prod-Health-fraud-detector`,',
    '`dev-SourceSilent-transactions`. `<subject>` is the model, endpoint or dataset it watches; alarms',
    'that exist once per environment have none. A test checks that every alarm named in these docs exists.',
    '',
    '| id | failure mode | severity | detection | automatic mitigation | runbook | owner |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
