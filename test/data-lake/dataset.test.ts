import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { DECLARED_ENVIRONMENTS, parseEnvironmentConfig } from '../../config';
import { transactions } from '../../config/datasets/transactions';
import { DataLake, InvalidDatasetError } from '../../lib/data-lake/data-lake';
import { datasetProblems, type DatasetDefinition } from '../../lib/data-lake/dataset';
import { newApp, TEST_ENV } from '../support/gate';

const valid: DatasetDefinition = {
  name: 'orders',
  version: 1,
  format: 'jsonl',
  recordIdField: 'order_id',
  fields: [
    { name: 'order_id', type: 'string', required: true },
    { name: 'amount', type: 'number', min: 0 },
  ],
  freshnessMinutes: 60,
};

function withFields(fields: unknown[]): DatasetDefinition {
  return { ...valid, fields: fields as DatasetDefinition['fields'] };
}

/** The three mistakes that used to synthesize and then send every ingested object to the DLQ. */
const MISTAKES: Array<[string, DatasetDefinition, RegExp, Array<string | number>]> = [
  ['a duplicate field name', withFields([...valid.fields, { name: 'amount', type: 'integer' }]), /dataset "orders": fields\[2\]\.name "amount" is declared twice/, [0, 'fields', 2, 'name']],
  ['an empty field name', withFields([...valid.fields, { name: '', type: 'string' }]), /dataset "orders": fields\[2\]\.name is empty/, [0, 'fields', 2, 'name']],
  ['the type int', withFields([...valid.fields, { name: 'quantity', type: 'int' }]), /dataset "orders": fields\[2\] \("quantity"\) has type "int"; use one of string, integer/, [0, 'fields', 2, 'type']],
];

describe('dataset rules (lib/data-lake/dataset.ts)', () => {
  test('a valid dataset and the declared ones have no problems', () => {
    expect(datasetProblems([valid, transactions])).toEqual([]);
  });

  test.each(MISTAKES)('%s is a problem that names the dataset and the field', (_what, dataset, message, path) => {
    const problems = datasetProblems([dataset]);
    expect(problems).toEqual([{ path, message: expect.stringMatching(message) }]);
  });

  test('the ingest parser\'s own rules apply too: a record id that is not a field', () => {
    const problems = datasetProblems([{ ...valid, recordIdField: 'nope' }]);
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toMatch(/^dataset "orders": recordIdField must name a declared field/);
  });

  test('the config schema runs the same rules, at the same path', () => {
    for (const [, dataset, message, path] of MISTAKES) {
      const config = JSON.parse(JSON.stringify(DECLARED_ENVIRONMENTS.dev));
      config.dataLake.datasets = [dataset];
      expect(() => parseEnvironmentConfig(config, 'config/dev.ts')).toThrow(message);
      expect(() => parseEnvironmentConfig(config, 'config/dev.ts')).toThrow(`dataLake.datasets.${path.join('.')}`);
    }
  });

  test.each(MISTAKES)('DataLake used directly rejects %s at synth, naming the field', (_what, dataset, message) => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    const key = new kms.Key(stack, 'Key');
    const vpc = new ec2.Vpc(stack, 'Vpc', { availabilityZones: ['us-east-1a'] });
    const logs = s3.Bucket.fromBucketName(stack, 'Logs', 'logs');
    let attempt = 0;
    const make = () =>
      new DataLake(stack, `Lake${attempt++}`, {
        encryptionKey: key,
        logsKey: key,
        serverAccessLogsBucket: logs,
        vpc,
        alarmAction: { bind: () => ({ alarmActionArn: 'topic' }) },
        datasets: [dataset],
      });
    expect(make).toThrow(InvalidDatasetError);
    expect(make).toThrow(message);
  });
});
