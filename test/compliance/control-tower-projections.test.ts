import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import fc from 'fast-check';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { projectedResource, projectionFor, RULE_GROUP_PROJECTIONS, type RuleGroupProjection } from '../../lib/compliance/control-tower-projections';

// The Control Tower guard gives cfn-guard, for some groups of rules, each resource of certain
// types with only the properties the group's rules read. These tests hold every projection to
// the plugin's own findings on the whole resources, through the real cfn-guard binary.

const GUARD_RULES = path.join(path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json')), 'rules', 'control-tower', 'cfn-guard');
const ruleFilesOf = (projection: RuleGroupProjection) => Object.keys(projection.ruleFiles).map((relative) => path.join(GUARD_RULES, relative));

type Template = { Resources: Record<string, Record<string, unknown>> };

let workDir: string;
beforeAll(() => (workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-projections-'))));
afterAll(() => fs.rmSync(workDir, { recursive: true, force: true }));

/** `template` with every resource of a projected type projected, as the gate gives it to cfn-guard. */
function projected(template: Template, properties: RuleGroupProjection['properties']): Template {
  return {
    ...template,
    Resources: Object.fromEntries(
      Object.entries(template.Resources).map(([id, resource]) => {
        const keep = properties[resource.Type as string];
        return [id, keep ? projectedResource(resource, keep) : resource];
      }),
    ),
  };
}

/**
 * The plugin's findings on each template, as comparable text per template (rule, message, fix,
 * resource, property paths), from one cfn-guard run over all of them.
 */
function findings(templates: readonly Template[], ruleFiles: readonly string[], name: string): string[][] {
  const files = templates.map((template, i) => {
    const file = path.join(workDir, `${name}-${i}.json`);
    fs.writeFileSync(file, JSON.stringify(template));
    return file;
  });
  const report = new CfnGuardValidator({ controlTowerRulesEnabled: false, rules: [...ruleFiles] }).validate({ templatePaths: files, appConstruct: undefined as never } as never);
  const byFile = files.map(() => [] as string[]);
  for (const violation of report.violations) {
    for (const resource of violation.violatingResources) {
      byFile[files.indexOf(resource.templatePath)].push(
        JSON.stringify({ rule: violation.ruleName, description: violation.description, fix: violation.fix, resource: resource.resourceLogicalId, locations: resource.locations }),
      );
    }
  }
  return byFile.map((list) => list.sort());
}

/** Any JSON value a property might hold, references to the template's resources among them. */
const anyValue = fc.constantFrom<unknown>(undefined, null, true, false, 'true', 0, 7, '', ' ', 'x', [], ['x'], [''], {}, { Ref: 'Other0' }, [{ Ref: 'Other0' }], { 'Fn::GetAtt': ['Other0', 'Arn'] }, { 'Fn::If': ['C', ['x'], []] });

/**
 * Values for a property a rule checks with `empty`: no null, boolean or number, on which cfn-guard
 * 3.1 stops with an error (whole or projected alike: the test below shows it), which would fail the
 * whole run and compare nothing.
 */
const listish = fc.constantFrom<unknown>(undefined, '', ' ', 'x', [], ['x'], [''], [null], {}, { Ref: 'Other0' }, [{ Ref: 'Other0' }], { 'Fn::GetAtt': ['Other0', 'Arn'] }, { 'Fn::If': ['C', ['x'], []] });

/** Properties: the listed ones from `values`, and unlisted ones (noise) from anyValue; sometimes not an object at all. */
function propertiesOf(listed: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  const object = fc
    .record({ ...listed, Noise: anyValue, Description: fc.constantFrom('d', ''), Tags: fc.constant([{ Key: 'k', Value: 'v' }]) }, { requiredKeys: [] })
    .map((properties) => Object.fromEntries(Object.entries(properties).filter(([, value]) => value !== undefined)));
  return fc.oneof({ weight: 12, arbitrary: object }, { weight: 1, arbitrary: fc.constantFrom<unknown>(undefined, 'not-an-object', []) });
}

function resourceOf(type: string, properties: fc.Arbitrary<unknown>): fc.Arbitrary<Record<string, unknown>> {
  return fc
    .record({ properties, metadata: fc.boolean(), dependsOn: fc.boolean() })
    .map(({ properties: p, metadata, dependsOn }) => ({
      Type: type,
      ...(p === undefined ? {} : { Properties: p }),
      ...(metadata ? { Metadata: { 'aws:cdk:path': 'Stack/R', guard: { SuppressedRules: ['X'] } } } : {}),
      ...(dependsOn ? { DependsOn: ['Other0'] } : {}),
    }));
}

/** Templates holding resources of `generators`' types, and resources of other types named Other0.. for references. */
function templates(generators: ReadonlyArray<readonly [string, fc.Arbitrary<Record<string, unknown>>]>): fc.Arbitrary<Template> {
  const resource = fc.oneof(...generators.map(([, g]) => g));
  const other = fc.constantFrom<Record<string, unknown>>({ Type: 'AWS::S3::Bucket' }, { Type: 'AWS::EC2::Subnet', Properties: { VpcId: 'vpc-1' } }, { Type: 'AWS::EC2::SecurityGroup', Properties: { GroupDescription: 'g' } }, { Type: 'AWS::SNS::Topic' });
  return fc.record({ mine: fc.array(resource, { minLength: 1, maxLength: 6 }), others: fc.array(other, { minLength: 2, maxLength: 3 }) }).map(({ mine, others }) => ({
    Resources: {
      ...Object.fromEntries(others.map((r, i) => [`Other${i}`, r])),
      ...Object.fromEntries(mine.map((r, i) => [`Mine${i}`, r])),
    },
  }));
}

// No reference to a resource the template lacks: the plugin (2.x) fails on the finding it gives for
// one ("Cannot read properties of undefined (reading 'to')"), whole template or not. The gate's
// reduced templates keep every resource a kept one names for that reason too (control-tower.ts).
const reference = fc.constantFrom<unknown>({ Ref: 'Other0' }, { Ref: 'Other1' }, { 'Fn::GetAtt': ['Other0', 'GroupId'] }, { 'Fn::GetAtt': ['Other1', 'Arn'] }, 'subnet-1', '', ' ', 7, null);
const references = fc.oneof(fc.array(reference, { maxLength: 3 }), fc.constantFrom<unknown>(undefined, '', 'subnet-1', {}, { Ref: 'Other0' }));

const statement = fc.record(
  {
    Effect: fc.constantFrom('Allow', 'Deny'),
    Action: fc.oneof(fc.constantFrom<unknown>('*', 's3:*', 's3:GetObject', 'iam:*'), fc.array(fc.constantFrom('*', 's3:*', 's3:Get*', 'kms:Decrypt'), { maxLength: 3 })),
    NotAction: fc.constantFrom<unknown>('iam:*', ['s3:*']),
    Resource: fc.constantFrom<unknown>('*', ['arn:aws:s3:::b'], ['*', 'x']),
  },
  { requiredKeys: ['Effect'] },
);
const policyDocument = fc.oneof(
  fc.record({ Version: fc.constant('2012-10-17'), Statement: fc.oneof(fc.array(statement, { maxLength: 3 }), statement) }, { requiredKeys: [] }),
  anyValue,
);

/** Per projection (by its first rule file): generators of resources of its types, with values for the properties it keeps. */
const GENERATORS: Record<string, ReadonlyArray<readonly [string, fc.Arbitrary<Record<string, unknown>>]>> = {
  'identityandaccessmanagement/ct-iam-pr-4.guard': [
    ['AWS::IAM::ManagedPolicy', resourceOf('AWS::IAM::ManagedPolicy', propertiesOf({ Users: listish, PolicyDocument: policyDocument, Roles: fc.constant([{ Ref: 'Other0' }]) }))],
    ['AWS::IAM::Policy', resourceOf('AWS::IAM::Policy', propertiesOf({ Users: listish, PolicyDocument: policyDocument, PolicyName: fc.constant('p') }))],
    ['AWS::IAM::User', resourceOf('AWS::IAM::User', propertiesOf({ Policies: listish, ManagedPolicyArns: listish }))],
  ],
  'lambda/ct-lambda-pr-3.guard': [
    [
      'AWS::Lambda::Function',
      resourceOf(
        'AWS::Lambda::Function',
        propertiesOf({
          VpcConfig: fc.oneof(fc.record({ SubnetIds: references, SecurityGroupIds: references, Ipv6AllowedForDualStack: fc.boolean() }, { requiredKeys: [] }), anyValue),
          Code: fc.constant({ ZipFile: 'x' }),
          Role: fc.constant({ 'Fn::GetAtt': ['Other1', 'Arn'] }),
        }),
      ),
    ],
    ['AWS::EC2::Subnet', resourceOf('AWS::EC2::Subnet', propertiesOf({ VpcId: anyValue, CidrBlock: fc.constant('10.0.0.0/24') }))],
    ['AWS::EC2::SecurityGroup', resourceOf('AWS::EC2::SecurityGroup', propertiesOf({ GroupDescription: anyValue, VpcId: anyValue }))],
  ],
  'cloudwatch/ct-cloudwatch-pr-1.guard': [
    [
      'AWS::CloudWatch::Alarm',
      resourceOf(
        'AWS::CloudWatch::Alarm',
        propertiesOf({ AlarmActions: listish, ActionsEnabled: anyValue, OKActions: anyValue, InsufficientDataActions: anyValue, MetricName: fc.constant('m') }),
      ),
    ],
  ],
  'identityandaccessmanagement/ct-iam-pr-1.guard': [
    ...(['AWS::IAM::Role', 'AWS::IAM::User', 'AWS::IAM::Group'] as const).map(
      (type) =>
        [
          type,
          resourceOf(
            type,
            propertiesOf({
              Policies: fc.oneof(fc.array(fc.record({ PolicyName: fc.constant('p'), PolicyDocument: policyDocument }, { requiredKeys: [] }), { maxLength: 2 }), listish),
              AssumeRolePolicyDocument: policyDocument,
              ManagedPolicyArns: fc.constant([{ Ref: 'Other0' }]),
            }),
          ),
        ] as const,
    ),
    ['AWS::IAM::Policy', resourceOf('AWS::IAM::Policy', propertiesOf({ PolicyDocument: policyDocument, Roles: fc.constant([{ Ref: 'Other0' }]), PolicyName: fc.constant('p') }))],
  ],
  'identityandaccessmanagement/ct-iam-pr-2.guard': [
    ['AWS::IAM::ManagedPolicy', resourceOf('AWS::IAM::ManagedPolicy', propertiesOf({ PolicyDocument: policyDocument, Users: anyValue, Roles: fc.constant([{ Ref: 'Other0' }]) }))],
  ],
};

describe('Control Tower rule groups given only the properties they read', () => {
  test('the shipped rule files are the ones each projection was proven for (a plugin upgrade fails here until reviewed)', () => {
    for (const projection of RULE_GROUP_PROJECTIONS) expect(projectionFor(ruleFilesOf(projection), GUARD_RULES)).toBe(projection.properties);
    // Part of a group, or a group with another rule beside it, is not the group proven.
    const [first, second] = RULE_GROUP_PROJECTIONS.map(ruleFilesOf);
    expect(projectionFor([...first, ...second], GUARD_RULES)).toBeUndefined();
    expect(projectionFor(ruleFilesOf(RULE_GROUP_PROJECTIONS[2]).slice(0, 1), GUARD_RULES)).toBeUndefined();
  });

  test('a changed rule file turns its projection off', () => {
    const projection = RULE_GROUP_PROJECTIONS[0];
    const copy = fs.mkdtempSync(path.join(workDir, 'rules-'));
    const copied = Object.keys(projection.ruleFiles).map((relative) => {
      fs.mkdirSync(path.dirname(path.join(copy, relative)), { recursive: true });
      fs.copyFileSync(path.join(GUARD_RULES, relative), path.join(copy, relative));
      return path.join(copy, relative);
    });
    expect(projectionFor(copied, copy)).toBe(projection.properties);
    fs.appendFileSync(copied[0], '\n# changed\n');
    expect(projectionFor(copied, copy)).toBeUndefined();
  });

  test('a projected resource keeps its Type and the listed properties, in their order, and nothing else', () => {
    const resource = { Type: 'AWS::Lambda::Function', Properties: { Code: { ZipFile: 'x' }, VpcConfig: { SubnetIds: ['s'] }, Role: 'r' }, Metadata: { a: 1 }, DependsOn: ['X'] };
    expect(projectedResource(resource, ['VpcConfig', 'Missing'])).toEqual({ Type: 'AWS::Lambda::Function', Properties: { VpcConfig: { SubnetIds: ['s'] } } });
    expect(projectedResource(resource, [])).toEqual({ Type: 'AWS::Lambda::Function', Properties: {} });
    expect(projectedResource({ Type: 'T' }, ['A'])).toEqual({ Type: 'T' });
    expect(projectedResource({ Type: 'T', Properties: 'x' }, ['A'])).toEqual({ Type: 'T', Properties: 'x' });
  });

  test('a value cfn-guard stops on stops it on the projected resource too (the gate fails either way)', () => {
    const projection = RULE_GROUP_PROJECTIONS[0];
    const template: Template = { Resources: { P: { Type: 'AWS::IAM::ManagedPolicy', Properties: { Users: null, PolicyDocument: {} } } } };
    expect(() => findings([template], ruleFilesOf(projection), 'stops-whole')).toThrow(/cfn-guard/);
    expect(() => findings([projected(template, projection.properties)], ruleFilesOf(projection), 'stops-projected')).toThrow(/cfn-guard/);
  });

  test.each(RULE_GROUP_PROJECTIONS.map((projection) => [Object.keys(projection.ruleFiles).join(' + '), projection] as const))(
    'random resources get exactly the plugin\'s findings on the whole resources: %s',
    (_name, projection) => {
      const generators = GENERATORS[Object.keys(projection.ruleFiles)[0]];
      expect(generators).toBeDefined();
      // One cfn-guard run over all the samples whole, one over them projected.
      const samples = fc.sample(templates(generators), { numRuns: 80, seed: 20261205 });
      const ruleFiles = ruleFilesOf(projection);
      const name = path.basename(Object.keys(projection.ruleFiles)[0], '.guard');
      const whole = findings(samples, ruleFiles, `${name}-whole`);
      const reduced = findings(samples.map((t) => projected(t, projection.properties)), ruleFiles, `${name}-projected`);
      samples.forEach((sample, i) => {
        if (JSON.stringify(reduced[i]) !== JSON.stringify(whole[i])) throw new Error(`different findings on ${JSON.stringify(sample)}:\nwhole ${whole[i].join('\n')}\nprojected ${reduced[i].join('\n')}`);
      });
      // The samples did exercise the rules, and the projection did leave something out.
      expect(whole.filter((list) => list.length > 0).length).toBeGreaterThan(10);
      const changed = samples.filter((t) => JSON.stringify(projected(t, projection.properties)) !== JSON.stringify(t)).length;
      expect(changed).toBeGreaterThan(samples.length / 2);
    },
  );
});
