/**
 * From a Lambda function URL event (payload format 2.0) to validated features,
 * or to the client error to answer. Nothing here calls the model.
 *
 * Order of checks (first failure wins):
 *   400 event       the event is not an object (null, a string... on direct invoke)
 *   400 body        body present but not a string (direct invoke with a JSON object)
 *   405 method      only POST
 *   413 max-bytes   body larger than MAX_PAYLOAD_BYTES (bytes after base64
 *                   decoding; checked before any parsing). 413 rather than 400
 *                   because it is the standard status for this case; the
 *                   body has the same {error, rule} shape.
 *   400 base64      isBase64Encoded with an invalid base64 body
 *   400 encoding    body is not valid UTF-8
 *   400 json        empty body or invalid JSON
 *   400 ...         schema rules (see input-schema.ts): object, forbidden-key,
 *                   unknown, required, type, min, max, maxLength, enum
 */

import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { isJsonObject } from '../shared/json';
import type { Features, InputSchema } from './input-schema';
import { validateFeatures } from './input-schema';

export interface ClientError {
  statusCode: 400 | 405 | 413;
  body: { error: string; field?: string; rule: string; limit?: number };
}

export type ParsedRequest = { ok: true; features: Features; bytes: number } | { ok: false; clientError: ClientError };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const utf8 = new TextDecoder('utf-8', { fatal: true });

function reject(statusCode: ClientError['statusCode'], body: ClientError['body']): ParsedRequest {
  return { ok: false, clientError: { statusCode, body } };
}

/** Size of the decoded body without decoding it (base64: 4 chars → 3 bytes, minus padding). */
function decodedLength(body: string, isBase64: boolean): number {
  if (!isBase64) return Buffer.byteLength(body, 'utf8');
  const padding = body.endsWith('==') ? 2 : body.endsWith('=') ? 1 : 0;
  return Math.floor((body.length * 3) / 4) - padding;
}

/** Whether `value` is a non-null object (not an array). */
export function parseRequest(event: APIGatewayProxyEventV2, schema: InputSchema, maxPayloadBytes: number): ParsedRequest {
  // A direct invoke can send anything: check the shape before reading it.
  const untrusted: unknown = event;
  if (!isJsonObject(untrusted)) {
    return reject(400, { error: 'the event is not a function URL request (payload format 2.0); send a JSON object', rule: 'event' });
  }
  if (untrusted.body !== undefined && untrusted.body !== null && typeof untrusted.body !== 'string') {
    return reject(400, { error: 'request body must be a string holding a JSON object of features', rule: 'body' });
  }
  const context = isJsonObject(untrusted.requestContext) ? untrusted.requestContext : undefined;
  const http = isJsonObject(context?.http) ? context.http : undefined;
  const method = typeof http?.method === 'string' ? http.method : undefined;
  if (method !== undefined && method.toUpperCase() !== 'POST') {
    return reject(405, { error: `method ${method} is not allowed; use POST`, rule: 'method' });
  }
  const isBase64 = event.isBase64Encoded === true;
  // Lambda caps the event at 6 MB, so this whitespace strip is bounded.
  const raw = isBase64 ? (event.body ?? '').replace(/\s+/g, '') : (event.body ?? '');
  const bytes = decodedLength(raw, isBase64);
  if (bytes > maxPayloadBytes) {
    return reject(413, { error: `request body is larger than ${maxPayloadBytes} bytes`, rule: 'max-bytes', limit: maxPayloadBytes });
  }
  let text = raw;
  if (isBase64) {
    const compact = raw;
    if (compact.length % 4 !== 0 || !BASE64.test(compact)) {
      return reject(400, { error: 'request body is not valid base64', rule: 'base64' });
    }
    try {
      text = utf8.decode(Buffer.from(compact, 'base64'));
    } catch {
      return reject(400, { error: 'request body is not valid UTF-8', rule: 'encoding' });
    }
  }
  if (text.trim() === '') return reject(400, { error: 'request body is empty; send a JSON object of features', rule: 'json' });
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    return reject(400, { error: 'request body is not valid JSON', rule: 'json' });
  }
  const checked = validateFeatures(schema, body);
  if (!checked.ok) return reject(400, checked.failure);
  return { ok: true, features: checked.features, bytes };
}
