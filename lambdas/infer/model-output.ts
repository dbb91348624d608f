/**
 * Checks one model answer (primary or fallback endpoint). A body that is not
 * a UTF-8 JSON object, has no label (non-empty string, or a finite number
 * taken as its decimal string) at LABEL_FIELD, or no confidence that is a
 * number in [0, 1] at CONFIDENCE_FIELD is MALFORMED: the gateway treats it as
 * a failure of that endpoint, exactly like a 5xx. Labels are limited to
 * MAX_LABEL_CHARS (the review intake's limit for provisional.label).
 */

import { getPath } from './config';

export interface ModelAnswer {
  /** The model's whole JSON output. */
  prediction: Record<string, unknown>;
  label: string;
  confidence: number;
}

export type ParsedOutput = { ok: true; answer: ModelAnswer } | { ok: false; reason: string };

export const MAX_LABEL_CHARS = 256;

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseModelOutput(
  body: Uint8Array | undefined,
  labelPath: ReadonlyArray<string>,
  confidencePath: ReadonlyArray<string>,
): ParsedOutput {
  if (!body || body.byteLength === 0) return { ok: false, reason: 'empty body' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(body)) as unknown;
  } catch {
    return { ok: false, reason: 'not UTF-8 JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, reason: 'not a JSON object' };
  }
  const prediction = parsed as Record<string, unknown>;
  const rawLabel = getPath(prediction, labelPath);
  let label: string;
  if (typeof rawLabel === 'string' && rawLabel.trim() !== '' && rawLabel.length <= MAX_LABEL_CHARS) label = rawLabel;
  else if (typeof rawLabel === 'number' && Number.isFinite(rawLabel)) label = String(rawLabel);
  else return { ok: false, reason: `no label (non-empty, <= ${MAX_LABEL_CHARS} chars) at "${labelPath.join('.')}"` };
  const confidence = getPath(prediction, confidencePath);
  if (typeof confidence !== 'number' || !(confidence >= 0 && confidence <= 1)) {
    return { ok: false, reason: `no numeric confidence in [0, 1] at "${confidencePath.join('.')}"` };
  }
  return { ok: true, answer: { prediction, label, confidence } };
}
