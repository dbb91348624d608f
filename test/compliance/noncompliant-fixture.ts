// A deliberately non-compliant app for the compliance report tests: each resource breaks a
// known rule of each kind (cdk-nag, Plinth, Control Tower), and one waiver expires soon.
import { Stack, Stage } from 'aws-cdk-lib';
import type { App } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { acknowledgeFinding } from '../../lib/compliance/acknowledge';
import { applyComplianceGate, type ComplianceGateOptions } from '../../lib/compliance/compliance-gate';
import { newApp, TEST_ENV } from '../support/gate';

export const FIXTURE_ENVIRONMENT = 'dev';

/** The open findings the fixture must produce, as `plugin finding path`. */
export const EXPECTED_OPEN_FINDINGS = [
  'AwsSolutions AwsSolutions-S1 dev/Data/Leaky',
  'NIST.800.53.R5 NIST.800.53.R5-S3DefaultEncryptionKMS dev/Data/Leaky',
  'Plinth Plinth-SageMakerModelIsolatedInVpc dev/Data/OpenModel',
  'Plinth Plinth-IAMNoAwsManagedFullAccess[AmazonSageMakerFullAccess] dev/Data/Broad/Resource',
  'cdk-validator-cfnguard s3_bucket_logging_enabled_check dev/Data/Leaky',
] as const;

/** The acknowledged finding, whose waiver expires within 30 days. */
export const EXPECTED_ACKNOWLEDGED = 'AwsSolutions AwsSolutions-SQS3 dev/Data/Queue';

/** Days from `today` to the fixture waiver's expiry. */
export const WAIVER_DAYS_LEFT = 10;

export function buildNoncompliantApp(today: Date, options: ComplianceGateOptions = {}): App {
  const app = newApp();
  applyComplianceGate(app, options);
  const stack = new Stack(new Stage(app, FIXTURE_ENVIRONMENT, { env: TEST_ENV }), 'Data');
  new s3.CfnBucket(stack, 'Leaky');
  new sagemaker.CfnModel(stack, 'OpenModel', { executionRoleArn: 'arn:aws:iam::123456789012:role/m', primaryContainer: { image: 'img' } });
  new iam.Role(stack, 'Broad', {
    assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
    managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSageMakerFullAccess')],
  });
  const queue = new sqs.CfnQueue(stack, 'Queue', { sqsManagedSseEnabled: true });
  const expires = new Date(today.getTime() + WAIVER_DAYS_LEFT * 24 * 60 * 60 * 1000).toISOString().slice(0, 10);
  acknowledgeFinding(queue, { rule: 'AwsSolutions-SQS3', reason: 'Fixture: the queue is its own dead-letter target in this test.', owner: 'ml-platform', expires }, today);
  return app;
}
