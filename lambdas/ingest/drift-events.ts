/**
 * Schema drift events on EventBridge: at most one `additive` and one
 * `breaking` event per object. Sent before the manifest is written, so a
 * failed PutEvents retries the whole object (at-least-once delivery; a replay
 * can re-send the same event).
 */

import { EventBridgeClient, PutEventsCommand, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';

export const DRIFT_SOURCE = 'plinth.ingest';
export const DRIFT_DETAIL_TYPE = 'Schema Drift Detected';
/** Keep event detail far below EventBridge's 256 KB entry limit. */
export const MAX_FIELDS_IN_EVENT = 100;

export interface DriftObjectRef {
  bucket: string;
  key: string;
  etag: string;
}

export interface AdditiveDrift {
  kind: 'additive';
  dataset: string;
  schemaVersion: number;
  fields: string[];
  fieldsTruncated?: boolean;
  object: DriftObjectRef;
  env: string;
}

export interface BreakingDrift {
  kind: 'breaking';
  dataset: string;
  schemaVersion: number;
  /** Schema fields that were missing or had the wrong type. */
  fields: string[];
  /** Records quarantined for missing-required / type-mismatch. */
  records: number;
  rules: { 'missing-required': number; 'type-mismatch': number };
  object: DriftObjectRef;
  env: string;
}

export type DriftDetail = AdditiveDrift | BreakingDrift;

export class DriftPublishError extends Error {
  override readonly name = 'DriftPublishError';
}

export async function publishDrift(client: EventBridgeClient, busName: string, details: DriftDetail[]): Promise<void> {
  if (details.length === 0) return;
  const entries: PutEventsRequestEntry[] = details.map((d) => ({
    EventBusName: busName,
    Source: DRIFT_SOURCE,
    DetailType: DRIFT_DETAIL_TYPE,
    Detail: JSON.stringify(d),
    Resources: [],
  }));
  const res = await client.send(new PutEventsCommand({ Entries: entries }));
  if ((res.FailedEntryCount ?? 0) > 0) {
    const first = res.Entries?.find((e) => e.ErrorCode);
    throw new DriftPublishError(
      `PutEvents rejected ${res.FailedEntryCount} of ${entries.length} drift events: ${first?.ErrorCode ?? '?'} ${first?.ErrorMessage ?? ''}`,
    );
  }
}
