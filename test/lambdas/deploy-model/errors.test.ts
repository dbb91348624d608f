import { DeploymentFailure, RetryableError, classifyError, isRetryable } from '../../../lambdas/deploy-model/errors';

/** An error shaped like an AWS SDK v3 service exception. */
function sdkError(name: string, message: string, status = 400, extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, ...extra });
}

describe('classifyError', () => {
  it.each([
    ['ThrottlingException', sdkError('ThrottlingException', 'Rate exceeded'), 'transient'],
    ['a 5xx', sdkError('InternalFailure', 'oops', 500), 'transient'],
    ['a 503 of unknown name', sdkError('Whatever', 'unavailable', 503), 'transient'],
    ['$retryable', sdkError('Odd', 'x', 400, { $retryable: { throttling: true } }), 'transient'],
    ['a connection reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'transient'],
    ['an in-progress update', sdkError('ValidationException', 'Cannot update in-progress endpoint "arn:aws:sagemaker:us-east-1:1:endpoint/x".'), 'conflict'],
    ['ResourceInUse', sdkError('ResourceInUse', 'in use'), 'conflict'],
    ['an existing model', sdkError('ValidationException', 'Cannot create already existing model "arn:aws:sagemaker:us-east-1:1:model/x".'), 'already-exists'],
    ['an existing config', sdkError('ValidationException', 'Cannot create already existing endpoint configuration "arn:x".'), 'already-exists'],
    ['a missing package (AWS)', sdkError('ValidationException', 'ModelPackage arn:aws:sagemaker:us-east-1:1:model-package/x/1 does not exist.'), 'not-found'],
    ['a missing package (moto)', sdkError('ValidationException', 'Model package arn:x not found'), 'not-found'],
    ['a missing endpoint', sdkError('ValidationException', 'Could not find endpoint "arn:x".'), 'not-found'],
    ['ResourceNotFound', sdkError('ResourceNotFound', 'nope'), 'not-found'],
    ['another ValidationException', sdkError('ValidationException', 'Invalid instance type'), 'rejected'],
    ['AccessDenied', sdkError('AccessDeniedException', 'not authorized'), 'unknown'],
    ['a bug', new TypeError('x is undefined'), 'unknown'],
    ['a string', 'boom', 'unknown'],
  ])('classifies %s', (_label, err, expected) => {
    // GIVEN an error as thrown by the SDK (or by a bug)
    // WHEN classified
    // THEN the class drives ack vs retry
    expect(classifyError(err)).toBe(expected);
  });

  it('retries everything except clear failures and rejected/not-found/existing resources', () => {
    // GIVEN each kind of error
    // THEN only DeploymentFailure and deterministic SageMaker answers are not retried
    expect(isRetryable(new DeploymentFailure('invalid-package', 'x'))).toBe(false);
    expect(isRetryable(new RetryableError('busy'))).toBe(true);
    expect(isRetryable(sdkError('ThrottlingException', 'x'))).toBe(true);
    expect(isRetryable(sdkError('AccessDeniedException', 'x'))).toBe(true);
    expect(isRetryable(new Error('bug'))).toBe(true);
    expect(isRetryable(sdkError('ValidationException', 'Invalid instance type'))).toBe(false);
  });
});
