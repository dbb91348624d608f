import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type { IConstruct } from 'constructs';

// The main job starts the CloudFormation validator's engine early, in a worker thread, so that it
// is ready when the validator's turn comes (lib/compliance/validator-engine.ts). When nothing
// changed since the last run, every template's result comes from the cache and the engine is not
// needed; starting it anyway costs about a second of wall time on two cores, because its start
// competes with building the app. So the gate remembers the inputs of the runs whose templates all
// went into the cache, and a run with the same inputs does not start the engine early. That is a
// prediction, and it decides only WHEN the engine starts, never whether a template is checked: a
// template that is not in the cache is validated whatever was predicted, on an engine started the
// moment the validator finds it missing (test/compliance/engine-start-prediction.test.ts).

/** Bump when what goes into a fingerprint changes. */
const FORMAT = 'plinth-engine-start-prediction/1';

/** How many recent input fingerprints are remembered (one per environment selection, say). */
const REMEMBERED = 32;

const FILE_NAME = 'engine-start-predictions.json';

/**
 * A fingerprint of what this run's templates are made from, as far as the process can see it when
 * the gate is applied: the command line, the environment variables, the construct context, every
 * module file loaded so far outside node_modules (path, size and modification time), and npm's
 * lock files for what is installed. Two runs with the same
 * fingerprint almost always make the same templates; when they do not (a Lambda handler's source
 * changed, which the app bundles instead of loading), the engine only starts later.
 */
export function runInputsFingerprint(scope: IConstruct): string {
  const hash = crypto.createHash('sha256').update(FORMAT).update('\0');
  hash.update(JSON.stringify(process.argv)).update('\0');
  hash.update(JSON.stringify(Object.entries(process.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))).update('\0');
  hash.update(JSON.stringify(scope.node.getAllContext())).update('\0');
  // The installed dependencies by npm's record of them, not module by module: which of them are
  // loaded varies (the TypeScript loader loads esbuild only when a file changed since its last run).
  const installed = [path.join(process.cwd(), 'package-lock.json'), path.join(process.cwd(), 'node_modules', '.package-lock.json')];
  const loaded = Object.keys(require.cache).filter((file) => !file.includes(`${path.sep}node_modules${path.sep}`));
  for (const file of [...installed, ...loaded.sort()]) {
    const stat = fs.statSync(file, { throwIfNoEntry: false });
    hash.update(`${file}\0${stat?.size ?? -1}\0${stat?.mtimeMs ?? -1}\n`);
  }
  return hash.digest('hex');
}

/**
 * The fingerprints of recent runs whose every template's validator result went into the cache
 * at `directory`. A file that is missing, unreadable or not in this format predicts nothing, so
 * the engine starts early as it always did.
 */
export class EngineStartPredictions {
  private readonly file: string;

  constructor(directory: string) {
    this.file = path.join(directory, FILE_NAME);
  }

  /** Whether a run with these inputs found (or left) every template's result in the cache. */
  predictsEveryTemplateCached(fingerprint: string): boolean {
    return this.read().includes(fingerprint);
  }

  /** Remembers that every template of a run with these inputs is in the cache now. */
  recordEveryTemplateCached(fingerprint: string): void {
    const remembered = [fingerprint, ...this.read().filter((f) => f !== fingerprint)].slice(0, REMEMBERED);
    const staging = `${this.file}.${process.pid}.tmp`;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true });
      fs.writeFileSync(staging, JSON.stringify({ format: FORMAT, fingerprints: remembered }));
      fs.renameSync(staging, this.file);
    } catch {
      // Not remembered: the next run starts the engine early, as without a prediction.
      try {
        fs.rmSync(staging, { force: true });
      } catch {
        // Nothing was written there.
      }
    }
  }

  private read(): string[] {
    try {
      const stored = JSON.parse(fs.readFileSync(this.file, 'utf8')) as { format?: unknown; fingerprints?: unknown };
      if (stored?.format !== FORMAT || !Array.isArray(stored.fingerprints)) return [];
      return stored.fingerprints.filter((f): f is string => typeof f === 'string' && /^[0-9a-f]{64}$/.test(f));
    } catch {
      return [];
    }
  }
}
