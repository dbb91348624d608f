#!/usr/bin/env bash
# Lints every synthesized template with cfn-lint. Errors fail; warnings are printed.
set -uo pipefail
out="${1:-cdk.out}"
if ! command -v cfn-lint >/dev/null 2>&1; then
  echo "cfn-lint is not installed: pip install cfn-lint" >&2
  exit 1
fi
# Stacks inside Stages sit in assembly-*/ (Plinth's app); top-level stacks (a consumer's app) at the root.
mapfile -t templates < <(find "$out" -name '*.template.json' -not -path '*/asset.*' | sort)
if [ "${#templates[@]}" -eq 0 ]; then
  echo "no templates under $out: run the synth first" >&2
  exit 1
fi
cfn-lint --format parseable -- "${templates[@]}"
code=$?
# cfn-lint's exit code is a bit mask: 1 = lint failure, 2 = error, 4 = warning, 8 = informational.
if [ $((code & 3)) -ne 0 ]; then
  echo "cfn-lint: errors in ${#templates[@]} template(s)" >&2
  exit 1
fi
echo "cfn-lint: no errors in ${#templates[@]} template(s) (exit mask $code: warnings are listed above)"
