import { DECLARED_ENVIRONMENTS, parseEnvironmentConfig, promotionTargetAccounts } from '../../config';

function withModel(change: (model: Record<string, any>, registry: Record<string, any>) => void): unknown {
  const copy = JSON.parse(JSON.stringify(DECLARED_ENVIRONMENTS.staging));
  change(copy.modelRegistry.models[0], copy.modelRegistry);
  return copy;
}

describe('model registry config', () => {
  test.each<[string, (m: Record<string, any>, r: Record<string, any>) => void, RegExp]>([
    ['a variantName the endpoint does not have', (m) => (m.variantName = 'blue'), /variantName "blue" is not one of the endpoint's production variants \(primary\)/],
    ['an image outside ECR', (m) => (m.endpoint.variants[0].image = 'docker.io/library/nginx:latest'), /image must be an ECR image URI with a tag or digest/],
    ['a canary over half the fleet', (_m, r) => (r.canary.percent = 80), /canary\.percent must be 1-50/],
    ['a canary wait beyond SageMaker\'s hour', (_m, r) => (r.canary.waitMinutes = 90), /canary\.waitMinutes can be at most 60/],
    ['a duplicate model', (_m, r) => r.models.push(r.models[0]), /model "fraud-detector" is declared twice/],
    ['a capture sampling over 100%', (m) => (m.endpoint.dataCaptureSamplingPercent = 120), /dataCaptureSamplingPercent must be 0-100/],
    // An A/B verdict needs one challenger: with the champion alone there is no verdict, with two
    // challengers the second was never compared; both used to pass silently.
    ['an A/B test without a challenger', (m) => (m.quality.abTest = { champion: 'primary', minimumEffect: 0.005 }), /quality\.abTest compares the champion with exactly one other production variant; the endpoint has none besides "primary"/],
    [
      'an A/B test with two challengers',
      (m) => {
        const v = m.endpoint.variants[0];
        m.endpoint.variants.push({ ...v, name: 'blue' }, { ...v, name: 'green' });
        m.quality.abTest = { champion: 'primary', minimumEffect: 0.005 };
      },
      /exactly one other production variant; the endpoint has 2 \(blue, green\)/,
    ],
    // Every label that is not positiveLabel counts as a negative: a reviewer's "Fraud" against
    // positiveLabel "fraud" would be a negative in every quality figure.
    ['a positive label reviewers cannot give', (m) => (m.quality.positiveLabel = 'Fraud'), /quality\.positiveLabel "Fraud" is not one of review\.allowedLabels \(fraud, legitimate\)/],
  ])('rejects %s', (_what, change, message) => {
    expect(() => parseEnvironmentConfig(withModel(change), 'config/staging.ts')).toThrow(message);
  });

  test('each environment\'s registry is readable by the accounts later on the promotion path', () => {
    expect(promotionTargetAccounts('dev')).toEqual(['222222222222', '333333333333']);
    expect(promotionTargetAccounts('staging')).toEqual(['333333333333']);
    expect(promotionTargetAccounts('prod')).toEqual([]);
  });
});
