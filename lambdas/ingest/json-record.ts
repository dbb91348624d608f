/**
 * Parse one JSON Lines record and detect prototype-pollution keys
 * (`__proto__`, `constructor`, `prototype`) at ANY depth.
 *
 * JSON.parse itself never pollutes (it defines own properties), but a later
 * `target[key] = value` copy would, so records carrying those keys are
 * rejected outright. The reviver (slower) is only used when the raw text could
 * contain such a key: it mentions one of the names, or has a `\u` escape that
 * could spell one.
 */

import { FORBIDDEN_KEYS } from './dataset-schema';

export type JsonRecordResult =
  | { kind: 'ok'; value: Record<string, unknown> }
  | { kind: 'forbidden-key'; key: string }
  | { kind: 'not-an-object'; value: unknown }
  | { kind: 'malformed-json'; message: string };

function mayContainForbidden(text: string): boolean {
  return (
    text.includes('\\u') || text.includes('__proto__') || text.includes('constructor') || text.includes('prototype')
  );
}

export function parseJsonRecord(text: string): JsonRecordResult {
  let forbidden: string | undefined;
  let value: unknown;
  try {
    value = mayContainForbidden(text)
      ? JSON.parse(text, function reviver(key: string, v: unknown) {
          if (forbidden === undefined && FORBIDDEN_KEYS.has(key)) forbidden = key;
          return v;
        })
      : JSON.parse(text);
  } catch (err) {
    return { kind: 'malformed-json', message: err instanceof Error ? err.message : String(err) };
  }
  if (forbidden !== undefined) return { kind: 'forbidden-key', key: forbidden };
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'not-an-object', value };
  return { kind: 'ok', value: value as Record<string, unknown> };
}
