import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PlatformKeys } from '../../lib/keys/platform-keys';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

describe('PlatformKeys', () => {
  test('alone in a stack it passes every nag pack and the CloudFormation validator', () => {
    // GIVEN / WHEN
    const { findings } = synthAloneThroughGate((stack) => new PlatformKeys(stack, 'Keys'));
    // THEN
    expect(findings).toEqual([]);
  });

  test('creates one rotating customer-managed key per data domain, retained by default', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    // WHEN
    new PlatformKeys(stack, 'Keys');
    // THEN
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::KMS::Key', 3);
    template.allResources('AWS::KMS::Key', {
      Properties: Match.objectLike({ EnableKeyRotation: true, PendingWindowInDays: 30 }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
  });

  test('lets CloudWatch Logs of this account and region, and only those log groups, use the logs key', () => {
    // GIVEN
    const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
    // WHEN
    new PlatformKeys(stack, 'Keys', { removalPolicy: RemovalPolicy.DESTROY });
    // THEN
    Template.fromStack(stack).hasResourceProperties('AWS::KMS::Key', {
      Description: 'Plinth CloudWatch logs',
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Sid: 'AllowCloudWatchLogsInThisAccount',
            Principal: { Service: 'logs.us-east-1.amazonaws.com' },
            Condition: {
              ArnLike: {
                'kms:EncryptionContext:aws:logs:arn': 'arn:aws:logs:us-east-1:123456789012:log-group:*',
              },
            },
          }),
        ]),
      },
    });
  });
});
