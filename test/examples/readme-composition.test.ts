import { Stack } from 'aws-cdk-lib';
import { AccessLogsBucket, PlatformGuardrails, PlatformKeys, SecureBucket, applyComplianceGate, readPluginReports, unacknowledgedFindings } from '../../lib';
import { newApp } from '../support/gate';

// The README's "Composing your own stack" example, as written there (imports from lib/index.ts,
// which the package exports as 'plinth'), must synthesize through the gate with no findings.
test('the README composition example passes the compliance gate', () => {
  // GIVEN
  const app = newApp({ validator: true });
  applyComplianceGate(app);
  const stack = new Stack(app, 'Features');
  // WHEN (the README's code)
  const keys = new PlatformKeys(stack, 'Keys');
  const logs = new AccessLogsBucket(stack, 'AccessLogs');
  new SecureBucket(stack, 'Training', { encryptionKey: keys.dataLake, serverAccessLogsBucket: logs.bucket });
  new PlatformGuardrails(stack, 'Guardrails', {
    tags: { owner: 'fraud-ml', costCenter: 'cc-42', dataClassification: 'confidential', environment: 'dev' },
    removalPolicy: 'retain',
    endpointInstanceLimits: { minPerVariant: 0, maxPerVariant: 2 },
  });
  // THEN
  const assembly = app.synth();
  expect(unacknowledgedFindings(readPluginReports(assembly.directory))).toEqual([]);
});
