import { loadConfig, parseDeployments } from '../../../lambdas/deploy-model/config';
import { ConfigError } from '../../../lambdas/deploy-model/errors';

function env(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    PLINTH_ENV: 'dev',
    DEPLOYMENTS: JSON.stringify([{ modelPackageGroupName: 'fraud', endpointName: 'fraud-dev', variantName: 'primary', rollbackAlarmNames: ['a', 'b'] }]),
    MODEL_EXECUTION_ROLE_ARN: 'arn:aws:iam::123456789012:role/plinth-model',
    SUBNET_IDS: 'subnet-0a1b, subnet-0c2d',
    SECURITY_GROUP_IDS: 'sg-0123',
    MODELS_KMS_KEY_ARN: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
    ARTIFACT_BUCKET: 'plinth-dev-models',
    ALLOWED_IMAGE_REGISTRIES: '123456789012.dkr.ecr.us-east-1.amazonaws.com,763104351884.DKR.ECR.us-east-1.amazonaws.com',
    CANARY_PERCENT: '10',
    CANARY_WAIT_SECONDS: '600',
    ALARM_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:plinth-alarms',
    ...overrides,
  };
}

describe('loadConfig (environment contract)', () => {
  it('parses the full contract and applies the documented defaults', () => {
    // GIVEN the required variables only
    // WHEN loaded
    const c = loadConfig(env());
    // THEN lists are split and trimmed, registries lower-cased, defaults applied
    expect(c).toEqual({
      env: 'dev',
      deployments: [{ modelPackageGroupName: 'fraud', endpointName: 'fraud-dev', variantName: 'primary', rollbackAlarmNames: ['a', 'b'] }],
      modelExecutionRoleArn: 'arn:aws:iam::123456789012:role/plinth-model',
      subnetIds: ['subnet-0a1b', 'subnet-0c2d'],
      securityGroupIds: ['sg-0123'],
      modelsKmsKeyArn: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      allowedImageRegistries: ['123456789012.dkr.ecr.us-east-1.amazonaws.com', '763104351884.dkr.ecr.us-east-1.amazonaws.com'],
      canaryPercent: 10,
      canaryWaitSeconds: 600,
      terminationWaitSeconds: 300,
      maxExecutionTimeoutSeconds: 3600,
      alarmTopicArn: 'arn:aws:sns:us-east-1:123456789012:plinth-alarms',
      eventBusName: 'default',
      artifactBucket: 'plinth-dev-models',
    });
  });

  it('honours explicit optional values', () => {
    // GIVEN the optional variables set
    const c = loadConfig(env({ TERMINATION_WAIT_SECONDS: '0', MAX_EXECUTION_TIMEOUT_SECONDS: '7200', EVENT_BUS_NAME: 'plinth-dev' }));
    // THEN they are used
    expect([c.terminationWaitSeconds, c.maxExecutionTimeoutSeconds, c.eventBusName]).toEqual([0, 7200, 'plinth-dev']);
  });

  it.each([
    ['a missing role', { MODEL_EXECUTION_ROLE_ARN: undefined }],
    ['a non-role ARN', { MODEL_EXECUTION_ROLE_ARN: 'arn:aws:iam::123456789012:user/bob' }],
    ['an empty subnet list', { SUBNET_IDS: ' , ' }],
    ['a bad subnet id', { SUBNET_IDS: 'subnet-0a1b,vpc-1' }],
    ['a bad security group', { SECURITY_GROUP_IDS: 'default' }],
    ['a non-KMS key', { MODELS_KMS_KEY_ARN: 'alias/x' }],
    ['a missing artifact bucket', { ARTIFACT_BUCKET: undefined }],
    ['an artifact bucket given as a URI', { ARTIFACT_BUCKET: 's3://plinth-dev-models' }],
    ['a non-ECR registry', { ALLOWED_IMAGE_REGISTRIES: 'docker.io' }],
    ['a canary above 50%', { CANARY_PERCENT: '60' }],
    ['a zero canary', { CANARY_PERCENT: '0' }],
    ['a non-integer wait', { CANARY_WAIT_SECONDS: '10m' }],
    ['a timeout shorter than the waits', { CANARY_WAIT_SECONDS: '3000', TERMINATION_WAIT_SECONDS: '1000', MAX_EXECUTION_TIMEOUT_SECONDS: '3600' }],
    ['a missing topic', { ALARM_TOPIC_ARN: undefined }],
    ['a missing env name', { PLINTH_ENV: '' }],
  ])('rejects %s with a ConfigError', (_label, overrides) => {
    // GIVEN an invalid environment
    // WHEN loaded
    // THEN a ConfigError names the problem
    expect(() => loadConfig(env(overrides))).toThrow(ConfigError);
  });

  it('validates DEPLOYMENTS entries', () => {
    // GIVEN malformed deployment lists
    // THEN each is rejected; an empty list is allowed (nothing deployed in this env)
    expect(() => parseDeployments('{')).toThrow('not valid JSON');
    expect(() => parseDeployments('{}')).toThrow('JSON array');
    expect(() => parseDeployments(JSON.stringify([{ modelPackageGroupName: 'g', endpointName: 'e', variantName: 'v', rollbackAlarmNames: [] }]))).toThrow('1 to 10');
    expect(() => parseDeployments(JSON.stringify([{ modelPackageGroupName: 'g_x', endpointName: 'e', variantName: 'v', rollbackAlarmNames: ['a'] }]))).toThrow(
      'modelPackageGroupName',
    );
    const dup = { endpointName: 'e', variantName: 'v', rollbackAlarmNames: ['a'] };
    expect(() => parseDeployments(JSON.stringify([{ ...dup, modelPackageGroupName: 'g1' }, { ...dup, modelPackageGroupName: 'g2' }]))).toThrow('listed twice');
    expect(parseDeployments('[]')).toEqual([]);
  });

  it('reads an optional inferenceComponentName, and rejects one that is not a SageMaker name', () => {
    // GIVEN a deployment whose variant is served by an inference component, one without, and a bad name
    const base = { modelPackageGroupName: 'g', endpointName: 'e', variantName: 'v', rollbackAlarmNames: ['a'] };
    // THEN the name is kept when present, absent otherwise, and a bad one is a ConfigError naming the field
    expect(parseDeployments(JSON.stringify([{ ...base, inferenceComponentName: 'e-v' }]))).toEqual([{ ...base, inferenceComponentName: 'e-v' }]);
    expect(parseDeployments(JSON.stringify([base]))[0]).not.toHaveProperty('inferenceComponentName');
    expect(() => parseDeployments(JSON.stringify([{ ...base, inferenceComponentName: 'e_v' }]))).toThrow('DEPLOYMENTS[0].inferenceComponentName must be a SageMaker name');
    expect(() => parseDeployments(JSON.stringify([{ ...base, inferenceComponentName: 7 }]))).toThrow(ConfigError);
  });
});
