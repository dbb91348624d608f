import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { SAGEMAKER_REALTIME_PRICES } from '../../config/pricing/sagemaker-instances';
import { type ScalingWhatIf, formatScalingReport, parseScalingTrace, simulateScaling } from '../../lib/inference/scaling-simulation';
import { type ParsedArgs, optionValue } from '../args';
import type { Command } from '../command';
import { environmentConfig } from '../context';
import { CliError, EXIT, UsageError } from '../errors';

const USAGE = 'plinth simulate-scaling --env prod --endpoint NAME --trace FILE [--variant NAME] [--metric concurrency|invocations] [--target N] [--json]';

export const simulateScalingCommand: Command = {
  name: 'simulate-scaling',
  summary: "replay a request trace (CSV of timestamp,requests_per_second) against an endpoint's scaling policy from config",
  usage: USAGE,
  options: [
    { name: 'env', description: 'environment whose config holds the endpoint (required)' },
    { name: 'endpoint', description: 'endpoint name, e.g. fraud-detector-prod (required)' },
    { name: 'trace', description: 'CSV file: a header, then timestamp,requests_per_second rows (required)' },
    { name: 'variant', description: "what-if: another variant (default: the first with a scaling policy)" },
    { name: 'metric', description: 'what-if: replay against concurrency or invocations' },
    { name: 'target', description: 'what-if: another target value for the metric' },
  ],
  async run(args, context) {
    const environment = environmentConfig(required(args, 'env'));
    const endpoint = required(args, 'endpoint');
    const traceFile = required(args, 'trace');
    if (!existsSync(traceFile)) throw new CliError(`trace file ${traceFile} does not exist`, 'pass a CSV of timestamp,requests_per_second rows (docs/scaling-simulation.md)');
    const whatIf = whatIfOf(args, basename(traceFile));
    context.progress(`replaying ${traceFile} against ${endpoint} (${environment.name})...`);
    const simulation = simulateScaling(environment, endpoint, parseScalingTrace(readFileSync(traceFile, 'utf8')), { prices: SAGEMAKER_REALTIME_PRICES, ...whatIf });
    if (context.json) {
      const { prices: _prices, ...result } = simulation;
      context.out(JSON.stringify({ ok: true, ...result }));
    } else {
      context.out(formatScalingReport(simulation));
    }
    return EXIT.ok;
  },
};

function whatIfOf(args: ParsedArgs, traceName: string): ScalingWhatIf {
  const metric = optionValue(args, 'metric');
  if (metric !== undefined && metric !== 'concurrency' && metric !== 'invocations') {
    throw new UsageError(`--metric must be concurrency or invocations, got "${metric}"`, USAGE);
  }
  const targetText = optionValue(args, 'target');
  const target = targetText === undefined ? undefined : Number(targetText);
  if (target !== undefined && (!Number.isFinite(target) || target <= 0)) throw new UsageError(`--target must be a positive number, got "${targetText}"`, USAGE);
  const variantName = optionValue(args, 'variant');
  return {
    traceName,
    ...(variantName ? { variantName } : {}),
    ...(metric ? { metric } : {}),
    ...(target !== undefined ? { target } : {}),
  };
}

function required(args: ParsedArgs, name: string): string {
  const value = optionValue(args, name);
  if (value === undefined) throw new UsageError(`--${name} is required`, USAGE);
  return value;
}
