/**
 * Signed calls to the few AWS APIs Plinth has no SDK client for in its dependencies
 * (CloudFormation, CloudWatch, STS, Lambda). Credentials and region come from an SDK client's
 * own resolution chain (so AWS_PROFILE, AWS_REGION and the rest behave as for any SDK call), and
 * AWS_ENDPOINT_URL redirects every service, as it does for the SDK.
 */
import { createHash, createHmac } from 'node:crypto';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface AwsCallContext {
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Overrides https://SERVICE.REGION.amazonaws.com, e.g. from AWS_ENDPOINT_URL. */
  readonly endpoint?: string;
}

/** An AWS error answer, with the service's code and message. */
export class AwsApiError extends Error {
  constructor(
    readonly service: string,
    readonly code: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'AwsApiError';
  }
}

/** Resolves credentials and region the way the SDK does (AWS_PROFILE, AWS_REGION, SSO, IMDS...). */
export async function resolveCallContext(env: NodeJS.ProcessEnv = process.env): Promise<AwsCallContext> {
  const client = new SQSClient({});
  try {
    const credentials = await client.config.credentials();
    const region = await client.config.region();
    return { region, credentials, endpoint: env.AWS_ENDPOINT_URL?.trim() || undefined };
  } finally {
    client.destroy();
  }
}

/** An AWS Query-protocol call (CloudFormation, CloudWatch, STS); returns the XML answer. */
export async function queryCall(
  context: AwsCallContext,
  service: string,
  version: string,
  action: string,
  params: Record<string, string> = {},
): Promise<string> {
  const body = new URLSearchParams({ Action: action, Version: version, ...params }).toString();
  const response = await signedFetch(context, service, 'POST', '/', body, { 'content-type': 'application/x-www-form-urlencoded' });
  if (response.status >= 300) {
    throw new AwsApiError(service, xmlValue(response.text, 'Code') ?? `HTTP${response.status}`, xmlValue(response.text, 'Message') ?? response.text.slice(0, 200), response.status);
  }
  return response.text;
}

/** A REST-JSON call (Lambda); returns the parsed JSON answer. */
export async function restJsonCall(context: AwsCallContext, service: string, method: string, path: string): Promise<unknown> {
  const response = await signedFetch(context, service, method, path, '', {});
  if (response.status >= 300) {
    let parsed: { message?: string; Message?: string; __type?: string } = {};
    try {
      parsed = JSON.parse(response.text) as typeof parsed;
    } catch {
      // not JSON: keep the status
    }
    throw new AwsApiError(service, parsed.__type ?? `HTTP${response.status}`, parsed.message ?? parsed.Message ?? response.text.slice(0, 200), response.status);
  }
  return JSON.parse(response.text) as unknown;
}

/** The text of the first <tag>...</tag> in `xml`, unescaped. */
export function xmlValue(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return match ? unescapeXml(match[1]!) : undefined;
}

/** Each <member>...</member> block directly inside the first <listTag>. */
export function xmlMembers(xml: string, listTag: string): string[] {
  const list = new RegExp(`<${listTag}>([\\s\\S]*?)</${listTag}>`).exec(xml)?.[1] ?? '';
  return [...list.matchAll(/<member>([\s\S]*?)<\/member>/g)].map((m) => m[1]!);
}

function unescapeXml(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

async function signedFetch(
  context: AwsCallContext,
  service: string,
  method: string,
  path: string,
  body: string,
  extraHeaders: Record<string, string>,
): Promise<{ status: number; text: string }> {
  const domain = context.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  const base = context.endpoint ?? `https://${service}.${context.region}.${domain}`;
  const url = new URL(path, base);
  const now = new Date();
  const amzDate = now.toISOString().replace(/[:-]|\.\d{3}/g, '');
  const headers: Record<string, string> = {
    host: url.host,
    'x-amz-date': amzDate,
    ...extraHeaders,
  };
  if (context.credentials.sessionToken) headers['x-amz-security-token'] = context.credentials.sessionToken;
  headers.authorization = sigV4Authorization(context, service, method, url, headers, body, amzDate);
  const response = await fetch(url, { method, headers, body: method === 'GET' ? undefined : body });
  return { status: response.status, text: await response.text() };
}

function sigV4Authorization(
  context: AwsCallContext,
  service: string,
  method: string,
  url: URL,
  headers: Record<string, string>,
  body: string,
  amzDate: string,
): string {
  const day = amzDate.slice(0, 8);
  const names = Object.keys(headers).map((h) => h.toLowerCase()).sort();
  const canonicalHeaders = names.map((h) => `${h}:${headers[h]!.trim()}\n`).join('');
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => `${encodeRfc3986(k)}=${encodeRfc3986(v)}`)
    .sort()
    .join('&');
  const canonicalPath = url.pathname.split('/').map((segment) => encodeRfc3986(decodeURIComponent(segment))).join('/');
  const canonicalRequest = [method, canonicalPath, query, canonicalHeaders, names.join(';'), sha256Hex(body)].join('\n');
  const scope = `${day}/${context.region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key: Buffer = hmac(`AWS4${context.credentials.secretAccessKey}`, day);
  for (const part of [context.region, service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(stringToSign).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${context.credentials.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest();
}

function sha256Hex(data: string): string {
  return createHash('sha256').update(data).digest('hex');
}

function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
