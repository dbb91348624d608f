import type { CurrentEndpointConfig } from '../../../lambdas/deploy-model/endpoint-config';
import {
  SUBMITTED_TAG_KEY,
  buildEndpointConfigInput,
  copyableTags,
  hasLocalInstanceStorage,
} from '../../../lambdas/deploy-model/endpoint-config';
import { DeploymentFailure } from '../../../lambdas/deploy-model/errors';

const DEFAULT_KEY = 'arn:aws:kms:us-east-1:123456789012:key/default';

function current(): CurrentEndpointConfig {
  return {
    EndpointConfigName: 'fraud-dev-initial',
    EndpointConfigArn: 'arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/fraud-dev-initial',
    CreationTime: new Date('2024-01-01T00:00:00Z'),
    ProductionVariants: [
      {
        VariantName: 'primary',
        ModelName: 'fraud-dev-primary-v1',
        InstanceType: 'ml.m5.large',
        InitialInstanceCount: 2,
        InitialVariantWeight: 0.9,
        VolumeSizeInGB: 30,
        ModelDataDownloadTimeoutInSeconds: 900,
        ContainerStartupHealthCheckTimeoutInSeconds: 600,
        RoutingConfig: { RoutingStrategy: 'LEAST_OUTSTANDING_REQUESTS' },
        ManagedInstanceScaling: { Status: 'ENABLED', MinInstanceCount: 1, MaxInstanceCount: 4 },
      },
      { VariantName: 'challenger', ModelName: 'challenger-model', InstanceType: 'ml.c5.xlarge', InitialInstanceCount: 1, InitialVariantWeight: 0.1 },
    ],
    ShadowProductionVariants: [{ VariantName: 'shadow', ModelName: 'shadow-model', InstanceType: 'ml.m5.large', InitialInstanceCount: 1 }],
    DataCaptureConfig: {
      EnableCapture: true,
      InitialSamplingPercentage: 20,
      DestinationS3Uri: 's3://capture/fraud',
      CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
    },
    KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/existing',
    AsyncInferenceConfig: { OutputConfig: { S3OutputPath: 's3://async/out' } },
    ExplainerConfig: { ClarifyExplainerConfig: { ShapConfig: { ShapBaselineConfig: { MimeType: 'text/csv', ShapBaseline: '1,2' } } } },
    MetricsConfig: { EnableEnhancedMetrics: true },
  };
}

const OPTS = { endpointConfigName: 'fraud-dev-v2-abcd1234', variantName: 'primary', modelName: 'fraud-dev-primary-v2', tags: [], defaultKmsKeyArn: DEFAULT_KEY };

describe('buildEndpointConfigInput', () => {
  it('copies every setting and replaces only the target variant model', () => {
    // GIVEN a current config using every kind of setting
    const cur = current();
    const before = structuredClone(cur);
    // WHEN the new config is built
    const input = buildEndpointConfigInput(cur, { ...OPTS, tags: [{ Key: 'team', Value: 'risk' }] });
    // THEN it is the current config with the new name, tags and model on the target variant only
    const { EndpointConfigArn: _arn, CreationTime: _t, EndpointConfigName: _n, ...copied } = before;
    expect(input).toEqual({
      ...copied,
      EndpointConfigName: 'fraud-dev-v2-abcd1234',
      ProductionVariants: [{ ...before.ProductionVariants![0], ModelName: 'fraud-dev-primary-v2' }, before.ProductionVariants![1]],
      DataCaptureConfig: { ...before.DataCaptureConfig, KmsKeyId: DEFAULT_KEY },
      Tags: [{ Key: 'team', Value: 'risk' }],
    });
    // AND the input object was not mutated (deep copies)
    expect(cur).toEqual(before);
    input.ShadowProductionVariants![0]!.ModelName = 'changed';
    expect(cur.ShadowProductionVariants![0]!.ModelName).toBe('shadow-model');
  });

  it('uses MODELS_KMS_KEY_ARN where the current config has no key, except on local-storage instances', () => {
    // GIVEN a config without any key
    const cur = { ...current(), KmsKeyId: undefined };
    // WHEN built for m5 instances
    // THEN the default key is set for the volume and data capture
    expect(buildEndpointConfigInput(cur, OPTS).KmsKeyId).toBe(DEFAULT_KEY);
    // WHEN a variant uses an instance type with local NVMe storage (SageMaker rejects KmsKeyId there)
    const gpu: CurrentEndpointConfig = { ...cur, ProductionVariants: [{ ...cur.ProductionVariants![0]!, InstanceType: 'ml.g5.2xlarge' as const }] };
    const input = buildEndpointConfigInput(gpu, OPTS);
    // THEN no volume key is injected, data capture still gets one
    expect(input.KmsKeyId).toBeUndefined();
    expect(input.DataCaptureConfig?.KmsKeyId).toBe(DEFAULT_KEY);
  });

  it('keeps an existing data capture key and drops an empty data capture config', () => {
    // GIVEN data capture with its own key, then an empty one (as moto returns)
    const withKey = { ...current(), DataCaptureConfig: { ...current().DataCaptureConfig!, KmsKeyId: 'arn:aws:kms:us-east-1:123456789012:key/capture' } };
    const empty = { ...current(), DataCaptureConfig: {} as CurrentEndpointConfig['DataCaptureConfig'] };
    // THEN the key is kept / no data capture is configured
    expect(buildEndpointConfigInput(withKey, OPTS).DataCaptureConfig?.KmsKeyId).toBe('arn:aws:kms:us-east-1:123456789012:key/capture');
    expect(buildEndpointConfigInput(empty, OPTS).DataCaptureConfig).toBeUndefined();
  });

  it('fails clearly for an unknown variant or an inference-component variant', () => {
    // GIVEN a variant name the config does not have, and a variant without ModelName
    const noModel: CurrentEndpointConfig = { ...current(), ProductionVariants: [{ VariantName: 'primary', InstanceType: 'ml.m5.large' }] };
    // THEN a DeploymentFailure unknown-variant is thrown
    expect(() => buildEndpointConfigInput(current(), { ...OPTS, variantName: 'nope' })).toThrow(DeploymentFailure);
    expect(() => buildEndpointConfigInput(current(), { ...OPTS, variantName: 'nope' })).toThrow('no production variant nope (variants: primary, challenger)');
    expect(() => buildEndpointConfigInput(noModel, OPTS)).toThrow('has no ModelName: an inference component serves it, so DEPLOYMENTS must name it in inferenceComponentName');
  });
});

describe('helpers', () => {
  it('filters aws: tags and the submitted marker out of copied tags', () => {
    // GIVEN tags of the current config
    const tags = copyableTags([
      { Key: 'team', Value: 'risk' },
      { Key: 'aws:cloudformation:stack-name', Value: 's' },
      { Key: SUBMITTED_TAG_KEY, Value: 'true' },
    ]);
    // THEN only user tags remain
    expect(tags).toEqual([{ Key: 'team', Value: 'risk' }]);
  });

  it.each([
    ['ml.m5.large', false],
    ['ml.c6i.xlarge', false],
    ['ml.inf2.xlarge', false],
    ['ml.m5d.large', true],
    ['ml.c6id.2xlarge', true],
    ['ml.g4dn.xlarge', true],
    ['ml.g5.12xlarge', true],
    ['ml.p4d.24xlarge', true],
    ['ml.p5.48xlarge', true],
  ])('knows whether %s has local instance storage', (type, expected) => {
    // GIVEN an instance type  WHEN checked  THEN the heuristic answers
    expect(hasLocalInstanceStorage(type)).toBe(expected);
  });
});
