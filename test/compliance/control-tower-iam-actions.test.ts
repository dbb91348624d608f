import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { IAM_ACTION_RULES, isIamActionRuleGroup, withoutInertActions } from '../../lib/compliance/control-tower-iam-actions';

// The Control Tower guard gives cfn-guard customer-managed policies without the actions that
// CT.IAM.PR.2 and PR.3 cannot match, and maps the findings' paths back. These tests hold that to
// the plugin's own findings on the whole policies, through the real cfn-guard binary.

const GUARD_RULES = path.join(path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json')), 'rules', 'control-tower', 'cfn-guard');
const RULE_FILES = Object.keys(IAM_ACTION_RULES).map((relative) => path.join(GUARD_RULES, relative));

type Report = ReturnType<CfnGuardValidator['validate']>;

let workDir: string;
beforeAll(() => (workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-iam-actions-'))));
afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));

function guard(template: unknown, name: string): Report {
  const file = path.join(workDir, `${name}.json`);
  fs.writeFileSync(file, JSON.stringify(template));
  return new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: RULE_FILES }).validate({ templatePaths: [file], appConstruct: undefined as never } as never);
}

/** The plugin's report on each of `templates`, from one cfn-guard run over all of them. */
function guardEach(templates: readonly unknown[], name: string): Report[] {
  const files = templates.map((template, i) => {
    const file = path.join(workDir, `${name}-${i}.json`);
    fs.writeFileSync(file, JSON.stringify(template));
    return file;
  });
  const report = new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: RULE_FILES }).validate({ templatePaths: files, appConstruct: undefined as never } as never);
  return files.map((file) => ({
    ...report,
    violations: report.violations
      .map((v) => ({ ...v, violatingResources: v.violatingResources.filter((r) => r.templatePath === file) }))
      .filter((v) => v.violatingResources.length > 0),
  }));
}

/** Every (violation, resource) pair, template path left out, as comparable text, sorted. */
function findings(report: Report, restore: (location: string) => string = (l) => l): string[] {
  return report.violations
    .flatMap((v) =>
      v.violatingResources.map((r) =>
        JSON.stringify({ rule: v.ruleName, description: v.description, fix: v.fix, resource: r.resourceLogicalId, locations: r.locations.map(restore) }),
      ),
    )
    .sort();
}

/** The plugin's findings on `template` whole, and on it without the inert actions (paths restored). */
function wholeAndReduced(template: { Resources: Record<string, unknown> }, name: string): { whole: string[]; reduced: string[] } {
  const whole = findings(guard(template, `${name}-whole`));
  const reduction = withoutInertActions(template);
  const reduced = reduction ? findings(guard(reduction.template, `${name}-reduced`), (l) => reduction.restoreLocation(l)) : whole;
  return { whole, reduced };
}

describe('CT.IAM.PR.2 and PR.3 on policies without the actions they cannot match', () => {
  test('the shipped rule files are the ones the reduction was proven for (a plugin upgrade fails here until reviewed)', () => {
    expect(isIamActionRuleGroup(RULE_FILES, GUARD_RULES)).toBe(true);
    expect(isIamActionRuleGroup(RULE_FILES.slice(0, 1), GUARD_RULES)).toBe(false);
  });

  test('a changed rule file, or another rule beside them, turns the reduction off', () => {
    const copy = fs.mkdtempSync(path.join(workDir, 'rules-'));
    for (const relative of Object.keys(IAM_ACTION_RULES)) {
      fs.mkdirSync(path.dirname(path.join(copy, relative)), { recursive: true });
      fs.copyFileSync(path.join(GUARD_RULES, relative), path.join(copy, relative));
    }
    const copied = Object.keys(IAM_ACTION_RULES).map((relative) => path.join(copy, relative));
    expect(isIamActionRuleGroup(copied, copy)).toBe(true);
    fs.appendFileSync(copied[1], '\n# changed\n');
    expect(isIamActionRuleGroup(copied, copy)).toBe(false);
    expect(isIamActionRuleGroup([...RULE_FILES, path.join(GUARD_RULES, 'identityandaccessmanagement', 'ct-iam-pr-1.guard')], GUARD_RULES)).toBe(false);
  });

  test('keeps every action the rules could match and every non-string in order, drops a statement\'s Action when none is left, keeps only what the rules read of a statement, and maps paths back', () => {
    const template = {
      Resources: {
        Policy: {
          Type: 'AWS::IAM::ManagedPolicy',
          Properties: {
            PolicyDocument: {
              Statement: [
                { Effect: 'Allow', Action: ['s3:GetObject', 'kms:Decrypt', 's3:*', 'sqs:SendMessage', { 'Fn::Sub': 'iam:*' }], Resource: '*' },
                { Sid: 'Logs', Effect: 'Allow', Action: 'logs:PutLogEvents', Resource: ['arn:aws:logs:::x', '*'], Condition: { Bool: { 'aws:SecureTransport': 'true' } } },
                { Effect: 'Allow', Action: ['ec2:Describe*', 'logs:*'], Resource: '*' },
              ],
            },
          },
        },
        Role: { Type: 'AWS::IAM::Role', Properties: { Policies: [{ PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['s3:GetObject'], Resource: '*' }] } }] } },
      },
    };
    const reduction = withoutInertActions(template);
    expect(reduction).toBeDefined();
    const statements = (reduction!.template.Resources as any).Policy.Properties.PolicyDocument.Statement;
    // "ec2:Describe*" cannot match /^[\w]*[:]*\*$/ (nor equal "*"); a statement with no "*" or
    // non-string action left keeps only that it has a Resource.
    expect(statements).toEqual([
      { Effect: 'Allow', Action: ['s3:*', { 'Fn::Sub': 'iam:*' }], Resource: '*' },
      { Effect: 'Allow', Resource: '-' },
      { Effect: 'Allow', Action: ['logs:*'], Resource: '-' },
    ]);
    // Other resource types are not touched.
    expect((reduction!.template.Resources as any).Role).toBe(template.Resources.Role);
    expect(reduction!.restoreLocation('/Resources/Policy/Properties/PolicyDocument/Statement/0/Action/0')).toBe('/Resources/Policy/Properties/PolicyDocument/Statement/0/Action/2');
    expect(reduction!.restoreLocation('/Resources/Policy/Properties/PolicyDocument/Statement/0/Action/1')).toBe('/Resources/Policy/Properties/PolicyDocument/Statement/0/Action/4');
    expect(reduction!.restoreLocation('/Resources/Policy/Properties/PolicyDocument/Statement/2/Action/0')).toBe('/Resources/Policy/Properties/PolicyDocument/Statement/2/Action/1');
    expect(reduction!.restoreLocation('/Resources/Policy/Properties/PolicyDocument/Statement/0/Resource')).toBe('/Resources/Policy/Properties/PolicyDocument/Statement/0/Resource');
    expect(() => reduction!.restoreLocation('/Resources/Policy/Properties/PolicyDocument/Statement/0/Action/2')).toThrow(/beyond the 2 action/);
    const { whole, reduced } = wholeAndReduced(template, 'handmade');
    expect(whole.length).toBeGreaterThan(0);
    expect(reduced).toEqual(whole);
  });

  test('a policy whose actions all could match is given as written', () => {
    expect(withoutInertActions({ Resources: { P: { Type: 'AWS::IAM::ManagedPolicy', Properties: { PolicyDocument: { Statement: [{ Effect: 'Allow', Action: ['*', 's3:*'], Resource: '*' }] } } } } })).toBeUndefined();
    expect(withoutInertActions({ Resources: { Q: { Type: 'AWS::SQS::Queue' } } })).toBeUndefined();
  });

  test('random policies get exactly the plugin\'s findings on the whole policies', () => {
    const action = fc.oneof(
      fc.constantFrom('*', 's3:*', 's3:Get*', '*:*', 'iam:PassRole', 'kms:Decrypt', 'a*b', ':*', 's3:*\n', 'ünï:*', 'S3:GETOBJECT', '', ' * ', '**', 'ec2:Describe*', 'service:'),
      fc.stringMatching(/^[a-z3:*]{0,8}$/),
      fc.constantFrom<unknown>({ 'Fn::Join': ['', ['s3:', '*']] }, { Ref: 'AWS::NoValue' }, 7, null, ['s3:*']),
    );
    const actions = fc.oneof(action, fc.array(action, { maxLength: 8 }));
    const statement = fc.record(
      {
        Effect: fc.constantFrom('Allow', 'Deny', 'allow'),
        Action: actions,
        NotAction: actions,
        Resource: fc.constantFrom<unknown>('*', 'arn:aws:s3:::b/*', ['*', 'arn:aws:s3:::b'], ['arn:aws:s3:::b'], [], { 'Fn::Join': ['', ['arn:', '*']] }),
        NotResource: fc.constantFrom<unknown>('*', ['arn:aws:s3:::b']),
        Sid: fc.constantFrom('S', ''),
        Principal: fc.constantFrom<unknown>('*', { AWS: '*' }),
        Condition: fc.constant({ Bool: { 'aws:SecureTransport': 'true' } }),
      },
      { requiredKeys: ['Effect'] },
    );
    const policy = fc.record(
      { PolicyDocument: fc.record({ Version: fc.constant('2012-10-17'), Statement: fc.oneof(fc.array(statement, { maxLength: 5 }), statement) }, { requiredKeys: ['Statement'] }) },
      { requiredKeys: [] },
    );
    const template = fc.array(policy, { minLength: 1, maxLength: 5 }).map((policies) => ({
      Resources: Object.fromEntries(policies.map((properties, i) => [`Policy${i}`, { Type: 'AWS::IAM::ManagedPolicy', Properties: properties }])),
    }));
    // One cfn-guard run over all the samples whole, one over them reduced (a process per sample
    // and side took 8 s of the suite).
    const samples = fc.sample(template, { numRuns: 60, seed: 20261205 });
    const reductions = samples.map((t) => withoutInertActions(t));
    const whole = guardEach(samples, 'random-whole').map((report) => findings(report));
    const reduced = guardEach(
      samples.map((t, i) => reductions[i]?.template ?? t),
      'random-reduced',
    ).map((report, i) => findings(report, (l) => reductions[i]?.restoreLocation(l) ?? l));
    samples.forEach((sample, i) => {
      if (JSON.stringify(reduced[i]) !== JSON.stringify(whole[i])) throw new Error(`different findings on ${JSON.stringify(sample)}:\nwhole ${whole[i].join('\n')}\nreduced ${reduced[i].join('\n')}`);
    });
    // The samples did exercise the reduction, and findings.
    expect(reductions.filter(Boolean).length).toBeGreaterThan(20);
    expect(whole.filter((list) => list.length > 0).length).toBeGreaterThan(20);
  });
});
