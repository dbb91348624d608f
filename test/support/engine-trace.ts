/** The CloudFormation validator's engine module, as CDK's plugin in this test file's registry loads it. */
export const validatorEngineModule = require(require.resolve('@aws/cloudformation-validate', { paths: [require.resolve('aws-cdk-lib')] })) as {
  CompositeEngine: new (...args: unknown[]) => unknown;
  version(): string;
};

/**
 * A trace of the in-process CloudFormation validator engine in this test file's module registry:
 * every construction of the engine class CDK's plugin creates (`CompositeEngine`, which CDK looks
 * up on the module each time it starts one) is counted. Call it before anything in the file
 * synthesizes; the real class is put back after the file's tests.
 */
export function traceInProcessEngineStarts(): { readonly starts: number } {
  const RealEngine = validatorEngineModule.CompositeEngine;
  const trace = { starts: 0 };
  validatorEngineModule.CompositeEngine = function CountedEngine(...args: unknown[]) {
    trace.starts += 1;
    return new RealEngine(...args);
  } as unknown as typeof RealEngine;
  afterAll(() => {
    validatorEngineModule.CompositeEngine = RealEngine;
  });
  return trace;
}
