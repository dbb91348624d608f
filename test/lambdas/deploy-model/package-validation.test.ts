import { imageRegistryOf, isAllowedImage, validatePackage } from '../../../lambdas/deploy-model/package-validation';

const REGISTRY = '123456789012.dkr.ecr.us-east-1.amazonaws.com';

describe('model package validation', () => {
  it('extracts the registry host of an image URI', () => {
    // GIVEN ECR, Docker Hub and port-qualified image URIs
    // THEN the explicit registry host is returned (lower-case), or undefined for Docker Hub short names
    expect(imageRegistryOf(`${REGISTRY}/fraud:1`)).toBe(REGISTRY);
    expect(imageRegistryOf(`${REGISTRY.toUpperCase()}/fraud@sha256:abc`)).toBe(REGISTRY);
    expect(imageRegistryOf('nginx:1')).toBeUndefined();
    expect(imageRegistryOf('library/nginx')).toBeUndefined();
    expect(imageRegistryOf('localhost:5000/x')).toBe('localhost:5000');
  });

  it('allows only exact registry hosts (no lookalikes)', () => {
    // GIVEN one allowed ECR registry
    const allowed = [REGISTRY];
    // THEN the registry itself is allowed and every lookalike is not
    expect(isAllowedImage(`${REGISTRY}/fraud:1`, allowed)).toBe(true);
    expect(isAllowedImage(`${REGISTRY}.evil.com/fraud:1`, allowed)).toBe(false);
    expect(isAllowedImage(`evil.com/${REGISTRY}/fraud:1`, allowed)).toBe(false);
    expect(isAllowedImage(`999999999999.dkr.ecr.us-east-1.amazonaws.com/fraud:1`, allowed)).toBe(false);
    expect(isAllowedImage('docker.io/library/python:3', allowed)).toBe(false);
    expect(isAllowedImage(REGISTRY, allowed)).toBe(false);
  });

  it('reports a missing inference spec, missing containers and foreign images', () => {
    // GIVEN packages with each defect
    // WHEN validated
    // THEN each defect is reported; a good package has none
    expect(validatePackage({ ModelPackageStatus: 'Completed' }, [REGISTRY])).toEqual(['model package has no InferenceSpecification']);
    expect(validatePackage({ InferenceSpecification: { Containers: [] } }, [REGISTRY])).toEqual(['model package InferenceSpecification has no Containers']);
    const mixed = validatePackage(
      { InferenceSpecification: { Containers: [{ Image: `${REGISTRY}/a:1` }, { Image: 'ghcr.io/x/y:1' }] } },
      [REGISTRY],
    );
    expect(mixed).toHaveLength(1);
    expect(mixed[0]).toContain('container 1 image ghcr.io/x/y:1 is not from an allowed registry');
    expect(validatePackage({ ModelPackageStatus: 'Completed', InferenceSpecification: { Containers: [{ Image: `${REGISTRY}/a:1` }] } }, [REGISTRY])).toEqual([]);
    expect(validatePackage({ ModelPackageStatus: 'Failed', InferenceSpecification: { Containers: [{ Image: `${REGISTRY}/a:1` }] } }, [REGISTRY])).toEqual([
      'model package status is Failed',
    ]);
  });
});
