import { CfnElement, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { createVpcFunction, type VpcFunction } from '../../lib/compute/vpc-function';
import { InferenceEndpoint } from '../../lib/inference/inference-endpoint';
import { PlatformNetwork } from '../../lib/network/platform-network';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';
import { isAllowed, type Statement } from '../support/iam-simulator';

/**
 * A grant onto a Plinth function must change what the function may do: before, CDK's grants were
 * dropped on the floor (`role.withoutPolicyUpdates()`); an inline policy instead would fail the gate.
 */
function plinthFunction(stack: Stack): VpcFunction {
  const logsKey = new kms.Key(stack, 'LogsKey', { enableKeyRotation: true });
  const network = new PlatformNetwork(stack, 'Network', { vpcCidr: '10.81.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'], logsKey });
  const deadLetterQueue = new sqs.Queue(stack, 'DeadLetters', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: logsKey, enforceSSL: true });
  return createVpcFunction(stack, {
    handlerFolder: 'review-expiry',
    description: 'Expires review cases',
    statements: [],
    environment: {},
    vpc: network.vpc,
    logsKey,
    deadLetterQueue,
    logRetention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
    timeout: Duration.seconds(30),
    reservedConcurrency: 1,
    ids: { function: 'Function', logGroup: 'Logs', role: 'Role', policy: 'Policy', securityGroup: 'Sg' },
  });
}

/** Resolves Ref/GetAtt/Join into strings a policy evaluator can match. */
function concrete(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(concrete);
  if (typeof value !== 'object' || value === null) return value;
  const v = value as Record<string, unknown>;
  const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::Region': 'us-east-1', 'AWS::AccountId': '123456789012', 'AWS::URLSuffix': 'amazonaws.com' };
  if (typeof v.Ref === 'string') return pseudo[v.Ref] ?? `ref-${v.Ref}`;
  if (Array.isArray(v['Fn::GetAtt'])) return `getatt-${(v['Fn::GetAtt'] as string[]).join('.')}`;
  if (Array.isArray(v['Fn::Join'])) {
    const [separator, parts] = v['Fn::Join'] as [string, unknown[]];
    return parts.map((p) => String(concrete(p))).join(separator);
  }
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, concrete(x)]));
}

/** Every statement of every policy attached to the role: what the function may do. */
/** The logical ID a resource synthesizes with, overrides included (VpcFunction keeps old IDs by overriding). */
function logicalIdOf(stack: Stack, construct: { node: { defaultChild?: unknown } }): string {
  return stack.resolve((construct.node.defaultChild as CfnElement).logicalId) as string;
}

function effectiveStatements(stack: Stack, fn: VpcFunction): Statement[] {
  const roleId = logicalIdOf(stack, fn.role);
  const template = Template.fromStack(stack);
  const attached = Object.values(template.findResources('AWS::IAM::ManagedPolicy')).filter((p) =>
    (p.Properties.Roles ?? []).some((r: { Ref?: string }) => r.Ref === roleId),
  );
  return attached.flatMap((p) => (concrete(p.Properties.PolicyDocument) as { Statement: Statement[] }).Statement);
}

describe('grants onto a Plinth function', () => {
  /** The same function and resources, with or without the grants (a synthesized stack is frozen). */
  const build = (grant: boolean) => {
    const stack = new Stack(newApp({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S', { env: TEST_ENV });
    const fn = plinthFunction(stack);
    const queue = new sqs.Queue(stack, 'Other', { enforceSSL: true, encryption: sqs.QueueEncryption.SQS_MANAGED });
    const endpoint = InferenceEndpoint.fromEndpointAttributes(stack, 'Endpoint', { endpointName: 'Fraud-Dev', productionVariantNames: ['primary'] });
    if (grant) {
      queue.grantSendMessages(fn.function);
      endpoint.grantInvoke(fn.function);
    }
    return { stack, fn, queueArn: `getatt-${stack.resolve(stack.getLogicalId(queue.node.defaultChild as never))}.Arn` };
  };
  const endpointArn = 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/fraud-dev';
  const without = build(false);
  const { stack, fn, queueArn } = build(true);
  expect(without.queueArn).toBe(queueArn);
  const before = effectiveStatements(without.stack, without.fn);
  const after = effectiveStatements(stack, fn);

  test('change its effective permissions: allowed after the grant, not before', () => {
    expect(isAllowed(before, { action: 'sqs:SendMessage', resource: queueArn })).toBe(false);
    expect(isAllowed(before, { action: 'sagemaker:InvokeEndpoint', resource: endpointArn })).toBe(false);
    expect(isAllowed(after, { action: 'sqs:SendMessage', resource: queueArn })).toBe(true);
    expect(isAllowed(after, { action: 'sagemaker:InvokeEndpoint', resource: endpointArn })).toBe(true);
    // Only what was granted.
    expect(isAllowed(after, { action: 'sqs:DeleteMessage', resource: queueArn })).toBe(false);
    expect(isAllowed(after, { action: 'sagemaker:InvokeEndpoint', resource: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint/churn-dev' })).toBe(false);
  });

  test('land in a customer-managed policy of the role that the function waits for, never an inline one', () => {
    const template = Template.fromStack(stack);
    expect(Object.keys(template.findResources('AWS::IAM::Policy'))).toEqual([]);
    const grants = fn.role.grantsPolicy!;
    expect(grants).toBeDefined();
    const grantsId = logicalIdOf(stack, grants);
    const fnResource = template.findResources('AWS::Lambda::Function')[logicalIdOf(stack, fn.function)];
    expect(fnResource.DependsOn).toContain(grantsId);
  });

  test('a function with grants still passes every nag pack and the validator alone', () => {
    const { findings } = synthAloneThroughGate((s) => {
      const f = plinthFunction(s);
      InferenceEndpoint.fromEndpointAttributes(s, 'Endpoint', { endpointName: 'fraud-dev', productionVariantNames: ['primary'] }).grantInvoke(f.function);
    });
    expect(findings).toEqual([]);
  });
});
