import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { PlatformGuardrails } from '../../lib/guardrails/platform-guardrails';
import { newApp, synthAloneThroughGate, TEST_ENV } from '../support/gate';

const TAGS = { owner: 'ml-platform', costCenter: 'cc-9', dataClassification: 'restricted', environment: 'prod' };

function guardedStack(removalPolicy: 'retain' | 'destroy', limits = { minPerVariant: 1, maxPerVariant: 4 }): Stack {
  const stack = new Stack(newApp(), 'S', { env: TEST_ENV });
  new PlatformGuardrails(stack, 'Guardrails', { tags: TAGS, removalPolicy, endpointInstanceLimits: limits });
  return stack;
}

function sageMakerTarget(stack: Stack, id: string, min: number, max: number): void {
  new appscaling.CfnScalableTarget(stack, id, {
    serviceNamespace: 'sagemaker',
    scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
    resourceId: 'endpoint/e/variant/v',
    minCapacity: min,
    maxCapacity: max,
  });
}

describe('PlatformGuardrails', () => {
  test('alone in a stack it passes every nag pack and the validator', () => {
    const { findings } = synthAloneThroughGate(
      (stack) => new PlatformGuardrails(stack, 'Guardrails', { tags: TAGS, removalPolicy: 'retain', endpointInstanceLimits: { minPerVariant: 0, maxPerVariant: 2 } }),
    );
    expect(findings).toEqual([]);
  });

  test('in a retaining environment, a DESTROY asked for by a construct is reverted to RETAIN, with a warning', () => {
    // GIVEN
    const stack = guardedStack('retain');
    // WHEN
    new logs.LogGroup(stack, 'Logs', { removalPolicy: RemovalPolicy.DESTROY });
    // THEN
    Template.fromStack(stack).hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    Annotations.fromStack(stack).hasWarning('/S/Logs/Resource', Match.stringLikeRegexp('this environment retains data, so it is RETAIN'));
  });

  test('in dev (destroy), a construct\'s explicit DESTROY stands and stateless resources are untouched', () => {
    // GIVEN
    const stack = guardedStack('destroy');
    // WHEN
    new logs.LogGroup(stack, 'Logs', { removalPolicy: RemovalPolicy.DESTROY });
    // THEN
    Template.fromStack(stack).hasResource('AWS::Logs::LogGroup', { DeletionPolicy: 'Delete' });
  });

  test('tags every taggable resource with the required keys', () => {
    const stack = guardedStack('retain');
    new sqs.Queue(stack, 'Queue', { enforceSSL: true });
    Template.fromStack(stack).hasResourceProperties('AWS::SQS::Queue', {
      Tags: Match.arrayWith([
        { Key: 'cost-center', Value: 'cc-9' },
        { Key: 'data-classification', Value: 'restricted' },
        { Key: 'owner', Value: 'ml-platform' },
        { Key: 'plinth:environment', Value: 'prod' },
      ]),
    });
  });

  test('silences cfn-lint E3002 only on resource types whose Tags its schema does not know yet', () => {
    const stack = guardedStack('retain');
    new cloudwatch.Dashboard(stack, 'Board');
    new sqs.Queue(stack, 'Queue', { enforceSSL: true });
    const template = Template.fromStack(stack);
    template.hasResource('AWS::CloudWatch::Dashboard', { Metadata: Match.objectLike({ 'cfn-lint': { config: { ignore_checks: ['E3002'] } } }) });
    template.hasResource('AWS::SQS::Queue', { Metadata: Match.absent() });
  });

  test('fails synth when a SageMaker variant may scale above the environment\'s cap', () => {
    // GIVEN
    const stack = guardedStack('retain', { minPerVariant: 1, maxPerVariant: 4 });
    // WHEN
    sageMakerTarget(stack, 'TooBig', 1, 10);
    // THEN
    Annotations.fromStack(stack).hasError('/S/TooBig', Match.stringLikeRegexp('maxCapacity 10 exceeds this environment\'s endpointInstanceLimits.maxPerVariant \\(4\\)'));
  });

  test('fails synth when a SageMaker variant may scale below the environment\'s floor, and passes within limits', () => {
    const stack = guardedStack('retain', { minPerVariant: 2, maxPerVariant: 4 });
    sageMakerTarget(stack, 'TooSmall', 0, 4);
    sageMakerTarget(stack, 'JustRight', 2, 4);
    const annotations = Annotations.fromStack(stack);
    annotations.hasError('/S/TooSmall', Match.stringLikeRegexp('minCapacity 0 is below this environment\'s endpointInstanceLimits.minPerVariant \\(2\\)'));
    annotations.hasNoError('/S/JustRight', Match.anyValue());
  });
});
