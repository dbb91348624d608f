/**
 * Reuses the dev assembly that the main job's synth just wrote (cdk.out/assembly-dev, through the
 * compliance gate) for the local deploy, instead of synthesizing dev a second time: a copy whose
 * account ID is the emulator's. Constructs never hard-code an account, so every occurrence of the
 * dev account in the assembly comes from config/dev.ts, exactly what scripts/local/local-app.ts
 * swaps at config level. Compared by hand on 2026-11-22: both ways give the same templates, except
 * the code hashes of Lambda functions whose code changed between the two synths.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATE_VERDICT_FILE, assertPassingVerdict } from '../../lib/compliance/enforce-gate';

interface Manifest {
  artifacts?: Record<string, { type: string; environment?: string; properties?: { directoryName?: string } }>;
  [key: string]: unknown;
}

/**
 * Writes into `destination` a cloud assembly holding only `environment`'s nested assembly from
 * `synthOut`, with account `fromAccount` replaced by `toAccount`, and the assets it uses.
 *
 * @throws Error when `synthOut` has no such assembly, it did not pass the compliance gate, or it targets another account
 */
export function retargetAssembly(synthOut: string, destination: string, environment: string, fromAccount: string, toAccount: string): void {
  const nested = `assembly-${environment}`;
  const source = join(synthOut, nested);
  const synthAgain = `run npm run synth (every environment) or npx cdk synth -c env=${environment}, then retry`;
  if (!existsSync(join(source, 'manifest.json')) && !existsSync(join(source, GATE_VERDICT_FILE))) {
    throw new Error(`${source} does not exist: ${synthAgain}`);
  }
  // Only what passed the compliance gate is deployed, even to the emulator.
  assertPassingVerdict(source);
  if (!existsSync(join(synthOut, 'manifest.json'))) {
    throw new Error(`${synthOut} holds no cloud assembly: ${synthAgain}`);
  }
  // The last synth decides: a single-environment synth of another environment leaves an older
  // assembly-<env> directory behind, which its manifest no longer lists.
  const top = JSON.parse(readFileSync(join(synthOut, 'manifest.json'), 'utf8')) as Manifest;
  const listed = Object.values(top.artifacts ?? {}).some((a) => a.type === 'cdk:cloud-assembly' && a.properties?.directoryName === nested);
  if (!listed) {
    const synthesized = Object.values(top.artifacts ?? {}).flatMap((a) => (a.type === 'cdk:cloud-assembly' && a.properties?.directoryName ? [a.properties.directoryName.replace(/^assembly-/, '')] : []));
    throw new Error(`${source} is stale: the last synth in ${synthOut} was of ${synthesized.join(', ') || 'no environment'}, not ${environment}; ${synthAgain}`);
  }
  const nestedManifest = JSON.parse(readFileSync(join(source, 'manifest.json'), 'utf8')) as Manifest;
  // A partial assembly (an interrupted synth) misses templates its manifest names.
  const missing = Object.values(nestedManifest.artifacts ?? {}).flatMap((a) => {
    const file = (a as { properties?: { templateFile?: string } }).properties?.templateFile;
    return a.type === 'aws:cloudformation:stack' && file && !existsSync(join(source, file)) ? [file] : [];
  });
  const stacks = Object.values(nestedManifest.artifacts ?? {}).filter((a) => a.type === 'aws:cloudformation:stack');
  if (stacks.length === 0 || missing.length > 0) {
    throw new Error(`${source} is partial (${stacks.length === 0 ? 'no stacks' : `missing ${missing.join(', ')}`}): ${synthAgain}`);
  }
  const accounts = new Set(
    Object.values(nestedManifest.artifacts ?? {})
      .map((a) => /^aws:\/\/(\d{12})\//.exec(a.environment ?? '')?.[1])
      .filter((a): a is string => a !== undefined),
  );
  if (accounts.size !== 1 || !accounts.has(fromAccount)) {
    throw new Error(`${source} targets account(s) ${[...accounts].join(', ') || 'none'}, not ${fromAccount}: ${synthAgain}`);
  }

  mkdirSync(join(destination, nested), { recursive: true });
  const assets = new Set<string>();
  for (const file of readdirSync(source)) {
    const text = readFileSync(join(source, file), 'utf8');
    for (const match of text.matchAll(/"\.\.\/(asset\.[0-9a-f]+(?:\.[a-z]+)?)"/g)) assets.add(match[1]!);
    writeFileSync(join(destination, nested, file), text.split(fromAccount).join(toAccount));
  }
  for (const asset of assets) cpSync(join(synthOut, asset), join(destination, asset), { recursive: true });

  const artifacts = Object.fromEntries(
    Object.entries(top.artifacts ?? {}).filter(([, a]) => a.type === 'cdk:cloud-assembly' && a.properties?.directoryName === nested),
  );
  writeFileSync(join(destination, 'manifest.json'), JSON.stringify({ ...top, artifacts }, null, 1));
}
