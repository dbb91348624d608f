import { App, Stack } from 'aws-cdk-lib';
import { AcknowledgementError, acknowledgeFinding, collectAcknowledgements } from '../../lib/compliance/acknowledge';
import type { FindingAcknowledgement } from '../../lib/compliance/acknowledge';

const TODAY = new Date('2026-11-21T12:00:00Z');
const good: FindingAcknowledgement = {
  rule: 'AwsSolutions-IAM5[Resource::*]',
  reason: 'Log stream names are generated at run time; scoped to one log group.',
  owner: 'ml-platform',
  expires: '2027-01-31',
};

describe('acknowledgeFinding', () => {
  test.each<[string, Partial<FindingAcknowledgement>, RegExp]>([
    ['no reason', { reason: '' }, /reason is required/],
    ['a token reason', { reason: 'ok' }, /reason is required \(at least 20 characters\)/],
    ['no owner', { owner: ' ' }, /owner is required/],
    ['no expiry', { expires: undefined as unknown as string }, /expires must be a real date as YYYY-MM-DD/],
    ['an impossible expiry', { expires: '2027-02-30' }, /expires must be a real date/],
    ['an expiry in the past', { expires: '2026-11-20' }, /expired on 2026-11-20; fix the finding, or renew/],
    ['no rule', { rule: '' }, /rule is required/],
    ['a rule of no known pack', { rule: 'S1' }, /cannot tell which plugin reports "S1"/],
  ])('fails synth for %s', (_what, change, message) => {
    // GIVEN
    const stack = new Stack(new App(), 'S');
    // WHEN / THEN
    expect(() => acknowledgeFinding(stack, { ...good, ...change }, TODAY)).toThrow(AcknowledgementError);
    expect(() => acknowledgeFinding(stack, { ...good, ...change }, TODAY)).toThrow(message);
  });

  test('holds through its expiry day', () => {
    const stack = new Stack(new App(), 'S');
    expect(() => acknowledgeFinding(stack, { ...good, expires: '2026-11-21' }, TODAY)).not.toThrow();
  });

  test('writes the namespaced id to CDK and records reason, owner and expiry for the report', () => {
    // GIVEN
    const stack = new Stack(new App(), 'S');
    // WHEN
    acknowledgeFinding(stack, good, TODAY);
    acknowledgeFinding(stack, { ...good, rule: 'F3002', plugin: 'CloudFormation Validate' }, TODAY);
    // THEN
    const cdkAcks = stack.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules').map((m) => m.data);
    expect(cdkAcks).toEqual([
      { 'AwsSolutions::AwsSolutions-IAM5[Resource::*]': expect.stringContaining('[owner: ml-platform; expires: 2027-01-31]') },
      { 'CloudFormation-Validate::F3002': expect.any(String) },
    ]);
    expect(collectAcknowledgements(stack)).toEqual([
      expect.objectContaining({ id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]', owner: 'ml-platform', expires: '2027-01-31', path: 'S' }),
      expect.objectContaining({ id: 'CloudFormation-Validate::F3002', plugin: 'CloudFormation Validate' }),
    ]);
  });
});
