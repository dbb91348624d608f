/** The fidelity report of the local deploy, and the account swap of the local app. No emulator needed. */
import { buildFidelityReport, fidelityHeadline, formatFidelityMarkdown, withRootCause } from '../../scripts/local/fidelity';
import { withAccount } from '../../scripts/local/emulator-account';
import { DECLARED_ENVIRONMENTS } from '../../config';

const resources = [
  { stack: 'dev-Foundation', logicalId: 'Key', type: 'AWS::KMS::Key' },
  { stack: 'dev-Foundation', logicalId: 'Budget', type: 'AWS::Budgets::Budget' },
  { stack: 'dev-Foundation', logicalId: 'CDKMetadata', type: 'AWS::CDK::Metadata' },
  { stack: 'dev-Models', logicalId: 'Config', type: 'AWS::SageMaker::EndpointConfig' },
  { stack: 'dev-Models', logicalId: 'Endpoint', type: 'AWS::SageMaker::Endpoint' },
  { stack: 'dev-Monitoring', logicalId: 'Dashboard', type: 'AWS::CloudWatch::Dashboard' },
];
const skips = [
  { logicalId: 'Config', type: 'AWS::SageMaker::EndpointConfig', reason: "ValidationError: Value 'ml.x9.huge' at 'instanceType' failed" },
  { logicalId: 'Endpoint', type: 'AWS::SageMaker::Endpoint', reason: 'ValidationError: Template error: instance of Fn::GetAtt references undefined resource Config' },
];

describe('fidelity report', () => {
  // GIVEN Foundation and Models deployed, Monitoring not, and two resources moto could not create
  const materialised = new Map([
    ['dev-Foundation', new Set(['Key'])],
    ['dev-Models', new Set<string>()],
  ]);
  const report = buildFidelityReport(resources, materialised, skips, (stack) => `${stack} failed: boom`);

  it('counts only what the emulator lists as materialised, per type', () => {
    expect(report.byType).toEqual([
      { type: 'AWS::Budgets::Budget', materialised: 0, skipped: 1 },
      { type: 'AWS::CloudWatch::Dashboard', materialised: 0, skipped: 1 },
      { type: 'AWS::KMS::Key', materialised: 1, skipped: 0 },
      { type: 'AWS::SageMaker::Endpoint', materialised: 0, skipped: 1 },
      { type: 'AWS::SageMaker::EndpointConfig', materialised: 0, skipped: 1 },
    ]);
    expect(report).toMatchObject({ materialised: 1, skipped: 4, total: 5 });
    expect(fidelityHeadline(report)).toBe('fidelity: 1/5 resources materialised (20%), 4 skipped by the emulator');
  });

  it('gives each skipped resource its cause: no moto model, moto failure (with root cause), or stack not deployed', () => {
    const byId = Object.fromEntries(report.skippedResources.map((r) => [r.logicalId, r]));
    expect(byId.Budget).toMatchObject({ cause: 'type not implemented by moto' });
    expect(byId.Config).toMatchObject({ cause: 'moto failed to create it', reason: skips[0]!.reason });
    expect(byId.Endpoint!.reason).toContain("(root cause: Config AWS::SageMaker::EndpointConfig: ValidationError: Value 'ml.x9.huge'");
    expect(byId.Dashboard).toMatchObject({ cause: 'stack not deployed', reason: 'dev-Monitoring failed: boom' });
  });

  it('leaves CDK metadata out of the counts', () => {
    expect(report.byType.map((t) => t.type)).not.toContain('AWS::CDK::Metadata');
  });

  it('writes the table and every skipped resource to Markdown', () => {
    const markdown = formatFidelityMarkdown(report);
    expect(markdown).toContain('| AWS::KMS::Key | 1 | 0 |');
    expect(markdown).toContain('### stack not deployed (1)');
    expect(markdown).toContain('- dev-Foundation Budget (AWS::Budgets::Budget)');
  });

  it('stops following a root-cause cycle', () => {
    const a = { logicalId: 'A', type: 'T', reason: 'references undefined resource B' };
    const b = { logicalId: 'B', type: 'T', reason: 'references undefined resource A' };
    expect(withRootCause(a, [a, b])).toContain('root cause: B T');
  });
});

describe('local app account swap', () => {
  it('replaces the dev account everywhere it appears, including derived image registries', () => {
    const dev = DECLARED_ENVIRONMENTS.dev;
    const local = withAccount(dev, dev.account, '123456789012');
    expect(local.account).toBe('123456789012');
    expect(JSON.stringify(local)).not.toContain(dev.account);
    expect(JSON.stringify(local)).toContain('123456789012.dkr.ecr.');
    // and leaves the declared config untouched
    expect(dev.account).not.toBe('123456789012');
  });

  it('refuses an account that is not 12 digits', () => {
    expect(() => withAccount({ account: '111111111111' }, '111111111111', 'moto')).toThrow(/12-digit account ID/);
  });
});
