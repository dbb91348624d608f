/** The smoke check's promote step, against moto_server: dev in moto's default account, staging in a second one. */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { MOTO_DEFAULT_ACCOUNT } from '../../scripts/local/emulator-account';
import { promoteToSecondAccount } from '../../scripts/local/smoke-promote';
import { describeWithMoto, motoClientConfig } from '../support/moto';

describeWithMoto('smoke: promote to a second account (moto)', (moto) => {
  it('promotes a dev version into staging\'s account, with its model data copied and verified', async () => {
    // GIVEN dev deployed in moto's default account, with its registry artifact bucket
    await new S3Client(motoClientConfig(moto.endpoint)).send(new CreateBucketCommand({ Bucket: 'dev-models-artifacts' }));
    const context = { region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, endpoint: moto.endpoint };
    const stacks = new Map([['dev-Models', [{ logicalId: 'RegistryArtifactsA1B2C3', physicalId: 'dev-models-artifacts', type: 'AWS::S3::Bucket', status: 'CREATE_COMPLETE' }]]]);
    // WHEN the smoke step runs
    const step = await promoteToSecondAccount({ context, account: MOTO_DEFAULT_ACCOUNT, stacks, resources: [], skips: [], unimplemented: () => [] });
    // THEN it reports the promotion into the second account (222222222222, config/staging.ts)
    expect(step.status).toBe('ok');
    expect(step.detail).toMatch(/:123456789012:model-package\/fraud-detector\/\d+ \(dev, account 123456789012\) → .*:222222222222:model-package\/fraud-detector\/\d+ \(PendingManualApproval\)/);
    expect(step.detail).toContain('SHA-256 verified');
    // AND the operator's environment is left as it was
    expect(process.env.PLINTH_DEV_ACCOUNT).toBeUndefined();
  });
});
