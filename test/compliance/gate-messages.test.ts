import { CfnResource, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { ComplianceGateError, synthesizeThroughGate } from '../../lib/compliance/enforce-gate';
import { gateFailureMessage, gateFindingKind } from '../../lib/compliance/gate-messages';
import type { UnacknowledgedFinding } from '../../lib/compliance/validation-report';
import { newApp } from '../support/gate';

const nagFinding: UnacknowledgedFinding = { plugin: 'AwsSolutions', rule: 'AwsSolutions-S1', severity: 'error', constructPath: 'S/Bucket/Resource', description: 'no access logs' };
const schemaError: UnacknowledgedFinding = { plugin: 'CloudFormation Validate', rule: 'E3002', severity: 'error', constructPath: 'S/Thing', description: 'Additional properties are not allowed' };

describe('gate messages by kind', () => {
  test('CloudFormation E- and F-rules are template errors; nag rules and validator warnings are findings', () => {
    expect(gateFindingKind(schemaError)).toBe('template-error');
    expect(gateFindingKind({ ...schemaError, rule: 'F3002' })).toBe('template-error');
    expect(gateFindingKind(nagFinding)).toBe('finding');
    expect(gateFindingKind({ ...schemaError, rule: 'W3010', severity: 'warning' })).toBe('finding');
  });

  test('a template error says how to fix it and never suggests an acknowledgement', () => {
    const message = gateFailureMessage([schemaError]);
    expect(message).toContain('1 CloudFormation template error(s): CloudFormation would reject the template, so these cannot be acknowledged');
    expect(message).toContain('E3002 at S/Thing');
    expect(message).not.toMatch(/acknowledgeFinding|Acknowledge with/);
  });

  test('missing lookups say which, why and how to give the values, never to acknowledge', () => {
    const message = gateFailureMessage([], [{ key: 'availability-zones:account=210987654321:region=eu-west-1', provider: 'availability-zones' }]);
    expect(message).toContain('1 context lookup(s) that call AWS with credentials');
    expect(message).toContain('availability-zones:account=210987654321:region=eu-west-1');
    expect(message).toContain('PlatformNetwork takes availabilityZones as a prop');
    expect(message).toContain('This cannot be acknowledged');
    expect(message).not.toMatch(/acknowledgeFinding/);
  });

  test('compliance findings keep the fix-or-acknowledge message, apart from template errors', () => {
    const message = gateFailureMessage([nagFinding, schemaError]);
    expect(message).toMatch(/1 CloudFormation template error\(s\)[\s\S]*E3002[\s\S]*\n\nCompliance gate failed: 1 unacknowledged finding\(s\)\. Fix each, or acknowledge it with acknowledgeFinding\(\)[\s\S]*AwsSolutions-S1/);
  });

  test('a synth that needed an availability-zone lookup warns how to avoid it', () => {
    // GIVEN a stack of a concrete account and region with no zones in context
    const app = newApp();
    const stack = new Stack(app, 'Lookup', { env: { account: '210987654321', region: 'eu-west-1' } });
    new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 0, subnetConfiguration: [{ name: 'i', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }] });
    const warnings: string[] = [];
    // WHEN
    synthesizeThroughGate(app, (m) => warnings.push(m));
    // THEN
    expect(warnings.join('')).toContain('availability-zones:account=210987654321:region=eu-west-1');
    expect(warnings.join('')).not.toMatch(/acknowledgeFinding/);
  });

  test.each([
    ['when synth reports it', false],
    ['when CDK itself throws on it (failSynthOnValidationErrors, the default)', true],
  ])('a CloudFormation schema error fails the gate as a template error %s', (_when, failSynth) => {
    // GIVEN a resource CloudFormation would reject (a property its schema does not have)
    const app = newApp({ validator: true, context: { '@aws-cdk/core:failSynthOnValidationErrors': failSynth } });
    const stack = new Stack(app, 'Schema');
    new CfnResource(stack, 'Thing', { type: 'AWS::SQS::Queue', properties: { NoSuchProperty: true } });
    // WHEN / THEN
    let thrown: unknown;
    try {
      synthesizeThroughGate(app, () => {});
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ComplianceGateError);
    const message = (thrown as Error).message;
    expect(message).toMatch(/CloudFormation template error\(s\): CloudFormation would reject the template, so these cannot be acknowledged/);
    expect(message).toContain('Schema/Thing');
    expect(message).not.toMatch(/acknowledgeFinding|Acknowledge with/);
  });
});
