// A consumer app with a dataset the ingest function would reject: synth must fail naming the field.
import { App, Stack } from 'aws-cdk-lib';
import { AccessLogsBucket, DataLake, PlatformAlarmTopic, PlatformKeys, PlatformNetwork, synthesizeThroughGate } from 'plinth';

const app = new App();
const stack = new Stack(app, 'BrokenLake', { env: { account: '210987654321', region: 'ap-southeast-2' } });
const keys = new PlatformKeys(stack, 'Keys');
const network = new PlatformNetwork(stack, 'Network', { vpcCidr: '10.30.0.0/16', availabilityZones: ['ap-southeast-2a'], logsKey: keys.logs });
new DataLake(stack, 'Lake', {
  encryptionKey: keys.dataLake,
  logsKey: keys.logs,
  serverAccessLogsBucket: new AccessLogsBucket(stack, 'AccessLogs').bucket,
  vpc: network.vpc,
  alarmAction: new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: keys.logs }).alarmAction,
  datasets: [
    {
      name: 'subscriptions',
      version: 1,
      format: 'jsonl',
      freshnessMinutes: 120,
      fields: [
        { name: 'plan', type: 'string' },
        { name: 'plan', type: 'integer' },
      ],
    },
  ],
});
synthesizeThroughGate(app);
