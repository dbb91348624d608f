import { isAllowed, type Statement } from '../support/iam-simulator';

// The simulator backs the separation-of-duties tests, so it is tested itself.
describe('iam-simulator', () => {
  const statements: Statement[] = [
    { Effect: 'Allow', Action: ['sagemaker:UpdateModelPackage', 's3:Get*'], Resource: 'arn:aws:sagemaker:*:*:model-package/g/*' },
    { Effect: 'Deny', Action: 'sagemaker:UpdateModelPackage', Resource: '*', Condition: { StringEquals: { 'sagemaker:ModelApprovalStatus': 'Approved' } } },
  ];

  test('allows what an Allow matches and nothing else', () => {
    expect(isAllowed(statements, { action: 'sagemaker:UpdateModelPackage', resource: 'arn:aws:sagemaker:us-east-1:1:model-package/g/3' })).toBe(true);
    expect(isAllowed(statements, { action: 'sagemaker:DeleteModelPackage', resource: 'arn:aws:sagemaker:us-east-1:1:model-package/g/3' })).toBe(false);
    expect(isAllowed(statements, { action: 'sagemaker:UpdateModelPackage', resource: 'arn:aws:sagemaker:us-east-1:1:model-package/other/3' })).toBe(false);
  });

  test('an explicit Deny whose condition holds beats the Allow', () => {
    const request = { action: 'sagemaker:UpdateModelPackage', resource: 'arn:aws:sagemaker:us-east-1:1:model-package/g/3' };
    expect(isAllowed(statements, { ...request, context: { 'sagemaker:ModelApprovalStatus': 'Approved' } })).toBe(false);
    expect(isAllowed(statements, { ...request, context: { 'sagemaker:ModelApprovalStatus': 'Rejected' } })).toBe(true);
  });

  test('refuses to guess about condition operators it does not know', () => {
    expect(() =>
      isAllowed([{ Effect: 'Allow', Action: '*', Resource: '*', Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020' } } }], { action: 'x:y', resource: 'r' }),
    ).toThrow(/not supported/);
  });
});
