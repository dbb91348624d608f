import { imageForTarget } from '../../cli/commands/models';
import { CliError } from '../../cli/errors';

const DEV = '111111111111.dkr.ecr.us-east-1.amazonaws.com';
const STAGING = '222222222222.dkr.ecr.us-east-1.amazonaws.com';
const SHARED = '999999999999.dkr.ecr.us-east-1.amazonaws.com';
const image = `${DEV}/fraud-detector-serving:2.0.0`;

describe('where a promoted image may be pulled from (allowedImageRegistries)', () => {
  test('the target allows only its own ECR (the default): rewritten there, and said', () => {
    const placed = imageForTarget(image, 'staging', { registries: [STAGING], own: STAGING });
    expect(placed.image).toBe(`${STAGING}/fraud-detector-serving:2.0.0`);
    expect(placed.note).toMatch(/image rewritten to staging's own ECR .*replicate fraud-detector-serving:2.0.0 there/);
  });

  test('the target allows the source registry: kept as it is, and said', () => {
    const placed = imageForTarget(image, 'staging', { registries: [STAGING, DEV], own: STAGING });
    expect(placed).toEqual({ image, note: `image kept: ${DEV} is in staging's allowedImageRegistries` });
  });

  test('already in the target\'s own ECR: kept, nothing to say', () => {
    expect(imageForTarget(`${STAGING}/x:1`, 'staging', { registries: [STAGING], own: STAGING })).toEqual({ image: `${STAGING}/x:1` });
  });

  test('the target allows other registries but not the source\'s: refused with the fix, never silently rewritten', () => {
    const call = () => imageForTarget(image, 'staging', { registries: [SHARED], own: STAGING });
    expect(call).toThrow(CliError);
    expect(call).toThrow(new RegExp(`add ${DEV.replace(/\./g, '\\.')} to staging's modelRegistry.allowedImageRegistries`));
  });
});
