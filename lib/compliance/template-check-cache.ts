import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** Bump when the layout of an entry, or what a cached result depends on, changes. */
export const TEMPLATE_CHECK_CACHE_FORMAT = 'plinth-template-checks/1';

/** Entries not used for this long are deleted, once per process, when the cache is first written. */
const UNUSED_ENTRY_MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

/** The repository root, where `node_modules/` lives. */
const PROJECT_ROOT = path.join(__dirname, '..', '..');

/** Where the gate caches template-level check results by default: beside the Lambda bundle cache. */
export const DEFAULT_TEMPLATE_CHECK_CACHE_DIRECTORY = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'plinth-template-checks');

/**
 * What one template's check result depends on. Two runs with equal keys get the same result, so
 * the key holds everything that can change it: the checker and the versions of its tool and
 * rules, the template's content, and what else the checker is told about the template.
 */
export interface TemplateCheckKey {
  /** The validation plugin's name, e.g. `cdk-validator-cfnguard`. */
  readonly checker: string;
  /** Versions and content hashes of the tool and its rules (the checker decides which). */
  readonly tooling: Readonly<Record<string, string>>;
  /** SHA-256 of the template file's bytes. */
  readonly templateSha256: string;
  /** Anything else the checker is given for this template (account, region, stack path). */
  readonly context: Readonly<Record<string, string | undefined>>;
}

/** One template checked, or taken from the cache, in this process (for the benchmark and the tests). */
export interface TemplateCheckOutcome {
  readonly checker: string;
  /** The template's file name (the directory differs between runs). */
  readonly template: string;
  readonly source: 'checked' | 'cached';
}

/** Every template check outcome in this process, in order. */
export const templateCheckLog: TemplateCheckOutcome[] = [];

interface CacheEntry {
  readonly format: string;
  readonly key: TemplateCheckKey;
  /** SHA-256 of `JSON.stringify(result)`: a truncated or edited entry does not match it. */
  readonly resultSha256: string;
  readonly result: unknown;
}

/**
 * Results of the template-level checks, one file per template and checker, keyed by
 * {@link TemplateCheckKey}. An entry is used only when it parses, names this cache format, holds
 * exactly the key asked for (not another template's or tool's), and its result hashes to the
 * checksum stored with it and has the shape the checker expects. Anything else is ignored and
 * replaced by a fresh check: the cache can make a check faster, never make one pass.
 */
export class TemplateCheckCache {

  /** @param directory where entries live; `undefined` turns caching off (every template is checked) */
  constructor(readonly directory: string | undefined) {}

  /** The cached result for `key`, or undefined when there is none that can be trusted. */
  lookup<T>(key: TemplateCheckKey, isResult: (value: unknown) => value is T): T | undefined {
    if (!this.directory) return undefined;
    const file = this.fileFor(key);
    let entry: CacheEntry;
    try {
      entry = JSON.parse(fs.readFileSync(file, 'utf8')) as CacheEntry;
    } catch {
      return undefined;
    }
    if (
      entry === null ||
      typeof entry !== 'object' ||
      entry.format !== TEMPLATE_CHECK_CACHE_FORMAT ||
      canonicalJson(entry.key) !== canonicalJson(key) ||
      typeof entry.resultSha256 !== 'string' ||
      sha256(JSON.stringify(entry.result)) !== entry.resultSha256 ||
      !isResult(entry.result)
    ) {
      return undefined;
    }
    try {
      // Recently used entries stay; pruning drops the ones nobody has asked for in a while.
      const now = new Date();
      fs.utimesSync(file, now, now);
    } catch {
      // Read-only cache: still usable.
    }
    return entry.result;
  }

  /** Stores `result` for `key`, written aside and renamed so a parallel process never reads half an entry. */
  store(key: TemplateCheckKey, result: unknown): void {
    if (!this.directory) return;
    const file = this.fileFor(key);
    const entry: CacheEntry = { format: TEMPLATE_CHECK_CACHE_FORMAT, key, resultSha256: sha256(JSON.stringify(result)), result };
    const staging = `${file}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(staging, JSON.stringify(entry));
      fs.renameSync(staging, file);
    } catch {
      // A cache that cannot be written only costs the next run a check.
      fs.rmSync(staging, { force: true });
      return;
    }
    this.pruneOnce();
  }

  private fileFor(key: TemplateCheckKey): string {
    const safeChecker = key.checker.replace(/[^A-Za-z0-9._-]/g, '_');
    return path.join(this.directory as string, safeChecker, `${sha256(canonicalJson(key))}.json`);
  }

  private pruneOnce(): void {
    if (!this.directory || prunedDirectories.has(this.directory)) return;
    prunedDirectories.add(this.directory);
    const cutoff = Date.now() - UNUSED_ENTRY_MAX_AGE_MS;
    for (const checker of safeReaddir(this.directory)) {
      const dir = path.join(this.directory, checker);
      for (const name of safeReaddir(dir)) {
        const file = path.join(dir, name);
        const modified = fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs;
        if (modified !== undefined && modified < cutoff) fs.rmSync(file, { force: true });
      }
    }
  }
}

/** Cache directories pruned by this process already. */
const prunedDirectories = new Set<string>();

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** JSON with object keys sorted, so equal keys compare equal whatever order they were built in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

export function sha256(data: string | Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** SHA-256 over the named files' paths and bytes, in the order given. */
export function filesSha256(files: readonly string[], relativeTo: string): string {
  const hash = crypto.createHash('sha256');
  for (const file of files) {
    hash.update(path.relative(relativeTo, file)).update('\0').update(fs.readFileSync(file)).update('\0');
  }
  return hash.digest('hex');
}
