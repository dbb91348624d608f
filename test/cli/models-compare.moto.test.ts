/**
 * `plinth models compare` against moto_server: the capture bucket comes from a `dev-Models`
 * stack (moto CloudFormation), the evidence file is the one a known quality run produces
 * (DuckDB SQL + the job's evaluation).
 */
import { CreateStackCommand } from '@aws-sdk/client-cloudformation';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { listStackResources } from '../../cli/aws/cloudformation';
import { controlPlaneClients } from '../../cli/aws/connection';
import { knownQualityRun } from '../../scripts/local/quality-evidence';
import { describeWithMoto, motoClientConfig } from '../support/moto';
import { runCli, useEmulatorEnvironment } from './cli-harness';

describeWithMoto('plinth models compare (moto)', (moto) => {
  let restore: () => void;
  let bucket: string;
  let s3: S3Client;
  const context = () => ({ region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, endpoint: moto.endpoint });
  const put = (endpoint: string, body: string) =>
    s3.send(new PutObjectCommand({ Bucket: bucket, Key: `quality-evidence/${endpoint}/latest.json`, Body: body }));

  beforeAll(async () => {
    restore = useEmulatorEnvironment(moto.endpoint);
    await controlPlaneClients(context()).cloudFormation.send(
      new CreateStackCommand({ StackName: 'dev-Models', TemplateBody: JSON.stringify({ Resources: { CaptureBucket7A2B3C4D: { Type: 'AWS::S3::Bucket' } } }) }),
    );
    bucket = (await listStackResources(context(), 'dev-Models')).find((r) => r.logicalId.startsWith('Capture'))!.physicalId;
    s3 = new S3Client({ ...motoClientConfig(moto.endpoint), forcePathStyle: true });
    const run = await knownQualityRun('fraud-detector-dev', new Date(Date.now() - 3_600_000));
    await put('fraud-detector-dev', JSON.stringify({ ...run.evidence, evidenceUri: `s3://${bucket}/quality-evidence/fraud-detector-dev/runs/x.json` }));
  });
  afterAll(() => restore());

  it('prints quality per variant with intervals, coverage, outcome, latency, cost and the verdict with its reasons', async () => {
    const run = await runCli('models', 'compare', '--env', 'dev', '--endpoint', 'fraud-detector-dev');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Quality of fraud-detector-dev');
    expect(run.stdout).toMatch(/primary\s+\|?\s*\d\.\d{3}/);
    expect(run.stdout).toContain('60/120');
    expect(run.stdout).toContain('50.0%');
    expect(run.stdout).toContain('ml.g5.xlarge at 1.408 USD/h (price as of 2026-11-22)');
    expect(run.stdout).toMatch(/A\/B verdict \(challenger vs primary\): (challenger-better|champion-better|keep-collecting)/);
    expect(run.stdout).toContain('why: ');
    expect(run.stdout).toContain('Nothing shifts traffic by itself');
  });

  it('--json gives the evidence file itself', async () => {
    const run = await runCli('models', 'compare', '--env', 'dev', '--endpoint', 'fraud-detector-dev', '--json');
    expect(run.code).toBe(0);
    const evidence = run.json<{ schemaVersion: number; variants: Array<{ variant: string }>; abTest: { verdict: string } }>();
    expect(evidence.schemaVersion).toBe(1);
    expect(evidence.variants.map((v) => v.variant)).toEqual(['primary', 'challenger']);
    expect(['challenger-better', 'champion-better', 'keep-collecting']).toContain(evidence.abTest.verdict);
  });

  it('refuses evidence older than --window, naming the next step', async () => {
    const run = await runCli('models', 'compare', '--env', 'dev', '--endpoint', 'fraud-detector-dev', '--window', '30m');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('older than --window 30m');
  });

  it('says when an endpoint has no evidence yet', async () => {
    const run = await runCli('models', 'compare', '--env', 'dev', '--endpoint', 'unknown-endpoint');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('no quality evidence for unknown-endpoint');
  });

  it('usage errors: no endpoint, a bad window', async () => {
    expect((await runCli('models', 'compare', '--env', 'dev')).code).toBe(2);
    expect((await runCli('models', 'compare', '--env', 'dev', '--endpoint', 'x', '--window', 'a week')).code).toBe(2);
  });

  it('refuses a file that is not evidence', async () => {
    await put('broken-endpoint', '{"hello": 1}');
    const run = await runCli('models', 'compare', '--env', 'dev', '--endpoint', 'broken-endpoint');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('not a schemaVersion 1 evidence file');
  });
});
