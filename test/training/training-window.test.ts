/**
 * The training set's time window, computed by the bridge's JSONata (the Split state and the
 * BuildTrainingSet input), evaluated by the JSONata engine itself (the `jsonata` package, the
 * language Step Functions runs) on the arguments the pipeline's callback step really sends. Labels
 * arrive `labelDelay` after their event (chargebacks: days), so the window must end that long
 * before WindowEnd: otherwise the holdout's latest positives are not labelled yet and the gate
 * judges both models on wrong labels.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import jsonata from 'jsonata';
import { newApp, TEST_ENV } from '../support/gate';
import { bridgeDefinition, renderedDefinition, TRAINING_SET, trainingPipelineIn } from '../support/training';

/** The bridge's states and the arguments the pipeline's training-set step sends it, for a pipeline built with `labelDelay`. */
function synthesized(labelDelay?: Duration): { States: Record<string, any>; args: Record<string, string> } {
  const stack = new Stack(newApp({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S', { env: TEST_ENV });
  trainingPipelineIn(stack, { trainingSet: { ...TRAINING_SET, ...(labelDelay ? { labelDelay } : {}) } });
  const template = Template.fromStack(stack);
  const step = renderedDefinition(template).Steps.find((s) => s.Type === 'Callback')!;
  return { States: bridgeDefinition(template).States, args: step.Arguments as Record<string, string> };
}

/** Evaluates a `{% ... %}` field of the ASL with the given variables ($states, $args, ...). */
async function evaluate(field: string, variables: Record<string, unknown>): Promise<unknown> {
  const match = /^\{%([\s\S]*)%\}$/.exec(field);
  if (!match) throw new Error(`not a JSONata field: ${field}`);
  return jsonata(match[1]!).evaluate({}, variables);
}

/** The window the bridge gives the training-set job for a run with these pipeline parameters. */
async function windowOf(labelDelay: Duration | undefined, windowEnd: string, startTime = '2026-12-04T05:00:00Z') {
  const { States, args } = synthesized(labelDelay);
  const states = { input: { token: 't', arguments: { ...args, windowEnd } }, context: { Execution: { StartTime: startTime } } };
  const endMs = await evaluate(States.Split.Assign.endMs, { states });
  const argsVar = await evaluate(States.Split.Assign.args, { states });
  const input = States.BuildTrainingSet.Arguments.Input;
  const vars = { states, args: argsVar, endMs };
  return {
    windowStart: await evaluate(input.windowStart, vars),
    windowEnd: await evaluate(input.windowEnd, vars),
    validationFrom: await evaluate(input.split.validationFrom, vars),
    holdoutFrom: await evaluate(input.split.holdoutFrom, vars),
  };
}

describe('TrainingPipeline window (JSONata, evaluated)', () => {
  it('ends labelDelay before WindowEnd: the holdout holds only events whose labels have arrived', async () => {
    // GIVEN labels that take 72 hours, and a run whose window ends on 2026-12-01
    // WHEN the bridge computes the window
    const window = await windowOf(Duration.hours(72), '2026-12-01T00:00:00Z');
    // THEN it ends on 11-28, and the holdout and validation slices sit before that
    expect(window).toEqual({
      windowStart: '2026-08-30T00:00:00.000Z',
      windowEnd: '2026-11-28T00:00:00.000Z',
      validationFrom: '2026-11-14T00:00:00.000Z',
      holdoutFrom: '2026-11-21T00:00:00.000Z',
    });
  });

  it('without WindowEnd, ends labelDelay before the execution start', async () => {
    const window = await windowOf(Duration.hours(30), '', '2026-12-04T05:00:00Z');
    expect(window.windowEnd).toBe('2026-12-02T23:00:00.000Z');
  });

  it('with no labelDelay, ends at WindowEnd (labels complete when their event is)', async () => {
    const window = await windowOf(undefined, '2026-12-01T00:00:00Z');
    expect(window).toMatchObject({ windowEnd: '2026-12-01T00:00:00.000Z', holdoutFrom: '2026-11-24T00:00:00.000Z' });
  });

  it('records the label delay in the registered package lineage, and refuses a delay over 90 days', () => {
    const stack = new Stack(newApp({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S', { env: TEST_ENV });
    trainingPipelineIn(stack, { trainingSet: { ...TRAINING_SET, labelDelay: Duration.hours(72) } });
    expect(JSON.stringify(renderedDefinition(Template.fromStack(stack)))).toContain('"plinth:label-delay-hours":"72"');
    const other = new Stack(newApp({ context: { 'aws:cdk:bundling-stacks': [] } }), 'S', { env: TEST_ENV });
    expect(() => trainingPipelineIn(other, { trainingSet: { ...TRAINING_SET, labelDelay: Duration.days(91) } })).toThrow(/labelDelay.*at most 90 days/);
  });
});
