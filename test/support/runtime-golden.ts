/**
 * The log fields and EMF metric signatures each handler wrote BEFORE it moved to Powertools
 * (test/fixtures/runtime-golden/<service>.json, captured from main 331fd62 by running the
 * handler tests with every line the hand-written writers emitted teed to a file).
 *
 * `expectMatchesGolden` checks that every EMF document a handler writes now has a namespace,
 * dimension set and metric names/units the old code wrote (a changed dimension set makes every
 * alarm on the metric read INSUFFICIENT_DATA), and that every log line has a known `msg` and only
 * the fields that line had, except these deliberate, additive differences:
 * - `function_request_id` / `xray_trace_id`: Powertools correlation ids;
 * - the one shared describeError (lambdas/shared/runtime.ts): `transient`, `errorCode`, `cause`,
 *   `httpStatus` and `httpStatusCode` may appear (handlers wrote one, the other or none of them).
 * `expectGoldenCovered` checks that the tests of a file produced every metric signature of before.
 */
import * as fs from 'fs';
import * as path from 'path';
import { emfDocuments, jsonLines } from './lambda-output';

interface Golden {
  metrics: { namespace: string; dimensions: string[][]; metrics: [string, string][] }[];
  logs: Record<string, string[]>;
}

const ADDED_LOG_FIELDS = new Set(['function_request_id', 'xray_trace_id', 'transient', 'errorCode', 'cause', 'httpStatus', 'httpStatusCode']);

const goldens = new Map<string, Golden>();
const seen = new Map<string, Set<string>>();

function golden(service: string): Golden {
  let g = goldens.get(service);
  if (!g) {
    g = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'runtime-golden', `${service}.json`), 'utf8')) as Golden;
    goldens.set(service, g);
  }
  return g;
}

function signature(namespace: unknown, dimensions: unknown, metrics: { Name: string; Unit?: string }[]): string {
  return JSON.stringify([namespace, dimensions, metrics.map((m) => [m.Name, m.Unit]).sort()]);
}

/** Asserts `lines` (captured stdout/stderr) hold only metric signatures and log fields of before. */
export function expectMatchesGolden(service: string, lines: readonly string[]): void {
  const g = golden(service);
  const known = new Set(g.metrics.map((m) => JSON.stringify([m.namespace, m.dimensions, [...m.metrics].sort()])));
  const seenHere = seen.get(service) ?? new Set<string>();
  seen.set(service, seenHere);
  for (const doc of emfDocuments(lines)) {
    const aws = doc._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit?: string }[] }[] };
    for (const cw of aws.CloudWatchMetrics) {
      const sig = signature(cw.Namespace, cw.Dimensions, cw.Metrics);
      expect({ service, emf: sig, known: known.has(sig) }).toEqual({ service, emf: sig, known: true });
      seenHere.add(sig);
    }
  }
  for (const line of jsonLines(lines)) {
    if (line._aws !== undefined) continue;
    const msg = String(line.msg);
    const before = g.logs[msg];
    expect({ service, msg, known: before !== undefined }).toEqual({ service, msg, known: true });
    const allowed = new Set(before);
    const unexpected = Object.keys(line)
      .filter((k) => !allowed.has(k) && !ADDED_LOG_FIELDS.has(k));
    expect({ service, msg, unexpected }).toEqual({ service, msg, unexpected: [] });
    for (const k of ['level', 'msg', 'service', 'timestamp']) expect(line).toHaveProperty(k);
    expect(line.service).toBe(service);
    expect(['debug', 'info', 'warn', 'error']).toContain(line.level);
  }
}

/** Asserts the checks of this test file saw every metric signature the handler wrote before. */
export function expectGoldenCovered(service: string): void {
  const g = golden(service);
  const all = g.metrics.map((m) => JSON.stringify([m.namespace, m.dimensions, [...m.metrics].sort()]));
  const seenHere = seen.get(service) ?? new Set<string>();
  expect(all.filter((s) => !seenHere.has(s))).toEqual([]);
}
