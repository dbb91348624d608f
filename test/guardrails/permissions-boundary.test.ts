import { CfnResource, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { PlatformPermissionsBoundary } from '../../lib/guardrails/permissions-boundary';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

function boundaryStatements(stack: Stack): Array<Record<string, unknown>> {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy');
  const [boundary] = Object.values(policies);
  return boundary.Properties.PolicyDocument.Statement;
}

describe('PlatformPermissionsBoundary', () => {
  test('alone in a stack it passes every nag pack and the validator', () => {
    const { findings } = synthAloneThroughGate((stack) => new PlatformPermissionsBoundary(stack, 'Boundary'));
    expect(findings).toEqual([]);
  });

  test.each([
    ['DenyModelWithoutNetworkIsolation', 'sagemaker:CreateModel', { Bool: { 'sagemaker:NetworkIsolation': 'false' } }],
    ['DenyModelWithNetworkIsolationUnset', 'sagemaker:CreateModel', { Null: { 'sagemaker:NetworkIsolation': 'true' } }],
    ['DenyModelOutsideVpc', 'sagemaker:CreateModel', { Null: { 'sagemaker:VpcSubnets': 'true' } }],
    [
      'DenyEndpointConfigWithoutVolumeKey',
      'sagemaker:CreateEndpointConfig',
      { Null: { 'sagemaker:VolumeKmsKey': 'true' }, 'ForAnyValue:StringNotLike': { 'sagemaker:InstanceTypes': expect.arrayContaining(['ml.g5.*', 'ml.p4d.*']) } },
    ],
  ])('%s denies %s under %j', (sid, action, condition) => {
    // GIVEN
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    // WHEN
    new PlatformPermissionsBoundary(stack, 'Boundary');
    // THEN
    expect(boundaryStatements(stack)).toContainEqual({ Sid: sid, Effect: 'Deny', Action: action, Resource: '*', Condition: condition });
  });

  test('denies training, processing and transform jobs without volume and output keys', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    new PlatformPermissionsBoundary(stack, 'Boundary');
    const statements = boundaryStatements(stack);
    for (const [sid, key] of [['DenyJobsWithoutVolumeKey', 'sagemaker:VolumeKmsKey'], ['DenyJobsWithoutOutputKey', 'sagemaker:OutputKmsKey']]) {
      expect(statements).toContainEqual(
        expect.objectContaining({
          Sid: sid,
          Effect: 'Deny',
          Action: expect.arrayContaining(['sagemaker:CreateTrainingJob', 'sagemaker:CreateProcessingJob', 'sagemaker:CreateTransformJob']),
          Condition: { Null: { [key]: 'true' } },
        }),
      );
    }
  });

  test('denies removing or replacing the boundary, and editing the boundary policy itself', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    // WHEN
    const boundary = new PlatformPermissionsBoundary(stack, 'Boundary');
    // THEN
    const statements = boundaryStatements(stack);
    const resolvedArn = stack.resolve(boundary.policyArn);
    expect(statements).toContainEqual(
      expect.objectContaining({ Sid: 'DenyBoundaryRemoval', Effect: 'Deny', Action: ['iam:DeleteRolePermissionsBoundary', 'iam:DeleteUserPermissionsBoundary'] }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'DenyBoundaryReplacement',
        Effect: 'Deny',
        Condition: { StringNotEquals: { 'iam:PermissionsBoundary': resolvedArn } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Sid: 'DenyBoundaryEdits',
        Effect: 'Deny',
        Action: expect.arrayContaining(['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicy']),
        Resource: resolvedArn,
      }),
    );
  });

  test('applyTo puts the boundary on L2 roles and on roles CDK declares as plain CfnResources', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    const boundary = new PlatformPermissionsBoundary(stack, 'Boundary');
    new iam.Role(stack, 'Typed', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    new CfnResource(stack, 'Untyped', {
      type: 'AWS::IAM::Role',
      properties: { AssumeRolePolicyDocument: { Version: '2012-10-17', Statement: [] } },
    });
    // WHEN
    boundary.applyTo(stack);
    // THEN
    const roles = Template.fromStack(stack).findResources('AWS::IAM::Role');
    expect(Object.keys(roles)).toHaveLength(2);
    for (const role of Object.values(roles)) {
      expect(stack.resolve(role.Properties.PermissionsBoundary)).toEqual(stack.resolve(boundary.policyArn));
    }
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', { PermissionsBoundary: Match.anyValue() });
  });
});
