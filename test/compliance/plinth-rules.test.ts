import { Stack } from 'aws-cdk-lib';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lakeformation from 'aws-cdk-lib/aws-lakeformation';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { ComplianceEvidence } from '../../lib/compliance/evidence';
import { markModelApprover, PlinthMlChecks } from '../../lib/compliance/plinth-rules';
import { RecordingPlinthMlChecks } from '../../lib/compliance/recording-packs';
import { PlatformPermissionsBoundary } from '../../lib/guardrails/permissions-boundary';
import { newApp, TEST_ENV } from '../support/gate';

/** What each Plinth rule concluded about each resource built in an empty stack, as `Rule path → outcome`. */
function outcomesOf(build: (stack: Stack) => void): Record<string, string> {
  const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
  build(stack);
  const evidence = new ComplianceEvidence();
  new RecordingPlinthMlChecks(stack, {}, evidence).validateScope(stack);
  const outcomes: Record<string, string> = {};
  for (const e of evidence.evaluations) {
    if (e.outcome !== 'not-applicable') outcomes[`${e.rule} ${e.resource.path}`] = e.findings.length > 0 ? `${e.outcome} ${e.findings.join(',')}` : e.outcome;
  }
  return outcomes;
}

const model = (stack: Stack, id: string, props: Partial<sagemaker.CfnModelProps>) =>
  new sagemaker.CfnModel(stack, id, { executionRoleArn: 'arn:aws:iam::123456789012:role/m', primaryContainer: { image: 'img' }, ...props });
const variant = { modelName: 'm', variantName: 'v', initialInstanceCount: 1, instanceType: 'ml.m5.large' };
const capture = { initialSamplingPercentage: 100, destinationS3Uri: 's3://b/c', captureOptions: [{ captureMode: 'Input' }] };
const features = { featureGroupName: 'g', recordIdentifierFeatureName: 'id', eventTimeFeatureName: 't', featureDefinitions: [{ featureName: 'id', featureType: 'String' }, { featureName: 't', featureType: 'String' }] };

describe("Plinth's ML rules", () => {
  test('SageMaker models need network isolation and a VPC config', () => {
    const outcomes = outcomesOf((stack) => {
      model(stack, 'Isolated', { enableNetworkIsolation: true, vpcConfig: { subnets: ['subnet-1'], securityGroupIds: ['sg-1'] } });
      model(stack, 'Open', {});
      model(stack, 'IsolatedNoVpc', { enableNetworkIsolation: true });
    });
    expect(outcomes).toMatchObject({
      'Plinth-SageMakerModelIsolatedInVpc S/Isolated': 'pass',
      'Plinth-SageMakerModelIsolatedInVpc S/Open': 'fail Plinth-SageMakerModelIsolatedInVpc',
      'Plinth-SageMakerModelIsolatedInVpc S/IsolatedNoVpc': 'fail Plinth-SageMakerModelIsolatedInVpc',
    });
  });

  test('endpoint configs encrypt their volumes and their data capture with KMS', () => {
    const outcomes = outcomesOf((stack) => {
      new sagemaker.CfnEndpointConfig(stack, 'Encrypted', { productionVariants: [variant], kmsKeyId: 'key', dataCaptureConfig: { ...capture, kmsKeyId: 'key' } });
      new sagemaker.CfnEndpointConfig(stack, 'Plain', { productionVariants: [variant], dataCaptureConfig: capture });
    });
    expect(outcomes).toMatchObject({
      'Plinth-SageMakerEndpointConfigKMS S/Encrypted': 'pass',
      'Plinth-SageMakerDataCaptureKMS S/Encrypted': 'pass',
      'Plinth-SageMakerEndpointConfigKMS S/Plain': 'fail Plinth-SageMakerEndpointConfigKMS',
      'Plinth-SageMakerDataCaptureKMS S/Plain': 'fail Plinth-SageMakerDataCaptureKMS',
    });
  });

  test('feature groups encrypt the online and the offline store with KMS', () => {
    const outcomes = outcomesOf((stack) => {
      new sagemaker.CfnFeatureGroup(stack, 'Encrypted', {
        ...features,
        // These two properties are untyped JSON in the L1: CloudFormation's own casing.
        onlineStoreConfig: { EnableOnlineStore: true, SecurityConfig: { KmsKeyId: 'key' } },
        offlineStoreConfig: { S3StorageConfig: { S3Uri: 's3://b/o', KmsKeyId: 'key' } },
      });
      new sagemaker.CfnFeatureGroup(stack, 'Plain', {
        ...features,
        onlineStoreConfig: { EnableOnlineStore: true },
        offlineStoreConfig: { S3StorageConfig: { S3Uri: 's3://b/o' } },
      });
    });
    expect(outcomes).toMatchObject({
      'Plinth-FeatureGroupKMS S/Encrypted': 'pass',
      'Plinth-FeatureGroupKMS S/Plain': 'fail Plinth-FeatureGroupKMS[OnlineStore],Plinth-FeatureGroupKMS[OfflineStore]',
    });
  });

  test('Lake Formation replaces IAMAllowedPrincipals on databases, defaults and grants', () => {
    const everyone = { principal: { dataLakePrincipalIdentifier: 'IAM_ALLOWED_PRINCIPALS' }, permissions: ['ALL'] };
    const outcomes = outcomesOf((stack) => {
      new glue.CfnDatabase(stack, 'Governed', { catalogId: '123456789012', databaseInput: { name: 'a', createTableDefaultPermissions: [] } });
      new glue.CfnDatabase(stack, 'Ungoverned', { catalogId: '123456789012', databaseInput: { name: 'b' } });
      new lakeformation.CfnDataLakeSettings(stack, 'Defaults', { createDatabaseDefaultPermissions: [everyone], createTableDefaultPermissions: [] });
      new lakeformation.CfnDataLakeSettings(stack, 'Replaced', { createDatabaseDefaultPermissions: [], createTableDefaultPermissions: [] });
      new lakeformation.CfnPrincipalPermissions(stack, 'ToEveryone', {
        principal: { dataLakePrincipalIdentifier: 'IAM_ALLOWED_PRINCIPALS' },
        permissions: ['SELECT'],
        permissionsWithGrantOption: [],
        resource: { database: { catalogId: '123456789012', name: 'a' } },
      });
    });
    expect(outcomes).toMatchObject({
      'Plinth-LakeFormationReplacesIAMAllowedPrincipals S/Governed': 'pass',
      'Plinth-LakeFormationReplacesIAMAllowedPrincipals S/Ungoverned': 'fail Plinth-LakeFormationReplacesIAMAllowedPrincipals',
      'Plinth-LakeFormationReplacesIAMAllowedPrincipals S/Defaults': 'fail Plinth-LakeFormationReplacesIAMAllowedPrincipals',
      'Plinth-LakeFormationReplacesIAMAllowedPrincipals S/Replaced': 'pass',
      'Plinth-LakeFormationReplacesIAMAllowedPrincipals S/ToEveryone': 'fail Plinth-LakeFormationReplacesIAMAllowedPrincipals',
    });
  });

  test('no role attaches an AWS-managed FullAccess policy', () => {
    const outcomes = outcomesOf((stack) => {
      new iam.Role(stack, 'Scoped', {
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaBasicExecutionRole')],
      });
      new iam.Role(stack, 'Broad', {
        assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
        managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSageMakerFullAccess')],
      });
    });
    expect(outcomes).toMatchObject({
      'Plinth-IAMNoAwsManagedFullAccess S/Scoped/Resource': 'pass',
      'Plinth-IAMNoAwsManagedFullAccess S/Broad/Resource': 'fail Plinth-IAMNoAwsManagedFullAccess[AmazonSageMakerFullAccess]',
    });
  });

  test('the role that approves model versions is not the one that registers them', () => {
    const outcomes = outcomesOf((stack) => {
      const role = (id: string) => new iam.Role(stack, id, { assumedBy: new iam.AccountRootPrincipal() });
      role('Registrar').addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sagemaker:CreateModelPackage'], resources: ['*'] }));
      const approver = role('Approver');
      approver.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sagemaker:UpdateModelPackage'], resources: ['*'] }));
      markModelApprover(approver);
      const both = role('Both');
      markModelApprover(both);
      both.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sagemaker:CreateModelPackage', 'sagemaker:UpdateModelPackage'], resources: ['*'] }));
      role('Wildcard').addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['sagemaker:*'], resources: ['*'] }));
      const denied = role('DeniedApproval');
      new iam.ManagedPolicy(stack, 'DeniedApprovalPolicy', {
        roles: [denied],
        statements: [
          new iam.PolicyStatement({ actions: ['sagemaker:*ModelPackage'], resources: ['*'] }),
          new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['sagemaker:UpdateModelPackage'], resources: ['*'] }),
        ],
      });
    });
    expect(outcomes).toMatchObject({
      'Plinth-ModelApproverSeparateFromRegistrar S/Registrar/Resource': 'pass',
      'Plinth-ModelApproverSeparateFromRegistrar S/Approver/Resource': 'pass',
      'Plinth-ModelApproverSeparateFromRegistrar S/Both/Resource': 'fail Plinth-ModelApproverSeparateFromRegistrar',
      'Plinth-ModelApproverSeparateFromRegistrar S/Wildcard/Resource': 'fail Plinth-ModelApproverSeparateFromRegistrar',
      'Plinth-ModelApproverSeparateFromRegistrar S/DeniedApproval/Resource': 'pass',
    });
  });

  test('exactly one role can approve: any other role that reaches UpdateModelPackage, by action or resource wildcard, fails unless it is denied changing the approval status', () => {
    const outcomes = outcomesOf((stack) => {
      const role = (id: string, ...statements: iam.PolicyStatement[]) => {
        const r = new iam.Role(stack, id, { assumedBy: new iam.AccountRootPrincipal() });
        new iam.ManagedPolicy(stack, `${id}Policy`, { roles: [r], statements });
        return r;
      };
      const packages = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud/*';
      const update = new iam.PolicyStatement({ actions: ['sagemaker:UpdateModelPackage'], resources: [packages] });
      // the drift-baseline role before the fix: annotates packages, nothing stops it approving
      role('Annotator', update);
      role('AnyAction', new iam.PolicyStatement({ actions: ['*'], resources: ['*'] }));
      role('UpdateStar', new iam.PolicyStatement({ actions: ['sagemaker:Update*'], resources: [packages] }));
      role('OnlyApprovedDenied', update, new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['sagemaker:UpdateModelPackage'], resources: ['*'], conditions: { StringEquals: { 'sagemaker:ModelApprovalStatus': 'Approved' } } }));
      role('StatusDenied', update, new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['sagemaker:UpdateModelPackage'], resources: ['*'], conditions: { Null: { 'sagemaker:ModelApprovalStatus': 'false' } } }));
      role('DenyOnOtherGroupOnly', update, new iam.PolicyStatement({ effect: iam.Effect.DENY, actions: ['sagemaker:UpdateModelPackage'], resources: ['arn:aws:sagemaker:us-east-1:123456789012:model-package/other/*'] }));
      role('EndpointsOnly', new iam.PolicyStatement({ actions: ['sagemaker:*'], resources: ['arn:aws:sagemaker:us-east-1:123456789012:endpoint/e'] }));
      // a wildcard written for another partition still reaches that partition's packages
      role('GovCloudWildcard', new iam.PolicyStatement({ actions: ['sagemaker:UpdateModelPackage'], resources: ['arn:aws-us-gov:sagemaker:*:*:*'] }));
    });
    expect(outcomes).toMatchObject({
      'Plinth-ModelApproverSeparateFromRegistrar S/Annotator/Resource': 'fail Plinth-ModelApproverSeparateFromRegistrar',
      'Plinth-ModelApproverSeparateFromRegistrar S/AnyAction/Resource': 'fail Plinth-ModelApproverSeparateFromRegistrar',
      'Plinth-ModelApproverSeparateFromRegistrar S/UpdateStar/Resource': 'fail Plinth-ModelApproverSeparateFromRegistrar',
      'Plinth-ModelApproverSeparateFromRegistrar S/OnlyApprovedDenied/Resource': 'pass',
      'Plinth-ModelApproverSeparateFromRegistrar S/StatusDenied/Resource': 'pass',
      'Plinth-ModelApproverSeparateFromRegistrar S/DenyOnOtherGroupOnly/Resource': 'fail Plinth-ModelApproverSeparateFromRegistrar',
      'Plinth-ModelApproverSeparateFromRegistrar S/GovCloudWildcard/Resource': 'fail Plinth-ModelApproverSeparateFromRegistrar',
    });
    expect(outcomes['Plinth-ModelApproverSeparateFromRegistrar S/EndpointsOnly/Resource']).not.toMatch(/fail/);
  });

  test("the permissions boundary's guardrail denies are evidence: the boundary passes, one missing a deny fails naming it", () => {
    const outcomes = outcomesOf((stack) => {
      new PlatformPermissionsBoundary(stack, 'Boundary');
      new iam.ManagedPolicy(stack, 'Weakened', {
        description: 'Plinth permissions boundary (weakened copy)',
        statements: [new iam.PolicyStatement({ sid: 'DenyBoundaryRemoval', effect: iam.Effect.DENY, actions: ['iam:DeleteRolePermissionsBoundary'], resources: ['*'] })],
      });
      new iam.ManagedPolicy(stack, 'Other', { statements: [new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] })] });
    });
    expect(outcomes['Plinth-PermissionsBoundaryGuardsGuardrails S/Boundary/Resource/Resource']).toBe('pass');
    expect(outcomes['Plinth-PermissionsBoundaryGuardsGuardrails S/Weakened/Resource']).toMatch(/^fail .*missing DenyAlarmTampering/);
    expect(outcomes['Plinth-PermissionsBoundaryGuardsGuardrails S/Other/Resource']).toBeUndefined();
  });

  test('the pack reports failures as violations under Plinth-<Rule>, exactly as cdk-nag packs do', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    model(stack, 'Open', {});
    const report = new PlinthMlChecks().validateScope(stack);
    expect(report.success).toBe(false);
    expect(report.violations.map((v) => [v.ruleName, v.violatingResources.map((r) => r.constructPath)])).toEqual([
      ['Plinth-SageMakerModelIsolatedInVpc', ['S/Open']],
    ]);
  });
});
