import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import { PLATFORM_INTERFACE_ENDPOINTS, PlatformNetwork } from '../../lib/network/platform-network';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

function networkIn(stack: Stack): PlatformNetwork {
  return new PlatformNetwork(stack, 'Network', {
    vpcCidr: '10.40.0.0/16',
    availabilityZones: ['us-east-1a', 'us-east-1b'],
    logsKey: new kms.Key(stack, 'LogsKey', { enableKeyRotation: true }),
  });
}

describe('PlatformNetwork', () => {
  test('alone (with its logs key) it passes every nag pack and the validator', () => {
    const { findings } = synthAloneThroughGate((stack) => networkIn(stack));
    expect(findings).toEqual([]);
  });

  test('has isolated subnets only: no internet gateway, no NAT, no public subnet', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    // WHEN
    networkIn(stack);
    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::Subnet', 2);
    template.allResourcesProperties('AWS::EC2::Subnet', { MapPublicIpOnLaunch: false });
    template.resourcePropertiesCountIs('AWS::EC2::Route', { DestinationCidrBlock: '0.0.0.0/0' }, 0);
  });

  test('reaches S3 and DynamoDB through gateway endpoints and every platform API through interface endpoints', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    // WHEN
    networkIn(stack);
    // THEN
    const template = Template.fromStack(stack);
    for (const service of ['s3', 'dynamodb']) {
      template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        VpcEndpointType: 'Gateway',
        ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([`.${service}`])] }),
      });
    }
    const interfaces = template.findResources('AWS::EC2::VPCEndpoint', {
      Properties: { VpcEndpointType: 'Interface', PrivateDnsEnabled: true },
    });
    expect(Object.keys(interfaces)).toHaveLength(Object.keys(PLATFORM_INTERFACE_ENDPOINTS).length);
    const names = JSON.stringify(Object.values(interfaces).map((r) => r.Properties.ServiceName));
    for (const suffix of ['sagemaker.api', 'sagemaker.runtime', 'sts', 'kms', 'logs', 'monitoring', 'ecr.api', 'ecr.dkr', 'sqs', 'events', 'glue', 'athena']) {
      expect(names).toContain(`.${suffix}`);
    }
  });

  test('admits only HTTPS from inside the VPC to the endpoints', () => {
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    networkIn(stack);
    Template.fromStack(stack).hasResourceProperties('AWS::EC2::SecurityGroup', {
      SecurityGroupIngress: [{ CidrIp: '10.40.0.0/16', FromPort: 443, ToPort: 443, IpProtocol: 'tcp' }],
    });
  });

  test('sends flow logs of all traffic to a KMS-encrypted log group', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    // WHEN
    networkIn(stack);
    // THEN
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', LogDestinationType: 'cloud-watch-logs' });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^LogsKey'), 'Arn'] },
      RetentionInDays: 365,
    });
  });

  test('takes its zones as a prop: synth of a stack with a foreign account and region needs no credentials', () => {
    // GIVEN a stack with a concrete account and region, and no context lookups allowed
    const app = newApp({ context: { 'aws:cdk:disable-lookups': true } });
    const stack = new Stack(app, 'Foreign', { env: { account: '210987654321', region: 'ap-southeast-2' } });
    // WHEN
    new PlatformNetwork(stack, 'Network', {
      vpcCidr: '10.41.0.0/16',
      availabilityZones: ['ap-southeast-2a', 'ap-southeast-2b'],
      logsKey: new kms.Key(stack, 'LogsKey', { enableKeyRotation: true }),
    });
    // THEN the subnets are in the given zones and nothing was looked up
    const subnets = Template.fromStack(stack).findResources('AWS::EC2::Subnet');
    expect(Object.values(subnets).map((s) => s.Properties.AvailabilityZone).sort()).toEqual(['ap-southeast-2a', 'ap-southeast-2b']);
    expect(app.synth().manifest.missing ?? []).toEqual([]);
  });

  test.each<[string, string[] | undefined, RegExp]>([
    ['missing', undefined, /availabilityZones is missing; pass the zones to spread the subnets over, e\.g\. \['ap-southeast-2a', 'ap-southeast-2b'\]\. Plinth never looks zones up, so synth needs no AWS credentials/],
    ['empty', [], /availabilityZones is missing/],
    ['in another region', ['us-east-1a'], /availabilityZones us-east-1a are not in the stack's region ap-southeast-2/],
  ])('fails at synth, saying what to pass, when the zones are %s', (_what, zones, message) => {
    const stack = new Stack(newApp(), 'Foreign', { env: { account: '210987654321', region: 'ap-southeast-2' } });
    const logsKey = new kms.Key(stack, 'LogsKey', { enableKeyRotation: true });
    expect(() => new PlatformNetwork(stack, 'Network', { vpcCidr: '10.41.0.0/16', availabilityZones: zones as string[], logsKey })).toThrow(message);
  });
});
