import { parseApprovalEvent, parseModelPackageArn } from '../../../lambdas/deploy-model/event';

const ARN = 'arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud/3';

function body(overrides: Record<string, unknown> = {}, detail: Record<string, unknown> = {}): string {
  return JSON.stringify({
    version: '0',
    id: 'evt-1',
    'detail-type': 'SageMaker Model Package State Change',
    source: 'aws.sagemaker',
    account: '123456789012',
    time: '2024-05-06T10:00:00Z',
    region: 'us-east-1',
    resources: [ARN],
    detail: { ModelPackageGroupName: 'fraud', ModelPackageVersion: 3, ModelPackageArn: ARN, ModelApprovalStatus: 'Approved', ...detail },
    ...overrides,
  });
}

describe('parseApprovalEvent', () => {
  it('parses a well-formed approval event', () => {
    // GIVEN the EventBridge event forwarded by the rule
    // WHEN parsed
    const r = parseApprovalEvent(body());
    // THEN every field the Lambda needs is extracted
    expect(r).toEqual({
      ok: true,
      event: { eventId: 'evt-1', modelPackageArn: ARN, modelPackageGroupName: 'fraud', modelPackageVersion: 3, modelApprovalStatus: 'Approved' },
    });
  });

  it('keeps a non-approved status (decided by the caller, not a parse error)', () => {
    // GIVEN a Rejected event
    const r = parseApprovalEvent(body({}, { ModelApprovalStatus: 'Rejected' }));
    // THEN it parses, with the status preserved
    expect(r.ok && r.event.modelApprovalStatus).toBe('Rejected');
  });

  it('falls back to resources[0] when detail has no ARN, and matches a mixed-case group to the lower-case ARN', () => {
    // GIVEN a mixed-case group (SageMaker lower-cases it in the ARN) and no detail.ModelPackageArn
    const arn = 'arn:aws:sagemaker:eu-west-1:123456789012:model-package/fraud-model/12';
    const r = parseApprovalEvent(body({ resources: [arn] }, { ModelPackageGroupName: 'Fraud-Model', ModelPackageVersion: 12, ModelPackageArn: undefined }));
    // THEN the ARN from resources is used
    expect(r.ok && r.event.modelPackageArn).toBe(arn);
  });

  it.each([
    ['not JSON', 'not json {'],
    ['a JSON array', '[]'],
    ['the wrong detail-type', body({ 'detail-type': 'Object Created' })],
    ['the wrong source', body({ source: 'evil.source' })],
    ['no detail', body({ detail: null })],
    ['no group', body({}, { ModelPackageGroupName: undefined })],
    ['an invalid group name', body({}, { ModelPackageGroupName: 'fraud/../x' })],
    ['a zero version', body({}, { ModelPackageVersion: 0 })],
    ['a fractional version', body({}, { ModelPackageVersion: 1.5 })],
    ['no status', body({}, { ModelApprovalStatus: '' })],
    ['no ARN at all', body({ resources: [] }, { ModelPackageArn: undefined })],
    ['an unversioned package ARN', body({}, { ModelPackageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud' })],
    ['an ARN of another group', body({}, { ModelPackageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/other/3' })],
    ['an ARN of another version', body({}, { ModelPackageArn: 'arn:aws:sagemaker:us-east-1:123456789012:model-package/fraud/4' })],
  ])('rejects a body with %s', (_label, raw) => {
    // GIVEN a malformed body
    // WHEN parsed
    const r = parseApprovalEvent(raw);
    // THEN it is reported as malformed with a reason
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.length).toBeGreaterThan(0);
  });

  it('splits versioned model package ARNs only', () => {
    // GIVEN versioned, unversioned and foreign ARNs
    // THEN only the versioned one is split
    expect(parseModelPackageArn(ARN)).toEqual({ groupLowerCase: 'fraud', version: 3 });
    expect(parseModelPackageArn('arn:aws:sagemaker:us-east-1:123456789012:model/fraud/3')).toBeUndefined();
    expect(parseModelPackageArn(`${ARN}/extra`)).toBeUndefined();
  });
});
