import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Stack } from 'aws-cdk-lib';
import { applyComplianceGate } from '../../lib/compliance/compliance-gate';
import { synthesizeThroughGate } from '../../lib/compliance/enforce-gate';
import { REPORT_FILES, TOP_LEVEL_STACKS_REPORT, readComplianceReport, writeComplianceReports } from '../../lib/compliance/report';
import { PlatformKeys } from '../../lib/keys/platform-keys';
import { AccessLogsBucket, SecureBucket } from '../../lib/storage/secure-bucket';
import { newApp } from '../support/gate';

// A consumer's app puts its stacks straight on the App, outside any Stage.
test('the compliance report covers a consumer app whose stacks sit outside any Stage', () => {
  // GIVEN a gated app with one top-level stack of a concrete environment
  const app = newApp();
  applyComplianceGate(app, { controlTower: false });
  const stack = new Stack(app, 'Consumer', { env: { account: '210987654321', region: 'ap-southeast-2' } });
  const keys = new PlatformKeys(stack, 'Keys');
  new SecureBucket(stack, 'Training', { encryptionKey: keys.dataLake, serverAccessLogsBucket: new AccessLogsBucket(stack, 'AccessLogs').bucket });
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-report-'));
  // WHEN
  const written = writeComplianceReports(app, synthesizeThroughGate(app, () => {}), root, { warn: () => {} });
  // THEN one report, for the App's own stacks, in every form
  expect([...written.keys()]).toEqual(['']);
  const directory = path.join(root, TOP_LEVEL_STACKS_REPORT);
  for (const file of REPORT_FILES) expect(fs.existsSync(path.join(directory, file))).toBe(true);
  const report = readComplianceReport(path.join(directory, 'report.json'));
  expect(JSON.stringify(report)).toContain('Consumer');
  expect(JSON.stringify(report)).toContain('210987654321');
  expect(JSON.stringify(report)).toContain('AWS::S3::Bucket');
});
