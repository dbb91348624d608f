import { CfnResource, Stack, Stage } from 'aws-cdk-lib';
import { NagMessageLevel, NagRuleCompliance, type IApplyRule } from 'cdk-nag';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { ComplianceEvidence, type RuleEvaluation } from '../../lib/compliance/evidence';
import { RecordingAwsSolutionsChecks, RecordingNIST80053R5Checks, RecordingPlinthMlChecks } from '../../lib/compliance/recording-packs';
import { newApp, TEST_ENV } from '../support/gate';

// The evidence keeps not-applicable evaluations (98% of them in the main job) as numbers, not
// objects. These tests read them back three ways and hold each to what the packs asked: every rule
// of a pack about every resource, once, with each answer where the rule put it.

describe('recorded evaluations', () => {
  const app = newApp();
  const resources: CfnResource[] = [];
  for (const name of ['dev', 'prod']) {
    const stack = new Stack(new Stage(app, name, { env: TEST_ENV }), 'Data');
    resources.push(new s3.CfnBucket(stack, 'Bucket'), new sqs.CfnQueue(stack, 'Queue', { sqsManagedSseEnabled: true }));
  }
  app.synth();
  const evidence = new ComplianceEvidence();
  const packs = [RecordingAwsSolutionsChecks, RecordingNIST80053R5Checks, RecordingPlinthMlChecks].map((Pack) => new Pack(app, {}, evidence));
  for (const pack of packs) pack.validateScope(app);
  const all = evidence.evaluations;

  test('every rule of every pack is recorded once per resource, in the order the packs ran', () => {
    expect(evidence.plugins).toHaveLength(3);
    expect([...new Set(all.map((e) => e.plugin))]).toEqual(evidence.plugins);
    for (const plugin of evidence.plugins) {
      const ofPlugin = all.filter((e) => e.plugin === plugin);
      const rules = new Set(ofPlugin.map((e) => e.rule));
      expect(ofPlugin).toHaveLength(rules.size * resources.length);
      for (const rule of rules) {
        expect(ofPlugin.filter((e) => e.rule === rule).map((e) => e.resource.path).sort()).toEqual(resources.map((r) => r.node.path).sort());
      }
    }
    // most answers are "not applicable", as in the platform: the compact path is the one exercised
    expect(all.filter((e) => e.outcome === 'not-applicable').length).toBeGreaterThan(all.length / 2);
  });

  test('each answer is on the rule and resource it belongs to', () => {
    const outcome = (rule: string, path: string) => all.find((e) => e.rule === rule && e.resource.path === path)?.outcome;
    // S3 rules answer for buckets and are not applicable to queues; SQS rules the other way round.
    expect(outcome('AwsSolutions-S10', 'dev/Data/Bucket')).toBe('fail');
    expect(outcome('AwsSolutions-S10', 'dev/Data/Queue')).toBe('not-applicable');
    expect(outcome('AwsSolutions-SQS4', 'prod/Data/Queue')).toBe('fail');
    expect(outcome('AwsSolutions-SQS4', 'prod/Data/Bucket')).toBe('not-applicable');
    for (const e of all.filter((x) => x.outcome === 'not-applicable')) {
      expect(e).toEqual({ plugin: e.plugin, rule: e.rule, outcome: 'not-applicable', findings: [], acknowledgedFindings: [], resource: e.resource });
    }
  });

  test("an environment's evaluations by rule are its evaluations grouped by rule, in first-evaluated order", () => {
    for (const environment of ['dev', 'prod']) {
      const inEnvironment = evidence.evaluationsIn(environment);
      expect(inEnvironment.every((e) => e.resource.environment === environment)).toBe(true);
      const expected = new Map<string, { evaluations: RuleEvaluation[]; notApplicable: number }>();
      for (const e of inEnvironment) {
        const forRule = expected.get(e.rule) ?? { evaluations: [], notApplicable: 0 };
        expected.set(e.rule, forRule);
        if (e.outcome === 'not-applicable') forRule.notApplicable += 1;
        else forRule.evaluations.push(e);
      }
      const actual = evidence.evaluationsByRuleIn(environment);
      expect([...actual.byRule.keys()]).toEqual([...expected.keys()]);
      expect(actual.byRule).toEqual(expected);
      expect(actual.resources.map((r) => r.path)).toEqual([...new Set(inEnvironment.map((e) => e.resource.path))]);
    }
  });

  test('a rule that throws is asked once per synth: every pack applying it gets the same error, recorded as a failed evaluation', () => {
    const own = new ComplianceEvidence();
    const [bucket, queue] = resources;
    let calls = 0;
    const boom = new Error('boom');
    const params = (rule: IApplyRule['rule']) =>
      ({ info: 'A rule.', explanation: 'It throws on buckets.', level: NagMessageLevel.ERROR, rule, node: bucket }) as unknown as IApplyRule;
    const rule = function Exploding(node: CfnResource) {
      calls += 1;
      if (node === bucket) throw boom;
      return NagRuleCompliance.NOT_APPLICABLE;
    };
    own.startRun('First', app);
    const first = own.recordingRule('First', 'First', params(rule)).rule;
    expect(() => first(bucket)).toThrow(boom);
    expect(first(queue)).toBe(NagRuleCompliance.NOT_APPLICABLE);
    own.startRun('Second', app);
    const second = own.recordingRule('Second', 'Second', params(rule)).rule;
    expect(() => second(bucket)).toThrow(boom);
    expect(second(queue)).toBe(NagRuleCompliance.NOT_APPLICABLE);
    expect(calls).toBe(2);
    expect(own.evaluations.map((e) => [e.plugin, e.resource.path, e.outcome, e.findings, e.error])).toEqual([
      ['First', 'dev/Data/Bucket', 'fail', ['First-Exploding'], 'boom'],
      ['First', 'dev/Data/Queue', 'not-applicable', [], undefined],
      ['Second', 'dev/Data/Bucket', 'fail', ['Second-Exploding'], 'boom'],
      ['Second', 'dev/Data/Queue', 'not-applicable', [], undefined],
    ]);
  });
});
