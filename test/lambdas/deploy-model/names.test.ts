import { MAX_NAME_LENGTH, boundedName, endpointConfigNameFor, modelNameFor, shortHash } from '../../../lambdas/deploy-model/names';

const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/;

describe('deterministic SageMaker names', () => {
  it('keeps short valid names readable and stable', () => {
    // GIVEN a short endpoint, variant and version
    // WHEN names are derived twice
    const model1 = modelNameFor('fraud-dev', 'primary', 7);
    const model2 = modelNameFor('fraud-dev', 'primary', 7);
    const config = endpointConfigNameFor('fraud-dev', 7, 'fraud-dev-initial', 'primary', model1);
    // THEN they are identical, readable and valid
    expect(model1).toBe('fraud-dev-primary-v7');
    expect(model2).toBe(model1);
    expect(config).toMatch(/^fraud-dev-v7-[0-9a-f]{8}$/);
    expect(config).toBe(endpointConfigNameFor('fraud-dev', 7, 'fraud-dev-initial', 'primary', model1));
  });

  it('gives a different endpoint config name for a different starting config, variant or version', () => {
    // GIVEN the same model deployed from different starting points
    const a = endpointConfigNameFor('fraud-dev', 7, 'cfg-a', 'primary', 'm');
    // WHEN any input changes
    // THEN the name changes (a replay from the same starting point reuses, a new starting point does not)
    expect(endpointConfigNameFor('fraud-dev', 7, 'cfg-b', 'primary', 'm')).not.toBe(a);
    expect(endpointConfigNameFor('fraud-dev', 7, 'cfg-a', 'secondary', 'm')).not.toBe(a);
    expect(endpointConfigNameFor('fraud-dev', 8, 'cfg-a', 'primary', 'm')).not.toBe(a);
  });

  it('hash-truncates names longer than 63 characters, keeping them unique and valid', () => {
    // GIVEN a 63-character endpoint name (the maximum SageMaker allows)
    const endpoint = `e${'x'.repeat(60)}ab`;
    expect(endpoint).toHaveLength(63);
    // WHEN model and config names are derived for two versions
    const m1 = modelNameFor(endpoint, 'primary', 1);
    const m2 = modelNameFor(endpoint, 'primary', 2);
    const c1 = endpointConfigNameFor(endpoint, 1, 'current', 'primary', m1);
    // THEN every name fits, matches the SageMaker pattern, and versions do not collide
    for (const n of [m1, m2, c1]) {
      expect(n.length).toBeLessThanOrEqual(MAX_NAME_LENGTH);
      expect(n).toMatch(SAGEMAKER_NAME);
    }
    expect(m1).not.toBe(m2);
    expect(m1.endsWith(shortHash(`${endpoint}-primary-v1`))).toBe(true);
  });

  it('sanitises invalid characters without creating collisions', () => {
    // GIVEN raw names with characters SageMaker rejects
    // WHEN bounded
    const a = boundedName('a_b');
    const b = boundedName('a-b');
    // THEN the result is valid and differs from the already-valid lookalike
    expect(a).toMatch(SAGEMAKER_NAME);
    expect(b).toBe('a-b');
    expect(a).not.toBe(b);
    expect(boundedName('--x--')).toMatch(SAGEMAKER_NAME);
  });
});
