import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startValidatorEngine } from '../../../lib/compliance/validator-engine';

/**
 * Run by test/compliance/validator-engine-host.test.ts in a jest of its own: validates a template
 * with a property CloudFormation does not have on this test file's `startValidatorEngine`, and
 * appends which worker thread answered, its engine starts and the rules found to the trace file.
 */
export function validateAndTrace(file: string): void {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'plinth-engine-host-'));
  const templatePath = path.join(directory, 'Fixture.template.json');
  fs.writeFileSync(templatePath, JSON.stringify({ Resources: { Bucket: { Type: 'AWS::S3::Bucket', Properties: { NotAProperty: true } } } }));
  const worker = startValidatorEngine();
  const [violations] = worker.validate([{ templatePath, stackConstructPath: 'Fixture' }]);
  const trace = process.env.PLINTH_ENGINE_HOST_TRACE;
  if (!trace) throw new Error('PLINTH_ENGINE_HOST_TRACE is not set');
  fs.appendFileSync(trace, `${JSON.stringify({ file, threadId: worker.threadId, engineStarts: worker.engineStarts, rules: violations.map((v) => v.ruleName) })}\n`);
}
