/**
 * Streaming read of a training sample into a bounded, reproducible reservoir
 * sample of feature values. Memory holds at most `capacity` records (only
 * the configured features of each), whatever the object's size.
 *
 * Formats (chosen by the S3 key):
 *  - anything but .csv: JSON Lines, one feature object per line, exactly what
 *    the gateway sends to the endpoint (JSON.stringify of the record). The
 *    training pipeline writes this (lib/training/evaluation/evaluate.py,
 *    training-sample.jsonl), so each value is read here as the drift job
 *    reads it from capture: the same JSON types, and numbers that are the
 *    same doubles (5411.0 and 5411 parse to one number, formatted once as
 *    String(x)). Absent keys, null, objects and arrays are missing.
 *  - `.csv` / `.csv.gz` (hand-registered samples only): RFC 4180 CSV whose
 *    first record is the header. An empty field is MISSING. Values stay
 *    strings: numeric features parse them with Number(), and a categorical
 *    feature's category is the cell's text, so the CSV must write it as the
 *    capture does (true, not True; 5411, not 5411.0).
 * A configured feature the sample does not have at all (a key in no valid
 * JSON record, a column the CSV header lacks) is reported in
 * `absentFeatures`, not read as all-missing: a field only the request has
 * (not the training table) is not a feature that was always missing, and
 * reading it so would make every drift run report a missing-rate drift.
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
  /** Configured features the sample does not have at all (sorted): no baseline can be built for them. */
  absentFeatures: string[];
}

function scalar(v: unknown): RawValue {
  return typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? v : null;
}

function jsonRecord(text: string, features: readonly string[], present: boolean[]): RawValue[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
  const obj = parsed as Record<string, unknown>;
  return features.map((f, i) => {
    if (!Object.prototype.hasOwnProperty.call(obj, f)) return null;
    present[i] = true;
    return scalar(obj[f]);
  });
}

/**
 * Read a training sample stream (JSON Lines or CSV) into a reservoir of
 * `capacity` records. Throws SampleUnreadableError for a sample that cannot
 * be used (bad UTF-8/gzip, a CSV without a header); an error of the source
 * stream itself propagates.
 */
export async function readTrainingSample(
  source: AsyncIterable<Uint8Array>,
  options: { format: SampleFormat; features: readonly string[]; capacity: number; seed: string },
): Promise<SampleReadResult> {
  const { features, format } = options;
  const reservoir = new Reservoir<RawValue[]>(options.capacity, seededRandom(options.seed));
  const stats: DecodeStats = { sourceBytes: 0, gzip: false };
  let malformedRecords = 0;
  /** Per feature: seen as a key of a valid JSON record / a column of the CSV header. */
  const present = features.map(() => false);

  const lines = new LineSplitter();
  const csv = new CsvParser();
  let header: { width: number; indexes: number[] } | undefined;
  const takeCsvRow = (fields: string[], error: unknown): void => {
    if (header === undefined) {
      if (error) throw new SampleUnreadableError('the CSV header row is malformed');
      const indexes = features.map((f) => fields.indexOf(f));
      indexes.forEach((index, i) => {
        present[i] = index >= 0;
      });
      header = { width: fields.length, indexes };
      return;
    }
    if (error || fields.length !== header.width) {
      malformedRecords++;
      return;
    }
    reservoir.offer(header.indexes.map((i) => (i < 0 || fields[i] === '' ? null : fields[i]!)));
  };
  const takeLine = (text: string, tooLarge: boolean | undefined): void => {
    const values = tooLarge ? undefined : jsonRecord(text, features, present);
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
  const absentFeatures = features.filter((_, i) => !present[i]).sort();
  return { columns, totalRecords: reservoir.seen, sampledRecords: reservoir.items.length, malformedRecords, sourceBytes: stats.sourceBytes, absentFeatures };
}
