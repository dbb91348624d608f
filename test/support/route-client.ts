/**
 * Sends what a Lambda's module-scope SDK client is asked to send through another client instead
 * (a moto_server or loopback one, built by the test), with aws-sdk-client-mock. The handler keeps
 * its one client; only where its requests go changes. Per-command behaviour can still be set on
 * the returned stub (`.on(Command).callsFake(...)`), e.g. for what moto does not implement.
 *
 *   const route = routeClient(handlerS3, new S3Client(motoClientConfig(endpoint)));
 *   ...
 *   route.restore();
 */
import type { Client, MetadataBearer } from '@smithy/types';
import { mockClient } from 'aws-sdk-client-mock';
import type { AwsStub } from 'aws-sdk-client-mock';

/** The stub of `from` (aws-sdk-client-mock), every command passed through to `to`. */
export function routeClient<TInput extends object, TOutput extends MetadataBearer, TConfig>(
  from: Client<TInput, TOutput, TConfig>,
  to: Client<TInput, TOutput, TConfig>,
): AwsStub<TInput, TOutput, TConfig> {
  const realSend = to.send.bind(to) as (command: unknown) => Promise<TOutput>;
  const stub = mockClient(from);
  stub.send.callsFake((command: unknown) => realSend(command));
  return stub;
}
