/**
 * A small IAM policy evaluator for tests: explicit Deny beats Allow, and no Allow means denied.
 * It understands Action/NotAction wildcards, Resource wildcards and the condition operators
 * Plinth's policies use (StringEquals, StringNotEquals, StringLike, ArnNotLike, Null, Bool, and
 * ForAnyValue:StringLike over a multi-valued key given as a comma-separated list). It is a test
 * aid, not IAM: anything it does not understand makes it throw rather than guess.
 */
export interface Statement {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  NotAction?: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface Request {
  action: string;
  resource: string;
  /** Condition-key values in the request; a key that is absent is `undefined`. */
  context?: Record<string, string | undefined>;
}

const list = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function wildcard(pattern: string, value: string, caseInsensitive = false): boolean {
  const source = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${source}$`, caseInsensitive ? 'i' : '').test(value);
}

function conditionHolds(operator: string, key: string, expected: string[], context: Record<string, string | undefined>): boolean {
  const actual = context[key];
  switch (operator) {
    case 'StringEquals':
      return actual !== undefined && expected.includes(actual);
    case 'StringNotEquals':
      return actual === undefined || !expected.includes(actual);
    case 'StringLike':
      return actual !== undefined && expected.some((p) => wildcard(p, actual));
    case 'Null':
      return expected.includes(actual === undefined ? 'true' : 'false');
    case 'Bool':
      return actual !== undefined && expected.includes(actual);
    case 'ArnNotLike':
    case 'ArnNotEquals':
      return actual === undefined || !expected.some((p) => wildcard(p, actual));
    case 'ForAnyValue:StringNotLike':
      // IAM: false for an absent (empty) key, which is how a serverless config slips past it
      return actual !== undefined && actual.split(',').some((v) => !expected.some((p) => wildcard(p, v)));
    case 'ForAnyValue:StringLike':
      return actual !== undefined && actual.split(',').some((v) => expected.some((p) => wildcard(p, v)));
    default:
      throw new Error(`iam-simulator: condition operator ${operator} is not supported`);
  }
}

function applies(statement: Statement, request: Request): boolean {
  const actionMatches = statement.NotAction
    ? !list(statement.NotAction).some((a) => wildcard(a, request.action, true))
    : list(statement.Action).some((a) => wildcard(a, request.action, true));
  if (!actionMatches) return false;
  if (!list(statement.Resource).some((r) => wildcard(r, request.resource))) return false;
  for (const [operator, block] of Object.entries(statement.Condition ?? {})) {
    for (const [key, expected] of Object.entries(block)) {
      if (!conditionHolds(operator, key, list(expected), request.context ?? {})) return false;
    }
  }
  return true;
}

/** Whether `statements` (all policies of one principal, boundary excluded) allow the request. */
export function isAllowed(statements: readonly Statement[], request: Request): boolean {
  if (statements.some((s) => s.Effect === 'Deny' && applies(s, request))) return false;
  return statements.some((s) => s.Effect === 'Allow' && applies(s, request));
}
