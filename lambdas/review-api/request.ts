/**
 * Hand-written validation of review-api requests. The reviewers' tool calls the function URL
 * (IAM auth) with one JSON object as the body; who the reviewer is comes from the verified IAM
 * caller on the request context ({@link identify}), never from the body.
 */

import { isUuid } from '../shared-review/case';
import { isJsonObject } from '../shared/json';

export type ApiErrorCode = 'bad-request' | 'forbidden' | 'not-found' | 'conflict' | 'expired';

export type ApiRequest =
  | { action: 'claim'; reviewer: string; caseId?: string }
  | { action: 'submit'; reviewer: string; caseId: string; label: string; notes?: string }
  | { action: 'get'; caseId: string };

/** Reviewer ids: user names or e-mail addresses. */
export const REVIEWER = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/;
export const MAX_NOTES_CHARS = 4000;
export const MAX_LABEL_CHARS = 256;

export type Parsed = { ok: true; request: ApiRequest } | { ok: false; error: string };

export type Identified = { ok: true; reviewer: string; body: unknown } | { ok: false; error: string };

/**
 * The reviewer as IAM verified the caller of the function URL: the session name of an assumed
 * role (the reviewer role's trust policy makes it the caller's own user name) or an IAM user's
 * name. The body is returned parsed; a `reviewer` in it must be that same identity.
 */
export function identify(event: unknown): Identified {
  if (!isJsonObject(event)) return { ok: false, error: 'call the review function URL (IAM auth); the event is not a function URL request' };
  const context = isJsonObject(event.requestContext) ? event.requestContext : undefined;
  const authorizer = isJsonObject(context?.authorizer) ? context.authorizer : undefined;
  const iam = isJsonObject(authorizer?.iam) ? authorizer.iam : undefined;
  const userArn = typeof iam?.userArn === 'string' ? iam.userArn : undefined;
  if (userArn === undefined) return { ok: false, error: 'no verified IAM caller on the request: call the review function URL with SigV4 (IAM auth)' };
  const m = /^arn:aws[a-z-]*:(?:sts::\d{12}:assumed-role\/[^/]+\/([^/]+)|iam::\d{12}:user\/(?:[^/]+\/)*([^/]+))$/.exec(userArn);
  const reviewer = m?.[1] ?? m?.[2];
  if (reviewer === undefined || !REVIEWER.test(reviewer)) return { ok: false, error: `caller ${userArn} is not a reviewer session (assume the reviewer role as yourself)` };
  let body: unknown = event.body ?? '';
  if (typeof body !== 'string') return { ok: false, error: 'request body must be a JSON object' };
  if (event.isBase64Encoded === true) body = Buffer.from(body, 'base64').toString('utf8');
  try {
    body = JSON.parse(body as string);
  } catch {
    return { ok: false, error: 'request is not JSON' };
  }
  if (isJsonObject(body) && body.reviewer !== undefined && body.reviewer !== reviewer) {
    return { ok: false, error: `reviewer is who IAM says you are (${reviewer}); the body cannot name another reviewer` };
  }
  return { ok: true, reviewer, body: isJsonObject(body) ? { ...body, reviewer } : body };
}

export function parseRequest(event: unknown): Parsed {
  let raw = event;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      return { ok: false, error: 'request is not JSON' };
    }
  }
  if (!isJsonObject(raw)) return { ok: false, error: 'request must be a JSON object' };
  const errors: string[] = [];
  const reviewerOk = typeof raw.reviewer === 'string' && REVIEWER.test(raw.reviewer);
  const caseIdOk = isUuid(raw.caseId);
  const caseId = caseIdOk ? (raw.caseId as string).toLowerCase() : undefined;

  switch (raw.action) {
    case 'claim':
      if (!reviewerOk) errors.push('reviewer is required (letters, digits, . _ @ + -; at most 128)');
      if (raw.caseId !== undefined && !caseIdOk) errors.push('caseId must be a UUID');
      if (errors.length > 0) return { ok: false, error: errors.join('; ') };
      return {
        ok: true,
        request: { action: 'claim', reviewer: raw.reviewer as string, ...(caseId !== undefined ? { caseId } : {}) },
      };
    case 'submit': {
      if (!reviewerOk) errors.push('reviewer is required (letters, digits, . _ @ + -; at most 128)');
      if (!caseIdOk) errors.push('caseId (UUID) is required');
      if (typeof raw.label !== 'string' || raw.label.trim() === '' || raw.label.length > MAX_LABEL_CHARS) {
        errors.push('label is required');
      }
      if (raw.notes !== undefined && (typeof raw.notes !== 'string' || raw.notes.length > MAX_NOTES_CHARS)) {
        errors.push(`notes must be a string of at most ${MAX_NOTES_CHARS} characters`);
      }
      if (errors.length > 0) return { ok: false, error: errors.join('; ') };
      const notes = raw.notes as string | undefined;
      return {
        ok: true,
        request: {
          action: 'submit',
          reviewer: raw.reviewer as string,
          caseId: caseId as string,
          label: (raw.label as string).trim(),
          ...(notes !== undefined && notes !== '' ? { notes } : {}),
        },
      };
    }
    case 'get':
      if (!caseIdOk) return { ok: false, error: 'caseId (UUID) is required' };
      return { ok: true, request: { action: 'get', caseId: caseId as string } };
    default:
      return { ok: false, error: 'action must be one of claim, submit, get' };
  }
}
