/**
 * Per-record routing: validate each record and write it either to the curated
 * sink (valid) or to the quarantine sink (invalid, with reasons). Also tracks
 * schema drift and duplicate record ids for one object.
 *
 * Curated line:    the record's fields (additive columns kept) + `_source_key`,
 *                  `_source_etag`, `_line`. Curated is what was validated.
 *                  Records with a duplicated key never get here (rule
 *                  duplicate-key), so each key has one source value, the one
 *                  validated. A JSONL record's text is then curated as it is
 *                  when every reader provably parses it to the validated
 *                  values (sourceTextIsValidated: integer fields written as
 *                  their canonical digits); otherwise it is re-serialised:
 *                  schema fields from their VALIDATED values in schema order
 *                  (`2.0` for an integer is written `2`), then the fields the
 *                  schema does not declare, as the source wrote them (big
 *                  integers keep their digits).
 * Quarantine line: {"source":{bucket,key,etag,line,lines,bytes:[start,end]},
 *                   "reasons":[{field,rule,value,token}],"excerpt":"…","record"|"raw":...}
 *                  `bytes` is the record's range in the decoded object (after
 *                  gunzip), `lines` the physical lines it spans: a record that
 *                  swallowed others (a stray CSV quote) says how many, and the
 *                  raw zone holds them at that range.
 */

import { FORBIDDEN_KEYS, RESERVED_KEYS, DuplicatePolicy } from './dataset-schema';
import { CsvRow } from './csv-parser';
import { Line } from './line-splitter';
import { parseJsonRecordKeys } from './json-record';
import { topLevelTokens } from './json-scan';
import { UnreadableDataError } from './errors';
import { IdTable } from './id-table';
import {
  ABSENT,
  BREAKING_RULES,
  CompiledField,
  CompiledSchema,
  Rule,
  Violation,
  coerceCsvRow,
  validateJsonFields,
} from './validator';

export interface LineWriter {
  write(line: string): Promise<void> | undefined;
}

export interface SourceRef {
  bucket: string;
  key: string;
  etag: string;
}

export const EXCERPT_CHARS = 100;
/** Bound on distinct additive field names tracked per object. */
export const MAX_TRACKED_FIELDS = 1000;
/** Bound on distinct record ids tracked per object for duplicate detection. */
export const DEFAULT_MAX_TRACKED_IDS = 1_000_000;
/** Bound on first-occurrence ids listed in the manifest under duplicates.idsSeen. */
export const MAX_LISTED_IDS = 1000;
/** Field names / ids reported in manifests and events are cut to this many characters. */
export const MAX_REPORTED_NAME_CHARS = 256;

function clip(s: string): string {
  return s.length > MAX_REPORTED_NAME_CHARS ? `${s.slice(0, MAX_REPORTED_NAME_CHARS)}…` : s;
}

export interface DuplicateStats {
  policy: DuplicatePolicy;
  field: string;
  /** Records quarantined with rule duplicate-record-id. */
  quarantinedRecords: number;
  /** reject only: ids whose first (curated) occurrence was later duplicated; rule duplicate-id-seen. */
  idsSeen: Array<{ id: string; firstLine: number; rule: 'duplicate-id-seen' }>;
  idsSeenCount: number;
  /** true when more than maxTrackedIds distinct ids were seen: ids after that were not stored. */
  trackingTruncated: boolean;
  /**
   * Records whose id was not stored because maxTrackedIds ids were: each was checked against
   * the ids stored, but a later duplicate of it is not caught (metric DuplicateIdsUntracked,
   * alarm <env>-DuplicateCheckTruncated-<dataset>).
   */
  idsUntracked: number;
}

/** Quarantined records that span more than one physical line (they may hide other records). */
export interface SpanningStats {
  records: number;
  /** Physical lines those records span in total. */
  lines: number;
  /** The first such record. */
  first: { line: number; lines: number; bytes?: [number, number] };
}

/** Where a record came from. */
interface Where {
  line: number;
  lines: number;
  bytes?: [number, number];
  /** The record's text, or its CSV fields (joined only if it is quarantined). */
  excerpt: string | string[];
}

export interface RouterStats {
  recordsIn: number;
  curated: number;
  quarantined: number;
  additiveFields: Set<string>;
  additiveTruncated: boolean;
  breakingRecords: number;
  breakingRules: { 'missing-required': number; 'type-mismatch': number };
  breakingFields: Set<string>;
  rules: Partial<Record<Rule, number>>;
  duplicates?: DuplicateStats;
  spanning?: SpanningStats;
}

export function excerpt(v: unknown): unknown {
  if (v === undefined || v === null || typeof v === 'number' || typeof v === 'boolean') return v;
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > EXCERPT_CHARS ? s.slice(0, EXCERPT_CHARS) : s;
}

function reasonsJson(violations: Violation[]): string {
  return JSON.stringify(
    violations.map((v) => {
      const r: Record<string, unknown> = {};
      if (v.field !== undefined) r.field = v.field;
      r.rule = v.rule;
      if (v.value !== undefined) r.value = excerpt(v.value);
      if (v.token !== undefined) r.token = excerpt(v.token);
      return r;
    }),
  );
}

/**
 * Attach the source token to violations whose parsed number does not show
 * what the source wrote (1e400 → Infinity, which JSON would print as null).
 */
function withSourceTokens(text: string, violations: Violation[]): void {
  let tokens: Map<string, string> | undefined;
  for (const v of violations) {
    if (typeof v.value !== 'number' || v.field === undefined) continue;
    tokens ??= topLevelTokens(text);
    const token = tokens.get(v.field);
    if (token === undefined || token === String(v.value)) continue;
    v.token = token;
    if (!Number.isFinite(v.value)) delete v.value;
  }
}

/**
 * Whether JSON.stringify(v) is v between quotes: no character needs escaping
 * (the usual case). Otherwise the caller uses JSON.stringify itself.
 */
function isPlainJsonText(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

/**
 * ABSENT, read once: the per-value loop compares with a module constant
 * rather than through the import (a getter per access when each module is
 * compiled on its own, as under scripts/ts-register.js).
 */
const NO_VALUE = ABSENT;
/**
 * The functions called once per record, read once the same way (under
 * scripts/ts-register.js an imported function is read through a getter at
 * every call; an esbuild bundle calls it directly either way).
 */
const parseRecord = parseJsonRecordKeys;
const validateFields = validateJsonFields;
const coerceRow = coerceCsvRow;

function jsonWhere(l: Line): Where {
  return { line: l.line, lines: 1, bytes: l.bytes, excerpt: l.text };
}

function csvWhere(row: CsvRow): Where {
  return { line: row.line, lines: row.lines ?? 1, bytes: row.bytes, excerpt: row.excerpt ?? row.fields };
}

export class RecordRouter {
  readonly stats: RouterStats;
  private readonly metaPrefix: string;
  /** `,` + metaPrefix: the metadata after a record's last field. */
  private readonly metaAfterField: string;
  private readonly sourcePrefix: string;
  private readonly idField: string | undefined;
  /** The id field's index in cs.fields, -1 without one. */
  private readonly idFieldIndex: number;
  private readonly seenIds: IdTable;
  private readonly duplicatedFirst = new Set<string>();
  /** `"<name>":` per schema field, serialised once. */
  private readonly fieldKeysJson: string[];
  /** Indexes of the integer fields in cs.fields. */
  private readonly integerFields: number[];
  // CSV header state
  private columnNames: string[] = [];
  /**
   * The curated CSV line's constant text, serialised once per header: what
   * comes before column i's value, by what came before it (the start `{`,
   * a string value to close `",`, another value `,`) and by whether the value
   * is a string written between quotes: joins[(i * 3 + before) * 2 + quoted].
   * So a row costs two concatenations per value.
   */
  private joins: string[] = [];
  /** What ends the curated line before its line number, by what came before (as in joins). */
  private ends: string[] = [];
  private columns: Array<CompiledField | undefined> = [];
  private idColumn = -1;
  private missingRequired: string[] = [];
  private forbiddenColumn: string | undefined;
  /** Typed values of the current CSV row, one slot per column (reused across rows). */
  private values: unknown[] = [];
  /** Violations of the current record (reused: serialised before the next record starts). */
  private readonly violations: Violation[] = [];
  private reservedColumn: string | undefined;

  constructor(
    private readonly cs: CompiledSchema,
    source: SourceRef,
    private readonly curated: LineWriter,
    private readonly quarantine: LineWriter,
    maxTrackedIds: number = DEFAULT_MAX_TRACKED_IDS,
  ) {
    this.metaPrefix = `"_source_key":${JSON.stringify(source.key)},"_source_etag":${JSON.stringify(source.etag)},"_line":`;
    this.metaAfterField = `,${this.metaPrefix}`;
    this.sourcePrefix = `{"source":{"bucket":${JSON.stringify(source.bucket)},"key":${JSON.stringify(source.key)},"etag":${JSON.stringify(source.etag)},"line":`;
    this.idFieldIndex = cs.schema.recordIdField === undefined ? -1 : cs.fields.findIndex((f) => f.name === cs.schema.recordIdField);
    // the field's own name when it is one (compared with the parsed keys per record), else the schema's text
    this.idField = this.idFieldIndex >= 0 ? cs.fields[this.idFieldIndex]!.name : cs.schema.recordIdField;
    this.seenIds = new IdTable(maxTrackedIds);
    this.fieldKeysJson = cs.fields.map((f) => `${JSON.stringify(f.name)}:`);
    this.integerFields = cs.fields.flatMap((f, i) => (f.type === 'integer' ? [i] : []));
    this.stats = {
      recordsIn: 0,
      curated: 0,
      quarantined: 0,
      additiveFields: new Set(),
      additiveTruncated: false,
      breakingRecords: 0,
      breakingRules: { 'missing-required': 0, 'type-mismatch': 0 },
      breakingFields: new Set(),
      rules: {},
    };
    if (this.idField !== undefined) {
      this.stats.duplicates = {
        policy: cs.schema.duplicatePolicy ?? 'keep-first',
        field: this.idField,
        quarantinedRecords: 0,
        idsSeen: [],
        idsSeenCount: 0,
        trackingTruncated: false,
        idsUntracked: 0,
      };
    }
  }

  // ---------------------------------------------------------------- JSON Lines

  jsonLine(l: Line): Promise<void> | undefined {
    this.stats.recordsIn++;
    if (l.tooLarge) return this.quarantineRaw(jsonWhere(l), [{ rule: 'record-too-large', value: l.text }], l.text);
    const parsed = parseRecord(l.text);
    switch (parsed.kind) {
      case 'malformed-json':
        return this.quarantineRaw(jsonWhere(l), [{ rule: 'malformed-json', value: parsed.message }], l.text);
      case 'forbidden-key':
        return this.quarantineRaw(jsonWhere(l), [{ field: parsed.key, rule: 'forbidden-key', value: parsed.path }], l.text);
      case 'duplicate-key':
        return this.quarantineRaw(jsonWhere(l), [{ field: parsed.key, rule: 'duplicate-key', value: parsed.path }], l.text);
      case 'not-an-object':
        return this.quarantineRaw(jsonWhere(l), [{ rule: 'not-an-object', value: parsed.value }], l.text);
      default:
        break;
    }
    const rec = parsed.value;
    const keys = parsed.keys;
    // One array per router, emptied per record: violations are serialised before the next record.
    const violations = this.violations;
    if (violations.length !== 0) violations.length = 0;
    let additive: string[] | undefined;
    const fields = this.cs.fields;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i]!;
      // Writers usually emit the schema's fields in schema order: compare before hashing.
      if ((i < fields.length && fields[i]!.name === k) || this.cs.byName.has(k)) continue;
      if (RESERVED_KEYS.has(k)) violations.push({ field: k, rule: 'reserved-key', value: rec[k] });
      else {
        this.noteAdditive(k);
        (additive ??= []).push(k);
      }
    }
    validateFields(this.cs, rec, keys, parsed.values, violations);
    const idAt = this.idFieldIndex;
    if (violations.length === 0 && idAt >= 0) {
      // the id field at its schema position is an own key (the usual case); else look it up
      if (keys[idAt] === this.idField) this.checkDuplicate(parsed.values[idAt], l.line, violations);
      else if (Object.hasOwn(rec, this.idField!)) this.checkDuplicate(rec[this.idField!], l.line, violations);
    }
    if (violations.length > 0) {
      withSourceTokens(l.text, violations);
      return this.writeQuarantine(jsonWhere(l), violations, `,"record":${l.text.trim()}}`);
    }
    this.stats.curated++;
    if (this.sourceTextIsValidated(l.text, rec)) {
      // Valid JSON object text always ends with "}" once trimmed (usually it has nothing to trim).
      const t = l.text;
      const text = t.charCodeAt(0) === 0x7b && t.charCodeAt(t.length - 1) === 0x7d ? t : t.trim();
      return this.curated.write(text.slice(0, -1) + (keys.length > 0 ? this.metaAfterField : this.metaPrefix) + l.line + '}');
    }
    let out = '{';
    for (let i = 0; i < fields.length; i++) {
      const name = fields[i]!.name;
      if (!Object.hasOwn(rec, name)) continue;
      out += this.fieldKeysJson[i]!;
      out += JSON.stringify(rec[name]);
      out += ',';
    }
    if (additive !== undefined) {
      const tokens = topLevelTokens(l.text);
      for (const k of additive) out += `${JSON.stringify(k)}:${tokens.get(k)!},`;
    }
    return this.curated.write(`${out}${this.metaPrefix}${l.line}}`);
  }

  /**
   * Whether every reader of the source text gets exactly the validated values,
   * so the text can be curated as it is. Holds when no key is duplicated
   * (checked before: each key has one value, the one validated), and every
   * integer field is written as its canonical digits: a reader parses strings,
   * booleans, null and doubles the way JSON.parse does, but may refuse `2.0`
   * or `2e0` for a bigint column. The digits are found as `"<key>":<digits>`
   * right after a structural character (inside a JSON string a quote is
   * always preceded by a backslash, so no string can fake it) and followed
   * by `,`, `}` or a blank.
   */
  private sourceTextIsValidated(text: string, rec: Record<string, unknown>): boolean {
    for (const i of this.integerFields) {
      const v = rec[this.cs.fields[i]!.name];
      if (typeof v !== 'number') continue;
      const needle = `${this.fieldKeysJson[i]!}${String(v)}`;
      let at = text.indexOf(needle);
      let found = false;
      while (at >= 0 && !found) {
        const before = at > 0 ? text.charCodeAt(at - 1) : 0x7b;
        const after = text.charCodeAt(at + needle.length);
        found = (before === 0x7b || before === 0x2c || before === 0x20 || before === 0x09) && (after === 0x2c || after === 0x7d || after === 0x20 || after === 0x09 || after === 0x0d);
        at = text.indexOf(needle, at + 1);
      }
      if (!found) return false;
    }
    return true;
  }

  // ---------------------------------------------------------------- CSV

  /** Process the header row. Throws UnreadableDataError when the file has no usable header. */
  csvHeader(row: CsvRow): void {
    if (row.error !== undefined) {
      throw new UnreadableDataError('csv-invalid-header', `CSV header row is invalid (${row.error})`);
    }
    const names = row.fields.map((f) => f.trim());
    const seen = new Set<string>();
    for (const n of names) {
      if (n.length === 0) throw new UnreadableDataError('csv-invalid-header', 'CSV header has an empty column name');
      if (seen.has(n)) throw new UnreadableDataError('csv-invalid-header', `CSV header repeats column "${n.slice(0, 100)}"`);
      seen.add(n);
    }
    if (!names.some((n) => this.cs.byName.has(n))) {
      throw new UnreadableDataError(
        'csv-missing-header',
        'first CSV row shares no column name with the schema: the file has no header row (or belongs to another dataset)',
      );
    }
    this.columnNames = names;
    const opens = ['{', '",', ','];
    this.joins = names.flatMap((n) => opens.flatMap((open) => [`${open}${JSON.stringify(n)}:"`, `${open}${JSON.stringify(n)}:`]));
    this.ends = opens.map((open) => `${open}${this.metaPrefix}`);
    this.columns = names.map((n) => this.cs.byName.get(n));
    this.values = new Array<unknown>(names.length);
    this.idColumn = this.idField === undefined ? -1 : names.indexOf(this.idField);
    this.forbiddenColumn = names.find((n) => FORBIDDEN_KEYS.has(n));
    this.reservedColumn = names.find((n) => RESERVED_KEYS.has(n));
    for (const n of names) {
      if (!this.cs.byName.has(n) && !FORBIDDEN_KEYS.has(n) && !RESERVED_KEYS.has(n)) this.noteAdditive(n);
    }
    this.missingRequired = this.cs.fields.filter((f) => f.required && !seen.has(f.name)).map((f) => f.name);
    for (const f of this.missingRequired) this.stats.breakingFields.add(f);
  }

  csvRow(row: CsvRow): Promise<void> | undefined {
    this.stats.recordsIn++;
    if (row.error === 'record-too-large') {
      // its content was not kept (bounded memory): the excerpt and the byte range point at it in the raw zone
      return this.writeQuarantine(csvWhere(row), [{ rule: row.error }], '}');
    }
    if (row.error !== undefined) {
      return this.quarantineRaw(csvWhere(row), [{ rule: row.error, value: row.fields.join(',') }], row.fields);
    }
    if (row.fields.length !== this.columnNames.length) {
      return this.quarantineRaw(
        csvWhere(row),
        [{ rule: 'column-count', value: `${row.fields.length} fields, header has ${this.columnNames.length}` }],
        row.fields,
      );
    }
    if (this.forbiddenColumn !== undefined) {
      return this.quarantineRaw(csvWhere(row), [{ field: this.forbiddenColumn, rule: 'forbidden-key' }], row.fields);
    }
    const violations = this.violations;
    if (violations.length !== 0) violations.length = 0;
    if (this.reservedColumn !== undefined) violations.push({ field: this.reservedColumn, rule: 'reserved-key' });
    // Typed values per column (ABSENT = leave the key out). The curated line is
    // serialised directly from them: no per-record object is built.
    const n = row.fields.length;
    const values = this.values; // one array per header, overwritten per row
    coerceRow(this.columns, row.fields, values, violations); // additive columns stay text
    for (const name of this.missingRequired) violations.push({ field: name, rule: 'missing-required' });
    if (violations.length === 0 && this.idColumn >= 0) this.checkDuplicate(values[this.idColumn], row.line, violations);
    if (violations.length > 0) {
      const original: Record<string, string> = Object.create(null);
      for (let i = 0; i < n; i++) original[this.columnNames[i]!] = row.fields[i]!;
      return this.writeQuarantine(csvWhere(row), violations, `,"record":${JSON.stringify(original)}}`);
    }
    this.stats.curated++;
    // '{' + ("<key>":<value>,)* + metaPrefix + line + '}', built from the joins
    const joins = this.joins;
    let out = '';
    let before = 0; // 0 start, 1 after a quoted string, 2 after any other value
    // every string value here is a field's text: the parser may know that none needs escaping
    const plain = row.plain === true;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v === NO_VALUE) continue;
      if (typeof v === 'string' && (plain || isPlainJsonText(v))) {
        out = out + joins[(i * 3 + before) * 2]! + v;
        before = 1;
      } else {
        // number, boolean, null, or a string JSON must escape
        out = out + joins[(i * 3 + before) * 2 + 1]! + (typeof v === 'string' ? JSON.stringify(v) : String(v));
        before = 2;
      }
    }
    return this.curated.write(out + this.ends[before]! + row.line + '}');
  }

  // ---------------------------------------------------------------- shared

  private noteAdditive(fullName: string): void {
    const s = this.stats;
    const name = clip(fullName);
    if (s.additiveFields.has(name)) return;
    if (s.additiveFields.size >= MAX_TRACKED_FIELDS) {
      s.additiveTruncated = true;
      return;
    }
    s.additiveFields.add(name);
  }

  /**
   * Duplicate record ids inside one object (ids compared by their string
   * form, among records that are otherwise valid). The first occurrence stays
   * curated; later ones get `duplicate-record-id`. With `reject`, the first
   * occurrence is listed in the manifest (duplicates.idsSeen).
   */
  private checkDuplicate(v: unknown, line: number, violations: Violation[]): void {
    const field = this.idField;
    const dup = this.stats.duplicates;
    if (field === undefined || dup === undefined || v === null || v === undefined || v === NO_VALUE) return;
    const id = typeof v === 'string' ? v : String(v);
    if (!this.seenIds.seen(id, line)) {
      if (this.seenIds.truncated) {
        dup.trackingTruncated = true;
        dup.idsUntracked = this.seenIds.untracked;
      }
      return;
    }
    violations.push({ field, rule: 'duplicate-record-id', value: v });
    dup.quarantinedRecords++;
    if (dup.policy === 'reject' && !this.duplicatedFirst.has(id)) {
      this.duplicatedFirst.add(id);
      dup.idsSeenCount++;
      // the first line only when listed: a lookup the table answers without storing
      if (dup.idsSeen.length < MAX_LISTED_IDS) dup.idsSeen.push({ id: clip(id), firstLine: this.seenIds.firstLine(id)!, rule: 'duplicate-id-seen' });
    }
  }

  private quarantineRaw(where: Where, violations: Violation[], raw: string | string[]): Promise<void> | undefined {
    return this.writeQuarantine(where, violations, `,"raw":${JSON.stringify(raw)}}`);
  }

  private writeQuarantine(where: Where, violations: Violation[], payloadSuffix: string): Promise<void> | undefined {
    const s = this.stats;
    s.quarantined++;
    if (where.lines > 1) {
      if (s.spanning === undefined) {
        s.spanning = { records: 0, lines: 0, first: { line: where.line, lines: where.lines, ...(where.bytes ? { bytes: where.bytes } : {}) } };
      }
      s.spanning.records++;
      s.spanning.lines += where.lines;
    }
    let breaking = false;
    const ruleSeen = new Set<Rule>();
    for (const v of violations) {
      if (!ruleSeen.has(v.rule)) {
        ruleSeen.add(v.rule);
        s.rules[v.rule] = (s.rules[v.rule] ?? 0) + 1;
      }
      if (BREAKING_RULES.has(v.rule)) {
        breaking = true;
        if (v.field !== undefined) s.breakingFields.add(v.field);
      }
    }
    if (breaking) {
      s.breakingRecords++;
      if (ruleSeen.has('missing-required')) s.breakingRules['missing-required']++;
      if (ruleSeen.has('type-mismatch')) s.breakingRules['type-mismatch']++;
    }
    const position = `${where.line},"lines":${where.lines}${where.bytes ? `,"bytes":[${where.bytes[0]},${where.bytes[1]}]` : ''}`;
    const text = typeof where.excerpt === 'string' ? where.excerpt : where.excerpt.join(',');
    const excerptJson = JSON.stringify(text.length > EXCERPT_CHARS ? text.slice(0, EXCERPT_CHARS) : text);
    return this.quarantine.write(`${this.sourcePrefix}${position}},"reasons":${reasonsJson(violations)},"excerpt":${excerptJson}${payloadSuffix}`);
  }
}
