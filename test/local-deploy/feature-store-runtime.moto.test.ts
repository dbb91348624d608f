/**
 * The emulator's Feature Store runtime (scripts/local/moto_emulator.py, fix 9): PutRecord,
 * GetRecord and BatchGetRecord through the real SDK clients, against moto's feature groups.
 */
import { CreateFeatureGroupCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { BatchGetRecordCommand, GetRecordCommand, PutRecordCommand, SageMakerFeatureStoreRuntimeClient } from '@aws-sdk/client-sagemaker-featurestore-runtime';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { findMoto } from '../../cli/moto';
import { type RunningEmulator, startEmulator } from '../../scripts/local/emulator';
import { SKIP_MESSAGE } from '../support/moto';

const python = findMoto()?.python;

if (!python) {
  describe('emulator Feature Store runtime', () => {
    it('requires moto_server', () => {
      console.warn(`${SKIP_MESSAGE} — suite "emulator Feature Store runtime"`);
      if (process.env.CI) throw new Error("moto_server is required on CI: pip install 'moto[server]'");
    });
  });
} else {
  describe('emulator Feature Store runtime (fix 9)', () => {
    let emulator: RunningEmulator;
    let runtime: SageMakerFeatureStoreRuntimeClient;
    const put = (id: string, time: string, count: string) =>
      runtime.send(new PutRecordCommand({ FeatureGroupName: 'account-spend', Record: [{ FeatureName: 'account_id', ValueAsString: id }, { FeatureName: 'event_time', ValueAsString: time }, { FeatureName: 'txn_count_24h', ValueAsString: count }] }));

    beforeAll(async () => {
      emulator = await startEmulator(python);
      const config = { region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } };
      runtime = new SageMakerFeatureStoreRuntimeClient(config);
      await new SageMakerClient(config).send(
        new CreateFeatureGroupCommand({
          FeatureGroupName: 'account-spend',
          RecordIdentifierFeatureName: 'account_id',
          EventTimeFeatureName: 'event_time',
          FeatureDefinitions: [{ FeatureName: 'account_id', FeatureType: 'String' }, { FeatureName: 'event_time', FeatureType: 'String' }, { FeatureName: 'txn_count_24h', FeatureType: 'Integral' }],
          OnlineStoreConfig: { EnableOnlineStore: true },
          // moto requires an offline store config (it does not emulate the offline store).
          OfflineStoreConfig: { S3StorageConfig: { S3Uri: 's3://offline/feature-groups/' } },
          RoleArn: 'arn:aws:iam::123456789012:role/fs',
        }),
      );
    }, 60_000);
    afterAll(async () => {
      await emulator?.stop();
    });

    it('keeps every version and reads the latest event time, not the last write', async () => {
      await put('a1', '2026-01-02T00:00:00Z', '5');
      await put('a1', '2026-01-01T00:00:00Z', '1'); // older event time, written later
      const got = await runtime.send(new GetRecordCommand({ FeatureGroupName: 'account-spend', RecordIdentifierValueAsString: 'a1' }));
      expect(got.Record).toContainEqual({ FeatureName: 'txn_count_24h', ValueAsString: '5' });
      await put('a1', '2026-01-02T00:00:00Z', '6'); // same event time again: the last write wins
      const batch = await runtime.send(new BatchGetRecordCommand({ Identifiers: [{ FeatureGroupName: 'account-spend', RecordIdentifiersValueAsString: ['a1', 'nobody'], FeatureNames: ['txn_count_24h'] }] }));
      expect(batch.Records).toEqual([{ FeatureGroupName: 'account-spend', RecordIdentifierValueAsString: 'a1', Record: [{ FeatureName: 'txn_count_24h', ValueAsString: '6' }] }]);
    });

    it("keeps each account's records apart: another account's group of the same name sees none of them", async () => {
      // GIVEN account 222222222222 (reached by AssumeRole, as moto keeps accounts apart) with its own account-spend group
      const sts = new STSClient({ region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
      const { Credentials: c } = await sts.send(new AssumeRoleCommand({ RoleArn: 'arn:aws:iam::222222222222:role/other', RoleSessionName: 'test' }));
      const other = { region: 'us-east-1', endpoint: emulator.endpoint, credentials: { accessKeyId: c!.AccessKeyId!, secretAccessKey: c!.SecretAccessKey!, sessionToken: c!.SessionToken } };
      await new SageMakerClient(other).send(
        new CreateFeatureGroupCommand({
          FeatureGroupName: 'account-spend',
          RecordIdentifierFeatureName: 'account_id',
          EventTimeFeatureName: 'event_time',
          FeatureDefinitions: [{ FeatureName: 'account_id', FeatureType: 'String' }, { FeatureName: 'event_time', FeatureType: 'String' }, { FeatureName: 'txn_count_24h', FeatureType: 'Integral' }],
          OnlineStoreConfig: { EnableOnlineStore: true },
          OfflineStoreConfig: { S3StorageConfig: { S3Uri: 's3://offline/feature-groups/' } },
          RoleArn: 'arn:aws:iam::222222222222:role/fs',
        }),
      );
      const otherRuntime = new SageMakerFeatureStoreRuntimeClient(other);
      // WHEN the first account writes x1 and the other account writes x2
      await put('x1', '2026-01-01T00:00:00Z', '1');
      await otherRuntime.send(new PutRecordCommand({ FeatureGroupName: 'account-spend', Record: [{ FeatureName: 'account_id', ValueAsString: 'x2' }, { FeatureName: 'event_time', ValueAsString: '2026-01-01T00:00:00Z' }, { FeatureName: 'txn_count_24h', ValueAsString: '2' }] }));
      // THEN each reads only its own
      const ids = (r: { Records?: Array<{ RecordIdentifierValueAsString?: string }> }) => (r.Records ?? []).map((x) => x.RecordIdentifierValueAsString);
      const identifiers = [{ FeatureGroupName: 'account-spend', RecordIdentifiersValueAsString: ['x1', 'x2'] }];
      expect(ids(await runtime.send(new BatchGetRecordCommand({ Identifiers: identifiers })))).toEqual(['x1']);
      expect(ids(await otherRuntime.send(new BatchGetRecordCommand({ Identifiers: identifiers })))).toEqual(['x2']);
    });

    it('an unknown entity is an empty answer, an unknown group ResourceNotFound, a record without its key a ValidationError', async () => {
      expect((await runtime.send(new GetRecordCommand({ FeatureGroupName: 'account-spend', RecordIdentifierValueAsString: 'nobody' }))).Record).toBeUndefined();
      await expect(runtime.send(new GetRecordCommand({ FeatureGroupName: 'missing-group', RecordIdentifierValueAsString: 'a1' }))).rejects.toMatchObject({ name: 'ResourceNotFound' });
      await expect(runtime.send(new PutRecordCommand({ FeatureGroupName: 'account-spend', Record: [{ FeatureName: 'event_time', ValueAsString: '2026-01-01T00:00:00Z' }] }))).rejects.toMatchObject({ name: 'ValidationError' });
    });
  });
}
