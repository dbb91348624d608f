/**
 * Sets `env` in process.env for the enclosing `describe` block (in `beforeAll`) and puts back
 * what was there before (in `afterAll`): a variable that was unset is deleted again.
 */
export function useEnvironment(env: Readonly<Record<string, string>>): void {
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    for (const [k, v] of Object.entries(env)) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
  });
  afterAll(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });
}
