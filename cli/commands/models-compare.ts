/**
 * `plinth models compare --env E --endpoint NAME [--window 7d] [--bucket B] [--json]`: the latest
 * quality evidence of an endpoint (written by the quality job, lambdas/model-quality), per variant:
 * quality with intervals, outcome, latency, cost per 1,000, label coverage, and the A/B verdict
 * with its reasons. The evidence is `quality-evidence/<endpoint>/latest.json` in the capture bucket,
 * found in the `<env>-Models` stack (or given with --bucket). `--window` is how old the evidence may
 * be (default 7d): an older file is refused, so nobody decides on last month's numbers.
 */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { type ParsedArgs, optionValue } from '../args';
import { listStackResources } from '../aws/cloudformation';
import { type CommandContext, environmentConfig } from '../context';
import { CliError, EXIT, UsageError } from '../errors';
import { formatTable } from '../table';

export const EVIDENCE_PREFIX = 'quality-evidence/';

interface Interval {
  low: number;
  high: number;
  method: string;
  level: number;
}

interface VariantEvidence {
  variant: string;
  predictions: number;
  labelled: number;
  coverage: { value?: number };
  labelDelayMedianSeconds?: number;
  outcome?: { name: string; unit: string; per1000?: number };
  primary: { metric: string; value?: number; interval?: Interval };
  latency: { p50Ms?: number; p99Ms?: number };
  errorRate?: { value?: number };
  cost?: { value?: number; price: { instanceType: string; pricePerHour: number; currency: string; asOf: string } };
  judged: boolean;
  decayed: boolean;
  notes: string[];
}

interface Evidence {
  schemaVersion: number;
  endpointName: string;
  runAt: string;
  window: { start: string; end: string };
  primaryMetric: string;
  baseline: { value: number; source: string; tolerance: number };
  staleness: { stale: boolean; reasons: string[] };
  variants: VariantEvidence[];
  abTest?: { verdict: string; reasons: string[]; samplesStillNeeded?: number; champion: string; challenger: string; test?: { difference: number; interval: Interval } };
  evidenceUri?: string;
}

/** "7d", "36h", "90m" → milliseconds. */
export function parseWindow(text: string): number {
  const m = /^(\d{1,4})([dhm])$/.exec(text);
  if (!m) throw new UsageError(`--window must look like 7d, 36h or 90m (got "${text}")`);
  return Number(m[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd' | 'h' | 'm'];
}

async function captureBucket(args: ParsedArgs, env: string, context: CommandContext, region: string): Promise<string> {
  const given = optionValue(args, 'bucket');
  if (given) return given;
  const resources = await listStackResources(await context.callContext(region), `${env}-Models`);
  const bucket = resources.find((r) => r.type === 'AWS::S3::Bucket' && r.logicalId.startsWith('Capture'));
  if (!bucket) throw new CliError(`no capture bucket in stack ${env}-Models`, 'deploy the Models stack, or pass --bucket NAME');
  return bucket.physicalId;
}

const fmt = (x: number | undefined, digits = 3): string => (x === undefined || x === null ? '-' : Number(x).toFixed(digits));
const pct = (x: number | undefined): string => (x === undefined || x === null ? '-' : `${(100 * x).toFixed(1)}%`);
const ci = (i: Interval | undefined): string => (i ? `[${fmt(i.low)}, ${fmt(i.high)}]` : '-');

export async function compare(args: ParsedArgs, context: CommandContext): Promise<number> {
  const env = optionValue(args, 'env', 'dev')!;
  const endpoint = optionValue(args, 'endpoint');
  if (!endpoint) throw new UsageError('models compare needs --endpoint NAME', 'plinth models compare --env dev --endpoint fraud-detector-dev [--window 7d] [--json]');
  const maxAgeMs = parseWindow(optionValue(args, 'window', '7d')!);
  const config = environmentConfig(env);
  const bucket = await captureBucket(args, env, context, config.region);
  const key = `${EVIDENCE_PREFIX}${endpoint}/latest.json`;
  let evidence: Evidence;
  try {
    const obj = await context.clients(config.region).s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    evidence = JSON.parse(await obj.Body!.transformToString()) as Evidence;
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name === 'NoSuchKey' || name === 'NotFound') {
      throw new CliError(`no quality evidence for ${endpoint} yet (s3://${bucket}/${key})`, 'the quality job writes it after its first run; start its state machine or wait for the schedule');
    }
    if (error instanceof SyntaxError) throw new CliError(`s3://${bucket}/${key} is not JSON`, 'check what wrote it; the quality job writes JSON');
    throw error;
  }
  if (evidence.schemaVersion !== 1 || !Array.isArray(evidence.variants)) throw new CliError(`s3://${bucket}/${key} is not a schemaVersion 1 evidence file`, 'upgrade the CLI or re-run the quality job');
  const age = Date.now() - Date.parse(evidence.runAt);
  if (!(age <= maxAgeMs)) {
    throw new CliError(
      `the latest evidence of ${endpoint} is from ${evidence.runAt}, older than --window ${optionValue(args, 'window', '7d')}`,
      'check the quality job (QualityJobFailed alarm, its Step Functions executions) or widen --window',
    );
  }
  if (context.json) {
    context.out(JSON.stringify(evidence, null, 2));
    return EXIT.ok;
  }
  const lines: string[] = [];
  lines.push(`Quality of ${evidence.endpointName}: predictions ${evidence.window.start} .. ${evidence.window.end} (run ${evidence.runAt})`);
  lines.push(`Primary metric: ${evidence.primaryMetric}; baseline ${fmt(evidence.baseline.value)} (${evidence.baseline.source}), tolerance ${fmt(evidence.baseline.tolerance)}`);
  lines.push('');
  lines.push(
    formatTable(
      ['variant', evidence.primaryMetric, 'interval', 'labelled', 'coverage', 'outcome/1k', 'p50 ms', 'p99 ms', 'cost/1k', 'status'],
      evidence.variants.map((v) => [
        v.variant,
        fmt(v.primary.value),
        ci(v.primary.interval),
        `${v.labelled}/${v.predictions}`,
        pct(v.coverage.value),
        fmt(v.outcome?.per1000, 2),
        fmt(v.latency.p50Ms, 1),
        fmt(v.latency.p99Ms, 1),
        fmt(v.cost?.value, 4),
        v.decayed ? 'DECAYED' : v.judged ? 'ok' : 'too few labels',
      ]),
    ),
  );
  const prices = evidence.variants.filter((v) => v.cost).map((v) => `${v.variant}: ${v.cost!.price.instanceType} at ${v.cost!.price.pricePerHour} ${v.cost!.price.currency}/h (price as of ${v.cost!.price.asOf})`);
  if (prices.length > 0) lines.push('', `Cost uses ${prices.join('; ')}`);
  for (const v of evidence.variants) for (const note of v.notes) lines.push(`note (${v.variant}): ${note}`);
  if (evidence.staleness.stale) lines.push('', `GROUND TRUTH STALE: ${evidence.staleness.reasons.join('; ')}`);
  if (evidence.abTest) {
    const t = evidence.abTest;
    lines.push('', `A/B verdict (${t.challenger} vs ${t.champion}): ${t.verdict}`);
    if (t.test) lines.push(`  difference ${fmt(t.test.difference, 4)}, always-valid ${Math.round(100 * t.test.interval.level)}% interval ${ci(t.test.interval)}`);
    for (const r of t.reasons) lines.push(`  why: ${r}`);
    if (t.verdict === 'keep-collecting' && t.samplesStillNeeded !== undefined) lines.push(`  labelled samples still needed: about ${t.samplesStillNeeded}`);
    lines.push('  Nothing shifts traffic by itself: promote with a config change and a deploy.');
  }
  if (evidence.evidenceUri) lines.push('', `Evidence: ${evidence.evidenceUri}`);
  context.out(lines.join('\n'));
  return EXIT.ok;
}
