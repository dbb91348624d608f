/**
 * Parsing of one SQS message body: the EventBridge event
 * "SageMaker Model Package State Change" forwarded by the rule to the queue.
 * Pure (no I/O); light hand-written validation.
 */

import { isJsonObject } from '../shared/json';
import { SAGEMAKER_NAME } from './config';

export const DETAIL_TYPE = 'SageMaker Model Package State Change';
export const EVENT_SOURCE = 'aws.sagemaker';

/** Versioned model package ARN: arn:aws:sagemaker:<region>:<account>:model-package/<group lower-case>/<version> */
const MODEL_PACKAGE_ARN = /^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:model-package\/([a-z0-9](?:-*[a-z0-9]){0,62})\/(\d+)$/;

export interface ApprovalEvent {
  /** EventBridge event id (for logs / correlation). */
  eventId: string;
  modelPackageArn: string;
  modelPackageGroupName: string;
  modelPackageVersion: number;
  /** Status as stated by the event; re-checked live before any deployment. */
  modelApprovalStatus: string;
}

export type ParseResult = { ok: true; event: ApprovalEvent } | { ok: false; error: string };

/** Splits a versioned model package ARN; undefined if it is not one. */
export function parseModelPackageArn(arn: string): { groupLowerCase: string; version: number } | undefined {
  const m = MODEL_PACKAGE_ARN.exec(arn);
  if (!m) return undefined;
  const version = Number(m[2]);
  if (!Number.isSafeInteger(version) || version < 1) return undefined;
  return { groupLowerCase: m[1]!, version };
}

function versionOf(v: unknown): number | undefined {
  // EventBridge sends a number; accept a decimal string too (defensive, same meaning).
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
}

export function parseApprovalEvent(body: string): ParseResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { ok: false, error: 'body is not valid JSON' };
  }
  if (!isJsonObject(parsed)) return { ok: false, error: 'body is not a JSON object' };
  if (parsed['detail-type'] !== DETAIL_TYPE) {
    return { ok: false, error: `detail-type is ${JSON.stringify(parsed['detail-type'])}, expected ${JSON.stringify(DETAIL_TYPE)}` };
  }
  if (parsed.source !== EVENT_SOURCE) return { ok: false, error: `source is ${JSON.stringify(parsed.source)}, expected ${EVENT_SOURCE}` };
  const detail = parsed.detail;
  if (!isJsonObject(detail)) return { ok: false, error: 'detail is missing or not an object' };

  const group = detail.ModelPackageGroupName;
  if (typeof group !== 'string' || !SAGEMAKER_NAME.test(group)) return { ok: false, error: 'detail.ModelPackageGroupName is missing or invalid' };
  const version = versionOf(detail.ModelPackageVersion);
  if (version === undefined) return { ok: false, error: 'detail.ModelPackageVersion is missing or not a positive integer' };
  const status = detail.ModelApprovalStatus;
  if (typeof status !== 'string' || status.length === 0) return { ok: false, error: 'detail.ModelApprovalStatus is missing' };

  const resources = Array.isArray(parsed.resources) ? parsed.resources : [];
  const arn = typeof detail.ModelPackageArn === 'string' ? detail.ModelPackageArn : resources.find((r): r is string => typeof r === 'string');
  if (typeof arn !== 'string') return { ok: false, error: 'no model package ARN in detail.ModelPackageArn or resources' };
  const parts = parseModelPackageArn(arn);
  if (!parts) return { ok: false, error: `not a versioned model package ARN: ${JSON.stringify(arn.slice(0, 300))}` };
  // The ARN must name the same group (SageMaker lower-cases it) and version as the detail.
  if (parts.groupLowerCase !== group.toLowerCase() || parts.version !== version) {
    return { ok: false, error: `ARN ${arn} does not match group ${group} version ${version}` };
  }
  const eventId = typeof parsed.id === 'string' ? parsed.id : '';
  return { ok: true, event: { eventId, modelPackageArn: arn, modelPackageGroupName: group, modelPackageVersion: version, modelApprovalStatus: status } };
}
