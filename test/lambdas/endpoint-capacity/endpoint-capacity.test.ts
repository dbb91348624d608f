import { DescribeEndpointCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { mockClient } from 'aws-sdk-client-mock';
import { handler, parseEndpoints } from '../../../lambdas/endpoint-capacity';
import { startCapture } from '../../support/lambda-output';
import { expectGoldenCovered, expectMatchesGolden } from '../../support/runtime-golden';

// aws-sdk-client-mock: moto's DescribeEndpoint does not model CurrentInstanceCount changing under autoscaling.
const sagemaker = mockClient(SageMakerClient);
let lines: string[] = [];
let capture: ReturnType<typeof startCapture>;

beforeEach(() => {
  sagemaker.reset();
  jest.useFakeTimers();
  capture = startCapture();
  lines = capture.lines;
  process.env.ENDPOINTS = JSON.stringify([
    { endpointName: 'fraud-prod', variants: { primary: 4, challenger: 2 } },
    { endpointName: 'churn-prod', variants: { primary: 3 } },
  ]);
  process.env.PLINTH_ENV = 'prod';
});
afterEach(() => {
  capture.stop();
  expectMatchesGolden('plinth-endpoint-capacity', lines);
  jest.useRealTimers();
});
afterAll(() => expectGoldenCovered('plinth-endpoint-capacity'));

/** The per-variant capacity documents (the per-run watch document aside). */
const emf = () => lines.map((l) => JSON.parse(l)).filter((d) => d._aws && d.Watch === undefined);
/** The one per-run document of the watch itself. */
const watchDocs = () => lines.map((l) => JSON.parse(l)).filter((d) => d._aws && d.Watch !== undefined);

describe('endpoint-capacity (aws-sdk-client-mock)', () => {
  it('publishes instance count, cap and at-cap per configured variant', async () => {
    sagemaker.on(DescribeEndpointCommand, { EndpointName: 'fraud-prod' }).resolves({
      EndpointStatus: 'InService',
      ProductionVariants: [
        { VariantName: 'primary', CurrentInstanceCount: 4 },
        { VariantName: 'challenger', CurrentInstanceCount: 1 },
      ],
    } as never);
    sagemaker.on(DescribeEndpointCommand, { EndpointName: 'churn-prod' }).resolves({
      EndpointStatus: 'Updating',
      ProductionVariants: [{ VariantName: 'primary', CurrentInstanceCount: 5 }],
    } as never);
    jest.setSystemTime(1_700_000_000_000);
    const result = await handler({});
    expect(result.measured).toEqual([
      { endpointName: 'fraud-prod', variantName: 'primary', instanceCount: 4, maxInstanceCount: 4, atMaxCapacity: true },
      { endpointName: 'fraud-prod', variantName: 'challenger', instanceCount: 1, maxInstanceCount: 2, atMaxCapacity: false },
      // Above the cap during an update still counts as at the cap.
      { endpointName: 'churn-prod', variantName: 'primary', instanceCount: 5, maxInstanceCount: 3, atMaxCapacity: true },
    ]);
    const docs = emf();
    expect(docs).toHaveLength(3);
    expect(docs[0]).toMatchObject({
      Endpoint: 'fraud-prod',
      Variant: 'primary',
      InstanceCount: 4,
      MaxInstanceCount: 4,
      AtMaxCapacity: 1,
      _aws: { Timestamp: 1_700_000_000_000, CloudWatchMetrics: [{ Namespace: 'Plinth/Endpoints', Dimensions: [['Endpoint', 'Variant']] }] },
    });
    expect(docs[1]).toMatchObject({ Variant: 'challenger', AtMaxCapacity: 0 });
  });

  it('skips endpoints that do not exist or are not serving, without failing', async () => {
    const notFound = Object.assign(new Error('Could not find endpoint "fraud-prod".'), { name: 'ValidationException' });
    sagemaker.on(DescribeEndpointCommand, { EndpointName: 'fraud-prod' }).rejects(notFound);
    sagemaker.on(DescribeEndpointCommand, { EndpointName: 'churn-prod' }).resolves({ EndpointStatus: 'Creating', ProductionVariants: [] } as never);
    const result = await handler({});
    expect(result).toEqual({ measured: [], failedEndpoints: [] });
    expect(emf()).toHaveLength(0);
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(['endpoint does not exist yet; nothing to measure', 'endpoint is not serving; nothing to measure']);
  });

  it('measures the other endpoints when one cannot be described, and fails only when none can', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    sagemaker.on(DescribeEndpointCommand, { EndpointName: 'fraud-prod' }).rejects(throttled);
    sagemaker.on(DescribeEndpointCommand, { EndpointName: 'churn-prod' }).resolves({
      EndpointStatus: 'InService',
      ProductionVariants: [{ VariantName: 'primary', CurrentInstanceCount: 1 }],
    } as never);
    const partial = await handler({});
    expect(partial.failedEndpoints).toEqual(['fraud-prod']);
    expect(partial.measured).toHaveLength(1);

    // AND the watch says one endpoint was not read (its variants' AtMaxCapacity would otherwise just be missing, which reads OK)
    expect(watchDocs()).toHaveLength(1);
    expect(watchDocs()[0]).toMatchObject({ Watch: 'endpoint-capacity', EndpointsUnreadable: 1, failedEndpoints: ['fraud-prod'] });
    expect(watchDocs()[0]._aws.CloudWatchMetrics).toEqual([{ Namespace: 'Plinth/Endpoints', Dimensions: [['Watch']], Metrics: [{ Name: 'EndpointsUnreadable', Unit: 'Count' }] }]);

    sagemaker.reset();
    sagemaker.on(DescribeEndpointCommand).rejects(throttled);
    lines.length = 0;
    await expect(handler({})).rejects.toThrow(/could not describe any endpoint \(fraud-prod, churn-prod\)/);
    // AND even a run that fails publishes the count first
    expect(watchDocs().map((d) => d.EndpointsUnreadable)).toEqual([2]);
  });

  it('publishes EndpointsUnreadable = 0 on a run that read every endpoint, and counts an endpoint that does not exist yet or is not serving as read', async () => {
    const notFound = Object.assign(new Error('Could not find endpoint "fraud-prod".'), { name: 'ValidationException' });
    sagemaker.on(DescribeEndpointCommand, { EndpointName: 'fraud-prod' }).rejects(notFound);
    sagemaker.on(DescribeEndpointCommand, { EndpointName: 'churn-prod' }).resolves({ EndpointStatus: 'Creating', ProductionVariants: [] } as never);
    await handler({});
    expect(watchDocs().map((d) => d.EndpointsUnreadable)).toEqual([0]);
  });

  it('logs a configured variant the endpoint does not have', async () => {
    sagemaker.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService', ProductionVariants: [{ VariantName: 'primary', CurrentInstanceCount: 1 }] } as never);
    const result = await handler({});
    expect(result.measured.map((m) => `${m.endpointName}/${m.variantName}`)).toEqual(['fraud-prod/primary', 'churn-prod/primary']);
    expect(lines.some((l) => JSON.parse(l).msg === 'configured variant is not on the endpoint' && l.includes('challenger'))).toBe(true);
  });

  it('does not measure a variant that reports no instance count as 0 instances', async () => {
    // GIVEN a variant DescribeEndpoint returns without CurrentInstanceCount (serverless, or being created)
    sagemaker.on(DescribeEndpointCommand).resolves({ EndpointStatus: 'InService', ProductionVariants: [{ VariantName: 'primary', CurrentInstanceCount: 2 }, { VariantName: 'challenger' }] } as never);
    // WHEN the capacity watch runs
    const result = await handler({});
    // THEN the counted variant is measured, the other is not (no InstanceCount 0 published), and a warning says why
    expect(result.measured.filter((m) => m.variantName === 'challenger')).toEqual([]);
    expect(result.measured.filter((m) => m.variantName === 'primary').map((m) => m.instanceCount)).toEqual([2, 2]);
    const documents = lines.map((l) => JSON.parse(l)).filter((d) => d._aws);
    expect(documents.filter((d) => d.Variant === 'challenger')).toEqual([]);
    expect(lines.some((l) => JSON.parse(l).msg === 'variant reports no instance count: not measured' && l.includes('challenger'))).toBe(true);
  });

  it('rejects a malformed ENDPOINTS, naming what is wrong', () => {
    expect(() => parseEndpoints('nope')).toThrow(/ENDPOINTS must be JSON/);
    expect(() => parseEndpoints('[]')).toThrow(/non-empty/);
    expect(() => parseEndpoints('[{"endpointName":"e","variants":{}}]')).toThrow(/variants must map/);
    expect(() => parseEndpoints('[{"endpointName":"e","variants":{"p":-1}}]')).toThrow(/integer >= 0/);
  });
});
