import * as fs from 'fs';
import * as path from 'path';
import { Stack, Stage } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { loadEnvironments, promotionTargetAccounts } from '../../config';
import { ControlTowerGuard, controlTowerGuardFiles, controlTowerRules } from '../../lib/compliance/control-tower';
import { buildPlatformApp } from '../../lib/platform/platform-app';
import { newApp, TEST_ENV } from '../support/gate';

// ControlTowerGuard runs each group of rules on templates reduced to the resource types the group
// reads. These tests hold it to the plugin's own answer on the same templates, violation by
// violation (rule, message, fix, resource, property paths, template), and hold every shipped rule
// to the query pattern that makes the reduction safe.

type Report = ReturnType<ControlTowerGuard['validate']>;

/** Every (violation, resource) pair of a report, as comparable text, sorted. */
function pairs(report: Report): string[] {
  return report.violations
    .flatMap((v) => v.violatingResources.map((r) => JSON.stringify({ rule: v.ruleName, description: v.description, fix: v.fix, resource: r })))
    .sort();
}

function templatesOf(build: (stack: Stack) => void): string[] {
  const app = newApp();
  const stack = new Stack(app, 'Fixture', { env: TEST_ENV });
  build(stack);
  return [app.synth().getStackByName(stack.stackName).templateFullPath];
}

describe('Control Tower rules run per group on reduced templates', () => {
  test('every shipped rule reads other resources only through a named type, or by logical id for their Type alone', () => {
    // What the reduction keeps: whole resources of every type named in the rule file, and the
    // logical id and Type of every other resource that a kept resource (or another section of the
    // template) names. So a rule may select resources by a type it names, or look one up by a
    // logical id it was given and read nothing but its existence and Type.
    const reviewed = new Set([
      // EncryptionConfig's own `Resources` list (["secrets"]), not the template's Resources.
      'ct-eks-pr-2.guard: Resources[*]',
    ]);
    const unsafe: string[] = [];
    let lookupsChecked = 0;
    let queriesChecked = 0;
    for (const file of controlTowerGuardFiles()) {
      const name = path.basename(file);
      const source = fs
        .readFileSync(file, 'utf8')
        .split('\n')
        .filter((line) => !line.trim().startsWith('#'))
        .join('\n');
      const named = new Set([...source.matchAll(/^\s*let\s+(\w+)\s*=\s*["'](AWS::\w+::\w+)["']\s*$/gm)].map((m) => m[1]));
      const lookupsById = [...source.matchAll(/^rule\s+\w+\([^)]*\)\s*\{\n([\s\S]*?)^\}/gm)]
        .map((m) => m[1])
        .filter((body) => /Resources\[\s*keys\s*==/.test(body));
      for (const body of lookupsById) {
        lookupsChecked++;
        const statements = body.split('\n').map((line) => line.trim()).filter(Boolean);
        const readsTypeOnly = statements.every(
          (line) =>
            /^let (\w+) = %\w+\.Resources\[ keys == %\w+ \]$/.test(line) ||
            /^%\w+ not empty$/.test(line) ||
            /^%\w+ \{$/.test(line) ||
            /^Type (==|in) %\w+$/.test(line) ||
            line === '}',
        );
        if (!readsTypeOnly) unsafe.push(`${name}: a lookup by logical id reads more than Type: ${statements.join(' ')}`);
      }
      for (const query of source.matchAll(/Resources(\.\*)?\[([^\]]*)\]/g)) {
        const filter = query[2].replace(/\s+/g, ' ').trim();
        if (/^keys == %\w+$/.test(filter)) continue; // checked above
        queriesChecked++;
        const byType = [...filter.matchAll(/Type == %(\w+)/g)];
        const typesNamed = byType.length > 0 && byType.every((m) => named.has(m[1])) && filter.replace(/Type == %\w+|\bor\b|\s/g, '') === '';
        const where = `${name}: Resources${query[1] ?? ''}[${filter}]`;
        if (!typesNamed && !reviewed.has(where)) unsafe.push(where);
      }
    }
    expect(unsafe).toEqual([]);
    // The patterns above did match the rules' queries (a pattern that matched nothing would pass anything).
    expect(lookupsChecked).toBeGreaterThan(30);
    expect(queriesChecked).toBeGreaterThan(200);
    expect(controlTowerRules().length).toBe(controlTowerGuardFiles().length);
  });

  test('a fixture of non-compliant resources, wrong-type references included, gets exactly the findings of every rule on whole templates', () => {
    const templates = templatesOf((stack) => {
      const vpc = new ec2.CfnVPC(stack, 'Vpc', { cidrBlock: '10.0.0.0/16' });
      const subnet = new ec2.CfnSubnet(stack, 'Subnet', { vpcId: vpc.ref, cidrBlock: '10.0.0.0/24' });
      const group = new ec2.CfnSecurityGroup(stack, 'Group', { groupDescription: 'g', vpcId: vpc.ref });
      const role = new iam.CfnRole(stack, 'Role', { assumeRolePolicyDocument: { Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }] } });
      const code = { zipFile: 'exports.handler = async () => 1;' };
      // Compliant references, then each reference pointing at the other kind of resource.
      new lambda.CfnFunction(stack, 'InVpc', { code, role: role.attrArn, runtime: 'nodejs22.x', handler: 'index.handler', vpcConfig: { subnetIds: [subnet.ref], securityGroupIds: [group.attrGroupId] } });
      new lambda.CfnFunction(stack, 'WrongRefs', { code, role: role.attrArn, runtime: 'nodejs22.x', handler: 'index.handler', vpcConfig: { subnetIds: [group.ref], securityGroupIds: [subnet.ref] } });
      new lambda.CfnFunction(stack, 'NoVpc', { code, role: role.attrArn, runtime: 'nodejs22.x', handler: 'index.handler' });
      const leaky = new s3.CfnBucket(stack, 'Leaky');
      // References to resources of types the Lambda rules do not read (a bucket, a log group): their
      // groups' reduced templates keep those two as stubs, and leave out the resources nothing names.
      const logGroup = new logs.CfnLogGroup(stack, 'Logs');
      new lambda.CfnFunction(stack, 'RefsOfUnreadTypes', { code, role: role.attrArn, runtime: 'nodejs22.x', handler: 'index.handler', vpcConfig: { subnetIds: [leaky.ref], securityGroupIds: [logGroup.attrArn] } });
      new s3.CfnBucketPolicy(stack, 'LeakyPolicy', { bucket: 'b', policyDocument: { Statement: [{ Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: '*' }] } });
      const key = new kms.CfnKey(stack, 'Key', { keyPolicy: { Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'kms:*', Resource: '*' }] } });
      new sqs.CfnQueue(stack, 'KeyedQueue', { kmsMasterKeyId: key.ref });
      new sqs.CfnQueue(stack, 'QueueKeyedByABucket', { kmsMasterKeyId: 'alias/aws/sqs', redrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Leaky', 'Arn'] }, maxReceiveCount: 3 } });
      new iam.CfnManagedPolicy(stack, 'Admin', { policyDocument: { Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] } });
      // Wildcard actions behind actions neither IAM rule can match (left out for cfn-guard, control-tower-iam-actions.ts): the paths must still be the written ones.
      new iam.CfnManagedPolicy(stack, 'ServiceWide', {
        policyDocument: {
          Statement: [
            { Effect: 'Allow', Action: ['s3:GetObject', 'kms:Decrypt', 's3:*', 'sqs:SendMessage', 'ec2:Describe*'], Resource: '*' },
            { Effect: 'Allow', Action: ['logs:PutLogEvents'], Resource: '*' },
            { Effect: 'Allow', NotAction: 'iam:*', Resource: '*' },
          ],
        },
      });
      new ec2.CfnSecurityGroupIngress(stack, 'OpenSsh', { groupId: group.attrGroupId, ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIp: '0.0.0.0/0' });
    });
    const reduced = pairs(new ControlTowerGuard().validate({ templatePaths: templates, appConstruct: undefined as never }));
    const whole = pairs(new CfnGuardValidator().validate({ templatePaths: templates, appConstruct: undefined as never }));
    expect(reduced).toEqual(whole);
    // The fixture does exercise the wrong-type references and the cross-resource rules.
    const ruleOf = (text: string) => (JSON.parse(text) as { rule: string; resource: { resourceLogicalId: string } });
    const found = reduced.map(ruleOf).map((p) => `${p.rule} ${p.resource.resourceLogicalId}`);
    expect(found).toContain('lambda_inside_vpc_check WrongRefs');
    expect(found).not.toContain('lambda_inside_vpc_check InVpc');
    expect(found).toContain('lambda_inside_vpc_check NoVpc');
    expect(found).toContain('lambda_inside_vpc_check RefsOfUnreadTypes');
    expect(found).toContain('s3_bucket_logging_enabled_check Leaky');
    expect(found).toContain('sqs_dlq_check KeyedQueue');
    const serviceWide = reduced.map((text) => JSON.parse(text) as { rule: string; resource: { resourceLogicalId: string; locations: string[] } }).find((p) => p.rule === 'iam_managed_policy_no_statements_with_full_access_check' && p.resource.resourceLogicalId === 'ServiceWide');
    expect(serviceWide?.resource.locations).toEqual(
      expect.arrayContaining(['/Resources/ServiceWide/Properties/PolicyDocument/Statement/0/Action/2', '/Resources/ServiceWide/Properties/PolicyDocument/Statement/2/NotAction']),
    );
  });

  test("the platform's own templates get exactly the findings the plugin gives on whole templates", () => {
    const app = newApp();
    const [dev] = buildPlatformApp(app, loadEnvironments().filter((e) => e.name === 'dev'), (name) => promotionTargetAccounts(name));
    const assembly = app.synth();
    const templates = assembly.getNestedAssembly(`assembly-${(dev as Stage).stageName}`).stacks.map((s) => s.templateFullPath);
    expect(templates.length).toBeGreaterThanOrEqual(4);
    const types = new Set<string>();
    for (const file of templates) {
      const template = JSON.parse(fs.readFileSync(file, 'utf8')) as { Resources: Record<string, { Type: string }> };
      for (const resource of Object.values(template.Resources)) types.add(resource.Type);
    }
    // The plugin with every rule that can apply: rules for absent types can only skip (shown on the fixture above).
    const disabledRules = controlTowerRules()
      .filter((r) => !r.resourceTypes.some((t) => types.has(t)))
      .map((r) => path.basename(r.file, '.guard'));
    const whole = pairs(new CfnGuardValidator({ disabledRules, maxBuffer: 256 * 1024 * 1024 }).validate({ templatePaths: templates, appConstruct: undefined as never }));
    const reduced = pairs(new ControlTowerGuard().validate({ templatePaths: templates, appConstruct: undefined as never }));
    expect(whole.length).toBeGreaterThan(0);
    expect(reduced).toEqual(whole);
  });
});
