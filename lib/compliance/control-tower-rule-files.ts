import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/**
 * Whether `ruleFiles` (absolute paths) are exactly the rule files of `expected` (paths relative to
 * `guardRulesDirectory` → SHA-256), with those contents. The Control Tower guard's reductions of
 * what cfn-guard is given are each proven for certain rule files as shipped, and used only for them.
 */
export function isExactlyRuleFiles(ruleFiles: readonly string[], guardRulesDirectory: string, expected: Readonly<Record<string, string>>): boolean {
  const proven = Object.keys(expected);
  if (ruleFiles.length !== proven.length) return false;
  const given = new Set(ruleFiles.map((file) => path.relative(guardRulesDirectory, file).split(path.sep).join('/')));
  return proven.every((relative) => {
    if (!given.has(relative)) return false;
    const digest = createHash('sha256').update(fs.readFileSync(path.join(guardRulesDirectory, relative))).digest('hex');
    return digest === expected[relative];
  });
}
