import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SageMakerFeatureStoreRuntimeClient } from '@aws-sdk/client-sagemaker-featurestore-runtime';
import { parseOnlineFeatures, setOnlineFeatureClient, withOnlineFeatures, type OnlineMetrics } from '../../../lambdas/infer/online-features';

// The lookup's abort signal is a plain { aborted, onabort } object (cheaper than an AbortController):
// this proves, through the real SDK client and its Node HTTP handler, that it still closes the
// HTTP request at the budget, so an abandoned lookup holds no socket.
let server: Server;
let closed: Promise<number>;
let endpoint: string;

beforeAll(async () => {
  let markClosed: (ms: number) => void = () => undefined;
  closed = new Promise((resolve) => (markClosed = resolve));
  server = createServer((req: IncomingMessage) => {
    const received = Date.now();
    // Never answers; notes when the client gives up on the request.
    req.socket.on('close', () => markClosed(Date.now() - received));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  setOnlineFeatureClient(undefined);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

test('GIVEN an online store that never answers WHEN the budget passes THEN the request takes the unavailable path and its HTTP request is closed', async () => {
  // GIVEN a client with no timeout of its own: only the lookup's abort can close the request
  setOnlineFeatureClient(new SageMakerFeatureStoreRuntimeClient({ endpoint, region: 'us-east-1', maxAttempts: 1, credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }));
  const cfg = parseOnlineFeatures(JSON.stringify({ featureGroup: 'account-spend', entityKeyField: 'account_id', features: ['txn_count_24h'], types: { txn_count_24h: 'integer' }, timeoutMs: 100 }))!;
  const metrics: OnlineMetrics = { OnlineLookupMs: 0, OnlineMisses: 0, OnlineTimeouts: 0, OnlineErrors: 0 };
  const props: Record<string, unknown> = {};
  // WHEN
  const started = Date.now();
  const outcome = await withOnlineFeatures(cfg, { account_id: 'a1' }, metrics, props);
  // THEN
  expect(Date.now() - started).toBeLessThan(1000);
  expect(outcome).toEqual({ kind: 'fallback', reason: 'unavailable' });
  expect(metrics.OnlineTimeouts).toBe(1);
  expect(props.onlineFeatures).toBe('timeout');
  const closedAfterMs = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 3000))]);
  expect(closedAfterMs).toBeGreaterThanOrEqual(0);
  expect(closedAfterMs).toBeLessThan(1000);
});
