/**
 * Streaming JSON-Lines writer to S3: lines are batched into ~64 KiB writes to
 * a PassThrough that feeds a lib-storage Upload (multipart above 5 MiB).
 * Memory is bounded by partSize x (queueSize + 1) per sink, independent of
 * object size.
 *
 * Nothing is sent until the first line is written, so an empty sink creates
 * no object. abort() destroys the stream and waits for lib-storage to abort
 * the multipart upload, so a failed object leaves no partial output.
 */

import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { logger } from './log';
import { describeError } from './errors';

const FLUSH_CHARS = 64 * 1024;
export const PART_SIZE = 5 * 1024 * 1024;
export const QUEUE_SIZE = 2;

class SinkAborted extends Error {
  override readonly name = 'SinkAborted';
}

export class S3LineSink {
  private pass: PassThrough | undefined;
  private upload: Promise<unknown> | undefined;
  private failure: Promise<never> | undefined;
  /** Set when the upload failed on its own (before any abort). */
  private uploadFailed = false;
  private buffer = '';
  private state: 'idle' | 'open' | 'finishing' | 'finished' | 'aborted' = 'idle';
  /** Lines written so far. */
  lines = 0;

  constructor(
    private readonly s3: S3Client,
    readonly bucket: string,
    readonly key: string,
  ) {}

  /** Append one line (without trailing newline). Returns a promise only when the caller must wait (backpressure). */
  write(line: string): Promise<void> | undefined {
    if (this.state !== 'idle' && this.state !== 'open') throw new Error(`sink ${this.key} is ${this.state}`);
    this.buffer += line;
    this.buffer += '\n';
    this.lines++;
    if (this.buffer.length >= FLUSH_CHARS) return this.flush();
    return undefined;
  }

  /** Complete the upload. Returns true if an object was written. */
  async finish(): Promise<boolean> {
    if (this.state === 'aborted') throw new Error(`sink ${this.key} was aborted`);
    if (this.lines === 0) {
      this.state = 'finished';
      return false;
    }
    await this.flush();
    this.state = 'finishing';
    this.pass!.end();
    await this.upload;
    this.state = 'finished';
    return true;
  }

  /**
   * Abort: a multipart upload in progress is aborted and a single PutObject
   * not yet sent is never sent. Waits until the upload has settled (also one
   * already finishing), so nothing keeps running after the handler returns.
   * An upload that had already completed is left as is (see process-object).
   * Never throws.
   */
  async abort(): Promise<void> {
    const inFlight = this.state === 'open' || this.state === 'finishing';
    this.state = 'aborted';
    this.buffer = '';
    if (!inFlight || !this.pass || !this.upload) return;
    this.pass.destroy(new SinkAborted('aborted'));
    const failedBefore = this.uploadFailed;
    try {
      await this.upload;
    } catch (err) {
      // The upload's own failure was already reported by write()/finish(); only
      // an error that is neither that nor our abort means AbortMultipartUpload failed.
      if (!failedBefore && !(err instanceof SinkAborted)) {
        logger.warn('multipart upload abort may have failed; an incomplete upload may remain until the bucket lifecycle rule removes it', {
          bucket: this.bucket,
          key: this.key,
          ...describeError(err),
        });
      }
    }
  }

  private start(): void {
    const pass = new PassThrough({ highWaterMark: 1024 * 1024 });
    pass.on('error', () => undefined); // surfaced through the Upload promise
    const upload = new Upload({
      client: this.s3,
      params: { Bucket: this.bucket, Key: this.key, Body: pass, ContentType: 'application/x-ndjson' },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    this.pass = pass;
    this.upload = upload.done();
    this.failure = this.upload.then(
      () => new Promise<never>(() => undefined),
      (err: unknown) => Promise.reject(err),
    );
    // avoid unhandled-rejection noise; errors are observed via write()/finish()/abort()
    this.upload.catch(() => {
      if (this.state !== 'aborted') this.uploadFailed = true;
    });
    this.failure.catch(() => undefined);
    this.state = 'open';
  }

  private async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    if (this.state === 'idle') this.start();
    const chunk = this.buffer;
    this.buffer = '';
    if (!this.pass!.write(chunk)) {
      await Promise.race([once(this.pass!, 'drain'), this.failure!]);
    }
  }
}
