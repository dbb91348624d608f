import { CfnResource, Stack, Stage } from 'aws-cdk-lib';
import { isAllowed, type Statement } from '../support/iam-simulator';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { PlatformPermissionsBoundary } from '../../lib/guardrails/permissions-boundary';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

function boundaryStatements(stack: Stack): Array<Record<string, unknown>> {
  const policies = Template.fromStack(stack).findResources('AWS::IAM::ManagedPolicy');
  const [boundary] = Object.values(policies);
  return boundary.Properties.PolicyDocument.Statement;
}

/** The boundary of a `dev` stage's Foundation stack, its ARNs resolved for account 123456789012. */
function devBoundary(): Statement[] {
  const stage = new Stage(newApp(), 'dev', { env: TEST_ENV });
  const stack = new Stack(stage, 'Foundation');
  new PlatformPermissionsBoundary(stack, 'Boundary');
  const resolve = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(resolve);
    if (v !== null && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ('Fn::Join' in o) {
        const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
        return parts.map(resolve).join(sep);
      }
      if ('Ref' in o) return ({ 'AWS::Partition': 'aws', 'AWS::AccountId': TEST_ENV.account, 'AWS::Region': TEST_ENV.region } as Record<string, string>)[o.Ref as string] ?? `<${String(o.Ref)}>`;
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, resolve(x)]));
    }
    return v;
  };
  return resolve(boundaryStatements(stack)) as Statement[];
}

describe('PlatformPermissionsBoundary', () => {
  describe('guards the guardrails (IAM simulator over the synthesized boundary)', () => {
    const boundary = devBoundary();
    const role = (name: string) => `arn:aws:iam::${TEST_ENV.account}:role/${name}`;
    const allowed = (action: string, resource: string, context?: Record<string, string | undefined>) => isAllowed(boundary, { action, resource, ...(context ? { context } : {}) });

    test('no role may assume the model approver or the CDK bootstrap roles; other sts calls stay possible', () => {
      expect(allowed('sts:AssumeRole', role('dev-Models-RegistryApproverRole1A2B3C-XYZ'))).toBe(false);
      expect(allowed('sts:AssumeRole', role('cdk-hnb659fds-deploy-role-123456789012-us-east-1'))).toBe(false);
      expect(allowed('sts:AssumeRole', role('cdk-hnb659fds-cfn-exec-role-123456789012-us-east-1'))).toBe(false);
      expect(allowed('sts:GetCallerIdentity', '*')).toBe(true);
    });

    test('iam:PassRole reaches only the platform\'s own roles, and only for the services that run them', () => {
      const modelRole = role('dev-Models-ModelExecutionRoleABC-123');
      // what deploy-model does: the model execution role to SageMaker
      expect(allowed('iam:PassRole', modelRole, { 'iam:PassedToService': 'sagemaker.amazonaws.com' })).toBe(true);
      expect(allowed('iam:PassRole', modelRole, { 'iam:PassedToService': 'ec2.amazonaws.com' })).toBe(false);
      expect(allowed('iam:PassRole', role('OrganizationAccountAccessRole'), { 'iam:PassedToService': 'sagemaker.amazonaws.com' })).toBe(false);
      expect(allowed('iam:PassRole', role('prod-Models-ModelExecutionRoleABC-123'), { 'iam:PassedToService': 'sagemaker.amazonaws.com' })).toBe(false);
    });

    test('keys cannot be scheduled for deletion, disabled or re-policied; using them stays possible', () => {
      const key = `arn:aws:kms:us-east-1:${TEST_ENV.account}:key/1234`;
      for (const action of ['kms:ScheduleKeyDeletion', 'kms:DisableKey', 'kms:PutKeyPolicy']) expect(allowed(action, key)).toBe(false);
      expect(allowed('kms:Decrypt', key)).toBe(true);
      expect(allowed('kms:GenerateDataKey', key)).toBe(true);
    });

    test('alarms cannot be deleted, disabled, forced to OK or rewritten; metrics can still be published', () => {
      const alarm = `arn:aws:cloudwatch:us-east-1:${TEST_ENV.account}:alarm:dev-EndpointErrors-fraud`;
      for (const action of ['cloudwatch:DeleteAlarms', 'cloudwatch:DisableAlarmActions', 'cloudwatch:SetAlarmState', 'cloudwatch:PutMetricAlarm']) {
        expect(allowed(action, alarm)).toBe(false);
      }
      expect(allowed('cloudwatch:PutMetricData', '*')).toBe(true);
      expect(allowed('cloudwatch:GetMetricData', '*')).toBe(true);
    });

    test('notebooks only without direct internet access', () => {
      const notebook = `arn:aws:sagemaker:us-east-1:${TEST_ENV.account}:notebook-instance/n`;
      expect(allowed('sagemaker:CreateNotebookInstance', notebook)).toBe(false); // absent = Enabled by default
      expect(allowed('sagemaker:CreateNotebookInstance', notebook, { 'sagemaker:DirectInternetAccess': 'Enabled' })).toBe(false);
      expect(allowed('sagemaker:CreateNotebookInstance', notebook, { 'sagemaker:DirectInternetAccess': 'Disabled' })).toBe(true);
    });

    test('endpoint configs without a KMS key are denied in every form, serverless included; keyed and NVMe ones pass', () => {
      const config = `arn:aws:sagemaker:us-east-1:${TEST_ENV.account}:endpoint-config/c`;
      expect(allowed('sagemaker:CreateEndpointConfig', config)).toBe(false); // serverless: no instance types, no key
      expect(allowed('sagemaker:CreateEndpointConfig', config, { 'sagemaker:InstanceTypes': 'ml.m5.large' })).toBe(false);
      expect(allowed('sagemaker:CreateEndpointConfig', config, { 'sagemaker:InstanceTypes': 'ml.m5.large', 'sagemaker:VolumeKmsKey': 'k' })).toBe(true);
      expect(allowed('sagemaker:CreateEndpointConfig', config, { 'sagemaker:VolumeKmsKey': 'k' })).toBe(true);
      expect(allowed('sagemaker:CreateEndpointConfig', config, { 'sagemaker:InstanceTypes': 'ml.g5.xlarge' })).toBe(true); // local NVMe: hardware-encrypted
      // a serverless variant (it sends ServerlessMaxConcurrency) without a key, alone or next to an NVMe variant
      const serverless = { 'sagemaker:ServerlessMaxConcurrency': '5', 'sagemaker:ServerlessMemorySize': '2048' };
      expect(allowed('sagemaker:CreateEndpointConfig', config, serverless)).toBe(false);
      expect(allowed('sagemaker:CreateEndpointConfig', config, { ...serverless, 'sagemaker:InstanceTypes': 'ml.g5.xlarge' })).toBe(false);
      expect(allowed('sagemaker:CreateEndpointConfig', config, { ...serverless, 'sagemaker:VolumeKmsKey': 'k' })).toBe(true);
      // a shadow or second variant without NVMe storage next to an NVMe one, without a key
      expect(allowed('sagemaker:CreateEndpointConfig', config, { 'sagemaker:InstanceTypes': 'ml.g5.xlarge,ml.m5.large' })).toBe(false);
    });

    test('every SageMaker condition key a Deny relies on is one the Service Authorization Reference lists for its actions', () => {
      // From docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemaker.html (2026-12-04):
      // the SageMaker-specific condition keys each action sends (tag keys left out).
      const KEYS_BY_ACTION: Record<string, readonly string[]> = {
        'sagemaker:CreateModel': ['NetworkIsolation', 'VpcSecurityGroupIds', 'VpcSubnets'],
        'sagemaker:CreateEndpointConfig': ['AcceleratorTypes', 'InstanceTypes', 'ModelArn', 'VolumeKmsKey', 'ServerlessMaxConcurrency', 'ServerlessMemorySize'],
        'sagemaker:CreateTrainingJob': ['FileSystemAccessMode', 'FileSystemDirectoryPath', 'FileSystemId', 'FileSystemType', 'InstanceTypes', 'InterContainerTrafficEncryption', 'MaxRuntimeInSeconds', 'NetworkIsolation', 'OutputKmsKey', 'VolumeKmsKey', 'VpcSecurityGroupIds', 'VpcSubnets', 'KeepAlivePeriod'],
        'sagemaker:CreateHyperParameterTuningJob': ['FileSystemAccessMode', 'FileSystemDirectoryPath', 'FileSystemId', 'FileSystemType', 'InstanceTypes', 'InterContainerTrafficEncryption', 'MaxRuntimeInSeconds', 'NetworkIsolation', 'OutputKmsKey', 'VolumeKmsKey', 'VpcSecurityGroupIds', 'VpcSubnets'],
        'sagemaker:CreateProcessingJob': ['InstanceTypes', 'MaxRuntimeInSeconds', 'NetworkIsolation', 'OutputKmsKey', 'VolumeKmsKey', 'VpcSecurityGroupIds', 'VpcSubnets', 'InterContainerTrafficEncryption'],
        'sagemaker:CreateTransformJob': ['InstanceTypes', 'ModelArn', 'OutputKmsKey', 'VolumeKmsKey'],
        'sagemaker:CreateNotebookInstance': ['AcceleratorTypes', 'DirectInternetAccess', 'InstanceTypes', 'MinimumInstanceMetadataServiceVersion', 'RootAccess', 'VolumeKmsKey', 'VpcSecurityGroupIds', 'VpcSubnets'],
      };
      const mismatches: string[] = [];
      for (const st of boundary.filter((s) => s.Effect === 'Deny')) {
        const keys = Object.values(st.Condition ?? {}).flatMap((block) => Object.keys(block)).filter((k) => k.startsWith('sagemaker:'));
        for (const action of [st.Action ?? []].flat().filter((a) => a.startsWith('sagemaker:'))) {
          const known = KEYS_BY_ACTION[action];
          if (!known) {
            if (keys.length > 0) mismatches.push(`${action}: not in the table`);
            continue;
          }
          for (const key of keys) if (!known.includes(key.replace(/^sagemaker:/, ''))) mismatches.push(`${action} never sends ${key}`);
        }
      }
      expect(mismatches).toEqual([]);
    });
  });

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

  test('requires a VPC on training and processing jobs, and on the model a transform job runs (transform has no VpcSubnets key)', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    new PlatformPermissionsBoundary(stack, 'Boundary');
    const statements = boundaryStatements(stack);
    const outsideVpc = statements.find((st: any) => st.Sid === 'DenyJobsOutsideVpc') as any;
    expect(outsideVpc.Action).toEqual(expect.arrayContaining(['sagemaker:CreateTrainingJob', 'sagemaker:CreateProcessingJob']));
    expect(outsideVpc.Action).not.toContain('sagemaker:CreateTransformJob');
    expect(statements).toContainEqual(expect.objectContaining({ Sid: 'DenyModelOutsideVpc', Action: 'sagemaker:CreateModel', Condition: { Null: { 'sagemaker:VpcSubnets': 'true' } } }));
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
