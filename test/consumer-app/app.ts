import { App, Stack } from 'aws-cdk-lib';
import {
  AccessLogsBucket,
  DataLake,
  FeatureStore,
  InferenceEndpoint,
  ModelExecution,
  ModelRegistry,
  PlatformAlarmTopic,
  PlatformKeys,
  PlatformNetwork,
  SecureBucket,
  applyComplianceGate,
  synthesizeThroughGate,
} from 'plinth';

const app = new App();
applyComplianceGate(app);
// Account and region are explicit; the zones below mean synth needs no AWS credentials.
const stack = new Stack(app, 'ChurnPlatform', { env: { account: '210987654321', region: 'ap-southeast-2' } });

// Keys, the access-log bucket and the alarm topic are shared by everything below.
const keys = new PlatformKeys(stack, 'Keys');
const accessLogs = new AccessLogsBucket(stack, 'AccessLogs');
const alarms = new PlatformAlarmTopic(stack, 'Alarms', { encryptionKey: keys.logs });
const network = new PlatformNetwork(stack, 'Network', {
  vpcCidr: '10.20.0.0/16',
  availabilityZones: ['ap-southeast-2a', 'ap-southeast-2b'],
  logsKey: keys.logs,
});

// A lake for one dataset; a bad field name, a duplicate or an unknown type fails synth.
const lake = new DataLake(stack, 'Lake', {
  encryptionKey: keys.dataLake,
  logsKey: keys.logs,
  serverAccessLogsBucket: accessLogs.bucket,
  vpc: network.vpc,
  alarmAction: alarms.alarmAction,
  datasets: [
    {
      name: 'subscriptions',
      version: 1,
      format: 'jsonl',
      recordIdField: 'subscription_id',
      freshnessMinutes: 120,
      fields: [
        { name: 'subscription_id', type: 'string', required: true },
        { name: 'customer_id', type: 'string', required: true },
        { name: 'plan', type: 'string', enum: ['basic', 'plus', 'pro'] },
        { name: 'monthly_fee', type: 'number', min: 0 },
        { name: 'started_at', type: 'timestamp', required: true },
      ],
    },
  ],
});

// Online features under the models key; the offline store is part of the lake (lake key).
const features = new FeatureStore(stack, 'Features', {
  onlineStoreKey: keys.models,
  offlineStoreKey: keys.dataLake,
  serverAccessLogsBucket: accessLogs.bucket,
  featureGroups: [
    {
      name: 'customer-activity',
      recordIdentifier: 'customer_id',
      eventTime: 'event_time',
      features: [
        { name: 'customer_id', type: 'String' },
        { name: 'event_time', type: 'String' },
        { name: 'logins_30d', type: 'Integral' },
        { name: 'spend_30d', type: 'Fractional' },
      ],
    },
  ],
});

// The registry needs only each model's name; its artifact bucket is shared with the endpoint.
const registry = new ModelRegistry(stack, 'Registry', {
  models: [{ name: 'churn', description: 'Churn propensity' }],
  artifactsKey: keys.models,
  serverAccessLogsBucket: accessLogs.bucket,
});
const capture = new SecureBucket(stack, 'Capture', { encryptionKey: keys.dataLake, serverAccessLogsBucket: accessLogs.bucket });
const execution = new ModelExecution(stack, 'ModelExecution', {
  vpc: network.vpc,
  modelsKey: keys.models,
  artifactsBucket: registry.artifacts.bucket,
  captureBucket: capture.bucket,
  captureKey: keys.dataLake,
});

// A GPU endpoint in the isolated subnets, running as the execution role.
const endpoint = new InferenceEndpoint(stack, 'ChurnEndpoint', {
  endpointName: 'churn',
  variants: [
    {
      name: 'primary',
      instanceType: 'ml.g5.xlarge',
      image: `${stack.account}.dkr.ecr.${stack.region}.${stack.urlSuffix}/churn:1`,
      scaling: { minCapacity: 1, maxCapacity: 2, target: 4 },
    },
  ],
  vpc: network.vpc,
  securityGroups: [execution.securityGroup],
  executionRole: execution.role,
  encryptionKey: keys.models,
  dataCapture: { bucket: capture.bucket },
  p99LatencyMs: 250,
  alarmAction: alarms,
});

// Roles are wired with grants: the lake's reader role may read features and call the model.
features.grantRead(lake.readerRole);
endpoint.grantInvoke(lake.readerRole);

synthesizeThroughGate(app);
