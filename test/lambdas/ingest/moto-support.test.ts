/**
 * The shared moto helper itself: free-port start, localhost endpoint, clean stop.
 */

import { request } from 'node:http';
import { CreateBucketCommand, ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { describeWithMoto, motoAvailable, motoClientConfig, startMoto } from '../../support/moto';

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, path: '/moto-api/', timeout: 1000 }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

describe('motoAvailable', () => {
  it('looks for moto_server on PATH', () => {
    // GIVEN a PATH without moto_server
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent-dir';
    try {
      // WHEN checked
      // THEN it is reported missing
      expect(motoAvailable()).toBe(false);
    } finally {
      process.env.PATH = saved;
    }
  });
});

describeWithMoto('startMoto', (moto) => {
  it('serves AWS APIs on a localhost endpoint', async () => {
    // GIVEN the suite's moto server
    // WHEN an SDK client talks to it
    const s3 = new S3Client(motoClientConfig(moto.endpoint));
    const res = await s3.send(new ListBucketsCommand({}));
    // THEN it answers, on http://localhost:<port>
    expect(moto.endpoint).toMatch(/^http:\/\/localhost:\d+$/);
    expect(res.$metadata.httpStatusCode).toBe(200);
  });

  it('starts an independent server on another free port and stops it for good', async () => {
    // GIVEN a second moto server
    const other = await startMoto();
    expect(other.port).not.toBe(moto.server.port);
    expect(await reachable(other.port)).toBe(true);
    // WHEN it is stopped
    await other.stop();
    // THEN the port no longer answers (the process is gone)
    expect(await reachable(other.port)).toBe(false);
  });

  it('reset() wipes state', async () => {
    // GIVEN a bucket in a fresh server
    const other = await startMoto();
    try {
      const s3 = new S3Client(motoClientConfig(other.endpoint));
      await s3.send(new CreateBucketCommand({ Bucket: 'to-be-wiped' }));
      // WHEN reset
      await other.reset();
      // THEN the bucket is gone
      expect((await s3.send(new ListBucketsCommand({}))).Buckets ?? []).toEqual([]);
    } finally {
      await other.stop();
    }
  });
});
