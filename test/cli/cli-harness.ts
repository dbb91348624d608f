/** Runs the plinth CLI in-process and captures what it prints. */
import { main } from '../../cli/main';
import { type CommandContext, processContext } from '../../cli/context';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (for --json runs). */
  json<T = Record<string, unknown>>(): T;
}

export async function runCli(...argv: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, (json): CommandContext => ({
    ...processContext(json),
    out: (text) => {
      stdout += text.endsWith('\n') ? text : `${text}\n`;
    },
    progress: (text) => {
      stderr += text.endsWith('\n') ? text : `${text}\n`;
    },
    sleep: async () => undefined,
  }));
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}

/** Points the SDK (and the CLI's signed calls) at `endpoint` with moto's credentials; returns a restore function. */
export function useEmulatorEnvironment(endpoint: string): () => void {
  const keys = ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_PROFILE'] as const;
  const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
  Object.assign(process.env, { AWS_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1' });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  return () => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}
