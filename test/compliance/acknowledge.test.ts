import { App, Stack, Stage } from 'aws-cdk-lib';
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
    ['an expiry more than 12 months away', { expires: '2099-12-31' }, /more than 12 months after today; set expires to 2027-11-21 or earlier/],
    ['an expiry one day past 12 months', { expires: '2027-11-22' }, /more than 12 months/],
    ['an annotation finding', { rule: 'SomeWarning', plugin: 'annotation' }, /annotation findings cannot be acknowledged/],
    ['a construct-annotations finding', { rule: 'aws-cdk-lib/aws-iam:minimizePolicies', plugin: 'Construct Annotations' }, /annotation findings cannot be acknowledged/],
  ])('fails synth for %s', (_what, change, message) => {
    // GIVEN
    const stack = new Stack(new App(), 'S');
    // WHEN / THEN
    expect(() => acknowledgeFinding(stack, { ...good, ...change }, TODAY)).toThrow(AcknowledgementError);
    expect(() => acknowledgeFinding(stack, { ...good, ...change }, TODAY)).toThrow(message);
  });

  test('holds for up to 12 months, to the day', () => {
    const stack = new Stack(new App(), 'S');
    expect(() => acknowledgeFinding(stack, { ...good, expires: '2027-11-21' }, TODAY)).not.toThrow();
    // a month end clamps: 29 February + 12 months is 28 February
    expect(() => acknowledgeFinding(stack, { ...good, expires: '2029-02-28' }, new Date('2028-02-29T00:00:00Z'))).not.toThrow();
    expect(() => acknowledgeFinding(stack, { ...good, expires: '2029-03-01' }, new Date('2028-02-29T00:00:00Z'))).toThrow(/more than 12 months/);
  });

  test('an App or a Stage cannot carry an acknowledgement: it would hide the rule in every stack below', () => {
    const app = new App();
    const stage = new Stage(app, 'prod');
    expect(() => acknowledgeFinding(app, good, TODAY)).toThrow(/an App or a Stage cannot carry an acknowledgement/);
    expect(() => acknowledgeFinding(stage, good, TODAY)).toThrow(/an App or a Stage cannot carry an acknowledgement/);
  });

  test("Plinth's own documented warnings are the only acknowledgeable annotations", () => {
    const stack = new Stack(new App(), 'S');
    expect(() =>
      acknowledgeFinding(stack, { ...good, rule: 'plinth:data-capture-off', plugin: 'annotation', reason: 'A batch-only endpoint: no real-time traffic to capture.' }, TODAY),
    ).not.toThrow();
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
