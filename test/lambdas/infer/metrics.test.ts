import { emitRequestMetrics, emptyMetrics } from '../../../lambdas/infer/metrics';
import { captureOutput, emfDocuments } from '../../support/lambda-output';

// One EMF document per request. A metric with no measurement is left out of it, not published as 0.

function emitted(values: ReturnType<typeof emptyMetrics>): Record<string, unknown> {
  const docs = emfDocuments(captureOutput(() => emitRequestMetrics('fraud-primary', values)));
  expect(docs).toHaveLength(1);
  return docs[0];
}

const metricNames = (doc: Record<string, unknown>): string[] =>
  ((doc._aws as { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }> }> }).CloudWatchMetrics[0]?.Metrics ?? []).map((m) => m.Name);

describe('the gateway request metrics', () => {
  test('a request without an online lookup publishes no OnlineLookupMs (a 0 would read as a fast lookup)', () => {
    const doc = emitted(emptyMetrics());
    expect(metricNames(doc)).not.toContain('OnlineLookupMs');
    expect(doc).not.toHaveProperty('OnlineLookupMs');
    // ... while the counters are published, 0 included
    expect(doc).toMatchObject({ Requests: 1, OnlineMisses: 0, LatencyMs: 0, Endpoint: 'fraud-primary' });
  });

  test('a request with an online lookup publishes its time, in milliseconds', () => {
    const doc = emitted({ ...emptyMetrics(), OnlineLookupMs: 12 });
    expect(doc).toMatchObject({ OnlineLookupMs: 12 });
    const metrics = (doc._aws as { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string; Unit?: string }> }> }).CloudWatchMetrics[0].Metrics;
    expect(metrics.find((m) => m.Name === 'OnlineLookupMs')).toEqual({ Name: 'OnlineLookupMs', Unit: 'Milliseconds' });
  });
});
