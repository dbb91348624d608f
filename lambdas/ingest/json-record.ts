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
 * Cost: the key scanner (json-scan.ts) only runs when the parsed value could
 * hide something, decided without reading the text twice:
 *  - duplicates: the ':' outside strings in the text are one per key
 *    occurrence at every depth, and the parsed value keeps one key per
 *    distinct key per object; the two counts differ exactly when a key is
 *    duplicated somewhere (escapes live inside strings, so `\u` spellings
 *    change nothing here); for a flat record with no backslash the count
 *    is all ':' (indexOf) less those in the parsed strings (see
 *    parseJsonRecordKeys), keysOutsideStrings otherwise;
 *  - forbidden keys: in a flat object (no object or array value) every key is
 *    a top-level own key of the parsed value, however it was spelled; only a
 *    nested value makes the scanner look at the text (when it mentions one of
 *    the names or has a `\u` escape that could spell one).
 */

import { FORBIDDEN_KEYS } from './dataset-schema';
import { keyCount, keysOutsideStrings, scanKeys } from './json-scan';

export type JsonRecordResult =
  | { kind: 'ok'; value: Record<string, unknown> }
  | { kind: 'forbidden-key'; key: string; path: string }
  | { kind: 'duplicate-key'; key: string; path: string }
  | { kind: 'not-an-object'; value: unknown }
  | { kind: 'malformed-json'; message: string };

/**
 * Read once: under scripts/ts-register.js an imported binding is read through
 * a getter at every use (an esbuild bundle reads it directly either way), and
 * parseJsonRecordKeys runs once per record.
 */
const FORBIDDEN = FORBIDDEN_KEYS;
const keysOutside = keysOutsideStrings;
const keysIn = keyCount;

/**
 * Colons in a string, counted with indexOf (one call per colon, and one).
 */
function colonsIn(s: string): number {
  let n = 0;
  for (let i = s.indexOf(':'); i >= 0; i = s.indexOf(':', i + 1)) n++;
  return n;
}

/** The keys of the last flat record and their colons: writers repeat their keys (the same strings: JSON.parse interns keys). */
let lastKeys: readonly string[] = [];
let lastKeyColons: number[] = [];

/**
 * Colons in the keys of a flat record, `keys` from Object.keys: the count
 * of the last record's keys when they are the same strings at the same
 * places (the usual case), else counted.
 */
function keyColons(keys: readonly string[]): number {
  let n = 0;
  const same = keys.length === lastKeys.length;
  for (let i = 0; i < keys.length; i++) {
    if (same && keys[i] === lastKeys[i]) n += lastKeyColons[i]!;
    else return countKeyColons(keys);
  }
  return n;
}

function countKeyColons(keys: readonly string[]): number {
  const counts = keys.map(colonsIn);
  lastKeys = keys;
  lastKeyColons = counts;
  return counts.reduce((a, b) => a + b, 0);
}

/** The index of the last string value found to hold a ':' (parseJsonRecordKeys counts it first). */
let colonValue = 0;

/** FORBIDDEN_LENGTHS[n]: some forbidden key has n characters (a length test before the set lookup). */
const FORBIDDEN_LENGTHS: boolean[] = [];
for (const k of FORBIDDEN_KEYS) FORBIDDEN_LENGTHS[k.length] = true;

function mayContainForbidden(text: string): boolean {
  // 'proto' is in both '__proto__' and 'prototype': one scan for the two
  return text.includes('proto') || text.includes('constructor') || text.includes('\\u');
}

export function parseJsonRecord(text: string): JsonRecordResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { kind: 'malformed-json', message: err instanceof Error ? err.message : String(err) };
  }
  if (typeof value === 'object' && value !== null && (mayContainForbidden(text) || keysOutsideStrings(text) !== keyCount(value))) {
    const scan = scanKeys(text, FORBIDDEN_KEYS);
    if (scan.forbidden) return { kind: 'forbidden-key', key: scan.forbidden.key, path: scan.forbidden.path };
    if (scan.duplicate) return { kind: 'duplicate-key', key: scan.duplicate.key, path: scan.duplicate.path };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'not-an-object', value };
  return { kind: 'ok', value: value as Record<string, unknown> };
}

/** The ok result of parseJsonRecordKeys: the object, its own keys and their values (same order), listed once. */
export interface ParsedObject {
  kind: 'ok';
  value: Record<string, unknown>;
  keys: string[];
  values: unknown[];
}

/**
 * parseJsonRecord for the per-record path: the same checks and results, and
 * an ok result also carries Object.keys and Object.values of the record
 * (one native call each instead of a keyed lookup per key), computed once
 * for the duplicate-key check and reused by the caller.
 */
export function parseJsonRecordKeys(text: string): ParsedObject | Exclude<JsonRecordResult, { kind: 'ok' }> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { kind: 'malformed-json', message: err instanceof Error ? err.message : String(err) };
  }
  if (typeof value !== 'object' || value === null) return { kind: 'not-an-object', value };
  if (Array.isArray(value)) return parseJsonRecord(text) as Exclude<JsonRecordResult, { kind: 'ok' }>;
  const rec = value as Record<string, unknown>;
  const keys = Object.keys(rec);
  const values = Object.values(rec);
  let occurrences = keys.length;
  let nested = false;
  let forbiddenKey = false;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const v = values[i];
    if (typeof v === 'object' && v !== null) {
      nested = true;
      occurrences += keysIn(v);
    }
    if (FORBIDDEN_LENGTHS[k.length] === true && FORBIDDEN.has(k)) forbiddenKey = true;
  }
  // Duplicated keys: every key, at any depth, is followed by one ':' outside strings, and
  // JSON.parse keeps one key per distinct key per object, so the ':' outside strings
  // outnumber the parsed keys exactly when a key repeats (keysOutsideStrings counts them).
  // Cheaper for a flat record with no backslash: its parsed strings (keys and string
  // values) are its strings' texts, less those a repeated key dropped, so all ':' less
  // the ':' in the parsed strings is at least the ':' outside strings, and equal when
  // no key repeats: equal to the parsed keys proves that none does.
  // The difference is never below the parsed keys, so it is proven equal once the ':' of
  // SOME of the parsed strings bring it down to them: the string values are counted only
  // until then (none when the text has no ':' but the keys'), the one that held ':' in an
  // earlier record first (a timestamp field, say).
  let noRepeat: boolean;
  if (!nested && text.indexOf('\\') < 0) {
    let excess = colonsIn(text) - occurrences - keyColons(keys);
    if (excess > 0) {
      const hint = colonValue;
      if (hint < values.length) {
        const v = values[hint];
        if (typeof v === 'string') excess -= colonsIn(v);
      }
      for (let i = 0; excess > 0 && i < values.length; i++) {
        const v = values[i];
        if (i === hint || typeof v !== 'string') continue;
        const c = colonsIn(v);
        if (c > 0) {
          excess -= c;
          colonValue = i;
        }
      }
    }
    noRepeat = excess <= 0 || keysOutside(text) === occurrences;
  } else noRepeat = keysOutside(text) === occurrences;
  if (forbiddenKey || (nested && mayContainForbidden(text)) || !noRepeat) {
    const scan = scanKeys(text, FORBIDDEN_KEYS);
    if (scan.forbidden) return { kind: 'forbidden-key', key: scan.forbidden.key, path: scan.forbidden.path };
    if (scan.duplicate) return { kind: 'duplicate-key', key: scan.duplicate.key, path: scan.duplicate.path };
  }
  return { kind: 'ok', value: rec, keys, values };
}
