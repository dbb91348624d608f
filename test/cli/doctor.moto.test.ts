/**
 * `plinth doctor`. The toolchain checks run against a fake toolchain (no AWS). The bootstrap
 * checks run against moto_server: STS AssumeRole into dev's account (moto keys credentials to the
 * role's account), GetCallerIdentity, and SSM GetParameter for CDK's bootstrap version parameter.
 */
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { controlPlaneClients } from '../../cli/aws/connection';
import { BOOTSTRAP_VERSION_PARAMETER, type Toolchain, toolchainChecks } from '../../cli/commands/doctor';
import { describeWithMoto } from '../support/moto';
import { runCli, useEmulatorEnvironment } from './cli-harness';

const healthy: Toolchain = { nodeVersion: () => '20.19.0', cdkVersion: () => '2.1148.1', onPath: () => true, moto: () => ({ python: '/usr/bin/python3', via: 'moto_server on PATH' }) };

describe('plinth doctor toolchain checks (no AWS)', () => {
  it('passes a healthy toolchain', () => {
    expect(toolchainChecks(healthy).every((c) => c.status === 'ok')).toBe(true);
  });

  it('says what to fix for an old Node, an unpinned CDK CLI and a missing cfn-lint', () => {
    // GIVEN a machine with Node 18, a global CDK 2.100.0 and no cfn-lint or moto
    const checks = toolchainChecks({ nodeVersion: () => '18.20.0', cdkVersion: () => '2.100.0', onPath: () => false, moto: () => undefined });
    const byName = Object.fromEntries(checks.map((c) => [c.check, c]));
    // THEN each is a failure with its fix, and a missing moto only warns (npm start still synthesizes)
    expect(byName.node).toMatchObject({ status: 'fail', fix: expect.stringContaining('install Node 20') });
    expect(byName['cdk cli']).toMatchObject({ status: 'fail', detail: '2.100.0, but package.json pins 2.1148.1', fix: expect.stringContaining('npm ci') });
    expect(byName['cfn-lint']).toMatchObject({ status: 'fail', fix: 'pip install cfn-lint' });
    expect(byName.moto_server).toMatchObject({ status: 'warn', fix: "pip install 'moto[server]'" });
  });
});

describeWithMoto('plinth doctor bootstrap checks (moto)', (moto) => {
  let restore: () => void;
  beforeAll(() => {
    restore = useEmulatorEnvironment(moto.endpoint);
  });
  afterAll(() => restore());

  async function asDevAccount<T>(run: () => Promise<T>): Promise<T> {
    const context = { region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, endpoint: moto.endpoint };
    const { Credentials: assumed } = await controlPlaneClients(context).sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::111111111111:role/platform-admin', RoleSessionName: 'doctor' }));
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: assumed!.AccessKeyId!,
      AWS_SECRET_ACCESS_KEY: assumed!.SecretAccessKey!,
      AWS_SESSION_TOKEN: assumed!.SessionToken!,
    });
    try {
      return await run();
    } finally {
      process.env = saved;
    }
  }

  type Checks = { checks: Array<{ check: string; status: string; detail: string; fix?: string }> };

  it('fails on an unbootstrapped environment with the bootstrap command, and only warns for other accounts', async () => {
    // GIVEN credentials for dev's account, which is not bootstrapped
    const run = await asDevAccount(() => runCli('doctor', '--json'));
    // THEN dev fails with the exact command, staging and prod are not checked
    const checks = run.json<Checks>().checks;
    expect(run.code).toBe(1);
    expect(checks.find((c) => c.check === 'bootstrap dev')).toMatchObject({ status: 'fail', fix: 'npx cdk bootstrap aws://111111111111/us-east-1' });
    expect(checks.find((c) => c.check === 'bootstrap prod')).toMatchObject({ status: 'warn', detail: expect.stringContaining('credentials are for account 111111111111') });
  });

  it('reports the bootstrap version once the environment is bootstrapped', async () => {
    await asDevAccount(async () => {
      const ssm = new SSMClient({});
      await ssm.send(new PutParameterCommand({ Name: BOOTSTRAP_VERSION_PARAMETER, Value: '30', Type: 'String', Overwrite: true }));
    });
    const run = await asDevAccount(() => runCli('doctor', '--json'));
    const checks = run.json<Checks>().checks;
    expect(checks.find((c) => c.check === 'bootstrap dev')).toMatchObject({ status: 'ok', detail: 'aws://111111111111/us-east-1 bootstrapped (version 30)' });
  });
});
