/**
 * Parse one JSON Lines record, and refuse what JSON.parse would hide:
 *  - prototype-pollution keys (`__proto__`, `constructor`, `prototype`) at
 *    ANY depth: JSON.parse itself never pollutes (it defines own properties),
 *    but a later `target[key] = value` copy would. The reason names the FIRST
 *    forbidden key in document order (for `{"constructor":{"prototype":..}}`
 *    that is `constructor`), with its path;
 *  - duplicated keys at any depth: JSON.parse keeps the last value, Athena's
 *    OpenX SerDe fails the row, and Trino's json functions read the first.
 *
 * Cost: the key scanner (json-scan.ts) only runs when the text could contain
 * a forbidden key (it mentions one of the names, or has a `\u` escape that
 * could spell one) or when the colon count of the text differs from the one
 * the parsed value accounts for (parsedColons), which is exactly when a key
 * is duplicated.
 */

import { FORBIDDEN_KEYS } from './dataset-schema';
import { colonCount, parsedColons, scanKeys } from './json-scan';

export type JsonRecordResult =
  | { kind: 'ok'; value: Record<string, unknown> }
  | { kind: 'forbidden-key'; key: string; path: string }
  | { kind: 'duplicate-key'; key: string; path: string }
  | { kind: 'not-an-object'; value: unknown }
  | { kind: 'malformed-json'; message: string };

function mayContainForbidden(text: string): boolean {
  return (
    text.includes('\\u') || text.includes('__proto__') || text.includes('constructor') || text.includes('prototype')
  );
}

export function parseJsonRecord(text: string): JsonRecordResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { kind: 'malformed-json', message: err instanceof Error ? err.message : String(err) };
  }
  if (typeof value === 'object' && value !== null && (mayContainForbidden(text) || colonCount(text) !== parsedColons(value))) {
    const scan = scanKeys(text, FORBIDDEN_KEYS);
    if (scan.forbidden) return { kind: 'forbidden-key', key: scan.forbidden.key, path: scan.forbidden.path };
    if (scan.duplicate) return { kind: 'duplicate-key', key: scan.duplicate.key, path: scan.duplicate.path };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'not-an-object', value };
  return { kind: 'ok', value: value as Record<string, unknown> };
}
