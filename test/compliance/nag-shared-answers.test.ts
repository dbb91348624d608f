import { CfnResource, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagRuleCompliance } from 'cdk-nag';
import { loadEnvironments } from '../../config';
import { ComplianceEvidence } from '../../lib/compliance/evidence';
import { PLINTH_RULES } from '../../lib/compliance/plinth-rules';
import {
  RecordingAwsSolutionsChecks,
  RecordingHIPAASecurityChecks,
  RecordingNIST80053R5Checks,
  RecordingPCIDSS321Checks,
  RecordingPlinthMlChecks,
} from '../../lib/compliance/recording-packs';
import { PlatformStage } from '../../lib/platform/platform-stage';
import { newApp } from '../support/gate';

// The packs share one evidence in the gate, and with it each rule function's answer per resource
// (computed by the first pack that applies the function); Plinth's rules resolve each resource
// once per run. Checked against packs that share nothing, and Plinth's rules called one by one.

const PACKS = [RecordingAwsSolutionsChecks, RecordingNIST80053R5Checks, RecordingHIPAASecurityChecks, RecordingPCIDSS321Checks, RecordingPlinthMlChecks];

describe('answers shared between the packs of one synth', () => {
  const app = newApp({ context: { 'aws:cdk:bundling-stacks': [] } });
  for (const config of loadEnvironments('dev')) new PlatformStage(app, config.name, { config, promotionTargetAccounts: [] });
  app.synth();

  test('every pack reports and records what it does alone', () => {
    // GIVEN the packs as the gate runs them, on one evidence ...
    const shared = new ComplianceEvidence();
    const together = PACKS.map((Pack) => new Pack(app, {}, shared).validateScope(app));
    // ... and each pack on an evidence of its own
    const alone = PACKS.map((Pack) => {
      const evidence = new ComplianceEvidence();
      const report = new Pack(app, {}, evidence).validateScope(app);
      return { report, evidence };
    });
    // THEN reports, evaluations and rule descriptions are the same
    expect(together).toEqual(alone.map((a) => a.report));
    expect(shared.evaluations).toEqual(alone.flatMap((a) => a.evidence.evaluations));
    expect(shared.rules).toEqual(alone.flatMap((a) => a.evidence.rules).filter((r, i, all) => all.findIndex((o) => o.rule === r.rule) === i));
    expect(shared.evaluations.length).toBeGreaterThan(50_000);
  }, 300_000);

  test('a second run of the packs answers afresh, after the tree changed', () => {
    // GIVEN a run of the packs on an App, then a change to one resource
    const shared = new ComplianceEvidence();
    const first = newApp();
    const bucket = new s3.CfnBucket(new Stack(first, 'S'), 'Bucket');
    const nist = () => new RecordingNIST80053R5Checks(first, {}, shared).validateScope(first);
    const before = nist().violations.map((v) => v.ruleName);
    bucket.versioningConfiguration = { status: 'Enabled' };
    // WHEN the packs run again
    const after = nist().violations.map((v) => v.ruleName);
    // THEN the changed answer is seen
    expect(before).toContain('NIST.800.53.R5-S3BucketVersioningEnabled');
    expect(after).not.toContain('NIST.800.53.R5-S3BucketVersioningEnabled');
  });

  test("Plinth's rules answer in a run as each does called on its own", () => {
    const evidence = new ComplianceEvidence();
    new RecordingPlinthMlChecks(app, {}, evidence).validateScope(app);
    const recorded = new Map(evidence.evaluations.map((e) => [`${e.rule} ${e.resource.path}`, e.findings]));
    const resources = app.node.findAll().filter((n): n is CfnResource => CfnResource.isCfnResource(n));
    let compared = 0;
    for (const node of resources) {
      for (const { rule } of PLINTH_RULES) {
        const id = `Plinth-${rule.name}`;
        const result = rule(node);
        const findings = result === NagRuleCompliance.NON_COMPLIANT ? [id] : Array.isArray(result) ? result.map((f) => `${id}[${f}]`) : [];
        expect([id, node.node.path, recorded.get(`${id} ${node.node.path}`)]).toEqual([id, node.node.path, findings]);
        compared += 1;
      }
    }
    expect(compared).toBe(resources.length * PLINTH_RULES.length);
  }, 300_000);
});
