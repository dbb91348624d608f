/**
 * Streaming read of a training sample into a bounded, reproducible reservoir
 * sample of feature values. Memory holds at most `capacity` records (only
 * the configured features of each), whatever the object's size.
 *
 * Formats (chosen by the S3 key):
 *  - `.csv` / `.csv.gz`: RFC 4180 CSV whose first record is the header; it
 *    must name every configured feature. An empty field is MISSING (the
 *    capture side has no key for a missing feature). Values stay strings;
 *    the baseline code parses numeric ones with Number().
 *  - anything else: JSON Lines, one feature object per line (what the gateway
 *    sends to the endpoint). Absent keys, null, objects and arrays are
 *    missing.
 * gzip is detected from the magic bytes; text must be UTF-8. Malformed
 * records (not JSON, not an object, wrong CSV field count, broken quoting,
 * longer than 1 MiB) are counted and skipped, never fatal.
 *
 * Sampling: reservoir sampling (Algorithm R), seeded from a string (the model
 * package ARN) through SHA-256 → mulberry32, so the same object and ARN give
 * the same sample on every run.
 */

import { createHash } from 'node:crypto';
import { CsvParser } from '../ingest/csv-parser';
import { decodeText, DecodeStats } from '../ingest/decode';
import { LineSplitter } from '../ingest/line-splitter';
import { RawValue } from '../drift-stats/statistics';
import { mulberry32 } from '../shared/random';

/** The sample cannot be used at all (retrying cannot fix it). */
export class SampleUnreadableError extends Error {
  override readonly name = 'SampleUnreadable';
}

export type SampleFormat = 'jsonl' | 'csv';

export function sampleFormat(key: string): SampleFormat {
  return /\.csv(\.gz)?$/i.test(key) ? 'csv' : 'jsonl';
}

/** Deterministic uniform [0, 1) generator seeded by SHA-256(seed) (mulberry32). */
export function seededRandom(seed: string): () => number {
  return mulberry32(createHash('sha256').update(seed).digest().readUInt32BE(0));
}

/** Uniform sample of at most `capacity` items from a stream of unknown length (Algorithm R). */
export class Reservoir<T> {
  readonly items: T[] = [];
  /** Items offered so far. */
  seen = 0;

  constructor(
    readonly capacity: number,
    private readonly random: () => number,
  ) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('reservoir capacity must be a positive integer');
  }

  offer(item: T): void {
    const i = this.seen++;
    if (i < this.capacity) {
      this.items.push(item);
      return;
    }
    const j = Math.floor(this.random() * (i + 1));
    if (j < this.capacity) this.items[j] = item;
  }
}

export interface SampleReadResult {
  /** Feature name → values of the sampled records (column per feature). */
  columns: Record<string, RawValue[]>;
  /** Valid records read. */
  totalRecords: number;
  sampledRecords: number;
  malformedRecords: number;
  sourceBytes: number;
}

function scalar(v: unknown): RawValue {
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : null;
}

function jsonRecord(text: string, features: readonly string[]): RawValue[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const obj = parsed as Record<string, unknown>;
  return features.map((f) => (Object.prototype.hasOwnProperty.call(obj, f) ? scalar(obj[f]) : null));
}

/**
 * Read a training sample stream (JSON Lines or CSV) into a reservoir of
 * `capacity` records. Throws SampleUnreadableError for a sample that cannot
 * be used (bad UTF-8/gzip, CSV without the feature columns); an error of
 * the source stream itself propagates.
 */
export async function readTrainingSample(
  source: AsyncIterable<Uint8Array>,
  options: { format: SampleFormat; features: readonly string[]; capacity: number; seed: string },
): Promise<SampleReadResult> {
  const { features, format } = options;
  const reservoir = new Reservoir<RawValue[]>(options.capacity, seededRandom(options.seed));
  const stats: DecodeStats = { sourceBytes: 0, gzip: false };
  let malformedRecords = 0;

  const lines = new LineSplitter();
  const csv = new CsvParser();
  let header: { width: number; indexes: number[] } | undefined;
  const takeCsvRow = (fields: string[], error: unknown): void => {
    if (header === undefined) {
      if (error) throw new SampleUnreadableError('the CSV header row is malformed');
      const indexes = features.map((f) => fields.indexOf(f));
      const absent = features.filter((_, i) => indexes[i]! < 0);
      if (absent.length > 0) throw new SampleUnreadableError(`the CSV header has no column ${absent.map((a) => JSON.stringify(a)).join(', ')}`);
      header = { width: fields.length, indexes };
      return;
    }
    if (error || fields.length !== header.width) {
      malformedRecords++;
      return;
    }
    reservoir.offer(header.indexes.map((i) => (fields[i] === '' ? null : fields[i]!)));
  };
  const takeLine = (text: string, tooLarge: boolean | undefined): void => {
    const values = tooLarge ? undefined : jsonRecord(text, features);
    if (values === undefined) malformedRecords++;
    else reservoir.offer(values);
  };

  try {
    for await (const chunk of decodeText(source, stats)) {
      if (format === 'csv') for (const row of csv.push(chunk)) takeCsvRow(row.fields, row.error);
      else for (const l of lines.push(chunk)) takeLine(l.text, l.tooLarge);
    }
    if (format === 'csv') for (const row of csv.end()) takeCsvRow(row.fields, row.error);
    else for (const l of lines.end()) takeLine(l.text, l.tooLarge);
  } catch (err) {
    if ((err as { name?: unknown }).name === 'UnreadableDataError') throw new SampleUnreadableError((err as Error).message);
    throw err;
  }
  if (format === 'csv' && header === undefined) throw new SampleUnreadableError('the CSV sample is empty (no header row)');

  const columns: Record<string, RawValue[]> = {};
  features.forEach((f, i) => {
    Object.defineProperty(columns, f, { value: reservoir.items.map((r) => r[i]!), enumerable: true, writable: true, configurable: true });
  });
  return { columns, totalRecords: reservoir.seen, sampledRecords: reservoir.items.length, malformedRecords, sourceBytes: stats.sourceBytes };
}
