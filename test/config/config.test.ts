import { spawnSync } from 'child_process';
import * as path from 'path';
import { ConfigError, DECLARED_ENVIRONMENTS, loadEnvironments, parseEnvironmentConfig } from '../../config';
import type { EnvironmentConfigInput } from '../../config';

const valid: EnvironmentConfigInput = DECLARED_ENVIRONMENTS.staging;

function withChange(change: (cfg: Record<string, any>) => void): unknown {
  const copy = JSON.parse(JSON.stringify(valid));
  change(copy);
  return copy;
}

describe('environment config', () => {
  test('dev, staging and prod as declared are valid', () => {
    // GIVEN / WHEN
    const environments = loadEnvironments();
    // THEN
    expect(environments.map((e) => e.name)).toEqual(['dev', 'staging', 'prod']);
    expect(environments.find((e) => e.name === 'prod')?.removalPolicy).toBe('retain');
  });

  test.each<[string, (cfg: Record<string, any>) => void, RegExp]>([
    ['a missing account', (c) => delete c.account, /account: set account to the 12-digit AWS account ID/],
    ['a malformed account', (c) => (c.account = '1234'), /account: account must be a 12-digit AWS account ID/],
    ['an invalid CIDR', (c) => (c.network.vpcCidr = '10.0.0.0/33'), /network\.vpcCidr: network\.vpcCidr must be an IPv4 CIDR/],
    ['a CIDR too small for a VPC', (c) => (c.network.vpcCidr = '10.0.0.0/28'), /network\.vpcCidr prefix must be between \/16 and \/24/],
    [
      'a max below a min',
      (c) => (c.endpointInstanceLimits = { minPerVariant: 4, maxPerVariant: 2 }),
      /endpointInstanceLimits\.maxPerVariant: endpointInstanceLimits\.maxPerVariant cannot be below minPerVariant/,
    ],
    [
      'a removal policy of DESTROY for prod',
      (c) => Object.assign(c, { name: 'prod', removalPolicy: 'destroy' }),
      /removalPolicy: removalPolicy "destroy" is not allowed for prod: prod never deletes data; set it to "retain"/,
    ],
    ['a zone outside the region', (c) => (c.network.availabilityZones = ['us-east-1a', 'eu-west-1b']), /network\.availabilityZones\.1: zone "eu-west-1b" is not in region us-east-1/],
    ['a single zone', (c) => (c.network.availabilityZones = ['us-east-1a']), /needs at least 2 zones/],
    ['a log retention CloudWatch does not offer', (c) => (c.logRetentionDays = 42), /logRetentionDays must be one of CloudWatch's values/],
    ['a bad alarm e-mail', (c) => (c.alarmEmail = 'oncall'), /alarmEmail: alarmEmail must be an e-mail address/],
    ['an unknown data classification', (c) => (c.tags.dataClassification = 'secret'), /tags\.dataClassification must be one of/],
    ['an unknown field (typo)', (c) => (c.regoin = 'us-east-1'), /Unrecognized key: "regoin"/],
    ['a zero budget', (c) => (c.cost.monthlyBudgetUsd = 0), /cost\.monthlyBudgetUsd: cost\.monthlyBudgetUsd must be greater than 0/],
    [
      'batch inference over a dataset the lake does not have',
      (c) => (c.modelRegistry.models[0].batchInference.dataset = 'payments'),
      /modelRegistry\.models\.0\.batchInference\.dataset: batchInference\.dataset "payments" is not a dataLake dataset \(transactions, merchants[,)]/,
    ],
    [
      'a batch inference schedule that is not an EventBridge expression',
      (c) => (c.modelRegistry.models[0].batchInference.schedule = 'nightly'),
      /batchInference\.schedule is an EventBridge schedule expression/,
    ],
    ['more than 40 partitions per batch run', (c) => (c.modelRegistry.models[0].batchInference.maxPartitionsPerRun = 41), /modelRegistry\.models\.0\.batchInference\.maxPartitionsPerRun/],
    [
      'a training set over a feature group the store does not declare',
      (c) => (c.modelRegistry.models[0].training.trainingSet.featureGroups = ['account-spend', 'merchant-risk']),
      /modelRegistry\.models\.0\.training\.trainingSet\.featureGroups: training\.trainingSet\.featureGroups "merchant-risk" is not in featureStore\.featureGroups \(account-spend\)/,
    ],
    [
      'training labels in a table the lake does not have (every retraining would fail)',
      (c) => (c.modelRegistry.models[0].training.trainingSet.labels.table = 'fraud_labels'),
      /training\.trainingSet\.labels\.table: training\.trainingSet\.labels\.table "fraud_labels" is not a dataLake dataset \(transactions, merchants, transactions_labels, fraud_detector_ground_truth\)/,
    ],
    [
      'a label column the labels dataset does not have',
      (c) => (c.modelRegistry.models[0].training.trainingSet.labels.labelColumn = 'fraud'),
      /training\.trainingSet\.labels\.labelColumn: training\.trainingSet\.labels\.labelColumn "fraud" is not a field of dataset transactions_labels \(transaction_id, account_id, occurred_at, is_fraud, labelled_at\)/,
    ],
    [
      'a label time that is not a timestamp field',
      (c) => (c.modelRegistry.models[0].training.trainingSet.labels.eventTimeColumn = 'transaction_id'),
      /labels\.eventTimeColumn "transaction_id" is a string field of dataset transactions_labels; the training set reads it as an ISO-8601 time/,
    ],
    [
      'a label that is not a number (the evaluation step reads 1 and 0)',
      (c) => (c.modelRegistry.models[0].training.trainingSet.labels.labelColumn = 'account_id'),
      /labels\.labelColumn "account_id" is a string field of dataset transactions_labels; the evaluation step reads labels as numbers/,
    ],
    [
      'a trained feature the gateway never sends the model (a missing value in every prediction)',
      (c) => {
        c.modelRegistry.models[0].gateway.onlineFeatures.features = ['txn_count_24h', 'amount_sum_24h'];
      },
      /modelRegistry\.models\.0\.gateway: the model is trained on amount_max_7d, distinct_categories_7d \(training\.trainingSet\.featureGroups\) but its gateway sends them neither/,
    ],
    [
      'a drift feature the training set does not have (no baseline can hold it: never watched)',
      (c) => c.modelRegistry.models[0].drift.features.push({ name: 'amount', type: 'numeric' }, { name: 'currency', type: 'categorical' }),
      /modelRegistry\.models\.0\.drift\.features: drift\.features amount, currency are not columns of the model's training set \(account_id, occurred_at, is_fraud, txn_count_24h, amount_sum_24h, amount_max_7d, distinct_categories_7d\)/,
    ],
    [
      'the default drift features (every gateway input) when some are not in the training set',
      (c) => delete c.modelRegistry.models[0].drift.features,
      /drift\.features amount, currency, merchant_category, card_present are not columns .*\(the default is every gateway input feature\)/,
    ],
  ])('rejects %s with a message naming the field', (_what, change, message) => {
    // GIVEN
    const config = withChange(change);
    // WHEN / THEN
    expect(() => parseEnvironmentConfig(config, 'config/test.ts')).toThrow(ConfigError);
    expect(() => parseEnvironmentConfig(config, 'config/test.ts')).toThrow(message);
  });

  test('training labels in a table outside the lake (labels.database set) are not checked against the lake', () => {
    const config = withChange((c) => (c.modelRegistry.models[0].training.trainingSet.labels = { database: 'disputes', table: 'fraud_labels', entityKeyColumn: 'account', eventTimeColumn: 'at', labelColumn: 'y' }));
    expect(() => parseEnvironmentConfig(config, 'config/test.ts')).not.toThrow();
  });

  test('names every bad field at once, with the file it came from', () => {
    const config = withChange((c) => {
      delete c.account;
      c.network.vpcCidr = 'nope';
    });
    expect(() => parseEnvironmentConfig(config, 'config/staging.ts')).toThrow(
      /Invalid environment config in config\/staging\.ts:\n {2}- account: .*\n {2}- network\.vpcCidr: /,
    );
  });

  test('rejects an unknown environment name and lists the known ones', () => {
    expect(() => loadEnvironments('qa')).toThrow(/Unknown environment "qa": pass -c env=<name> with one of dev, staging, prod/);
  });

  test('rejects a config file whose name field disagrees with its file', () => {
    expect(() => loadEnvironments('dev', { dev: { ...valid, name: 'staging' } })).toThrow(
      /config\/dev\.ts declares name "staging"; set name to "dev"/,
    );
  });

  test('the app entry prints the config error without a stack trace and exits 1', () => {
    // GIVEN an unknown environment passed as context, as `cdk synth -c env=qa` does
    const root = path.join(__dirname, '..', '..');
    // WHEN
    const result = spawnSync(process.execPath, ['-r', './scripts/ts-register.js', 'bin/plinth.ts'], {
      cwd: root,
      env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ env: 'qa' }), CDK_OUTDIR: path.join(root, 'test-output', 'bad-env') },
      encoding: 'utf8',
    });
    // THEN
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('Unknown environment "qa"');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
