import { Duration } from 'aws-cdk-lib';
import { dev } from '../../config/dev';
import { environmentConfigSchema } from '../../config/schema';
import type { FeatureGroupDefinition } from '../../lib/feature-store/feature-group';
import { materializationSelect, trainingSetColumns } from '../../lib/features/sql';
import { onlineFeaturesEnvironment } from '../../lib/inference/inference-gateway';

describe('one definition: the features a model trains on are the features its gateway looks up', () => {
  const cfg = environmentConfigSchema.parse(dev);
  const model = cfg.modelRegistry.models.find((m) => m.name === 'fraud-detector')!;
  const online = model.gateway!.onlineFeatures!;
  const group = cfg.featureStore.featureGroups.find((g) => g.name === online.featureGroup) as FeatureGroupDefinition;

  test('dev: the fraud-detector gateway uses online features from a group with a source', () => {
    expect(online.featureGroup).toBe('account-spend');
    expect(group.source?.dataset).toBe('transactions');
  });

  test('the gateway requests exactly the training set\'s feature columns, with the types the group declares', () => {
    // WHEN the gateway's ONLINE_FEATURES is rendered (what InferenceGateway deploys) ...
    const env = JSON.parse(onlineFeaturesEnvironment('test', { group, onlineStoreKey: undefined as never, entityKeyField: online.entityKeyField, features: online.features }, model.gateway!.inputFeatures, Duration.millis(model.gateway!.timeoutMs)));
    // ... and a training set is built for the model from the same group
    const labels = { database: 'lake', table: 'fraud_labels', entityKeyColumn: 'account_id', eventTimeColumn: 'occurred_at', labelColumn: 'label' };
    const trainingFeatures = trainingSetColumns({ labels, groups: [group] }).slice(3);
    // THEN they are the same list, and the pipeline materializes every one of them
    expect(env.features).toEqual(trainingFeatures);
    expect(env.features).toEqual(['txn_count_24h', 'amount_sum_24h', 'amount_max_7d', 'distinct_categories_7d']);
    for (const f of env.features) expect(materializationSelect(group, { start: '2026-01-01T00:00:00Z', end: '2026-01-02T00:00:00Z' })).toContain(`feature_rows."${f}"`);
    expect(env.types).toEqual({ txn_count_24h: 'integer', amount_sum_24h: 'number', amount_max_7d: 'number', distinct_categories_7d: 'integer' });
  });

  test('a gateway asking for a feature the group does not define fails at synth, naming the field', () => {
    expect(() => onlineFeaturesEnvironment('G', { group, onlineStoreKey: undefined as never, entityKeyField: 'account_id', features: ['chargebacks'] }, model.gateway!.inputFeatures, Duration.millis(800))).toThrow(
      /onlineFeatures.features "chargebacks" is not a feature of group "account-spend"/,
    );
    expect(() => onlineFeaturesEnvironment('G', { group, onlineStoreKey: undefined as never, entityKeyField: 'customer' }, model.gateway!.inputFeatures, Duration.millis(800))).toThrow(/entityKeyField "customer" is not one of inputFeatures/);
    expect(() => onlineFeaturesEnvironment('G', { group, onlineStoreKey: undefined as never, entityKeyField: 'account_id', timeout: Duration.millis(800) }, model.gateway!.inputFeatures, Duration.millis(800))).toThrow(/shorter than the gateway timeout/);
  });

  test('the config refuses online features from an unknown group, naming the field', () => {
    const bad = structuredClone(dev) as typeof dev;
    (bad.modelRegistry.models[0].gateway as { onlineFeatures: { featureGroup: string } }).onlineFeatures.featureGroup = 'merchant-risk';
    const result = environmentConfigSchema.safeParse(bad);
    expect(result.success).toBe(false);
    expect(result.error!.issues.find((i) => i.message.includes('"merchant-risk"'))?.path).toEqual(['modelRegistry', 'models', 0, 'gateway', 'onlineFeatures', 'featureGroup']);
  });
});
