import { CfnElement, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { createVpcFunction, siblingLogicalId, VpcFunction, type VpcFunctionProps } from '../../lib/compute/vpc-function';
import { PlatformNetwork } from '../../lib/network/platform-network';
import { SecureQueue } from '../../lib/storage/secure-queue';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

function baseProps(stack: Stack): VpcFunctionProps {
  const logsKey = new kms.Key(stack, 'LogsKey', { enableKeyRotation: true });
  const network = new PlatformNetwork(stack, 'Network', { vpcCidr: '10.80.0.0/16', availabilityZones: ['us-east-1a', 'us-east-1b'], logsKey });
  return {
    handlerFolder: 'review-expiry',
    description: 'Expires review cases',
    statements: [],
    environment: {},
    vpc: network.vpc,
    logsKey,
    deadLetterQueue: new SecureQueue(stack, 'DeadLetters', { encryptionKey: logsKey, isDeadLetterQueue: true }),
    logRetention: logs.RetentionDays.ONE_YEAR,
    removalPolicy: RemovalPolicy.RETAIN,
    timeout: Duration.seconds(30),
    reservedConcurrency: 1,
  };
}

const idOf = (construct: { node: { defaultChild?: unknown } }) => {
  const element = construct.node.defaultChild as CfnElement;
  return Stack.of(element).resolve(element.logicalId) as string;
};

describe('VpcFunction', () => {
  test('alone (with its network, key and dead-letter queue) it passes every nag pack and the validator', () => {
    const { findings } = synthAloneThroughGate((stack) => new VpcFunction(stack, 'Expiry', baseProps(stack)));
    expect(findings).toEqual([]);
  });

  test('builds its pieces on itself: the function is Resource, beside Logs, Role, Policy and SecurityGroup', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    const made = new VpcFunction(stack, 'Expiry', baseProps(stack));
    // (RoleGrants: the policy grants land in; the dead-letter queue's send grant is the first)
    expect(made.node.children.map((c) => c.node.id).sort()).toEqual(['Logs', 'Policy', 'Resource', 'Role', 'RoleGrants', 'SecurityGroup']);
    expect(made.node.defaultChild).toBe(made.function);
    expect(made.function.runtime).toBe(lambda.Runtime.NODEJS_24_X);
  });

  test('keepLogicalIdsOf: every piece keeps the logical ID createVpcFunction gave it as a sibling', () => {
    // GIVEN the layout createVpcFunction used to build: the five pieces side by side under one scope
    const before = new Stack(newApp(), 'S', { env: TEST_ENV });
    const oldScope = new Construct(before, 'Drift-fraud-detector');
    const oldLogs = new logs.LogGroup(oldScope, 'QueryLogs');
    const oldRole = new iam.Role(oldScope, 'QueryRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    const oldPolicy = new iam.ManagedPolicy(oldScope, 'QueryPolicy', { statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] })] });
    const oldSg = new ec2.SecurityGroup(oldScope, 'QuerySecurityGroup', { vpc: new ec2.Vpc(before, 'Vpc') });
    const oldFn = new lambda.Function(oldScope, 'QueryFunction', { code: lambda.Code.fromInline('x'), handler: 'index.handler', runtime: lambda.Runtime.NODEJS_24_X, role: oldRole });
    // WHEN the construct is built in the same place with the old ids
    const after = new Stack(newApp(), 'S', { env: TEST_ENV });
    const ids = { function: 'QueryFunction', logGroup: 'QueryLogs', role: 'QueryRole', policy: 'QueryPolicy', securityGroup: 'QuerySecurityGroup' };
    const made = new VpcFunction(new Construct(after, 'Drift-fraud-detector'), 'Query', { ...baseProps(after), keepLogicalIdsOf: ids });
    // THEN
    expect(idOf(made.logGroup)).toBe(idOf(oldLogs));
    expect(idOf(made.role)).toBe(idOf(oldRole));
    expect(idOf(made.policy)).toBe(idOf(oldPolicy));
    expect(idOf(made.securityGroup as ec2.SecurityGroup)).toBe(idOf(oldSg));
    expect(idOf(made.function)).toBe(idOf(oldFn));
    expect(idOf(made.logGroup)).toMatch(/^DriftfrauddetectorQueryLogs[0-9A-F]{8}$/);
  });

  test('createVpcFunction (deprecated) is the construct under the old function id, logical IDs kept', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    const scope = new Construct(stack, 'Models');
    const made = createVpcFunction(scope, { ...baseProps(stack), ids: { function: 'Fn', logGroup: 'FnLogs', role: 'FnRole', policy: 'FnPolicy', securityGroup: 'FnSg' } });
    expect(made).toBeInstanceOf(VpcFunction);
    expect(made.node.id).toBe('Fn');
    const probe = new Stack(newApp(), 'S', { env: TEST_ENV });
    expect(idOf(made.logGroup)).toBe(idOf(new logs.LogGroup(new Construct(probe, 'Models'), 'FnLogs')));
  });

  test('siblingLogicalId agrees with CDK where the path has dashes, repeats and a Default', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    const deep = new Construct(new Construct(stack, 'Review-fraud-detector'), 'Review');
    const owner = new Construct(deep, 'Owner');
    const piece = new logs.LogGroup(owner, 'Logs');
    const sibling = new logs.LogGroup(deep, 'ReviewLogs');
    expect(siblingLogicalId(piece.node.defaultChild as CfnElement, owner, 'ReviewLogs')).toBe(idOf(sibling));
    const withDefault = new Construct(stack, 'Default');
    const owner2 = new Construct(withDefault, 'Owner');
    const piece2 = new logs.LogGroup(owner2, 'Logs');
    expect(siblingLogicalId(piece2.node.defaultChild as CfnElement, owner2, 'Top')).toBe(idOf(new logs.LogGroup(new Construct(new Stack(newApp(), 'S2'), 'Default'), 'Top')));
  });

  test('a reserved concurrency that is not a whole number is refused with the field named', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    expect(() => new VpcFunction(stack, 'Expiry', { ...baseProps(stack), reservedConcurrency: -1 })).toThrow(/reservedConcurrency must be a whole number/);
  });
});
