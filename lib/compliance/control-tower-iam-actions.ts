import { isExactlyRuleFiles } from './control-tower-rule-files';

// Control Tower's CT.IAM.PR.3 compares every action of every customer-managed policy statement
// with a regular expression (`this != /^[\w]*[:]*\*$/`), and cfn-guard 3.1 compiles that
// expression again for each comparison: about 0.9 ms per action, 2.5 s of CPU for the 2,700
// actions of the platform's three environments, half of the whole Control Tower check.
//
// Both rules of the group that reads AWS::IAM::ManagedPolicy (CT.IAM.PR.2 and CT.IAM.PR.3) read
// an action only to compare it with "*" (PR.2) or with that expression (PR.3). A string matches
// the expression only if it ends in its one "*" and what comes before is word characters then
// colons: `/^[^:*]*:*\*$/` holds for every such string (and for more, which only keeps more). So
// the guard is given each policy with the actions that cannot match left out: a statement keeps,
// in their order, the actions that string test passes and any value that is not a string (an
// intrinsic function); a statement left with none loses its `Action` key, which takes it out of
// both rules' `Action exists` filters, where it could only have passed. The property paths of the
// findings are mapped back to the policy as written (`.../Statement/0/Action/1` in the reduced
// policy is `.../Statement/0/Action/7` in the template), so the findings are the plugin's own on
// the whole policy.
//
// Of a statement, the two rules read nothing but `Effect`, `Action`, `NotAction` (whether it
// exists) and `Resource`, and PR.2 reads `Resource`'s values only for a statement with an action
// equal to "*": a statement keeps those four keys, and its `Resource` is given as "-" when no
// action left is "*" or a non-string (only whether it exists is read then). No finding's path can
// point inside a `Resource` so replaced, or at a key left out.
//
// This holds for these two rule files as shipped, and only for them: the reduction is used only
// when a group's rule files are exactly these, with these contents (SHA-256). A plugin upgrade that
// changes either file turns it off, and test/compliance/control-tower-iam-actions.test.ts, which
// compares the plugin's findings on whole and reduced policies (random policies through the real
// cfn-guard), fails until the new rules are reviewed.

/** The rule files the reduction was proven for, relative to the plugin's Control Tower guard folder, and their SHA-256. */
export const IAM_ACTION_RULES: Readonly<Record<string, string>> = {
  'identityandaccessmanagement/ct-iam-pr-2.guard': 'f16e1632f4e9d9cbda672b23b664ce49724baf8d0a635892ae587d772aa5ed74',
  'identityandaccessmanagement/ct-iam-pr-3.guard': 'f903e0235570966d25ec1bcefa08933c4fd59c87a21a247e650e9bf4692b0969',
};

const MANAGED_POLICY = 'AWS::IAM::ManagedPolicy';

/**
 * Whether `ruleFiles` (absolute paths) are exactly the rule files of {@link IAM_ACTION_RULES},
 * with the contents the reduction was proven for.
 */
export function isIamActionRuleGroup(ruleFiles: readonly string[], guardRulesDirectory: string): boolean {
  return isExactlyRuleFiles(ruleFiles, guardRulesDirectory, IAM_ACTION_RULES);
}

/** An action either rule could match: a string `/^[\w]*[:]*\*$/` could match (or "*"), or anything that is not a string. */
function couldMatch(action: unknown): boolean {
  return typeof action !== 'string' || /^[^:*]*:*\*$/.test(action);
}

/** The keys of a statement PR.2 and PR.3 read. */
const READ_STATEMENT_KEYS = ['Effect', 'Action', 'NotAction', 'Resource'];

/** `statement` (its actions already reduced to `actions`) with only what PR.2 and PR.3 read of it. */
function projectedStatement(statement: Record<string, unknown>, actions: readonly unknown[]): Record<string, unknown> {
  const projected: Record<string, unknown> = {};
  for (const key of READ_STATEMENT_KEYS) if (key in statement) projected[key] = statement[key];
  if ('Resource' in projected && !actions.some((action) => typeof action !== 'string' || action === '*')) projected.Resource = '-';
  return projected;
}

interface Template {
  readonly Resources?: Record<string, unknown>;
  readonly [section: string]: unknown;
}

/** A template with the inert actions left out, and how to put a finding's location back. */
export interface ReducedActions {
  readonly template: Template;
  /** The location in the template as written of a location cfn-guard reported on the reduced one. */
  restoreLocation(location: string): string;
}

/** A JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * `template` with every customer-managed policy statement's actions reduced to those the IAM
 * action rules could match, and the statement to what they read (see the comment at the top of
 * this file), or `undefined` when that changes nothing. Other resources, and a policy's other
 * properties, are kept as given.
 */
export function withoutInertActions(template: Template): ReducedActions | undefined {
  // Location prefix of a reduced action list (`/Resources/<id>/Properties/PolicyDocument/Statement/<i>/Action`) → the original index of each kept action.
  const kept = new Map<string, number[]>();
  let changed = false;
  const resources: Record<string, unknown> = {};
  for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
    resources[logicalId] = resource;
    if (!isRecord(resource) || resource.Type !== MANAGED_POLICY || !isRecord(resource.Properties)) continue;
    const document = resource.Properties.PolicyDocument;
    if (!isRecord(document)) continue;
    const statementPath = `/Resources/${logicalId}/Properties/PolicyDocument/Statement`;
    const reduceStatement = (statement: unknown, at: string): unknown => {
      if (!isRecord(statement)) return statement;
      let reduced: Record<string, unknown> = statement;
      let left: unknown[] = [];
      if ('Action' in statement) {
        const actions = statement.Action;
        const { Action: _dropped, ...rest } = statement;
        if (!Array.isArray(actions)) {
          left = couldMatch(actions) ? [actions] : [];
          reduced = left.length > 0 ? statement : rest;
        } else {
          const indices = actions.flatMap((action, index) => (couldMatch(action) ? [index] : []));
          left = indices.map((index) => actions[index]);
          if (indices.length === 0) reduced = rest;
          else if (indices.length < actions.length) {
            kept.set(`${at}/Action`, indices);
            reduced = { ...statement, Action: left };
          }
        }
      }
      const projected = projectedStatement(reduced, left);
      if (JSON.stringify(projected) !== JSON.stringify(statement)) changed = true;
      return projected;
    };
    const statements = document.Statement;
    const reduced = Array.isArray(statements)
      ? statements.map((statement, index) => reduceStatement(statement, `${statementPath}/${index}`))
      : reduceStatement(statements, statementPath);
    resources[logicalId] = { ...resource, Properties: { ...resource.Properties, PolicyDocument: { ...document, Statement: reduced } } };
  }
  if (!changed) return undefined;
  return {
    template: { ...template, Resources: resources },
    restoreLocation(location: string): string {
      const match = /^(.*\/Action)\/(\d+)(\/.*)?$/.exec(location);
      const indices = match ? kept.get(match[1]) : undefined;
      if (!match || !indices) return location;
      const original = indices[Number(match[2])];
      if (original === undefined) throw new Error(`cfn-guard reported ${location}, beyond the ${indices.length} action(s) it was given there`);
      return `${match[1]}/${original}${match[3] ?? ''}`;
    },
  };
}
