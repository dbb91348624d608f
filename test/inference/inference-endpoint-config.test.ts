import { DECLARED_ENVIRONMENTS, parseEnvironmentConfig } from '../../config';

/** The dev config with its fraud-detector changed by `change`. */
function devWith(change: (model: Record<string, any>) => void): unknown {
  const copy = structuredClone(DECLARED_ENVIRONMENTS.dev) as Record<string, any>;
  change(copy.modelRegistry.models[0]);
  return copy;
}
const COMPONENT = { acceleratorsPerCopy: 1, memoryPerCopyMiB: 8192 };
/** fraud-detector reduced to what an inference component can serve: one variant; no gateway, review, drift or quality. */
const servedByComponent = (m: Record<string, any>) => {
  delete m.gateway;
  delete m.review;
  delete m.drift;
  delete m.quality;
  m.endpoint.variants = [m.endpoint.variants[0]];
  m.endpoint.variants[0].scaling.minCapacity = 0;
  m.endpoint.variants[0].inferenceComponent = COMPONENT;
};
const other = { name: 'challenger', instanceType: 'ml.g5.xlarge', image: '111111111111.dkr.ecr.us-east-1.amazonaws.com/fraud-detector-serving:1.1.0' };

describe('model config: scale-to-zero', () => {
  test('a variant served by an inference component may scale to zero', () => {
    const config = parseEnvironmentConfig(devWith(servedByComponent), 'config/dev.ts');
    const variant = config.modelRegistry.models[0]!.endpoint.variants[0]!;
    expect([variant.scaling?.minCapacity, variant.inferenceComponent]).toEqual([0, COMPONENT]);
  });

  test.each<[string, (m: Record<string, any>) => void, string]>([
    [
      'minCapacity 0 without an inference component',
      (m) => (m.endpoint.variants[0].scaling.minCapacity = 0),
      'modelRegistry.models.0.endpoint.variants.0.scaling.minCapacity: variant "primary": scale-to-zero (minCapacity 0) needs an inference component; add inferenceComponent: { acceleratorsPerCopy, memoryPerCopyMiB } or set minCapacity to 1',
    ],
    [
      'an inference component in an A/B split',
      (m) => {
        servedByComponent(m);
        m.endpoint.variants.push(other);
      },
      "modelRegistry.models.0.endpoint.variants.0.inferenceComponent: variant \"primary\": an inference component serves an endpoint's only production variant, not an A/B split",
    ],
    [
      'an inference component next to a shadow variant',
      (m) => {
        servedByComponent(m);
        m.endpoint.shadowVariants = [other];
      },
      'modelRegistry.models.0.endpoint.variants.0.inferenceComponent: variant "primary": an endpoint served by an inference component cannot run shadow variants',
    ],
    [
      'a shadow variant that scales to zero',
      (m) => (m.endpoint.shadowVariants = [{ ...other, scaling: { minCapacity: 0, maxCapacity: 1, target: 1 } }]),
      'modelRegistry.models.0.endpoint.shadowVariants.0.scaling: shadow variant "challenger" cannot scale to zero or be served by an inference component',
    ],
    [
      'drift on an inference-component endpoint (no data capture to read)',
      (m) => {
        const drift = m.drift;
        servedByComponent(m);
        m.drift = { ...drift, features: [{ name: 'amount', type: 'numeric' }] };
      },
      "modelRegistry.models.0.drift: drift reads the endpoint's data capture, which an inference-component endpoint does not record",
    ],
    [
      'a gateway in front of an inference-component endpoint',
      (m) => {
        const { gateway, review } = m;
        servedByComponent(m);
        Object.assign(m, { gateway, review });
      },
      'modelRegistry.models.0.gateway: the inference gateway does not call inference components yet (InvokeEndpoint needs InferenceComponentName)',
    ],
    [
      'too little memory per copy',
      (m) => {
        servedByComponent(m);
        m.endpoint.variants[0].inferenceComponent = { acceleratorsPerCopy: 1, memoryPerCopyMiB: 100 };
      },
      'inferenceComponent.memoryPerCopyMiB must be at least 128',
    ],
  ])('rejects %s, naming the field and what to change', (_what, change, message) => {
    expect(() => parseEnvironmentConfig(devWith(change), 'config/dev.ts')).toThrow(message);
  });
});
