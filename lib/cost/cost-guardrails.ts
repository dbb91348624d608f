import { Names, Stack } from 'aws-cdk-lib';
import * as budgets from 'aws-cdk-lib/aws-budgets';
import * as ce from 'aws-cdk-lib/aws-ce';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { PlinthError } from '../errors';
import { markFailureModeDetector } from '../monitoring/failure-modes';
import { REQUIRED_TAG_KEYS } from '../guardrails/required-tags';

/** Properties for {@link CostGuardrails}. */
export interface CostGuardrailsProps {
  /** The environment whose cost is budgeted (matched on the `plinth:environment` cost-allocation tag). */
  readonly environmentName: string;
  /** Monthly budget, in USD. */
  readonly monthlyBudgetUsd: number;
  /** Percentages of the budget at which actual and forecast spend notify, e.g. [50, 80, 100]. */
  readonly alertThresholdsPercent: readonly number[];
  /** A cost anomaly with at least this total impact (USD) notifies. */
  readonly anomalyThresholdUsd: number;
  /** Where budget and anomaly notifications go: the environment's alarm topic. */
  readonly topic: sns.ITopic;
  /** The key that encrypts `topic`; Budgets and Cost Anomaly Detection are allowed to use it. */
  readonly topicKey: kms.IKey;
}

/**
 * Cost guardrails for one environment: a monthly budget on the environment's cost-allocation tag
 * with actual and forecast alerts, and Cost Anomaly Detection (a service monitor and an immediate
 * subscription), both notifying the environment's encrypted alarm topic.
 */
export class CostGuardrails extends Construct {
  public readonly budget: budgets.CfnBudget;
  public readonly anomalyMonitor: ce.CfnAnomalyMonitor;
  public readonly anomalySubscription: ce.CfnAnomalySubscription;

  constructor(scope: Construct, id: string, props: CostGuardrailsProps) {
    super(scope, id);
    const problems: string[] = [];
    if (props.monthlyBudgetUsd <= 0) problems.push(`monthlyBudgetUsd must be greater than 0, got ${props.monthlyBudgetUsd}`);
    if (props.alertThresholdsPercent.length === 0) problems.push('declare at least one alert threshold');
    for (const t of props.alertThresholdsPercent) if (t <= 0 || t > 1000) problems.push(`alert threshold ${t}% must be between 0 and 1000`);
    if (props.anomalyThresholdUsd <= 0) problems.push(`anomalyThresholdUsd must be greater than 0, got ${props.anomalyThresholdUsd}`);
    if (problems.length > 0) throw new PlinthError(`CostGuardrails ${this.node.path}:\n  - ${problems.join('\n  - ')}`);
    const stack = Stack.of(this);

    // Both services publish to the encrypted topic; only for this account.
    for (const service of ['budgets.amazonaws.com', 'costalerts.amazonaws.com']) {
      const principal = new iam.ServicePrincipal(service);
      props.topic.addToResourcePolicy(
        new iam.PolicyStatement({
          actions: ['sns:Publish'],
          principals: [principal],
          resources: [props.topic.topicArn],
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
        }),
      );
      props.topicKey.addToResourcePolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          principals: [principal],
          resources: ['*'],
          conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
        }),
      );
    }

    const subscribers = [{ subscriptionType: 'SNS', address: props.topic.topicArn }];
    this.budget = new budgets.CfnBudget(this, 'Budget', {
      budget: {
        budgetType: 'COST',
        timeUnit: 'MONTHLY',
        budgetLimit: { amount: props.monthlyBudgetUsd, unit: 'USD' },
        costFilters: { TagKeyValue: [`user:${REQUIRED_TAG_KEYS.environment}$${props.environmentName}`] },
      },
      notificationsWithSubscribers: props.alertThresholdsPercent.flatMap((threshold) =>
        (['ACTUAL', 'FORECASTED'] as const).map((notificationType) => ({
          notification: { notificationType, comparisonOperator: 'GREATER_THAN', threshold, thresholdType: 'PERCENTAGE' },
          subscribers,
        })),
      ),
    });

    const name = Names.uniqueResourceName(this, { maxLength: 100, separator: '-' });
    this.anomalyMonitor = new ce.CfnAnomalyMonitor(this, 'AnomalyMonitor', {
      monitorName: `${name}-services`,
      monitorType: 'DIMENSIONAL',
      monitorDimension: 'SERVICE',
    });
    this.anomalySubscription = new ce.CfnAnomalySubscription(this, 'AnomalySubscription', {
      subscriptionName: `${name}-alerts`,
      frequency: 'IMMEDIATE',
      monitorArnList: [this.anomalyMonitor.attrMonitorArn],
      subscribers: [{ type: 'SNS', address: props.topic.topicArn }],
      thresholdExpression: JSON.stringify({
        Dimensions: { Key: 'ANOMALY_TOTAL_IMPACT_ABSOLUTE', MatchOptions: ['GREATER_THAN_OR_EQUAL'], Values: [String(props.anomalyThresholdUsd)] },
      }),
    });
    markFailureModeDetector(this.budget, ['cost-spike']);
    markFailureModeDetector(this.anomalySubscription, ['cost-spike']);
  }
}
